"""The comparisons the notebooks repeat, over every seed: losses on one network
(:func:`loss_comparison`), a method beside its baseline (:func:`against_baseline`), and the
metrics of the stored snapshots epoch by epoch (:func:`by_epoch`). Nothing here decides a
claim: :mod:`colorization.study.claims` does, from the same metrics."""

from __future__ import annotations

from colorization.runs.rundir import Run
from colorization.study import claims, experiments, figures, report

LOSS_CURVES_TITLE = "training loss (each in its own units)"


def train_all(names: dict[str, str], profile: str) -> dict[str, list[Run]]:
    """``{label: [Run of each seed]}`` for ``{label: experiment name}``, trained or reused."""
    return {label: experiments.run_all(name, profile) for label, name in names.items()}


def loss_comparison(runs: dict[str, list[Run]], names: dict[str, str], profile: str,
                    figure: str, title: str,
                    curves_title: str = LOSS_CURVES_TITLE) -> dict[str, list[dict]]:
    """Runs of one network trained with different losses: seed 0's test images at the last
    epoch side by side (``reports/figures/<figure>.png``), the test metrics of every seed
    printed and recorded, and every seed's loss curves (``<figure>-curves.png``). Returns
    ``{label: [metrics of each seed]}``."""
    if list(runs) != list(names):
        raise ValueError(f"runs and names must have the same labels in the same order; got "
                         f"{list(runs)} and {list(names)}")
    first = next(iter(names.values()))
    fig = figures.side_by_side({label: (seeds[0], None) for label, seeds in runs.items()},
                               "test", title=experiments.caption(first, profile, title))
    report.save_figure(fig, figure)
    result = report_metrics(names, profile)
    curves = figures.loss_curves(runs, title=experiments.caption(first, profile, curves_title))
    report.save_figure(curves, f"{figure}-curves")
    return result


def against_baseline(runs: dict[str, list[Run]], baseline_runs: dict[str, list[Run]],
                     names: dict[str, str], baselines: dict[str, str], profile: str,
                     figure: str, labels: tuple[str, str], title: str) -> dict[str, list[dict]]:
    """A method beside its baseline: per dataset (the keys of ``runs``, ``baseline_runs``,
    ``names`` and ``baselines``) seed 0 of both as ``reports/figures/<figure>-<dataset>.png``
    (``labels``: the columns, ``title`` formatted with ``data``), then the metrics of every
    experiment printed and recorded. Returns ``{experiment name: [metrics of each seed]}``."""
    if set(runs) != set(baseline_runs) or set(runs) != set(names) or set(names) != set(baselines):
        raise ValueError("runs, baseline_runs, names and baselines must name the same datasets; "
                         f"got {sorted(runs)}, {sorted(baseline_runs)}, {sorted(names)}, "
                         f"{sorted(baselines)}")
    for data in names:
        fig = figures.side_by_side({labels[0]: (baseline_runs[data][0], None),
                                    labels[1]: (runs[data][0], None)}, "test",
                                   title=experiments.caption(names[data], profile,
                                                             title.format(data=data)))
        report.save_figure(fig, f"{figure}-{data}")
    ordered = [n for data in names for n in (baselines[data], names[data])]
    return report_metrics({n: n for n in ordered}, profile)


def beside_baseline(results: dict[str, list[dict]], names: dict[str, str],
                    baselines: dict[str, str], label: str) -> list[str]:
    """Per dataset, a sentence on :func:`against_baseline`'s ``results``: the method's mean
    chroma ratio beside its baseline's and its CIEDE2000 over the gray baseline's."""
    lines = []
    for data in names:
        method, base = results[names[data]], results[baselines[data]]
        chroma = sum(m["chroma_ratio"] for m in method) / len(method)
        base_chroma = sum(m["chroma_ratio"] for m in base) / len(base)
        de = sum(m["ciede2000"] / m["ciede2000_gray"] for m in method) / len(method)
        lines.append(
            f"{data}: {label} chroma ratio {chroma:.2f} "
            f"({'above' if chroma > base_chroma else 'below'} the baseline's {base_chroma:.2f}); "
            f"its CIEDE2000 is {de:.2f}x the gray baseline's "
            f"({'better' if de < 1 else 'no better'} than leaving the image gray); "
            f"{len(method)} vs {len(base)} seeds: indicative only")
    return lines


def snapshot_rows(runs: dict[str, list[Run]], set_name: str = "test", epochs: str = "all"
                  ) -> dict[str, list[dict]]:
    """The metrics of every seed's stored snapshots of ``set_name``, keyed ``"<label>, epoch
    <e>"`` over the epochs all seeds have (``epochs="ends"``: the first and last only)."""
    if epochs not in ("all", "ends"):
        raise ValueError(f"epochs must be 'all' or 'ends', got {epochs!r}")
    rows = {}
    for label, seeds in runs.items():
        common, images = None, []
        for run in seeds:
            inputs = run.snapshot_inputs()
            if set_name not in inputs:
                raise ValueError(f"{run.dir} stores no snapshot images of the set "
                                 f"{set_name!r}; it has {sorted(inputs)}")
            images.append(inputs[set_name])
            have = set(run.snapshot_epochs())
            common = have if common is None else common & have
        chosen = sorted(common or ())
        if epochs == "ends" and chosen:
            chosen = sorted({chosen[0], chosen[-1]})
        per_run = [claims.snapshot_metrics(run, set_name, chosen, images=rgb)
                   for run, rgb in zip(seeds, images, strict=True)]
        for epoch in chosen:
            rows[f"{label}, epoch {epoch}"] = [m[epoch] for m in per_run]
    return rows


def by_epoch(runs: dict[str, list[Run]], keys=("ciede2000", "ciede2000_gray", "hue_error",
                                               "chroma_ratio"),
             set_name: str = "test", epochs: str = "all") -> str:
    """:func:`snapshot_rows` as a table of ``keys``, mean ± sd over seeds."""
    return report.format_spread_table(snapshot_rows(runs, set_name, epochs), keys=keys)


def record(name: str, profile: str, per_seed: list[dict]) -> None:
    """Add experiment ``name``'s metrics (every seed's, their mean and spread) to
    ``reports/results.json``, with its scale and the data the runs used."""
    cfg = experiments.config(name, profile)
    report.record(name, per_seed, model=cfg.model, loss=cfg.loss, profile=profile,
                  **experiments.scale(name, profile))


def report_metrics(experiments_by_label: dict[str, str], profile: str,
                   keys=report.TABLE_KEYS_SHORT) -> dict[str, list[dict]]:
    """Evaluate every seed of the experiments (``{label: experiment name}``), print their
    metrics as mean ± sd over seeds with each one's scale, and record them in
    ``reports/results.json``. Returns ``{label: [metrics of each seed]}``. The shared
    closing cell of the experiment notebooks."""
    per_seed = {label: experiments.evaluate_all(name, profile)
                for label, name in experiments_by_label.items()}
    print(report.format_spread_table(per_seed, keys=keys))
    width = max(len(label) for label in per_seed)
    for label, name in experiments_by_label.items():
        print(f"{label:{width}s}  {experiments.scale_text(name, profile)}")
    for label, name in experiments_by_label.items():
        record(name, profile, per_seed[label])
    return per_seed
