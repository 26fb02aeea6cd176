"""Entry checks and bookkeeping of :mod:`colorization.archive`: the errors, the reasons an entry
is skipped, the :class:`Limits` of one archive, and :class:`Extractor`, which checks each
entry's name, counts entries and bytes against the limits, and streams a member to its target
(or, for :func:`~colorization.archive.verify`, to nowhere).

The numbers behind the limits live in :mod:`colorization.archive` (``MAX_RATIO``, ...) and reach
this module only through a :class:`Limits`, so changing them there changes every check.
"""

from __future__ import annotations

import contextlib
import errno
import lzma
import os
import re
import struct
import tarfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass
from pathlib import Path, PurePosixPath

DAMAGED = "the archive is damaged or was only partly downloaded; delete it and download again"
BOMB = "refusing a possible zip bomb"
ESCAPES = "path escapes the target folder"
LINK = "link entries are not extracted"
DEVICE = "device entries are not extracted"
DUPLICATE = "duplicate entry"
FOLDER_EXISTS = "a folder of the same name already exists"
FILE_EXISTS = "a file of the same name already exists"
PARENT_IS_FILE = "one of its folders has the name of a file already extracted"

CHUNK = 2**20
_DRIVE = re.compile(r"^[A-Za-z]:")
_PART = re.compile(r"^\.x[0-9a-f]{16}\.part$")  # temporary member files (see Extractor._copy)
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


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


@dataclass(frozen=True)
class Limits:
    """What one archive may expand to (see :mod:`colorization.archive` for the formulas).

    The keyword-only fields are the rules the limits came from, named in the error messages."""

    max_total: int
    max_member: int
    max_entries: int
    archive_bytes: int
    free_bytes: int | None = None  # None: not writing (verify)
    _: KW_ONLY
    max_ratio: int  # a member (zip) or the stream so far (tar) may expand this many times ...
    ratio_floor: int  # ... once it is larger than this many bytes
    total_ratio: int  # the default max_total: total_ratio times the archive's size, ...
    total_floor: int  # ... at least total_floor bytes, ...
    disk_share: float  # ... and never beyond this share of the free disk

    @property
    def disk_bound(self) -> bool:
        return self.free_bytes is not None and self.max_total == int(
            self.free_bytes * self.disk_share
        )


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


def remove_parts(dest: Path) -> None:
    """Remove temporary member files left in ``dest`` by an interrupted extraction."""
    for dirpath, _dirs, files in os.walk(dest):
        for f in files:
            if _PART.match(f):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, f))




class Extractor:
    """Shared bookkeeping: name checks, conflicts, skipped records, limits and byte budget.

    With ``dest=None`` nothing is written: members are read to the end and discarded
    (:func:`~colorization.archive.verify`)."""

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
            f"({lim.total_ratio} times its size of {_size(lim.archive_bytes)}, at least "
            f"{_size(lim.total_floor)})"
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
        if (compressed is not None and size > lim.ratio_floor
                and size > lim.max_ratio * compressed):
            raise self.bomb(
                f"member {name!r} expands {size / max(compressed, 1):.0f}:1 "
                f"(more than {lim.max_ratio}:1)"
            )
        self.declared += size
        if self.declared > lim.max_total:
            raise self._too_big(self.declared)

    def check_ratio(self, expanded: int, compressed: int) -> None:
        """Refuse a stream that expanded more than ``max_ratio`` times what was read (tar)."""
        lim = self.limits
        if expanded > lim.ratio_floor and expanded > lim.max_ratio * max(compressed, 1):
            raise self.bomb(
                f"the first {_size(compressed)} expand to {_size(expanded)} "
                f"(more than {lim.max_ratio}:1)"
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


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
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
