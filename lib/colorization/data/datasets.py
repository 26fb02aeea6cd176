"""Datasets by name (:data:`DATASET_NAMES`) or folder, as :class:`ImageSet`.

``"fruits"`` and ``"animals"`` are the paper's Kaggle sets (:data:`KAGGLE_IDS`) once
:mod:`colorization.acquire` has prepared them (``make data``; nothing here downloads), else the
embedded real samples ``"fruits360-sample"`` (1,000 Fruits-360 photos, 8 classes) and
``"pets-sample"`` (370 Oxford-IIIT Pet photos of cats and dogs). ``"synthetic-fruits"`` and
``"synthetic-animals"`` are generated (:mod:`.synthetic`), ``"photos"`` are scikit-image's
(:mod:`.photos`); a folder gives every image under it (its ``train/`` and ``test/`` when both
exist). The data source (:func:`set_source`, from ``COLORIZATION_DATA`` at the command line and
in the notebooks) decides: ``auto`` (default) the Kaggle data if prepared, else the sample,
announced once on stderr; ``kaggle`` the Kaggle data or :class:`MissingDataError`;
``embedded`` always the samples, silently.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from colorization.core.paths import kaggle_input, prepared_dir
from colorization.data import photos, synthetic, synthetic_animals
from colorization.data.images import ImageError, find_images, read_image, resize_center_crop

#: The Kaggle datasets of the paper, by name.
KAGGLE_IDS = {"fruits": "sshikamaru/fruit-recognition", "animals": "alessiocorrado99/animals10"}
#: Side of every prepared and embedded image (the paper's 100x100).
IMAGE_SIZE = 100
_SAMPLE_ROOT = Path(__file__).resolve().parent / "sample_data"
#: The embedded real samples: folder, and the source line of their ImageSet.
SAMPLES = {
    "fruits360-sample": (_SAMPLE_ROOT / "fruits360",
                         "Fruits-360 sample shipped with the package (Muresan & Oltean, "
                         "CC BY-SA 4.0)"),
    "pets-sample": (_SAMPLE_ROOT / "pets",
                    "Oxford-IIIT Pet sample shipped with the package (Parkhi et al., "
                    "CC BY-SA 4.0)"),
}
#: What "fruits" / "animals" mean without the Kaggle data.
EMBEDDED = {"fruits": "fruits360-sample", "animals": "pets-sample"}
_GENERATED = {"synthetic-fruits": (synthetic.generate_fruits, synthetic.FRUIT_CLASSES),
              "synthetic-animals": (synthetic_animals.generate_animals,
                                    synthetic_animals.ANIMAL_CLASSES)}
DATASET_NAMES = ("fruits", "animals", *SAMPLES, *_GENERATED, "photos")
SPLITS = ("train", "test")
SYNTHETIC_SIZES = {"train": 4000, "test": 1000}
SOURCES = ("auto", "kaggle", "embedded")
#: A folder without ``train``/``test`` folders is split 90:10 by this seed, whatever ``seed``
#: the load is given (``seed`` picks only the ``max_images`` subset).
FOLDER_SPLIT_SEED = 0

_source = "auto"
_ANNOUNCED: set[str] = set()


def _checked(value: str) -> str:
    mode = (value or "auto").strip().lower()
    if mode not in SOURCES:
        raise ValueError(f"COLORIZATION_DATA (the data source) must be one of {SOURCES}, "
                         f"got {value!r}")
    return mode


def set_source(value: str) -> None:
    """Choose for this process what ``"fruits"``/``"animals"`` are: one of :data:`SOURCES`."""
    global _source
    _source = _checked(value)


def source() -> str:
    """The process-wide data source (:func:`set_source`; ``"auto"`` by default)."""
    return _source


data_mode = source


def kind_of(dataset: str) -> str:
    """``"generated"`` for the generated datasets, ``"real"`` for photographs."""
    return "generated" if str(dataset).startswith("synthetic-") else "real"


@dataclasses.dataclass
class ImageSet:
    """Same-sized RGB images: ``images`` ``(N, H, W, 3)`` uint8, ``labels`` ``(N,)`` int32
    indices into ``class_names`` (-1 = unknown), ``names`` one id or relative path per image,
    ``source`` its origin in words, ``dataset`` the name actually used (``"pets-sample"`` when
    ``"animals"`` fell back), ``split`` ``"train"``/``"test"`` or ``""``."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    names: list[str]
    source: str
    dataset: str
    split: str = ""

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def kind(self) -> str:
        """``"real"`` or ``"generated"`` (:func:`kind_of`)."""
        return kind_of(self.dataset)


class MissingDataError(RuntimeError):
    """The Kaggle data was asked for (source ``kaggle``) and is not prepared here."""


