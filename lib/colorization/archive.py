"""Safe extraction of downloaded archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz).

A downloaded archive is untrusted input. :func:`safe_extract` never writes outside the target
folder and never creates links:

- *entry-level* problems (a name with ``..`` or an absolute path, a link or device entry, a
  duplicate name, a file and a folder of the same name, a name the file system refuses) are
  skipped and reported as ``{"file": name, "reason": ...}`` records, so a dataset with one odd
  entry still extracts;
- *archive-level* problems raise :class:`ArchiveError` naming the archive and saying what to
  do: a damaged or partly downloaded archive (any decompression, CRC or truncation error) raises
  its subclass :class:`DamagedArchiveError` (delete it and download again); a possible
  compression bomb, an archive larger than the free disk, or a full disk raise
  :class:`ArchiveError`.

Integrity is checked end to end: the CRC-32 of every zip member, the trailer (CRC and length)
of a gzip stream, the checksums of bzip2 and xz streams (each compressed tar is read to its very
end), and the end-of-archive marker of a tar (a tar cut short or with a damaged header is
otherwise silently shorter).

Limits (all proportional, so small archives are never refused for their size):

- entries: at most ``max(ENTRY_FLOOR, archive size // BYTES_PER_ENTRY)``;
- expanded total: at most ``min(90% of the free disk, max(archive size * TOTAL_RATIO,
  TOTAL_FLOOR))``;
- one member (zip) or the stream read so far (tar): at most ``MAX_RATIO`` times its compressed
  size once it is larger than ``RATIO_FLOOR`` bytes.

:func:`verify` runs the same checks without writing anything (use it on a fresh download before
keeping it). :func:`zip_entries` and :func:`iter_zip_members` read only chosen members of a zip,
one at a time, under the same checks. :func:`extraction_folder` gives a scratch folder that a
later run removes if the process using it was killed; :func:`clean_leftovers` does that removal.

Each member is streamed to a short temporary name next to its target (so even a 255-byte
member name fits) and renamed when complete, so a crash never leaves a half-written file under
its real name; a new extraction into the same folder removes such temporary files first.

The entry checks and bookkeeping are in :mod:`colorization.archive_checks`, the zip and tar
walks in :mod:`colorization.archive_formats`; this module is the interface (import from here).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from colorization.archive_checks import (
    ArchiveError,
    DamagedArchiveError,
    Extractor,
    Limits,
    remove_parts,
    safe_name,
)
from colorization.archive_formats import ZipEntry, read_zip_members, run
from colorization.archive_formats import zip_entries as _zip_entries

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "ArchiveError",
    "DamagedArchiveError",
    "Limits",
    "ZipEntry",
    "clean_leftovers",
    "extraction_folder",
    "iter_zip_members",
    "limits_for",
    "safe_extract",
    "safe_name",
    "verify",
    "zip_entries",
]

# A member (zip) or the stream read so far (tar) larger than RATIO_FLOOR must not expand more
# than MAX_RATIO times its compressed size (images compress 1-3x, text maybe 10x; 1000x is only
# reached by crafted data).
MAX_RATIO = 1000
RATIO_FLOOR = 2**20
# The whole archive may expand to TOTAL_RATIO times its size (at least TOTAL_FLOOR bytes), and
# never beyond DISK_SHARE of the free disk.
TOTAL_RATIO = 100
TOTAL_FLOOR = 2**30
DISK_SHARE = 0.9
# At most max(ENTRY_FLOOR, archive size // BYTES_PER_ENTRY) entries (a zip entry takes at least
# 76 bytes; a compressed tar of empty files can pack millions into a few megabytes).
ENTRY_FLOOR = 100_000
BYTES_PER_ENTRY = 64
MAX_MEMBER_BYTES = 2 * 2**30

_FOLDER_PREFIX = ".extract-"
_STALE_SECONDS = 24 * 3600  # without OS locks (Windows), older scratch folders count as stale


def _free_bytes(folder: Path) -> int:
    """Free bytes on the disk holding ``folder``."""
    return shutil.disk_usage(folder).free


def limits_for(
    archive_path: str | os.PathLike,
    dest: str | os.PathLike | None = None,
    *,
    max_total_bytes: int | None = None,
    max_member_bytes: int | None = None,
    max_entries: int | None = None,
) -> Limits:
    """The :class:`Limits` for extracting ``archive_path`` into ``dest`` (``None``: no disk).

    Explicit ``max_*`` values replace the proportional defaults; the free-disk bound always
    applies when ``dest`` is given."""
    size = os.path.getsize(archive_path)
    total = (
        int(max_total_bytes)
        if max_total_bytes is not None
        else max(size * TOTAL_RATIO, TOTAL_FLOOR)
    )
    free = None
    if dest is not None:
        free = _free_bytes(Path(dest))
        total = min(total, int(free * DISK_SHARE))
    member = int(max_member_bytes) if max_member_bytes is not None else MAX_MEMBER_BYTES
    entries = (
        int(max_entries)
        if max_entries is not None
        else max(ENTRY_FLOOR, size // BYTES_PER_ENTRY)
    )
    return Limits(total, member, entries, size, free, max_ratio=MAX_RATIO,
                  ratio_floor=RATIO_FLOOR, total_ratio=TOTAL_RATIO, total_floor=TOTAL_FLOOR,
                  disk_share=DISK_SHARE)



def safe_extract(
    archive_path: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    max_total_bytes: int | None = None,
    max_member_bytes: int | None = None,
    max_entries: int | None = None,
) -> list[dict]:
    """Extract ``archive_path`` (zip or tar, any compression) into ``dest`` (created).

    Returns the skipped entries as ``[{"file": name, "reason": reason}, ...]`` (reasons:
    "path escapes the target folder", "link entries are not extracted", "device entries are
    not extracted", "duplicate entry", "a folder of the same name already exists", "a file of
    the same name already exists", "one of its folders has the name of a file already
    extracted", "cannot be created here: <why>" e.g. a name too long for the file system).

    Raises :class:`DamagedArchiveError` for an archive that is not an archive, damaged or
    truncated (any decompression, CRC or truncation error), and :class:`ArchiveError` for a
    missing archive, a possible compression bomb (see :func:`limits_for`; ``max_*`` replace the
    proportional defaults), an archive larger than the free disk, or a full disk. Files
    already extracted when an error is raised are left in ``dest``; extract into a fresh folder
    (:func:`extraction_folder`) and delete it on failure. Temporary member files left in
    ``dest`` by an interrupted extraction are removed first.
    """
    path = Path(archive_path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive file")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    remove_parts(dest)
    limits = limits_for(path, dest, max_total_bytes=max_total_bytes,
                        max_member_bytes=max_member_bytes, max_entries=max_entries)
    ex = Extractor(path, dest.resolve(), limits)
    run(path, ex)
    return ex.skipped


def verify(
    archive_path: str | os.PathLike,
    *,
    max_total_bytes: int | None = None,
    max_member_bytes: int | None = None,
    max_entries: int | None = None,
) -> dict:
    """Read ``archive_path`` to its end without writing anything; raise if it is not usable.

    Every member is decompressed and checked (zip CRC-32, gzip trailer, bzip2/xz checksums, tar
    end marker) under the same limits as :func:`safe_extract` (the free disk aside). Raises
    :class:`DamagedArchiveError` (``err.damaged`` is True: delete the file and download it
    again) or :class:`ArchiveError` (missing file, possible bomb, encrypted or unsupported:
    downloading again will not help). Returns ``{"entries": n, "bytes": expanded_size}``.
    """
    path = Path(archive_path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive file")
    limits = limits_for(path, None, max_total_bytes=max_total_bytes,
                        max_member_bytes=max_member_bytes, max_entries=max_entries)
    ex = Extractor(path, None, limits)
    run(path, ex)
    return {"entries": ex.entries, "bytes": ex.total}




def _zip_file(archive_path: str | os.PathLike) -> Path:
    path = Path(archive_path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive file")
    if not zipfile.is_zipfile(path):
        raise ArchiveError(f"{path}: not a zip archive; extract it with safe_extract instead")
    return path


def zip_entries(
    archive_path: str | os.PathLike,
    *,
    max_total_bytes: int | None = None,
    max_member_bytes: int | None = None,
    max_entries: int | None = None,
) -> list[ZipEntry]:
    """The file entries (not folders) of the zip ``archive_path``, without reading a member.

    Every limit of :func:`safe_extract` is checked on the declared sizes first (raising as it
    does). Each :class:`ZipEntry` has its ``name`` as stored, ``rel`` (where it may be
    written, see :func:`safe_name`) and ``reason``: ``None``, or why it is never read ("path
    escapes the target folder", "link entries are not extracted", "device entries are not
    extracted"). Raises :class:`ArchiveError` for a file that is not a zip archive."""
    path = _zip_file(archive_path)
    limits = limits_for(path, None, max_total_bytes=max_total_bytes,
                        max_member_bytes=max_member_bytes, max_entries=max_entries)
    return _zip_entries(path, Extractor(path, None, limits))


def iter_zip_members(
    archive_path: str | os.PathLike,
    scratch: str | os.PathLike,
    entries: Iterable[ZipEntry],
    *,
    max_total_bytes: int | None = None,
    max_member_bytes: int | None = None,
    max_entries: int | None = None,
) -> Iterator[tuple[ZipEntry, Path | None, str | None]]:
    """Read the chosen ``entries`` (from :func:`zip_entries`) of the zip ``archive_path``, one
    at a time, through the folder ``scratch``.

    Yields ``(entry, file, None)`` with the member written to ``file`` under ``scratch`` (its
    CRC-32 checked), or ``(entry, None, reason)`` for an entry refused: its ``reason`` from
    :func:`zip_entries`, "duplicate entry", or another reason of :func:`safe_extract`. The
    file is removed when the next member is asked for (move it to keep it), so ``scratch``
    never holds more than one member. Every check of :func:`safe_extract` applies: the limits
    (on the declared sizes of all entries first, with the free disk under ``scratch``, then on
    the bytes read), names, links, devices, duplicates; errors are raised as it raises them.
    """
    path = _zip_file(archive_path)
    scratch = Path(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    remove_parts(scratch)
    limits = limits_for(path, scratch, max_total_bytes=max_total_bytes,
                        max_member_bytes=max_member_bytes, max_entries=max_entries)
    return read_zip_members(path, Extractor(path, scratch.resolve(), limits), entries)

# --------------------------------------------------------------------------- scratch folders


def _lock(folder: Path) -> int | None:
    """An exclusive OS lock on ``folder`` (its fd, to keep), or ``None`` if it is busy/gone.

    The lock dies with the process, so a folder of a killed run is unlocked."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not os.path.samestat(os.fstat(fd), os.stat(folder)):  # removed meanwhile
            raise OSError(errno.ENOENT, "removed")
    except OSError:
        os.close(fd)
        return None
    return fd


def clean_leftovers(parent: str | os.PathLike) -> list[Path]:
    """Remove the ``.extract-*`` scratch folders under ``parent`` that no process uses.

    Folders held by a running :func:`extraction_folder` are locked and kept; those of a killed
    process (or older than a day where the OS has no folder locks) are removed. Returns the
    removed folders."""
    parent = Path(parent)
    removed = []
    if not parent.is_dir():
        return removed
    for folder in sorted(parent.glob(f"{_FOLDER_PREFIX}*")):
        if folder.is_symlink() or not folder.is_dir():
            continue
        if fcntl is None:  # pragma: no cover - Windows
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > _STALE_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
            continue
        fd = _lock(folder)
        if fd is None:
            continue  # in use by a running process
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def extraction_folder(parent: str | os.PathLike, label: str) -> Iterator[Path]:
    """A fresh scratch folder ``parent/.extract-<label>-XXXXXXXX``, removed on exit.

    Stale scratch folders of killed runs are removed first (:func:`clean_leftovers`); this one
    is locked while in use, so a run started meanwhile leaves it alone."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(parent)
    for _attempt in range(10):
        work = Path(tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{label}-", dir=parent))
        fd = _lock(work) if fcntl is not None else -1
        if fd is not None:
            break
        # another run's clean_leftovers took it between mkdtemp and the lock: try again
    else:  # pragma: no cover - needs a storm of concurrent cleaners
        raise ArchiveError(f"could not create a scratch folder under {parent}")
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if fd >= 0:
            os.close(fd)
