"""The trainable wrapper: uint8 RGB in, ab out, Lab computed on the device.

The input pipeline moves uint8 RGB (3 bytes a pixel) to the accelerator; the conversion to
Lab, the split into L and ab and the normalisation all happen inside the compiled step, on
the device. :class:`Colorizer` wraps any network of :mod:`colorization.nets.models` (normalised
L ``(B, H, W, 1)`` -> normalised ab ``(B, H, W, 2)``) and:

- ``call(rgb)`` takes uint8 RGB ``(B, H, W, 3)`` and returns the network's normalised ab;
- ``predict(rgb)`` returns ab in ab units: the normalisation convention never leaves the
  model, so callers work in raw Lab;
- ``compute_loss`` derives the target ab from the same ``x``, so ``fit`` needs no ``y``.
  The Lab conversion appears twice in the traced step (input L, target ab); under XLA/jit
  both are the same pure function of ``x`` and are merged by common-subexpression
  elimination, and on the CPU they cost well under 1% of a training step.

Written against the backend-agnostic ``keras.Model`` API (``compute_loss`` is the documented
override point of every backend's ``train_step``), so it trains on TensorFlow, JAX and torch.
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
    """uint8 RGB ``(B, H, W, 3)`` -> normalised ab ``(B, H, W, 2)`` of ``convention``.

    Args:
        network: a Keras model, normalised L ``(B, H, W, 1)`` -> normalised ab.
        convention: ``"unit"`` (sigmoid CNN, [0, 1]) or ``"symmetric"`` (tanh, [-1, 1]).
    """

    def __init__(self, network: keras.Model, convention: str, **kwargs):
        super().__init__(**kwargs)
        if convention not in color.CONVENTIONS:
            raise ValueError(f"convention must be one of {color.CONVENTIONS}, got {convention!r}")
        self.network = network
        self.convention = convention

    def lightness(self, rgb):
        """uint8 RGB -> normalised L ``(B, H, W, 1)`` float32."""
        lab = color.rgb_uint8_to_lab(rgb)
        return color.normalize_l(lab[..., :1], self.convention)

    def target(self, rgb):
        """uint8 RGB -> normalised ab ``(B, H, W, 2)`` float32: what the network should say."""
        lab = color.rgb_uint8_to_lab(rgb)
        return color.normalize_ab(lab[..., 1:], self.convention)

    def call(self, rgb, training=False):
        return self.network(self.lightness(rgb), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return super().compute_loss(
            x=x, y=self.target(x), y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def get_config(self):
        return {
            "network": keras.saving.serialize_keras_object(self.network),
            "convention": self.convention,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        network = keras.saving.deserialize_keras_object(
            config.pop("network"), custom_objects=custom_objects
        )
        return cls(network=network, **config)

    def configure(self, make_optimizer, *, loss: str = "mse", loss_delta: float = 1.0,
                  rebalance_lambda: float = 0.5, train_images=None, jit_compile="auto"):
        """Compile with this model's objective; every setting it may use is an argument.

        ``make_optimizer()`` returns a fresh optimizer (models with several networks call it
        once per network); ``loss`` / ``loss_delta`` name the regression loss
        (:func:`colorization.core.losses.get_loss`); ``rebalance_lambda`` and ``train_images``
        (the training :class:`~colorization.data.datasets.ImageSet`) serve Zhang's class
        rebalancing.
        Each subclass reads only the arguments its objective needs.
        """
        del rebalance_lambda, train_images  # not part of a regression objective
        self.compile(optimizer=make_optimizer(),
                     loss=losses.get_loss(loss, convention=self.convention, delta=loss_delta),
                     jit_compile=jit_compile)

    def decode(self, output):
        """What ``call(rgb, training=False)`` returns -> ab in ab units."""
        return color.denormalize_ab(output, self.convention)

    def predict(self, x, batch_size=None, verbose=None, **kwargs):
        """Predicted ab in ab units ``(N, H, W, 2)`` float32 for uint8 RGB ``(N, H, W, 3)``.

        Only the L of ``x`` is used; the model's normalisation never leaves it. Runs in
        batches of ``batch_size`` (64) with ``predict_on_batch`` (no progress bar, so
        notebooks stay quiet).
        """
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
