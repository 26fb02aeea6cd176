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
# # 10 · Beyond the paper: Zhang's classification loss
#
# **Reproduces:** nothing of the paper, which names Zhang et al.'s rebalanced classification
# loss but trains every network as a regressor. Here the ~1M CNN's trunk predicts a
# distribution over quantised ab instead of one ab, trained with Zhang's loss, and we
# measure what that does to the desaturation the regressors show.
#
# **Writes:** the runs of `zhang-class-fruits` and `zhang-class-animals`,
# `reports/figures/10-zhang-classification-ab-bins.png` (the bins and our prior),
# `10-zhang-classification-vs-mse-<data>.png`, `10-zhang-classification-temperature.png`
# (chroma ratio and CIEDE2000 against T), rows of `reports/results.json`.
#
# The method, in `colorization.core.quantize` and `colorization.nets.classification`:
#
# - **bins**: ab on a grid of 10, keeping the cells that some 8-bit sRGB colour reaches
#   (every one of the 16.7M colours converted and rounded: Q = 261; Zhang's 313 came from
#   his own, wider gamut estimate);
# - **soft targets**: each true ab spread over its 5 nearest bins, Gaussian with sigma 5;
# - **rebalancing**: pixel weights `w ∝ ((1-λ) p + λ/Q)^-1`, λ = 0.5, with `p` the empirical
#   prior of *our* training set (computed once per dataset and cached), `Σ p·w = 1`;
# - **decoding**: the annealed mean, `softmax(logits / T)` averaged over the bin centres,
#   T = 0.38 (T -> 0: the mode, T = 1: the mean).
#
# The classification runs are one seed each outside the `paper` profile (no claim of the
# paper reads them); their MSE baselines are notebooks 03 and 05's runs, with their seeds. The
# scale of each is printed with its numbers: they differ.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"
# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

import matplotlib.pyplot as plt
import numpy as np

from colorization.core import color, quantize
from colorization.runs.evaluate import evaluate_model, load_eval_images
from colorization.study import catalog, claims, compare, experiments, report

nb = catalog.get("10-zhang-classification")
names = {"fruits": "zhang-class-fruits", "animals": "zhang-class-animals"}
baselines = {"fruits": "cnn-fruits-mse", "animals": "cnn-animals-mse"}  # MSE regressors

# %% [markdown]
# ## The experiments and the network

# %%
for name in [*names.values(), *baselines.values()]:
    print(experiments.describe(name, profile))

# %%
# NBVAL_CHECK_OUTPUT
centres = quantize.ab_bins()
print(f"Q = {quantize.n_bins()} bins; a in [{centres[:, 0].min():.0f}, "
      f"{centres[:, 0].max():.0f}], b in [{centres[:, 1].min():.0f}, {centres[:, 1].max():.0f}]")
print(notebook.network_summary("zhang_classification"))

# %% [markdown]
# ## Prepare the data
#
# The same fruit photos and pipeline as the regressors (fewer of them in the quick profile):
# the target is still the photo's ab, which the model quantises into soft bin targets
# inside the graph. Seed 0 of the fruit experiment:

# %%
# NBVAL_IGNORE_OUTPUT
classifier = experiments.prepare(names["fruits"], profile, seed=0)
_ = notebook.show_batch(classifier)

# %% [markdown]
# ## Build the model
#
# `registry.build_colorizer("zhang_classification", image_size)`: the ~1M CNN's trunk ending
# in Q logits per pixel; `model.temperature` sets the annealed-mean decoding:

# %%
# NBVAL_IGNORE_OUTPUT
classifier.model.network.summary(line_length=96)
print(f"decoding temperature: {classifier.model.temperature}")

# %% [markdown]
# ## Compile
#
# Adam with a cosine-decayed learning rate. The loss is the model's own `compute_loss`: the
# cross-entropy of the logits against the soft targets, each pixel weighted by the rebalancing
# weight of its true bin (λ = 0.5 and the prior of this training set, drawn below).

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(classifier)
print(f"rebalance_lambda: {classifier.config.rebalance_lambda}")

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks; then both datasets, and the MSE regressors they are
# compared with (notebooks 03 and 05's runs, reused when finished).

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.fit(classifier)
runs = {data: experiments.run_all(name, profile) for data, name in names.items()}
mse_runs = {data: experiments.run_all(name, profile) for data, name in baselines.items()}

# %% [markdown]
# Each bin drawn in its colour (at L = 60), and the empirical prior of the fruit training
# set that the rebalancing weights come from (cached under `data/priors/`). Where a few
# greyish bins hold most pixels, an unweighted loss is pulled towards grey; the line under
# the figure says how much the most frequent bin holds here.

