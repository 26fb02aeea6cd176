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
- expanded total: at most ``min(DISK_SHARE (90%) of the free disk, max(archive size *
  TOTAL_RATIO, TOTAL_FLOOR))``;
- one member (zip) or the stream read so far (tar): at most ``MAX_RATIO`` times its compressed
  size once it is larger than ``RATIO_FLOOR`` bytes.

:func:`verify` runs the same checks without writing anything (use it on a fresh download before
keeping it). :func:`zip_entries` and :func:`iter_zip_members` read only chosen members of a zip,
one at a time, under the same checks. :func:`extraction_folder` gives a scratch folder that a
later run removes if the process using it was killed; :func:`clean_leftovers` does that removal.

Each member is streamed to a short temporary name next to its target (so even a 255-byte
member name fits) and renamed when complete, so a crash never leaves a half-written file under
its real name; a new extraction into the same folder removes such temporary files first.

The module reads top to bottom: the errors and the reasons an entry is skipped; the limits
(the numbers above, :class:`Limits` and :func:`limits_for`); the entry names
(:func:`safe_name`); :class:`Extractor`, which checks each entry's name, counts entries and
bytes against the limits and streams a member to its target (or, for :func:`verify`, to
nowhere); the zip and tar walks; the interface (:func:`safe_extract`, :func:`verify`,
:func:`zip_entries`, :func:`iter_zip_members`); and the scratch folders
(:func:`extraction_folder`, :func:`clean_leftovers`).
"""

from __future__ import annotations

import contextlib
import errno
import lzma
import os
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NamedTuple

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


# --------------------------------------------------------------------------- errors and reasons


DAMAGED = "the archive is damaged or was only partly downloaded; delete it and download again"
BOMB = "refusing a possible zip bomb"
ESCAPES = "path escapes the target folder"
LINK = "link entries are not extracted"
DEVICE = "device entries are not extracted"
DUPLICATE = "duplicate entry"
FOLDER_EXISTS = "a folder of the same name already exists"
FILE_EXISTS = "a file of the same name already exists"
PARENT_IS_FILE = "one of its folders has the name of a file already extracted"

# Errors of the file system that concern the whole extraction, not one entry.
_FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}
# What reading a damaged archive raises: zipfile/tarfile errors, zlib (deflate, gzip), lzma
# (xz, zip LZMA), bz2 ("Invalid data stream" is an OSError), gzip.BadGzipFile (an OSError),
# EOFError for a cut-off stream, struct/ValueError for garbage in headers.
READ_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    struct.error,
    ValueError,
)


class ArchiveError(RuntimeError):
    """The archive as a whole cannot be used; the message says why and what to do."""

    #: ``True`` when downloading the archive again may help (see :class:`DamagedArchiveError`).
    damaged = False


class DamagedArchiveError(ArchiveError):
    """The archive is damaged or incomplete (decompression, CRC or truncation error).

    A download that raises this should be deleted and fetched again."""

    damaged = True


class _CannotCreate(Exception):
    """Writing one entry failed (carries the ``OSError``); never a reading error."""

    def __init__(self, err: OSError):
        super().__init__(str(err))
        self.err = err


# --------------------------------------------------------------------------- limits


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


@dataclass(frozen=True)
class Limits:
    """What one archive may expand to (the formulas: the module docstring, :func:`limits_for`;
    the error messages name the rules the limits came from: :data:`MAX_RATIO`,
    :data:`RATIO_FLOOR`, :data:`TOTAL_RATIO`, :data:`TOTAL_FLOOR`, :data:`DISK_SHARE`)."""

    max_total: int
    max_member: int
    max_entries: int
    archive_bytes: int
    free_bytes: int | None = None  # None: not writing (verify)

    @property
    def disk_bound(self) -> bool:
        return self.free_bytes is not None and self.max_total == int(
            self.free_bytes * DISK_SHARE
        )


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
    return Limits(total, member, entries, size, free)


def _size(n: float) -> str:
    """``n`` bytes as a message says it: "512 bytes", "1.5 MiB"."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


# --------------------------------------------------------------------------- entry names


