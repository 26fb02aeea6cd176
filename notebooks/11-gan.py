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
from colorization import runtime

# Quiets TensorFlow and prints the profile. Each experiment's full record (paper figure,
# model, data, loss, every hyper-parameter per profile): colorization/experiments.py, or
# `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

import matplotlib.pyplot as plt

from colorization import experiments, figures, gan, models, registry, report

names = {"fruits": "gan-fruits", "animals": "gan-animals"}
baselines = {"fruits": "ae-fruits-mse", "animals": "ae-animals-mse"}  # same size, MSE
for name in [*names.values(), *baselines.values()]:
    print(experiments.describe(name, profile))

# %% [markdown]
# ## The two networks

# %%
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
# ## GAN vs the autoencoder with MSE, last epoch

# %%
for data in names:
    fig = figures.side_by_side({"autoencoder, MSE": (mse_runs[data], None),
                                "GAN": (runs[data], None)}, "test",
                               title=f"{data}: MSE autoencoder vs GAN")
    _ = report.save_figure(fig, f"11-gan-vs-mse-{data}")

# %% [markdown]
# ## Numbers

# %%
labels = {}
for data in names:
    labels[baselines[data]] = baselines[data]
    labels[names[data]] = names[data]
_ = experiments.report_metrics(labels, profile)

# %% [markdown]
# **What the adversary adds.** The L1 term alone would pull the generator towards the
# median colour, greyish where the colour is ambiguous; the discriminator penalises greyish,
# implausible patches, so the GAN's chroma ratio should be closer to 1 than the MSE
# autoencoder's, possibly with a larger ab error (a vivid wrong colour costs more than a
# grey one). GANs need many epochs to settle: at the small profiles the L1 term dominates
# and the GAN behaves much like an L1 regressor; the paper profile trains long enough for
# the adversarial term to matter.
