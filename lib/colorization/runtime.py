"""The process-wide settings the entry points make: TensorFlow's CPU kernels and quiet start-up,
the notebook set-up.

Nothing here runs at import time. The command line, ``make reproduce``, the notebooks' set-up
call, the benchmarks and the tests' ``conftest.py`` call :func:`prepare_tensorflow` before
anything imports Keras.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import shutil
import subprocess
import sys


def prepare_tensorflow(level: str = "3") -> None:
    """Call before Keras loads: :func:`use_onednn`, then :func:`quiet` at ``level``."""
    use_onednn()
    quiet(level)


def use_onednn() -> None:
    """Turn on TensorFlow's oneDNN CPU kernels (``TF_ENABLE_ONEDNN_OPTS=1``) unless the user
    chose; it only counts before TensorFlow is imported.

    TensorFlow 2.21 turns them on by itself only on CPUs with AVX-512 VNNI or newer. On an AVX2
    CPU (an AMD EPYC, 2 cores) they train the paper networks 0-17% faster than its Eigen
    kernels (docs/performance.md, section 2), and the benchmark's PyTorch twin uses oneDNN too.
    The results differ from Eigen's by float32 rounding. ``TF_ENABLE_ONEDNN_OPTS=0`` turns
    them off.
    """
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def quiet(level: str = "3") -> None:
    """Keep TensorFlow's start-up and log lines out of the output; call it before Keras loads.

    Sets ``TF_CPP_MIN_LOG_LEVEL`` to ``level`` unless the user chose one. TensorFlow 2.21 writes
    "oneDNN custom operations are on", "Could not find cuda drivers" and an absl warning to file
    descriptor 2 before its logging is initialised, whatever that variable says; in a notebook
    they land in every executed cell's output (and in nbval's comparison). So when quiet
    TensorFlow is asked for (level >= 1), it is imported here with fd 2 pointed at /dev/null;
    Python-level errors of the import are still raised. At level 2 or more, TensorFlow's own
    Python logger shows errors only (its retracing warnings carry memory addresses and call
    counts, noise in an executed notebook). Does nothing for another Keras backend.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", level)
    chosen = os.environ["TF_CPP_MIN_LOG_LEVEL"]
    if chosen in ("", "0") or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    if "tensorflow" not in sys.modules and importlib.util.find_spec("tensorflow") is not None:
        _import_without_stderr()
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None and chosen >= "2":
        tensorflow.get_logger().setLevel("ERROR")


def _import_without_stderr() -> None:
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (some embedded interpreters)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        importlib.import_module("tensorflow")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def setup_notebook(profile: str | None = None) -> str:
    """The first call of every notebook: quiet TensorFlow, then choose the profile and print
    what produces the outputs below it (:func:`provenance`).

    ``profile``: the notebook's parameter (``None``: ``$COLORIZATION_PROFILE``, else
    ``"quick"``). Returns the profile name. The experiments' records, per profile, are
    :mod:`colorization.experiments` (``colorization experiments`` lists them).
    """
    prepare_tensorflow()
    # Imported after quiet(): importing it imports TensorFlow, whose start-up lines quiet()
    # keeps out of the notebook.
    from colorization import experiments

    chosen = experiments.profile_from_env(profile)
    print(provenance(chosen))
    return chosen


DATA_KINDS = {"fruits360-sample": "real photos", "synthetic-fruits": "generated",
              "synthetic-animals": "generated", "fruits": "Kaggle", "animals": "Kaggle"}


def provenance(profile: str, today: datetime.date | None = None) -> str:
    """One line: the profile, what ``fruits`` and ``animals`` resolve to right now, the
    commit of the working tree and the date, e.g. ``profile: quick · data: fruits ->
    fruits360-sample (real photos), animals -> synthetic-animals (generated) · commit
    abc1234 · 2026-11-27``."""
    from colorization import data

    resolved = []
    for name in ("fruits", "animals"):
        used = data.resolve(name)
        kind = DATA_KINDS.get(used)
        resolved.append(f"{name} -> {used}" + (f" ({kind})" if kind else ""))
    day = (today or datetime.date.today()).isoformat()
    return (f"profile: {profile} · data: {', '.join(resolved)} · commit {short_commit()} "
            f"· {day}")


def short_commit(root: str | os.PathLike | None = None) -> str:
    """``git rev-parse --short HEAD`` of the project (``root``: default, this package's
    checkout), or ``"unknown"`` when git or the repository is not there."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    where = root if root is not None else os.path.dirname(os.path.abspath(__file__))
    try:
        res = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=where,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = res.stdout.strip()
    return commit if res.returncode == 0 and commit else "unknown"
