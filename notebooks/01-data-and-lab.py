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
# # 01 · The data and the Lab colour space
#
# **Reproduces:** Section 3 of Depaoli & Mistrali (the two datasets) and the colour-space
# choice of Section 1: the network sees *L* and predicts *a* and *b*.
#
# **Writes:** `reports/figures/01-datasets.png`, `reports/figures/01-lab-channels.png`.
#
# Both datasets come from Kaggle and need an API token. Without one, this notebook (and the
# whole suite) uses the embedded defaults: for fruits, 1,000 real Fruits-360 photos (8
# classes) that ship with the package; for animals, generated animal-like scenes (no real
# animal photos can ship with it); and the colour photographs that ship inside scikit-image
# as the "never seen" images. The first output below says which data you are looking at.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"
n_show = 8  # images per dataset in the overview figure
seed = 0

# %% [markdown]
# ## Setup

# %%
# NBVAL_IGNORE_OUTPUT
from colorization import runtime

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date. Each experiment's full record
# (paper figure, model, data, loss, every hyper-parameter per profile):
# colorization/experiments.py, or `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

import numpy as np

from colorization import color, data, figures, pipeline, report

max_images = {"paper": None, "quick": 4000, "smoke": 400}[profile]

# %% [markdown]
# ## The datasets
#
# `data.load` returns uint8 RGB arrays at 100x100. Fruits are objects on a white background
# (an easy problem: the paper calls it "pretty simple"); animals are real scenes with a
# background, which the paper finds much harder.

# %%
sets = {}
for name in ("fruits", "animals"):
    for split in ("train", "test"):
        sets[name, split] = data.load(name, split, max_images=max_images, seed=seed)
        print(data.describe(sets[name, split]))
photos = data.load("photos")
print(data.describe(photos))

# %%
rows = [list(sets["fruits", "train"].images[:n_show]), list(sets["animals", "train"].images[:n_show]),
        list(photos.images[:n_show])]
fig = figures.image_grid(rows, row_labels=[sets["fruits", "train"].dataset,
                                           sets["animals", "train"].dataset, "photos"])
_ = report.save_figure(fig, "01-datasets")

# %% [markdown]
# For colour to be inferable from the gray image, the classes should differ in hue as well
# as in shape and texture. The mean hue angle of each class's coloured pixels (chroma > 10;
# atan2(b, a), degrees), measured on the fruit training images loaded above:

# %%
fr = sets["fruits", "train"]
lab = color.to_numpy(color.rgb_uint8_to_lab(fr.images))
chroma = np.hypot(lab[..., 1], lab[..., 2])
for k, cls in enumerate(fr.class_names):
    mask = (fr.labels == k)[:, None, None] & (chroma > 10)
    hue = np.degrees(np.arctan2(lab[..., 2][mask].mean(), lab[..., 1][mask].mean()))
    print(f"{cls:16s} {int((fr.labels == k).sum()):5d} images, mean hue {hue:7.1f} deg")

# %% [markdown]
# ## L, a and b
#
# *L* (0..100) is the gray image the network sees; *a* runs from green (negative) to red
# (positive), *b* from blue to yellow, both in about -128..127. A colouriser only has to guess
# these two maps; the output image is the input's *L* joined with the predicted *ab*.

# %%
examples = np.concatenate([sets["fruits", "test"].images[:2], sets["animals", "test"].images[:1],
                           photos.images[:1]])
fig = figures.lab_channels(examples, n=len(examples))
_ = report.save_figure(fig, "01-lab-channels")

# %% [markdown]
# The conversion is written with `keras.ops`; the unit tests compare it with scikit-image
# on 190,608 colours, the RGB cube's corners and edges included. The error of a round trip
# RGB -> Lab -> RGB, measured here on a 64^3 grid of the RGB cube, in 8-bit levels, with
# the range of Lab that sRGB reaches:

# %%
# NBVAL_CHECK_OUTPUT
g = np.linspace(0, 1, 64, dtype=np.float32)
cube = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
back = color.to_numpy(color.lab_to_rgb(color.rgb_to_lab(cube)))
print(f"colours: {len(cube):,d}")
print(f"max round-trip error: {np.abs(back - cube).max() * 255:.3f} / 255 levels")
all_lab = color.to_numpy(color.rgb_to_lab(cube))
print(f"L range: {all_lab[:, 0].min():.1f} .. {all_lab[:, 0].max():.1f}")
print(f"a range: {all_lab[:, 1].min():.1f} .. {all_lab[:, 1].max():.1f}")
print(f"b range: {all_lab[:, 2].min():.1f} .. {all_lab[:, 2].max():.1f}")

# %% [markdown]
# The two normalisations of the paper: the autoencoder's tanh output covers [-1, 1]
# (`symmetric`), the CNN's sigmoid output [0, 1] (`unit`). They are defined once, in
# `colorization.color`:

# %%
# NBVAL_CHECK_OUTPUT
for convention in color.CONVENTIONS:
    lo = color.to_numpy(color.normalize_ab(np.float32(-128), convention))
    hi = color.to_numpy(color.normalize_ab(np.float32(128), convention))
    print(f"{convention:9s} ab -128 -> {float(lo):+.2f}, ab +128 -> {float(hi):+.2f}; "
          f"L 0..100 -> {float(color.to_numpy(color.normalize_l(np.float32(0), convention))):+.2f}"
          f"..{float(color.to_numpy(color.normalize_l(np.float32(100), convention))):+.2f}")

# %% [markdown]
# ## The input pipeline
#
# Images are decoded once and cached as uint8; each batch crosses to the accelerator as
# 3 bytes a pixel, and the model converts it to Lab there (see `colorization.colorizer`).

# %%
ds = pipeline.from_arrays(fr.images, batch_size=32, seed=seed, flip=True)
batch = next(iter(ds))
print("batch:", tuple(batch.shape), batch.dtype.name if hasattr(batch.dtype, "name") else batch.dtype)
print("batches per epoch:", len(fr) // 32 + (len(fr) % 32 > 0))
