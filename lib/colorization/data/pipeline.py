"""Input pipelines of uint8 RGB batches: the conversion to Lab runs inside the model's compiled
step, so a pixel crosses to the accelerator as 3 bytes instead of 12.

:func:`from_arrays` gives a cached, seeded ``tf.data`` chain when TensorFlow is installed, else
(or with ``backend="numpy"``) :class:`ArrayBatches`, a ``keras.utils.PyDataset`` with the same
behaviour. :func:`from_files` decodes image files in the graph (uncached reads, large folders).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence

import keras
import numpy as np


def tf_with_flip_draws(tf, ds, seed: int):
    """``ds`` zipped with one random int64 per element: seeded, drawn anew each epoch and the
    same in every run, whatever order ``tf.data``'s parallel calls take."""
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((ds, draws))


def tf_flip_coins(tf, size, draw, seed: int):
    """Which images of a batch of ``size`` are flipped (bool), from its ``draw``
    (:func:`tf_with_flip_draws`); shared with the device path."""
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(draw, tf.int64)])
    return tf.random.stateless_uniform([size], seed=key) < 0.5


def from_arrays(images: np.ndarray, batch_size: int, *, shuffle: bool = True, seed: int = 0,
                flip: bool = False, drop_remainder: bool = False, backend: str = "auto",
                first_epoch: int = 0):
    """Batches of uint8 RGB ``(B, H, W, 3)`` from a uint8 array ``(N, H, W, 3)``, without
    targets (the model derives them from the images).

    ``shuffle``: reshuffled every epoch from ``seed``; ``flip``: seeded random left-right
    flips; ``backend``: ``"tf"``, ``"numpy"`` or ``"auto"`` (tf.data when TensorFlow is
    installed); ``first_epoch``: where the NumPy batches start (a resumed run's next epoch).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {images.shape}")
    if backend == "auto":
        backend = "tf" if importlib.util.find_spec("tensorflow") else "numpy"
    if backend == "numpy":
        return ArrayBatches(images, batch_size, shuffle=shuffle, seed=seed, flip=flip,
                            drop_remainder=drop_remainder, first_epoch=first_epoch)
    if backend != "tf":
        raise ValueError(f"backend must be 'auto', 'tf' or 'numpy', got {backend!r}")
    import tensorflow as tf

    def flip_batch(batch, draw):
        coin = tf_flip_coins(tf, tf.shape(batch)[0], draw, seed)
        return tf.where(coin[:, None, None, None], tf.reverse(batch, axis=[2]), batch)

    ds = tf.data.Dataset.from_tensor_slices(images).cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if flip:
        ds = tf_with_flip_draws(tf, ds, seed).map(flip_batch, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def from_files(paths: Sequence[str], batch_size: int, *, image_size: int = 100,
               cache: bool = True, shuffle: bool = False, seed: int = 0):
    """tf.data batches of uint8 RGB decoded from clean image files (JPEG, PNG, BMP, GIF),
    resized (shorter side) and centre-cropped to ``image_size``; ``cache`` keeps the decoded
    images in memory after the first epoch. Damaged or odd files need :mod:`.datasets`."""
    import tensorflow as tf

    def decode(path):
        img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        img.set_shape([None, None, 3])
        shape = tf.cast(tf.shape(img)[:2], tf.float32)
        new = tf.cast(tf.math.ceil(shape * image_size / tf.reduce_min(shape)), tf.int32)
        img = tf.image.resize(img, new, antialias=True)
        img = tf.image.resize_with_crop_or_pad(img, image_size, image_size)
        return tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8)

    ds = tf.data.Dataset.from_tensor_slices([str(p) for p in paths])
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def epoch_order(n: int, batch_size: int, seed: int, epoch: int, shuffle: bool = True):
    """The order epoch ``epoch`` visits ``n`` images: a permutation seeded by ``(seed, epoch)``,
    each batch's slice sorted (neighbouring reads). Shared with the device path, so both train
    on the same batches."""
    if not shuffle:
        return np.arange(n)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    for start in range(0, n, batch_size):
        order[start : start + batch_size].sort()
    return order


def flip_coins(seed: int, epoch: int, index: int, size: int) -> np.ndarray:
    """Which images of batch ``index`` of epoch ``epoch`` are flipped (bool ``(size,)``)."""
    return np.random.default_rng([seed, epoch, index]).random(size) < 0.5


class ArrayBatches(keras.utils.PyDataset):
    """The TensorFlow-free twin of :func:`from_arrays`: uint8 batches from a NumPy array, in
    the :func:`epoch_order` of each epoch from ``first_epoch`` on."""

    def __init__(self, images, batch_size, *, shuffle=True, seed=0, flip=False,
                 drop_remainder=False, first_epoch=0):
        super().__init__()
        self.images, self.batch_size, self.seed = images, int(batch_size), seed
        self.shuffle, self.flip, self.drop_remainder = shuffle, flip, drop_remainder
        self.epoch = first_epoch - 1
        self.on_epoch_end()

    def __len__(self):
        n = len(self.images) / self.batch_size
        return math.floor(n) if self.drop_remainder else math.ceil(n)

    def __getitem__(self, index):
        batch = self.images[self._order[index * self.batch_size : (index + 1) * self.batch_size]]
        if self.flip:
            coin = flip_coins(self.seed, self.epoch, index, self.batch_size)[: len(batch)]
            batch = np.where(coin[:, None, None, None], batch[:, :, ::-1], batch)
        return (batch,)

    def on_epoch_end(self):
        self.epoch += 1
        self._order = epoch_order(len(self.images), self.batch_size, self.seed, self.epoch,
                                  self.shuffle)
