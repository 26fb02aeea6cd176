"""Safe extraction of downloaded archives (.zip, .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz).

A downloaded archive is untrusted input. :func:`safe_extract` never writes outside the target
folder and never creates links:

- *entry-level* problems (a name with ``..`` or an absolute path, a link or device entry, a
  duplicate name) are skipped and reported as ``{"file": name, "reason": ...}`` records, so a
  dataset with one odd entry still extracts;
- *archive-level* problems (a damaged or partly downloaded archive, a possible zip bomb) raise
  :class:`ArchiveError` with a message that says what to do.

Each member is streamed to a temporary name next to its target and renamed when complete, so a
crash never leaves a half-written file under its real name.
"""

from __future__ import annotations

import os
import re
import stat
import tarfile
import uuid
import zipfile
import zlib
from pathlib import Path, PurePosixPath

_DAMAGED = "the archive is damaged or was only partly downloaded; delete it and download again"
_BOMB = "refusing a possible zip bomb"
_ESCAPES = "path escapes the target folder"
_LINK = "link entries are not extracted"
_DEVICE = "device entries are not extracted"
_DUPLICATE = "duplicate entry"

# A member larger than this must not expand more than MAX_RATIO times its compressed size
# (ordinary images compress 1-3x; text maybe 10x; 1000x is only reached by crafted data).
MAX_RATIO = 1000
RATIO_CHECK_BYTES = 16 * 2**20
_CHUNK = 2**20
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(RuntimeError):
    """The archive as a whole cannot be used; the message says why and what to do."""


def _unsafe_name(name: str) -> PurePosixPath | None:
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


