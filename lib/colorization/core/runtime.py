"""The process-wide settings the entry points make before Keras loads: TensorFlow's CPU kernels
and a quiet start-up.

Nothing here runs at import time. The command line, ``make reproduce``, the notebooks' set-up
call, the benchmarks and the tests' ``conftest.py`` call :func:`prepare_tensorflow` before
anything imports Keras.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def prepare_tensorflow(level: str = "3") -> None:
    """Call before Keras loads: :func:`use_onednn`, then :func:`quiet` at ``level``."""
    use_onednn()
    quiet(level)


def use_onednn() -> None:
    """Turn on TensorFlow's oneDNN CPU kernels (``TF_ENABLE_ONEDNN_OPTS=1``) unless the user
    chose; it only counts before TensorFlow is imported.

    TensorFlow 2.21 turns them on by itself only on CPUs with AVX-512 VNNI or newer; on older
    ones (AVX2) they train the paper networks faster than its Eigen kernels
    (``docs/performance.md``, section 2, has the measurements), and the benchmark's PyTorch
    twin uses oneDNN too. The results differ from Eigen's by float32 rounding.
    ``TF_ENABLE_ONEDNN_OPTS=0`` turns them off. This is TensorFlow's own option, not one of
    the rewrites of :mod:`colorization.nets.tf_cpu`.
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
