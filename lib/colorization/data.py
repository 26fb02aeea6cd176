"""Datasets: the paper's two Kaggle sets, the embedded synthetic default, photos, any folder.

=====================  ===================================================================
``load(name)``         what it gives
=====================  ===================================================================
``"fruits"``           Kaggle ``sshikamaru/fruit-recognition`` (Fruits-360 style, 100x100)
``"animals"``          Kaggle ``alessiocorrado99/animals10``: dogs, chickens, horses, cats,
                       resized + centre-cropped to 100x100
``"synthetic-fruits"`` procedural fruits on white (:mod:`colorization.synthetic`)
``"synthetic-animals"`` procedural animal scenes
``"photos"``           scikit-image's colour photographs (the "never seen" images)
a folder path          every image under it (``train/`` and ``test/`` used when both exist)
=====================  ===================================================================

Environment variable ``COLORIZATION_DATA`` chooses what ``"fruits"`` and ``"animals"`` mean:

- ``auto`` (default): the prepared Kaggle data if present; else download and prepare it when a
  Kaggle API token exists; else the synthetic stand-in, announced once per process on stderr;
- ``kaggle``: the real data or an error (:class:`MissingTokenError` without a token);
- ``synthetic``: always the synthetic stand-in (no network, no message).

Downloads go to ``raw_dir()/<name>/`` and prepared arrays to ``prepared_dir()/<name>/`` (see
:mod:`colorization.paths`; ``COLORIZATION_DATA_DIR`` moves both). A prepared folder holds
``{train,test}_images.npy`` ``(N, 100, 100, 3)`` uint8 RGB, ``{train,test}_labels.npy``
``(N,)`` int32 (-1 = unknown), ``{train,test}_names.json``, ``classes.json`` and
``manifest.json`` (counts, and every skipped file with its reason).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import shutil
import stat
import sys
import tempfile
import uuid
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from . import synthetic
from .archive import ArchiveError, safe_extract
from .images import IMAGE_EXTENSIONS, ImageError, find_images, read_image, resize_center_crop
from .paths import prepared_dir, raw_dir

DATASET_NAMES = ("fruits", "animals", "synthetic-fruits", "synthetic-animals", "photos")
KAGGLE_IDS = {"fruits": "sshikamaru/fruit-recognition", "animals": "alessiocorrado99/animals10"}
ANIMAL_FOLDERS = {"cane": "dog", "gallina": "chicken", "cavallo": "horse", "gatto": "cat"}
IMAGE_SIZE = 100
SPLITS = ("train", "test")
SYNTHETIC_SIZES = {"train": 4000, "test": 1000}
DATA_MODES = ("auto", "kaggle", "synthetic")
MANIFEST_VERSION = 1

_ANNOUNCED: set[str] = set()


@dataclass
class ImageSet:
    """A set of same-sized RGB images.

    ``images``: ``(N, H, W, 3)`` uint8 RGB in 0..255; ``labels``: ``(N,)`` int32 indices into
    ``class_names`` (-1 = unknown); ``names``: one id or relative path per image; ``source``:
    human-readable origin; ``dataset``: the effective dataset name (e.g. ``"synthetic-fruits"``
    when ``"fruits"`` fell back); ``split``: ``"train"`` / ``"test"`` (or ``""``).
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


# --------------------------------------------------------------------------- Kaggle token


class MissingTokenError(RuntimeError):
    """No Kaggle API token: the message says how to create one, or to use the synthetic data."""


def _missing_token_message(name: str | None = None) -> str:
    what = f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]})" if name in KAGGLE_IDS else "Kaggle"
    return (
        f"Downloading {what} needs a Kaggle API token, and none was found. Create one at "
        "kaggle.com -> Settings -> API -> Create New Token, save the downloaded file as "
        "~/.kaggle/kaggle.json and run `chmod 600 ~/.kaggle/kaggle.json` (or set the "
        "environment variables KAGGLE_USERNAME and KAGGLE_KEY), then run `make data`. "
        "Or set COLORIZATION_DATA=synthetic to use the embedded default (procedural images, "
        "no download)."
    )


def _kaggle_config_files() -> list[Path]:
    """Where the kaggle package looks for ``kaggle.json`` (and kaggle 2.x's ``access_token``)."""
    env = os.environ.get("KAGGLE_CONFIG_DIR")
    if env:
        return [Path(env).expanduser() / "kaggle.json"]
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "kaggle"
    return [
        home / ".kaggle" / "kaggle.json",
        xdg / "kaggle.json",
        home / ".kaggle" / "access_token",
    ]


