"""The rules that decide the paper's claims (:mod:`colorization.claims`): the evidence they
read (:class:`Evidence`: the runs' numbers per experiment) and one function per claim,
``rule(evidence) -> (holds, measured text)``. Thresholds are named in each rule, so a reader
can disagree with one."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


class Missing(Exception):
    """A number a rule needs is absent (experiment not run, metric not computed)."""


@dataclass
class Evidence:
    """The numbers rules read, per experiment name.

    ``metrics``: test-set metrics (:func:`colorization.metrics.evaluate_with_baseline` keys);
    ``photos``: the same on the never-seen photographs; ``epochs``: epochs trained;
    ``dataset``: the dataset the run actually used; ``history``: ``history.csv`` rows;
    ``snapshots``: ``{epoch: metrics of the snapshot test images}``.
    """

    metrics: dict[str, dict] = field(default_factory=dict)
    photos: dict[str, dict] = field(default_factory=dict)
    epochs: dict[str, int] = field(default_factory=dict)
    dataset: dict[str, str] = field(default_factory=dict)
    history: dict[str, list] = field(default_factory=dict)
    snapshots: dict[str, dict] = field(default_factory=dict)

    def m(self, name: str, key: str, where: str = "metrics") -> float:
        table = getattr(self, where).get(name)
        if table is None:
            raise Missing(f"{name} has no {'test' if where == 'metrics' else where} metrics")
        value = table.get(key)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise Missing(f"{name}: metric {key!r} missing (evaluate the run again)")
        return float(value)

    def snap(self, name: str) -> dict[int, dict]:
        snaps = self.snapshots.get(name)
        if not snaps:
            raise Missing(f"{name} has no snapshots")
        return {int(e): v for e, v in snaps.items()}

    def images_per_second(self, name: str) -> float:
        rows = [r for r in self.history.get(name, []) if _finite(r.get("images_per_second"))]
        if not rows:
            raise Missing(f"{name} has no timed epochs in history.csv")
        later = rows[1:] or rows  # the first epoch includes tracing/compilation
        values = sorted(float(r["images_per_second"]) for r in later)
        return values[len(values) // 2]


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


Rule = Callable[[Evidence], tuple[bool, str]]


# ------------------------------------------------------------------ rule building blocks
def _ratio(ev, name, key="ab_mae", where="metrics") -> float:
    """A metric over its gray baseline (ab MAE 0.4 = 40 % of leaving the image gray)."""
    gray = ev.m(name, f"{key}_gray", where)
    return ev.m(name, key, where) / gray if gray else float("nan")


def _gain(ev, name, where="metrics") -> float:
    return ev.m(name, "psnr", where) - ev.m(name, "psnr_gray", where)


def _colours_well(ev, name) -> tuple[bool, str]:
    gain, ratio = _gain(ev, name), _ratio(ev, name)
    return gain >= 5 and ratio <= 0.5, f"{name}: +{gain:.1f} dB over gray, ab MAE {ratio:.2f}x gray"


def _snapshot_at(ev, name, last_epoch: int) -> tuple[int, dict]:
    """The latest snapshot at or before ``last_epoch``."""
    snaps = {e: v for e, v in ev.snap(name).items() if e <= last_epoch}
    if not snaps:
        raise Missing(f"{name} has no snapshot at or before epoch {last_epoch}")
    epoch = max(snaps)
    return epoch, snaps[epoch]


def _snap_ratio(m: dict) -> float:
    return m["ab_mae"] / m["ab_mae_gray"] if m.get("ab_mae_gray") else float("nan")


def photos_worse(name):
    def rule(ev):
        test, photos = _ratio(ev, name), _ratio(ev, name, where="photos")
        return photos > test, (f"{name}: ab MAE {photos:.2f}x gray on never-seen photos vs "
                               f"{test:.2f}x on test images")
    return rule


# ------------------------------------------------------------------ the rules
def zhang_full_colours(ev):
    return _colours_well(ev, "zhang-full-fruits")


def zhang_full_slow(ev):
    full = ev.images_per_second("zhang-full-fruits")
    small = ev.images_per_second("cnn-fruits-mse")
    return full <= 0.25 * small, (f"{full:.0f} images/s vs {small:.0f} for the ~1M CNN "
                                  f"({full / small:.2f}x)")


def cnn_fruits_few_epochs(ev):
    epoch, m = _snapshot_at(ev, "cnn-fruits-mse", 3)
    ratio = _snap_ratio(m)
    return ratio <= 0.7, f"epoch {epoch}: ab MAE {ratio:.2f}x gray on the snapshot test images"


def fruits_easy(ev):
    a, text_a = _colours_well(ev, "cnn-fruits-mse")
    b, text_b = _colours_well(ev, "ae-fruits-mse")
    return a and b, f"{text_a}; {text_b}"


def losses_similar(ev):
    dpsnr = ev.m("cnn-fruits-mse", "psnr") - ev.m("cnn-fruits-smoothl1", "psnr")
    mse, sl1 = ev.m("cnn-fruits-mse", "ab_mae"), ev.m("cnn-fruits-smoothl1", "ab_mae")
    rel = abs(sl1 - mse) / mse if mse else float("nan")
    return abs(dpsnr) <= 1.0 and rel <= 0.2, (f"PSNR differs by {abs(dpsnr):.2f} dB, ab MAE "
                                              f"by {100 * rel:.0f} % ({mse:.2f} vs {sl1:.2f})")


def _more_saturated(ev, first, second, labels) -> tuple[bool, str]:
    """``first``'s chroma ratio above ``second``'s by more than 0.02 (noise)."""
    a, b = ev.m(first, "chroma_ratio"), ev.m(second, "chroma_ratio")
    return a > b + 0.02, f"chroma ratio {labels[0]} {a:.2f} vs {labels[1]} {b:.2f}"


def mse_more_saturated(ev):
    return _more_saturated(ev, "cnn-fruits-mse", "cnn-fruits-smoothl1", ("MSE", "SmoothL1"))


def sl1_less_confusion(ev):
    de_m, de_s = ev.m("cnn-fruits-mse", "delta_e"), ev.m("cnn-fruits-smoothl1", "delta_e")
    st_m, st_s = ev.m("cnn-fruits-mse", "gray_stain"), ev.m("cnn-fruits-smoothl1", "gray_stain")
    return de_s < de_m and st_s <= st_m, (f"ΔE76 SmoothL1 {de_s:.2f} vs MSE {de_m:.2f}; "
                                          f"gray stains {100 * st_s:.1f} % vs {100 * st_m:.1f} %")


def no_desaturation_fruits(ev):
    cnn = ev.m("cnn-fruits-mse", "chroma_ratio")
    ae = ev.m("ae-fruits-mse", "chroma_ratio")
    return min(cnn, ae) >= 0.85, f"chroma ratio CNN {cnn:.2f}, autoencoder {ae:.2f}"


def augmentation_useless(ev):
    plain, flip = ev.m("cnn-fruits-mse", "ab_mae"), ev.m("cnn-fruits-mse-flip", "ab_mae")
    dpsnr = ev.m("cnn-fruits-mse-flip", "psnr") - ev.m("cnn-fruits-mse", "psnr")
    gain = (plain - flip) / plain if plain else float("nan")
    return gain <= 0.05 and dpsnr <= 0.3, (f"flips change ab MAE by {-100 * gain:+.0f} % "
                                           f"({plain:.2f} -> {flip:.2f}), PSNR by {dpsnr:+.2f} dB")


def small_cnn_fails_animals(ev):
    ratio, chroma = _ratio(ev, "cnn-small-animals-mse"), ev.m("cnn-small-animals-mse",
                                                              "chroma_ratio")
    return chroma < 0.6 and ratio > 0.8, f"ab MAE {ratio:.2f}x gray, chroma ratio {chroma:.2f}"


def same_ab_first(ev):
    snaps = ev.snap("cnn-animals-mse")
    first = min(snaps)
    spread = snaps[first].get("spread_ratio")
    if spread is None:
        raise Missing("cnn-animals-mse snapshots lack spread_ratio")
    last = max(snaps)
    text = (f"epoch {first}: spread of per-image mean ab {spread:.2f}x the truth's "
            f"(epoch {last}: {snaps[last].get('spread_ratio', float('nan')):.2f}x)")
    return spread <= 0.25, text


def learns_after_50(ev):
    snaps = ev.snap("cnn-animals-mse")
    good = [e for e, m in sorted(snaps.items()) if _snap_ratio(m) <= 0.8]
    first = good[0] if good else None
    text = (f"first snapshot with ab MAE <= 0.8x gray: epoch {first}" if first else
            f"no snapshot up to epoch {max(snaps)} reaches ab MAE <= 0.8x gray")
    return first is not None and 20 <= first <= 100, text


def ae_small_nothing(ev):
    ratio = _ratio(ev, "ae-small-fruits-mse")
    chroma = ev.m("ae-small-fruits-mse", "chroma_ratio")
    return ratio >= 0.9 or chroma < 0.2, (f"after {ev.epochs.get('ae-small-fruits-mse')} "
                                          f"epochs: ab MAE {ratio:.2f}x gray, chroma ratio "
                                          f"{chroma:.2f}")


def ae_10_epochs(ev):
    epoch, m = _snapshot_at(ev, "ae-fruits-mse", 10)
    ratio = _snap_ratio(m)
    gain = m["psnr"] - m["psnr_gray"]
    return ratio <= 0.5 and gain >= 5, (f"epoch {epoch}: +{gain:.1f} dB over gray, ab MAE "
                                        f"{ratio:.2f}x gray on the snapshot test images")


def ae_animals_less_desaturated(ev):
    return _more_saturated(ev, "ae-animals-smoothl1", "ae-animals-mse", ("SmoothL1", "MSE"))


def ae_animals_stains(ev):
    sl1 = ev.m("ae-animals-smoothl1", "gray_stain")
    mse = ev.m("ae-animals-mse", "gray_stain")
    return sl1 > mse and mse <= 0.5 * sl1, (f"gray stains SmoothL1 {100 * sl1:.1f} % vs MSE "
                                            f"{100 * mse:.1f} % of coloured pixels")


def ae_faster(ev):
    cnn, ae = ev.snap("cnn-animals-mse"), ev.snap("ae-animals-mse")
    common = sorted(set(cnn) & set(ae))
    if not common:
        raise Missing("cnn-animals-mse and ae-animals-mse share no snapshot epoch")
    e = common[0]
    c, a = _snap_ratio(cnn[e]), _snap_ratio(ae[e])
    return a < c, f"epoch {e}: ab MAE autoencoder {a:.2f}x gray vs CNN {c:.2f}x"


def cnn_better_end(ev):
    cc, ca = ev.m("cnn-animals-mse", "chroma_ratio"), ev.m("ae-animals-mse", "chroma_ratio")
    ec, ea = ev.m("cnn-animals-mse", "ab_mae"), ev.m("ae-animals-mse", "ab_mae")
    return cc > ca and ec < ea, (f"chroma ratio CNN {cc:.2f} vs autoencoder {ca:.2f}; "
                                 f"ab MAE {ec:.2f} vs {ea:.2f}")


def ae_desaturates_unseen(ev):
    photos = ev.m("ae-animals-mse", "chroma_ratio", "photos")
    test = ev.m("ae-animals-mse", "chroma_ratio")
    return photos < 0.7 and photos < test, (f"chroma ratio {photos:.2f} on never-seen photos "
                                            f"vs {test:.2f} on test images")


def green(ev):
    parts, ok = [], True
    for name in ("cnn-animals-mse", "ae-animals-mse"):
        pred, true = ev.m(name, "green_share"), ev.m(name, "green_share_true")
        mean_a = ev.m(name, "mean_a")
        ok = ok and pred > true and mean_a < 0
        parts.append(f"{name}: green pixels {100 * pred:.0f} % (truth {100 * true:.0f} %), "
                     f"mean a {mean_a:+.1f}")
    return ok, "; ".join(parts)


def animals_meaningful(ev):
    c, a = _ratio(ev, "cnn-animals-mse"), _ratio(ev, "ae-animals-mse")
    return max(c, a) <= 0.8, f"ab MAE CNN {c:.2f}x gray, autoencoder {a:.2f}x gray"
