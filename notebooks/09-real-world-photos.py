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
# # 09 · Fruit colourisers on real-world photos
#
# **Reproduces:** Figures 4 and 7: the fruit CNN and the fruit autoencoder on photographs that
# are not from the dataset. The paper: CNN results "are not as good as the ones obtained
# using test images [...] Anyway, the network is able to recognize which fruit it is and
# make an attempt to colorize it"; the autoencoder "does not reproduce meaningful results,
# because [it] learn[s] the low dimensional features of the dataset".
#
# **Writes:** `reports/figures/09-photos-epochs.png`, `reports/figures/09-photos-fullres.png`.
# Reuses the runs of notebooks 03 and 06. The photographs are those that ship with
# scikit-image (no download).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"
n_fullres = 3  # photographs colourised at full resolution

# %%
# NBVAL_IGNORE_OUTPUT
from colorization import runtime

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date. Each experiment's full record
# (paper figure, model, data, loss, every hyper-parameter per profile):
# colorization/experiments.py, or `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

from colorization import claims, data, evaluate, experiments, figures, metrics, photos, report

names = {"CNN": "cnn-fruits-mse", "autoencoder": "ae-fruits-mse"}

# %%
# NBVAL_IGNORE_OUTPUT
runs = {label: experiments.run(name, profile) for label, name in names.items()}

# %% [markdown]
# ## Fig. 4 and Fig. 7: the photos at the last epoch (centre-cropped, the training size)

# %%
fig = figures.side_by_side({label: (run, None) for label, run in runs.items()}, "photos",
                           n=8, title="fruit colourisers on never-seen photographs")
_ = report.save_figure(fig, "09-photos-epochs")

# %% [markdown]
# ## At full resolution
#
# `evaluate.colorize_image` keeps the photograph's full-resolution L and joins it with the
# network's ab, resized up from the network's input size (as Zhang's reference code does).

# %%
fullres = photos.full_resolution()[:n_fullres]  # (name, uint8 RGB at full size)
models_ = {label: run.model() for label, run in runs.items()}
rows = [[p] + [evaluate.colorize_image(m, p) for m in models_.values()] for _, p in fullres]
fig = figures.image_grid(rows, col_labels=["original"] + list(models_), cell=2.2)
_ = report.save_figure(fig, "09-photos-fullres")
for name, p in fullres:
    print(f"{name}: {p.shape[1]}x{p.shape[0]}")

# %% [markdown]
# ## Numbers on the photographs

# %%
photo_set = data.load("photos", image_size=runs["CNN"].config.image_size).images
rows = {label: metrics.evaluate_with_baseline(
    photo_set, models_[label].predict(photo_set)) for label in runs}
print(report.format_table(rows))
for label, m in rows.items():
    print(f"{label}: {report.verdict(m)}")

# %% [markdown]
# **Paper vs this run.** Both claims say fruit-trained networks do worse on photographs than
# on fruit test images: the claims below compare the ab error against the gray baseline
# here with the same ratio on the fruit test images (notebooks 03 and 06).

# %% [markdown]
# ## The paper's claims, decided by this run
#
# Each claim of the paper that this notebook's experiments test: what the paper says, the
# rule that decides it, what this run measured and the verdict (*reproduced*, *not
# reproduced*, or *not testable* at this profile's scale, with the reason). The rules are
# in `colorization/claims.py`.

# %%
_ = claims.show(profile, "09-real-world-photos")
