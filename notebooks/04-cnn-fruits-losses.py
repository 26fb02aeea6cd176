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
# # 04 · SmoothL1 vs MSE for the fruit CNN
#
# **Reproduces:** Section 5.1, Figure 3: the ~1M CNN trained with `SmoothL1Loss` beside the
# one trained with `MSELoss`. The paper: "Outputs are similar, SmoothL1Loss seems to make less
# confusion when we have an objects that can assume different color, whereas MSE colors seem
# to be more saturated."
#
# **Writes:** the runs of `cnn-fruits-smoothl1` and `cnn-fruits-smoothl1-ab10` (the MSE runs
# are notebook 03's, reused), `reports/figures/04-cnn-fruits-losses.png`, rows of
# `reports/results.json`.
#
# **The threshold's units decide everything.** PyTorch's `SmoothL1Loss` (which the paper
# used) is, per element with x = prediction - target and threshold beta,
#
# $$\mathrm{SmoothL1}_\beta(x) = \begin{cases} 0.5\,x^2/\beta & |x| < \beta \\
#   |x| - 0.5\,\beta & \text{otherwise} \end{cases}$$
#
# with beta = 1 by default, in the units of its inputs. The CNN's targets are ab normalised to
# [0, 1] and its outputs come from a sigmoid, so |x| < 1 for every pixel: SmoothL1 with
# beta = 1 is *exactly* 0.5 x MSE, and its gradient exactly half of MSE's. Adam's step is
# m / (sqrt(v) + eps) with m and v running means of the gradient and its square; halving every
# gradient halves m and quarters v, so the step is unchanged (up to eps = 1e-7). **The paper's
# two CNN runs optimise the same objective**: any difference between them is seed noise, and
# its three claims about them are settled *by construction* (never counted as reproduced). For
# the autoencoder's [-1, 1] targets errors can reach 2, and notebook 07 measures the share of
# errors below 1.
#
# The comparison that can show whether the loss matters puts the threshold in ab units:
# `cnn-fruits-smoothl1-ab10` (10 ab units = 0.039 normalised), where errors beyond 10 ab units
# are penalised linearly. It runs with the same seeds, and three claims beyond the paper ask
# the paper's questions of it.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import catalog, claims, compare, experiments

nb = catalog.get("04-cnn-fruits-losses")
names = {"MSE": "cnn-fruits-mse", "SmoothL1 (beta 1, normalised)": "cnn-fruits-smoothl1",
         "SmoothL1 (beta 10 ab)": "cnn-fruits-smoothl1-ab10"}

# %% [markdown]
# The identity, checked on random targets and predictions in [0, 1]:

# %%
import numpy as np

from colorization.core import losses

rng = np.random.default_rng(0)
target, prediction = (rng.uniform(0, 1, (4, 8, 8, 2)).astype("float32") for _ in range(2))
smooth = float(losses.get_loss("smooth_l1")(target, prediction))
half_mse = 0.5 * float(losses.get_loss("mse")(target, prediction))
print(f"SmoothL1 (beta 1) {smooth:.8f}, 0.5 x MSE {half_mse:.8f}: "
      f"{'equal' if np.isclose(smooth, half_mse, rtol=1e-6) else 'different'}")

# %% [markdown]
# ## The experiments

# %%
for name in names.values():
    print(experiments.describe(name, profile))

# %% [markdown]
# ## Prepare the data
#
# The three experiments differ only in their loss: the same photos, the same pipeline and,
# seed for seed, the same batches in the same order. Here is the pipeline of the SmoothL1 run
# with its threshold at 10 ab units, seed 0:

# %%
# NBVAL_IGNORE_OUTPUT
ab10 = experiments.prepare(names["SmoothL1 (beta 10 ab)"], profile, seed=0)
_ = notebook.show_batch(ab10, n=4)

# %% [markdown]
# ## Build the model
#
# The ~1M CNN of notebook 03 (`zhang_fruits`), the same for the three losses:

# %%
# NBVAL_IGNORE_OUTPUT
ab10.model.network.summary(line_length=90)

# %% [markdown]
# ## Compile
#
# Only the loss changes: `smooth_l1_ab` with `delta=10.0` puts the threshold at 10 ab units
# (10 / 256 = 0.039 in the normalised units the sigmoid outputs), with the same Adam and cosine
# schedule as MSE:

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(ab10)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks for this seed, then every seed of the three losses
# (`compare.train_all`: the MSE runs are notebook 03's, reused when they are finished).

# %%
# NBVAL_IGNORE_OUTPUT
print(f"{names['SmoothL1 (beta 10 ab)']}, seed 0:")
_ = notebook.fit(ab10)
runs = compare.train_all(names, profile)

# %% [markdown]
# ## Look at the predictions: Fig. 3, the same test images under each loss, then the numbers
#
# `compare.loss_comparison` draws the snapshot test images of seed 0 of every experiment at
# its last epoch, prints the test metrics of every seed (mean ± standard deviation) beside the
# gray baseline and plots the training losses of every seed.

# %%
_ = compare.loss_comparison(runs, names, profile, nb.figure(),
                            title="fruit CNN: the three losses at the last epoch (seed 0)")

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
