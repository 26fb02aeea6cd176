"""Datasets by name: the paper's two Kaggle sets once prepared, the embedded real samples,
generated images, photos, any folder.

=======================  =================================================================
``load(name)``           what it gives
=======================  =================================================================
``"fruits"``             Kaggle ``sshikamaru/fruit-recognition`` (Fruits-360 style, 100x100)
``"animals"``            Kaggle ``alessiocorrado99/animals10``: dogs, chickens, horses, cats,
                         resized + centre-cropped to 100x100
``"fruits360-sample"``   embedded real sample: 1,000 Fruits-360 photos, 8 classes, 800 train /
                         200 test, 100x100 on white (CC BY-SA 4.0, Muresan & Oltean;
                         ``sample_data/fruits360/`` beside this module)
``"pets-sample"``        embedded real sample: 370 Oxford-IIIT Pet photos, cats and dogs with
                         their real backgrounds, 296 train / 74 test, 100x100 (CC BY-SA 4.0,
                         Parkhi et al.; ``sample_data/pets/``)
``"synthetic-fruits"``   generated fruit-like objects on white (:mod:`.synthetic`)
``"synthetic-animals"``  generated animal-like scenes (:mod:`.synthetic_animals`)
``"photos"``             scikit-image's colour photographs (the "never seen" images,
                         :mod:`.photos`)
a folder path            every image under it (``train/`` and ``test/`` used when both exist)
=======================  =================================================================

**Reading only.** This module reads what is on the disk; it never downloads. The Kaggle data
is downloaded and prepared by :mod:`colorization.acquire` (``make data``, ``colorization
data``), into ``prepared_dir()/<name>/`` (:func:`is_prepared`).

**The Kaggle data or the embedded default.** ``"fruits"`` and ``"animals"`` are the Kaggle data
when it is prepared here, else the embedded real samples ``"fruits360-sample"`` and
``"pets-sample"`` (:data:`EMBEDDED`). The environment variable ``COLORIZATION_DATA`` chooses:

- ``auto`` (default): the prepared Kaggle data if present, else the embedded sample, announced
  once per process on stderr (one line saying how to get the Kaggle data);
- ``kaggle``: the prepared Kaggle data, or :class:`MissingDataError` saying what to run;
- ``embedded`` (alias ``synthetic``, its older name): always the embedded samples, silently
  (what CI uses).

Every :class:`ImageSet` says what it holds: ``dataset`` (the name actually used), ``source``
and ``kind`` (``"real"`` photographs or ``"generated"`` images).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from colorization.core.paths import prepared_dir
from colorization.data import photos, synthetic
from colorization.data.images import ImageError, find_images, read_image, resize_center_crop

#: The Kaggle datasets of the paper, by name.
KAGGLE_IDS = {"fruits": "sshikamaru/fruit-recognition", "animals": "alessiocorrado99/animals10"}
#: Side of every prepared and embedded image (the paper's 100x100).
IMAGE_SIZE = 100
SAMPLE_ROOT = Path(__file__).resolve().parent / "sample_data"
#: The embedded real samples: folder, and the source line of their ImageSet.
SAMPLES = {
    "fruits360-sample": (SAMPLE_ROOT / "fruits360",
                         "Fruits-360 sample shipped with the package (Muresan & Oltean, "
                         "CC BY-SA 4.0)"),
    "pets-sample": (SAMPLE_ROOT / "pets",
                    "Oxford-IIIT Pet sample shipped with the package (Parkhi et al., "
                    "CC BY-SA 4.0)"),
}
#: What "fruits" / "animals" mean without the Kaggle data.
EMBEDDED = {"fruits": "fruits360-sample", "animals": "pets-sample"}
_EMBEDDED_ABOUT = {"fruits": "1,000 real Fruits-360 photos, 8 classes, shipped with the package",
                   "animals": "370 real Oxford-IIIT Pet photos, cats and dogs, shipped with the "
                              "package"}
DATASET_NAMES = ("fruits", "animals", *SAMPLES, "synthetic-fruits", "synthetic-animals",
                 "photos")
SPLITS = ("train", "test")
SYNTHETIC_SIZES = {"train": 4000, "test": 1000}
DATA_MODES = ("auto", "kaggle", "embedded", "synthetic")

_ANNOUNCED: set[str] = set()


def kind_of(dataset: str) -> str:
    """``"generated"`` for the generated datasets, ``"real"`` for photographs (Kaggle, the
    embedded samples, scikit-image's photos, a folder)."""
    return "generated" if str(dataset).startswith("synthetic-") else "real"


@dataclass
class ImageSet:
    """A set of same-sized RGB images.

    ``images``: ``(N, H, W, 3)`` uint8 RGB in 0..255; ``labels``: ``(N,)`` int32 indices into
    ``class_names`` (-1 = unknown); ``names``: one id or relative path per image; ``source``:
    human-readable origin; ``dataset``: the effective dataset name (e.g. ``"pets-sample"``
    when ``"animals"`` fell back); ``split``: ``"train"`` / ``"test"`` (or ``""``).
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    names: list[str]
    source: str
    dataset: str
    split: str = field(default="")

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def kind(self) -> str:
        """``"real"`` or ``"generated"`` (:func:`kind_of`)."""
        return kind_of(self.dataset)


class MissingDataError(RuntimeError):
    """The Kaggle data was asked for (``COLORIZATION_DATA=kaggle``) and is not prepared here."""


def data_mode() -> str:
    """``COLORIZATION_DATA`` (``auto`` when unset), checked."""
    mode = (os.environ.get("COLORIZATION_DATA") or "auto").strip().lower()
    if mode not in DATA_MODES:
        raise ValueError(f"COLORIZATION_DATA must be one of {DATA_MODES}, got {mode!r}")
    return "embedded" if mode == "synthetic" else mode


def is_prepared(name: str) -> bool:
    """True when ``prepared_dir()/name`` holds a finished preparation (its manifest is the
    last file written)."""
    return (prepared_dir() / name / "manifest.json").is_file()


def uses_kaggle(name: str) -> bool:
    """The one fallback policy: whether ``"fruits"`` / ``"animals"`` means the Kaggle data
    right now (see the module docstring). Raises :class:`MissingDataError` in ``kaggle``
    mode when the data is not prepared."""
    mode = data_mode()
    if mode == "embedded":
        return False
    if is_prepared(name):
        return True
    if mode == "kaggle":
        raise MissingDataError(missing_data_message(name))
    return False


#: where a Kaggle Notebook mounts the datasets attached to it (extracted, read-only);
#: ``COLORIZATION_KAGGLE_INPUT`` moves it
KAGGLE_INPUT = "/kaggle/input"


def kaggle_input_dir() -> Path:
    """The folder holding the datasets attached to a Kaggle Notebook (:data:`KAGGLE_INPUT`,
    or ``$COLORIZATION_KAGGLE_INPUT``)."""
    return Path(os.environ.get("COLORIZATION_KAGGLE_INPUT") or KAGGLE_INPUT).expanduser()


def _looks_like(name: str, folder: Path) -> bool:
    """A quick look at the folders (two levels deep) of an attached dataset: fruits has
    ``train`` and ``test`` folders, animals a ``raw-img`` folder or the class folders."""
    try:
        subs = [p for p in folder.iterdir() if p.is_dir()]
        subs += [q for p in subs for q in p.iterdir() if q.is_dir()]
    except OSError:
        return False
    names = {p.name.lower() for p in subs}
    if name == "fruits":
        return {"train", "test"} <= names
    return "raw-img" in names or bool(names & {"cane", "gallina", "cavallo", "gatto"})


def attached(name: str) -> Path | None:
    """The Kaggle dataset ``name`` as a Kaggle Notebook mounts it, if it is attached: the
    folder named after its slug (``fruit-recognition``, ``animals10``) under
    :func:`kaggle_input_dir`, one or two levels down (``datasets/<owner>/<slug>``), else any
    folder there with its layout. ``None`` elsewhere. Nothing is read but folder names."""
    root = kaggle_input_dir()
    if name not in KAGGLE_IDS or not root.is_dir():
        return None
    owner, slug = KAGGLE_IDS[name].split("/")
    named = [root / slug, root / owner / slug, root / "datasets" / owner / slug]
    try:
        others = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        others = []
    for folder in [*named, *others]:
        if folder.is_dir() and _looks_like(name, folder):
            return folder
    return None


def missing_data_message(name: str) -> str:
    return (f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]}) is not prepared on this "
            f"machine (no {prepared_dir() / name / 'manifest.json'}). Download and prepare it "
            f"first with `make data` (or `colorization data {name}`), which needs a Kaggle "
            "login (README: 'Getting the real datasets'; none in a Kaggle Notebook with the "
            "dataset attached); or set COLORIZATION_DATA=auto to "
            f"train on the embedded real sample ({EMBEDDED[name]}).")


def resolve(data: str | os.PathLike) -> str:
    """The dataset name :func:`load` would use right now: ``"fruits"``/``"animals"`` become
    their embedded samples (:data:`EMBEDDED`) unless the Kaggle data is used; a folder path
    gives ``"folder"``. Nothing is read."""
    if isinstance(data, str) and data in DATASET_NAMES:
        if data not in KAGGLE_IDS:
            return data
        return data if uses_kaggle(data) else EMBEDDED[data]
    if Path(data).is_dir():
        return "folder"
    raise ValueError(f"unknown dataset {str(data)!r}: use one of {DATASET_NAMES} or a folder")


def _announce_fallback(name: str) -> None:
    if name in _ANNOUNCED:
        return
    _ANNOUNCED.add(name)
    print(
        f"colorization: {name!r} is {EMBEDDED[name]!r} ({_EMBEDDED_ABOUT[name]}), not the "
        f"Kaggle dataset {KAGGLE_IDS[name]}, which is not prepared here. For the full data: "
        "`make data` (needs a Kaggle login; README: 'Getting the real datasets'). "
        "COLORIZATION_DATA=embedded silences this line.",
        file=sys.stderr,
    )


def _resize_all(images: np.ndarray, size: int) -> np.ndarray:
    if images.shape[1] == size and images.shape[2] == size:
        return images
    out = np.empty((len(images), size, size, 3), np.uint8)
    for i, img in enumerate(images):
        out[i] = resize_center_crop(img, size)
    return out


def _subset(n: int, max_images: int | None, seed: int) -> np.ndarray:
    """Indices of the first ``max_images`` of a seeded permutation (sorted), or all."""
    if max_images is None or max_images >= n:
        return np.arange(n)
    perm = np.random.default_rng([seed, 1]).permutation(n)[: max(int(max_images), 0)]
    return np.sort(perm)


@functools.lru_cache(maxsize=4)
def _synthetic_cached(name: str, split: str, n: int, seed: int, size: int):
    gen = synthetic.generate_fruits if name == "synthetic-fruits" else synthetic.generate_animals
    images, labels = gen(n, seed=seed, split=split, size=size)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _load_synthetic(name, split, image_size, max_images, seed) -> ImageSet:
    n = SYNTHETIC_SIZES[split]
    if max_images is not None:
        n = min(n, max(int(max_images), 0))
    # Generated at 100x100 and resized, as for the Kaggle data, so a size change is comparable.
    images, labels = _synthetic_cached(name, split, n, int(seed), IMAGE_SIZE)
    classes = synthetic.FRUIT_CLASSES if name == "synthetic-fruits" else synthetic.ANIMAL_CLASSES
    return ImageSet(
        images=_resize_all(images, image_size).copy(),
        labels=labels.copy(),
        class_names=list(classes),
        names=[f"{split}-{i:05d}" for i in range(n)],
        source=f"{name} (seed {int(seed)})",
        dataset=name,
        split=split,
    )


@functools.lru_cache(maxsize=4)
def _sample_cached(name: str, split: str):
    """The embedded sample ``name``'s ``split`` at its native 100x100, read once."""
    folder = SAMPLES[name][0]
    ds = _load_folder(folder, split, IMAGE_SIZE, None, 0)
    if not len(ds):
        raise FileNotFoundError(
            f"the embedded sample {name} is missing from {folder / split}: reinstall the "
            "package (pip install .) or restore lib/colorization/data/sample_data from git")
    ds.images.setflags(write=False)
    return ds


def _load_sample(name, split, image_size, max_images, seed) -> ImageSet:
    full = _sample_cached(name, split)
    idx = _subset(len(full), max_images, seed)
    return ImageSet(
        images=_resize_all(full.images[idx], image_size).copy(),
        labels=full.labels[idx].copy(),
        class_names=list(full.class_names),
        names=[full.names[i] for i in idx],
        source=SAMPLES[name][1],
        dataset=name,
        split=split,
    )


def spread_indices(labels, n: int, seed: int = 0) -> np.ndarray:
    """``n`` indices drawn across classes (seeded): a shuffled order of the classes, each
    class's images shuffled, then one image of each class in turn. Sorted data (one class
    after another, as prepared folders are) still gives ``min(n, classes)`` classes.
    Unlabelled images (label -1) count as one more group."""
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng([int(seed), 2])
    groups = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    groups = [groups[i] for i in rng.permutation(len(groups))]
    picked: list[int] = []
    for rank in range(max((len(g) for g in groups), default=0)):
        picked.extend(int(g[rank]) for g in groups if rank < len(g))
        if len(picked) >= n:
            break
    return np.array(picked[: max(int(n), 0)], np.int64)


def _load_prepared(name, split, image_size, max_images, seed) -> ImageSet:
    folder = prepared_dir() / name
    images = np.load(folder / f"{split}_images.npy", mmap_mode="r")
    labels = np.load(folder / f"{split}_labels.npy")
    names = json.loads((folder / f"{split}_names.json").read_text())
    classes = json.loads((folder / "classes.json").read_text())
    manifest = json.loads((folder / "manifest.json").read_text())
    idx = _subset(len(images), max_images, seed)
    return ImageSet(
        images=_resize_all(np.asarray(images[idx]), image_size),
        labels=labels[idx].astype(np.int32),
        class_names=list(classes),
        names=[names[i] for i in idx],
        source=f"kaggle {KAGGLE_IDS[name]} ({manifest.get('source', '')})".replace(" ()", ""),
        dataset=name,
        split=split,
    )


def _load_photos(image_size, max_images) -> ImageSet:
    images, names = photos.resized(image_size)
    if max_images is not None:
        images, names = images[: max(int(max_images), 0)], names[: max(int(max_images), 0)]
    return ImageSet(
        images=images,
        labels=np.full(len(images), -1, np.int32),
        class_names=[],
        names=names,
        source="scikit-image sample photographs",
        dataset="photos",
        split="",
    )


#: A folder without ``train``/``test`` folders is split 90:10 by this seed, whatever ``seed``
#: the load is given (``seed`` picks only the ``max_images`` subset).
FOLDER_SPLIT_SEED = 0


def _load_folder(root: Path, split, image_size, max_images, seed) -> ImageSet:
    if split == "all":
        split_root = root
        files = find_images(root)
    elif (root / "train").is_dir() and (root / "test").is_dir():
        split_root = root / split
        files = find_images(split_root)
    else:
        split_root = root
        every = find_images(root)
        n_test = round(0.1 * len(every)) if len(every) >= 2 else 0
        n_test = max(n_test, 1) if len(every) >= 2 else 0
        # one split for every seed: a training's seed never moves test images into training
        perm = np.random.default_rng([FOLDER_SPLIT_SEED, 0]).permutation(len(every))
        chosen = perm[:n_test] if split == "test" else perm[n_test:]
        files = [every[i] for i in sorted(chosen.tolist())]
    rels = [f.relative_to(split_root) for f in files]
    class_names = sorted({r.parts[0] for r in rels if len(r.parts) > 1})
    index = {c: i for i, c in enumerate(class_names)}
    images, labels, names, bad = [], [], [], []
    for i in _subset(len(files), max_images, seed):
        try:
            rgb = read_image(files[i])
        except ImageError as err:
            bad.append(f"{rels[i].as_posix()} ({err})")
            continue
        images.append(resize_center_crop(rgb, image_size))
        labels.append(index[rels[i].parts[0]] if len(rels[i].parts) > 1 else -1)
        names.append(rels[i].as_posix())
    if bad:
        warnings.warn(
            f"skipped {len(bad)} unreadable image(s) under {split_root}, e.g. {bad[0]}",
            stacklevel=3,
        )
    stack = np.stack(images) if images else np.zeros((0, image_size, image_size, 3), np.uint8)
    return ImageSet(
        images=stack,
        labels=np.array(labels, np.int32),
        class_names=class_names,
        names=names,
        source=f"folder {root}",
        dataset="folder",
        split=split,
    )


def _is_named(data) -> bool:
    return isinstance(data, str) and data in DATASET_NAMES


def load(
    data: str | os.PathLike,
    split: str = "train",
    *,
    image_size: int = IMAGE_SIZE,
    max_images: int | None = None,
    seed: int = 0,
) -> ImageSet:
    """Load a dataset split as an :class:`ImageSet` of ``(N, image_size, image_size, 3)`` uint8.

    ``data``: one of :data:`DATASET_NAMES` or a folder of images. ``split``: "train"/"test"
    (ignored by "photos"); for a folder also "all" (every image it holds, unsplit).
    ``max_images``: keep the first ``max_images`` of a seeded permutation (prepared, sample
    and folder data, so a subset has every class), or generate only that many (generated
    data: default 4000 train / 1000 test, ``max_images`` caps it).
    ``image_size``: images are resized (``cv2.INTER_AREA`` when shrinking) from 100x100, or
    resized + centre-cropped for folders and photos. ``"fruits"``/``"animals"`` follow
    ``COLORIZATION_DATA`` (module docstring); nothing is ever downloaded here.
    """
    if split not in SPLITS and not (split == "all" and not _is_named(data)):
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    image_size = int(image_size)
    if _is_named(data):
        if data == "photos":
            return _load_photos(image_size, max_images)
        if data in SAMPLES:
            return _load_sample(data, split, image_size, max_images, seed)
        if data.startswith("synthetic-"):
            return _load_synthetic(data, split, image_size, max_images, seed)
        if not uses_kaggle(data):
            if data_mode() == "auto":
                _announce_fallback(data)
            return _load_sample(EMBEDDED[data], split, image_size, max_images, seed)
        return _load_prepared(data, split, image_size, max_images, seed)
    root = Path(data)
    if not root.is_dir():
        raise ValueError(f"unknown dataset {str(data)!r}: use one of {DATASET_NAMES} or a folder")
    return _load_folder(root, split, image_size, max_images, seed)


def describe(ds: ImageSet) -> str:
    """One line: ``"pets-sample train: 296 real images 100x100, 2 classes (source ...)"``."""
    h, w = (ds.images.shape[1], ds.images.shape[2]) if ds.images.ndim == 4 else (0, 0)
    split = f" {ds.split}" if ds.split else ""
    classes = f"{len(ds.class_names)} classes" if ds.class_names else "unlabelled"
    return (f"{ds.dataset}{split}: {len(ds)} {ds.kind} images {w}x{h}, {classes} "
            f"(source {ds.source})")
