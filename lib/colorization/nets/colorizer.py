"""The trainable wrapper: uint8 RGB in, ab out, Lab computed on the device.

:class:`Colorizer` wraps a network of :mod:`colorization.nets.models` (normalised L -> normalised
ab). The pipeline feeds uint8 RGB; the conversion to Lab and the normalisation happen inside the
compiled step. ``predict`` returns ab in ab units, and ``compute_loss`` derives the target from
the same input, so ``fit`` needs no ``y``. Backend-agnostic: trains on TensorFlow, JAX and torch.
"""

from __future__ import annotations

import keras
import numpy as np

from colorization.core import color, losses


def weights_are_finite(model: keras.Model) -> bool:
    """Whether every weight of ``model`` is a finite number (a diverged training's are not)."""
    return all(np.isfinite(np.asarray(w)).all() for w in model.get_weights())


@keras.saving.register_keras_serializable(package="colorization")
class Colorizer(keras.Model):
    """uint8 RGB ``(B, H, W, 3)`` -> the ``network``'s normalised ab ``(B, H, W, 2)`` of
    ``convention`` (``"unit"``: [0, 1], ``"symmetric"``: [-1, 1])."""

    def __init__(self, network: keras.Model, convention: str, **kwargs):
        super().__init__(**kwargs)
        if convention not in color.CONVENTIONS:
            raise ValueError(f"convention must be one of {color.CONVENTIONS}, got {convention!r}")
        self.network = network
        self.convention = convention

    def lightness(self, rgb):
        """uint8 RGB -> normalised L ``(B, H, W, 1)`` float32."""
        return color.normalize_l(color.rgb_uint8_to_lab(rgb)[..., :1], self.convention)

    def target(self, rgb):
        """uint8 RGB -> normalised ab ``(B, H, W, 2)`` float32: what the network should say."""
        return color.normalize_ab(color.rgb_uint8_to_lab(rgb)[..., 1:], self.convention)

    def call(self, rgb, training=False):
        return self.network(self.lightness(rgb), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return super().compute_loss(x=x, y=self.target(x), y_pred=y_pred,
                                    sample_weight=sample_weight, training=training)

    def get_config(self):
        return {"network": keras.saving.serialize_keras_object(self.network),
                "convention": self.convention, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        network = keras.saving.deserialize_keras_object(config.pop("network"),
                                                        custom_objects=custom_objects)
        return cls(network=network, **config)

    def configure(self, make_optimizer, *, loss: str = "mse", loss_delta: float = 1.0,
                  rebalance_lambda: float = 0.5, train_images=None, jit_compile="auto"):
        """Compile with this model's objective. ``make_optimizer()`` returns a fresh
        optimizer; ``loss`` / ``loss_delta`` name the regression loss
        (:func:`colorization.core.losses.get_loss`); ``rebalance_lambda`` and ``train_images``
        (an :class:`~colorization.data.datasets.ImageSet`) serve Zhang's class rebalancing.
        Each subclass reads only the arguments its objective needs."""
        del rebalance_lambda, train_images  # not part of a regression objective
        self.compile(optimizer=make_optimizer(),
                     loss=losses.get_loss(loss, convention=self.convention, delta=loss_delta),
                     jit_compile=jit_compile)

    def decode(self, output):
        """What ``call(rgb, training=False)`` returns -> ab in ab units."""
        return color.denormalize_ab(output, self.convention)

    def predict(self, x, batch_size=None, verbose=None, **kwargs):
        """Predicted ab in ab units ``(N, H, W, 2)`` float32 for uint8 RGB ``(N, H, W, 3)``,
        in batches of ``batch_size`` (64), without a progress bar."""
        rgb = np.asarray(x)
        size = int(batch_size or 64)
        out = [color.to_numpy(self.decode(self.predict_on_batch(rgb[i : i + size])))
               for i in range(0, len(rgb), size)]
        if not out:
            return np.zeros(rgb.shape[:-1] + (2,), np.float32)
        return np.concatenate(out).astype(np.float32)

    @property
    def image_shape(self) -> tuple[int, int]:
        """(H, W) the network was built for."""
        return tuple(self.network.input_shape[1:3])
