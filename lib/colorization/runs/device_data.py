"""The device-resident input path: the uint8 training set kept in accelerator memory.

The training images are placed on the device once, when they take at most
:data:`DEVICE_FRACTION` of its memory; each epoch then sends one seeded permutation and each
step one batch index, and the batch is gathered inside the compiled train step
(:func:`install` wraps the model's ``train_step``; the saved model does not change). The
permutation and flips come from the host path's generators
(:func:`colorization.data.pipeline.epoch_order` on JAX, ``tf.data``'s seeded shuffle on
TensorFlow), so both paths train on the same batches in the same order.
"""

from __future__ import annotations

import keras
import numpy as np

from colorization.data import pipeline
from colorization.runs.config import INPUT_PATHS

DEVICE_FRACTION = 0.25


def accelerator() -> str | None:
    """``"gpu"`` or ``"tpu"`` when the Keras backend computes on one, ``None`` on a CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return {"cpu": None, "tpu": "tpu"}.get(jax.default_backend(), "gpu")
    if backend == "tensorflow":
        import tensorflow as tf

        return "gpu" if tf.config.list_logical_devices("GPU") else None
    if backend == "torch":
        import torch

        return "gpu" if torch.cuda.is_available() else None
    return None


def device_memory_bytes() -> int | None:
    """Memory of the first accelerator in bytes (``None`` when unknown or on a CPU)."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform == "cpu":
                return None
            return int((device.memory_stats() or {}).get("bytes_limit", 0)) or None
        if backend == "tensorflow":
            from tensorflow.python.client import device_lib

            for d in device_lib.list_local_devices():
                if d.device_type == "GPU":
                    return int(d.memory_limit) or None
    except Exception:  # noqa: BLE001 - no figure is better than a failed run
        return None
    return None


def choose(requested: str, nbytes: int, replicas: int = 1) -> tuple[str, str | None]:
    """``("device" | "host", message or None)`` for ``RunConfig.input_path`` ``requested``:
    ``"auto"`` keeps the set on a single accelerator when it takes at most
    :data:`DEVICE_FRACTION` of its memory, and says which in one line."""
    if requested not in INPUT_PATHS:
        raise ValueError(f"input_path must be one of {INPUT_PATHS}, got {requested!r}")
    backend = keras.backend.backend()
    if requested == "device":
        if backend not in ("jax", "tensorflow"):
            raise ValueError(f"input_path='device' needs the JAX or TensorFlow backend, "
                             f"not {backend}; use input_path='host'")
        if replicas > 1:
            raise ValueError("input_path='device' serves one device; with several replicas "
                             "use input_path='auto' or 'host'")
        return "device", None
    if requested == "host" or accelerator() is None or backend not in ("jax", "tensorflow"):
        return "host", None
    size = f"{nbytes / 2**20:.0f} MB"
    if replicas > 1:
        return "host", f"input: host-fed batches ({replicas} replicas; the device path serves one)"
    memory = device_memory_bytes()
    if memory is None:
        return "host", f"input: host-fed batches (the {size} training set; device memory unknown)"
    share = f"{nbytes / memory:.1%} of the {memory / 2**30:.0f} GB device"
    if nbytes <= DEVICE_FRACTION * memory:
        return "device", f"input: training set on the device ({size}, {share})"
    return "host", (f"input: host-fed batches (the {size} training set is {share}, more than "
                    f"the {DEVICE_FRACTION:.0%} kept for it)")


