"""Safe extraction of untrusted archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz).

:func:`safe_extract` never writes outside the target folder and never creates links. An entry
that cannot be extracted safely (``..`` or an absolute name, a link or device, a duplicate, a
file and a folder of the same name, a name the file system refuses) is skipped and reported.
A damaged or partly downloaded archive (a decompression, CRC or truncation error, a tar without
its end marker) raises :class:`DamagedArchiveError`; a possible bomb or a full disk raises
:class:`ArchiveError`. The limits, checked on the declared sizes before anything is written:
``max(ENTRY_FLOOR, archive size // BYTES_PER_ENTRY)`` entries; ``max(archive size *
TOTAL_RATIO, TOTAL_FLOOR)`` bytes in all, and at most ``DISK_SHARE`` of the free disk; no
member (zip) or stream so far (tar) above ``RATIO_FLOOR`` expanding ``MAX_RATIO`` times.
Members are written under a short temporary name and renamed when complete. (``tarfile``'s
``data`` filter is not used: it allows links, and Debian 12's Python 3.11.2 lacks it.)
"""

from __future__ import annotations

import contextlib
import errno
import lzma
import math
import os
import shutil
import stat
import struct
import tarfile
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PureWindowsPath

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

DAMAGED = "the archive is damaged or was only partly downloaded; delete it and download again"
ESCAPES = "path escapes the target folder"

MAX_RATIO = 1000  # images compress 1-3x, text maybe 10x: 1000x only comes from crafted data
RATIO_FLOOR = 2**20
TOTAL_RATIO = 100
TOTAL_FLOOR = 2**30
DISK_SHARE = 0.9
ENTRY_FLOOR = 100_000
BYTES_PER_ENTRY = 64  # a zip entry takes at least 76 bytes; a compressed tar packs them tighter
MAX_MEMBER_BYTES = 2 * 2**30
CHUNK = 2**20

_FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}
# What reading a damaged archive raises (bz2 and gzip raise OSError, a cut stream EOFError).
READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError,
               OSError, struct.error, ValueError)
_PART = ".x" + "?" * 16 + ".part"  # a member being written


class ArchiveError(RuntimeError):
    """The archive as a whole cannot be used; the message says why and what to do."""

    damaged = False  # True when downloading the archive again may help


class DamagedArchiveError(ArchiveError):
    """The archive is damaged or incomplete: delete it and download it again."""

    damaged = True


