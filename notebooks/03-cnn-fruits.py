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
# # 03 · The ~1M CNN on fruits, epoch by epoch
#
# **Reproduces:** Section 5.1, Figures 1 and 2: the Zhang-style CNN with inner layers removed
# (~1M parameters) colours fruit test images "in a meaningful way" even after few iterations.
#
# **Writes:** the run `runs/<profile>/cnn-fruits-mse/`, `reports/figures/03-cnn-fruits.png`
# (Fig. 2: ground truth, gray input, then the prediction at each chosen epoch),
# `reports/figures/03-cnn-fruits-loss.png`, a row of `reports/results.json`.
#
# The paper's Fig. 1 ends the network in "SoftMax" because values are normalised to [0, 1].
# A softmax over the two output channels would force a + b = 1 at every pixel, which no
# colour obeys; what the stated reason needs is each channel squashed to [0, 1] on its own:
# a sigmoid. That is what `zhang_fruits` does (see `colorization.models`).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
from colorization import runtime

# Quiets TensorFlow and prints the profile. Each experiment's full record (paper figure,
# model, data, loss, every hyper-parameter per profile): colorization/experiments.py, or
# `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

from colorization import experiments, figures, models, registry, report

name = "cnn-fruits-mse"
print(experiments.describe(name, profile))

# %% [markdown]
# ## The network (Fig. 1)

# %%
net = registry.build_model("zhang_fruits")
print(f"trainable parameters: {models.count_trainable(net):,d} "
      f"(paper: ~{registry.PAPER_PARAMS['zhang_fruits']:,d})")
for layer in net.layers:
    if layer.count_params():
        print(f"  {layer.name:18s} {str(layer.output.shape):22s} {layer.count_params():>9,d}")

# %% [markdown]
# ## Train

# %%
# NBVAL_IGNORE_OUTPUT
run = experiments.run(name, profile)

# %% [markdown]
# ## Fig. 2: test images at several epochs

# %%
fig = figures.epoch_grid(run, "test", title="~1M CNN on fruits (MSE): test images by epoch")
_ = report.save_figure(fig, "03-cnn-fruits")

# %% [markdown]
# The same for training images (what the network was fitted on):

# %%
fig = figures.epoch_grid(run, "train", n=4, title="~1M CNN on fruits: training images")
_ = report.save_figure(fig, "03-cnn-fruits-train")

# %% [markdown]
# ## Numbers

# %%
_ = experiments.report_metrics({name: name}, profile)

# %%
fig = figures.loss_curves({"zhang_fruits, mse": run})
_ = report.save_figure(fig, "03-cnn-fruits-loss")

# %% [markdown]
# **Paper vs this run.** The paper: "even with small number of iteration, we are able to
# colorize the images in a meaningful way". The grid shows the colours appearing epoch by
# epoch; the table measures them against the gray baseline and the chroma ratio says whether
# the colours are as saturated as the truth (the paper saw no desaturation on fruits).
