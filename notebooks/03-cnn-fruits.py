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
# # 03 · The ~1M CNN on fruits, epoch by epoch
#
# **Reproduces:** Section 5.1, Figures 1 and 2: the Zhang-style CNN with inner layers removed
# (~1M parameters) colours fruit test images "in a meaningful way" even after few iterations;
# and Section 3.1: "data augmentation seems useless in this case".
#
# **Writes:** the runs `runs/<profile>/cnn-fruits-mse/seed*/` and `cnn-fruits-mse-flip/`,
# `reports/figures/03-cnn-fruits.png` (Fig. 2: ground truth, gray input, then the prediction
# at each chosen epoch), `reports/figures/03-cnn-fruits-train.png`,
# `reports/figures/03-cnn-fruits-loss.png`, rows of `reports/results.json`.
#
# The paper's Fig. 1 ends the network in "SoftMax" because values are normalised to [0, 1].
# A softmax over the two output channels would force a + b = 1 at every pixel, which no
# colour obeys; what the stated reason needs is each channel squashed to [0, 1] on its own:
# a sigmoid. That is what `zhang_fruits` does (see `colorization.nets.models`).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import claims, experiments, figures, report

name = "cnn-fruits-mse"
flipped = "cnn-fruits-mse-flip"  # the same, with random horizontal flips (Sec. 3.1)

# %% [markdown]
# ## The experiment and the network (Fig. 1)

# %%
for experiment in (name, flipped):
    print(experiments.describe(experiment, profile))

# %%
# NBVAL_CHECK_OUTPUT
print(notebook.network_summary("zhang_fruits"))

# %% [markdown]
# ## Train

# %%
# NBVAL_IGNORE_OUTPUT
runs = experiments.run_all(name, profile)

# %% [markdown]
# ## Fig. 2: test images at several epochs (seed 0)

# %%
fig = figures.epoch_grid(runs[0], "test", title=experiments.caption(
    name, profile, "~1M CNN on fruits (MSE): test images by epoch"))
_ = report.save_figure(fig, "03-cnn-fruits")

# %% [markdown]
# The same for training images (what the network was fitted on):

# %%
fig = figures.epoch_grid(runs[0], "train", n=4, title=experiments.caption(
    name, profile, "~1M CNN on fruits: training images by epoch"))
_ = report.save_figure(fig, "03-cnn-fruits-train")

# %% [markdown]
# ## Numbers
#
# Fruits-360's test photos are other frames of the same rotating fruits as its training
# photos: these test scores measure near-duplicates, not generalisation.
#
# Mean ± standard deviation over the seeds, beside the gray and mean-tint baselines; the metrics are those of
# notebook 02. The hue error of each fruit class (`class_hue_error`, its mean over the 8
# classes; `class_hue_error_max`, the worst class) says whether each fruit gets its own hue.

# %%
_ = experiments.report_metrics({name: name}, profile, keys=(
    "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error", "class_hue_error", "class_hue_error_max",
    "spread_ratio", "chroma_ratio", "psnr", "psnr_gray"))

# %%
fig = figures.loss_curves({"zhang_fruits, mse": runs}, title=experiments.caption(
    name, profile, "training loss"))
_ = report.save_figure(fig, "03-cnn-fruits-loss")

# %% [markdown]
# ## Data augmentation (Section 3.1)
#
# The paper: "data augmentation seems useless in this case" (fruits). The same CNN, same
# data, budget and seeds, trained on randomly flipped images (`cnn-fruits-mse-flip`), beside
# the runs above:

# %%
# NBVAL_IGNORE_OUTPUT
flip_runs = experiments.run_all(flipped, profile)

# %%
_ = experiments.report_metrics({"no flips": name, "random flips": flipped}, profile)

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the rules are in `colorization/study/claims.py`.

# %%
_ = claims.show(profile, "03-cnn-fruits")
