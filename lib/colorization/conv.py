"""The 2-D convolution of the Zhang networks and the autoencoders: ``keras.layers.Conv2D``
with faster gradients on TensorFlow's CPU path.

Profiling the training steps on a CPU (docs/performance.md, section 2) found three slow spots
in TensorFlow, all in the backward pass:

- on small maps (Zhang's 13x13 1/8-resolution blocks at 100x100) TensorFlow's Eigen input
  gradient (``Conv2DBackpropInput``) runs at about a third of the speed of the forward
  convolution of the same layer;
- a dilated convolution (``conv5``, ``conv6``) goes through ``tf.nn.convolution``, which on a
  CPU rewrites it as SpaceToBatchND + convolution + BatchToSpaceND (TensorFlow's Eigen kernels
  have no dilated gradient);
- oneDNN's kernel gradient for channels-last maps (``Conv2DBackpropFilter``, which
  :func:`colorization.runtime.use_onednn` turns on) takes up to twice the time of the forward
  convolution once a layer has 64 or more input channels: 26x26, 256 to 256 channels, batch 16:
  238 ms, against 126 ms for one matrix product per kernel tap; for a strided layer it takes
  up to 2.7 times the forward time (52x52 to 26x26, 128 to 128: 67 ms, against 54 ms for one
  matrix product over the input's strided 3x3 patches).

For a stride-1 ``same`` convolution with an odd square kernel that is dilated, works on a map
of at most :data:`SMALL_MAP` pixels, or whose kernel gradient is faster tap by tap
(:func:`kernel_gradient`), :class:`Conv2D` runs the forward pass as one native (dilated)
convolution, the input gradient as a forward convolution of the output gradient with the
flipped kernel (under oneDNN, with at least :data:`WIDE` input channels: oneDNN's own input
gradient, as fast there and no flipped kernel to build), and the kernel gradient the way
:func:`kernel_gradient` picks from measurements on a CPU. Under oneDNN, a strided ``same``
convolution whose kernel gradient is faster over its patches keeps TensorFlow's forward pass
and input gradient and takes that kernel gradient. The values are the same
(``tests/test_conv.py`` compares them, and both gradients, with ``keras.layers.Conv2D``, for
each way and with oneDNN on and off). Every other convolution, any GPU, and every other
backend use Keras' own ``ops.conv``.
"""

from __future__ import annotations

import keras
from keras import layers

# Maps of at most 16x16 (Zhang's 1/8 resolution at 100x100 is 13x13): there TensorFlow's CPU
# input gradient runs at a third of its forward convolution's speed.
SMALL_MAP = 16 * 16
# Under oneDNN, convolutions with at least this many input channels (Zhang's 256- and
# 512-channel blocks) take oneDNN's own input gradient: measured as fast as the flipped kernel.
WIDE = 256
# Under oneDNN, a kernel gradient tap by tap pays from this many input and output channels.
TAPS_MIN_CHANNELS = (64, 32)
# Under oneDNN, a strided kernel gradient over patches pays from this many input and output
# channels.
STRIDED_PATCHES_MIN_CHANNELS = 64
# From this many input and output channels, the kernel gradient tap by tap works channels-first.
TAPS_CHANNELS_FIRST = (128, 256)
# The ways of computing the kernel gradient (:func:`kernel_gradient`).
KERNEL_GRADIENTS = ("patches", "taps", "native")


