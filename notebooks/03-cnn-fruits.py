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
# # 03 · The ~1M CNN on fruits, epoch by epoch
#
# **Reproduces:** Section 5.1, Figures 1 and 2: the Zhang-style CNN with inner layers removed
# (~1M parameters) colours fruit test images "in a meaningful way" even after few iterations;
# and Section 3.1: "data augmentation seems useless in this case".
#
# **Writes:** the runs `runs/<profile>/cnn-fruits-mse/seed*/` and `cnn-fruits-mse-flip/`,
# `reports/figures/03-cnn-fruits.png` (Fig. 2: ground truth, gray input, then the prediction
# at each chosen epoch), `reports/figures/03-cnn-fruits-train.png`,
# `reports/figures/03-cnn-fruits-loss.png`, rows of `reports/results.json`.
#
# The paper's Fig. 1 ends the network in "SoftMax" because values are normalised to [0, 1].
# A softmax over the two output channels would force a + b = 1 at every pixel, which no
# colour obeys; what the stated reason needs is each channel squashed to [0, 1] on its own:
# a sigmoid. That is what `zhang_fruits` does (see `colorization.nets.models`).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("03-cnn-fruits")
name = "cnn-fruits-mse"
flipped = "cnn-fruits-mse-flip"  # the same, with random horizontal flips (Sec. 3.1)

# %% [markdown]
# ## The experiment and the network (Fig. 1)
#
# Each experiment is a named record: the network, the data, the loss, the optimizer and every
# number that sets its scale in this profile.

# %%
for experiment in (name, flipped):
    print(experiments.describe(experiment, profile))

# %%
# NBVAL_CHECK_OUTPUT
print(notebook.network_summary("zhang_fruits"))

# %% [markdown]
# ## Prepare the data
#
# `experiments.prepare` builds everything seed 0 trains with, by the functions that
# `make reproduce` and `colorization train` use (`colorization.runs.train.prepare`): the
# photos, read once as uint8 RGB, and a `tf.data` pipeline that shuffles them each epoch with
# the seed. The conversion to Lab happens inside the model, on the device: the pipeline moves
# 3 bytes a pixel and the model splits each photo into its input L and its target ab.

# %%
# NBVAL_IGNORE_OUTPUT
setup = experiments.prepare(name, profile, seed=0)
_ = notebook.show_batch(setup)

# %% [markdown]
# ## Build the model
#
# `registry.build_colorizer("zhang_fruits", image_size)` wraps the network of Fig. 1 in a
# `Colorizer`: uint8 RGB in, Lab computed in the graph, the network's sigmoid ab out. This is
# the network the run trains, at this profile's image size:

# %%
# NBVAL_IGNORE_OUTPUT
setup.model.network.summary()

# %% [markdown]
# ## Compile
#
# Adam with a cosine decay of the learning rate to 0 over the run's optimizer steps (the
# paper gives no rate; 3e-3 is the rate the fruit networks share), and the mean squared error
# on the normalised ab:

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(setup)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks: `StopOnNaN` stops a diverging run with a clear
# message, `EpochTiming` records seconds and images per second, `EpochSnapshots` keeps the
# predictions on fixed images at the chosen epochs (the figures below), and `EpochCommit`
# saves weights and history after every epoch, so an interrupted run resumes where it
# stopped. A finished run is reused.

# %%
# NBVAL_IGNORE_OUTPUT
run = notebook.fit(setup)

# %% [markdown]
# ## Look at the predictions: Fig. 2, test images at several epochs (seed 0)

# %%
fig = figures.epoch_grid(run, "test", title=experiments.caption(
    name, profile, "~1M CNN on fruits (MSE): test images by epoch"))
_ = report.save_figure(fig, nb.figure())

# %% [markdown]
# The same for training images (what the network was fitted on):

# %%
fig = figures.epoch_grid(run, "train", n=4, title=experiments.caption(
    name, profile, "~1M CNN on fruits: training images by epoch"))
_ = report.save_figure(fig, nb.figure("train"))

# %% [markdown]
# ## The other seeds
#
# One seed says little: the same experiment, trained the same way with the other seeds
# (`experiments.run` is `train.prepare` then `train.fit`), so that every number below comes
# with its spread. Seed 0 is the run above, reused.

# %%
# NBVAL_IGNORE_OUTPUT
runs = experiments.run_all(name, profile)

# %% [markdown]
# ## Numbers
#
# Fruits-360's test photos are other frames of the same rotating fruits as its training
# photos: these test scores measure near-duplicates, not generalisation.
#
# Mean ± standard deviation over the seeds, beside the gray and mean-tint baselines; the metrics are those of
# notebook 02. The hue error of each fruit class (`class_hue_error`, its mean over the 8
# classes; `class_hue_error_max`, the worst class) says whether each fruit gets its own hue.

# %%
_ = compare.report_metrics({name: name}, profile, keys=(
    "ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error", "class_hue_error", "class_hue_error_max",
    "spread_ratio", "chroma_ratio", "psnr", "psnr_gray"))

# %%
fig = figures.loss_curves({"zhang_fruits, mse": runs}, title=experiments.caption(
    name, profile, "training loss"))
_ = report.save_figure(fig, nb.figure("loss"))

# %% [markdown]
# ## Data augmentation (Section 3.1)
#
# The paper: "data augmentation seems useless in this case" (fruits). The same CNN, same
# data, budget and seeds, trained on randomly flipped images (`cnn-fruits-mse-flip`), beside
# the runs above:

# %%
# NBVAL_IGNORE_OUTPUT
flip_runs = experiments.run_all(flipped, profile)

# %%
_ = compare.report_metrics({"no flips": name, "random flips": flipped}, profile)

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
