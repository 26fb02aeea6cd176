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
# # 05 · The CNN on animals: ~1M vs ~3.5M parameters
#
# **Reproduces:** Section 5.1, animals: the ~1M fruit CNN "can not achieve any relevant
# results [...] Output images are desaturated"; with some removed layers put back (~3.5M) "at
# the beginning, the network can't distinguish different objects, so it applies to every
# image the same ab values. After 50 / 60 iterations it starts to produce relevant results."
#
# **Writes:** runs `cnn-small-animals-mse` and `cnn-animals-mse`,
# `reports/figures/05-cnn-animals*.png`, rows of `reports/results.json`.
#
# "The same ab values for every image" is measurable: the spread, across images, of each
# image's mean predicted (a, b), divided by the same spread of the true colours
# (`spread_ratio` in `colorization.metrics`): 0 when the network gives every image the same
# colour, 1 when its images differ as much as the truth's.

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

from colorization import claims, compare, experiments, figures, models, registry, report

names = {"~1M CNN": "cnn-small-animals-mse", "~3.5M CNN": "cnn-animals-mse"}
for name in names.values():
    print(experiments.describe(name, profile))

# %%
# NBVAL_CHECK_OUTPUT
for model in ("zhang_fruits", "zhang_animals"):
    print(f"{model}: {models.count_trainable(registry.build_model(model)):,d} trainable parameters")

# %%
# NBVAL_IGNORE_OUTPUT
runs = {label: experiments.run(name, profile) for label, name in names.items()}

# %% [markdown]
# ## Epoch by epoch, test images

# %%
for label, run in runs.items():
    fig = figures.epoch_grid(run, "test", title=f"{label} on animals (MSE): test images")
    _ = report.save_figure(fig, f"05-{names[label]}")

# %% [markdown]
# ## Does the network tell images apart?
#
# The spread ratio of the snapshot test images at every snapshot epoch, with their ab error
# (and the gray baseline's) and chroma ratio:

# %%
print(compare.by_epoch(runs, keys=("spread_ratio", "ab_mae", "ab_mae_gray", "chroma_ratio")))

# %% [markdown]
# ## Numbers

# %%
_ = experiments.report_metrics(names, profile)

# %%
fig = figures.loss_curves(runs)
_ = report.save_figure(fig, "05-cnn-animals-loss")

# %% [markdown]
# **Paper vs this run.** The paper's claim has two parts: the small CNN stays desaturated
# (chroma ratio well below 1) and the larger one eventually separates images (spread ratio
# rising towards 1). The table and the spread per epoch above test both. The first output of
# this notebook says which animals were used and the experiment records above how many
# epochs were trained; the paper saw results after 50-60 epochs, and the `paper` profile
# trains 150.

# %% [markdown]
# ## The paper's claims, decided by this run
#
# Each claim of the paper that this notebook's experiments test: what the paper says, the
# rule that decides it, what this run measured and the verdict (*reproduced*, *not
# reproduced*, or *not testable* at this profile's scale, with the reason). The rules are
# in `colorization/claims.py`.

# %%
_ = claims.show(profile, "05-cnn-animals")