# %%
cfg = runs["fruits"][0].config
train_set = load_eval_images(cfg.data, split="train", image_size=cfg.image_size,
                             max_images=cfg.max_images)
prior = quantize.cached_prior(train_set.images, train_set.dataset)
weights = quantize.rebalancing_weights(prior)
swatch = color.to_numpy(color.lab_to_rgb(np.concatenate(
    [np.full((len(centres), 1), 60.0, np.float32), centres], axis=-1)))
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
axes[0].scatter(centres[:, 1], centres[:, 0], c=swatch, marker="s", s=40)
axes[0].set_title(f"the {len(centres)} in-gamut ab bins", fontsize=10)
im = axes[1].scatter(centres[:, 1], centres[:, 0], c=np.log10(prior + 1e-8), marker="s", s=40,
                     cmap="viridis")
fig.colorbar(im, ax=axes[1], label="log10 prior")
axes[1].set_title(f"empirical prior, {train_set.dataset} training images", fontsize=10)
for ax in axes:
    ax.set_xlabel("b")
    ax.set_ylabel("a")
    ax.set_aspect("equal")
fig.tight_layout()
_ = report.save_figure(fig, nb.figure("ab-bins"))
print(f"prior: the most frequent bin holds {prior.max():.2f} of the pixels; "
      f"weights from {weights.min():.2f} to {weights.max():.2f}, "
      f"prior-weighted mean {np.sum(prior * weights):.3f}")

# %% [markdown]
# ## Look at the predictions: classification vs MSE regression (seed 0)

# %%
results = compare.against_baseline(runs, mse_runs, names, baselines, profile,
                                   f"{nb.name}-vs-mse", labels=("MSE regression", "classification"),
                                   title="{data}: MSE regression vs Zhang's classification")

# %% [markdown]
# What the table says, computed from it: for each dataset, whether the classifier's colours
# are more or less saturated than the regressor's, and whether it beats the gray baseline.

# %%
for line in compare.beside_baseline(results, names, baselines, "classification"):
    print(line)

# %% [markdown]
# ## The temperature: from the mean to the mode
#
# The same trained model (seed 0) decoded at several T (`model.temperature`): T = 1 is the
# distribution's mean, greyish where the network is unsure; T -> 0 its mode, vivid but prone
# to patches of the wrong colour. Zhang chose 0.38 between the two.

# %%
temperatures = [0.01, 0.1, 0.2, 0.38, 0.6, 1.0]
sweep = {}
for data, seeds in runs.items():
    model = seeds[0].model()
    test = load_eval_images(seeds[0].config.data, image_size=seeds[0].config.image_size,
                            max_images=experiments.SCALE[profile]["eval_images"])
    for t in temperatures:
        model.temperature = t
        sweep[(data, t)] = evaluate_model(model, test.images, labels=test.labels)
print(report.format_table({f"{data} T={t}": m for (data, t), m in sweep.items()},
                          keys=("ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error", "chroma_ratio",
                                "psnr")))

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for data in names:
    axes[0].plot(temperatures, [sweep[(data, t)]["chroma_ratio"] for t in temperatures],
                 marker="o", label=data)
    axes[1].plot(temperatures, [sweep[(data, t)]["ciede2000"] for t in temperatures],
                 marker="o", label=data)
axes[0].axhline(1.0, color="gray", lw=0.8, ls="--")
axes[0].set_ylabel("chroma ratio (1 = as saturated as truth)")
axes[1].set_ylabel("CIEDE2000")
for ax in axes:
    ax.axvline(quantize.TEMPERATURE, color="tab:red", lw=0.8, ls=":")
    ax.set_xlabel("temperature T")
    ax.legend(fontsize=8)
fig.suptitle(experiments.caption("zhang-class-fruits", profile,
                                 "annealed-mean decoding: T -> 0 the mode, T = 1 the mean"),
             fontsize=9)
fig.tight_layout()
_ = report.save_figure(fig, nb.figure("temperature"))

# %% [markdown]
# **What the classification loss is meant to do.** An MSE regressor predicts the conditional
# mean of ab, which for an ambiguous object is greyish. Rebalancing weighs a pixel of a rare,
# saturated bin more than one of a frequent grey bin (the weights' range is printed under the
# bins figure); until the network has learned where grey belongs, that can also paint grey
# areas in colour. Zhang trained for 450K iterations on ImageNet; the scale above says how far
# this run is from that. The computed lines above say where this run lands.

# %% [markdown]
# ## The paper's claims
#
# The paper makes no claim about the classification loss (it trains regressors only), so no
# claim is decided here; the line below says so. Notebook 12 gathers every claim.

# %%
_ = claims.show(profile, nb.name)
