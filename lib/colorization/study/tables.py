"""The tables of stored results: plain text for the notebooks, Markdown for ``RESULTS.md``,
and one-sentence readings of an experiment's metrics."""

from __future__ import annotations

import math

from colorization.core import fileio
from colorization.study import stats

#: the columns the notebooks print (every stored metric is in ``results.json``)
TABLE_KEYS_SHORT = ("psnr", "psnr_gray", "ciede2000", "ciede2000_gray", "ciede2000_tint",
                    "hue_error", "spread_ratio", "chroma_ratio", "ab_mae", "ab_mae_gray")


def number(value) -> float | None:
    """``value`` as a float, or ``None`` when it is missing or not a finite number."""
    return None if fileio.number_problem(value) else float(value)


def spread(per_seed: list[dict], key: str) -> stats.Values | None:
    """``key`` of every seed as :class:`~colorization.study.stats.Values` (``None`` when a
    seed lacks it or it is not a finite number)."""
    values = [m.get(key) for m in per_seed]
    if not values or any(fileio.number_problem(v) for v in values):
        return None
    return stats.Values.of(values)


def format_table(rows: dict, keys=TABLE_KEYS_SHORT, digits: int = 2) -> str:
    """A plain-text table of ``{label: metrics}``, values rounded (so notebooks compare)."""
    return format_spread_table({label: [m] for label, m in rows.items()}, keys, digits)


