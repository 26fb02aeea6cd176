# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · The autoencoder on animals: SmoothL1 vs MSE
#
# **Reproduces:** Section 5.2, animals, and Figure 8 (after 150 epochs). The paper: "using
# the L1Smooth loss, the color is less desaturated, but there are some gray stains. On the
# other hand the MSE tends to desaturate the image, but the stain are almost absent."
#
# **Writes:** runs `ae-animals-mse` and `ae-animals-smoothl1`,
# `reports/figures/07-ae-animals-losses.png`, rows of `reports/results.json`.
#
# **Units.** The autoencoder's targets are ab / 128 in [-1, 1]; PyTorch's SmoothL1 threshold
# beta = 1 is then 128 ab units: only errors larger than 128 ab units (rare: the sRGB gamut
# spans about -108..98) reach the linear part, so here too SmoothL1 is nearly 0.5 x MSE.
# "Less desaturated" becomes a chroma ratio; "gray stains" the share of pixels whose
# predicted chroma is under 5 where the truth's is over 20.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
from colorization import runtime

# Quiets TensorFlow and prints the profile. Each experiment's full record (paper figure,
# model, data, loss, every hyper-parameter per profile): colorization/experiments.py, or
# `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

import numpy as np

from colorization import color, experiments, figures, report

names = {"SmoothL1": "ae-animals-smoothl1", "MSE": "ae-animals-mse"}
for name in names.values():
    print(experiments.describe(name, profile))

# %%
# NBVAL_IGNORE_OUTPUT
runs = {label: experiments.run(name, profile) for label, name in names.items()}

# %% [markdown]
# ## Fig. 8: SmoothL1 (second column of predictions) and MSE, last epoch

# %%
fig = figures.side_by_side({label: (run, None) for label, run in runs.items()}, "test",
                           title="autoencoder on animals: SmoothL1 vs MSE")
_ = report.save_figure(fig, "07-ae-animals-losses")

# %% [markdown]
# ## Numbers: saturation and stains

# %%
_ = experiments.report_metrics(names, profile)
for label, run in runs.items():
    inputs = run.snapshot_inputs()["test"]
    true_chroma = np.hypot(*np.moveaxis(
        color.to_numpy(color.rgb_uint8_to_lab(inputs))[..., 1:], -1, 0))
    ab = run.snapshot(run.snapshot_epochs()[-1])["test"]
    pred_chroma = np.hypot(ab[..., 0], ab[..., 1])
    colourful = true_chroma > 20
    stains = (pred_chroma < 5) & colourful
    share = stains.sum() / max(colourful.sum(), 1)
    print(f"{label}: gray stains on {100 * share:.1f}% of colourful pixels "
          f"(snapshot test images)")

# %%
fig = figures.loss_curves(runs, title="training loss (each in its own units)")
_ = report.save_figure(fig, "07-ae-animals-losses-curves")

# %% [markdown]
# **Paper vs this run.** If SmoothL1 really kept more colour, its chroma ratio would be
# clearly above MSE's; with a threshold of 128 ab units the two losses differ only on the
# rare huge errors, so a large difference would be surprising. The numbers above decide.
