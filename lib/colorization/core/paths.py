"""Every path of the project, derived from one root (cookiecutter-data-science style).

``COLORIZATION_HOME`` overrides the root (default: the repository holding ``lib/``, or the
current directory when the package is installed elsewhere). ``COLORIZATION_DATA_DIR``
overrides where datasets are downloaded and prepared.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("COLORIZATION_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = checkout_root()
    return here if here is not None else Path.cwd().resolve()


def checkout_root() -> Path | None:
    """The repository this package was loaded from (the folder holding ``pyproject.toml`` and
    ``lib/colorization``), or ``None`` when it is installed elsewhere."""
    package = Path(__file__).resolve().parents[1]  # lib/colorization
    root = package.parents[1]
    if (root / "pyproject.toml").exists() and (root / "lib" / "colorization") == package:
        return root
    return None


def data_dir() -> Path:
    """Root of downloaded (``raw/``) and prepared (``prepared/``) datasets; git-ignored."""
    env = os.environ.get("COLORIZATION_DATA_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / "data"


def raw_dir() -> Path:
    return data_dir() / "raw"


def prepared_dir() -> Path:
    return data_dir() / "prepared"


def runs_dir() -> Path:
    """Run directories of training experiments (one per experiment)."""
    env = os.environ.get("COLORIZATION_RUNS_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / "runs"


def reports_dir() -> Path:
    return project_root() / "reports"


def figures_dir() -> Path:
    return reports_dir() / "figures"
