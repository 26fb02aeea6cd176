"""The trainable wrapper: uint8 RGB in, normalised ab out, Lab computed on the device.

The input pipeline moves uint8 RGB (3 bytes a pixel) to the accelerator; the conversion to
Lab, the split into L and ab and the normalisation all happen inside the compiled step, on
the device. :class:`Colorizer` wraps any network of :mod:`colorization.models` (normalised
L ``(B, H, W, 1)`` -> normalised ab ``(B, H, W, 2)``) and:

- ``call(rgb)`` takes uint8 RGB ``(B, H, W, 3)`` and returns the network's normalised ab;
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

from colorization import color


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

    def configure(self, config, make_optimizer, train_images=None):
        """Compile for training ``config`` (a :class:`colorization.train.RunConfig`).

        ``make_optimizer()`` returns a fresh optimizer (models with several networks call it
        once per network); ``train_images`` is the training :class:`~colorization.data.ImageSet`
        for models that derive statistics from it (Zhang's class rebalancing). Subclasses
        with their own objective override this.
        """
        from colorization import losses

        loss = losses.get_loss(config.loss, convention=self.convention, delta=config.loss_delta)
        self.compile(optimizer=make_optimizer(), loss=loss, jit_compile=config.jit_compile)

    @property
    def image_shape(self) -> tuple[int, int]:
        """(H, W) the network was built for."""
        return tuple(self.network.input_shape[1:3])


# Models whose training is not plain regression: name -> "module:function" returning a
# built Colorizer subclass, given (model_name, image_size).
SPECIAL_BUILDERS: dict[str, str] = {
    "zhang_classification": "colorization.classification:build_classification_colorizer",
    "gan": "colorization.gan:build_gan_colorizer",
}


def build_colorizer(model_name: str, image_size: int = 100) -> Colorizer:
    """The named network of :mod:`colorization.models` wrapped for uint8 RGB input."""
    import importlib

    from colorization import models

    if model_name in SPECIAL_BUILDERS:
        module, func = SPECIAL_BUILDERS[model_name].split(":")
        return getattr(importlib.import_module(module), func)(model_name, image_size)
    network = models.build_model(model_name, input_shape=(image_size, image_size, 1))
    colorizer = Colorizer(network, models.convention(model_name), name=f"colorizer_{model_name}")
    colorizer(np.zeros((1, image_size, image_size, 3), dtype=np.uint8))  # build
    return colorizer


def predict_ab(colorizer: Colorizer, rgb: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Predicted ab in ab units, ``(N, H, W, 2)`` float32, for uint8 RGB ``(N, H, W, 3)``.

    Only the L of ``rgb`` is used. Runs in batches with ``predict_on_batch`` (no progress
    bar, so notebooks stay quiet).
    """
    rgb = np.asarray(rgb)
    out = []
    for start in range(0, len(rgb), batch_size):
        pred = colorizer.predict_on_batch(rgb[start : start + batch_size])
        out.append(color.to_numpy(color.denormalize_ab(pred, colorizer.convention)))
    if not out:
        return np.zeros(rgb.shape[:-1] + (2,), np.float32)
    return np.concatenate(out).astype(np.float32)


def load_colorizer(path) -> Colorizer:
    """Load a saved ``.keras`` colorizer in Keras safe mode (no arbitrary code).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the file for
    one that is not a complete ``.keras`` archive, holds another kind of model, or carries
    Python code (a ``Lambda`` layer), which safe mode refuses: this project's models never
    hold one, so such a file was made elsewhere or tampered with.
    """
    import zipfile
    from pathlib import Path

    # Imported for their side effect: registering the custom objects a file may hold.
    from colorization import classification, gan, losses, models  # noqa: F401

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a .keras model file (damaged, cut short, or another "
                         "format); train the run again or copy the file once more")
    try:
        model = keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except Exception as err:  # noqa: BLE001 - Keras raises many kinds for a bad file
        text = str(err)
        if "safe_mode" in text or "arbitrary code" in text:
            raise ValueError(
                f"refusing to load {path}: it contains Python code (a Lambda layer) that would "
                "run when loaded, which Keras safe mode forbids. The models of this project "
                "never contain one, so this file was made elsewhere or tampered with; load "
                "only models you trained yourself"
            ) from None
        raise ValueError(f"cannot load the model {path}: {type(err).__name__}: {text}") from err
    if not isinstance(model, Colorizer):
        raise ValueError(f"{path} holds a {type(model).__name__}, not a colorization model")
    return model