def safe_name(name: str) -> str | None:
    """The relative posix path an entry named ``name`` may be written to (``./`` parts and
    backslashes normalised), or ``None`` if it is absolute or climbs out with ``..``."""
    name = name.replace("\\", "/")
    if name.startswith("/") or PureWindowsPath(name).drive:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _free_bytes(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def _size(n: float) -> str:
    """``n`` bytes as a message says it: "512 bytes", "1.5 MiB"."""
    k = min(int(math.log(max(n, 1), 1024)), 4)
    return f"{n:.0f} bytes" if k == 0 else f"{n / 1024**k:.1f} {'KMGT'[k - 1]}iB"


class Extractor:
    """Checks the limits and the entries of one archive and writes its members into ``dest``
    (with ``dest=None`` members are read to the end and discarded: :func:`verify`)."""

    def __init__(self, archive: str | os.PathLike, dest: str | os.PathLike | None,
                 max_total_bytes: int | None = None, max_member_bytes: int = MAX_MEMBER_BYTES,
                 max_entries: int | None = None):
        self.archive = Path(archive)
        if not self.archive.is_file():
            raise ArchiveError(f"{archive}: no such archive file")
        self.archive_bytes = self.archive.stat().st_size
        self.dest = None if dest is None else Path(dest)
        if self.dest is not None:  # created, without the temporary files of an interruption
            self.dest.mkdir(parents=True, exist_ok=True)
            for part in self.dest.rglob(_PART):
                part.unlink(missing_ok=True)
            self.dest = self.dest.resolve()
        if max_total_bytes is None:
            max_total_bytes = max(self.archive_bytes * TOTAL_RATIO, TOTAL_FLOOR)
        self.free = None if dest is None else _free_bytes(self.dest)
        self.disk_bound = self.free is not None and self.free * DISK_SHARE < max_total_bytes
        self.max_total = int(self.free * DISK_SHARE) if self.disk_bound else max_total_bytes
        self.max_member = max_member_bytes
        self.max_entries = max_entries or max(ENTRY_FLOOR, self.archive_bytes // BYTES_PER_ENTRY)
        self.skipped: list[dict] = []
        self.seen: set[Path] = set()
        self.entries = self.declared = self.total = 0

    def bomb(self, what: str) -> ArchiveError:
        return ArchiveError(f"{self.archive}: refusing a possible zip bomb: {what}; it was not "
                            "used (extract it by hand only if you trust it)")

    def count(self, name: str, size: int | None, compressed: int | None = None) -> None:
        """Account for one entry's declared size (``None``: not a regular file) or raise."""
        self.entries += 1
        if self.entries > self.max_entries:
            raise self.bomb(f"it holds more than {self.max_entries} entries (the limit for an "
                            f"archive of {_size(self.archive_bytes)})")
        if size is None:
            return
        if size > self.max_member:
            raise self.bomb(f"member {name!r} declares {_size(size)}, above the limit of "
                            f"{_size(self.max_member)} per file")
        if compressed is not None:
            self.check_ratio(size, compressed, f"member {name!r}")
        self.declared += size
        if self.declared <= self.max_total:
            return
        if self.disk_bound:
            raise ArchiveError(
                f"{self.archive}: expands to at least {_size(self.declared)}, more than the "
                f"free disk space allows ({_size(self.free)} free under {self.dest}); free some "
                "space (or set COLORIZATION_DATA_DIR to a folder on a bigger disk) and try again")
        raise self.bomb(f"it expands to at least {_size(self.declared)}, above the limit of "
                        f"{_size(self.max_total)} ({TOTAL_RATIO} times its size of "
                        f"{_size(self.archive_bytes)}, at least {_size(TOTAL_FLOOR)})")

    def check_ratio(self, expanded: int, compressed: int, what: str | None = None) -> None:
        """Refuse data that expands more than ``MAX_RATIO`` times (once above ``RATIO_FLOOR``)."""
        if expanded > RATIO_FLOOR and expanded > MAX_RATIO * max(compressed, 1):
            what = what or f"its first {_size(compressed)}"
            raise self.bomb(f"{what} expands {expanded / max(compressed, 1):.0f}:1 "
                            f"(more than {MAX_RATIO}:1)")

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append({"file": name, "reason": reason})

    def _fail_or_skip(self, name: str, err: OSError) -> None:
        """A failed write: fatal for a full or read-only disk, else this entry is skipped."""
        if err.errno in _FATAL_ERRNOS:
            raise ArchiveError(f"{self.archive}: cannot write into {self.dest} ({err.strerror}); "
                               "free some space or choose another folder, then try again"
                               ) from err
        if isinstance(err, FileExistsError | NotADirectoryError):
            self.skip(name, "one of its folders has the name of a file already extracted")
        elif isinstance(err, IsADirectoryError):
            self.skip(name, "a folder of the same name already exists")
        else:
            self.skip(name, f"cannot be created here: {err.strerror or err}")

    def _target(self, name: str) -> Path | None:
        """Where entry ``name`` goes inside ``dest``, or ``None`` (with a skip record)."""
        rel = safe_name(name)
        if rel is None:
            if name.replace("\\", "/").strip("/.") != "":  # not the archive's own "./"
                self.skip(name, ESCAPES)
            return None
        target = (self.dest / rel).resolve()  # an existing link may not lead out
        if not target.is_relative_to(self.dest) or target == self.dest:
            self.skip(name, ESCAPES)
            return None
        return target

    def extract(self, entries: list[tuple], choose: Callable | None = None) -> None:
        """Extract ``entries`` ``(name, kind, size, opener, key)``: a "dir", a "file" read by
        ``opener(key)``, or a reason to skip it; with ``choose``, only the files it picks."""
        files = [rel for name, kind, *_ in entries if kind == "file" and (rel := safe_name(name))]
        wanted = None if choose is None else set(choose(files))
        for name, kind, size, opener, key in entries:
            rel = safe_name(name)
            if kind not in ("dir", "file"):
                self.skip(name, kind)
            elif kind == "file" and self.dest is None:
                with opener(key) as src:
                    while src.read(CHUNK):  # a CRC or stream check fails only at the end
                        pass
                self.total += size
            elif kind == "file" and wanted is not None and rel is not None and rel not in wanted:
                continue
            elif self.dest is None or (target := self._target(name)) is None:
                continue
            elif kind == "dir":
                try:
                    target.mkdir(parents=True, exist_ok=True)
                except FileExistsError:  # a file of that name was extracted earlier
                    self.skip(name, "a file of the same name already exists")
                except OSError as err:
                    self._fail_or_skip(name, err)
            elif target in self.seen:
                self.skip(name, "duplicate entry")
            else:
                self.seen.add(target)
                with opener(key) as src:
                    self._write(src, name, target)
                self.total += size

    def _write(self, src, name: str, target: Path) -> None:
        """Stream ``src`` to ``target`` through a short temporary name beside it."""
        tmp = target.parent / f".x{uuid.uuid4().hex[:16]}.part"  # short: fits any legal name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "xb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            os.replace(tmp, target)
        except OSError as err:
            if err.errno is None:  # raised by decompression (bz2, gzip): a damaged archive
                raise
            self._fail_or_skip(name, err)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _kind(is_dir: bool, is_link: bool, is_file: bool) -> str:
    """"dir", "file", or why the entry is not read (a link, a device)."""
    if is_dir or is_file:
        return "dir" if is_dir else "file"
    return "link entries are not extracted" if is_link else "device entries are not extracted"


def _walk(ex: Extractor, choose: Callable | None = None) -> None:
    """Extract (or verify) the archive through ``ex``, every limit checked on all entries
    first; a reading error becomes an :class:`ArchiveError` naming the archive."""
    path, entries = ex.archive, []
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for i in zf.infolist():
                    ex.count(i.filename, None if i.is_dir() else i.file_size, i.compress_size)
                    mode = i.external_attr >> 16
                    is_file = stat.S_IFMT(mode) in (0, stat.S_IFREG)
                    kind = _kind(i.is_dir(), stat.S_ISLNK(mode), is_file)
                    entries.append((i.filename, kind, i.file_size, zf.open, i))
                ex.extract(entries, choose)
        elif tarfile.is_tarfile(path):
            with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r:*") as tf:
                for m in tf:
                    ex.check_ratio(m.offset_data, raw.tell())
                    ex.count(m.name, m.size if m.isfile() else None)
                    kind = _kind(m.isdir(), m.issym() or m.islnk(), m.isfile())
                    entries.append((m.name, kind, m.size, tf.extractfile, m))
                ex.check_ratio(tf.offset, raw.tell())
                ex.extract(entries, choose)
                # tarfile stops listing silently at a damaged header or where the file was cut
                tf.fileobj.seek(tf.offset)
                if tf.fileobj.read(tarfile.BLOCKSIZE) != tarfile.NUL * tarfile.BLOCKSIZE:
                    raise DamagedArchiveError(f"{path}: {DAMAGED} (a damaged header or no "
                                              f"end-of-archive marker after {len(entries)} "
                                              "entries)")
                while tf.fileobj.read(CHUNK):  # the gzip, bzip2 and xz checksums are at the end
                    pass
        else:
            raise DamagedArchiveError(f"{path}: not a valid zip or tar archive; {DAMAGED}")
    except ArchiveError:
        raise
    except NotImplementedError as err:  # e.g. an unsupported compression method
        raise ArchiveError(f"{path}: cannot be extracted here ({err})") from err
    except RuntimeError as err:  # encrypted members
        raise ArchiveError(f"{path}: cannot be extracted ({err})") from err
    except READ_ERRORS as err:
        raise DamagedArchiveError(f"{path}: {DAMAGED} ({type(err).__name__}: {err})") from err


def safe_extract(archive_path: str | os.PathLike, dest: str | os.PathLike, *,
                 choose: Callable[[list[str]], Iterable[str]] | None = None,
                 **maxima) -> list[dict]:
    """Extract ``archive_path`` (zip or tar, any compression) into ``dest`` (created); return
    the skipped entries as ``[{"file": name, "reason": reason}, ...]``.

    ``choose``, given the safe relative names of all regular files before anything is written,
    returns those to extract (it may raise to refuse the archive). ``maxima``:
    ``max_total_bytes``, ``max_member_bytes``, ``max_entries`` replace the default limits.

    Raises :class:`DamagedArchiveError` for a damaged, truncated or non-archive file and
    :class:`ArchiveError` for a missing file, a possible bomb, too little free disk or a full
    disk. Files extracted before an error stay: extract into an :func:`extraction_folder`."""
    ex = Extractor(archive_path, dest, **maxima)
    _walk(ex, choose)
    return ex.skipped


def verify(archive_path: str | os.PathLike, **maxima) -> dict:
    """Read ``archive_path`` to its end under the limits of :func:`safe_extract`, writing
    nothing; return ``{"entries": n, "bytes": expanded_size}``. Raises as it does: only a
    :class:`DamagedArchiveError` means downloading it again may help."""
    ex = Extractor(archive_path, None, **maxima)
    _walk(ex)
    return {"entries": ex.entries, "bytes": ex.total}


# Scratch folders: each is locked by the process using it (the lock dies with the process), so
# a later run can tell the leftovers of a killed run from a folder in use.


def _lock(folder: Path) -> int | None:
    """An exclusive lock on ``folder`` (an fd to keep open; -1 where the OS has no folder
    locks), or ``None`` if another process holds it or it is gone."""
    if fcntl is None:  # pragma: no cover - Windows
        return -1
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.samestat(os.fstat(fd), os.stat(folder)):  # not removed meanwhile
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def clean_leftovers(parent: str | os.PathLike) -> list[Path]:
    """Remove the ``.extract-*`` scratch folders under ``parent`` that no running process
    holds (none where the OS has no folder locks); return them."""
    removed = []
    for folder in sorted(Path(parent).glob(".extract-*")) if fcntl else []:
        if folder.is_dir() and not folder.is_symlink() and (fd := _lock(folder)) is not None:
            shutil.rmtree(folder, ignore_errors=True)
            os.close(fd)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def extraction_folder(parent: str | os.PathLike, label: str) -> Iterator[Path]:
    """A fresh, locked scratch folder ``parent/.extract-<label>-XXXXXXXX``, removed on exit;
    the leftovers of killed runs are removed first (:func:`clean_leftovers`)."""
    Path(parent).mkdir(parents=True, exist_ok=True)
    clean_leftovers(parent)
    for _attempt in range(10):  # another run's cleaner may remove it before it is locked
        work = Path(tempfile.mkdtemp(prefix=f".extract-{label}-", dir=parent))
        if (fd := _lock(work)) is not None:
            break
    else:  # pragma: no cover
        raise ArchiveError(f"could not create a scratch folder under {parent}")
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if fd >= 0:
            os.close(fd)
