"""The one way the project writes a file (atomically), and reads one back (validated).

Every file is written to a temporary name in the same folder, flushed and fsynced, then
renamed over the target (``os.replace``, atomic on POSIX and Windows), and the folder is
fsynced so the rename itself survives a power cut. A crash, a kill or a full disk at any
instant leaves the previous file or the new one, never half of one; a failed write removes its
temporary file and re-raises.

Use :func:`atomic_write` for anything written in pieces (images, archives, ``.npy`` arrays,
Keras files via a path), and the small helpers for whole texts, bytes and JSON.

Reading: :func:`read_json` is the one reader of the project's JSON files. A file that is
missing where it must exist, cut short, not UTF-8, not JSON (``NaN`` and ``Infinity``
included, which :func:`write_json` never writes) or of another JSON type raises
:class:`DamagedFileError`, whose message names the file, what is wrong and what to do.
:func:`number_problem` says why a value read from a file is not the number it should be.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import numbers
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "DamagedFileError",
    "atomic_path",
    "atomic_write",
    "damaged",
    "finite_json",
    "number_problem",
    "read_json",
    "set_aside",
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


class DamagedFileError(ValueError):
    """A file that is not what it should be (missing, cut short, garbage, a wrong value); the
    message names it, says what is wrong and what to do. ``path``: the file; ``why``: what
    is wrong with it, when given apart."""

    def __init__(self, message: str, path=None, why: str | None = None):
        super().__init__(message)
        self.path = None if path is None else Path(path)
        self.why = why


def damaged(path, what: str, why: str, todo: str) -> DamagedFileError:
    """``DamagedFileError("PATH is not WHAT (WHY): TODO")``."""
    return DamagedFileError(f"{path} is not {what} ({why}): {todo}", path, why)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(path, what: str, todo: str, expect: type = dict):
    """The JSON value of ``path``, of type ``expect``; :class:`DamagedFileError` (``PATH is
    not WHAT (why): TODO``) for a missing file, an empty or cut-short one, bytes that are not
    UTF-8 or not JSON (``NaN`` and ``Infinity`` included) and a value of another type."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError) as err:
        raise damaged(path, what, "missing" if isinstance(err, FileNotFoundError)
                      else "a folder", todo) from None
    except UnicodeDecodeError:
        raise damaged(path, what, "not UTF-8 text", todo) from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as err:
        why = "empty file" if not text.strip() else f"invalid JSON: {err}"
        raise damaged(path, what, why, todo) from None
    if not isinstance(value, expect):
        names = {dict: "an object", list: "a list"}
        raise damaged(path, what, f"a JSON {type(value).__name__}, not "
                      f"{names.get(expect, expect.__name__)}", todo)
    return value


def number_problem(value, low: float = -math.inf, high: float = math.inf,
                   whole: bool = False) -> str | None:
    """Why ``value`` is not a finite real number in ``[low, high]`` (a whole one when
    ``whole``), or ``None`` when it is. Booleans and strings are never numbers."""
    if value is None:
        return "missing"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"{value!r} is not a number"
    if not math.isfinite(value):
        return f"{value!r} is not a finite number"
    if whole and value != int(value):
        return f"{value!r} is not a whole number"
    if not low <= value <= high:
        bounds = (f"between {low:g} and {high:g}" if math.isfinite(high)
                  else f"at least {low:g}" if math.isfinite(low) else f"at most {high:g}")
        return f"{value!r} is out of range (it must be {bounds})"
    return None


def set_aside(path) -> Path:
    """Rename a damaged ``path`` to ``NAME.damaged-<date>T<time>`` beside it (numbered when
    that name is taken) and return the new path; nothing is deleted."""
    path = Path(path)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    for k in range(1000):
        target = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{k}" if k else ""))
        if not target.exists():
            os.replace(path, target)
            _fsync_dir(path.parent)
            return target
    raise FileExistsError(f"cannot set {path} aside: {target} exists")
