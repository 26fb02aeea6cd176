"""Lab colour maths against scikit-image, round trips, out-of-gamut input, normalisation."""

import numpy as np
import pytest
from skimage import color as skcolor

from colorization.core import color


@pytest.fixture(scope="module")
def colours():
    """A 52^3 grid of the RGB cube (corners, edges and faces included) plus 50,000 random
    colours: 190,608 colours in float32."""
    g = np.linspace(0.0, 1.0, 52)
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    rand = np.random.default_rng(0).random((50_000, 3))
    return np.concatenate([grid, rand]).astype(np.float32)


def test_grid_contains_cube_corners_and_edges(colours):
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T
    for c in corners:
        assert np.any(np.all(colours == c, axis=1))
    on_edge = np.sum(np.isin(colours, [0.0, 1.0]), axis=1) >= 2
    assert on_edge.sum() > 600


def test_rgb_to_lab_matches_skimage(colours):
    ours = color.to_numpy(color.rgb_to_lab(colours))
    ref = skcolor.rgb2lab(colours.astype(np.float64))
    assert ours.dtype == np.float32
    err = np.abs(ours - ref).max(axis=0)
    assert err.max() <= 0.02, f"max |dL|, |da|, |db| = {err}"


def test_lab_to_rgb_matches_skimage(colours):
    ref_lab = skcolor.rgb2lab(colours.astype(np.float64))
    ours = color.to_numpy(color.lab_to_rgb(ref_lab.astype(np.float32)))
    assert np.abs(ours - skcolor.lab2rgb(ref_lab)).max() <= 1 / 510


def test_round_trip(colours):
    back = color.to_numpy(color.lab_to_rgb(color.rgb_to_lab(colours)))
    assert np.abs(back - colours).max() <= 1 / 510


def test_known_values():
    lab = color.to_numpy(color.rgb_to_lab(np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0]], "f4")))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.02)


def test_uint8_entry_point():
    """uint8 input looks its linear values up in a table: the same Lab as the float path to
    float32 rounding, and as skimage's for every level of each channel (greys, and black to
    each primary)."""
    rgb = np.random.default_rng(1).integers(0, 256, (4, 5, 5, 3), dtype=np.uint8)
    a = color.to_numpy(color.rgb_uint8_to_lab(rgb))
    assert a.dtype == np.float32
    b = color.to_numpy(color.rgb_to_lab(rgb.astype(np.float32) / 255))
    np.testing.assert_allclose(a, b, atol=2e-4)
    # a 0..255 array of another dtype takes the float path
    np.testing.assert_array_equal(color.to_numpy(color.rgb_uint8_to_lab(rgb.astype("f4"))), b)
    levels = np.arange(256, dtype=np.uint8)
    ramps = np.zeros((4, 256, 3), np.uint8)
    ramps[0] = levels[:, None]  # greys
    for channel in range(3):
        ramps[1 + channel, :, channel] = levels  # black to red, green, blue
    ours = color.to_numpy(color.rgb_uint8_to_lab(ramps))
    assert np.abs(ours - skcolor.rgb2lab(ramps / 255.0)).max() <= 0.02


def test_linear_table_is_the_srgb_curve():
    c = np.arange(256) / 255.0
    np.testing.assert_allclose(color.to_numpy(color._srgb_to_linear(c.astype("f4"))),
                               color.LINEAR_OF_UINT8, rtol=1e-5, atol=1e-7)


def test_out_of_gamut_lab_is_finite_and_clipped():
    rng = np.random.default_rng(2)
    wild = rng.uniform([-50, -500, -500], [200, 500, 500], (100_000, 3)).astype(np.float32)
    wild[:4] = [[0, 0, 0], [100, 0, 0], [-10, 200, -200], [150, -300, 300]]
    rgb = color.to_numpy(color.lab_to_rgb(wild))
    assert np.isfinite(rgb).all()
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0


def test_gradients_are_finite_at_black_and_out_of_gamut():
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("gradient check written with tf.GradientTape")
    import tensorflow as tf

    x = tf.constant([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(color.rgb_to_lab(x))
    assert np.isfinite(tape.gradient(y, x).numpy()).all()
    lab = tf.constant([[50.0, 300.0, -300.0], [0.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    with tf.GradientTape() as tape:
        tape.watch(lab)
        y = tf.reduce_sum(color.lab_to_rgb(lab))
    assert np.isfinite(tape.gradient(y, lab).numpy()).all()


@pytest.mark.parametrize("convention", color.CONVENTIONS)
def test_normalisation_inverses_and_ranges(convention):
    lightness = np.linspace(0, 100, 11, dtype=np.float32)
    ab = np.linspace(-128, 128, 17, dtype=np.float32)
    nl = color.to_numpy(color.normalize_l(lightness, convention))
    nab = color.to_numpy(color.normalize_ab(ab, convention))
    lo = -1.0 if convention == "symmetric" else 0.0
    assert nl.min() == pytest.approx(lo) and nl.max() == pytest.approx(1.0)
    assert nab.min() == pytest.approx(lo) and nab.max() == pytest.approx(1.0)
    np.testing.assert_allclose(nl, (lightness / 50 - 1) if convention == "symmetric"
                               else lightness / 100, atol=1e-6)
    np.testing.assert_allclose(color.to_numpy(color.denormalize_ab(nab, convention)), ab,
                               atol=1e-4)


def test_unknown_convention():
    with pytest.raises(ValueError, match="symmetric"):
        color.normalize_ab(np.zeros(2), "tanh")


def test_runs_inside_tf_data():
    tf = pytest.importorskip("tensorflow")
    rgb = np.random.default_rng(3).integers(0, 256, (8, 6, 6, 3), dtype=np.uint8)
    ds = tf.data.Dataset.from_tensor_slices(rgb).batch(4).map(color.rgb_uint8_to_lab)
    got = np.concatenate([b.numpy() for b in ds])
    np.testing.assert_allclose(got, color.to_numpy(color.rgb_uint8_to_lab(rgb)), atol=1e-5)


def test_recolor_joins_true_lightness_with_ab():
    rgb = np.random.default_rng(1).random((2, 5, 5, 3)).astype(np.float32)
    lab = color.to_numpy(color.rgb_to_lab(rgb))
    lightness, ab = color.split_lab(lab)
    np.testing.assert_allclose(color.recolor(lightness, ab), rgb, atol=2e-3)
    gray = color.recolor(lightness, np.zeros_like(ab))
    np.testing.assert_allclose(gray[..., 0], gray[..., 1], atol=1e-4)