def is_prepared(name: str) -> bool:
    """Whether ``prepared_dir()/name`` holds a finished preparation (manifest written last)."""
    return (prepared_dir() / name / "manifest.json").is_file()


def uses_kaggle(name: str, source: str | None = None) -> bool:
    """Whether ``"fruits"``/``"animals"`` means the Kaggle data for ``source`` (None: the
    process-wide one). Raises :class:`MissingDataError` for ``kaggle`` when not prepared."""
    mode = _checked(source or _source)
    if mode == "embedded":
        return False
    if is_prepared(name):
        return True
    if mode == "kaggle":
        raise MissingDataError(
            f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]}) is not prepared on this machine "
            f"(no {prepared_dir() / name / 'manifest.json'}). Download and prepare it first "
            f"with `make data` (or `colorization data {name}`), which needs a Kaggle login "
            "(README: 'Getting the real datasets'; none in a Kaggle Notebook with the dataset "
            "attached); or set COLORIZATION_DATA=auto to train on the embedded real sample "
            f"({EMBEDDED[name]}).")
    return False


def _looks_like(name: str, folder: Path) -> bool:
    """Whether the folders two levels deep look like the dataset: fruits has ``train`` and
    ``test``, animals ``raw-img`` or its class folders."""
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
    """The Kaggle dataset ``name`` as attached to a Kaggle Notebook: the folder named after its
    slug under :func:`~colorization.core.paths.kaggle_input` (or ``<owner>/<slug>``,
    ``datasets/<owner>/<slug>``), else any folder there with its layout; ``None`` elsewhere."""
    root = kaggle_input()
    if name not in KAGGLE_IDS or not root.is_dir():
        return None
    owner, slug = KAGGLE_IDS[name].split("/")
    named = [root / slug, root / owner / slug, root / "datasets" / owner / slug]
    try:
        others = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        others = []
    return next((f for f in [*named, *others] if f.is_dir() and _looks_like(name, f)), None)


def _unknown(data) -> ValueError:
    return ValueError(f"unknown dataset {str(data)!r}: use one of {DATASET_NAMES} or a folder")


def resolve(data: str | os.PathLike, source: str | None = None) -> str:
    """The dataset name :func:`load` would use: ``"fruits"``/``"animals"`` become their
    embedded samples unless the Kaggle data is used; a folder gives ``"folder"``. Reads
    nothing."""
    if isinstance(data, str) and data in DATASET_NAMES:
        if data in KAGGLE_IDS and not uses_kaggle(data, source):
            return EMBEDDED[data]
        return data
    if Path(data).is_dir():
        return "folder"
    raise _unknown(data)


def _announce_fallback(name: str) -> None:
    if name in _ANNOUNCED:
        return
    _ANNOUNCED.add(name)
    print(
        f"colorization: {name!r} is {EMBEDDED[name]!r} ({SAMPLES[EMBEDDED[name]][1]}), not the "
        f"Kaggle dataset {KAGGLE_IDS[name]}, which is not prepared here. For the full data: "
        "`make data` (needs a Kaggle login; README: 'Getting the real datasets'). "
        "COLORIZATION_DATA=embedded silences this line.",
        file=sys.stderr,
    )


def _subset(n: int, max_images: int | None, seed: int) -> np.ndarray:
    """Indices of the first ``max_images`` of a seeded permutation (sorted), or all."""
    if max_images is None or max_images >= n:
        return np.arange(n)
    perm = np.random.default_rng([seed, 1]).permutation(n)[: max(int(max_images), 0)]
    return np.sort(perm)


def _take(full: ImageSet, idx, image_size: int) -> ImageSet:
    """Images ``idx`` (an index array: a copy) of ``full``, resized to ``image_size``."""
    images = np.asarray(full.images[idx])
    if images.shape[1:3] != (image_size, image_size):
        images = np.array([resize_center_crop(img, image_size) for img in images], np.uint8)
        images = images.reshape(-1, image_size, image_size, 3)
    return dataclasses.replace(full, images=images, labels=full.labels[idx],
                               class_names=list(full.class_names),
                               names=[full.names[i] for i in idx])


@functools.lru_cache(maxsize=4)
def _generated(name: str, split: str, n: int, seed: int) -> ImageSet:
    # Generated at 100x100 and resized, as for the Kaggle data, so a size change is comparable.
    generate, classes = _GENERATED[name]
    images, labels = generate(n, seed=seed, split=split, size=IMAGE_SIZE)
    images.setflags(write=False)
    return ImageSet(images, labels, list(classes), [f"{split}-{i:05d}" for i in range(n)],
                    f"{name} (seed {seed})", name, split)


