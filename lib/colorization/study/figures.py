"""Matplotlib figures of the paper: image grids, Lab channels, epoch-by-epoch grids, loss
curves. Each function returns the figure; :func:`colorization.study.report.save_figure` saves it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from colorization.core import color


def image_grid(rows, *, row_labels=None, col_labels=None, title=None, cell=1.4):
    """A grid of images: ``rows`` is a list of rows, each a list of RGB images (uint8 or
    float [0, 1]) or 2-D gray images. Returns the figure."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell * n_cols, cell * n_rows),
                             squeeze=False)
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i][j]
            ax.set(xticks=[], yticks=[])
            ax.spines[:].set_visible(False)
            if j < len(row) and row[j] is not None:
                img = np.asarray(row[j])
                ax.imshow(img, cmap="gray" if img.ndim == 2 else None,
                          vmin=0, vmax=255 if img.dtype == np.uint8 else 1)
            if col_labels and i == 0 and j < len(col_labels):
                ax.set_title(col_labels[j], fontsize=8)
            if row_labels and j == 0 and i < len(row_labels):
                ax.set_ylabel(row_labels[i], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def gray(rgb: np.ndarray) -> np.ndarray:
    """The L channel of uint8 RGB as a gray image in [0, 1] (what the network sees)."""
    return color.to_numpy(color.rgb_uint8_to_lab(rgb))[..., 0] / 100.0


def lab_channels(images: np.ndarray, n: int = 4, title=None):
    """For ``n`` uint8 RGB images: the image, L, a and b side by side (a, b on a diverging
    colour map, fixed range -100..100 so images compare)."""
    lab = color.to_numpy(color.rgb_uint8_to_lab(images[:n]))
    fig, axes = plt.subplots(n, 4, figsize=(7.2, 1.8 * n), squeeze=False)
    for i in range(n):
        panels = [(images[i], None, None, None), (lab[i, ..., 0], "gray", 0, 100),
                  (lab[i, ..., 1], "RdYlGn_r", -100, 100), (lab[i, ..., 2], "YlGnBu_r", -100, 100)]
        for j, (img, cmap, lo, hi) in enumerate(panels):
            ax = axes[i][j]
            im = ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi)
            ax.set(xticks=[], yticks=[])
            if i == 0:
                ax.set_title(["RGB", "L (0..100)", "a (green - red)", "b (blue - yellow)"][j],
                             fontsize=8)
            if j >= 2 and i == n - 1:
                fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.05, pad=0.05)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def epoch_grid(run, set_name: str = "test", epochs=None, n: int = 6, title=None):
    """The paper's epoch-by-epoch figure: rows of images; columns ground truth, gray input,
    then the prediction at each chosen epoch (from the run's stored snapshots)."""
    inputs = run.snapshot_inputs()[set_name][:n]
    epochs = list(epochs or run.snapshot_epochs())
    recolored = [run.snapshot_rgb(e)[set_name][:n] for e in epochs]
    rows = [[rgb, gray(rgb)] + [r[i] for r in recolored] for i, rgb in enumerate(inputs)]
    labels = ["ground truth", "gray input"] + [f"epoch {e}" for e in epochs]
    return image_grid(rows, col_labels=labels, title=title)


def loss_curves(runs: dict, title="training loss"):
    """Training loss per epoch (log scale) for ``{label: Run}`` or ``{label: [Run of each
    seed]}``: one colour per label, seed 0 drawn solid and the other seeds faint."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for i, (label, found) in enumerate(runs.items()):
        seeds = found if isinstance(found, list | tuple) else [found]
        for k, run in enumerate(seeds):
            hist = run.history()
            ax.plot([h["epoch"] + 1 for h in hist], [h["loss"] for h in hist],
                    marker="." if k == 0 else None, color=f"C{i}", alpha=1.0 if k == 0 else 0.35,
                    label=label + (f" ({len(seeds)} seeds)" if len(seeds) > 1 else "")
                    if k == 0 else None)
    ax.set(xlabel="epoch", ylabel="loss", yscale="log")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def side_by_side(columns: dict, set_name: str = "test", n: int = 6, title=None,
                 with_truth: bool = True):
    """Compare runs on the same images: columns gray input, (ground truth), then one column
    per ``{label: (run, epoch)}`` (epoch ``None``: the run's last snapshot)."""
    inputs = next(iter(columns.values()))[0].snapshot_inputs()[set_name][:n]
    preds = [run.snapshot_rgb(epoch or run.snapshot_epochs()[-1])[set_name][:n]
             for run, epoch in columns.values()]
    rows = [[gray(rgb)] + ([rgb] if with_truth else []) + [p[i] for p in preds]
            for i, rgb in enumerate(inputs)]
    labels = ["gray input"] + (["ground truth"] if with_truth else []) + list(columns)
    return image_grid(rows, col_labels=labels, title=title)


def metric_bars(rows: dict, keys=("ab_mae", "ab_mae_gray"), title=None, reference=None):
    """Horizontal bars of metrics for ``{label: [metrics of each seed]}`` (or ``{label:
    metrics}``): the mean over seeds, with a line from the lowest to the highest seed.
    ``reference``: ``{key: x}`` draws a dashed line at ``x`` on that metric's panel."""
    labels = list(rows)
    per_seed = {k: v if isinstance(v, list | tuple) else [v] for k, v in rows.items()}
    width = 0.065 * max(len(label) for label in labels) + 3.0 * len(keys)  # room for the labels
    fig, axes = plt.subplots(1, len(keys), figsize=(width, 0.32 * len(labels) + 1.4),
                             squeeze=False, sharey=True)
    for ax in axes[0][1:]:
        ax.tick_params(labelleft=False)  # the labels once, on the left
    for ax, key in zip(axes[0], keys, strict=True):
        values = [np.array([m.get(key, np.nan) for m in per_seed[label]], float)
                  for label in labels]
        means = [v.mean() if len(v) else np.nan for v in values]
        low = [max(0.0, m - v.min()) if len(v) else 0 for m, v in zip(means, values, strict=True)]
        high = [max(0.0, v.max() - m) if len(v) else 0 for m, v in zip(means, values, strict=True)]
        ax.barh(labels, means, xerr=[low, high], color="tab:blue", ecolor="black", capsize=2)
        if reference and key in reference:
            ax.axvline(reference[key], color="tab:red", linestyle="--", linewidth=1)
        ax.set_title(key, fontsize=9)
        ax.invert_yaxis()
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
