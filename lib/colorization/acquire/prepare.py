"""Preparation: a Kaggle zip (or the extracted dataset) -> ready arrays in ``prepared_dir()``.

A prepared folder holds ``{train,test}_images.npy`` ``(N, 100, 100, 3)`` uint8 RGB,
``{train,test}_labels.npy`` ``(N,)`` int32 (-1 = unknown), ``{train,test}_names.json``,
``classes.json`` and ``manifest.json`` (counts, every skipped file with its reason, and
warnings about counts far from the published dataset's). It is built in a temporary sibling
folder and renamed into place, so a reader never sees half of one.

Before anything is written, the archive's member list is checked against the dataset's
expected layout (:data:`EXPECTED_LAYOUT`): the wrong zip (Kaggle names every download
``archive.zip``) is refused with :class:`WrongArchiveError`, and a preparation that keeps no
image fails, leaving any earlier preparation as it was. A zip is read member by member: only
the members used are decoded (for Animals-10 the four classes' folders, not the other six),
under every check of :mod:`.archive` (unsafe names, links, duplicates, bomb limits, CRC); a
tar archive is extracted safely into a scratch folder first. An extracted folder (the
datasets a Kaggle Notebook mounts read-only under ``/kaggle/input``) is read in place, with
no login and no download; only ``prepared_dir()`` is written.

The module reads top to bottom: what each Kaggle archive holds (its layout, the role of each
file, the published counts); the scan of an archive (which files are read, each image
decoded); the prepared folder (the split, the arrays, the manifest, the atomic write); and
:func:`prepare`, which does these in turn.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import sys
import uuid
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from tqdm import tqdm  # plain text bars: no widget library needed in notebooks

from colorization.acquire.archive import (
    ArchiveError,
    archive_file,
    extraction_folder,
    iter_zip_members,
    safe_extract,
    safe_name,
    zip_entries,
)
from colorization.acquire.download import dataset_id, usable_archive
from colorization.core import fileio
from colorization.core.paths import prepared_dir, raw_dir
from colorization.data.datasets import IMAGE_SIZE, attached, is_prepared
from colorization.data.images import IMAGE_EXTENSIONS, ImageError, read_image, resize_center_crop

# --------------------------------------------------------------------------- archive layouts

ANIMAL_FOLDERS = {"cane": "dog", "gallina": "chicken", "cavallo": "horse", "gatto": "cat"}
_ANIMAL_CLASSES = frozenset(ANIMAL_FOLDERS.values())  # folders named in English are taken too

#: what each Kaggle archive holds, as named in the message refusing another archive
EXPECTED_LAYOUT = {
    "fruits": "train/train/<Class>/*.jpg (one folder per fruit) and test/test/NNNN.jpg",
    "animals": "raw-img/<Italian class name>/*.jpeg, with raw-img/cane, raw-img/gallina, "
               "raw-img/cavallo and raw-img/gatto among the folders",
}
#: images kept from the published datasets (fruits: train/test folders; animals: the four
#: classes together, about 12,000); counts outside COUNT_RANGE times these are warned about
EXPECTED_COUNTS = {"fruits": {"train": 16_854, "test": 5_641}, "animals": {"kept": 12_000}}
COUNT_RANGE = (0.5, 1.5)


class WrongArchiveError(ArchiveError):
    """The archive is not the dataset it was given for (or nothing in it could be used)."""


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
    for p in reversed(folders):
        if p in ANIMAL_FOLDERS:
            return ("all", ANIMAL_FOLDERS[p])
        if p in _ANIMAL_CLASSES:
            return ("all", p)
    if "raw-img" in folders and folders[-1] != "raw-img":
        return None  # ragno, farfalla, ...: not one of the paper's four classes
    return "not in one of the class folders raw-img/{cane,gallina,cavallo,gatto}"


def role_of(name: str, rel: str):
    """The role of the file ``rel`` in dataset ``name`` (see :func:`_fruit_role`,
    :func:`_animal_role`)."""
    return _fruit_role(rel) if name == "fruits" else _animal_role(rel)


def is_image_name(rel: str) -> bool:
    """Whether ``rel`` has an image file's extension (its content is checked when read)."""
    return PurePosixPath(rel).suffix.lower() in IMAGE_EXTENSIONS


