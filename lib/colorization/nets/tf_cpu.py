"""The gradients of dilated convolutions, rewritten for TensorFlow's CPU path.

TensorFlow runs a dilated convolution on a CPU through SpaceToBatchND + convolution +
BatchToSpaceND. :class:`Conv2D` keeps one native dilated convolution forward and computes both
gradients directly (:func:`conv2d_dilated_tf`), with Keras' own values: a training step of
``zhang_full`` is 15-24 % faster (``docs/performance.md``, section 2). It runs only on the
TensorFlow backend without a GPU, while the process-wide switch (:func:`set_enabled`, from
``COLORIZATION_TF_CPU_REWRITES``) and the per-run one (:func:`switched`) are on, as read when a
step is traced; elsewhere :class:`Conv2D` is Keras' ``Conv2D``. :func:`used` counts the
rewritten convolutions traced.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

import keras
from keras import layers

from colorization.core import runtime

ENV = runtime.TF_CPU_REWRITES_ENV
#: The names of the rewrites (what :func:`used` counts).
NAMES = ("conv_dilated",)

_run_on = True  # the per-run switch (:func:`switched`)
_used: Counter = Counter()


def set_enabled(value) -> None:
    """Turn the rewrite on or off for the process: a bool, or a value of
    ``COLORIZATION_TF_CPU_REWRITES`` (``"1"``, ``"0"``, ...); ``ValueError`` otherwise."""
    runtime.tf_cpu_rewrites = runtime.on_or_off(value)


def enabled() -> bool:
    """The process-wide switch (:func:`set_enabled`)."""
    return runtime.tf_cpu_rewrites


@contextlib.contextmanager
def switched(on: bool = True) -> Iterator[None]:
    """Within the block, the rewrite is on (``True``) or off (``False``) for the steps traced
    there; the process-wide switch off overrides ``True``."""
    global _run_on
    before, _run_on = _run_on, bool(on)
    try:
        yield
    finally:
        _run_on = before


def tf_sees_a_gpu() -> bool:
    """Whether TensorFlow sees a GPU (cuDNN has native dilated gradients)."""
    import tensorflow as tf  # the TensorFlow backend only

    return bool(tf.config.list_logical_devices("GPU"))


def active() -> bool:
    """Whether the rewrite runs now: both switches on, TensorFlow backend, no GPU."""
    return (_run_on and enabled() and keras.backend.backend() == "tensorflow"
            and not tf_sees_a_gpu())


def used() -> dict[str, int]:
    """``{rewrite: times it was traced}`` in this process since the last :func:`reset_used`."""
    return dict(_used)


def reset_used() -> None:
    _used.clear()


@contextlib.contextmanager
def counting() -> Iterator[dict[str, int]]:
    """``with counting() as ran:``: afterwards ``ran`` is ``{name: count}`` of the rewrites
    traced inside the block."""
    ran: dict[str, int] = {}
    before = Counter(_used)
    try:
        yield ran
    finally:
        ran.update(Counter(_used) - before)


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN CPU kernels, which have a dilated kernel gradient."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own flag
    except ImportError:
        return False
    return bool(getattr(_pywrap_util_port, "IsMklEnabled", lambda: False)())


WIDE = 256  # input channels from which oneDNN's own input gradient is taken
TAPS_MIN_CHANNELS = (64, 32)  # (in, out) channels from which taps pay under oneDNN
TAPS_CHANNELS_FIRST = (128, 256)  # (in, out) channels from which taps work channels-first
KERNEL_GRADIENTS = ("taps", "native")


def kernel_gradient(c_in: int, c_out: int, onednn: bool) -> str:
    """How the kernel gradient is computed: ``"taps"`` (one matrix product per kernel tap:
    always on Eigen, under oneDNN from :data:`TAPS_MIN_CHANNELS` below ``2 * WIDE`` inputs)
    or ``"native"`` (TensorFlow's ``Conv2DBackpropFilter``)."""
    if not onednn:
        return "taps"
    few = c_in < TAPS_MIN_CHANNELS[0] or c_out < TAPS_MIN_CHANNELS[1]
    return "native" if few or c_in >= 2 * WIDE else "taps"


def conv_rule(kernel_size, strides, dilation_rate, padding: str, data_format: str,
              groups: int = 1) -> str | None:
    """``"conv_dilated"`` for a stride-1, dilated, ``same``, channels-last, ungrouped
    convolution with an odd square kernel (it takes :func:`conv2d_dilated_tf`), else ``None``
    (Keras' own), whatever the switches say."""
    if (groups == 1 and len(set(dilation_rate)) == 1 and dilation_rate[0] > 1
            and tuple(strides) == (1, 1) and padding == "same"
            and data_format == "channels_last" and kernel_size[0] == kernel_size[1]
            and kernel_size[0] % 2 == 1):
        return "conv_dilated"
    return None


@keras.saving.register_keras_serializable(package="colorization")
class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D``; where :func:`active`, a convolution that :func:`conv_rule`
    names takes :func:`conv2d_dilated_tf` (same values and gradients)."""

    def convolution_op(self, inputs, kernel):
        rule = conv_rule(self.kernel_size, self.strides, self.dilation_rate, self.padding,
                         self.data_format, self.groups)
        if rule is not None and active():
            _used[rule] += 1
            return conv2d_dilated_tf(inputs, kernel, self.dilation_rate[0])
        return super().convolution_op(inputs, kernel)


def conv2d_dilated_tf(x, kernel, dilation: int, method: str | None = None):
    """``tf.nn.convolution(x, kernel, 1, "SAME", dilations=dilation)`` (NHWC, HWIO, odd square
    kernel) with its own gradients: the input gradient is oneDNN's from :data:`WIDE` input
    channels, else the output gradient convolved with the flipped kernel; the kernel gradient
    is ``method`` (:data:`KERNEL_GRADIENTS`) or the way :func:`kernel_gradient` picks."""
    import tensorflow as tf  # the TensorFlow backend only

    d = int(dilation)
    if method not in (None, *KERNEL_GRADIENTS):
        raise ValueError(f"method={method!r}: expected one of {KERNEL_GRADIENTS} or None")
    if method == "native" and not onednn_enabled():
        raise ValueError("method='native': TensorFlow's Eigen kernels have no dilated kernel "
                         "gradient (turn oneDNN on, or take 'taps')")
    k, c_in, c_out = (int(n) for n in (kernel.shape[0], kernel.shape[2], kernel.shape[3]))
    same = {"strides": [1, 1, 1, 1], "padding": "SAME", "dilations": [1, d, d, 1]}

    @tf.custom_gradient
    def conv(x, kernel):
        def grad(dy):
            onednn = onednn_enabled()
            if onednn and c_in >= WIDE:  # oneDNN's own input gradient
                dx = tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=kernel,
                                                    out_backprop=dy, **same)
            else:  # the output gradient convolved with the flipped kernel
                flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
                dx = tf.raw_ops.Conv2D(input=dy, filter=flipped, **same)
            if (method or kernel_gradient(c_in, c_out, onednn)) == "native":
                dw = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(kernel),
                                                     out_backprop=dy, **same)
            else:  # (shifted input)^T @ dy, one matrix product for each kernel tap
                dw = _taps(x, dy, k, d, c_in, c_out)
            return dx, tf.reshape(dw, tf.shape(kernel))

        return tf.raw_ops.Conv2D(input=x, filter=kernel, **same), grad

    # tensors, not variables: the gradient of the variable read is TensorFlow's own
    return conv(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))


def _taps(x, dy, k, d, c_in, c_out):
    """The kernel gradient, (shifted input)^T @ dy for each kernel tap; channels-first from
    :data:`TAPS_CHANNELS_FIRST` channels, so each product multiplies row-major matrices."""
    import tensorflow as tf  # the TensorFlow backend only

    pad = d * (k - 1) // 2
    xp = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    taps = [(i * d, j * d) for i in range(k) for j in range(k)]
    if c_in < TAPS_CHANNELS_FIRST[0] or c_out < TAPS_CHANNELS_FIRST[1]:
        dy2 = tf.reshape(dy, [-1, c_out])
        return tf.stack([tf.matmul(tf.reshape(xp[:, i:i + h, j:j + w, :], [-1, c_in]), dy2,
                                   transpose_a=True) for i, j in taps])
    xt = tf.transpose(xp, [3, 0, 1, 2])
    dyt = tf.reshape(tf.transpose(dy, [3, 0, 1, 2]), [c_out, -1])
    return tf.stack([tf.matmul(tf.reshape(xt[:, :, i:i + h, j:j + w], [c_in, -1]), dyt,
                               transpose_b=True) for i, j in taps])
