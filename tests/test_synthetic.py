"""The embedded default data: deterministic, prefix-stable, and colour-distinct classes."""

import itertools

import numpy as np
import pytest
from skimage.color import rgb2lab

from colorization.data.photos import resized as photos
from colorization.data.synthetic import FRUIT_CLASSES, generate_fruits
from colorization.data.synthetic_animals import ANIMAL_CLASSES, generate_animals

GENERATORS = [generate_fruits, generate_animals]


@pytest.mark.parametrize("gen", GENERATORS)
def test_shapes_determinism_prefix_and_splits(gen):
    a, la = gen(12, seed=3)
    b, lb = gen(12, seed=3)
    assert a.shape == (12, 100, 100, 3) and a.dtype == np.uint8
    assert la.shape == (12,) and la.dtype == np.int32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    prefix, lp = gen(5, seed=3)
    np.testing.assert_array_equal(prefix, a[:5])
    np.testing.assert_array_equal(lp, la[:5])
    other, _ = gen(12, seed=4)
    test, _ = gen(12, seed=3, split="test")
    for x in (other, test):
        assert all(not np.array_equal(x[i], a[i]) for i in range(12))
    small, _ = gen(3, seed=3, size=48)
    assert small.shape == (3, 48, 48, 3)
    assert gen(0)[0].shape == (0, 100, 100, 3)
    with pytest.raises(ValueError):
        gen(2, split="validation-set")


def test_labels_cycle_through_classes():
    _, lf = generate_fruits(16)
    _, la = generate_animals(8)
    assert lf.tolist() == [i % len(FRUIT_CLASSES) for i in range(16)]
    assert la.tolist() == [i % len(ANIMAL_CLASSES) for i in range(8)]


def _mean_ab(images, labels, n_classes, object_only):
    lab = rgb2lab(images)
    out = []
    for c in range(n_classes):
        sel = lab[labels == c].reshape(-1, 3)
        if object_only:  # drop the white background
            sel = sel[(sel[:, 0] < 95) | (np.hypot(sel[:, 1], sel[:, 2]) > 8)]
        out.append(sel[:, 1:].mean(0))
    return np.array(out)


def _hue_deg(ab):
    return np.degrees(np.arctan2(ab[:, 1], ab[:, 0])) % 360


def test_fruit_classes_have_distinct_colours():
    images, labels = generate_fruits(160, seed=1)
    ab = _mean_ab(images, labels, len(FRUIT_CLASSES), object_only=True)
    hue = _hue_deg(ab)
    for i, j in itertools.combinations(range(len(FRUIT_CLASSES)), 2):
        assert np.linalg.norm(ab[i] - ab[j]) > 12, (FRUIT_CLASSES[i], FRUIT_CLASSES[j])
        if {FRUIT_CLASSES[i], FRUIT_CLASSES[j]} == {"orange", "kiwi"}:
            continue  # same hue family, told apart by chroma (brown) and fuzzy texture
        diff = abs((hue[i] - hue[j] + 180) % 360 - 180)
        assert diff > 12, (FRUIT_CLASSES[i], FRUIT_CLASSES[j], hue[i], hue[j])


def test_fruits_on_white_and_animals_in_scenes():
    fruits, _ = generate_fruits(8)
    corners = fruits[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.min() >= 245  # white background
    animals, _ = generate_animals(8)
    top, bottom = animals[:, :5].reshape(-1, 3).mean(0), animals[:, -5:].reshape(-1, 3).mean(0)
    assert top[2] > top[0] + 40  # blue sky on top
    assert bottom[2] < bottom[1]  # green grass or brown ground below: not blue
    assert animals.std() > 30


def test_photos():
    images, names = photos()
    assert len(names) >= 6 and images.shape == (len(names), 100, 100, 3)
    assert images.dtype == np.uint8 and "astronaut" in names
    small, _ = photos(size=32)
    assert small.shape[1:] == (32, 32, 3)
    images[0] = 0  # a copy: the cache is not modified
    assert photos()[0][0].max() > 0
