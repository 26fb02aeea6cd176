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
# # 02 · The full Zhang network on fruits
#
# **Reproduces:** Section 5.1, first paragraph: "we train the original network by Zhang on our
# fruit dataset. Even if we are able to colorize test images correctly, the computational time
# is extremely slow [...] this network has around 32M parameters."
#
# **Writes:** the run `runs/<profile>/zhang-full-fruits/`,
# `reports/figures/02-zhang-full-fruits.png`, a row of `reports/results.json`.
#
# The network is Zhang, Isola & Efros' ECCV16 colouriser (conv1-conv8, BatchNorm, dilated
# conv5-6, no pooling) used as a *regressor*: its 313-class head is replaced by a 2-channel
# sigmoid head predicting normalised ab, as the paper did.

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

from colorization import claims, experiments, figures, models, registry, report

name = "zhang-full-fruits"
print(experiments.describe(name, profile))

# %% [markdown]
# ## The network

# %%
# NBVAL_CHECK_OUTPUT
net = registry.build_model("zhang_full")
print(f"trainable parameters: {models.count_trainable(net):,d} "
      f"(paper: ~{registry.PAPER_PARAMS['zhang_full']:,d}; official conv weights and biases "
      "with the 313-class head: 32,230,393)")

# %% [markdown]
# ## Train
#
# A finished run is reused; an interrupted one resumes from its last completed epoch.

# %%
# NBVAL_IGNORE_OUTPUT
run = experiments.run(name, profile)

# %% [markdown]
# ## Test images, epoch by epoch

# %%
fig = figures.epoch_grid(run, "test", title="Zhang full (32M) on fruits: test images")
_ = report.save_figure(fig, "02-zhang-full-fruits")

# %% [markdown]
# ## Numbers
#
# Metrics on the held-out test images, beside the gray baseline (a = b = 0): PSNR in dB on
# RGB, ab error in ab units, chroma ratio = predicted chroma / true chroma (1: as saturated as
# the truth, 0: gray), AuC in percent.

# %%
_ = experiments.report_metrics({name: name}, profile)

# %% [markdown]
# "Computationally slow": the training rate of this run, next to the ~1M CNN of notebook 03
# (same machine and image size; varies with the machine, so not checked by CI):

# %%
# NBVAL_IGNORE_OUTPUT
rate = run.history()[-1]["images_per_second"]
print(f"zhang_full: {rate:,.0f} training images/s on this machine ({run.status['backend']})")

# %%
fig = figures.loss_curves({"zhang_full, mse": run})
_ = report.save_figure(fig, "02-zhang-full-fruits-loss")

# %% [markdown]
# **Paper vs this run.** The paper says the 32M network colours fruit test images correctly
# but slowly, and moves on to a ~1M network for fruits. The table above says whether this
# run colours (ab error against the gray baseline) and how saturated it is; the rate shows
# the cost. The claims below compare it with the ~1M CNN of notebook 03 (its run is trained
# there, or here if notebook 03 has not run yet).

# %% [markdown]
# ## The paper's claims, decided by this run
#
# Each claim of the paper that this notebook's experiments test: what the paper says, the
# rule that decides it, what this run measured and the verdict (*reproduced*, *not
# reproduced*, or *not testable* at this profile's scale, with the reason). The rules are
# in `colorization/claims.py`.

# %%
_ = claims.show(profile, "02-zhang-full-fruits")
