"""Zhang et al.'s classification colorizer: rebalanced cross-entropy over ab bins.

:class:`ClassificationColorizer` wraps the ``zhang_classification`` network (normalised L ->
logits over the ab bins of :mod:`colorization.core.quantize`). Training, ``call`` returns the
logits and ``compute_loss`` is the soft-encoded cross-entropy, each pixel weighted by the
rebalancing weight of its nearest bin; at inference ``call`` returns the annealed-mean ab in ab
units, so ``predict`` and everything after it treat it like the other models.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from colorization.core import color, quantize
from colorization.nets.colorizer import Colorizer


@keras.saving.register_keras_serializable(package="colorization")
class ClassificationColorizer(Colorizer):
    """uint8 RGB -> Q logits (training) or annealed-mean ab at ``temperature`` (> 0) in ab
    units (inference); ``centres``: the bin centres (default :func:`quantize.ab_bins`)."""

    def __init__(self, network, convention="symmetric", temperature=quantize.TEMPERATURE,
                 centres=None, **kwargs):
        super().__init__(network, convention, **kwargs)
        self.centres = np.asarray(quantize.ab_bins() if centres is None else centres,
                                  np.float32)
        if self.centres.shape != (network.output_shape[-1], 2):
            raise ValueError(f"{len(self.centres)} bin centres for a network with "
                             f"{network.output_shape[-1]} logits")
        self.class_weights = np.ones(len(self.centres), np.float32)  # set by configure()
        _check_temperature(temperature)
        # a variable: changing T needs no retrace of the compiled predict function
        self._temperature = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(float(temperature)),
            trainable=False, name="temperature")

    @property
    def temperature(self) -> float:
        return float(ops.convert_to_numpy(self._temperature))

    @temperature.setter
    def temperature(self, value: float) -> None:
        _check_temperature(value)
        self._temperature.assign(float(value))

    def call(self, rgb, training=False):
        logits = self.network(self.lightness(rgb), training=training)
        if training:
            return logits
        probs = ops.softmax(logits / ops.cast(self._temperature, logits.dtype), axis=-1)
        return ops.matmul(probs, ops.convert_to_tensor(self.centres))  # the annealed mean

    def decode(self, output):
        """The annealed mean is already in ab units."""
        return output

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Rebalanced soft cross-entropy, averaged over pixels; ``y_pred`` are the logits."""
        ab = color.rgb_uint8_to_lab(x)[..., 1:]
        target = quantize.soft_encode(ab, self.centres)
        weights = ops.take(ops.convert_to_tensor(self.class_weights),
                           ops.argmax(target, axis=-1), axis=0)
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        cross_entropy = -ops.sum(target * log_probs, axis=-1)
        return ops.mean(weights * cross_entropy)

    def configure(self, make_optimizer, *, loss: str = "rebalanced_ce", loss_delta=None,
                  rebalance_lambda: float = quantize.LAMBDA, train_images=None,
                  jit_compile="auto"):
        """Rebalancing weights from the training set's prior, then compile.
        ``rebalance_lambda`` mixes the prior with the uniform distribution (0.5, Zhang's; 1.0
        turns rebalancing off); ``loss`` must be ``"rebalanced_ce"``."""
        del loss_delta
        if loss != "rebalanced_ce":
            raise ValueError(f"{self.name} trains with 'rebalanced_ce', not {loss!r}")
        if train_images is not None:
            prior = quantize.cached_prior(train_images.images, train_images.dataset)
            self.class_weights = quantize.rebalancing_weights(prior, lam=rebalance_lambda)
        self.compile(optimizer=make_optimizer(), jit_compile=jit_compile)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature,
                "centres": self.centres.tolist()}


def _check_temperature(value) -> None:
    if not value > 0:
        raise ValueError(f"temperature must be > 0, got {value}")