def kaggle_token_source() -> str | None:
    """Where a Kaggle API token would come from, without reading or printing it.

    ``"environment"`` when ``KAGGLE_USERNAME`` and ``KAGGLE_KEY`` (or kaggle 2.x's
    ``KAGGLE_API_TOKEN``) are set; else the path of ``kaggle.json`` (``$KAGGLE_CONFIG_DIR`` or
    ``~/.kaggle``, or ``~/.config/kaggle``) or ``~/.kaggle/access_token``; else ``None``.
    Warns when the file is readable by group or others.
    """
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "environment"
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "environment"
    for path in _kaggle_config_files():
        if path.is_file():
            try:
                mode = path.stat().st_mode
            except OSError:
                continue
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                warnings.warn(
                    f"{path} is readable by other users; run `chmod 600 {path}`", stacklevel=2
                )
            return str(path)
    return None


# --------------------------------------------------------------------------- download


def _zip_ok(path: Path) -> bool:
    """True when ``path`` is a complete zip whose every member passes its CRC check."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _kaggle_download(kaggle_id: str, folder: Path) -> Path:
    """The one network call: download ``kaggle_id`` as a zip into ``folder``; return its path.

    ``kaggle.api.kaggle_api_extended`` is imported here, never at module import (``import
    kaggle`` authenticates on import). Tests replace this function.
    """
    from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    try:
        api.authenticate()
    except SystemExit as err:  # the kaggle package exits when it finds no credentials
        raise MissingTokenError(_missing_token_message()) from err
    api.dataset_download_files(kaggle_id, path=str(folder), quiet=False, unzip=False)
    zips = sorted(folder.glob("*.zip"))
    if not zips:
        raise ArchiveError(f"the Kaggle download of {kaggle_id} produced no zip file")
    return zips[0]


class DownloadError(RuntimeError):
    """The Kaggle download failed (network, refused token, quota); the message says which."""


def _secrets() -> list[str]:
    """Kaggle token values that must never appear in a message, log or report."""
    values = [os.environ.get(v, "") for v in ("KAGGLE_KEY", "KAGGLE_API_TOKEN")]
    for path in _kaggle_config_files():
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError):
            continue
        try:
            values.append(str(json.loads(text).get("key", "")))
        except (ValueError, AttributeError):
            values.append(text.strip())
    return [v for v in values if len(v) >= 4]


def redact(text: str) -> str:
    """``text`` with every Kaggle token value replaced by ``***``."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def _check_name(name: str) -> str:
    if name not in KAGGLE_IDS:
        raise ValueError(f"not a Kaggle dataset: {name!r}; expected one of {tuple(KAGGLE_IDS)}")
    return KAGGLE_IDS[name]


def download(name: str, dest: str | os.PathLike | None = None) -> Path:
    """Download the Kaggle dataset ``name`` ("fruits" / "animals"); return the zip's path.

    The zip lands in ``dest`` (default ``raw_dir()/name``) as ``<dataset-slug>.zip``, renamed
    there only once complete and CRC-checked; a damaged download is deleted and fetched once
    more. An existing good zip is reused; a damaged one (a download that was cut off) is
    deleted and fetched again, never used. Raises :class:`MissingTokenError` without a token
    and :class:`DownloadError` when the download fails (the token is never in its message).
    """
    kaggle_id = _check_name(name)
    dest = Path(dest) if dest is not None else raw_dir() / name
    final = dest / f"{kaggle_id.split('/')[1]}.zip"
    if final.is_file():
        if _zip_ok(final):
            return final
        final.unlink()
    if kaggle_token_source() is None:
        raise MissingTokenError(_missing_token_message(name))
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob(".download-*"):  # left by a process that was killed mid-download
        shutil.rmtree(stale, ignore_errors=True)
    for _attempt in range(2):
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=dest))
        try:
            try:
                got = _kaggle_download(kaggle_id, tmp)
            except (MissingTokenError, ArchiveError):
                raise
            except Exception as err:  # noqa: BLE001 - network, HTTP and kaggle errors alike
                raise DownloadError(redact(
                    f"could not download {kaggle_id} from Kaggle ({type(err).__name__}: "
                    f"{err}). Check the network connection and that the Kaggle token is "
                    "valid, then run `make data` again; or set COLORIZATION_DATA=synthetic."
                )) from None  # the chained error could carry the request and its token
            if _zip_ok(got):
                os.replace(got, final)
                return final
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    raise ArchiveError(
        f"the download of {kaggle_id} was damaged twice; check the connection and disk space, "
        "then try again"
    )


