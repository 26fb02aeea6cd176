"""Preparation: a Kaggle archive (or the extracted dataset) -> ready arrays in ``prepared_dir()``.

A prepared folder holds ``{train,test}_images.npy`` ``(N, 100, 100, 3)`` uint8 RGB,
``{train,test}_labels.npy`` ``(N,)`` int32 (-1 = unknown), ``{train,test}_names.json``,
``classes.json`` and ``manifest.json`` (counts, every skipped file with its reason, warnings).
It is written as a temporary sibling and renamed into place, so no reader sees half of one.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import sys
import uuid
from pathlib import Path, PurePosixPath

import numpy as np
from tqdm import tqdm  # plain text bars: no widget library needed in notebooks

from colorization.acquire.archive import ArchiveError, extraction_folder, safe_extract
from colorization.acquire.download import dataset_id, usable_archive
from colorization.core import fileio
from colorization.core.paths import prepared_dir, raw_dir
from colorization.data.datasets import IMAGE_SIZE, attached, is_prepared
from colorization.data.images import IMAGE_EXTENSIONS, ImageError, read_image, resize_center_crop

ANIMAL_FOLDERS = {"cane": "dog", "gallina": "chicken", "cavallo": "horse", "gatto": "cat"}
_ANIMAL_CLASSES = frozenset(ANIMAL_FOLDERS.values())  # folders named in English are taken too

#: what each Kaggle archive holds, as named in the message refusing another archive
EXPECTED_LAYOUT = {
    "fruits": "train/train/<Class>/*.jpg (one folder per fruit) and test/test/NNNN.jpg",
    "animals": "raw-img/<Italian class name>/*.jpeg, with raw-img/cane, raw-img/gallina, "
               "raw-img/cavallo and raw-img/gatto among the folders",
}
#: images kept from the published datasets; counts outside COUNT_RANGE times these are warned
EXPECTED_COUNTS = {"fruits": {"train": 16_854, "test": 5_641}, "animals": {"kept": 12_000}}
COUNT_RANGE = (0.5, 1.5)


class WrongArchiveError(ArchiveError):
    """The archive is not the dataset it was given for (or nothing in it could be used)."""


def _fruit_role(rel: str) -> tuple[str, str | None] | str:
    """("train", class) / ("test", None) for a fruits file, or a reason to skip it."""
    parts = PurePosixPath(rel).parts
    lower = [p.lower() for p in parts[:-1]]
    if "train" in lower:
        k = len(lower) - 1 - lower[::-1].index("train")  # the innermost train/
        if k + 2 < len(parts):
            return ("train", parts[k + 1])
        return "in train/ but not in a class folder"
    return ("test", None) if "test" in lower else "outside the train/ and test/ folders"


def _animal_role(rel: str) -> tuple[str, str] | str | None:
    """("all", class) for an animals file, ``None`` for another animal's folder, or a reason."""
    folders = [p.lower() for p in PurePosixPath(rel).parts[:-1]]
    for p in reversed(folders):
        if p in ANIMAL_FOLDERS or p in _ANIMAL_CLASSES:
            return ("all", ANIMAL_FOLDERS.get(p, p))
    if "raw-img" in folders and folders[-1] != "raw-img":
        return None  # ragno, farfalla, ...: not one of the paper's four classes
    return "not in one of the class folders raw-img/{cane,gallina,cavallo,gatto}"


def _wrong_archive(name: str, archive: Path, files: list[str]) -> WrongArchiveError:
    sample = ", ".join(repr(f) for f in files[:3]) or "no files at all"
    return WrongArchiveError(
        f"{archive} is not the Kaggle dataset {name!r} ({dataset_id(name)}): expected "
        f"{EXPECTED_LAYOUT[name]}, but it holds {len(files)} files such as {sample}. "
        f"Nothing was prepared. Give the archive downloaded from "
        f"https://www.kaggle.com/datasets/{dataset_id(name)} (`colorization data {name} "
        "--archive PATH`), or run `make data` to download it."
    )


def _read_for(dataset: str, path: Path) -> np.ndarray | str:
    """A ``(100, 100, 3)`` uint8 image for ``dataset``, or the reason to skip the file."""
    try:
        rgb = read_image(path)
    except ImageError as err:
        return str(err)
    h, w = rgb.shape[:2]
    if dataset == "animals" and min(h, w) < IMAGE_SIZE:
        return f"smaller than the {IMAGE_SIZE}x{IMAGE_SIZE} crop ({w}x{h})"
    return resize_center_crop(rgb, IMAGE_SIZE)  # fruits are 100x100 already; others resized