def format_spread_table(per_seed: dict[str, list[dict]], keys=TABLE_KEYS_SHORT,
                        digits: int = 2) -> str:
    """A plain-text table of ``{label: [metrics of each seed]}``: each cell the mean ± sd over
    seeds (the value alone for one seed), rounded; column ``n`` gives the seeds."""
    cells = {}
    for label, runs in per_seed.items():
        values = [spread(runs, k) for k in keys]
        cells[label] = (len(runs), ["-" if v is None else
                                    stats.mean_sd(v.mean, v.sd, digits, with_sd=v.n != 1)
                                    for v in values])
    widths = [max([len(k)] + [len(c[1][i]) for c in cells.values()]) for i, k in enumerate(keys)]
    width = max([len("experiment")] + [len(k) for k in cells])
    lines = [f"{'':{width}s}  n " + " ".join(f"{k:>{w}s}" for k, w in zip(keys, widths,
                                                                          strict=True))]
    for label, (n, row) in cells.items():
        lines.append(f"{label:{width}s} {n:2d} " + " ".join(
            f"{c:>{w}s}" for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def format_results_markdown(rows: dict, keys=("psnr", "ciede2000", "hue_error", "spread_ratio",
                                              "chroma_ratio")) -> str:
    """A Markdown table of stored experiment rows: each one's data, image size, training
    images, epochs (optimizer steps) and seeds, then ``keys`` as mean ± sd over seeds with the
    gray and mean-tint baselines' beside where stored."""
    head = ["experiment", "data", "size", "images", "epochs (steps)", "seeds"]
    for k in keys:
        base = [b for b in ("gray", "tint") if any(f"{k}_{b}" in r.get("mean", {})
                                                   for r in rows.values())]
        head.append(k + (f" ({' / '.join(base)})" if base else ""))
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in rows.items():
        mean, sd, n = r.get("mean", {}), r.get("sd", {}), r.get("seeds", 1)
        cells = [f"`{name}`", f"{r.get('data', '')} ({r.get('kind', '')})",
                 f"{r.get('image_size', '')}", f"{r.get('train_images', '')}",
                 f"{r.get('epochs', '')} ({r.get('optimizer_steps', '')})", f"{n}"]
        for k in keys:
            if k not in mean:
                cells.append("-")
                continue
            base = [f"{mean[f'{k}_{b}']:.2f}" for b in ("gray", "tint")
                    if number(mean.get(f"{k}_{b}")) is not None]
            cells.append(stats.mean_sd(mean[k], sd.get(k) or 0.0, with_sd=n > 1)
                         + (f" ({' / '.join(base)})" if base else ""))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _reading(value: float | None, bands, missing: str) -> str:
    """``missing`` for ``None``, else the text of the first ``(limit, text)`` of ``bands`` with
    ``value < limit``, formatted with ``value``."""
    if value is None:
        return missing
    return next(text for limit, text in bands if value < limit).format(value)


def verdict(m: dict) -> str:
    """One sentence reading a metrics dict against the gray baseline: how much of its colour
    difference (CIEDE2000) is left, the hue error and the saturation."""
    ratio = next((number(m.get(k)) / number(m.get(f"{k}_gray")) for k in ("ciede2000", "ab_mae")
                  if number(m.get(k)) is not None and number(m.get(f"{k}_gray"))), None)
    hue = number(m.get("hue_error"))
    hue = f", hue error {hue:.0f} degrees" if hue is not None else ""
    colours = _reading(ratio, (
        (0.8, "colours: its CIEDE2000 is {:.2f}x the gray baseline's" + hue),
        (1.0, "barely beats gray: its CIEDE2000 is {:.2f}x the gray baseline's" + hue),
        (math.inf, "does worse than leaving the image gray (CIEDE2000 {:.2f}x the baseline's"
                   + hue + ")")),
        "cannot be compared with the gray baseline (its colour error is missing)")
    saturation = _reading(number(m.get("chroma_ratio")), (
        (0.5, "strongly desaturated (chroma ratio {:.2f})"),
        (0.85, "desaturated (chroma ratio {:.2f})"),
        (math.nextafter(1.15, math.inf), "about as saturated as the truth (chroma ratio {:.2f})"),
        (math.inf, "more saturated than the truth (chroma ratio {:.2f})")),
        "its saturation is unknown (chroma ratio missing)")
    return f"The model {colours}; {saturation}."


# ------------------------------------------------------------------ the claims


def statistics_text(row: dict) -> str:
    """A claim row's deciding statistics in one line, e.g. ``effect 0.39, 95 % CI [0.37, 0.41];
    one-sample t ..., 5 seeds; p = 0.0003 (Holm 0.004)``; empty when nothing was tested."""
    effect, low, high = (number(row.get(k)) for k in ("effect", "low", "high"))
    if effect is None:
        return ""
    text = f"effect {effect:.3g}"
    if low is not None and high is not None:
        text += f", 95 % CI [{low:.3g}, {high:.3g}]"
    if row.get("test"):
        text += f"; {row['test']}"
    if row.get("seeds"):
        text += f", {row['seeds']} seeds"
    p, holm = number(row.get("p")), number(row.get("p_holm"))
    if p is not None:
        text += f"; p = {p:.2g}" + (f" (Holm {holm:.2g})" if holm is not None else "")
    return text


def scale_text(row: dict) -> str:
    """The data and scale a claim was decided on."""
    scale = row.get("scale") or {}
    if isinstance(scale, dict):
        return "; ".join(f"{name}: {text}" for name, text in scale.items())
    return str(scale)


def tally(rows: list[dict]) -> str:
    """The count of each verdict: the decided ones on real photos, then apart those never
    counted (fragile, by construction, on generated data) and those not testable."""
    def counted(chosen, verdicts):
        counts = {v: sum(r["verdict"] == v for r in chosen) for v in verdicts}
        return ", ".join(f"{n} {v}" for v, n in counts.items() if n)

    decided = (stats.REPRODUCED, stats.NOT_REPRODUCED, stats.INCONCLUSIVE)
    parts = []
    real = [r for r in rows if r["verdict"] in decided and r.get("kind") == "real"]
    if real:
        parts.append("on real photos: " + counted(real, decided))
    apart = counted(rows, (stats.FRAGILE, stats.BY_CONSTRUCTION))
    if apart:
        parts.append(apart + " (never counted)")
    generated = sum(r["verdict"] == stats.INDICATIVE for r in rows)
    if generated:
        parts.append(f"on generated data: {generated} {stats.INDICATIVE} (never counted)")
    untested = counted(rows, (stats.NOT_TESTABLE_SCALE, stats.NOT_TESTABLE))
    if untested:
        parts.append(untested)
    return "; ".join(parts)


def format_claims_text(rows: list[dict]) -> str:
    """Plain text: one block per claim (what the paper says, the rule, the data and scale,
    what was measured, the statistics, the verdict and why), then the tally."""
    if not rows:
        return "no claim of the paper is decided here"
    lines = []
    for r in rows:
        lines += [f"[{r['verdict']}] {r['id']} ({r['where']})",
                  f"    paper says: \"{r['says']}\""]
        fields = (("rule", r.get("rule")), ("decided on", r.get("scale") and scale_text(r)),
                  ("domains", r.get("domains")), ("measured", r["measured"]),
                  ("statistics", statistics_text(r)), ("why", r.get("reason")))
        lines += [f"    {f'{name}:':11s} {text}" for name, text in fields
                  if text or name == "measured"]
    lines.append(tally(rows))
    return "\n".join(lines)


def format_claims_markdown(rows: list[dict]) -> str:
    """A Markdown table: claim, where, paper says, verdict, effect with its 95 % interval,
    test and p (Holm-adjusted), seeds, and why (or what was measured)."""
    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    def num(row, key):
        value = number(row.get(key))
        return "-" if value is None else f"{value:.3g}"

    out = ["| claim | where | paper says | verdict | effect [95 % CI] | test | p (Holm) | "
           "seeds | why / measured |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        interval = (f"{num(r, 'effect')} [{num(r, 'low')}, {num(r, 'high')}]"
                    if number(r.get("effect")) is not None else "-")
        p = f"{num(r, 'p')} ({num(r, 'p_holm')})" if number(r.get("p")) is not None else "-"
        out.append(f"| {cell(r['id'])} | {cell(r['where'])} | {cell(r['says'])} | "
                   f"**{cell(r['verdict'])}** | {interval} | {cell(r.get('test') or '-')} | "
                   f"{p} | {r.get('seeds') or '-'} | {cell(r.get('reason') or r['measured'])} |")
    return "\n".join(out)
