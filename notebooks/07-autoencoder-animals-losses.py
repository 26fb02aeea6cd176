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
# # 07 · The autoencoder on animals: SmoothL1 vs MSE
#
# **Reproduces:** Section 5.2, animals, and Figure 8 (after 150 epochs). The paper: "using
# the L1Smooth loss, the color is less desaturated, but there are some gray stains. On the
# other hand the MSE tends to desaturate the image, but the stain are almost absent."
#
# **Writes:** the runs of `ae-animals-mse` and `ae-animals-smoothl1`,
# `reports/figures/07-autoencoder-animals-losses.png`, rows of `reports/results.json`.
#
# **Units.** The autoencoder's targets are ab / 128 in [-1, 1]; PyTorch's SmoothL1 threshold
# beta = 1 is then 128 ab units: only errors larger than 128 ab units (rare: the sRGB gamut
# spans about -108..98) reach the linear part, so here SmoothL1 is nearly 0.5 x MSE.
# "Less desaturated" becomes a chroma ratio; "gray stains" the share of the truly coloured
# pixels (true chroma >= 15) that the prediction leaves gray (chroma < 5, and under a quarter
# of the image's typical predicted chroma) while the rest of the image is coloured:
# `gray_stain` in `colorization.core.metrics`.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import catalog, claims, compare, experiments, report

nb = catalog.get("07-autoencoder-animals-losses")
names = {"SmoothL1": "ae-animals-smoothl1", "MSE": "ae-animals-mse"}

# %% [markdown]
# ## The experiments

# %%
for name in names.values():
    print(experiments.describe(name, profile))

# %% [markdown]
# ## Prepare the data
#
# Every pet photo of the training split, the same batches for both losses, seed for seed.
# The SmoothL1 run's pipeline, seed 0:

# %%
# NBVAL_IGNORE_OUTPUT
smooth = experiments.prepare(names["SmoothL1"], profile, seed=0)
_ = notebook.show_batch(smooth)

# %% [markdown]
# ## Build the model
#
# The ~6M autoencoder of notebook 06 (`autoencoder`), here built for the pet photos:

# %%
# NBVAL_IGNORE_OUTPUT
smooth.model.network.summary(line_length=88)

# %% [markdown]
# ## Compile
#
# `smooth_l1` with PyTorch's threshold, beta = 1 in the normalised units (128 ab units here),
# with Adam and its cosine-decayed learning rate:

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(smooth)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks; then both losses, every seed.

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.fit(smooth)
runs = compare.train_all(names, profile)

# %% [markdown]
# ## Look at the predictions: Fig. 8, SmoothL1 and MSE side by side at the last epoch, then the numbers

# %%
results = compare.loss_comparison(runs, names, profile, nb.figure(),
                                  title="autoencoder on animals: SmoothL1 vs MSE (seed 0)")

# %% [markdown]
# ## Saturation and stains (test set, mean ± standard deviation over the seeds)

# %%
print(report.format_spread_table(results, keys=("chroma_ratio", "gray_stain", "ciede2000",
                                                "ciede2000_gray", "hue_error")))

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
