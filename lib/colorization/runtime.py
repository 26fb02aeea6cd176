"""The process-wide settings the entry points make: quiet TensorFlow, the notebook set-up.

Nothing here runs at import time. The command line, the notebooks' set-up call and the tests'
``conftest.py`` call :func:`quiet` before anything imports Keras.
"""

from __future__ import annotations

import importlib.util
import os
import sys


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
    """The first call of every notebook: quiet TensorFlow, then choose and print the profile.

    ``profile``: the notebook's parameter (``None``: ``$COLORIZATION_PROFILE``, else
    ``"quick"``). Returns the profile name. The experiments' records, per profile, are
    :mod:`colorization.experiments` (``colorization experiments`` lists them).
    """
    quiet()
    # Imported after quiet(): importing it imports TensorFlow, whose start-up lines quiet()
    # keeps out of the notebook.
    from colorization import experiments

    chosen = experiments.profile_from_env(profile)
    print(f"profile: {chosen}")
    return chosen