_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_name(name: str) -> str | None:
    """The relative posix path an archive entry named ``name`` may be written to (``./`` parts
    and backslashes normalised), or ``None`` if it is absolute or climbs out with ``..``."""
    rel = _safe_rel(name)
    return None if rel is None else rel.as_posix()


def _safe_rel(name: str) -> PurePosixPath | None:
    """The relative path an entry may be written to, or ``None`` if it would escape."""
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return PurePosixPath(*parts)


def _inside(dest: Path, rel: PurePosixPath) -> Path | None:
    """``dest / rel`` if, resolved (following existing symlinks), it stays inside ``dest``."""
    target = (dest / rel).resolve()
    return target if target.is_relative_to(dest) and target != dest else None


# --------------------------------------------------------------------------- the extractor


CHUNK = 2**20
_PART = re.compile(r"^\.x[0-9a-f]{16}\.part$")  # temporary member files (see Extractor._copy)


def _remove_parts(dest: Path) -> None:
    """Remove temporary member files left in ``dest`` by an interrupted extraction."""
    for dirpath, _dirs, files in os.walk(dest):
        for f in files:
            if _PART.match(f):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, f))


class Extractor:
    """Shared bookkeeping: name checks, conflicts, skipped records, limits and byte budget.

    With ``dest=None`` nothing is written: members are read to the end and discarded
    (:func:`verify`)."""

    def __init__(self, archive: Path, dest: Path | None, limits: Limits):
        self.archive = archive
        self.dest = dest
        self.limits = limits
        self.skipped: list[dict] = []
        self.seen: set[str] = set()
        self.total = 0
        self.entries = 0
        self.declared = 0

    # ------------------------------------------------------------------ limits

    def bomb(self, what: str) -> ArchiveError:
        return ArchiveError(
            f"{self.archive}: {BOMB}: {what}; it was not used (extract it by hand only if you "
            "trust it)"
        )

    def _too_big(self, total: int) -> ArchiveError:
        lim = self.limits
        if lim.disk_bound:
            return ArchiveError(
                f"{self.archive}: expands to at least {_size(total)}, more than the free disk "
                f"space allows ({_size(lim.free_bytes)} free under {self.dest}); free some space "
                "(or set COLORIZATION_DATA_DIR to a folder on a bigger disk) and try again"
            )
        return self.bomb(
            f"it expands to at least {_size(total)}, above the limit of {_size(lim.max_total)} "
            f"({TOTAL_RATIO} times its size of {_size(lim.archive_bytes)}, at least "
            f"{_size(TOTAL_FLOOR)})"
        )

    def count(self, name: str, size: int | None, compressed: int | None = None) -> None:
        """Account for one entry (``size`` None: not a regular file); raise on a limit."""
        lim = self.limits
        self.entries += 1
        if self.entries > lim.max_entries:
            raise self.bomb(
                f"it holds more than {lim.max_entries} entries (the limit for an archive of "
                f"{_size(lim.archive_bytes)})"
            )
        if size is None:
            return
        if size > lim.max_member:
            raise self.bomb(
                f"member {name!r} declares {_size(size)}, above the limit of "
                f"{_size(lim.max_member)} per file"
            )
        if (compressed is not None and size > RATIO_FLOOR
                and size > MAX_RATIO * compressed):
            raise self.bomb(
                f"member {name!r} expands {size / max(compressed, 1):.0f}:1 "
                f"(more than {MAX_RATIO}:1)"
            )
        self.declared += size
        if self.declared > lim.max_total:
            raise self._too_big(self.declared)

    def check_ratio(self, expanded: int, compressed: int) -> None:
        """Refuse a stream that expanded more than ``MAX_RATIO`` times what was read (tar)."""
        if expanded > RATIO_FLOOR and expanded > MAX_RATIO * max(compressed, 1):
            raise self.bomb(
                f"the first {_size(compressed)} expand to {_size(expanded)} "
                f"(more than {MAX_RATIO}:1)"
            )

    # ------------------------------------------------------------------ entries

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append({"file": name, "reason": reason})

    def _fail_or_skip(self, name: str, err: OSError) -> None:
        """A failed write: fatal for a full or read-only disk, else this entry is skipped."""
        if err.errno in _FATAL_ERRNOS:
            raise ArchiveError(
                f"{self.archive}: cannot write into {self.dest} ({err.strerror}); free some "
                "space or choose another folder, then try again"
            ) from err
        if err.errno in (errno.ENOTDIR, errno.EEXIST) or isinstance(err, FileExistsError):
            self.skip(name, PARENT_IS_FILE)
        elif isinstance(err, IsADirectoryError):
            self.skip(name, FOLDER_EXISTS)
        else:
            self.skip(name, f"cannot be created here: {err.strerror or err}")

    def target(self, name: str, is_dir: bool = False) -> Path | None:
        """Checked target path for an entry, or ``None`` (and a skip record) if unusable."""
        rel = _safe_rel(name)
        try:
            target = _inside(self.dest, rel) if rel is not None else None
        except OSError as err:
            self.skip(name, f"cannot be created here: {err.strerror or err}")
            return None
        if target is None:
            if rel is None and name.replace("\\", "/").strip("/.") == "":
                return None  # the archive's own "./" entry: nothing to do
            self.skip(name, ESCAPES)
            return None
        if is_dir:
            return target
        key = rel.as_posix()
        if key in self.seen:
            self.skip(name, DUPLICATE)
            return None
        self.seen.add(key)
        try:
            if target.is_dir():
                self.skip(name, FOLDER_EXISTS)
                return None
        except OSError as err:
            self._fail_or_skip(name, err)
            return None
        return target

    def folder(self, name: str) -> None:
        """A folder entry: created (or skipped with its reason)."""
        if self.dest is None:
            return
        target = self.target(name, is_dir=True)
        if target is None:
            return
        try:
            target.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file of that name was extracted earlier
            self.skip(name, FILE_EXISTS)
        except OSError as err:
            self._fail_or_skip(name, err)

    def member(self, src, name: str, declared: int) -> None:
        """Stream one regular member: to its target, or (``dest`` None) to nowhere."""
        limit = min(declared, self.limits.max_member, self.limits.max_total - self.total)
        if declared > limit:
            raise self._too_big(self.total + declared)
        if self.dest is None:
            self.total += self._drain(src, limit, name)
            return
        target = self.target(name)
        if target is None:
            return
        try:
            self.total += self._copy(src, target, limit, name)
        except _CannotCreate as err:
            self._fail_or_skip(name, err.err)

    def _over(self, name: str, limit: int) -> ArchiveError:
        return self.bomb(f"{name!r} expands beyond its declared or allowed size ({limit} bytes)")

    def _drain(self, src, limit: int, name: str) -> int:
        read = 0
        while chunk := src.read(CHUNK):
            read += len(chunk)
            if read > limit:
                raise self._over(name, limit)
        return read

    def _copy(self, src, target: Path, limit: int, name: str) -> int:
        """Copy ``src`` to ``target`` via a short temporary sibling; at most ``limit`` bytes.

        Reading errors propagate as they are (a damaged archive); writing errors become
        :class:`_CannotCreate` (this entry only, or a full disk)."""
        tmp = target.parent / f".x{uuid.uuid4().hex[:16]}.part"
        try:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                out = open(tmp, "xb")  # noqa: SIM115 - closed below, before the rename
            except OSError as err:
                raise _CannotCreate(err) from err
            written = 0
            with out:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise self._over(name, limit)
                    try:
                        out.write(chunk)
                    except OSError as err:
                        raise _CannotCreate(err) from err
            try:
                os.replace(tmp, target)
            except OSError as err:
                raise _CannotCreate(err) from err
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return written


