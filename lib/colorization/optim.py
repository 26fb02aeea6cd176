"""Adam with TensorFlow's fused update kernel on the TensorFlow backend.

``keras.optimizers.Adam`` writes its update as about a dozen element-wise ``keras.ops`` per
weight tensor (moments, bias correction, square root, division), each a full pass over memory.
On a CPU that is a tenth of ``zhang_full``'s training step (32M weights, docs/performance.md
section 2). :class:`Adam` computes the same update (the same formula, in the same
epsilon-outside-the-square-root form) with TensorFlow's one-pass kernel,
``ResourceApplyAdam``, on the TensorFlow backend; every other backend, and ``amsgrad``, take
Keras' own ``update_step``. ``tests/test_optim.py`` compares both for several steps.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="colorization")
class Adam(keras.optimizers.Adam):
    """``keras.optimizers.Adam``; on the TensorFlow backend its update is one fused kernel."""

    def update_step(self, gradient, variable, learning_rate):
        if keras.backend.backend() != "tensorflow" or self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf  # the TensorFlow backend only

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
