"""TensorFlow's CPU path made faster where it measurably pays: the one rewrite of a framework
internal the project keeps, and the one switch that turns it off.

**The rewrite** (``"conv_dilated"``): the gradients of the dilated ``same`` convolutions of the
Zhang networks (``conv5``/``conv6`` of the full network, the dilated block of the smaller
ones). On a CPU, TensorFlow runs a dilated convolution through SpaceToBatchND + convolution +
BatchToSpaceND, and its Eigen kernels have no dilated gradient. :class:`Conv2D` keeps the
forward pass one native dilated convolution and computes the input gradient as a convolution
of the output gradient with the flipped kernel (oneDNN's own from :data:`WIDE` input channels)
and the kernel gradient one matrix product per kernel tap (TensorFlow's own under oneDNN where
that is faster: :func:`kernel_gradient`). The values and both gradients are Keras' own
(``tests/test_tf_cpu.py`` compares them). It is kept because it makes a whole training step
of ``zhang_full`` 15-24 % faster; the other rewrites this module once held (a fused batch norm,
a fused Adam, small-map, per-tap and strided convolution gradients) gained less than 10 % on
every network, or slowed them, and were dropped. ``docs/performance.md`` (section 2) has the
measurements.

**Where it runs.** Only on the TensorFlow backend, only when TensorFlow sees no GPU (cuDNN
has native dilated gradients), and only while switched on. Everywhere else (JAX, PyTorch, a
GPU, switched off), :class:`Conv2D` is exactly Keras' ``Conv2D``.

**The switch.** ``COLORIZATION_TF_CPU_REWRITES=0`` in the environment, or
``RunConfig(tf_cpu_rewrites=False)`` for one run, turns it off; :func:`switched` does the same
in code. The switch is read when a step is traced (Keras traces a model's training step once,
at its first batch).

**What ran.** Each rewritten convolution traced is counted; :func:`used` returns the counts,
and :func:`colorization.runs.train.train` writes the names that ran into the run's
``status.json`` (``tf_cpu_rewrites``), so a run says whether the rewrite trained it.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator

import keras
from keras import layers

ENV = "COLORIZATION_TF_CPU_REWRITES"
#: Every rewrite :func:`switched` accepts by name.
NAMES = ("conv_dilated",)

_chosen: frozenset[str] | None = None  # None: every rewrite, unless the environment says 0
_used: Counter = Counter()


# ------------------------------------------------------------------ the switch


def env_on() -> bool:
    value = os.environ.get(ENV, "1").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("", "1", "true", "yes", "on"):
        return True
    raise ValueError(f"{ENV} must be 1 (rewrites on, the default) or 0 (off), not {value!r}")


def _expand(names: Iterable[str] | str) -> frozenset[str]:
    names = {names} if isinstance(names, str) else set(names)
    unknown = names - set(NAMES)
    if unknown:
        raise ValueError(f"unknown TensorFlow CPU rewrite(s) {sorted(unknown)}; expected some "
                         f"of {NAMES}")
    return frozenset(names)


@contextlib.contextmanager
def switched(on: bool | Iterable[str] | str = True) -> Iterator[None]:
    """Within the block, the rewrites are on (``True``), off (``False``), or only the named
    ones (names of :data:`NAMES`). Steps traced inside the block keep the choice;
    ``COLORIZATION_TF_CPU_REWRITES=0`` overrides ``True``. An invalid value of that variable
    is refused here, on every backend."""
    global _chosen
    env_on()
    before = _chosen
    if on is True:
        _chosen = None
    elif on is False:
        _chosen = frozenset()
    else:
        _chosen = _expand(on)
    try:
        yield
    finally:
        _chosen = before


def enabled(name: str) -> bool:
    """Whether rewrite ``name`` may run now (the switch only: backend and GPU aside)."""
    if not env_on():
        return False
    return _chosen is None or name in _chosen


def tf_sees_a_gpu() -> bool:
    """Whether TensorFlow sees a GPU (the rewrite is for CPUs)."""
    import tensorflow as tf  # the TensorFlow backend only

    return bool(tf.config.list_logical_devices("GPU"))


def active(name: str) -> bool:
    """Whether rewrite ``name`` runs now: switched on, TensorFlow backend, no GPU."""
    return (keras.backend.backend() == "tensorflow" and enabled(name)
            and not tf_sees_a_gpu())


def _record(name: str) -> None:
    _used[name] += 1


def used() -> dict[str, int]:
    """``{rewrite: times it was traced}`` in this process since the last :func:`reset_used`."""
    return dict(_used)


def reset_used() -> None:
    _used.clear()


@contextlib.contextmanager
def counting() -> Iterator[dict[str, int]]:
    """``with counting() as ran:``: afterwards ``ran`` is ``{name: count}`` of the rewrites
    traced inside the block (the growth of :func:`used`)."""
    ran: dict[str, int] = {}
    before = used()
    try:
        yield ran
    finally:
        ran.update({k: n - before.get(k, 0) for k, n in _used.items() if n > before.get(k, 0)})


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN CPU kernels
    (:func:`colorization.core.runtime.use_onednn`), which, unlike its Eigen kernels, have a
    dilated kernel gradient."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own flag
    except ImportError:
        return False
    return bool(getattr(_pywrap_util_port, "IsMklEnabled", lambda: False)())


# ------------------------------------------------------------------ dilated convolutions

# Under oneDNN, convolutions with at least this many input channels take oneDNN's own input
# gradient (as fast as the flipped kernel there).
WIDE = 256
# Under oneDNN, a kernel gradient tap by tap pays from this many input and output channels
# (and below 2 * WIDE inputs).
TAPS_MIN_CHANNELS = (64, 32)
# From this many input and output channels, the kernel gradient tap by tap works channels-first.
TAPS_CHANNELS_FIRST = (128, 256)
# The ways of computing the kernel gradient (:func:`kernel_gradient`).
KERNEL_GRADIENTS = ("taps", "native")


def kernel_gradient(c_in: int, c_out: int, onednn: bool) -> str:
    """How :func:`conv2d_dilated_tf` computes the kernel gradient of a dilated convolution
    (the per-layer timings behind each threshold: ``docs/performance.md``, section 2):

    - ``"taps"``: one matrix product per kernel tap over the shifted input: on TensorFlow's
      Eigen kernels, which have no dilated kernel gradient, always; under oneDNN from 64
      inputs and 32 outputs, below 512 inputs;
    - ``"native"``: TensorFlow's own ``Conv2DBackpropFilter`` (oneDNN's) for the rest.
    """
    if not onednn:
        return "taps"
    few = c_in < TAPS_MIN_CHANNELS[0] or c_out < TAPS_MIN_CHANNELS[1]
    return "native" if few or c_in >= 2 * WIDE else "taps"


def conv_rule(kernel_size, strides, dilation_rate, padding: str, data_format: str,
              groups: int = 1) -> str | None:
    """``"conv_dilated"`` when a layer of these settings takes :func:`conv2d_dilated_tf` (a
    stride-1, dilated, ``same``, channels-last, ungrouped convolution with an odd square
    kernel, on any input), ``None`` for Keras' own convolution; whatever the switch says."""
    if (groups == 1 and len(set(dilation_rate)) == 1 and dilation_rate[0] > 1
            and tuple(strides) == (1, 1) and padding == "same"
            and data_format == "channels_last" and kernel_size[0] == kernel_size[1]
            and kernel_size[0] % 2 == 1):
        return "conv_dilated"
    return None


