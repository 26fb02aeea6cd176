# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · CNN vs autoencoder on animals
#
# **Reproduces:** Section 5, Figures 9 and 10: the ~3.5M CNN and the ~6M autoencoder (both
# MSE) after few and after ~150 iterations, on train/test images (Fig. 9) and on images
# neither has seen (Fig. 10). The paper: "the autoencoder network seems to learn faster, but
# the output of the CNN is less desaturated and more accurate. The background color is the
# main problem for both methods [...] the images are green-ish."
#
# **Writes:** `reports/figures/08-cnn-vs-ae-seen.png` (Fig. 9),
# `reports/figures/08-cnn-vs-ae-unseen.png` (Fig. 10). Reuses the runs of notebooks 05 and 07.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization import runtime

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date. Each experiment's full record
# (paper figure, model, data, loss, every hyper-parameter per profile):
# colorization/experiments.py, or `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

from colorization import claims, compare, experiments, figures, report

names = {"CNN": "cnn-animals-mse", "autoencoder": "ae-animals-mse"}

# %%
# NBVAL_IGNORE_OUTPUT
runs = {label: experiments.run(name, profile) for label, name in names.items()}

# %%
early = {label: run.snapshot_epochs()[0] for label, run in runs.items()}
late = {label: run.snapshot_epochs()[-1] for label, run in runs.items()}
columns = {}
for label, run in runs.items():
    columns[f"{label}, epoch {early[label]}"] = (run, early[label])
    columns[f"{label}, epoch {late[label]}"] = (run, late[label])
print("columns:", ", ".join(columns))

# %% [markdown]
# ## Fig. 9: images from the training and test sets

# %%
fig = figures.side_by_side(columns, "train", n=3, title="training images")
_ = report.save_figure(fig, "08-cnn-vs-ae-train")
fig = figures.side_by_side(columns, "test", n=4, title="test images")
_ = report.save_figure(fig, "08-cnn-vs-ae-seen")

# %% [markdown]
# ## Fig. 10: images neither network has seen (photographs)

# %%
fig = figures.side_by_side(columns, "photos", n=6, title="never-seen photographs")
_ = report.save_figure(fig, "08-cnn-vs-ae-unseen")

# %% [markdown]
# ## Numbers: "learns faster", "less desaturated", "green-ish"
#
# For each snapshot set, at the first and the last snapshot epoch: ab error and its gray
# baseline, chroma ratio, the mean predicted a (negative: green) and the share of green
# pixels (a <= -5) in the prediction and in the truth (`colorization.metrics`).

# %%
for set_name in ("test", "photos"):
    print(f"-- {set_name} --")
    print(compare.by_epoch(runs, keys=("ab_mae", "ab_mae_gray", "chroma_ratio", "mean_a",
                                       "green_share", "green_share_true"),
                           set_name=set_name, epochs="ends"))

# %%
fig = figures.loss_curves(runs, title="training loss (CNN: [0,1] units; AE: [-1,1] units)")
_ = report.save_figure(fig, "08-cnn-vs-ae-loss")

# %% [markdown]
# **Paper vs this run.** "Learns faster" is read from the early-epoch rows (lower error at
# the first snapshot); "less desaturated and more accurate" from the last-epoch chroma ratio
# and ab error; "green-ish" from more green pixels than the truth and a negative mean a. On
# never-seen photographs both networks face images unlike their training set, which the
# paper found worse for both.

# %% [markdown]
# ## The paper's claims, decided by this run
#
# Each claim of the paper that this notebook's experiments test: what the paper says, the
# rule that decides it, what this run measured and the verdict (*reproduced*, *not
# reproduced*, or *not testable* at this profile's scale, with the reason). The rules are
# in `colorization/claims.py`.

# %%
_ = claims.show(profile, "08-cnn-vs-autoencoder")