def check_layout(name: str, archive: Path | str, members: list[str]) -> None:
    """Refuse an archive whose member names do not have ``name``'s expected layout.

    fruits: image files in class folders under a ``train`` folder and image files under a
    ``test`` folder; animals: image files in at least one of the four classes' folders.
    Raises :class:`WrongArchiveError` naming the dataset and the layout expected."""
    roles = [role_of(name, m) for m in members if is_image_name(m) and safe_name(m)]
    kinds = {r[0] for r in roles if isinstance(r, tuple)}
    missing = {"train", "test"} - kinds if name == "fruits" else ({"all"} - kinds)
    if not missing:
        return
    sample = ", ".join(repr(m) for m in members[:3]) or "no files at all"
    raise WrongArchiveError(
        f"{archive} is not the Kaggle dataset {name!r} ({dataset_id(name)}): expected "
        f"{EXPECTED_LAYOUT[name]}, but it holds {len(members)} files such as {sample}. "
        f"Nothing was prepared. Give the archive downloaded from "
        f"https://www.kaggle.com/datasets/{dataset_id(name)} (`colorization data {name} "
        "--archive PATH`), or run `make data` to download it."
    )


def count_warnings(name: str, counts: dict) -> list[str]:
    """Sentences for counts far from the published dataset's (see :data:`EXPECTED_COUNTS`)."""
    low, high = COUNT_RANGE
    out = []
    for key, expected in EXPECTED_COUNTS[name].items():
        got = counts[key]
        what = {"train": "train images", "test": "test images", "kept": "images of the four "
                "classes"}[key]
        if not low * expected <= got <= high * expected:
            out.append(
                f"{name}: {got:,} {what} kept, far from the {expected:,} of the Kaggle dataset "
                f"{dataset_id(name)} (outside {low:.0%}-{high:.0%}); check that the archive is "
                "the complete, original download"
            )
    return out


# --------------------------------------------------------------------------- the scan


def _read_for(dataset: str, path: Path) -> np.ndarray | str:
    """A ``(100, 100, 3)`` uint8 image for ``dataset``, or the reason to skip the file."""
    try:
        rgb = read_image(path)  # an image file's name (classify skipped the others)
    except ImageError as err:
        return str(err)
    h, w = rgb.shape[:2]
    if dataset == "animals" and min(h, w) < IMAGE_SIZE:
        return f"smaller than the {IMAGE_SIZE}x{IMAGE_SIZE} crop ({w}x{h})"
    return resize_center_crop(rgb, IMAGE_SIZE)  # fruits are 100x100 already; others resized


def _progress(items, desc: str, total: int):
    return tqdm(items, desc=desc, total=total, disable=None, leave=False)


