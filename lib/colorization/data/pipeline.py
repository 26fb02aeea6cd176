"""Input pipelines that keep the host's work small: uint8 RGB batches, Lab on the device.

The host decodes each image once and caches it as uint8 RGB (16K images of 100x100 are
480 MB); every epoch then only shuffles, batches and prefetches. The conversion to Lab and the
normalisation run inside the model's compiled step (:class:`colorization.nets.colorizer.Colorizer`),
so a pixel crosses to the accelerator as 3 bytes instead of 12.

Two implementations with the same behaviour:

- :func:`from_arrays` with TensorFlow installed: a ``tf.data`` chain
  (``from_tensor_slices -> cache -> shuffle(seed) -> batch -> flip -> prefetch``);
- :class:`ArrayBatches`, a ``keras.utils.PyDataset`` over a NumPy array, used where
  TensorFlow is absent (the JAX-only GPU machine) or when asked with ``backend="numpy"``.

:func:`from_files` reads and decodes image files from disk in the graph: the uncached path,
for the benchmark and for folders too large to hold in memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np


def tensorflow_available() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _flip_batch(tf, batch, draw, seed):
    """Flip each image of a uint8 batch left-right with probability 1/2 (seeded)."""
    coin = tf_flip_coins(tf, tf.shape(batch)[0], draw, seed)
    return tf.where(coin[:, None, None, None], tf.reverse(batch, axis=[2]), batch)


def tf_with_flip_draws(tf, ds, seed: int):
    """``ds`` zipped with one random int64 per element: a seeded stream, drawn anew each epoch
    (as the seeded shuffle is) and the same in every run, whatever order ``tf.data``'s
    parallel calls take (a stateful random op inside a parallel map is not)."""
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((ds, draws))


def tf_flip_coins(tf, size, draw, seed: int):
    """``tf.data``'s flips of a batch of ``size`` (bool) from its ``draw``
    (:func:`tf_with_flip_draws`), shared with the device path."""
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(draw, tf.int64)])
    return tf.random.stateless_uniform([size], seed=key) < 0.5


def from_arrays(
    images: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    flip: bool = False,
    drop_remainder: bool = False,
    backend: str = "auto",
    first_epoch: int = 0,
):
    """Batches of uint8 RGB ``(B, H, W, 3)`` from an in-memory array ``(N, H, W, 3)``.

    Args:
        images: uint8 RGB array.
        batch_size: images per batch.
        shuffle: reshuffle every epoch, deterministically from ``seed``.
        flip: random left-right flips (augmentation), seeded.
        drop_remainder: drop the last incomplete batch (needed by some distribution setups).
        backend: ``"tf"`` (tf.data), ``"numpy"`` (PyDataset) or ``"auto"`` (tf.data when
            TensorFlow is installed).
        first_epoch: the epoch the NumPy twin starts at (a resumed run's next epoch).

    Returns:
        A ``tf.data.Dataset`` or an :class:`ArrayBatches`, each yielding uint8 batches
        (no targets: the model derives them from the images).
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {images.shape}")
    if backend == "auto":
        backend = "tf" if tensorflow_available() else "numpy"
    if backend == "numpy":
        return ArrayBatches(
            images, batch_size, shuffle=shuffle, seed=seed, flip=flip,
            drop_remainder=drop_remainder, first_epoch=first_epoch,
        )
    if backend != "tf":
        raise ValueError(f"backend must be 'auto', 'tf' or 'numpy', got {backend!r}")
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(images).cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if flip:
        ds = tf_with_flip_draws(tf, ds, seed).map(lambda b, d: _flip_batch(tf, b, d, seed),
                                                  num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def from_files(
    paths: Sequence[str],
    batch_size: int,
    *,
    image_size: int = 100,
    cache: bool = True,
    shuffle: bool = False,
    seed: int = 0,
):
    """tf.data batches of uint8 RGB decoded from image files (JPEG, PNG, BMP, GIF).

    Each file is read and decoded in parallel, resized (shorter side) and centre-cropped to
    ``image_size``; with ``cache=True`` the decoded uint8 images are kept in memory after
    the first epoch. Robust preparation (odd modes, EXIF, corrupt files) is the job of
    :mod:`colorization.data.datasets`; this is the fast path for clean folders.
    """
    import tensorflow as tf

    def decode(path):
        raw = tf.io.read_file(path)
        img = tf.io.decode_image(raw, channels=3, expand_animations=False)
        img.set_shape([None, None, 3])
        shape = tf.cast(tf.shape(img)[:2], tf.float32)
        scale = image_size / tf.reduce_min(shape)
        new = tf.cast(tf.math.ceil(shape * scale), tf.int32)
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
    """The order in which epoch ``epoch`` visits ``n`` images: a permutation seeded by
    ``(seed, epoch)`` with each batch's slice sorted (neighbouring reads; a batch's loss and
    statistics do not depend on its order). Shared by :class:`ArrayBatches` and the device
    path (:mod:`colorization.runs.device_data`), so both train on the same batches."""
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
    """uint8 batches from a NumPy array, reshuffled each epoch from ``(seed, epoch)``.

    The TensorFlow-free twin of :func:`from_arrays`, for backends without tf.data.
    ``first_epoch``: the epoch it starts at (a resumed run continues the sequence of orders).
    """

    def __init__(self, images, batch_size, *, shuffle=True, seed=0, flip=False,
                 drop_remainder=False, first_epoch=0):
        super().__init__()
        self.images = images
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.flip = flip
        self.drop_remainder = drop_remainder
        self.epoch = first_epoch
        self._order = self._make_order()

    def _make_order(self):
        return epoch_order(len(self.images), self.batch_size, self.seed, self.epoch,
                           self.shuffle)

    def __len__(self):
        n = len(self.images) / self.batch_size
        return math.floor(n) if self.drop_remainder else math.ceil(n)

    def __getitem__(self, index):
        idx = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.images[idx]
        if self.flip:
            coin = flip_coins(self.seed, self.epoch, index, self.batch_size)[: len(batch)]
            batch = np.where(coin[:, None, None, None], batch[:, :, ::-1], batch)
        return (batch,)

    def on_epoch_end(self):
        self.epoch += 1
        self._order = self._make_order()