# --------------------------------------------------------------------------- prepare


def _find_archive(name: str) -> Path | None:
    """The downloaded zip of ``name`` under ``raw_dir()``, if any (not checked here)."""
    folder = raw_dir() / name
    preferred = folder / f"{KAGGLE_IDS[name].split('/')[1]}.zip"
    if preferred.is_file():
        return preferred
    zips = sorted(folder.glob("*.zip")) if folder.is_dir() else []
    return zips[0] if zips else None


def _usable_archive(name: str) -> Path:
    """A complete, CRC-checked zip of ``name``: the downloaded one, or a fresh download.

    A damaged download (cut off by a kill or a lost connection) is never extracted:
    :func:`download` deletes it and fetches the dataset again. Another zip placed in the
    folder by hand is used only when it is complete.
    """
    found = _find_archive(name)
    if found is not None and _zip_ok(found):
        return found
    if found is not None and found.name != f"{KAGGLE_IDS[name].split('/')[1]}.zip":
        warnings.warn(f"{found} is damaged or incomplete; downloading {name} again", stacklevel=3)
    return download(name)


def _all_files(root: Path) -> list[str]:
    """Every regular file under ``root`` as a sorted relative posix path."""
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if p.is_file() and not p.is_symlink():
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def _fruit_role(rel: str) -> tuple[str, str | None] | str:
    """("train", class) / ("test", None) for a fruits file, or a reason to skip it."""
    parts = PurePosixPath(rel).parts
    lower = [p.lower() for p in parts[:-1]]
    for role in ("train", "test"):
        if role in lower:
            k = len(lower) - 1 - lower[::-1].index(role)  # innermost train/ or test/
            if role == "test":
                return ("test", None)
            if k + 2 >= len(parts):
                return "in train/ but not in a class folder"
            return ("train", parts[k + 1])
    return "outside the train/ and test/ folders"


def _animal_role(rel: str) -> tuple[str, str] | str | None:
    """("all", class) for an animals file, ``None`` for another animal's folder, or a reason."""
    parts = PurePosixPath(rel).parts
    folders = [p.lower() for p in parts[:-1]]
    english = {v: v for v in ANIMAL_FOLDERS.values()}
    for p in reversed(folders):
        if p in ANIMAL_FOLDERS:
            return ("all", ANIMAL_FOLDERS[p])
        if p in english:
            return ("all", p)
    if "raw-img" in folders and folders[-1] != "raw-img":
        return None  # ragno, farfalla, ...: not one of the paper's four classes
    return "not in one of the class folders raw-img/{cane,gallina,cavallo,gatto}"


def _read_for(dataset: str, path: Path) -> np.ndarray | str:
    """A ``(100, 100, 3)`` uint8 image for ``dataset``, or the reason to skip the file."""
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        return f"not an image: {path.suffix.lower() or '(no extension)'}"
    try:
        rgb = read_image(path)
    except ImageError as err:
        return str(err)
    h, w = rgb.shape[:2]
    if dataset == "animals" and min(h, w) < IMAGE_SIZE:
        return f"smaller than the {IMAGE_SIZE}x{IMAGE_SIZE} crop ({w}x{h})"
    return resize_center_crop(rgb, IMAGE_SIZE)  # fruits are 100x100 already; others resized


def _split_counts(n: int, n_train: int, n_test: int) -> tuple[int, int]:
    if n >= n_train + n_test:
        return n_train, n_test
    test = round(n * n_test / max(n_train + n_test, 1))
    if n >= 2 and n_test > 0:
        test = max(test, 1)
    return n - test, test


