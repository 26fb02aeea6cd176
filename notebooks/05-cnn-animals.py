# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · The CNN on animals: ~1M fails, ~3.5M learns
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
# image's mean predicted (a, b). A network that ignores its input has spread 0; the truth's
# spread is printed beside it.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
from colorization import runtime

# Quiets TensorFlow and prints the profile. Each experiment's full record (paper figure,
# model, data, loss, every hyper-parameter per profile): colorization/experiments.py, or
# `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

import numpy as np

from colorization import color, experiments, figures, models, registry, report

names = {"~1M CNN": "cnn-small-animals-mse", "~3.5M CNN": "cnn-animals-mse"}
for name in names.values():
    print(experiments.describe(name, profile))
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
# Spread across the snapshot's test images of each image's mean predicted a and b, per epoch
# (ab units), against the same spread for the true colours:

# %%
for label, run in runs.items():
    inputs = run.snapshot_inputs()["test"]
    true_ab = color.to_numpy(color.rgb_uint8_to_lab(inputs))[..., 1:]
    print(f"{label}: truth spread {np.std(true_ab.mean(axis=(1, 2)), axis=0).mean():.2f}")
    for epoch in run.snapshot_epochs():
        ab = run.snapshot(epoch)["test"]
        print(f"  epoch {epoch:3d}: prediction spread {np.std(ab.mean(axis=(1, 2)), axis=0).mean():.2f}")

# %% [markdown]
# ## Numbers

# %%
_ = experiments.report_metrics(names, profile)

# %%
fig = figures.loss_curves(runs)
_ = report.save_figure(fig, "05-cnn-animals-loss")

# %% [markdown]
# **Paper vs this run.** The paper's claim has two parts: the small CNN stays desaturated
# (chroma ratio well below 1) and the larger one eventually separates images (prediction
# spread rising towards the truth's). The table and the spread per epoch above test both. In
# the `quick` profile the animals are the embedded synthetic scenes and training is a few
# epochs, far from the paper's 50-60; the `paper` profile trains 150.