def _stream_to(src, target: Path, limit: int, name: str) -> int:
    """Copy ``src`` to ``target`` via a temporary sibling; refuse more than ``limit`` bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    written = 0
    try:
        with open(tmp, "wb") as out:
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise ArchiveError(
                        f"{_BOMB}: {name!r} expands beyond its declared or allowed size "
                        f"({limit} bytes)"
                    )
                out.write(chunk)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return written


def _check_sizes(sizes: list[tuple[str, int, int | None]], max_total: int, max_member: int):
    """Refuse archives whose *declared* sizes are absurd, before writing anything."""
    total = 0
    for name, size, compressed in sizes:
        if size > max_member:
            raise ArchiveError(
                f"{_BOMB}: member {name!r} declares {size} bytes, above the limit of "
                f"{max_member} bytes per file"
            )
        ratio = size / max(compressed or 0, 1)
        if compressed is not None and size > RATIO_CHECK_BYTES and ratio > MAX_RATIO:
            raise ArchiveError(
                f"{_BOMB}: member {name!r} expands {ratio:.0f}:1 (more than {MAX_RATIO}:1)"
            )
        total += size
    if total > max_total:
        raise ArchiveError(
            f"{_BOMB}: the archive declares {total} bytes in all, above the limit of "
            f"{max_total} bytes"
        )


class _Extractor:
    """Shared bookkeeping: name checks, duplicates, skipped records, byte budget."""

    def __init__(self, dest: Path, max_total: int, max_member: int):
        self.dest = dest
        self.max_total = max_total
        self.max_member = max_member
        self.skipped: list[dict] = []
        self.seen: set[str] = set()
        self.total = 0

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append({"file": name, "reason": reason})

    def target(self, name: str, is_dir: bool = False) -> Path | None:
        """Checked target path for an entry, or ``None`` (and a skip record) if unusable."""
        rel = _unsafe_name(name)
        target = _inside(self.dest, rel) if rel is not None else None
        if target is None:
            if rel is None and name.replace("\\", "/").strip("/.") == "":
                return None  # the archive's own "./" entry: nothing to do
            self.skip(name, _ESCAPES)
            return None
        if is_dir:
            return target
        key = rel.as_posix()
        if key in self.seen:
            self.skip(name, _DUPLICATE)
            return None
        self.seen.add(key)
        if target.is_dir():
            self.skip(name, "a folder of the same name already exists")
            return None
        return target

    def write(self, src, target: Path, name: str, declared: int) -> None:
        limit = min(declared, self.max_member, self.max_total - self.total)
        if declared > limit:
            raise ArchiveError(f"{_BOMB}: {name!r} would exceed the archive's size limit")
        self.total += _stream_to(src, target, limit, name)


def _extract_zip(path: Path, ex: _Extractor) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_sizes(
                [(i.filename, i.file_size, i.compress_size) for i in infos],
                ex.max_total,
                ex.max_member,
            )
            for info in infos:
                name = info.filename
                mode = info.external_attr >> 16
                if info.is_dir():
                    target = ex.target(name, is_dir=True)
                    if target is not None:
                        target.mkdir(parents=True, exist_ok=True)
                    continue
                if stat.S_ISLNK(mode):
                    ex.skip(name, _LINK)
                    continue
                if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    ex.skip(name, _DEVICE)
                    continue
                target = ex.target(name)
                if target is None:
                    continue
                with zf.open(info) as src:
                    ex.write(src, target, name, info.file_size)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as err:
        raise ArchiveError(f"{path.name}: {_DAMAGED} ({err})") from err
    except NotImplementedError as err:  # e.g. an unsupported compression method
        raise ArchiveError(f"{path.name}: cannot be extracted here ({err})") from err
    except RuntimeError as err:  # encrypted members
        raise ArchiveError(f"{path.name}: cannot be extracted ({err})") from err


def _extract_tar(path: Path, ex: _Extractor) -> None:
    try:
        with tarfile.open(path, mode="r:*") as tf:
            members = tf.getmembers()
            _check_sizes(
                [(m.name, m.size, None) for m in members if m.isfile()],
                ex.max_total,
                ex.max_member,
            )
            for m in members:
                if m.isdir():
                    target = ex.target(m.name, is_dir=True)
                    if target is not None:
                        target.mkdir(parents=True, exist_ok=True)
                    continue
                if m.issym() or m.islnk():
                    ex.skip(m.name, _LINK)
                    continue
                if not m.isfile():
                    ex.skip(m.name, _DEVICE)
                    continue
                target = ex.target(m.name)
                if target is None:
                    continue
                src = tf.extractfile(m)
                if src is None:
                    ex.skip(m.name, "unreadable entry")
                    continue
                with src:
                    ex.write(src, target, m.name, m.size)
    except ArchiveError:
        raise
    except (tarfile.TarError, zlib.error, EOFError, OSError) as err:
        raise ArchiveError(f"{path.name}: {_DAMAGED} ({err})") from err


def safe_extract(
    archive_path: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    max_total_bytes: int = 20 * 2**30,
    max_member_bytes: int = 2 * 2**30,
) -> list[dict]:
    """Extract ``archive_path`` (zip or tar, any compression) into ``dest`` (created).

    Returns the skipped entries as ``[{"file": name, "reason": reason}, ...]`` (reasons:
    "path escapes the target folder", "link entries are not extracted", "device entries are
    not extracted", "duplicate entry"). Raises :class:`ArchiveError` for an archive that is
    missing, not an archive, damaged or truncated, or a possible zip bomb (declared total
    above ``max_total_bytes``, a member above ``max_member_bytes``, a large member expanding
    more than 1000:1, or data longer than declared). Files already extracted when an error is
    raised are left in ``dest``; extract into a fresh folder and delete it on failure.
    """
    path = Path(archive_path)
    if not path.is_file():
        raise ArchiveError(f"{path}: no such archive file")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    ex = _Extractor(dest.resolve(), int(max_total_bytes), int(max_member_bytes))
    if zipfile.is_zipfile(path):
        _extract_zip(path, ex)
    else:
        try:
            is_tar = tarfile.is_tarfile(path)
        except (OSError, EOFError, zlib.error):
            is_tar = False
        if not is_tar:
            raise ArchiveError(f"{path.name}: not a valid zip or tar archive; {_DAMAGED}")
        _extract_tar(path, ex)
    return ex.skipped
