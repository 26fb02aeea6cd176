"""Deciding with the noise (colorization.study.stats): t-tests at the seeds' degrees of
freedom, 95 % intervals, equivalence, degenerate samples, Holm's correction."""

import math

import pytest
from scipy import stats as scipy_stats

from colorization.study.stats import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    BadNumber,
    Values,
    above,
    all_of,
    any_of,
    below,
    floor_of,
    greater,
    holm,
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


def test_only_real_numbers_enter():
    for bad in (True, False, "18.4", "abc", None, [1.0]):
        with pytest.raises(BadNumber, match="not a number"):
            Values.of([1.0, bad])
    big = Values.of([1e308, 1.5e308, 1.7e308])  # no overflow in the mean or the spread
    assert math.isfinite(big.mean) and math.isfinite(big.sd)
    assert big.mean == pytest.approx(1.4e308)


def test_a_threshold_is_decided_by_a_one_sample_t_test():
    values = Values.of([0.90, 0.92, 0.91])
    out = above(values, 0.85, "x")
    q = scipy_stats.t.ppf(0.975, 2)  # 4.30 for 3 seeds
    assert out.verdict == REPRODUCED
    assert out.low == pytest.approx(values.mean - q * values.se)
    assert out.high == pytest.approx(values.mean + q * values.se)
    expected_p = 2 * scipy_stats.t.sf((values.mean - 0.85) / values.se, 2)
    assert out.p == pytest.approx(expected_p) and "df 2" in out.test and "95 % CI" in out.text
    assert above(Values.of([0.70, 0.72, 0.71]), 0.85, "x").verdict == NOT_REPRODUCED
    # every seed above, but two standard errors are not enough with 2 degrees of freedom
    near = Values.of([0.86, 0.90, 0.88])
    assert near.mean - 2 * near.se > 0.85 and above(near, 0.85, "x").verdict == INCONCLUSIVE
    # the seeds straddle it
    straddle = above(Values.of([0.80, 0.90, 0.86]), 0.85, "x")
    assert straddle.verdict == INCONCLUSIVE and "contains the threshold" in straddle.why
    assert below(Values.of([0.3, 0.31, 0.29]), 0.5, "x").verdict == REPRODUCED


def test_degenerate_samples_are_inconclusive_with_their_reason():
    one = above(Values.of([0.99]), 0.5, "x")
    assert one.verdict == INCONCLUSIVE and "no spread" in one.why
    same = above(Values.of([0.99, 0.99]), 0.5, "x")
    assert same.verdict == INCONCLUSIVE and "identical" in same.why
    inf = above(Values.of([0.9, math.inf, 0.8]), 0.5, "x")
    assert inf.verdict == INCONCLUSIVE and "non-finite" in inf.why
    nan = greater(Values.of([1.0, math.nan]), Values.of([0.5, 0.4]), ("A", "B"), "m")
    assert nan.verdict == INCONCLUSIVE and "non-finite" in nan.why
    # two experiments that gave the same numbers in every seed
    tie = greater(Values.of([1, 2, 3]), Values.of([1, 2, 3]), ("A", "B"), "m")
    assert tie.verdict == INCONCLUSIVE and "identical" in tie.why


def test_a_difference_is_decided_by_a_paired_t_test():
    a, b = Values.of([1.00, 1.02, 0.98]), Values.of([0.80, 0.81, 0.79])
    out = greater(a, b, ("A", "B"), "m")
    assert out.verdict == REPRODUCED and out.effect == pytest.approx(0.2, abs=0.01)
    assert out.low > 0 and "paired t, df 2" in out.test
    assert greater(b, a, ("B", "A"), "m").verdict == NOT_REPRODUCED
    # large seed-to-seed noise, small consistent difference: the pairing sees it
    a, b = Values.of([1.00, 1.50, 2.00]), Values.of([0.98, 1.47, 1.99])
    assert floor_of(a, b) == pytest.approx(2 / 3, abs=0.02)
    assert greater(a, b, ("A", "B"), "m").verdict in (REPRODUCED, INCONCLUSIVE)
    # one seed the other way round
    mixed = greater(Values.of([1.0, 1.0, 0.5]), Values.of([0.8, 0.8, 0.8]), ("A", "B"), "m")
    assert mixed.verdict == INCONCLUSIVE and "contains 0" in mixed.why


def test_equivalence_within_a_tolerance():
    same = within(Values.of([20.0, 20.1, 19.9]), Values.of([20.05, 20.0, 19.95]), 1.0,
                  ("A", "B"), "PSNR")
    assert same.verdict == REPRODUCED and "TOST" in same.test and same.p < 0.05
    apart = within(Values.of([24.0, 24.2, 23.8]), Values.of([20.0, 20.1, 19.9]), 1.0,
                   ("A", "B"), "PSNR")
    assert apart.verdict == NOT_REPRODUCED
    edge = within(Values.of([21.0, 20.0, 20.9]), Values.of([20.0, 20.0, 20.0]), 1.0,
                  ("A", "B"), "PSNR")
    assert edge.verdict == INCONCLUSIVE
    relative = within(Values.of([5.5, 5.4, 5.6]), Values.of([5.0, 5.05, 5.1]), 0.2,
                      ("A", "B"), "x", relative=True)
    assert relative.verdict == REPRODUCED and "20 %" in relative.text


def test_combinations_and_their_p_values():
    yes = below(Values.of([0.3, 0.31, 0.29]), 0.5, "a")
    weaker = below(Values.of([0.40, 0.45, 0.42]), 0.5, "b")
    no = below(Values.of([0.9, 0.91, 0.92]), 0.5, "c")
    maybe = below(Values.of([0.4, 0.6, 0.5]), 0.5, "d")
    both = all_of(yes, weaker)
    assert both.verdict == REPRODUCED and both.p == pytest.approx(max(yes.p, weaker.p))
    assert all_of(yes, no).verdict == NOT_REPRODUCED
    assert all_of(yes, maybe).verdict == INCONCLUSIVE
    either = any_of(no, yes)
    assert either.verdict == REPRODUCED and either.p == pytest.approx(min(1, 2 * yes.p))
    assert any_of(no, no).verdict == NOT_REPRODUCED
    assert any_of(no, maybe).verdict == INCONCLUSIVE


def test_holm_step_down():
    # m = 4: 0.001 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: stop; the rest fail too
    out = holm([0.04, 0.01, 0.03, 0.001])
    assert [s for s, _ in out] == [False, True, False, True]
    assert [a for _, a in out] == pytest.approx([0.06, 0.03, 0.06, 0.004])
    nan_first = holm([math.nan, 0.001])
    assert nan_first[0][0] is False and nan_first[1] == (True, pytest.approx(0.002))
    assert holm([]) == []