def batches(images: np.ndarray, batch_size: int, *, seed: int = 0, flip: bool = False,
            first_epoch: int = 0):
    """What the device path feeds ``fit`` (with :func:`install`): a :class:`JaxDeviceBatches`
    on JAX, a ``tf.data`` dataset of indices on TensorFlow; the last incomplete batch is
    dropped (one step shape, one compile)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 (N, H, W, 3) images, got {images.dtype} {images.shape}")
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} training images are fewer than one batch of "
                         f"{batch_size}; lower the batch size")
    if keras.backend.backend() == "jax":
        return JaxDeviceBatches(images, batch_size, seed=seed, flip=flip, first_epoch=first_epoch)
    return _tf_index_dataset(images, batch_size, seed=seed, flip=flip)


class JaxDeviceBatches(keras.utils.PyDataset):
    """Per step: ``{"images", "order", "index"[, "coins"]}``: the images are placed on the
    device once, the epoch's order and flips once an epoch, and only ``index`` each step."""

    def __init__(self, images, batch_size, *, seed=0, flip=False, first_epoch=0):
        super().__init__()
        import jax

        self.images = jax.device_put(images)
        self.n = len(images)
        self.batch_size = int(batch_size)
        self.seed = seed
        self.flip = flip
        self.epoch = first_epoch
        self._upload()

    def _upload(self):
        import jax

        steps = len(self)
        order = pipeline.epoch_order(self.n, self.batch_size, self.seed, self.epoch)
        self._order = jax.device_put(order[: steps * self.batch_size].astype(np.int32))
        if self.flip:
            coins = np.stack([pipeline.flip_coins(self.seed, self.epoch, i, self.batch_size)
                              for i in range(steps)])
            self._coins = jax.device_put(coins)

    def __len__(self):
        return self.n // self.batch_size

    def __getitem__(self, index):
        item = {"images": self.images, "order": self._order, "index": np.int32(index)}
        if self.flip:
            item["coins"] = self._coins
        return (item,)

    def on_epoch_end(self):
        self.epoch += 1
        self._upload()

    def gather(self, item):
        """The batch an item selects (traced inside the step): uint8 ``(B, H, W, 3)``."""
        import jax
        import jax.numpy as jnp

        start = item["index"] * self.batch_size
        idx = jax.lax.dynamic_slice_in_dim(item["order"], start, self.batch_size)
        x = jnp.take(item["images"], idx, axis=0)
        if self.flip:
            coin = jax.lax.dynamic_index_in_dim(item["coins"], item["index"], keepdims=False)
            x = jnp.where(coin[:, None, None, None], x[:, :, ::-1], x)
        return x


def _tf_index_dataset(images, batch_size, *, seed, flip):
    """TensorFlow: the images as one device tensor, ``tf.data`` yielding shuffled indices."""
    import tensorflow as tf

    device = "/GPU:0" if tf.config.list_logical_devices("GPU") else "/CPU:0"
    with tf.device(device):
        resident = tf.identity(tf.constant(images))
    ds = tf.data.Dataset.from_tensor_slices(np.arange(len(images), dtype=np.int32))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True)
    if flip:
        ds = pipeline.tf_with_flip_draws(tf, ds, seed).map(
            lambda i, d: (i, pipeline.tf_flip_coins(tf, tf.shape(i)[0], d, seed)))
    else:
        ds = ds.map(lambda i: (i,))
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.resident_images = resident
    ds.batch_size = batch_size
    ds.flip = flip
    return ds


def _tf_gather(dataset, data):
    import tensorflow as tf

    x = tf.gather(dataset.resident_images, data[0])
    if dataset.flip:
        x = tf.where(data[1][:, None, None, None], tf.reverse(x, axis=[2]), x)
    return x


def install(model: keras.Model, dataset, image_shape) -> None:
    """Make ``model.fit(dataset)`` gather each batch inside its compiled step: wraps the
    instance's ``train_step`` and builds the loss and optimizer state from a zero batch of
    ``image_shape``."""
    original = model.train_step
    if keras.backend.backend() == "jax":
        def train_step(state, data):
            return original(state, (dataset.gather(data[0]),))
    else:
        def train_step(data):
            return original((_tf_gather(dataset, data),))
    model.train_step = train_step
    build = getattr(model, "_symbolic_build", None)
    if build is not None:
        build(data_batch=(np.zeros((dataset.batch_size, *image_shape), np.uint8),))


def uninstall(model: keras.Model) -> None:
    """Undo :func:`install` (the class's ``train_step`` again)."""
    model.__dict__.pop("train_step", None)