def _write_prepared(out: Path, arrays: dict, manifest: dict) -> None:
    """Write a prepared folder atomically: build a temporary sibling, then rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for key, value in arrays.items():
            if key.endswith(".npy"):
                np.save(tmp / key, value)
            else:
                (tmp / key).write_text(json.dumps(value, indent=1))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _progress(items, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return items
    return tqdm(items, desc=desc, disable=None, leave=False)


def prepare(
    name: str,
    archive: str | os.PathLike | None = None,
    *,
    force: bool = False,
    seed: int = 0,
    n_train: int = 11000,
    n_test: int = 1000,
) -> Path:
    """Turn the Kaggle zip of ``name`` into ready arrays under ``prepared_dir()/name``.

    ``archive`` defaults to the downloaded zip (downloaded now if absent or damaged). The zip is
    extracted safely into a temporary folder under ``raw_dir()`` (deleted afterwards), every
    image is read with :func:`~colorization.images.read_image`, and:

    - fruits: labelled train images from the class folders under the (innermost) folder named
      ``train``; test images from under ``test`` with label -1 (the Kaggle test set is
      unlabelled). Images that are not 100x100 are resized + centre-cropped to 100x100 (kept).
      ``n_train``/``n_test`` are not used: every image is kept.
    - animals: only ``cane``/``gallina``/``cavallo``/``gatto`` (dog, chicken, horse, cat) at
      any depth; other ``raw-img`` folders are ignored (counted in ``manifest["ignored"]``).
      Images smaller than 100 on the shorter side are skipped, the rest resized + centre-
      cropped to 100x100, then a seeded shuffle gives ``n_train`` train and ``n_test`` test
      images (split 11:1 proportionally when there are fewer).

    ``manifest.json``: ``counts = {found, kept, skipped, train, test, ...}`` with
    ``kept + skipped == found`` and ``skipped`` listing ``{file, reason}`` for every file not
    used (archive entries refused by :func:`~colorization.archive.safe_extract` included).
    Returns the prepared folder; an existing one is returned as is unless ``force``.
    """
    kaggle_id = _check_name(name)
    out = prepared_dir() / name
    if (out / "manifest.json").is_file() and not force:
        return out
    if archive is None:
        archive_path = _usable_archive(name)
        source = kaggle_id
    else:
        archive_path = Path(archive)
        source = archive_path.name
    raw_dir().mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".extract-{name}-", dir=raw_dir()))
    try:
        skipped = safe_extract(archive_path, work)
        n_refused = len(skipped)
        files = _all_files(work)
        ignored: dict[str, int] = {}
        candidates = []  # (rel, role, class)
        for rel in files:
            role = _fruit_role(rel) if name == "fruits" else _animal_role(rel)
            if role is None:
                folder = PurePosixPath(rel).parent.name
                ignored[folder] = ignored.get(folder, 0) + 1
            elif PurePosixPath(rel).suffix.lower() not in IMAGE_EXTENSIONS:
                suffix = PurePosixPath(rel).suffix.lower() or "(no extension)"
                skipped.append({"file": rel, "reason": f"not an image: {suffix}"})
            elif isinstance(role, str):
                skipped.append({"file": rel, "reason": role})
            else:
                candidates.append((rel, role[0], role[1]))
        # every archive entry except other animals' folders: extracted files + refused entries
        found = len(files) - sum(ignored.values()) + n_refused
        images = np.empty((len(candidates), IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
        kept = []  # (index into images, rel, role, class)
        for rel, role, cls in _progress(candidates, f"reading {name}"):
            result = _read_for(name, work / rel)
            if isinstance(result, str):
                skipped.append({"file": rel, "reason": result})
                continue
            images[len(kept)] = result
            kept.append((rel, role, cls))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if name == "fruits":
        class_names = sorted({c for _r, role, c in kept if role == "train"})
        train_idx = [i for i, k in enumerate(kept) if k[1] == "train"]
        test_idx = [i for i, k in enumerate(kept) if k[1] == "test"]
    else:
        class_names = list(ANIMAL_FOLDERS.values())
        n_tr, n_te = _split_counts(len(kept), n_train, n_test)
        perm = np.random.default_rng(seed).permutation(len(kept))
        train_idx = sorted(perm[:n_tr].tolist())
        test_idx = sorted(perm[n_tr : n_tr + n_te].tolist())
    index = {c: i for i, c in enumerate(class_names)}

    def pack(idx):
        labels = np.array([index.get(kept[i][2], -1) for i in idx], np.int32)
        return images[idx], labels, [kept[i][0] for i in idx]

    tr_img, tr_lab, tr_names = pack(train_idx)
    te_img, te_lab, te_names = pack(test_idx)
    counts = {
        "found": found,
        "kept": len(kept),
        "skipped": len(skipped),
        "train": len(train_idx),
        "test": len(test_idx),
        "unused": len(kept) - len(train_idx) - len(test_idx),
        "ignored": sum(ignored.values()),
    }
    manifest = {
        "dataset": name,
        "source": source,
        "seed": int(seed),
        "image_size": IMAGE_SIZE,
        "classes": class_names,
        "counts": counts,
        "ignored": ignored,
        "skipped": skipped,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "version": MANIFEST_VERSION,
    }
    arrays = {
        "train_images.npy": tr_img,
        "train_labels.npy": tr_lab,
        "test_images.npy": te_img,
        "test_labels.npy": te_lab,
        "train_names.json": tr_names,
        "test_names.json": te_names,
        "classes.json": class_names,
    }
    _write_prepared(out, arrays, manifest)
    return out


# --------------------------------------------------------------------------- load


def _data_mode() -> str:
    mode = (os.environ.get("COLORIZATION_DATA") or "auto").strip().lower()
    if mode not in DATA_MODES:
        raise ValueError(f"COLORIZATION_DATA must be one of {DATA_MODES}, got {mode!r}")
    return mode


def _is_prepared(name: str) -> bool:
    return (prepared_dir() / name / "manifest.json").is_file()


def resolve(data: str | os.PathLike) -> str:
    """The dataset name :func:`load` would use right now (nothing is downloaded).

    ``"fruits"``/``"animals"`` become ``"synthetic-fruits"``/``"synthetic-animals"`` under
    ``COLORIZATION_DATA=synthetic``, or under ``auto`` when neither prepared data, a downloaded
    zip nor a Kaggle token exists. A folder path gives ``"folder"``.
    """
    if isinstance(data, str) and data in DATASET_NAMES:
        if data not in KAGGLE_IDS:
            return data
        mode = _data_mode()
        if mode == "synthetic":
            return f"synthetic-{data}"
        if mode == "kaggle":
            return data
        usable = _is_prepared(data) or _find_archive(data) is not None
        if usable or kaggle_token_source() is not None:
            return data
        return f"synthetic-{data}"
    if Path(data).is_dir():
        return "folder"
    raise ValueError(f"unknown dataset {str(data)!r}: use one of {DATASET_NAMES} or a folder")


def _announce_fallback(name: str) -> None:
    if name in _ANNOUNCED:
        return
    _ANNOUNCED.add(name)
    print(
        f"colorization: the Kaggle dataset {name!r} ({KAGGLE_IDS[name]}) is not prepared here "
        "and no Kaggle API token was found, so the embedded default "
        f"'synthetic-{name}' (procedural images, no download) is used instead. To get the "
        "real data: create a token at kaggle.com -> Settings -> API -> Create New Token, "
        "save it as ~/.kaggle/kaggle.json (chmod 600) or set KAGGLE_USERNAME and KAGGLE_KEY, "
        "then run `make data`. Set COLORIZATION_DATA=synthetic to use the default silently.",
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
    images, names = synthetic.photos(image_size)
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
        perm = np.random.default_rng([seed, 0]).permutation(len(every))
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
    ``max_images``: keep the first ``max_images`` of a seeded permutation (prepared and
    folder data, so a subset has every class), or generate only that many (synthetic data:
    default 4000 train / 1000 test, ``max_images`` caps it).
    ``image_size``: images are resized (``cv2.INTER_AREA`` when shrinking) from 100x100, or
    resized + centre-cropped for folders and photos. See the module docstring for
    ``COLORIZATION_DATA``.
    """
    if split not in SPLITS and not (split == "all" and not _is_named(data)):
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    image_size = int(image_size)
    if isinstance(data, str) and data in DATASET_NAMES:
        if data == "photos":
            return _load_photos(image_size, max_images)
        if data.startswith("synthetic-"):
            return _load_synthetic(data, split, image_size, max_images, seed)
        mode = _data_mode()
        name = data
        if mode == "synthetic":
            name = f"synthetic-{data}"
        elif not _is_prepared(data):
            can_prepare = _find_archive(data) is not None or kaggle_token_source() is not None
            if mode == "kaggle" or can_prepare:
                prepare(data)  # raises MissingTokenError without a token (kaggle mode)
            else:
                _announce_fallback(data)
                name = f"synthetic-{data}"
        if name.startswith("synthetic-"):
            return _load_synthetic(name, split, image_size, max_images, seed)
        return _load_prepared(name, split, image_size, max_images, seed)
    root = Path(data)
    if not root.is_dir():
        raise ValueError(f"unknown dataset {str(data)!r}: use one of {DATASET_NAMES} or a folder")
    return _load_folder(root, split, image_size, max_images, seed)


def describe(ds: ImageSet) -> str:
    """One line: ``"synthetic-fruits train: 4000 images 100x100, 8 classes (source ...)"``."""
    h, w = (ds.images.shape[1], ds.images.shape[2]) if ds.images.ndim == 4 else (0, 0)
    split = f" {ds.split}" if ds.split else ""
    classes = f"{len(ds.class_names)} classes" if ds.class_names else "unlabelled"
    return f"{ds.dataset}{split}: {len(ds)} images {w}x{h}, {classes} (source {ds.source})"
