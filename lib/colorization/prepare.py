"""Preparation: a downloaded Kaggle zip -> ready arrays under ``prepared_dir()/<name>/``.

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
under every check of :mod:`colorization.archive` (unsafe names, links, duplicates, bomb limits,
CRC); a tar archive is extracted safely into a scratch folder first.
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
from tqdm.auto import tqdm

from colorization import fileio
from colorization.archive import (
    ArchiveError,
    extraction_folder,
    iter_zip_members,
    safe_extract,
    zip_entries,
)
from colorization.download import dataset_id, usable_archive
from colorization.images import IMAGE_EXTENSIONS, ImageError, read_image, resize_center_crop
from colorization.paths import prepared_dir, raw_dir
from colorization.prepare_layout import (
    ANIMAL_FOLDERS,
    EXPECTED_COUNTS,
    EXPECTED_LAYOUT,
    WrongArchiveError,
    check_layout,
    count_warnings,
    is_image_name,
    role_of,
)

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

    def read_all(self, n: int, items) -> None:
        """Decode and keep ``n`` items ``(rel, role, class, path | None)``."""
        self.images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
        for rel, role, cls, path in _progress(items, f"reading {self.name}", n):
            if path is None:
                continue  # refused by the archive checks (recorded there)
            try:
                result = _read_for(self.name, path)
            finally:  # decoded: the scratch copy goes at once
                with contextlib.suppress(OSError):
                    path.unlink()
            if isinstance(result, str):
                self.skipped.append({"file": rel, "reason": result})
                continue
            self.images[len(self.kept)] = result
            self.kept.append((rel, role, cls))
        self.images = self.images[: len(self.kept)]


def _scan_zip(name: str, path: Path, work: Path) -> _Scan:
    """Read the members of zip ``path`` that ``name`` uses, one at a time, through ``work``.

    Every archive check applies (:func:`~colorization.archive.iter_zip_members`: limits on the
    declared sizes of all members first, then unsafe names, links, devices, duplicates, the
    CRC of each member read); the member list is checked against the expected layout before
    any member is read."""
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
    """A tar (or any archive :func:`~colorization.archive.safe_extract` reads): extracted into
    ``work`` first, then checked and read."""
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

    ``archive`` defaults to the downloaded zip (downloaded now if absent or damaged). Its
    member list is checked first (:func:`check_layout`; the wrong archive raises
    :class:`WrongArchiveError` and nothing is written). A zip's members are then read one at a
    time through a scratch folder under ``raw_dir()`` (only those used; see the module
    docstring); other archives are extracted safely there. The scratch folder is removed
    afterwards, and a scratch folder left by a killed preparation is removed at the next one.
    Every image is read with :func:`~colorization.images.read_image`, and:

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
        if not archive_path.is_file():
            raise ArchiveError(f"{archive_path}: no such archive file")
    with extraction_folder(raw_dir(), name) as work:
        if zipfile.is_zipfile(archive_path):
            scan = _scan_zip(name, archive_path, work)
        else:
            scan = _scan_extracted(name, archive_path, work)
    kept, images = scan.kept, scan.images

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
            f"{archive_path}: no usable {'training ' if name == 'fruits' else ''}image of the "
            f"dataset {name!r} in it ({len(kept)} kept of {scan.found} files; reasons such as "
            f"{'; '.join(reasons) or 'none'}). Nothing was prepared. Expected "
            f"{EXPECTED_LAYOUT[name]}."
        )
    index = {c: i for i, c in enumerate(class_names)}

    def pack(idx):
        labels = np.array([index.get(kept[i][2], -1) for i in idx], np.int32)
        return images[idx], labels, [kept[i][0] for i in idx]

    tr_img, tr_lab, tr_names = pack(train_idx)
    te_img, te_lab, te_names = pack(test_idx)
    counts = {
        "found": scan.found,
        "kept": len(kept),
        "skipped": len(scan.skipped),
        "train": len(train_idx),
        "test": len(test_idx),
        "unused": len(kept) - len(train_idx) - len(test_idx),
        "ignored": sum(scan.ignored.values()),
    }
    if name == "fruits":  # the published counts are of the kept train/test images
        found_counts = {"kept": len(kept), "train": len(train_idx), "test": len(test_idx)}
    else:
        found_counts = {"kept": len(kept)}
    notes = count_warnings(name, found_counts)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr, flush=True)
    manifest = {
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