# --------------------------------------------------------------------------- zip and tar walks


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Turn every error of reading ``path`` into an :class:`ArchiveError` naming it."""
    try:
        yield
    except ArchiveError:
        raise
    except NotImplementedError as err:  # e.g. an unsupported compression method
        raise ArchiveError(f"{path}: cannot be extracted here ({err})") from err
    except RuntimeError as err:  # encrypted members
        raise ArchiveError(f"{path}: cannot be extracted ({err})") from err
    except READ_ERRORS as err:
        raise DamagedArchiveError(f"{path}: {DAMAGED} ({type(err).__name__}: {err})") from err


def _entry_kind(mode: int) -> str | None:
    """Why a zip entry of file mode ``mode`` is not read (a link, a device), or ``None``."""
    if stat.S_ISLNK(mode):
        return LINK
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return DEVICE
    return None


def _count_zip(infos: list[zipfile.ZipInfo], ex: Extractor) -> None:
    """Check every limit on the declared sizes of all entries, before any member is read."""
    for info in infos:
        ex.count(info.filename, None if info.is_dir() else info.file_size, info.compress_size)


def _extract_zip(path: Path, ex: Extractor) -> None:
    with _reading(path), zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        _count_zip(infos, ex)
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
    with _reading(path), open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tf:
        ceiling = max(ex.limits.archive_bytes * MAX_RATIO, RATIO_FLOOR)
        members = []
        for m in tf:  # headers first: every limit checked before anything is written
            ex.check_ratio(m.offset_data, raw.tell())  # what the previous members expanded to
            ex.count(m.name, m.size if m.isfile() else None)
            if m.isfile() and m.offset_data + m.size > ceiling:
                raise ex.bomb(f"member {m.name!r} would expand the archive more than "
                               f"{MAX_RATIO}:1")
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


def _walk(path: Path, ex: Extractor) -> None:
    """Extract (or, ``ex.dest`` None, verify) the zip or tar ``path`` through ``ex``."""
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
    _count_zip(infos, ex)
    out = []
    for k, info in enumerate(infos):
        if info.is_dir():
            continue
        rel = safe_name(info.filename)
        reason = ESCAPES if rel is None else _entry_kind(info.external_attr >> 16)
        out.append(ZipEntry(k, info.filename, rel, info.file_size, reason))
    return out


def _read_zip_members(
    path: Path, ex: Extractor, chosen: Iterable[ZipEntry]
) -> Iterator[tuple[ZipEntry, Path | None, str | None]]:
    """Write each chosen member of zip ``path`` under ``ex.dest`` and yield ``(entry, file,
    None)``, or ``(entry, None, reason)`` for one refused. The file is removed when the next
    member is asked for (see :func:`iter_zip_members`)."""
    with _reading(path), zipfile.ZipFile(path) as zf:
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


# --------------------------------------------------------------------------- interface


def archive_file(archive_path: str | os.PathLike) -> Path:
    """``archive_path`` as a Path; :class:`ArchiveError` when no such file exists."""
    path = Path(archive_path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive file")
    return path


def _extractor(path: Path, folder: str | os.PathLike | None, **maxima) -> Extractor:
    """An :class:`Extractor` for ``path`` under its :func:`limits_for`: writing into ``folder``
    (created, and cleared of the temporary member files an interrupted extraction left), or
    with ``None`` writing nothing."""
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        _remove_parts(folder)
    limits = limits_for(path, folder, **maxima)
    return Extractor(path, None if folder is None else folder.resolve(), limits)


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
    path = archive_file(archive_path)
    ex = _extractor(path, dest, max_total_bytes=max_total_bytes,
                    max_member_bytes=max_member_bytes, max_entries=max_entries)
    _walk(path, ex)
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
    path = archive_file(archive_path)
    ex = _extractor(path, None, max_total_bytes=max_total_bytes,
                    max_member_bytes=max_member_bytes, max_entries=max_entries)
    _walk(path, ex)
    return {"entries": ex.entries, "bytes": ex.total}


def _zip_file(archive_path: str | os.PathLike) -> Path:
    path = archive_file(archive_path)
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
    ex = _extractor(path, None, max_total_bytes=max_total_bytes,
                    max_member_bytes=max_member_bytes, max_entries=max_entries)
    with _reading(path), zipfile.ZipFile(path) as zf:
        return _file_entries(zf, ex)


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
    ex = _extractor(path, scratch, max_total_bytes=max_total_bytes,
                    max_member_bytes=max_member_bytes, max_entries=max_entries)
    return _read_zip_members(path, ex, entries)


# --------------------------------------------------------------------------- scratch folders


_FOLDER_PREFIX = ".extract-"
_STALE_SECONDS = 24 * 3600  # without OS locks (Windows), older scratch folders count as stale


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
