"""The models of the suite, one :class:`ModelSpec` row each in :data:`MODELS`: network builder,
layer plan, trainer class, convention and objectives. Adding a model is adding a row.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from colorization.nets import models
from colorization.nets.classification import ClassificationColorizer
from colorization.nets.colorizer import Colorizer
from colorization.nets.gan import GANColorizer

REGRESSION_LOSSES = ("mse", "smooth_l1", "smooth_l1_ab")


@dataclass(frozen=True)
class ModelSpec:
    """One model. ``build(name, input_shape, **plan)`` makes its network; ``colorizer`` is
    the :class:`Colorizer` subclass that trains it; ``convention`` is ``"unit"`` (sigmoid,
    [0, 1]) or ``"symmetric"`` (tanh, [-1, 1]); ``losses`` are its objectives, the first the
    default; ``paper_params`` is the paper's parameter count (``None``: beyond the paper);
    ``gpu_batch_size`` is the default batch size on a GPU."""

    build: Callable[..., keras.Model]
    plan: dict
    colorizer: type[Colorizer]
    convention: str
    losses: tuple[str, ...]
    paper_params: int | None
    about: str = ""
    gpu_batch_size: int = 256


MODELS: dict[str, ModelSpec] = {
    "zhang_full": ModelSpec(
        models.build_zhang, models.ZHANG_SPECS["zhang_full"], Colorizer, "unit",
        REGRESSION_LOSSES, 32_000_000, "Zhang et al. ECCV16 as a regressor (2-channel head)"),
    "zhang_fruits": ModelSpec(
        models.build_zhang, models.ZHANG_SPECS["zhang_fruits"], Colorizer, "unit",
        REGRESSION_LOSSES, 1_000_000, "Zhang family with inner blocks removed (Fig. 1)"),
    "zhang_animals": ModelSpec(
        models.build_zhang, models.ZHANG_SPECS["zhang_animals"], Colorizer, "unit",
        REGRESSION_LOSSES, 3_500_000, "some removed blocks put back, for Animals-10"),
    "autoencoder": ModelSpec(
        models.build_autoencoder, models.AUTOENCODER_SPECS["autoencoder"], Colorizer,
        "symmetric", REGRESSION_LOSSES, 6_000_000, "the Keras 'beta' colorization network"),
    "autoencoder_small": ModelSpec(
        models.build_autoencoder, models.AUTOENCODER_SPECS["autoencoder_small"], Colorizer,
        "symmetric", REGRESSION_LOSSES, 1_000_000, "the paper's first autoencoder"),
    # Beyond the paper: no parameter count to compare with.
    "zhang_classification": ModelSpec(
        models.build_zhang, models.CLASSIFICATION_SPEC, ClassificationColorizer, "symmetric",
        ("rebalanced_ce",), None, "zhang_fruits' trunk, Q ab-bin logits (Zhang's loss)",
        gpu_batch_size=128),
    "gan": ModelSpec(
        models.build_unet, models.UNET_SPEC, GANColorizer, "symmetric",
        ("adversarial_l1",), None, "U-Net generator + PatchGAN (Nazeri et al. 2018)",
        gpu_batch_size=64),
}

MODEL_NAMES = tuple(MODELS)
PAPER_PARAMS = {name: spec.paper_params for name, spec in MODELS.items()}


def spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of ``name``; ``ValueError`` naming the choices otherwise."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {MODEL_NAMES}")
    return MODELS[name]


def convention(name: str) -> str:
    """Normalisation convention of model ``name``: ``"unit"`` (the sigmoid CNNs, [0, 1]) or
    ``"symmetric"`` ([-1, 1])."""
    return spec(name).convention


def default_loss(name: str) -> str:
    """The objective model ``name`` trains with unless told otherwise."""
    return spec(name).losses[0]


def check_loss(name: str, loss: str) -> None:
    """``ValueError`` unless model ``name`` can train with ``loss``."""
    allowed = spec(name).losses
    if loss not in allowed:
        raise ValueError(f"model {name!r} trains with one of {allowed}, not {loss!r}")


def build_model(name: str, input_shape=(100, 100, 1)) -> keras.Model:
    """Network ``name`` for ``input_shape`` ``(H, W, 1)`` (H, W may be ``None``): normalised L
    -> normalised ab ``(B, H, W, 2)`` (logits ``(B, H, W, Q)`` for ``zhang_classification``)."""
    row = spec(name)
    return row.build(name, input_shape, **row.plan)


def build_colorizer(name: str, image_size: int = 100) -> Colorizer:
    """Network ``name`` wrapped in its trainer class for uint8 RGB input, and built."""
    row = spec(name)
    network = build_model(name, input_shape=(image_size, image_size, 1))
    model = row.colorizer(network, row.convention, name=f"colorizer_{name}")
    model(np.zeros((1, image_size, image_size, 3), dtype=np.uint8))  # build
    return model


def load_colorizer(path) -> Colorizer:
    """Load a saved ``.keras`` colorizer in Keras safe mode (no arbitrary code).

    ``FileNotFoundError`` for a missing file; ``ValueError`` naming the file for one that is
    not a complete ``.keras`` archive, holds another kind of model, or carries Python code.
    """
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
