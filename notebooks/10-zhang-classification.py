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
# **Writes:** the runs `runs/<profile>/zhang-class-fruits/` and `zhang-class-animals/`,
# `reports/figures/10-ab-bins.png` (the bins and our prior), `10-class-vs-mse.png`,
# `10-temperature.png` (chroma ratio and ab error against T), rows of `reports/results.json`.
#
# The method, in `colorization.quantize` and `colorization.classification`:
#
# - **bins**: ab on a grid of 10, keeping the cells that some 8-bit sRGB colour reaches
#   (every one of the 16.7M colours converted and rounded: Q = 261; Zhang's 313 came from
#   his own, wider gamut estimate);
# - **soft targets**: each true ab spread over its 5 nearest bins, Gaussian with sigma 5;
# - **rebalancing**: pixel weights `w ∝ ((1-λ) p + λ/Q)^-1`, λ = 0.5, with `p` the empirical
#   prior of *our* training set (computed once per dataset and cached), `Σ p·w = 1`;
# - **decoding**: the annealed mean, `softmax(logits / T)` averaged over the bin centres,
#   T = 0.38 (T -> 0: the mode, T = 1: the mean).

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

import matplotlib.pyplot as plt
import numpy as np

from colorization import claims, color, compare, experiments, models, quantize, registry, report
from colorization.evaluate import evaluate_model, load_eval_images

names = {"fruits": "zhang-class-fruits", "animals": "zhang-class-animals"}
baselines = {"fruits": "cnn-fruits-mse", "animals": "cnn-animals-mse"}  # MSE regressors
for name in [*names.values(), *baselines.values()]:
    print(experiments.describe(name, profile))

# %% [markdown]
# ## The bins: Q computed from the sRGB gamut

# %%
# NBVAL_CHECK_OUTPUT
centres = quantize.ab_bins()
print(f"Q = {quantize.n_bins()} bins; a in [{centres[:, 0].min():.0f}, "
      f"{centres[:, 0].max():.0f}], b in [{centres[:, 1].min():.0f}, {centres[:, 1].max():.0f}]")
net = registry.build_model("zhang_classification")
print(f"zhang_classification: {models.count_trainable(net):,d} trainable parameters "
      f"(zhang_fruits' trunk, 1x1 conv to {quantize.n_bins()} logits)")

# %% [markdown]
# ## Train

# %%
# NBVAL_IGNORE_OUTPUT
runs = {data: experiments.run(name, profile) for data, name in names.items()}
mse_runs = {data: experiments.run(name, profile) for data, name in baselines.items()}

# %% [markdown]
# Each bin drawn in its colour (at L = 60), and the empirical prior of the fruit training
# set that the rebalancing weights come from (cached under `data/priors/`). Where a few
# greyish bins hold most pixels, an unweighted loss is pulled towards grey; the line under
# the figure says how much the most frequent bin holds here.

# %%
cfg = runs["fruits"].config
train_images = load_eval_images(cfg.data, split="train", image_size=cfg.image_size,
                                max_images=cfg.max_images)
prior = quantize.cached_prior(train_images, cfg.data)
weights = quantize.rebalancing_weights(prior)
swatch = color.to_numpy(color.lab_to_rgb(np.concatenate(
    [np.full((len(centres), 1), 60.0, np.float32), centres], axis=-1)))
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
axes[0].scatter(centres[:, 1], centres[:, 0], c=swatch, marker="s", s=40)
axes[0].set_title(f"the {len(centres)} in-gamut ab bins", fontsize=10)
im = axes[1].scatter(centres[:, 1], centres[:, 0], c=np.log10(prior + 1e-8), marker="s", s=40,
                     cmap="viridis")
fig.colorbar(im, ax=axes[1], label="log10 prior")
axes[1].set_title("empirical prior, fruit training set", fontsize=10)
for ax in axes:
    ax.set_xlabel("b")
    ax.set_ylabel("a")
    ax.set_aspect("equal")
fig.tight_layout()
_ = report.save_figure(fig, "10-ab-bins")
print(f"prior: the most frequent bin holds {prior.max():.2f} of the pixels; "
      f"weights from {weights.min():.2f} to {weights.max():.2f}, "
      f"prior-weighted mean {np.sum(prior * weights):.3f}")

# %% [markdown]
# ## Classification vs MSE regression, last epoch, then the numbers

# %%
_ = compare.against_baseline(runs, mse_runs, names, baselines, profile, "10-class-vs-mse",
                             labels=("MSE regression", "classification"),
                             title="{data}: MSE regression vs Zhang's classification")

# %% [markdown]
# ## The temperature: from the mean to the mode
#
# The same trained fruit model decoded at several T (`model.temperature`): T = 1 is the
# distribution's mean, greyish where the network is unsure; T -> 0 its mode, vivid but
# prone to patches of the wrong colour. Zhang chose 0.38 between the two.

# %%
temperatures = [0.01, 0.1, 0.2, 0.38, 0.6, 1.0]
sweep = {}
for data, run in runs.items():
    model = run.model()
    test = load_eval_images(run.config.data, image_size=run.config.image_size,
                            max_images=experiments.SCALE[profile]["eval_images"])
    for t in temperatures:
        model.temperature = t
        sweep[(data, t)] = evaluate_model(model, test)
print(report.format_table({f"{data} T={t}": m for (data, t), m in sweep.items()},
                          keys=("ab_mae", "ab_mae_gray", "chroma_ratio", "psnr", "auc")))

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for data in names:
    axes[0].plot(temperatures, [sweep[(data, t)]["chroma_ratio"] for t in temperatures],
                 marker="o", label=data)
    axes[1].plot(temperatures, [sweep[(data, t)]["ab_mae"] for t in temperatures],
                 marker="o", label=data)
axes[0].axhline(1.0, color="gray", lw=0.8, ls="--")
axes[0].set_ylabel("chroma ratio (1 = as saturated as truth)")
axes[1].set_ylabel("ab MAE")
for ax in axes:
    ax.axvline(quantize.TEMPERATURE, color="tab:red", lw=0.8, ls=":")
    ax.set_xlabel("temperature T")
    ax.legend(fontsize=8)
fig.suptitle("annealed-mean decoding: T -> 0 the mode, T = 1 the mean", fontsize=10)
fig.tight_layout()
_ = report.save_figure(fig, "10-temperature")

# %% [markdown]
# **What the classification loss does.** An MSE regressor predicts the conditional mean of
# ab, which for an ambiguous object is greyish, so its chroma ratio tends to sit below 1.
# Rebalancing pushes the other way: it weighs a pixel of a rare, saturated bin more than one
# of a frequent grey bin (the weights' range is printed under the bins figure). Until the
# network has learned where grey belongs, that can paint grey areas (the white background of
# the fruits, the grey of clouds) in colour: a chroma ratio above 1 with an ab error above
# the gray baseline's. Zhang trained for 450K iterations on ImageNet. The table above says
# where this run lands, and the sweep measures the decoding trade-off between T -> 0 (the
# most probable bin) and T = 1 (the mean).

# %% [markdown]
# ## The paper's claims
#
# The paper makes no claim about the classification loss (it trains regressors only), so no
# claim is decided here; the line below says so. Notebook 12 gathers every claim.

# %%
_ = claims.show(profile, "10-zhang-classification")
