"""The networks' layer plans and builders (:mod:`colorization.nets.registry` names them):
Zhang-style CNNs (sigmoid, "unit"), autoencoders (tanh, "symmetric"), Zhang's classifier and
the GAN's U-Net generator (both "symmetric").

Every network maps normalised L ``(B, H, W, 1)`` to normalised ab ``(B, H, W, 2)`` float32 at
the input's size (the classifier: ``(B, H, W, Q)`` logits). Each reflect-pads its input to a
multiple of its total stride (8; 16 for the U-Net) and crops the prediction back before the
last layer, a float32 ``Activation``. The paper's CNN ends in a "SoftMax ... (because we have
normalized our value between 0 and 1)": a softmax over two channels would force a + b = 1, so
the CNNs end in a per-channel sigmoid, which is what that reason needs.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from colorization.core import quantize
from colorization.nets.tf_cpu import Conv2D

# PyTorch's BatchNorm2d defaults (the paper's framework): momentum 0.1 (Keras' 0.9), eps 1e-5.
_NORM = {"momentum": 0.9, "epsilon": 1e-5}

_STRIDE = 8  # total downsampling of every network: three stride-2 stages

# Zhang family: encoder blocks of 3x3 convs + ReLU (stride on the last) then BatchNorm; decoder
# blocks are Zhang's conv8 (4x4 transposed conv first, no BatchNorm) or the paper's Conv + BN +
# Upsample; then a 1x1 head to 2 channels, upsampled by ``head_upsample``.
ZHANG_SPECS = {
    "zhang_full": {
        "encoder": [
            {"filters": (64, 64), "stride": 2},  # conv1
            {"filters": (128, 128), "stride": 2},  # conv2
            {"filters": (256, 256, 256), "stride": 2},  # conv3
            {"filters": (512, 512, 512)},  # conv4
            {"filters": (512, 512, 512), "dilation": 2},  # conv5
            {"filters": (512, 512, 512), "dilation": 2},  # conv6
            {"filters": (512, 512, 512)},  # conv7
        ],
        "decoder": [
            {"filters": (256, 256, 256), "transpose": True, "batchnorm": False},  # conv8
        ],
        "head_upsample": 4,
    },
    # Fig. 1: narrower conv1-conv3, conv4/conv6/conv7 removed, one dilated block kept.
    "zhang_fruits": {
        "encoder": [
            {"filters": (32, 32), "stride": 2},
            {"filters": (64, 64), "stride": 2},
            {"filters": (128, 128), "stride": 2},
            {"filters": (256,), "dilation": 2},
        ],
        "decoder": [
            {"filters": (128,), "upsample": 2},
            {"filters": (64,), "upsample": 2},
            {"filters": (32,), "upsample": 2},
        ],
        "head_upsample": 1,
    },
    # Zhang's widths in conv1-conv3, a second dilated conv and a wider decoder put back.
    "zhang_animals": {
        "encoder": [
            {"filters": (64, 64), "stride": 2},
            {"filters": (128, 128), "stride": 2},
            {"filters": (256, 256, 256), "stride": 2},
            {"filters": (256, 256), "dilation": 2},
        ],
        "decoder": [
            {"filters": (128,), "upsample": 2},
            {"filters": (128,), "upsample": 2},
            {"filters": (64,), "upsample": 2},
        ],
        "head_upsample": 1,
    },
}

# The zhang_fruits trunk with Zhang's 1x1 conv to Q logits (colorization.nets.classification).
CLASSIFICATION_SPEC = {**ZHANG_SPECS["zhang_fruits"], "head": "classes"}

# The GAN's U-Net generator (pix2pix): 4x4 stride-2 convs + LeakyReLU(0.2) down, 4x4 stride-2
# transposed convs + BatchNorm + ReLU up, each joined with the encoder output of its size (the
# input L last), then a 3x3 conv to ab.
UNET_SPEC = {"encoder": (64, 128, 256, 512), "decoder": (256, 128, 64, 32)}
_UNET_STRIDE = 16

# Autoencoders: 3x3 'same' convs with ReLU, no BatchNorm. An int is a conv's filter count,
# ``(filters, 2)`` a stride-2 conv, "up" a 2x nearest upsampling. The builder adds the last
# conv (2 filters) and "up", then tanh (nearest upsampling commutes with tanh).
AUTOENCODER_SPECS = {
    # The Keras "beta" colorization network: 6 encoder + 7 decoder convs.
    "autoencoder": {
        "encoder": [(64, 2), 128, (128, 2), 256, (256, 2), 512],
        "decoder": [512, 256, 128, "up", 64, 64, "up", 32],
    },
    # The first try: half the widths, the decoder's first conv removed.
    "autoencoder_small": {
        "encoder": [(32, 2), 64, (64, 2), 128, (128, 2), 256],
        "decoder": [128, 64, "up", 32, 32, "up", 16],
    },
}

_CONV = {"kernel_size": 3, "padding": "same", "activation": "relu"}


@keras.saving.register_keras_serializable(package="colorization")
class PadToMultiple(layers.Layer):
    """Reflect-pad H and W of ``(B, H, W, C)`` up to the next multiple of ``multiple``, the
    odd row/column at the bottom/right; static or dynamic sizes."""

    def __init__(self, multiple: int = _STRIDE, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def _pads(self, size):
        total = (self.multiple - size % self.multiple) % self.multiple
        before = total // 2
        return before, total - before

    def call(self, x):
        shape = ops.shape(x)
        top, bottom = self._pads(shape[1])
        left, right = self._pads(shape[2])
        if isinstance(top + bottom + left + right, int) and top + bottom + left + right == 0:
            return x  # nothing to pad (and torch's reflect pad rejects an all-zero padding)
        return ops.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        def padded(size):
            return None if size is None else size + sum(self._pads(size))

        return (input_shape[0], padded(input_shape[1]), padded(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="colorization")
class CropToMatch(layers.Layer):
    """``[x, reference]`` -> the centre of ``x`` at the reference's H and W (undoes
    :class:`PadToMultiple`)."""

    def call(self, inputs):
        x, reference = inputs
        height, width = ops.shape(reference)[1], ops.shape(reference)[2]
        top = (ops.shape(x)[1] - height) // 2
        left = (ops.shape(x)[2] - width) // 2
        return x[:, top : top + height, left : left + width, :]

    def compute_output_shape(self, input_shape):
        x_shape, ref_shape = input_shape
        return (x_shape[0], ref_shape[1], ref_shape[2], x_shape[3])


def count_trainable(model: keras.Model) -> int:
    """Number of trainable parameters (BatchNorm's moving mean/variance excluded)."""
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def build_zhang(name, input_shape, encoder, decoder, head_upsample,
                head="regression") -> keras.Model:
    """Zhang-family network: normalised L -> ab in [0, 1] (sigmoid), or Q logits for
    ``head="classes"``, at the input's H and W."""
    inputs = keras.Input(shape=tuple(input_shape), name="lightness")
    x = PadToMultiple(_STRIDE, name="pad")(inputs)
    for i, block in enumerate(encoder, start=1):
        x = _zhang_encoder_block(x, f"conv{i}", **block)
    for i, block in enumerate(decoder, start=len(encoder) + 1):
        x = _zhang_decoder_block(x, f"conv{i}", **block)
    if head == "classes":
        # Zhang's head: one logit per in-gamut ab bin (the softmax belongs to the loss).
        x = layers.Conv2D(quantize.n_bins(), 1, name="class_head")(x)
        x = CropToMatch(name="crop")([x, inputs])
        outputs = layers.Activation("linear", dtype="float32", name="logits")(x)
        return keras.Model(inputs, outputs, name=name)
    x = layers.Conv2D(2, 1, name="ab_head")(x)
    if head_upsample > 1:
        # Zhang's bilinear upsampling, before the sigmoid so that stays the last layer.
        x = layers.UpSampling2D(head_upsample, interpolation="bilinear", name="ab_upsample")(x)
    x = CropToMatch(name="crop")([x, inputs])
    outputs = layers.Activation("sigmoid", dtype="float32", name="ab")(x)
    return keras.Model(inputs, outputs, name=name)


def _zhang_encoder_block(x, prefix, filters, stride=1, dilation=1):
    """3x3 convs + ReLU (stride on the last one), then BatchNorm: one block of Zhang's net."""
    for j, n_filters in enumerate(filters, start=1):
        last = j == len(filters)
        x = Conv2D(n_filters, strides=stride if last else 1, dilation_rate=dilation,
                   name=f"{prefix}_{j}", **_CONV)(x)
    return layers.BatchNormalization(**_NORM, name=f"{prefix}_norm")(x)


def _zhang_decoder_block(x, prefix, filters, transpose=False, batchnorm=True, upsample=1):
    """Zhang's conv8 (``transpose``: 4x4 transposed conv s2 first) or Conv + BN + Upsample."""
    for j, n_filters in enumerate(filters, start=1):
        if transpose and j == 1:
            x = layers.Conv2DTranspose(n_filters, 4, strides=2, padding="same",
                                       activation="relu", name=f"{prefix}_{j}")(x)
        else:
            x = Conv2D(n_filters, name=f"{prefix}_{j}", **_CONV)(x)
    if batchnorm:
        x = layers.BatchNormalization(**_NORM, name=f"{prefix}_norm")(x)
    if upsample > 1:
        x = layers.UpSampling2D(upsample, interpolation="bilinear", name=f"{prefix}_up")(x)
    return x


def build_autoencoder(name, input_shape, encoder, decoder) -> keras.Model:
    """Plain conv autoencoder: normalised L -> ab in [-1, 1] (tanh), at the input's H and W."""
    inputs = keras.Input(shape=tuple(input_shape), name="lightness")
    x = PadToMultiple(_STRIDE, name="pad")(inputs)
    n_conv = n_up = 0
    for spec in [*encoder, *decoder]:
        if spec == "up":
            n_up += 1
            x = layers.UpSampling2D(2, name=f"up{n_up}")(x)
            continue
        n_filters, stride = spec if isinstance(spec, tuple) else (spec, 1)
        n_conv += 1
        x = Conv2D(n_filters, strides=stride, name=f"conv{n_conv}", **_CONV)(x)
    x = Conv2D(2, 3, padding="same", name=f"conv{n_conv + 1}")(x)
    x = layers.UpSampling2D(2, name=f"up{n_up + 1}")(x)
    x = CropToMatch(name="crop")([x, inputs])
    outputs = layers.Activation("tanh", dtype="float32", name="ab")(x)
    return keras.Model(inputs, outputs, name=name)


def build_unet(name, input_shape, encoder, decoder) -> keras.Model:
    """U-Net generator: normalised L -> ab in [-1, 1] (tanh), at the input's H and W."""
    inputs = keras.Input(shape=tuple(input_shape), name="lightness")
    x = PadToMultiple(_UNET_STRIDE, name="pad")(inputs)
    padded = x
    skips = []
    for i, n_filters in enumerate(encoder, start=1):
        x = layers.Conv2D(n_filters, 4, strides=2, padding="same", name=f"enc{i}")(x)
        if i > 1:  # pix2pix: no normalisation on the first layer
            x = layers.BatchNormalization(**_NORM, name=f"enc{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"enc{i}_act")(x)
        skips.append(x)
    for i, n_filters in enumerate(decoder, start=1):
        x = layers.Conv2DTranspose(n_filters, 4, strides=2, padding="same", name=f"dec{i}")(x)
        x = layers.BatchNormalization(**_NORM, name=f"dec{i}_norm")(x)
        x = layers.ReLU(name=f"dec{i}_act")(x)
        skip = skips[-1 - i] if i < len(skips) else padded  # the input L at full resolution
        x = layers.Concatenate(name=f"skip{i}")([x, skip])
    x = layers.Conv2D(2, 3, padding="same", name="ab_head")(x)
    x = CropToMatch(name="crop")([x, inputs])
    outputs = layers.Activation("tanh", dtype="float32", name="ab")(x)
    return keras.Model(inputs, outputs, name=name)