class _Scan:
    """The files of one archive or folder for dataset ``name``: which are read, the images
    kept, and every file skipped (with its reason) or ignored (other animals, by folder)."""

    def __init__(self, name: str, source: Path):
        self.name, self.source = name, source
        self.todo: list[tuple[str, str, str | None]] = []  # (rel, role, class): to read
        self.kept = []  # those read
        self.skipped: list[dict] = []
        self.ignored: dict[str, int] = {}

    def choose(self, files: list[str]) -> list[str]:
        """Record the files not used and return those to read; :class:`WrongArchiveError`
        when they lack the dataset's layout (:data:`EXPECTED_LAYOUT`)."""
        role_of = _fruit_role if self.name == "fruits" else _animal_role
        for rel in files:
            role, suffix = role_of(rel), PurePosixPath(rel).suffix.lower()
            if role is None:
                folder = PurePosixPath(rel).parent.name
                self.ignored[folder] = self.ignored.get(folder, 0) + 1
            elif suffix not in IMAGE_EXTENSIONS:
                reason = f"not an image: {suffix or '(no extension)'}"
                self.skipped.append({"file": rel, "reason": reason})
            elif isinstance(role, str):
                self.skipped.append({"file": rel, "reason": role})
            else:
                self.todo.append((rel, *role))
        roles = {role for _rel, role, _cls in self.todo}
        if not roles >= ({"train", "test"} if self.name == "fruits" else {"all"}):
            raise _wrong_archive(self.name, self.source, files)
        return [rel for rel, _role, _cls in self.todo]

    def read(self, root: Path, scratch: bool) -> None:
        """Decode the chosen files under ``root`` (one missing was refused by the archive
        checks, which recorded it); ``scratch``: each is removed once decoded."""
        self.images = np.empty((len(self.todo), IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
        for rel, role, cls in tqdm(self.todo, f"reading {self.name}", disable=None, leave=False):
            path = root / rel
            if not path.is_file():
                continue
            try:
                result = _read_for(self.name, path)
            finally:
                if scratch:
                    path.unlink(missing_ok=True)
            if isinstance(result, str):
                self.skipped.append({"file": rel, "reason": result})
            else:
                self.images[len(self.kept)] = result
                self.kept.append((rel, role, cls))
        self.images = self.images[: len(self.kept)]


def _split(scan: _Scan, seed: int, n_train: int, n_test: int) -> tuple[list, list, list]:
    """``(class_names, train_idx, test_idx)``, indices into ``scan.kept``: fruits by folder,
    animals by a seeded shuffle, in proportion when there are fewer than asked (at least one
    test image out of two). Raises :class:`WrongArchiveError` when no (train) image was kept."""
    kept, name = scan.kept, scan.name
    if name == "fruits":
        class_names = sorted({c for _rel, role, c in kept if role == "train"})
        train_idx = [i for i, k in enumerate(kept) if k[1] == "train"]
        test_idx = [i for i, k in enumerate(kept) if k[1] == "test"]
    else:
        class_names = list(ANIMAL_FOLDERS.values())
        n_tr, n_te = n_train, n_test
        if len(kept) < n_train + n_test:
            n_te = round(len(kept) * n_test / max(n_train + n_test, 1))
            n_te = max(n_te, 1) if len(kept) >= 2 and n_test > 0 else n_te
            n_tr = len(kept) - n_te
        perm = np.random.default_rng(seed).permutation(len(kept))
        train_idx = sorted(perm[:n_tr].tolist())
        test_idx = sorted(perm[n_tr : n_tr + n_te].tolist())
    if not train_idx:
        reasons = sorted({s["reason"] for s in scan.skipped})[:3]
        raise WrongArchiveError(
            f"{scan.source}: no usable {'training ' if name == 'fruits' else ''}image of the "
            f"dataset {name!r} in it ({len(kept)} kept of {len(kept) + len(scan.skipped)} "
            f"files; reasons such as {'; '.join(reasons) or 'none'}). Nothing was prepared. "
            f"Expected {EXPECTED_LAYOUT[name]}."
        )
    return class_names, train_idx, test_idx


def _prepared_files(scan: _Scan, source: str, seed: int, class_names: list[str],
                    train_idx: list[int], test_idx: list[int]) -> dict:
    """The files of the prepared folder, by name. Counts outside :data:`COUNT_RANGE` times the
    published ones are warned about, in the manifest and on stderr."""
    index = {c: i for i, c in enumerate(class_names)}
    out = {"classes.json": class_names}
    for split, idx in (("train", train_idx), ("test", test_idx)):
        out[f"{split}_images.npy"] = scan.images[idx]
        out[f"{split}_labels.npy"] = np.array(
            [index.get(scan.kept[i][2], -1) for i in idx], np.int32)
        out[f"{split}_names.json"] = [scan.kept[i][0] for i in idx]
    kept, train, test = len(scan.kept), len(train_idx), len(test_idx)
    counts = {"found": kept + len(scan.skipped), "kept": kept, "skipped": len(scan.skipped),
              "train": train, "test": test, "unused": kept - train - test,
              "ignored": sum(scan.ignored.values())}
    low, high = COUNT_RANGE
    what = {"train": "train images", "test": "test images", "kept": "images of the four classes"}
    notes = [f"{scan.name}: {counts[key]:,} {what[key]} kept, far from the {expected:,} of the "
             f"Kaggle dataset {dataset_id(scan.name)} (outside {low:.0%}-{high:.0%}); check "
             "that the archive is the complete, original download"
             for key, expected in EXPECTED_COUNTS[scan.name].items()
             if not low * expected <= counts[key] <= high * expected]
    for note in notes:
        print(f"warning: {note}", file=sys.stderr, flush=True)
    out["manifest.json"] = {
        "dataset": scan.name, "source": source, "seed": int(seed), "image_size": IMAGE_SIZE,
        "classes": class_names, "counts": counts, "expected": EXPECTED_COUNTS[scan.name],
        "warnings": notes, "ignored": scan.ignored, "skipped": scan.skipped,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "version": 1,
    }
    return out


def _write_prepared(out: Path, files: dict) -> None:
    """Write the prepared folder ``out`` as a temporary sibling, then rename it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp, old = out.parent / f".{out.name}.tmp-{tag}", out.parent / f".{out.name}.old-{tag}"
    tmp.mkdir()
    try:
        for key, value in files.items():
            if key.endswith(".npy"):
                with fileio.atomic_write(tmp / key, "wb") as f:
                    np.save(f, value)
            else:
                fileio.write_json(tmp / key, value)
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def prepare(name: str, archive: str | os.PathLike | None = None, *, force: bool = False,
            seed: int = 0, n_train: int = 11000, n_test: int = 1000) -> Path:
    """Turn the Kaggle dataset ``name`` into ready arrays under ``prepared_dir()/name`` and
    return that folder (an existing one as is, unless ``force``).

    ``archive`` (a zip, a tar or an extracted folder) defaults to the dataset attached to this
    Kaggle Notebook (read in place, no login), else the downloaded zip (downloaded now if
    absent or damaged). Its file list is checked before anything is written, and only the
    files used are extracted, under every check of :mod:`.archive`, into a scratch folder
    removed afterwards. Fruits: labelled train images from the class folders under ``train``,
    unlabelled (-1) test images from ``test``, all kept (``n_train``/``n_test`` unused).
    Animals: only the dog, chicken, horse and cat folders (others counted as ``ignored``),
    images under 100 pixels skipped, then a seeded split into ``n_train`` and ``n_test``.
    Images are resized and centre-cropped to 100x100.

    The wrong archive, or one that keeps no (train) image, raises :class:`WrongArchiveError`
    and leaves any earlier preparation as it was. The manifest lists every skipped file with
    its reason (``found == kept + skipped``) and warns of counts far from the published ones.
    """
    dataset_id(name)  # an unknown name is refused before anything else
    out = prepared_dir() / name
    if is_prepared(name) and not force:
        return out
    if archive is not None:  # the source the manifest names
        path = Path(archive)
        source = str(path) if path.is_dir() else path.name
    elif (path := attached(name)) is not None:
        source = f"{dataset_id(name)}, attached at {path}"
    else:
        path, source = usable_archive(name), dataset_id(name)
    scan = _Scan(name, path)
    if path.is_dir():  # read in place, links not followed
        scan.choose(sorted(p.relative_to(path).as_posix() for p in path.rglob("*")
                           if p.is_file() and not p.is_symlink()))
        scan.read(path, scratch=False)
    else:
        with extraction_folder(raw_dir(), name) as work:
            scan.skipped += safe_extract(path, work, choose=scan.choose)
            scan.read(work, scratch=True)
    class_names, train_idx, test_idx = _split(scan, seed, n_train, n_test)
    _write_prepared(out, _prepared_files(scan, source, seed, class_names, train_idx, test_idx))
    return out
