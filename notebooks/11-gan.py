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
# # 11 · Beyond the paper: a GAN colorizer
#
# **Reproduces:** nothing of the paper, which names GANs as the next step. This is the
# recipe of Nazeri, Ng & Ebrahimi (2018), after pix2pix: a U-Net generator (L -> ab), a
# 70x70 PatchGAN discriminator judging (L, ab) pairs patch by patch, and the generator's
# loss `adversarial + 100 · L1`, both networks trained with Adam (beta_1 = 0.5, rate 2e-4).
# We compare it with the autoencoder trained with MSE, a network of the same size (~6M).
#
# **Writes:** the runs of `gan-fruits` and `gan-animals`, `reports/figures/11-gan-losses.png`,
# `11-gan-vs-mse-<data>.png`, `11-gan-fruits.png` (epoch by epoch), rows of
# `reports/results.json`.
#
# The training step is `colorization.nets.gan.GANColorizer.train_step`, written once per Keras
# backend (TensorFlow tape, JAX stateless step, PyTorch autograd) around shared objectives.
# The GAN runs are one seed each outside the `paper` profile (no claim of the paper reads
# them), at a smaller scale than their baselines (printed with the numbers).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"
# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

import matplotlib.pyplot as plt

from colorization.nets import gan, models
from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("11-gan")
names = {"fruits": "gan-fruits", "animals": "gan-animals"}
baselines = {"fruits": "ae-fruits-mse", "animals": "ae-animals-mse"}  # same size, MSE

# %% [markdown]
# ## The experiments and the two networks

# %%
for name in [*names.values(), *baselines.values()]:
    print(experiments.describe(name, profile))

# %%
# NBVAL_CHECK_OUTPUT
print(notebook.network_summary("gan"))
discriminator = gan.build_discriminator((100, 100, 3))
print(f"discriminator (PatchGAN): {models.count_trainable(discriminator):,d} trainable "
      f"parameters; 100x100 input -> {tuple(discriminator.output.shape[1:])} patch logits")

# %% [markdown]
# ## Prepare the data
#
# The fruit photos, fewer of them in the quick profile (the GAN's step costs two networks).
# The generator sees L; the discriminator sees (L, ab) pairs, real ones from the batch:

# %%
# NBVAL_IGNORE_OUTPUT
adversarial = experiments.prepare(names["fruits"], profile, seed=0)
_ = notebook.show_batch(adversarial, n=4)

# %% [markdown]
# ## Build the model
#
# `registry.build_colorizer("gan", image_size)`: a `GANColorizer` holding the U-Net generator
# (`model.network`) and the PatchGAN discriminator, at this profile's image size:

# %%
# NBVAL_IGNORE_OUTPUT
adversarial.model.network.summary(line_length=92)
adversarial.model.discriminator.summary(line_length=92)

# %% [markdown]
# ## Compile
#
# One Keras optimizer steps both networks (two Adams with pix2pix's beta_1 = 0.5 and rate
# 2e-4, decayed by a cosine); the loss is the model's own: the generator's
# `g_adv + 100 · g_l1` and the discriminator's binary cross-entropy on real and fake pairs.

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.show_compile(adversarial)

# %% [markdown]
# ## Train
#
# `model.fit` with the run's callbacks; then both datasets and the MSE autoencoders they are
# compared with (notebooks 06 and 07's autoencoders, reused when finished).

# %%
# NBVAL_IGNORE_OUTPUT
_ = notebook.fit(adversarial)
runs = {data: experiments.run_all(name, profile) for data, name in names.items()}
mse_runs = {data: experiments.run_all(name, profile) for data, name in baselines.items()}

# %% [markdown]
# ## The adversarial game, epoch by epoch (seed 0)
#
# `loss` is the generator's total (`g_adv + 100 · g_l1`); a discriminator loss near
# log 2 = 0.69 means it can no longer tell real pairs from generated ones.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for data, seeds in runs.items():
    hist = seeds[0].history()
    epochs = [h["epoch"] + 1 for h in hist]
    for ax, key in zip(axes, ("d_loss", "g_adv", "g_l1"), strict=True):
        ax.plot(epochs, [h[key] for h in hist], marker=".", label=data)
        ax.set_title(key, fontsize=10)
        ax.set_xlabel("epoch")
axes[0].legend(fontsize=8)
fig.suptitle(experiments.caption("gan-fruits", profile, "GAN losses"), fontsize=9)
fig.tight_layout()
_ = report.save_figure(fig, nb.figure("losses"))

# %%
fig = figures.epoch_grid(runs["fruits"][0], "test", title=experiments.caption(
    "gan-fruits", profile, "GAN on fruits: test images by epoch"))
_ = report.save_figure(fig, nb.figure("fruits"))

# %% [markdown]
# ## Look at the predictions: GAN vs the autoencoder with MSE, last epoch (seed 0)

# %%
results = compare.against_baseline(runs, mse_runs, names, baselines, profile, f"{nb.name}-vs-mse",
                                   labels=("autoencoder, MSE", "GAN"),
                                   title="{data}: MSE autoencoder vs GAN")

# %% [markdown]
# What the table says, computed from it:

# %%
for line in compare.beside_baseline(results, names, baselines, "GAN"):
    print(line)

# %% [markdown]
# **What the adversary is meant to add.** The L1 term alone pulls the generator towards the
# median colour, greyish where the colour is ambiguous; the discriminator penalises greyish,
# implausible patches, at the risk of vivid wrong colours (which cost more CIEDE2000 than grey
# ones). GANs need many epochs to settle; the scale above says how far this run trained.

# %% [markdown]
# ## The paper's claims
#
# The paper names GANs as future work and makes no claim about them, so no claim is decided
# here; the line below says so. Notebook 12 gathers every claim.

# %%
_ = claims.show(profile, nb.name)