@functools.lru_cache(maxsize=4)
def _sample(name: str, split: str) -> ImageSet:
    """The embedded sample ``name``'s ``split`` at its native 100x100, read once."""
    folder, about = SAMPLES[name]
    ds = _load_folder(folder, split, IMAGE_SIZE, None, 0)
    if not len(ds):
        raise FileNotFoundError(
            f"the embedded sample {name} is missing from {folder / split}: reinstall the "
            "package (pip install .) or restore lib/colorization/data/sample_data from git")
    ds.images.setflags(write=False)
    return dataclasses.replace(ds, source=about, dataset=name)


def _prepared(name: str, split: str) -> ImageSet:
    folder = prepared_dir() / name
    manifest = json.loads((folder / "manifest.json").read_text())
    return ImageSet(
        images=np.load(folder / f"{split}_images.npy", mmap_mode="r"),
        labels=np.load(folder / f"{split}_labels.npy").astype(np.int32),
        class_names=json.loads((folder / "classes.json").read_text()),
        names=json.loads((folder / f"{split}_names.json").read_text()),
        source=f"kaggle {KAGGLE_IDS[name]} ({manifest.get('source', '')})".replace(" ()", ""),
        dataset=name,
        split=split,
    )


def spread_indices(labels, n: int, seed: int = 0) -> np.ndarray:
    """``n`` indices drawn across classes (seeded): a shuffled order of the classes, each
    class's images shuffled, then one image of each class in turn, so data sorted by class
    still gives ``min(n, classes)`` classes. Unlabelled images (-1) are one more group."""
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


def _load_folder(root: Path, split, image_size, max_images, seed) -> ImageSet:
    split_root = root
    if split == "all":
        files = find_images(root)
    elif (root / "train").is_dir() and (root / "test").is_dir():
        split_root = root / split
        files = find_images(split_root)
    else:
        every = find_images(root)
        n_test = max(round(0.1 * len(every)), 1) if len(every) >= 2 else 0
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
        warnings.warn(f"skipped {len(bad)} unreadable image(s) under {split_root}, e.g. "
                      f"{bad[0]}", stacklevel=3)
    stack = np.stack(images) if images else np.zeros((0, image_size, image_size, 3), np.uint8)
    return ImageSet(stack, np.array(labels, np.int32), class_names, names, f"folder {root}",
                    "folder", split)


def load(data: str | os.PathLike, split: str = "train", *, image_size: int = IMAGE_SIZE,
         max_images: int | None = None, seed: int = 0, source: str | None = None) -> ImageSet:
    """A dataset split as an :class:`ImageSet` of ``(N, image_size, image_size, 3)`` uint8.

    ``data``: one of :data:`DATASET_NAMES` or a folder. ``split``: "train"/"test" (ignored by
    "photos"); for a folder also "all" (unsplit). ``max_images``: the first ``max_images`` of
    a seeded permutation (so a subset has every class), or for generated data that many
    generated (default 4000 train / 1000 test). Images are resized from 100x100, or resized
    and centre-cropped for folders and photos. ``source``: what ``"fruits"``/``"animals"``
    are (None: the process-wide :func:`source`).
    """
    named = isinstance(data, str) and data in DATASET_NAMES
    if split not in SPLITS and not (split == "all" and not named):
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    image_size = int(image_size)
    if not named:
        if not Path(data).is_dir():
            raise _unknown(data)
        return _load_folder(Path(data), split, image_size, max_images, seed)
    if data == "photos":
        images, names = photos.resized(image_size)
        keep = slice(None) if max_images is None else slice(max(int(max_images), 0))
        return ImageSet(images[keep], np.full(len(images[keep]), -1, np.int32), [],
                        names[keep], "scikit-image sample photographs", "photos")
    if data in _GENERATED:
        n = SYNTHETIC_SIZES[split]
        n = n if max_images is None else min(n, max(int(max_images), 0))
        return _take(_generated(data, split, n, int(seed)), np.arange(n), image_size)
    if data in KAGGLE_IDS and uses_kaggle(data, source):
        full = _prepared(data, split)
    else:
        if data in KAGGLE_IDS:
            if _checked(source or _source) == "auto":
                _announce_fallback(data)
            data = EMBEDDED[data]
        full = _sample(data, split)
    return _take(full, _subset(len(full), max_images, seed), image_size)


def describe(ds: ImageSet) -> str:
    """One line: ``"pets-sample train: 296 real images 100x100, 2 classes (source ...)"``."""
    h, w = (ds.images.shape[1], ds.images.shape[2]) if ds.images.ndim == 4 else (0, 0)
    split = f" {ds.split}" if ds.split else ""
    classes = f"{len(ds.class_names)} classes" if ds.class_names else "unlabelled"
    return (f"{ds.dataset}{split}: {len(ds)} {ds.kind} images {w}x{h}, {classes} "
            f"(source {ds.source})")
