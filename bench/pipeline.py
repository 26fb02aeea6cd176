"""Benchmark (not a test): input-pipeline images/second on this machine.

Measures, over the same images:
  1. from disk:  tf.data reading and decoding JPEG files every epoch (no cache);
  2. from cache: tf.data over the decoded uint8 array in memory (the training path);
  3. NumPy PyDataset over the same array (the TensorFlow-free path used on JAX machines);
  4. Lab conversion of those batches with keras.ops on this CPU (what the device does).

    python bench/pipeline.py [--images 4000] [--batch-size 64] [--folder DIR]

Without --folder it writes synthetic-fruits images as JPEG files to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from colorization.core import runtime  # noqa: E402

runtime.prepare_tensorflow()  # oneDNN on, TensorFlow imported quietly, before keras


def _rate(fn, n_images: int, repeats: int = 3) -> float:
    """Best of ``repeats`` passes, in images/second."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n_images / best


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=4000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--folder", default=None, help="benchmark these image files instead")
    args = p.parse_args(argv)

    import keras

    from colorization.core import color
    from colorization.data import datasets, images, pipeline

    with tempfile.TemporaryDirectory() as tmp:
        if args.folder:
            files = images.find_images(Path(args.folder))[: args.images]
        else:
            rgb = datasets.load("synthetic-fruits", "train", max_images=args.images).images
            files = []
            for i, img in enumerate(rgb):
                path = Path(tmp) / f"{i:05d}.jpg"
                cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, 95])
                files.append(path)
        n = len(files)

        def drain(ds):
            for _ in ds:
                pass

        disk = _rate(lambda: drain(pipeline.from_files(files, args.batch_size, cache=False)), n)
        cached_ds = pipeline.from_files(files, args.batch_size, cache=True)
        drain(cached_ds)  # fill the cache
        cached_files = _rate(lambda: drain(cached_ds), n)
        arr = np.concatenate([b.numpy() for b in cached_ds])
        tf_arrays = pipeline.from_arrays(arr, args.batch_size, seed=0, backend="tf")
        drain(tf_arrays)
        cache = _rate(lambda: drain(tf_arrays), n)
        pyds = pipeline.from_arrays(arr, args.batch_size, seed=0, backend="numpy")
        numpy_rate = _rate(lambda: [pyds[i] for i in range(len(pyds))], n)
        import tensorflow as tf

        to_lab = tf.function(color.rgb_uint8_to_lab, jit_compile=True)
        to_lab(arr[: args.batch_size])
        full = n - n % args.batch_size
        lab = _rate(lambda: [to_lab(arr[i:i + args.batch_size]).numpy()
                             for i in range(0, full, args.batch_size)], full)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"keras {keras.__version__} ({keras.backend.backend()}); {n} images "
          f"{arr.shape[1]}x{arr.shape[2]}, batch {args.batch_size}")
    print(f"{'path':44s} {'images/s':>12s}")
    for name, rate in [
        ("from disk (read + decode JPEG, no cache)", disk),
        ("from cache (tf.data, decoded files cached)", cached_files),
        ("from cache (tf.data over uint8 array)", cache),
        ("from cache (NumPy PyDataset)", numpy_rate),
        ("RGB->Lab, keras.ops compiled with XLA, this CPU", lab),
    ]:
        print(f"{name:44s} {rate:12,.0f}")


if __name__ == "__main__":
    main()
