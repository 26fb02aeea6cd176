"""Image colorization experiment suite.

Reproduces Depaoli & Mistrali, "Image Colorization using CNN and Autoencoder": networks that
predict Lab's a/b channels from L. Modules:

- ``colorization.color``: sRGB <-> CIE Lab and the normalisation conventions (keras.ops).
- ``colorization.data``: Kaggle datasets, local folders, and the embedded synthetic default.
- ``colorization.pipeline``: tf.data input pipelines (uint8 RGB; Lab computed on the device).
- ``colorization.models`` / ``losses`` / ``train`` / ``metrics`` / ``evaluate``: the engine.
"""

import importlib.util
import os
import sys

__version__ = "0.1.0"


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines kept off stderr.

    TensorFlow 2.21 writes "oneDNN custom operations are on", "Could not find cuda drivers"
    and an absl warning to file descriptor 2 before its logging is initialised, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says; in a notebook they land in every executed cell's output
    (and in nbval's comparison). When the user asked for quiet TensorFlow
    (``TF_CPP_MIN_LOG_LEVEL`` >= 1), the import runs with fd 2 pointed at /dev/null.
    Python-level errors of the import are still raised normally. At level 2 or more, the
    Python side follows suit: TensorFlow's own logger shows errors only (its retracing
    warnings carry memory addresses and call counts, noise in an executed notebook).
    """
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") in ("", "0"):
        return
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    if importlib.util.find_spec("tensorflow") is None:
        return
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (some embedded interpreters)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") >= "2":
        tensorflow.get_logger().setLevel("ERROR")


_import_tensorflow_quietly()
