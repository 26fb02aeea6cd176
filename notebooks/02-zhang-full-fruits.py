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
# **Writes:** the runs `runs/<profile>/zhang-full-fruits/seed*/`,
# `reports/figures/02-zhang-full-fruits.png`, a row of `reports/results.json`.
#
# The network is Zhang, Isola & Efros' ECCV16 colouriser (conv1-conv8, BatchNorm, dilated
# conv5-6, no pooling) used as a *regressor*: its 313-class head is replaced by a 2-channel
# sigmoid head predicting normalised ab, as the paper did.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("02-zhang-full-fruits")
name = "zhang-full-fruits"

# %% [markdown]
# ## The experiment
#
# Everything this notebook trains with: the network, the data (real or generated), the loss,
# the optimiser and its schedule, the batch, the images, the epochs and optimizer steps, the
# seeds. The claims below also read the ~1M CNN of notebook 03 (trained there, or here if
# notebook 03 has not run yet).

# %%
print(experiments.describe(name, profile))

# %%
# NBVAL_CHECK_OUTPUT
print(notebook.network_summary("zhang_full"))
print("official conv weights and biases with the 313-class head: 32,230,393")

# %% [markdown]
# ## Prepare the data
#
# The same fruit photos as the ~1M CNN of notebook 03, fewer of them in the quick profile
# (this network costs 33 times the multiply-adds). The pipeline yields uint8 RGB; the model
# computes L and ab on the device.

# %%
# NBVAL_IGNORE_OUTPUT
full = experiments.prepare(name, profile, seed=0)
_ = notebook.show_batch(full, n=4)

# %% [markdown]
# ## Build the model
#
# Zhang's conv1-conv8 with a 2-channel sigmoid head, built at this profile's image size by
# `registry.build_colorizer("zhang_full", image_size)`:

# %%
# NBVAL_IGNORE_OUTPUT
full.model.network.summary(line_length=100)

# %% [markdown]
# ## Compile
#
# Adam and the mean squared error on the normalised ab, the learning rate decayed by a cosine
# to 0 over the run:

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(full)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks (NaN guard, timing, snapshots, an atomic commit of
# weights and history every epoch: an interrupted run resumes from its last epoch), then the
# other seeds the same way. The ~1M CNN of notebook 03 is trained here too (or reused), for the
# speed claim.

# %%
# NBVAL_IGNORE_OUTPUT
run = notebook.fit(full)
runs = experiments.run_all(name, profile)
small = experiments.run_all("cnn-fruits-mse", profile)  # the ~1M CNN, for the speed claim

# %% [markdown]
# ## Look at the predictions: test images, epoch by epoch (seed 0)

# %%
fig = figures.epoch_grid(run, "test", title=experiments.caption(
    name, profile, "Zhang's full network (32M) on fruits: test images by epoch"))
_ = report.save_figure(fig, nb.figure())

# %% [markdown]
# ## Numbers
#
# Metrics on the held-out test images, mean ± standard deviation over the seeds, beside the
# gray baseline (a = b = 0): PSNR in dB on RGB, CIEDE2000 (the perceptual colour difference),
# hue error in degrees on the truly coloured pixels (90 = no information), the spread of the
# per-image colour against the truth's (0 = the same colour for every image), chroma ratio =
# predicted chroma / true chroma (1: as saturated as the truth, 0: gray), ab error.

# %%
_ = compare.report_metrics({name: name}, profile)

# %% [markdown]
# "Computationally slow": the training rate of each seed on this machine (it varies with the
# machine, so CI does not check it), next to the ~1M CNN's in the claims below.

# %%
# NBVAL_IGNORE_OUTPUT
for run in runs:
    rate = run.history()[-1]["images_per_second"]
    print(f"seed {run.config.seed}: {rate:,.1f} training images/s ({run.status['backend']})")

# %%
fig = figures.loss_curves({"zhang_full, mse": runs}, title=experiments.caption(
    name, profile, "training loss"))
_ = report.save_figure(fig, nb.figure("loss"))

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
