"""The paper's networks: Zhang-style CNNs (sigmoid, "unit") and autoencoders (tanh, "symmetric").

Every model maps normalised lightness to normalised ab at the input's resolution::

    input  (B, H, W, 1) float32   L, normalised with ``convention(name)``
    output (B, H, W, 2) float32   ab, normalised the same way: [0, 1] ("unit", sigmoid)
                                  or [-1, 1] ("symmetric", tanh)

``color.normalize_l`` / ``color.denormalize_ab`` convert to and from raw Lab; the model never
sees raw units. This module holds the layer plans and their builders; which plan is which
named model, with its convention and objective, is :mod:`colorization.nets.registry`.

==================  ==========  ==========  =================================================
name                paper       ours        what it is
==================  ==========  ==========  =================================================
zhang_full          ~32M        32,155,458  Zhang et al. ECCV16 as a regressor (2-channel head)
zhang_fruits        ~1M         970,370     Zhang family with inner blocks removed (Fig. 1)
zhang_animals       ~3.5M       3,433,090   some removed blocks put back, for Animals-10
autoencoder         ~6M         6,252,002   the Keras "beta" colorization network, 13 convs
autoencoder_small   ~1M         973,810     the paper's first autoencoder, which colours nothing
zhang_classification  n/a       978,917     zhang_fruits' trunk, 1x1 conv to Q = 261 ab-bin
                                            logits (Zhang's loss; beyond the paper)
gan                 n/a         6,231,732   U-Net generator of the GAN (Nazeri et al. 2018;
                                            its PatchGAN discriminator: colorization.nets.gan)
==================  ==========  ==========  =================================================

``zhang_classification`` outputs logits ``(B, H, W, Q)`` (float32, no activation), not ab:
:mod:`colorization.nets.classification` turns them into a loss and into ab. Both beyond-the-paper
models use the ``"symmetric"`` convention. The U-Net downsamples by 16, so it pads to a
multiple of 16 (100 -> 112) the same way.

(trainable parameters at any input size; BatchNorm's moving statistics are not trainable and
not counted.)

**Sizes that stride 8 does not divide.** The paper's five networks downsample by 8 in total, and the
paper's images are 100x100. Each model therefore reflect-pads its input up to the next multiple
of 8 (100 -> 104: 2 rows on top, 2 at the bottom; an odd amount puts the extra row at the
bottom/right) and crops the prediction back to the input's centre at the end, before the final
activation. Reflection rather than zeros because a zero is black in one convention and mid-grey
in the other, and would draw a false edge. Height and width may also be ``None`` (any size >= 5
per side); the padding is then computed per batch.

**Why sigmoid where the paper writes SoftMax.** The paper's CNN ends in "one SoftMax at the end
(because we have normalized our value between 0 and 1)". A softmax over the two output
channels would force a + b = 1 at every pixel, i.e. one degree of freedom for two independent
chroma axes: no ab image could be represented. What the stated reason needs is each channel
squashed to [0, 1] independently, which is the logistic sigmoid (the two-class softmax is a
sigmoid of the difference, the same family). So the CNNs end in a per-channel sigmoid and are
trained on targets normalised to [0, 1] per channel (``convention == "unit"``).

**Mixed precision.** The last layer of every model is an ``Activation`` with
``dtype="float32"``: under a ``mixed_float16`` / ``mixed_bfloat16`` policy the output (and so
the loss) is float32. Only ``keras.layers`` and ``keras.ops`` are used, so the models build and
run on the TensorFlow, JAX and PyTorch backends.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from colorization.core import quantize
from colorization.nets.tf_cpu import Conv2D

# PyTorch's BatchNorm2d defaults (the paper's and Zhang's framework): running statistics
# updated with weight 0.1 per step (Keras momentum 0.9, not Keras' 0.99, whose averages
# would still be far from the data after the few hundred steps of a short run), eps 1e-5.
_NORM = {"momentum": 0.9, "epsilon": 1e-5}

_STRIDE = 8  # total downsampling of every network: three stride-2 stages

# Zhang family. Encoder blocks: 3x3 convs + ReLU, stride on the block's last conv, BatchNorm
# after the block's last ReLU, no pooling (as in richzhang/colorization). Decoder blocks:
# either Zhang's conv8 (a 4x4 transposed conv, stride 2, then 3x3 convs; no BatchNorm) or the
# paper's "Conv2d + norm_layer + Upsample". Then a 1x1 regression head to 2 channels (Zhang's
# 313-class head replaced, as in the paper), upsampled by ``head_upsample`` to full resolution.
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
    # Fig. 1: conv1-conv3 narrowed to one or two convs, conv4/conv6/conv7 removed, one dilated
    # block kept for context, then back up with Conv + BN + Upsample.
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
    # The fruit network with Zhang's widths restored in conv1-conv3 (64/128/256), conv3's
    # third conv and a second dilated conv put back, and a wider decoder.
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

# Zhang's classification network at fruit scale: the zhang_fruits trunk, with its 2-channel
# regression head replaced by Zhang's 1x1 conv to Q logits (Q = quantize.n_bins(), 261), at
# full resolution. The loss, soft encoding and decoding live in colorization.nets.classification.
CLASSIFICATION_SPEC = {**ZHANG_SPECS["zhang_fruits"], "head": "classes"}

# The GAN's generator (Nazeri et al. 2018, after pix2pix): a U-Net. Encoder: 4x4 stride-2
# convs with LeakyReLU(0.2), BatchNorm from the second on; decoder: 4x4 stride-2 transposed
# convs with ReLU and BatchNorm, each concatenated with the encoder output of the same size
# (the skip connections); last, the input L is concatenated at full resolution and a 3x3 conv
# gives ab through tanh. Four stride-2 steps: sizes are padded to a multiple of 16.
UNET_SPEC = {"encoder": (64, 128, 256, 512), "decoder": (256, 128, 64, 32)}
_UNET_STRIDE = 16

# Autoencoders: a plain stack of 3x3 'same' convs with ReLU, no BatchNorm. An int is a conv's
# filter count (stride 1), ``(filters, 2)`` a stride-2 conv, "up" a 2x nearest upsampling.
# The last conv (2 filters, linear) and the last "up" are added by the builder, so the tanh can
# run last, in float32 (nearest upsampling commutes with tanh: the same function as the
# original conv-tanh-upsample ending).
AUTOENCODER_SPECS = {
    # The Keras "beta" colorization network: 6 encoder + 7 decoder convs = 6,252,002 weights.
    "autoencoder": {
        "encoder": [(64, 2), 128, (128, 2), 256, (256, 2), 512],
        "decoder": [512, 256, 128, "up", 64, 64, "up", 32],
    },
    # The first try: half the widths, and the decoder's first (bottleneck) conv removed
    # (12 convs: 6 + 6).
    "autoencoder_small": {
        "encoder": [(32, 2), 64, (64, 2), 128, (128, 2), 256],
        "decoder": [128, 64, "up", 32, 32, "up", 16],
    },
}

# Settings every conv of the Zhang family shares (as keras-io examples do).
_CONV = {"kernel_size": 3, "padding": "same", "activation": "relu"}


@keras.saving.register_keras_serializable(package="colorization")
class BatchNormalization(layers.BatchNormalization):
    """Keras' own batch norm under the name that models saved by earlier versions of the
    project carry (``colorization>BatchNormalization``, which then had a fused TensorFlow CPU
    path, since dropped: ``docs/performance.md``), so that their ``model.keras`` files still
    load. New models use ``keras.layers.BatchNormalization``."""


@keras.saving.register_keras_serializable(package="colorization")
class PadToMultiple(layers.Layer):
    """Pad H and W of ``(B, H, W, C)`` up to the next multiple of ``multiple``.

    The padding is split evenly, the odd row/column going to the bottom/right. ``mode`` is
    ``"reflect"`` (default) or ``"constant"`` (zeros). Works with static or dynamic sizes.
    """

    def __init__(self, multiple: int = _STRIDE, mode: str = "reflect", **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)
        self.mode = mode

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
        return ops.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], mode=self.mode)

    def compute_output_shape(self, input_shape):
        def padded(size):
            return None if size is None else size + sum(self._pads(size))

        return (input_shape[0], padded(input_shape[1]), padded(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple, "mode": self.mode}


@keras.saving.register_keras_serializable(package="colorization")
class CropToMatch(layers.Layer):
    """``[x, reference]`` -> the centre of ``x`` at the reference's H and W.

    Undoes :class:`PadToMultiple` (same split: the crop offset is ``(H_x - H_ref) // 2``).
    """

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
        # Zhang's own head: a 1x1 conv to one logit per in-gamut ab bin (no activation:
        # the softmax belongs to the loss and to the annealed-mean decoding).
        x = layers.Conv2D(quantize.n_bins(), 1, name="class_head")(x)
        x = CropToMatch(name="crop")([x, inputs])
        outputs = layers.Activation("linear", dtype="float32", name="logits")(x)
        return keras.Model(inputs, outputs, name=name)
    # Regression head in place of Zhang's 1x1 conv to 313 classes.
    x = layers.Conv2D(2, 1, name="ab_head")(x)
    if head_upsample > 1:
        # Zhang upsamples the 1/4-resolution prediction bilinearly; done on the logits here
        # so the sigmoid stays the last (float32) layer.
        x = layers.UpSampling2D(head_upsample, interpolation="bilinear", name="ab_upsample")(x)
    x = CropToMatch(name="crop")([x, inputs])
    outputs = layers.Activation("sigmoid", dtype="float32", name="ab")(x)
    return keras.Model(inputs, outputs, name=name)


def _zhang_encoder_block(x, prefix, filters, stride=1, dilation=1):
    """3x3 convs + ReLU (stride on the last one), then BatchNorm: one block of Zhang's net."""
    for j, n_filters in enumerate(filters, start=1):
        last = j == len(filters)
        x = Conv2D(
            n_filters,
            strides=stride if last else 1,
            dilation_rate=dilation,
            name=f"{prefix}_{j}",
            **_CONV,
        )(x)
    return layers.BatchNormalization(**_NORM, name=f"{prefix}_norm")(x)


def _zhang_decoder_block(x, prefix, filters, transpose=False, batchnorm=True, upsample=1):
    """Zhang's conv8 (``transpose``: 4x4 transposed conv s2 first) or Conv + BN + Upsample."""
    for j, n_filters in enumerate(filters, start=1):
        if transpose and j == 1:
            x = layers.Conv2DTranspose(
                n_filters, 4, strides=2, padding="same", activation="relu", name=f"{prefix}_{j}"
            )(x)
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
