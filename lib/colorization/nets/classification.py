"""Zhang et al.'s classification colorizer: rebalanced cross-entropy over ab bins.

:class:`ClassificationColorizer` wraps the ``zhang_classification`` network of
:mod:`colorization.nets.models` (normalised L ``(B, H, W, 1)`` -> logits ``(B, H, W, Q)`` over the
in-gamut ab bins of :mod:`colorization.core.quantize`) and keeps the engine's interface:

- ``call(rgb, training=True)`` returns the logits (what ``compute_loss`` needs);
- ``call(rgb, training=False)`` returns the annealed-mean ab at ``temperature`` in ab units,
  which ``predict`` passes on unchanged (``decode`` is the identity), so the epoch snapshots,
  evaluation and ``colorize`` treat it like every other model;
- ``compute_loss`` soft-encodes the true ab (Gaussian, sigma 5, 5 nearest bins) and returns
  the cross-entropy, each pixel weighted by the rebalancing weight of its nearest bin
  (``w ∝ ((1 - 0.5) p + 0.5 / Q)^-1`` with ``sum(p w) = 1``, ``p`` the empirical prior of
  the training set, set by :meth:`ClassificationColorizer.configure` with the run's
``rebalance_lambda``).

``temperature`` (default 0.38) is a property backed by a non-trainable variable (saved with
the model): setting it changes the next prediction without recompiling anything.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from colorization.core import color, quantize
from colorization.nets.colorizer import Colorizer


@keras.saving.register_keras_serializable(package="colorization")
class ClassificationColorizer(Colorizer):
    """uint8 RGB -> Q logits (training) or annealed-mean ab in ab units (inference).

    Args:
        network: normalised L ``(B, H, W, 1)`` -> logits ``(B, H, W, Q)``.
        temperature: annealed-mean temperature T (``> 0``; 1 = mean, -> 0 = mode).
        centres: bin centres ``(Q, 2)`` in ab units (default :func:`quantize.ab_bins`);
            stored in the config so a saved model decodes without recomputing the gamut.
    """

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
        # A (non-trainable) variable, not a Python float: changing T then needs no retrace
        # of the compiled predict function, on any backend.
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
        """Rebalancing weights from the training set's prior (cached), then compile.

        ``rebalance_lambda`` mixes the prior with the uniform distribution (0.5, Zhang's
        value; 1.0 turns rebalancing off, an ablation). ``loss`` must name this model's own
        objective, ``"rebalanced_ce"``; ``loss_delta`` is not used.
        """
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
