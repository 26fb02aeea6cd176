"""Input pipelines: uint8 batches, seeded shuffling, flips, tf.data and NumPy twins agree."""

import numpy as np
import pytest

from colorization.data import pipeline


def _images(n=10, size=8):
    # image i is filled with the value i, so batches reveal the order
    return np.repeat(np.arange(n, dtype=np.uint8), size * size * 3).reshape(n, size, size, 3)


def _ids(batches):
    return [int(b[i, 0, 0, 0]) for b in batches for i in range(len(b))]


@pytest.mark.parametrize("backend", ["tf", "numpy"])
def test_batches_are_uint8_and_cover_every_image(backend):
    ds = pipeline.from_arrays(_images(), 4, shuffle=True, seed=1, backend=backend)
    batches = [np.asarray(b[0] if isinstance(b, tuple) else b) for b in _iterate(ds)]
    assert all(b.dtype == np.uint8 for b in batches)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(_ids(batches)) == list(range(10))


def _iterate(ds):
    if isinstance(ds, pipeline.ArrayBatches):
        return [ds[i] for i in range(len(ds))]
    return [b.numpy() for b in ds]


@pytest.mark.parametrize("backend", ["tf", "numpy"])
def test_shuffle_is_seeded_and_changes_each_epoch(backend):
    def epochs(seed):
        ds = pipeline.from_arrays(_images(32), 8, seed=seed, backend=backend)
        out = []
        for _ in range(2):
            out.append(_ids([np.asarray(b[0] if isinstance(b, tuple) else b)
                             for b in _iterate(ds)]))
            if isinstance(ds, pipeline.ArrayBatches):
                ds.on_epoch_end()
        return out

    first, again, other = epochs(5), epochs(5), epochs(6)
    assert first == again
    assert first != other
    assert first[0] != first[1]
    assert first[0] != list(range(32))


@pytest.mark.parametrize("backend", ["tf", "numpy"])
def test_flip_mirrors_some_images_and_keeps_pixels(backend):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (64, 5, 7, 3), dtype=np.uint8)
    ds = pipeline.from_arrays(imgs, 64, shuffle=False, flip=True, seed=3, backend=backend)
    (batch,) = [np.asarray(b[0] if isinstance(b, tuple) else b) for b in _iterate(ds)]
    flipped = [np.array_equal(batch[i], imgs[i, :, ::-1]) for i in range(64)]
    same = [np.array_equal(batch[i], imgs[i]) for i in range(64)]
    assert all(f or s for f, s in zip(flipped, same, strict=True))
    assert 10 < sum(flipped) < 54


def test_rejects_float_images():
    with pytest.raises(ValueError, match="uint8"):
        pipeline.from_arrays(np.zeros((2, 4, 4, 3), np.float32), 2)


def test_from_files_decodes_resizes_and_crops(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    paths = []
    for i, (h, w) in enumerate([(100, 100), (120, 200), (300, 150)]):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        p = tmp_path / f"{i}.png"
        cv2.imwrite(str(p), img)
        paths.append(p)
    batches = [b.numpy() for b in pipeline.from_files(paths, 2, image_size=64)]
    assert [b.shape for b in batches] == [(2, 64, 64, 3), (1, 64, 64, 3)]
    assert batches[0].dtype == np.uint8


def test_tf_flips_are_the_same_in_every_run_and_new_each_epoch():
    """The same seed gives the same flipped batches, run after run (tf.data's parallel calls
    take any order); each epoch draws its flips anew."""
    import keras

    imgs = np.random.default_rng(0).integers(0, 256, (96, 6, 6, 3), dtype=np.uint8)

    def two_epochs(shuffle):
        keras.utils.set_random_seed(5)
        ds = pipeline.from_arrays(imgs, 4, shuffle=shuffle, flip=True, seed=5, backend="tf")
        return [np.stack([b.numpy() for b in ds]) for _ in range(2)]

    for first, again in zip(two_epochs(True), two_epochs(True), strict=True):
        assert np.array_equal(first, again)
    epoch0, epoch1 = two_epochs(False)  # the same order: only the flips can differ
    assert not np.array_equal(epoch0, epoch1)
