"""The process-wide settings the entry points make before Keras loads: TensorFlow's CPU kernels,
a quiet start-up and the switch of the TensorFlow CPU rewrites.

Nothing here runs at import time. The command line, the notebooks' set-up call, the benchmarks
and the tests' ``conftest.py`` call :func:`prepare_tensorflow` before anything imports Keras.
"""

from __future__ import annotations

import importlib.util
import os
import sys

TF_CPU_REWRITES_ENV = "COLORIZATION_TF_CPU_REWRITES"
#: Whether the rewrites of :mod:`colorization.nets.tf_cpu` may run in this process
#: (``tf_cpu.set_enabled`` and :func:`apply_environment` set it).
tf_cpu_rewrites = True


def prepare_tensorflow(level: str = "3") -> None:
    """Call before Keras loads: :func:`apply_environment`, :func:`use_onednn`, then
    :func:`quiet` at ``level``."""
    apply_environment()
    use_onednn()
    quiet(level)


def on_or_off(value) -> bool:
    """A bool, or a value of ``COLORIZATION_TF_CPU_REWRITES``, as a bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("0", "false", "no", "off"):
        return False
    if text in ("", "1", "true", "yes", "on"):
        return True
    raise ValueError(f"{TF_CPU_REWRITES_ENV} must be 1 (rewrites on, the default) or 0 (off), "
                     f"not {text!r}")


def apply_environment() -> None:
    """Set :data:`tf_cpu_rewrites` from ``COLORIZATION_TF_CPU_REWRITES`` (default on)."""
    global tf_cpu_rewrites
    tf_cpu_rewrites = on_or_off(os.environ.get(TF_CPU_REWRITES_ENV, "1"))


def use_onednn() -> None:
    """Turn on TensorFlow's oneDNN CPU kernels (``TF_ENABLE_ONEDNN_OPTS=1``, faster than Eigen
    on the paper networks, ``docs/performance.md``) unless the user chose; only before
    TensorFlow is imported."""
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")


def quiet(level: str = "3") -> None:
    """Keep TensorFlow's start-up and log lines out of the output (``TF_CPP_MIN_LOG_LEVEL`` =
    ``level`` unless the user chose): at level >= 1 TensorFlow is imported here with fd 2 on
    /dev/null, at level >= 2 its Python logger shows errors only."""
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
