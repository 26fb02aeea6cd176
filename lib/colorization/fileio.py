"""Writes a reader may trust: to a temporary name in the same folder, then renamed over the
target (atomic on POSIX), so a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_text(path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def write_json(path, obj) -> Path:
    """``obj`` as indented, key-sorted JSON (stable diffs), written atomically."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
