"""TensorFlow's CPU path made faster: every rewrite of a framework internal the project keeps, and
the one switch that turns them all off.

Each rewrite computes exactly what Keras and TensorFlow compute (the tests compare values and
gradients), faster on a CPU; each is kept because it makes a whole training step of at least
one of the paper's networks 10 % faster or more (``docs/performance.md``, section 2, has the
measurements and the rewrites that were tried and dropped):

=================  ===========================================================================
``"conv"``         :class:`Conv2D`: the gradients of the ``same`` convolutions that TensorFlow's
                   CPU kernels handle worst, written as plain convolutions and matrix products
                   (:data:`CONV_RULES` lists which layers take it)
``"batch_norm"``   :class:`BatchNormalization`: a training-mode batch norm as one
                   ``FusedBatchNormV3`` kernel instead of about ten separate passes
``"adam"``         :class:`Adam`: Adam's update as TensorFlow's one-pass ``ResourceApplyAdam``
                   instead of a dozen element-wise operations per weight tensor
=================  ===========================================================================

**Where they run.** Only on the TensorFlow backend, only when TensorFlow sees no GPU (cuDNN
has fast versions of all three), and only while switched on. Everywhere else (JAX, PyTorch, a
GPU, switched off) the classes are exactly Keras' ``Conv2D``, ``BatchNormalization`` and
``Adam``.

**The switch.** ``COLORIZATION_TF_CPU_REWRITES=0`` in the environment, or
``RunConfig(tf_cpu_rewrites=False)`` for one run, turns every rewrite off; :func:`switched`
does the same in code (and, for the benchmark, keeps a chosen few). The switch is read when a
step is traced (Keras traces a model's training step once, at its first batch).

**What ran.** Each rewrite that is taken while a step is traced is counted; :func:`used` returns
the counts, and :func:`colorization.runs.train.train` writes the names into the run's
``status.json`` (``tf_cpu_rewrites``), so a run says which of them trained it.

The classes are registered for serialisation under their historical names
(``colorization>Conv2D``, ...), so saved models load on any backend.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterable, Iterator

import keras
from keras import layers, ops

ENV = "COLORIZATION_TF_CPU_REWRITES"
#: The convolution rules: which ``same`` convolutions take :func:`conv2d_same_tf`.
CONV_RULES = ("conv_dilated", "conv_small_map", "conv_taps", "conv_strided")
REWRITES = ("conv", "batch_norm", "adam")
#: Every name :func:`switched` accepts: the rewrites, and the convolution rules one by one.
NAMES = REWRITES + CONV_RULES

_chosen: frozenset[str] | None = None  # None: every rewrite, unless the environment says 0
_used: Counter = Counter()


# ------------------------------------------------------------------ the switch


def _env_on() -> bool:
    value = os.environ.get(ENV, "1").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("", "1", "true", "yes", "on"):
        return True
    raise ValueError(f"{ENV} must be 1 (rewrites on, the default) or 0 (off), not {value!r}")


def _expand(names: Iterable[str]) -> frozenset[str]:
    names = set(names)
    unknown = names - set(NAMES)
    if unknown:
        raise ValueError(f"unknown TensorFlow CPU rewrite(s) {sorted(unknown)}; expected some "
                         f"of {NAMES}")
    if "conv" in names:
        names |= set(CONV_RULES)
    if names & set(CONV_RULES):
        names.add("conv")
    return frozenset(names)


@contextlib.contextmanager
def switched(on: bool | Iterable[str] = True) -> Iterator[None]:
    """Within the block, the rewrites are on (``True``), off (``False``), or only the named
    ones (an iterable of :data:`NAMES`; ``"conv"`` means every convolution rule). Steps traced
    inside the block keep the choice; ``COLORIZATION_TF_CPU_REWRITES=0`` overrides ``True``.
    An invalid ``COLORIZATION_TF_CPU_REWRITES`` is refused here, on every backend."""
    global _chosen
    _env_on()  # a ValueError for an invalid value now, not at the first traced step
    if isinstance(on, str):  # one name, not its letters
        on = (on,)
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
    if not _env_on():
        return False
    return _chosen is None or name in _chosen


def tf_sees_a_gpu() -> bool:
    """Whether TensorFlow sees a GPU (the rewrites are for CPUs)."""
    import tensorflow as tf  # the TensorFlow backend only

    return bool(tf.config.list_logical_devices("GPU"))


def active(name: str) -> bool:
    """Whether rewrite ``name`` runs now: switched on, TensorFlow backend, no GPU."""
    return (keras.backend.backend() == "tensorflow" and enabled(name)
            and not tf_sees_a_gpu())


def _record(name: str) -> None:
    _used[name] += 1


def used() -> dict[str, int]:
    """``{rewrite or convolution rule: layers or weights it was traced for}`` in this process
    since the last :func:`reset_used`."""
    return dict(_used)


def reset_used() -> None:
    _used.clear()


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN CPU kernels
    (:func:`colorization.core.runtime.use_onednn`), which, unlike its Eigen kernels, have a
    dilated kernel gradient."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own flag
    except ImportError:
        return False
    return bool(getattr(_pywrap_util_port, "IsMklEnabled", lambda: False)())


# ------------------------------------------------------------------ convolution

# Maps of at most 16x16 (Zhang's 1/8 resolution at 100x100 is 13x13): there TensorFlow's CPU
# input gradient runs at a third of its forward convolution's speed.
SMALL_MAP = 16 * 16
# Under oneDNN, convolutions with at least this many input channels take oneDNN's own input
# gradient (as fast as the flipped kernel there).
WIDE = 256
# Under oneDNN, a kernel gradient tap by tap pays from this many input and output channels.
TAPS_MIN_CHANNELS = (64, 32)
# Under oneDNN, a strided kernel gradient over patches pays from this many channels.
STRIDED_PATCHES_MIN_CHANNELS = 64
# From this many input and output channels, the kernel gradient tap by tap works channels-first.
TAPS_CHANNELS_FIRST = (128, 256)
# The ways of computing the kernel gradient (:func:`kernel_gradient`).
KERNEL_GRADIENTS = ("patches", "taps", "native")


def kernel_gradient(pixels: int, c_in: int, c_out: int, dilation: int, onednn: bool,
                    stride: int = 1) -> str:
    """How :func:`conv2d_same_tf` computes the kernel gradient of a ``same`` convolution of a
    map of ``pixels`` pixels (the per-layer timings behind each threshold:
    ``docs/performance.md``, section 2):

    - ``"patches"``: one matrix product over the input's kxk patches: undilated small maps
      with 256+ inputs and 512+ outputs, and, strided, from 64 channels under oneDNN;
    - ``"taps"``: one matrix product per kernel tap over the shifted input: under oneDNN from
      64 inputs and 32 outputs (dilated only below 512 inputs), and on TensorFlow's Eigen
      kernels, which have no dilated kernel gradient, for every dilated convolution;
    - ``"native"``: TensorFlow's own ``Conv2DBackpropFilter`` for the rest.
    """
    if stride > 1:
        wide = min(c_in, c_out) >= STRIDED_PATCHES_MIN_CHANNELS
        return "patches" if onednn and dilation == 1 and wide else "native"
    if not onednn:
        return "native" if dilation == 1 else "taps"
    if dilation == 1 and pixels <= SMALL_MAP and c_in >= WIDE and c_out >= 2 * WIDE:
        return "patches"
    few = c_in < TAPS_MIN_CHANNELS[0] or c_out < TAPS_MIN_CHANNELS[1]
    if few or (dilation > 1 and c_in >= 2 * WIDE):
        return "native"
    return "taps"


def conv_rule(shape, filters: int, kernel_size, strides, dilation_rate, padding: str,
              data_format: str, groups: int = 1) -> str | None:
    """The convolution rule of :data:`CONV_RULES` a layer of these settings takes on input
    ``shape`` ``(B, H, W, C)`` (``None``: Keras' own convolution), whatever the switch says.
    Grouped convolutions (``groups`` > 1) are Keras' own."""
    rate, stride = dilation_rate[0], strides[0]
    if not (groups == 1 and len(set(dilation_rate)) == 1 and len(set(strides)) == 1
            and padding == "same" and data_format == "channels_last"
            and kernel_size[0] == kernel_size[1] and kernel_size[0] % 2 == 1):
        return None
    known = shape[1] is not None and shape[2] is not None and shape[-1] is not None
    if stride == 1 and rate != 1:
        return "conv_dilated"
    if stride == 1 and known and shape[1] * shape[2] <= SMALL_MAP:
        return "conv_small_map"
    if not known:
        return None
    way = kernel_gradient(shape[1] * shape[2], shape[-1], filters, rate, onednn_enabled(),
                          stride)
    if stride == 1 and way == "taps":
        return "conv_taps"
    if stride > 1 and way == "patches":
        return "conv_strided"
    return None


@keras.saving.register_keras_serializable(package="colorization")
class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D``; where :func:`active` allows it, a convolution that one of
    :data:`CONV_RULES` names takes :func:`conv2d_same_tf` (same values and gradients)."""

    def convolution_op(self, inputs, kernel):
        rule = conv_rule(inputs.shape, self.filters, self.kernel_size, self.strides,
                         self.dilation_rate, self.padding, self.data_format, self.groups)
        if rule is not None and active(rule):
            _record(rule)
            return conv2d_same_tf(inputs, kernel, self.dilation_rate[0], stride=self.strides[0])
        return super().convolution_op(inputs, kernel)


def conv2d_same_tf(x, kernel, dilation: int = 1, method: str | None = None, stride: int = 1):
    """TensorFlow only: NHWC input, HWIO kernel, ``same`` padding, odd square kernel. Same
    values as ``tf.nn.convolution(x, kernel, stride, "SAME", dilations=dilation)``; the
    gradients are computed as follows.

    - Input gradient: oneDNN's own (``Conv2DBackpropInput``) from :data:`WIDE` input channels
      and for strided convolutions; otherwise the output gradient convolved with the flipped
      kernel (TensorFlow's Eigen input gradient is slow on small maps, and on a CPU a dilated
      one goes through SpaceToBatch and back).
    - Kernel gradient: ``method`` (:data:`KERNEL_GRADIENTS`), or the way
      :func:`kernel_gradient` picks; a strided convolution takes ``"patches"`` or
      ``"native"``.
    """
    import tensorflow as tf  # the TensorFlow backend only

    s, d = int(stride), int(dilation)
    if method not in (None, *KERNEL_GRADIENTS) or (s > 1 and method == "taps"):
        raise ValueError(f"method={method!r}: expected one of {KERNEL_GRADIENTS} or None "
                         "(not 'taps' for a strided convolution)")
    if s > 1 and d > 1:
        raise ValueError(f"stride={s} with dilation={d}: TensorFlow takes one or the other")
    k, c_in, c_out = (int(n) for n in (kernel.shape[0], kernel.shape[2], kernel.shape[3]))
    same = {"strides": [1, s, s, 1], "padding": "SAME", "dilations": [1, d, d, 1]}

    @tf.custom_gradient
    def conv(x, kernel):
        def grad(dy):
            onednn = onednn_enabled()
            wide = onednn and c_in >= WIDE
            pixels = x.shape[1] * x.shape[2] if None not in x.shape[1:3] else SMALL_MAP + 1
            way = method or kernel_gradient(pixels, c_in, c_out, d, onednn, s)
            if wide or s > 1:  # TensorFlow's own input gradient
                dx = tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=kernel,
                                                    out_backprop=dy, **same)
            else:  # the output gradient convolved with the flipped kernel
                flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
                dx = tf.raw_ops.Conv2D(input=dy, filter=flipped, **same)
            if way == "patches":  # one matrix product over the input's kxk patches
                patches = tf.image.extract_patches(x, [1, k, k, 1], [1, s, s, 1],
                                                   [1, d, d, 1], "SAME")
                dw = tf.matmul(tf.reshape(patches, [-1, k * k * c_in]),
                               tf.reshape(dy, [-1, c_out]), transpose_a=True)
            elif way == "native":
                dw = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(kernel),
                                                     out_backprop=dy, **same)
            else:  # "taps": (shifted input)^T @ dy, one matrix product for each kernel tap
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


# ------------------------------------------------------------------ batch normalisation


@keras.saving.register_keras_serializable(package="colorization")
class BatchNormalization(layers.BatchNormalization):
    """``keras.layers.BatchNormalization``; while training, where :func:`active` allows it,
    one ``FusedBatchNormV3`` kernel (and its registered gradient) for a 4-D channels-last
    input with no mask, no renormalisation and no synchronisation across replicas. The moving
    statistics are updated exactly as Keras does (the kernel's Bessel-corrected variance is
    turned back into the batch variance Keras uses)."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable and mask is None and len(inputs.shape) == 4
                and self.axis in (-1, 3) and not self.renorm and not self.synchronized
                and active("batch_norm")):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # the TensorFlow backend only

        _record("batch_norm")
        x = ops.cast(inputs, "float32")
        channels = x.shape[-1]
        gamma = ops.cast(self.gamma, "float32") if self.scale else ops.ones((channels,))
        beta = ops.cast(self.beta, "float32") if self.center else ops.zeros((channels,))
        empty = tf.constant([], dtype="float32")
        y, mean, unbiased, *_ = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=gamma, offset=beta, mean=empty, variance=empty, epsilon=self.epsilon,
            data_format="NHWC", is_training=True)
        shape = ops.shape(x)
        n = ops.cast(shape[0] * shape[1] * shape[2], "float32")
        variance = tf.stop_gradient(unbiased * (n - 1.0) / ops.maximum(n, 1.0))
        mean = tf.stop_gradient(mean)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return ops.cast(y, self.compute_dtype)


# ------------------------------------------------------------------ Adam


@keras.saving.register_keras_serializable(package="colorization")
class Adam(keras.optimizers.Adam):
    """``keras.optimizers.Adam``; where :func:`active` allows it (and without ``amsgrad``),
    each weight's update is TensorFlow's one-pass ``ResourceApplyAdam`` kernel: the same
    formula, epsilon outside the square root, as Keras'."""

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or not active("adam"):
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf  # the TensorFlow backend only

        _record("adam")
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        step = ops.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        return tf.raw_ops.ResourceApplyAdam(
            var=_handle(variable), m=_handle(m), v=_handle(v),
            beta1_power=ops.power(beta_1, step), beta2_power=ops.power(beta_2, step),
            lr=ops.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=ops.cast(self.epsilon, dtype), grad=ops.cast(gradient, dtype),
            use_locking=False)


def _handle(variable):
    """The resource handle of a Keras or TensorFlow variable (in a distribution strategy's
    update call, the handle of this device's copy)."""
    if isinstance(variable, keras.Variable):
        variable = variable.value
    return variable.handle
