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
# # 06 · The autoencoder on fruits: ~1M vs ~6M parameters
#
# **Reproduces:** Section 5.2, fruits, and Figures 5-6. The paper: "at first, we try a much
# simpler architecture (that network had around 1M parameters), but even if the dataset is
# really simple, after 600 epochs it does not color anything. The autoencoder we use for the
# rest of the project has ~6M parameters and already after 10 epochs it colorize perfectly
# the images."
#
# **Writes:** the runs of `ae-small-fruits-mse` and `ae-fruits-mse`,
# `reports/figures/06-ae-fruits.png` (Fig. 6), `reports/figures/06-ae-small-fruits.png`,
# rows of `reports/results.json`.
#
# The ~6M network is the well-known Keras "beta" colorization autoencoder: 13 convolutions,
# six in the encoder (three with stride 2) and seven in the decoder with three UpSampling
# steps, ReLU inside and tanh at the end, ab normalised to [-1, 1].
#
# "Colours nothing" and "colours perfectly" are read with measures that see hue: a network
# that paints every fruit the same tint can match the truth's average saturation (chroma ratio
# near 1) while its hue error, the spread of its per-image colour and the hue error of each
# fruit class show that it colours nothing.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import claims, compare, experiments, figures, report

names = {"~1M autoencoder": "ae-small-fruits-mse", "~6M autoencoder": "ae-fruits-mse"}

# %% [markdown]
# ## The experiments and the networks (Fig. 5)

# %%
for name in names.values():
    print(experiments.describe(name, profile))

# %%
# NBVAL_CHECK_OUTPUT
for model in ("autoencoder", "autoencoder_small"):
    print(notebook.network_summary(model))

# %% [markdown]
# ## Train

# %%
# NBVAL_IGNORE_OUTPUT
runs = compare.train_all(names, profile)

# %% [markdown]
# ## Fig. 6: the ~6M autoencoder, test images by epoch (seed 0)

# %%
fig = figures.epoch_grid(runs["~6M autoencoder"][0], "test", title=experiments.caption(
    "ae-fruits-mse", profile, "~6M autoencoder on fruits (MSE): test images by epoch"))
_ = report.save_figure(fig, "06-ae-fruits")

# %% [markdown]
# ## The ~1M autoencoder, by epoch (seed 0)

# %%
fig = figures.epoch_grid(runs["~1M autoencoder"][0], "test", title=experiments.caption(
    "ae-small-fruits-mse", profile, "~1M autoencoder on fruits (MSE): test images by epoch"))
_ = report.save_figure(fig, "06-ae-small-fruits")

# %% [markdown]
# ## Numbers (test set)
#
# Fruits-360's test photos are other frames of the same rotating fruits as its training
# photos: these test scores measure near-duplicates, not generalisation.
#
# With the hue of each of the 8 fruit classes (`class_hue_error`: the mean over classes of the
# angle between a class's mean predicted and true colour; `class_hue_error_max`: the worst
# class):

# %%
_ = experiments.report_metrics(names, profile, keys=(
    "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error", "class_hue_error", "class_hue_error_max",
    "spread_ratio", "chroma_ratio", "psnr", "psnr_gray"))

# %%
fig = figures.loss_curves(runs, title=experiments.caption(
    "ae-fruits-mse", profile, "training loss"))
_ = report.save_figure(fig, "06-ae-fruits-loss")

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the rules are in `colorization/study/claims.py`.

# %%
_ = claims.show(profile, "06-autoencoder-fruits")