class _Scan:
    """What reading an archive for one dataset gave: kept images and the account of the rest."""

    def __init__(self, name: str):
        self.name = name
        self.found = 0
        self.skipped: list[dict] = []
        self.ignored: dict[str, int] = {}
        self.kept: list[tuple[str, str, str | None]] = []  # (rel, role, class)
        self.images = np.empty((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)

    def classify(self, rel: str) -> tuple[str, str | None] | None:
        """The (role, class) of a file to read, or ``None`` (ignored or skipped, recorded)."""
        role = role_of(self.name, rel)
        if role is None:
            folder = PurePosixPath(rel).parent.name
            self.ignored[folder] = self.ignored.get(folder, 0) + 1
            return None
        self.found += 1
        if not is_image_name(rel):
            suffix = PurePosixPath(rel).suffix.lower() or "(no extension)"
            self.skipped.append({"file": rel, "reason": f"not an image: {suffix}"})
            return None
        if isinstance(role, str):
            self.skipped.append({"file": rel, "reason": role})
            return None
        return role

    def read_all(self, n: int, items, *, scratch: bool = True) -> None:
        """Decode and keep ``n`` items ``(rel, role, class, path | None)``; ``scratch``: the
        paths are scratch copies, removed once decoded (never the files of a folder)."""
        self.images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
        for rel, role, cls, path in _progress(items, f"reading {self.name}", n):
            if path is None:
                continue  # refused by the archive checks (recorded there)
            try:
                result = _read_for(self.name, path)
            finally:  # decoded: the scratch copy goes at once
                if scratch:
                    with contextlib.suppress(OSError):
                        path.unlink()
            if isinstance(result, str):
                self.skipped.append({"file": rel, "reason": result})
                continue
            self.images[len(self.kept)] = result
            self.kept.append((rel, role, cls))
        self.images = self.images[: len(self.kept)]


def _all_files(root: Path) -> list[str]:
    """Every regular file under ``root`` as a sorted relative posix path."""
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            if p.is_file() and not p.is_symlink():
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def _scan_zip(name: str, path: Path, work: Path) -> _Scan:
    """Read the members of zip ``path`` that ``name`` uses, one at a time, through ``work``.

    Every archive check applies (:func:`~.archive.iter_zip_members`: limits on the declared
    sizes of all members first, then unsafe names, links, devices, duplicates, the CRC of each
    member read); the member list is checked against the expected layout before any member is
    read."""
    scan = _Scan(name)
    entries = zip_entries(path)
    check_layout(name, path, [e.name for e in entries])
    todo = []
    for entry in entries:
        if entry.reason is not None:  # an unsafe name, a link, a device: never read
            scan.found += 1
            scan.skipped.append({"file": entry.name, "reason": entry.reason})
        elif (role := scan.classify(entry.rel)) is not None:
            todo.append((entry, role))
    refused = []  # duplicates, names the file system refuses: listed last
    roles = {entry.index: role for entry, role in todo}

    def read(result):
        entry, file, reason = result
        if file is None:
            refused.append({"file": entry.name, "reason": reason})
        return (entry.rel, *roles[entry.index], file)

    members = iter_zip_members(path, work, [entry for entry, _role in todo])
    scan.read_all(len(todo), map(read, members))
    scan.skipped += refused
    return scan


def _scan_extracted(name: str, path: Path, work: Path) -> _Scan:
    """A tar (or any archive :func:`~.archive.safe_extract` reads): extracted into ``work``
    first, then checked and read."""
    scan = _Scan(name)
    refused = safe_extract(path, work)
    files = _all_files(work)
    check_layout(name, path, files)
    scan.found += len(refused)
    scan.skipped += refused
    todo = []
    for rel in files:
        role = scan.classify(rel)
        if role is not None:
            todo.append((rel, role))
    scan.read_all(len(todo), ((rel, *role, work / rel) for rel, role in todo))
    return scan


def _scan_folder(name: str, folder: Path) -> _Scan:
    """An extracted dataset (a Kaggle Notebook's attached one): checked, then each image
    read where it lies. Nothing is written there; links are not followed."""
    scan = _Scan(name)
    files = _all_files(folder)
    check_layout(name, folder, files)
    todo = []
    for rel in files:
        role = scan.classify(rel)
        if role is not None:
            todo.append((rel, role))
    scan.read_all(len(todo), ((rel, *role, folder / rel) for rel, role in todo), scratch=False)
    return scan


def _scan(name: str, path: Path) -> _Scan:
    """Read the archive ``path`` for dataset ``name`` through a scratch folder under
    ``raw_dir()``, removed afterwards (a zip member by member, another archive extracted);
    a folder is read in place."""
    if path.is_dir():
        return _scan_folder(name, path)
    with extraction_folder(raw_dir(), name) as work:
        if zipfile.is_zipfile(path):
            return _scan_zip(name, path, work)
        return _scan_extracted(name, path, work)


# --------------------------------------------------------------------------- the prepared folder

MANIFEST_VERSION = 1


def _split_counts(n: int, n_train: int, n_test: int) -> tuple[int, int]:
    """How many of ``n`` images go to train and test: as asked when there are enough, else
    split in the same proportion (at least one test image out of two or more)."""
    if n >= n_train + n_test:
        return n_train, n_test
    test = round(n * n_test / max(n_train + n_test, 1))
    if n >= 2 and n_test > 0:
        test = max(test, 1)
    return n - test, test


def _split(
    name: str, scan: _Scan, seed: int, n_train: int, n_test: int, archive: Path
) -> tuple[list[str], list[int], list[int]]:
    """``(class_names, train_idx, test_idx)``, indices into ``scan.kept``: fruits by folder,
    animals by a seeded shuffle (see :func:`prepare`).

    Raises :class:`WrongArchiveError` when no (train) image was kept."""
    kept = scan.kept
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
    if not train_idx:
        reasons = sorted({s["reason"] for s in scan.skipped})[:3]
        raise WrongArchiveError(
            f"{archive}: no usable {'training ' if name == 'fruits' else ''}image of the "
            f"dataset {name!r} in it ({len(kept)} kept of {scan.found} files; reasons such as "
            f"{'; '.join(reasons) or 'none'}). Nothing was prepared. Expected "
            f"{EXPECTED_LAYOUT[name]}."
        )
    return class_names, train_idx, test_idx


def _arrays(
    scan: _Scan, class_names: list[str], train_idx: list[int], test_idx: list[int]
) -> dict:
    """The files of the prepared folder but the manifest: images, labels, names, classes."""
    index = {c: i for i, c in enumerate(class_names)}
    out = {}
    for split, idx in (("train", train_idx), ("test", test_idx)):
        out[f"{split}_images.npy"] = scan.images[idx]
        out[f"{split}_labels.npy"] = np.array(
            [index.get(scan.kept[i][2], -1) for i in idx], np.int32)
        out[f"{split}_names.json"] = [scan.kept[i][0] for i in idx]
    out["classes.json"] = class_names
    return out


def _manifest(name: str, source: str, seed: int, scan: _Scan, class_names: list[str],
              train: int, test: int) -> dict:
    """The manifest of a preparation that split ``train`` and ``test`` images off the kept
    ones; its warnings (:func:`count_warnings`) are printed."""
    kept = len(scan.kept)
    counts = {
        "found": scan.found,
        "kept": kept,
        "skipped": len(scan.skipped),
        "train": train,
        "test": test,
        "unused": kept - train - test,
        "ignored": sum(scan.ignored.values()),
    }
    notes = count_warnings(name, counts)  # the published counts: EXPECTED_COUNTS' keys
    for note in notes:
        print(f"warning: {note}", file=sys.stderr, flush=True)
    return {
        "dataset": name,
        "source": source,
        "seed": int(seed),
        "image_size": IMAGE_SIZE,
        "classes": class_names,
        "counts": counts,
        "expected": EXPECTED_COUNTS[name],
        "warnings": notes,
        "ignored": scan.ignored,
        "skipped": scan.skipped,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "version": MANIFEST_VERSION,
    }


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


# --------------------------------------------------------------------------- prepare


def _locate(name: str, archive: str | os.PathLike | None) -> tuple[Path, str]:
    """The archive (or extracted folder) to prepare ``name`` from and the source the manifest
    names: the given file or folder; else the dataset attached to this Kaggle Notebook
    (:func:`~colorization.data.datasets.attached`: no login, no download); else the
    downloaded zip (downloaded now if absent or damaged) and the Kaggle id."""
    if archive is None:
        folder = attached(name)
        if folder is not None:
            return folder, f"{dataset_id(name)}, attached at {folder}"
        return usable_archive(name), dataset_id(name)
    if Path(archive).is_dir():
        return Path(archive), str(archive)
    path = archive_file(archive)
    return path, path.name


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

    ``archive`` (a zip, a tar or an extracted folder) defaults to the dataset attached to
    this Kaggle Notebook (:func:`~colorization.data.datasets.attached`; read in place, no
    login), else the downloaded zip (downloaded now if absent or damaged). Its
    member list is checked first (:func:`check_layout`; the wrong archive raises
    :class:`WrongArchiveError` and nothing is written). A zip's members are then read one at a
    time through a scratch folder under ``raw_dir()`` (only those used; see the module
    docstring); other archives are extracted safely there. The scratch folder is removed
    afterwards, and a scratch folder left by a killed preparation is removed at the next one.
    Every image is read with :func:`~colorization.data.images.read_image`, and:

    - fruits: labelled train images from the class folders under the (innermost) folder named
      ``train``; test images from under ``test`` with label -1 (the Kaggle test set is
      unlabelled). Images that are not 100x100 are resized + centre-cropped to 100x100 (kept).
      ``n_train``/``n_test`` are not used: every image is kept.
    - animals: only ``cane``/``gallina``/``cavallo``/``gatto`` (dog, chicken, horse, cat) at
      any depth; other ``raw-img`` folders are ignored (counted in ``manifest["ignored"]``, never
      read). Images smaller than 100 on the shorter side are skipped, the rest resized +
      centre-cropped to 100x100, then a seeded shuffle gives ``n_train`` train and ``n_test``
      test images (split 11:1 proportionally when there are fewer).

    A preparation that keeps no (train) image raises :class:`WrongArchiveError`. Counts far from
    the published ones (:data:`EXPECTED_COUNTS`) are printed as warnings and listed in
    ``manifest["warnings"]``.

    ``manifest.json``: ``counts = {found, kept, skipped, train, test, ...}`` with
    ``kept + skipped == found`` and ``skipped`` listing ``{file, reason}`` for every file not
    used (archive entries refused by the archive checks included).
    Returns the prepared folder; an existing one is returned as is unless ``force``.
    """
    dataset_id(name)  # an unknown name is refused before anything else
    out = prepared_dir() / name
    if is_prepared(name) and not force:
        return out
    path, source = _locate(name, archive)
    scan = _scan(name, path)
    class_names, train_idx, test_idx = _split(name, scan, seed, n_train, n_test, path)
    arrays = _arrays(scan, class_names, train_idx, test_idx)
    manifest = _manifest(name, source, seed, scan, class_names, len(train_idx), len(test_idx))
    _write_prepared(out, arrays, manifest)
    return out
