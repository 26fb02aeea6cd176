"""The comparisons the notebooks repeat, written once, over every seed.

- :func:`train_all`: train (or reuse) every seed of a ``{label: experiment}`` mapping;
- :func:`loss_comparison`: the same network under several losses (notebooks 04 and 07):
  the test images side by side at the last epoch (seed 0, named), the metrics of every seed
  (mean ± sd), the loss curves of every seed;
- :func:`against_baseline`: a new method beside its baseline on each dataset (notebooks 10
  and 11): one side-by-side figure per dataset, then the metrics of both;
- :func:`by_epoch` / :func:`snapshot_rows`: the metrics of :mod:`colorization.core.metrics`
  (CIEDE2000, hue error, ``spread_ratio``, ``gray_stain``, ...) on the runs' stored
  snapshot images, per epoch, mean ± sd over seeds, as the printed table claims read.

Nothing here decides a claim: :mod:`colorization.study.claims` does, from the same metrics.
"""

from __future__ import annotations

from colorization.runs.rundir import Run
from colorization.study import claims, experiments, figures, report

LOSS_CURVES_TITLE = "training loss (each in its own units)"


def train_all(names: dict[str, str], profile: str) -> dict[str, list[Run]]:
    """``{label: [Run of each seed]}`` for ``{label: experiment name}``: each trained, or its
    finished runs reused (:func:`colorization.study.experiments.run_all`)."""
    return {label: experiments.run_all(name, profile) for label, name in names.items()}


def loss_comparison(runs: dict[str, list[Run]], names: dict[str, str], profile: str,
                    figure: str, title: str,
                    curves_title: str = LOSS_CURVES_TITLE) -> dict[str, list[dict]]:
    """Compare runs of one network trained with different losses.

    Draws the snapshot test images of seed 0 of every experiment at its last epoch side by
    side (saved as ``reports/figures/<figure>.png``, the title naming the scale and seed),
    prints and records the test metrics of every seed
    (:func:`colorization.study.experiments.report_metrics`, keyed by ``names``' labels) and
    saves the training-loss curves of every seed as ``<figure>-curves.png``. Returns
    ``{label: [metrics of each seed]}``."""
    _check_labels(runs, names)
    first = next(iter(names.values()))
    fig = figures.side_by_side({label: (seeds[0], None) for label, seeds in runs.items()},
                               "test", title=experiments.caption(first, profile, title))
    report.save_figure(fig, figure)
    result = experiments.report_metrics(names, profile)
    curves = figures.loss_curves(runs, title=experiments.caption(first, profile, curves_title))
    report.save_figure(curves, f"{figure}-curves")
    return result


def against_baseline(runs: dict[str, list[Run]], baseline_runs: dict[str, list[Run]],
                     names: dict[str, str], baselines: dict[str, str], profile: str,
                     figure: str, labels: tuple[str, str], title: str) -> dict[str, list[dict]]:
    """A method beside its baseline, per dataset.

    ``runs`` / ``baseline_runs``: ``{dataset: [Run of each seed]}``; ``names`` /
    ``baselines``: ``{dataset: experiment name}``; ``labels``: the column titles
    ``(baseline, method)``; ``title``: the figure title, formatted with ``data=<dataset>``.
    Saves one figure per dataset (seed 0 of each) as ``reports/figures/<figure>-<dataset>.png``,
    then prints and records the metrics of every experiment (baseline first). Returns
    ``{experiment name: [metrics of each seed]}``."""
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
    ordered = {}
    for data in names:
        ordered[baselines[data]] = baselines[data]
        ordered[names[data]] = names[data]
    return experiments.report_metrics(ordered, profile)


def beside_baseline(results: dict[str, list[dict]], names: dict[str, str],
                    baselines: dict[str, str], label: str) -> list[str]:
    """One computed sentence per dataset for :func:`against_baseline`'s ``results``: the
    method's chroma ratio beside its baseline's, and its CIEDE2000 against the gray baseline's
    (means over seeds), with the seeds each ran. Indicative: the two may run at different
    scales and seed counts (their tables say)."""
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
    """Metrics (:func:`colorization.core.metrics.evaluate_with_baseline`, claim metrics
    included) of every seed's stored snapshot images of ``set_name``, keyed ``"<label>, epoch
    <e>"`` (the epochs every seed has). ``epochs``: ``"all"`` the snapshot epochs, ``"ends"``
    the first and the last."""
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
    """:func:`snapshot_rows` as a printed table of ``keys``, mean ± sd over seeds (rounded,
    so notebooks compare)."""
    return report.format_spread_table(snapshot_rows(runs, set_name, epochs), keys=keys)


def _check_labels(runs: dict, names: dict) -> None:
    if list(runs) != list(names):
        raise ValueError(f"runs and names must have the same labels in the same order; got "
                         f"{list(runs)} and {list(names)}")
