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
# **Writes:** `reports/figures/08-cnn-vs-autoencoder-train.png`, `reports/figures/08-cnn-vs-autoencoder-seen.png`
# (Fig. 9), `reports/figures/08-cnn-vs-autoencoder-unseen.png` (Fig. 10). Reuses the runs of notebooks
# 05 and 07.
#
# **Domains.** The networks are trained on animal photos (the Kaggle Animals-10 selection, or
# the embedded Oxford-IIIT Pet sample of cats and dogs); the images "neither has seen" are
# scikit-image's eight photographs (a person, a cat, coffee, a rocket, space, microscopy, a
# retina, a motorcycle).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("08-cnn-vs-autoencoder")

names = {"CNN": "cnn-animals-mse", "autoencoder": "ae-animals-mse"}

# %% [markdown]
# ## The experiments

# %%
for name in names.values():
    print(experiments.describe(name, profile))

# %% [markdown]
# ## Train (or reuse notebooks 05 and 07's runs)

# %%
# NBVAL_IGNORE_OUTPUT
runs = compare.train_all(names, profile)

# %%
seed0 = {label: seeds[0] for label, seeds in runs.items()}
early = {label: run.snapshot_epochs()[0] for label, run in seed0.items()}
late = {label: run.snapshot_epochs()[-1] for label, run in seed0.items()}
columns = {}
for label, run in seed0.items():
    columns[f"{label}, epoch {early[label]}"] = (run, early[label])
    columns[f"{label}, epoch {late[label]}"] = (run, late[label])
print("columns:", ", ".join(columns))

# %% [markdown]
# ## Fig. 9: images from the training and test sets (seed 0)

# %%
scale = experiments.scale_text("cnn-animals-mse", profile, seed=0)
fig = figures.side_by_side(columns, "train", n=3, title=f"training images\n{scale}")
_ = report.save_figure(fig, nb.figure("train"))
fig = figures.side_by_side(columns, "test", n=4, title=f"test images\n{scale}")
_ = report.save_figure(fig, nb.figure("seen"))

# %% [markdown]
# ## Fig. 10: images neither network has seen (seed 0)

# %%
fig = figures.side_by_side(columns, "photos", n=6,
                           title=f"scikit-image's photographs, never seen\n{scale}")
_ = report.save_figure(fig, nb.figure("unseen"))

# %% [markdown]
# ## Numbers: "learns faster", "less desaturated", "green-ish"
#
# For each snapshot set, at the first and the last snapshot epoch, mean ± standard deviation
# over the seeds: CIEDE2000 and its gray baseline, chroma ratio, the mean predicted a
# (negative: green) and the share of green pixels (a <= -5) in the prediction and in the truth
# (`colorization.core.metrics`).

# %%
for set_name in ("test", "photos"):
    print(f"-- {set_name} --")
    print(compare.by_epoch(runs, keys=("ciede2000", "ciede2000_gray", "ciede2000_tint", "chroma_ratio", "mean_a",
                                       "green_share", "green_share_true"),
                           set_name=set_name, epochs="ends"))

# %%
fig = figures.loss_curves(runs, title=experiments.caption(
    "cnn-animals-mse", profile, "training loss (CNN: [0,1] units; AE: [-1,1] units)"))
_ = report.save_figure(fig, nb.figure("loss"))

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
