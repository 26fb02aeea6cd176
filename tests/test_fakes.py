"""Fabricated networks that try to fool every claim's rule.

Each fake is a "network" whose predictions are made up from the shipped test images: gray,
the training set's mean tint, a uniform sepia, a random tint per image, the truth, the truth
plus noise, the truth at half chroma and a constant green. Its evidence is what a run of it
would give: the metrics of every seed on the test images (a different 80 % of them per seed,
as seeds differ), the same at every snapshot epoch, on the never-seen photos, with the
baselines computed by the library. Every claim declares the verdict it must give on each
(:attr:`colorization.study.claims.Claim.fakes`), and this test checks all of them.

``CLAIMS_GUARD=off pytest tests/test_fakes.py`` runs it with the guard removed: then gray,
tinted and constant outputs decide claims, and the test fails.
"""

import functools
import os

import numpy as np
import pytest

from colorization.core import color, metrics
from colorization.data import datasets
from colorization.nets import registry
from colorization.study import claims, experiments
from colorization.study.stats import NOT_TESTABLE_SCALE, REPRODUCED

SEEDS = 3
SIZE = 24
EPOCHS = (1, 3, 10, 60, 150)
DATA = {"fruits": "fruits360-sample", "animals": "pets-sample"}
GUARD_ON = os.environ.get("CLAIMS_GUARD", "on") != "off"


@pytest.fixture(autouse=True)
def _guard(monkeypatch):
    monkeypatch.setattr(claims, "GUARD", GUARD_ON)


@functools.cache
def _images(dataset: str, split: str):
    found = datasets.load(dataset, split, image_size=SIZE)
    lab = color.to_numpy(color.rgb_uint8_to_lab(found.images)).astype(np.float64)
    return found.images, np.asarray(found.labels), lab[..., 1:]


def _fake(kind: str, ab_true: np.ndarray, tint: np.ndarray, seed: int) -> np.ndarray:
    """The ab a fabricated network ``kind`` predicts for images whose truth is ``ab_true``."""
    rng = np.random.default_rng(1000 + seed)
    shape = ab_true.shape

    def constant(a, b):
        return np.broadcast_to(np.array([a, b], np.float64), shape).copy()

    if kind == "gray":
        return np.zeros(shape)
    if kind == "tint":
        return constant(*tint)
    if kind == "sepia":  # the truth's mean chroma, at a sepia hue (70 degrees)
        chroma = np.linalg.norm(ab_true, axis=-1).mean()
        return constant(chroma * np.cos(np.radians(70)), chroma * np.sin(np.radians(70)))
    if kind == "random_tint":
        hue = rng.uniform(0, 2 * np.pi, len(ab_true))
        per_image = 25.0 * np.stack([np.cos(hue), np.sin(hue)], axis=-1)
        return np.broadcast_to(per_image[:, None, None, :], shape).copy()
    if kind == "truth":
        return ab_true.copy()
    if kind == "truth_noise":
        return np.clip(ab_true + rng.normal(0, 3.0, shape), -128, 127)
    if kind == "half_chroma":
        return 0.5 * ab_true
    if kind == "green":
        return constant(-30.0, 25.0)
    raise ValueError(kind)


