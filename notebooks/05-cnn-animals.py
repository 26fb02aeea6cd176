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
# **Writes:** the runs of `cnn-small-animals-mse` and `cnn-animals-mse`,
# `reports/figures/05-cnn-*.png`, rows of `reports/results.json`.
#
# "The same ab values for every image" is measurable: the spread, across images, of each
# image's mean predicted (a, b), divided by the same spread of the true colours
# (`spread_ratio` in `colorization.core.metrics`): 0 when the network gives every image the
# same colour, 1 when its images differ as much as the truth's. Without the Kaggle data, the
# animals are the embedded Oxford-IIIT Pet sample (real photos of cats and dogs); the epoch
# counts and optimizer steps below say how far this is from the paper's 150 epochs on 11,000
# images.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("05-cnn-animals")
names = {"~1M CNN": "cnn-small-animals-mse", "~3.5M CNN": "cnn-animals-mse"}

# %% [markdown]
# ## The experiments and the networks

# %%
for name in names.values():
    print(experiments.describe(name, profile))

# %%
# NBVAL_CHECK_OUTPUT
for model in ("zhang_fruits", "zhang_animals"):
    print(notebook.network_summary(model))

# %% [markdown]
# ## Prepare the data
#
# The pet photos (cats and dogs with their real backgrounds), every training image, in
# batches that the pipeline shuffles with the seed. The pipeline of the ~3.5M CNN, seed 0:

# %%
# NBVAL_IGNORE_OUTPUT
animals = experiments.prepare(names["~3.5M CNN"], profile, seed=0)
_ = notebook.show_batch(animals)

# %% [markdown]
# ## Build the model
#
# `zhang_animals`: the fruit CNN with more filters (~3.5M parameters), at this profile's
# image size:

# %%
# NBVAL_IGNORE_OUTPUT
animals.model.network.summary(line_length=95)

# %% [markdown]
# ## Compile
#
# Adam with its cosine-decayed learning rate, and MSE on the normalised ab:

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(animals)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks for this seed; then both networks, every seed, the
# same way (finished runs are reused, interrupted ones resume).

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.fit(animals)
runs = compare.train_all(names, profile)

# %% [markdown]
# ## Look at the predictions: test images, epoch by epoch (seed 0)

# %%
for (label, name), part in zip(names.items(), ("small", "")):
    fig = figures.epoch_grid(runs[label][0], "test", title=experiments.caption(
        name, profile, f"{label} on animals (MSE): test images by epoch"))
    _ = report.save_figure(fig, nb.figure(part))

# %% [markdown]
# ## Does the network tell images apart?
#
# On the 8 snapshot test images (the same for every seed), at every snapshot epoch: the spread
# of the per-image colour over the truth's, CIEDE2000 (and the gray baseline's), the hue error
# and the chroma ratio, mean ± standard deviation over the seeds:

# %%
print(compare.by_epoch(runs, keys=("spread_ratio", "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error",
                                   "chroma_ratio")))

# %% [markdown]
# ## Numbers (test set)

# %%
_ = compare.report_metrics(names, profile)

# %%
fig = figures.loss_curves(runs, title=experiments.caption(
    "cnn-animals-mse", profile, "training loss"))
_ = report.save_figure(fig, nb.figure("loss"))

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