def kernel_gradient(pixels: int, c_in: int, c_out: int, dilation: int, onednn: bool,
                    stride: int = 1) -> str:
    """How :func:`conv2d_same_tf` computes the kernel gradient of a ``same`` convolution of a
    map of ``pixels`` pixels, by what was fastest on a CPU (2 x86 cores, batch 16, ms;
    docs/performance.md, section 2):

    - ``"patches"``: one matrix product over the input's kxk patches. Undilated, small maps,
      256+ inputs to 512+ outputs (13x13, 512 to 512: 113, against 150 tap by tap, 159 native);
    - ``"taps"``: one matrix product per kernel tap over the shifted input. Under oneDNN from
      64 inputs and 32 outputs (26x26, 256 to 256: 126, native 238; 52x52, 64 to 128: 70,
      native 120; 13x13, 128 to 64: 7, native 12), dilated only below 512 inputs; and on
      Eigen, which has no dilated kernel gradient, for every dilated one;
    - ``"native"``: TensorFlow's ``Conv2DBackpropFilter``: the rest (few channels: 52x52, 32
      to 16: 7.5 against 8.9 tap by tap; 13x13, 512 to 512, dilated 2: 117 against 147).

    Strided (``stride`` > 1, undilated): the patches under oneDNN from 64 input and output
    channels (52x52 to 26x26, 128 to 128: 54 against 67 native; 26x26 to 13x13, 256 to 256: 56
    against 64), TensorFlow's kernel otherwise (104x104, 1 to 64: 4 against 8).
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


@keras.saving.register_keras_serializable(package="colorization")
class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D``; on the TensorFlow backend without a GPU, a ``same`` convolution
    with an odd square kernel (channels last) that is dilated, works on a small map, or (under
    oneDNN) has a kernel gradient faster tap by tap or, strided, over patches takes
    :func:`conv2d_same_tf` (see the module docstring)."""

    def convolution_op(self, inputs, kernel):
        if self._tf_cpu_rewrite(inputs.shape):
            return conv2d_same_tf(inputs, kernel, self.dilation_rate[0],
                                  stride=self.strides[0])
        return super().convolution_op(inputs, kernel)

    def _tf_cpu_rewrite(self, shape) -> bool:
        rate, stride, size = self.dilation_rate[0], self.strides[0], self.kernel_size
        if not (keras.backend.backend() == "tensorflow" and len(set(self.dilation_rate)) == 1
                and len(set(self.strides)) == 1 and self.padding == "same"
                and self.data_format == "channels_last" and size[0] == size[1]
                and size[0] % 2 == 1 and not tf_sees_a_gpu()):
            return False
        known = shape[1] is not None and shape[2] is not None and shape[-1] is not None
        if stride == 1 and (rate != 1 or (known and shape[1] * shape[2] <= SMALL_MAP)):
            return True
        way = known and kernel_gradient(shape[1] * shape[2], shape[-1], self.filters, rate,
                                        onednn_enabled(), stride)
        return way == ("taps" if stride == 1 else "patches")


def tf_sees_a_gpu() -> bool:
    """Whether TensorFlow sees a GPU: cuDNN has native dilated convolutions, gradients and
    batch norm, so this module's rewrite and :mod:`colorization.norm`'s are for CPUs."""
    import tensorflow as tf  # the TensorFlow backend only

    return bool(tf.config.list_logical_devices("GPU"))


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN CPU kernels (:func:`colorization.runtime.use_onednn`),
    which, unlike its Eigen kernels, have a dilated kernel gradient."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own flag
    except ImportError:
        return False
    return bool(getattr(_pywrap_util_port, "IsMklEnabled", lambda: False)())


def conv2d_same_tf(x, kernel, dilation: int = 1, method: str | None = None, stride: int = 1):
    """TensorFlow only: NHWC input, HWIO kernel, ``same`` padding, odd square kernel. Same
    values as ``tf.nn.convolution(x, kernel, stride, "SAME", dilations=dilation)``.
    ``method``: the kernel gradient's way (:func:`kernel_gradient`, which picks by default;
    a strided convolution takes ``"patches"`` or ``"native"``)."""
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
    turned channels-first once, and each product multiplies two row-major matrices (measured
    up to 20% faster there: 13x13, 512 to 256: 55 ms against 69; 26x26, 256 to 256: 111
    against 125; slower with fewer outputs: 26x26, 128 to 64: 23 against 19)."""
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