@functools.cache
def _metrics(kind: str, dataset: str, split: str, seed: int) -> dict:
    """What the fake ``kind`` scores on a seed's 80 % of ``dataset``'s ``split`` images."""
    train_rgb, _, _ = _images(dataset, "train")
    tint = metrics.mean_ab(train_rgb)
    rgb, labels, ab_true = _images(dataset, split)
    pick = np.sort(np.random.default_rng(seed).permutation(len(rgb))[:max(2, len(rgb) * 4 // 5)])
    ab = _fake(kind, ab_true[pick], tint, seed)
    has_labels = split == "test" and (labels[pick] >= 0).any()
    return metrics.evaluate_with_baseline(rgb[pick], ab, labels[pick] if has_labels else None,
                                          tint=tint)


def fake_evidence(kind: str) -> claims.Evidence:
    """The evidence of every experiment, each trained (as it were) into the fake ``kind``."""
    ev = claims.Evidence()
    for name, exp in experiments.EXPERIMENTS.items():
        dataset = DATA[exp.data]
        cfg = experiments.config(name, "quick")
        ev.epochs[name] = 600 if name == "ae-small-fruits-mse" else EPOCHS[-1]
        ev.dataset[name] = dataset
        ev.scale[name] = f"{dataset} (real photos), {SIZE}x{SIZE}, fabricated"
        ev.losses[name] = {"loss": cfg.loss, "loss_delta": cfg.loss_delta,
                           "convention": registry.convention(cfg.model)}
        ev.metrics[name] = [_metrics(kind, dataset, "test", s) for s in range(SEEDS)]
        ev.photos[name] = [_metrics(kind, "photos", "test", s) for s in range(SEEDS)]
        ev.snapshots[name] = [dict.fromkeys(EPOCHS, m) for m in ev.metrics[name]]
        ev.history[name] = [[{"epoch": e, "images_per_second": 100.0 + s + e}
                             for e in range(4)] for s in range(SEEDS)]
    return ev


@functools.cache
def _evidence(kind: str) -> claims.Evidence:
    return fake_evidence(kind)


def test_every_claim_declares_a_verdict_for_every_fake():
    for claim in claims.CLAIMS.values():
        assert set(claim.fakes) == set(claims.FAKES), claim.id


@pytest.mark.parametrize("kind", claims.FAKES)
def test_every_claim_gives_its_declared_verdict_on_each_fake(kind):
    ev = _evidence(kind)
    wrong = {}
    for claim in claims.CLAIMS.values():
        got = claims.verdict(claim, ev)
        if got.verdict != claim.fakes[kind]:
            wrong[claim.id] = (got.verdict, claim.fakes[kind], got.reason or got.measured)
    assert not wrong, "\n".join(f"{cid}: got {g!r}, declared {e!r}: {why}"
                                for cid, (g, e, why) in wrong.items())


@pytest.mark.parametrize("kind", ("gray", "tint", "sepia", "random_tint", "green"))
def test_no_colouring_claim_is_decided_by_an_output_that_has_not_learned(kind):
    ev = _evidence(kind)
    for claim in claims.CLAIMS.values():
        if claim.kind == "does":
            got = claims.verdict(claim, ev)
            assert got.verdict not in (REPRODUCED, "not reproduced", "fragile"), (claim.id, got)
            if not claim.construction and not claim.untestable:
                assert got.verdict == NOT_TESTABLE_SCALE, (claim.id, got)


def test_the_fakes_are_what_they_say():
    """The fabricated outputs score as intended: gray and the tint no better than the
    baselines they are; the truth perfect; half chroma at half the truth's chroma."""
    gray, tint = _metrics("gray", DATA["fruits"], "test", 0), _metrics("tint", DATA["fruits"],
                                                                        "test", 0)
    assert gray["ciede2000"] == pytest.approx(gray["ciede2000_gray"])
    assert tint["ciede2000"] == pytest.approx(tint["ciede2000_tint"])
    assert tint["spread_ratio"] == pytest.approx(0.0, abs=1e-9)
    truth = _metrics("truth", DATA["fruits"], "test", 0)
    assert truth["ciede2000"] < 0.05 and truth["spread_ratio"] == pytest.approx(1.0)
    half = _metrics("half_chroma", DATA["fruits"], "test", 0)
    assert half["chroma_ratio"] == pytest.approx(0.5, abs=0.01)
    sepia = _metrics("sepia", DATA["fruits"], "test", 0)
    assert sepia["chroma_ratio"] == pytest.approx(1.0, abs=0.05)  # saturation alone passes
    # a uniform output is out of the gray-stain measure's scope, not free of stains
    assert all(np.isnan(_metrics(k, DATA["animals"], "test", 0)["gray_stain"])
               for k in ("gray", "tint", "sepia", "green"))


def test_the_gray_stain_measure_sees_gray_patches_in_the_truth():
    rgb, _, ab_true = _images(DATA["animals"], "test")
    stained = ab_true.copy()
    stained[:, : SIZE // 3, : SIZE // 3] = 0.0  # a gray patch in every image
    clean = metrics.gray_stain_share(ab_true, ab_true)
    assert clean == pytest.approx(0.0)
    assert metrics.gray_stain_share(stained, ab_true) > 0.05
    assert np.isnan(metrics.gray_stain_share(np.zeros_like(ab_true), ab_true))


def test_identical_objectives_are_settled_by_construction_not_reproduced():
    ev = _evidence("truth_noise")
    for cid in ("losses-fruits-similar", "losses-fruits-mse-saturated",
                "losses-fruits-sl1-less-confusion"):
        got = claims.verdict(claims.CLAIMS[cid], ev)
        assert got.verdict == "by construction" and "same objective" in got.reason


def test_subsets_differ_between_seeds():
    a, b = (_metrics("truth_noise", DATA["fruits"], "test", s)["ciede2000"] for s in (0, 1))
    assert a != b  # the seeds see different images
