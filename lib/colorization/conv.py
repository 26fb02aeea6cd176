"""The 2-D convolution of the Zhang networks and the autoencoders: ``keras.layers.Conv2D``
with faster gradients on TensorFlow's CPU path.

Profiling ``zhang_full``'s training step on a CPU (docs/performance.md, section 2) found two
slow spots in TensorFlow, both in the backward pass:

- on small maps (Zhang's 13x13 1/8-resolution blocks at 100x100) TensorFlow's CPU input
  gradient (``Conv2DBackpropInput``) runs at about a third of the speed of the forward
  convolution of the same layer;
- a dilated convolution (``conv5``, ``conv6``) goes through ``tf.nn.convolution``, which on a
  CPU rewrites it as SpaceToBatchND + convolution + BatchToSpaceND (TensorFlow's CPU kernels
  have no dilated gradient).

For a stride-1 ``same`` convolution with an odd square kernel that is dilated or works on a
map of at most :data:`SMALL_MAP` pixels, :class:`Conv2D` runs the forward pass as one native
(dilated) convolution, the input gradient as a forward convolution of the output gradient with
the flipped kernel, and the kernel gradient with TensorFlow's own kernel (one matrix product
per kernel tap when dilated, unless TensorFlow's oneDNN kernels are on: they have a native
dilated one). Under oneDNN (:func:`colorization.runtime.use_onednn`), a convolution with at
least :data:`WIDE` input channels takes oneDNN's own input gradient instead (as fast there,
and no flipped kernel to build), and, undilated, its kernel gradient as one matrix product
over the input's 3x3 patches (13x13, 512 to 512 channels, batch 16: 85 ms against 105 ms for
TensorFlow's kernel). The values are the same (``tests/test_conv.py`` compares them, and both
gradients, with ``keras.layers.Conv2D``, with oneDNN on and off). Every other convolution, any
GPU, and every other backend use Keras' own ``ops.conv``.
"""

from __future__ import annotations

import keras
from keras import layers

# Maps of at most 16x16 (Zhang's 1/8 resolution at 100x100 is 13x13): there TensorFlow's CPU
# input gradient runs at a third of its forward convolution's speed.
SMALL_MAP = 16 * 16
# Under oneDNN, convolutions with at least this many input channels (Zhang's 256- and
# 512-channel blocks) take oneDNN's own input gradient and, undilated, the kernel gradient over
# patches: measured faster there, not below.
WIDE = 256


@keras.saving.register_keras_serializable(package="colorization")
class Conv2D(layers.Conv2D):
    """``keras.layers.Conv2D``; on the TensorFlow backend without a GPU, a stride-1 ``same``
    convolution with an odd square kernel (channels last) that is dilated or works on a small
    map takes :func:`conv2d_same_tf` (see the module docstring)."""

    def convolution_op(self, inputs, kernel):
        if self._tf_cpu_rewrite(inputs.shape):
            return conv2d_same_tf(inputs, kernel, self.dilation_rate[0])
        return super().convolution_op(inputs, kernel)

    def _tf_cpu_rewrite(self, shape) -> bool:
        rates, size = set(self.dilation_rate), self.kernel_size
        small = shape[1] is not None and shape[2] is not None and shape[1] * shape[2] <= SMALL_MAP
        return (keras.backend.backend() == "tensorflow" and len(rates) == 1
                and (rates != {1} or small)
                and set(self.strides) == {1} and self.padding == "same"
                and self.data_format == "channels_last" and size[0] == size[1]
                and size[0] % 2 == 1 and not tf_sees_a_gpu())


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


def conv2d_same_tf(x, kernel, dilation: int = 1):
    """TensorFlow only: NHWC input, HWIO kernel, stride 1, ``same`` padding, odd square kernel.
    Same values as ``tf.nn.convolution(x, kernel, padding="SAME", dilations=dilation)``."""
    import tensorflow as tf  # the TensorFlow backend only

    d = int(dilation)
    k, c_in, c_out = (int(n) for n in (kernel.shape[0], kernel.shape[2], kernel.shape[3]))
    same = {"strides": [1, 1, 1, 1], "padding": "SAME", "dilations": [1, d, d, 1]}

    @tf.custom_gradient
    def conv(x, kernel):
        def grad(dy):
            onednn = onednn_enabled()
            wide = onednn and c_in >= WIDE
            if wide:  # oneDNN's own input gradient
                dx = tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=kernel,
                                                    out_backprop=dy, **same)
            else:  # the output gradient convolved with the flipped kernel
                flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
                dx = tf.raw_ops.Conv2D(input=dy, filter=flipped, **same)
            if wide and d == 1:  # one matrix product over the input's kxk patches
                patches = tf.image.extract_patches(x, [1, k, k, 1], [1, 1, 1, 1],
                                                   [1, 1, 1, 1], "SAME")
                dw = tf.matmul(tf.reshape(patches, [-1, k * k * c_in]),
                               tf.reshape(dy, [-1, c_out]), transpose_a=True)
            elif d == 1 or onednn:  # TensorFlow's own kernel gradient is fast
                dw = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(kernel),
                                                     out_backprop=dy, **same)
            else:  # Eigen has no dilated kernel gradient: (input window)^T @ dy for each tap
                pad = d * (k - 1) // 2
                xp = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
                h, w = tf.shape(x)[1], tf.shape(x)[2]
                dy2 = tf.reshape(dy, [-1, c_out])
                dw = tf.stack([
                    tf.matmul(tf.reshape(xp[:, i * d:i * d + h, j * d:j * d + w, :],
                                         [-1, c_in]), dy2, transpose_a=True)
                    for i in range(k) for j in range(k)])
            return dx, tf.reshape(dw, tf.shape(kernel))

        return tf.raw_ops.Conv2D(input=x, filter=kernel, **same), grad

    # tensors, not variables: the gradient of the variable read is TensorFlow's own
    return conv(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))
