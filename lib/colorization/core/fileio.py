"""The one way the project writes a file: atomically.

Every file is written to a temporary name in the same folder, flushed and fsynced, then
renamed over the target (``os.replace``, atomic on POSIX and Windows), and the folder is
fsynced so the rename itself survives a power cut. A crash, a kill or a full disk at any
instant leaves the previous file or the new one, never half of one; a failed write removes its
temporary file and re-raises.

Use :func:`atomic_write` for anything written in pieces (images, archives, ``.npy`` arrays,
Keras files via a path), and the small helpers for whole texts, bytes and JSON.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write",
    "finite_json",
    "write_bytes",
    "write_json",
    "write_text",
]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _short(name: str, limit: int = 64) -> str:
    """At most ``limit`` bytes of ``name`` (file names are limited in bytes, not characters)."""
    return name.encode()[:limit].decode(errors="ignore")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some filesystems (and Windows) do not open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``.

    For writers that want a file name rather than a file object (``keras.Model.save``,
    ``cv2.imwrite``, ``np.save``). ``suffix`` (default: the target's own) keeps libraries that
    choose the format from the extension happy. The parent folder must exist.
    """
    path = Path(path)
    suffix = path.suffix if suffix is None else suffix
    fd, name = tempfile.mkstemp(prefix=f".{_short(path.name)}.", suffix=f".tmp{suffix}",
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_write(path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator:
    """Open a temporary file beside ``path`` for writing; rename it over ``path`` on success.

    ``mode`` is ``"w"`` (text, ``encoding``) or ``"wb"`` (bytes)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write writes whole files: mode 'w' or 'wb', not {mode!r}")
    with atomic_path(path) as tmp:
        kwargs = {"encoding": encoding} if mode == "w" else {}
        with open(tmp, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def write_bytes(path, data: bytes) -> Path:
    with atomic_write(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path, text: str) -> Path:
    with atomic_write(path, "w") as f:
        f.write(text)
    return Path(path)


def finite_json(obj):
    """``obj`` with every non-finite float replaced by ``None`` (JSON has no NaN/Infinity)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    if hasattr(obj, "item") and getattr(obj, "shape", None) == ():  # NumPy scalars
        return finite_json(obj.item())
    return obj


def write_json(path, obj) -> Path:
    """``obj`` as indented, key-sorted JSON (stable diffs), written atomically.

    Always valid JSON: NaN and infinities are written as ``null``."""
    text = json.dumps(finite_json(obj), indent=2, sort_keys=True, allow_nan=False)
    return write_text(path, text + "\n")