@keras.saving.register_keras_serializable(package="colorization")
class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D``; where :func:`active` allows it, a dilated convolution that
    :func:`conv_rule` names takes :func:`conv2d_dilated_tf` (same values and gradients)."""

    def convolution_op(self, inputs, kernel):
        rule = conv_rule(self.kernel_size, self.strides, self.dilation_rate, self.padding,
                         self.data_format, self.groups)
        if rule is not None and active(rule):
            _record(rule)
            return conv2d_dilated_tf(inputs, kernel, self.dilation_rate[0])
        return super().convolution_op(inputs, kernel)


def conv2d_dilated_tf(x, kernel, dilation: int, method: str | None = None):
    """TensorFlow only: NHWC input, HWIO kernel, stride 1, ``same`` padding, odd square kernel,
    dilation ``dilation``. Same values as ``tf.nn.convolution(x, kernel, 1, "SAME",
    dilations=dilation)``; the gradients:

    - input gradient: oneDNN's own (``Conv2DBackpropInput``) from :data:`WIDE` input channels,
      otherwise the output gradient convolved with the flipped kernel;
    - kernel gradient: ``method`` (:data:`KERNEL_GRADIENTS`), or the way
      :func:`kernel_gradient` picks.
    """
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
    """The kernel gradient, one matrix product for each kernel tap: (shifted input)^T @ dy.
    From :data:`TAPS_CHANNELS_FIRST` input and output channels, input and output gradient are
    turned channels-first once, so that each product multiplies two row-major matrices."""
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
