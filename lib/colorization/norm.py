"""Batch normalisation of the Zhang networks: ``keras.layers.BatchNormalization`` with
TensorFlow's fused kernel while training on a CPU.

Keras 3 writes a training-mode batch norm as separate ``keras.ops`` (moments, then
``(x - mean) * rsqrt(var + eps) * gamma + beta``), and TensorFlow differentiates each of them:
about ten passes over every activation map forward and backward. :class:`BatchNormalization`
runs the same normalisation as one ``FusedBatchNormV3`` kernel (and its registered gradient,
one ``FusedBatchNormGradV3``) when training on the TensorFlow backend without a GPU, for a
4-D channels-last input, no mask, no renormalisation and no synchronisation across replicas.
The moving statistics are updated exactly as Keras does (the kernel's Bessel-corrected
variance is turned back into the batch variance Keras uses). Everything else, including
inference, every other backend and any GPU, is Keras' own ``call``.
``tests/test_norm.py`` compares outputs, gradients and moving statistics with Keras' layer.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from colorization.conv import tf_sees_a_gpu


@keras.saving.register_keras_serializable(package="colorization")
class BatchNormalization(layers.BatchNormalization):
    """``keras.layers.BatchNormalization``; fused on TensorFlow's CPU path while training."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable and mask is None and self._tf_cpu_fused(inputs)):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # the TensorFlow backend only

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

    def _tf_cpu_fused(self, inputs) -> bool:
        return (keras.backend.backend() == "tensorflow" and len(inputs.shape) == 4
                and self.axis in (-1, 3) and not self.renorm and not self.synchronized
                and not tf_sees_a_gpu())
