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
# `reports/figures/06-autoencoder-fruits.png` (Fig. 6),
# `reports/figures/06-autoencoder-fruits-small.png`,
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

from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("06-autoencoder-fruits")
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
# ## Prepare the data
#
# The ~6M autoencoder trains on the same 800 fruit photos as the CNNs of notebooks 03 and 04,
# with the same batches, so the comparison of notebook 08 is fair. Seed 0's pipeline:

# %%
# NBVAL_IGNORE_OUTPUT
autoencoder = experiments.prepare(names["~6M autoencoder"], profile, seed=0)
_ = notebook.show_batch(autoencoder)

# %% [markdown]
# ## Build the model
#
# `registry.build_colorizer("autoencoder", image_size)`: the encoder-decoder above, whose
# tanh output is ab normalised to [-1, 1] (the `Colorizer` computes that target from the
# photo inside the graph):

# %%
# NBVAL_IGNORE_OUTPUT
autoencoder.model.network.summary(line_length=92)

# %% [markdown]
# ## Compile
#
# The same protocol as the fruit CNN: Adam at 3e-3 decayed by a cosine to 0, MSE on the
# normalised ab.

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(autoencoder)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks; then both autoencoders, every seed.

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.fit(autoencoder)
runs = compare.train_all(names, profile)

# %% [markdown]
# ## Look at the predictions: Fig. 6, the ~6M autoencoder, test images by epoch (seed 0)

# %%
fig = figures.epoch_grid(runs["~6M autoencoder"][0], "test", title=experiments.caption(
    "ae-fruits-mse", profile, "~6M autoencoder on fruits (MSE): test images by epoch"))
_ = report.save_figure(fig, nb.figure())

# %% [markdown]
# ## The ~1M autoencoder, by epoch (seed 0)

# %%
fig = figures.epoch_grid(runs["~1M autoencoder"][0], "test", title=experiments.caption(
    "ae-small-fruits-mse", profile, "~1M autoencoder on fruits (MSE): test images by epoch"))
_ = report.save_figure(fig, nb.figure("small"))

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
_ = compare.report_metrics(names, profile, keys=(
    "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error", "class_hue_error", "class_hue_error_max",
    "spread_ratio", "chroma_ratio", "psnr", "psnr_gray"))

# %%
fig = figures.loss_curves(runs, title=experiments.caption(
    "ae-fruits-mse", profile, "training loss"))
_ = report.save_figure(fig, nb.figure("loss"))

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
