"""Preparation: a downloaded Kaggle zip -> ready arrays under ``prepared_dir()/<name>/``.

A prepared folder holds ``{train,test}_images.npy`` ``(N, 100, 100, 3)`` uint8 RGB,
``{train,test}_labels.npy`` ``(N,)`` int32 (-1 = unknown), ``{train,test}_names.json``,
``classes.json`` and ``manifest.json`` (counts, and every skipped file with its reason). It is
built in a temporary sibling folder and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
import uuid
from pathlib import Path, PurePosixPath

import numpy as np
from tqdm.auto import tqdm

from colorization import fileio
from colorization.archive import safe_extract
from colorization.download import dataset_id, usable_archive
from colorization.images import IMAGE_EXTENSIONS, ImageError, read_image, resize_center_crop
from colorization.paths import prepared_dir, raw_dir

ANIMAL_FOLDERS = {"cane": "dog", "gallina": "chicken", "cavallo": "horse", "gatto": "cat"}
IMAGE_SIZE = 100
MANIFEST_VERSION = 1


def is_prepared(name: str) -> bool:
    """True when ``prepared_dir()/name`` holds a finished preparation."""
    return (prepared_dir() / name / "manifest.json").is_file()


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
                with fileio.atomic_write(tmp / key, "wb") as f:
                    np.save(f, value)
            else:
                fileio.write_json(tmp / key, value)
        fileio.write_json(tmp / "manifest.json", manifest)
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
    source_id = dataset_id(name)
    out = prepared_dir() / name
    if (out / "manifest.json").is_file() and not force:
        return out
    if archive is None:
        archive_path = usable_archive(name)
        source = source_id
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
