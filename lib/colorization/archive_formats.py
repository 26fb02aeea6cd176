"""Reading zip and tar archives entry by entry through an :class:`~colorization.archive_checks.
Extractor`: :func:`run` extracts (or verifies) a whole archive, :func:`zip_entries` and
:func:`read_zip_members` list a zip and read the members chosen from it.

Every limit is checked on the declared sizes of all entries before any member is read (a tar's
headers are read first for that), and again on the bytes actually read.
"""

from __future__ import annotations

import contextlib
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from colorization.archive_checks import (
    CHUNK,
    DAMAGED,
    DEVICE,
    ESCAPES,
    LINK,
    READ_ERRORS,
    ArchiveError,
    DamagedArchiveError,
    Extractor,
    reading,
    safe_name,
)


def _entry_kind(mode: int) -> str | None:
    """Why a zip entry of file mode ``mode`` is not read (a link, a device), or ``None``."""
    if stat.S_ISLNK(mode):
        return LINK
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return DEVICE
    return None


def _extract_zip(path: Path, ex: Extractor) -> None:
    with reading(path), zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        for info in infos:  # every limit checked on the declared sizes before writing
            ex.count(info.filename, None if info.is_dir() else info.file_size,
                     info.compress_size)
        for info in infos:
            name = info.filename
            mode = info.external_attr >> 16
            if info.is_dir():
                ex.folder(name)
                continue
            if (reason := _entry_kind(mode)) is not None:
                ex.skip(name, reason)
                continue
            with zf.open(info) as src:  # the CRC-32 is checked when the member is read to its end
                ex.member(src, name, info.file_size)


def _extract_tar(path: Path, ex: Extractor) -> None:
    with reading(path), open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tf:
        lim = ex.limits
        ceiling = max(lim.archive_bytes * lim.max_ratio, lim.ratio_floor)
        members = []
        for m in tf:  # headers first: every limit checked before anything is written
            ex.check_ratio(m.offset_data, raw.tell())  # what the previous members expanded to
            ex.count(m.name, m.size if m.isfile() else None)
            if m.isfile() and m.offset_data + m.size > ceiling:
                raise ex.bomb(f"member {m.name!r} would expand the archive more than "
                               f"{lim.max_ratio}:1")
            members.append(m)
        ex.check_ratio(tf.offset, raw.tell())
        for m in members:
            if m.isdir():
                ex.folder(m.name)
                continue
            if m.issym() or m.islnk():
                ex.skip(m.name, LINK)
                continue
            if not m.isfile():
                ex.skip(m.name, DEVICE)
                continue
            src = tf.extractfile(m)
            if src is None:  # pragma: no cover - isfile() members always have data
                ex.skip(m.name, "unreadable entry")
                continue
            with src:
                ex.member(src, m.name, m.size)
        # tarfile stops listing silently at a damaged header or where the file was cut short:
        # a complete tar ends with a zero block where the listing stopped
        tf.fileobj.seek(tf.offset)
        if tf.fileobj.read(tarfile.BLOCKSIZE) != tarfile.NUL * tarfile.BLOCKSIZE:
            raise DamagedArchiveError(
                f"{path}: {DAMAGED} (a damaged header or no end-of-archive marker after "
                f"{len(members)} entries)"
            )
        # read a compressed stream to its end: the gzip trailer (CRC-32 and length) and the
        # bzip2/xz checksums are verified only there
        while tf.fileobj.read(CHUNK):
            pass


def run(path: Path, ex: Extractor) -> None:
    if zipfile.is_zipfile(path):
        _extract_zip(path, ex)
        return
    try:
        is_tar = tarfile.is_tarfile(path)
    except READ_ERRORS:
        is_tar = False
    if not is_tar:
        raise DamagedArchiveError(f"{path}: not a valid zip or tar archive; {DAMAGED}")
    _extract_tar(path, ex)


class ZipEntry(NamedTuple):
    """One file entry of a zip (folders are not listed)."""

    index: int  # its position in the zip's directory
    name: str  # as stored in the archive
    rel: str | None  # where it may be written (see safe_name); None: it would escape
    size: int  # declared expanded size
    reason: str | None  # why it is never read (escapes, link, device), or None


def _file_entries(zf: zipfile.ZipFile, ex: Extractor) -> list[ZipEntry]:
    """The file entries of ``zf``, once every limit was checked on the declared sizes."""
    infos = zf.infolist()
    for info in infos:
        ex.count(info.filename, None if info.is_dir() else info.file_size, info.compress_size)
    out = []
    for k, info in enumerate(infos):
        if info.is_dir():
            continue
        rel = safe_name(info.filename)
        reason = ESCAPES if rel is None else _entry_kind(info.external_attr >> 16)
        out.append(ZipEntry(k, info.filename, rel, info.file_size, reason))
    return out


def zip_entries(path: Path, ex: Extractor) -> list[ZipEntry]:
    """The file entries of zip ``path`` (see :func:`colorization.archive.zip_entries`)."""
    with reading(path), zipfile.ZipFile(path) as zf:
        return _file_entries(zf, ex)


def read_zip_members(
    path: Path, ex: Extractor, chosen: Iterable[ZipEntry]
) -> Iterator[tuple[ZipEntry, Path | None, str | None]]:
    """Write each chosen member of zip ``path`` under ``ex.dest`` and yield ``(entry, file,
    None)``, or ``(entry, None, reason)`` for one refused. The file is removed when the next
    member is asked for (see :func:`colorization.archive.iter_zip_members`)."""
    with reading(path), zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        entries = {e.index: e for e in _file_entries(zf, ex)}
        for pick in chosen:
            entry = entries.get(pick.index)
            if entry is None or entry.name != pick.name:  # not a file entry of this zip
                raise ArchiveError(f"{path}: {pick.name!r} is not a file entry of this archive")
            if entry.reason is not None:
                yield entry, None, entry.reason
                continue
            before = len(ex.skipped)
            with zf.open(infos[entry.index]) as src:  # the CRC-32 is checked at its end
                ex.member(src, entry.name, entry.size)
            if len(ex.skipped) > before:  # a duplicate, a name the file system refuses...
                yield entry, None, ex.skipped[-1]["reason"]
                continue
            file = ex.dest / entry.rel
            try:
                yield entry, file, None
            finally:
                with contextlib.suppress(OSError):
                    file.unlink()
