"""The comparisons the notebooks repeat, written once.

- :func:`train_all`: train (or reuse) a ``{label: experiment}`` mapping;
- :func:`loss_comparison`: the same network under several losses (notebooks 04 and 07):
  the test images side by side at the last epoch, the metrics table, the loss curves;
- :func:`against_baseline`: a new method beside its baseline on each dataset (notebooks 10
  and 11): one side-by-side figure per dataset, then the metrics of both;
- :func:`by_epoch` / :func:`snapshot_rows`: the claim metrics of :mod:`colorization.metrics`
  (``spread_ratio``, ``gray_stain``, ``mean_a``, ``green_share``, ...) on a run's stored
  snapshot images, per epoch, as the printed table the claims are read from.

Nothing here decides a claim: :mod:`colorization.claims` does, from the same metrics.
"""

from __future__ import annotations

from colorization import experiments, figures, metrics, report
from colorization.runs import Run

LOSS_CURVES_TITLE = "training loss (each in its own units)"


def train_all(names: dict[str, str], profile: str) -> dict[str, Run]:
    """``{label: Run}`` for ``{label: experiment name}``: each trained, or its finished run
    reused (:func:`colorization.experiments.run`)."""
    return {label: experiments.run(name, profile) for label, name in names.items()}


def loss_comparison(runs: dict[str, Run], names: dict[str, str], profile: str, figure: str,
                    title: str, curves_title: str = LOSS_CURVES_TITLE) -> dict[str, dict]:
    """Compare runs of one network trained with different losses.

    Draws the snapshot test images of every run at its last epoch side by side (saved as
    ``reports/figures/<figure>.png``), prints and records the test metrics of each
    experiment (:func:`colorization.experiments.report_metrics`, keyed by ``names``' labels)
    and saves the training-loss curves as ``<figure>-curves.png``. Returns ``{label:
    metrics}``."""
    _check_labels(runs, names)
    fig = figures.side_by_side({label: (run, None) for label, run in runs.items()}, "test",
                               title=title)
    report.save_figure(fig, figure)
    result = experiments.report_metrics(names, profile)
    report.save_figure(figures.loss_curves(runs, title=curves_title), f"{figure}-curves")
    return result


def against_baseline(runs: dict[str, Run], baseline_runs: dict[str, Run],
                     names: dict[str, str], baselines: dict[str, str], profile: str,
                     figure: str, labels: tuple[str, str], title: str) -> dict[str, dict]:
    """A method beside its baseline, per dataset.

    ``runs`` / ``baseline_runs``: ``{dataset: Run}``; ``names`` / ``baselines``: ``{dataset:
    experiment name}``; ``labels``: the column titles ``(baseline, method)``; ``title``: the
    figure title, formatted with ``data=<dataset>``. Saves one figure per dataset as
    ``reports/figures/<figure>-<dataset>.png``, then prints and records the metrics of every
    experiment (baseline first). Returns ``{experiment name: metrics}``."""
    if set(runs) != set(baseline_runs) or set(runs) != set(names) or set(names) != set(baselines):
        raise ValueError("runs, baseline_runs, names and baselines must name the same datasets; "
                         f"got {sorted(runs)}, {sorted(baseline_runs)}, {sorted(names)}, "
                         f"{sorted(baselines)}")
    for data in names:
        fig = figures.side_by_side({labels[0]: (baseline_runs[data], None),
                                    labels[1]: (runs[data], None)}, "test",
                                   title=title.format(data=data))
        report.save_figure(fig, f"{figure}-{data}")
    ordered = {}
    for data in names:
        ordered[baselines[data]] = baselines[data]
        ordered[names[data]] = names[data]
    return experiments.report_metrics(ordered, profile)


def snapshot_rows(runs: dict[str, Run], set_name: str = "test", epochs: str = "all"
                  ) -> dict[str, dict]:
    """Metrics (:func:`colorization.metrics.evaluate_with_baseline`, claim metrics included)
    of each run's stored snapshot images of ``set_name``, keyed ``"<label>, epoch <e>"``.
    ``epochs``: ``"all"`` the snapshot epochs, ``"ends"`` the first and the last."""
    if epochs not in ("all", "ends"):
        raise ValueError(f"epochs must be 'all' or 'ends', got {epochs!r}")
    rows = {}
    for label, run in runs.items():
        inputs = run.snapshot_inputs()
        if set_name not in inputs:
            raise ValueError(f"{run.dir} stores no snapshot images of the set {set_name!r}; "
                             f"it has {sorted(inputs)}")
        chosen = run.snapshot_epochs()
        if epochs == "ends":
            chosen = sorted({chosen[0], chosen[-1]})
        for epoch in chosen:
            ab = run.snapshot(epoch)[set_name]
            rows[f"{label}, epoch {epoch}"] = metrics.evaluate_with_baseline(inputs[set_name], ab)
    return rows


def by_epoch(runs: dict[str, Run], keys=("ab_mae", "ab_mae_gray", "chroma_ratio"),
             set_name: str = "test", epochs: str = "all") -> str:
    """:func:`snapshot_rows` as a printed table of ``keys`` (rounded, so notebooks compare)."""
    return report.format_table(snapshot_rows(runs, set_name, epochs), keys=keys)


def _check_labels(runs: dict, names: dict) -> None:
    if list(runs) != list(names):
        raise ValueError(f"runs and names must have the same labels in the same order; got "
                         f"{list(runs)} and {list(names)}")
