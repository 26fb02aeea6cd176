"""The one way the project writes a file (atomically), and reads one back (validated).

A file is written to a temporary name beside it, fsynced, then renamed over the target and the
folder fsynced: a crash, a kill or a full disk leaves the previous file or the new one, never
half of one. :func:`read_json` raises :class:`DamagedFileError` (naming the file, what is wrong
and what to do) for a missing, cut short or invalid JSON file.
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


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems (and Windows) do not open folders
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (in an existing folder), for writers that want a
    file name; on success it is fsynced and renamed to ``path``. ``suffix`` (default: the
    target's) is for libraries that choose the format from the extension."""
    path = Path(path)
    suffix = path.suffix if suffix is None else suffix
    short = path.name.encode()[:64].decode(errors="ignore")  # names are limited in bytes
    fd, name = tempfile.mkstemp(prefix=f".{short}.", suffix=f".tmp{suffix}", dir=path.parent)
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
    """Open a temporary file beside ``path`` for writing (``mode`` ``"w"`` or ``"wb"``); rename
    it over ``path`` on success."""
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
    """``obj`` as indented, key-sorted JSON, written atomically; NaN and infinities as
    ``null``."""
    text = json.dumps(finite_json(obj), indent=2, sort_keys=True, allow_nan=False)
    return write_text(path, text + "\n")


class DamagedFileError(ValueError):
    """A file that is not what it should be; the message names it, says what is wrong
    (``why``) and what to do."""

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
    not WHAT (why): TODO``) for a file missing, empty, cut short, not UTF-8, not JSON
    (``NaN`` included) or of another type."""
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
    """Why ``value`` is not a finite real number in ``[low, high]`` (whole when ``whole``;
    never a bool), or ``None`` when it is."""
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
    taken) and return the new path."""
    path = Path(path)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    for k in range(1000):
        target = path.with_name(f"{path.name}.damaged-{stamp}" + (f"-{k}" if k else ""))
        if not target.exists():
            os.replace(path, target)
            _fsync_dir(path.parent)
            return target
    raise FileExistsError(f"cannot set {path} aside: {target} exists")


def remove_temporaries(folder: Path) -> None:
    """Delete the temporary files of writes a kill interrupted in ``folder`` (only ever the
    hidden ``.NAME.*.tmp*`` files :func:`atomic_path` makes)."""
    for p in Path(folder).glob(".*.tmp*") if Path(folder).is_dir() else ():
        if p.is_file():
            p.unlink(missing_ok=True)
