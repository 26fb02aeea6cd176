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
# **Writes:** the runs `runs/<profile>/gan-fruits/` and `gan-animals/`,
# `reports/figures/11-gan-losses.png`, `11-gan-vs-mse-<data>.png`, `11-gan-fruits.png`
# (epoch by epoch), rows of `reports/results.json`.
#
# The training step is `colorization.gan.GANColorizer.train_step`, written once per Keras
# backend (TensorFlow tape, JAX stateless step, PyTorch autograd) around shared objectives.

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

import matplotlib.pyplot as plt

from colorization import claims, compare, experiments, figures, gan, models, registry, report

names = {"fruits": "gan-fruits", "animals": "gan-animals"}
baselines = {"fruits": "ae-fruits-mse", "animals": "ae-animals-mse"}  # same size, MSE
for name in [*names.values(), *baselines.values()]:
    print(experiments.describe(name, profile))

# %% [markdown]
# ## The two networks

# %%
# NBVAL_CHECK_OUTPUT
generator = registry.build_model("gan")
discriminator = gan.build_discriminator((100, 100, 3))
print(f"generator (U-Net): {models.count_trainable(generator):,d} trainable parameters")
print(f"discriminator (PatchGAN): {models.count_trainable(discriminator):,d} trainable "
      f"parameters; 100x100 input -> {tuple(discriminator.output.shape[1:])} patch logits")

# %% [markdown]
# ## Train

# %%
# NBVAL_IGNORE_OUTPUT
runs = {data: experiments.run(name, profile) for data, name in names.items()}
mse_runs = {data: experiments.run(name, profile) for data, name in baselines.items()}

# %% [markdown]
# ## The adversarial game, epoch by epoch
#
# `loss` is the generator's total (`g_adv + 100 · g_l1`); a discriminator loss near
# log 2 = 0.69 means it can no longer tell real pairs from generated ones.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8))
for data, run in runs.items():
    hist = run.history()
    epochs = [h["epoch"] + 1 for h in hist]
    for ax, key in zip(axes, ("d_loss", "g_adv", "g_l1"), strict=True):
        ax.plot(epochs, [h[key] for h in hist], marker=".", label=data)
        ax.set_title(key, fontsize=10)
        ax.set_xlabel("epoch")
axes[0].legend(fontsize=8)
fig.tight_layout()
_ = report.save_figure(fig, "11-gan-losses")

# %%
fig = figures.epoch_grid(runs["fruits"], "test", title="GAN on fruits: test images by epoch")
_ = report.save_figure(fig, "11-gan-fruits")

# %% [markdown]
# ## GAN vs the autoencoder with MSE, last epoch, then the numbers

# %%
_ = compare.against_baseline(runs, mse_runs, names, baselines, profile, "11-gan-vs-mse",
                             labels=("autoencoder, MSE", "GAN"),
                             title="{data}: MSE autoencoder vs GAN")

# %% [markdown]
# **What the adversary adds.** The L1 term alone would pull the generator towards the
# median colour, greyish where the colour is ambiguous; the discriminator penalises greyish,
# implausible patches. The experiment tests whether that brings the GAN's chroma ratio
# closer to 1 than the MSE autoencoder's, and at what cost in ab error (a vivid wrong colour
# costs more than a grey one); the table above says where this run lands. GANs need many
# epochs to settle, so a short profile mostly shows the start of training.

# %% [markdown]
# ## The paper's claims
#
# The paper names GANs as future work and makes no claim about them, so no claim is decided
# here; the line below says so. Notebook 12 gathers every claim.

# %%
_ = claims.show(profile, "11-gan")
