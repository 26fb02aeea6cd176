"""Deciding with the noise (colorization.study.stats): a verdict only beyond the seeds' spread."""

import math

import pytest

from colorization.study import stats
from colorization.study.stats import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    Values,
    above,
    all_of,
    any_of,
    below,
    floor_of,
    greater,
    within,
)


def test_values_mean_spread_and_null_difference():
    v = Values.of([1.0, 2.0, 4.0])
    assert v.n == 3 and v.mean == pytest.approx(7 / 3)
    assert v.sd == pytest.approx(math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2
                                            + (4 - 7 / 3) ** 2) / 2))
    assert v.se == pytest.approx(v.sd / math.sqrt(3))
    assert v.null_difference() == pytest.approx((1 + 3 + 2) / 3)  # |1-2|, |1-4|, |2-4|
    assert math.isnan(Values.of([5.0]).null_difference()) and Values.of([5.0]).sd == 0.0
    assert v.text() == "2.33 ± 1.53" and Values.of([0.5]).text() == "0.50"
    with pytest.raises(ValueError, match="same seeds"):
        _ = Values.of([1, 2]) - Values.of([1, 2, 3])


def test_a_threshold_is_decided_only_beyond_two_standard_errors():
    assert above(Values.of([0.90, 0.92, 0.91]), 0.85, "x").verdict == REPRODUCED
    assert above(Values.of([0.70, 0.72, 0.71]), 0.85, "x").verdict == NOT_REPRODUCED
    # every seed on one side, but the mean within two standard errors of the threshold
    assert above(Values.of([0.851, 0.95, 0.99]), 0.85, "x").verdict == INCONCLUSIVE
    # the seeds straddle it
    assert above(Values.of([0.80, 0.90, 0.86]), 0.85, "x").verdict == INCONCLUSIVE
    assert below(Values.of([0.3, 0.31, 0.29]), 0.5, "x").verdict == REPRODUCED
    one = above(Values.of([0.99]), 0.5, "x")
    assert one.verdict == INCONCLUSIVE and "no spread" in one.text


def test_a_difference_must_clear_the_noise_floor_and_agree_in_every_seed():
    # a consistent, large difference: decided either way
    a, b = Values.of([1.00, 1.02, 0.98]), Values.of([0.80, 0.81, 0.79])
    assert greater(a, b, ("A", "B"), "m").verdict == REPRODUCED
    assert greater(b, a, ("B", "A"), "m").verdict == NOT_REPRODUCED
    # paired differences all positive and beyond 2 SE, but smaller than the seed-to-seed
    # noise of either configuration: within the noise floor, so inconclusive
    a, b = Values.of([1.00, 1.50, 2.00]), Values.of([0.98, 1.47, 1.99])
    floor = floor_of(a, b)
    assert floor == pytest.approx(2 / 3, abs=0.02)
    out = greater(a, b, ("A", "B"), "m")
    assert out.verdict == INCONCLUSIVE and "noise" in out.text
    # a tie is never a verdict
    assert greater(Values.of([1, 1, 1]), Values.of([1, 1, 1]), ("A", "B"), "m").verdict \
        == INCONCLUSIVE
    # one seed against the other way round
    mixed = greater(Values.of([1.0, 1.0, 0.5]), Values.of([0.8, 0.8, 0.8]), ("A", "B"), "m")
    assert mixed.verdict == INCONCLUSIVE


def test_equivalence_within_a_tolerance():
    same = within(Values.of([20.0, 20.1, 19.9]), Values.of([20.05, 20.0, 19.95]), 1.0,
                  ("A", "B"), "PSNR")
    assert same.verdict == REPRODUCED
    apart = within(Values.of([24.0, 24.2, 23.8]), Values.of([20.0, 20.1, 19.9]), 1.0,
                   ("A", "B"), "PSNR")
    assert apart.verdict == NOT_REPRODUCED
    edge = within(Values.of([21.0, 20.0, 20.9]), Values.of([20.0, 20.0, 20.0]), 1.0,
                  ("A", "B"), "PSNR")
    assert edge.verdict == INCONCLUSIVE
    relative = within(Values.of([5.5, 5.4, 5.6]), Values.of([5.0, 5.0, 5.1]), 0.2,
                      ("A", "B"), "x", relative=True)
    assert relative.verdict == REPRODUCED and "20 %" in relative.text


def test_combining_outcomes():
    yes, no, maybe = (stats.Outcome(v, v) for v in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE))
    assert all_of(yes, yes).verdict == REPRODUCED
    assert all_of(yes, maybe).verdict == INCONCLUSIVE
    assert all_of(maybe, no).verdict == NOT_REPRODUCED
    assert any_of(no, yes).verdict == REPRODUCED
    assert any_of(no, no).verdict == NOT_REPRODUCED
    assert any_of(no, maybe).verdict == INCONCLUSIVE
    assert all_of(yes, no).text == "reproduced; not reproduced"
