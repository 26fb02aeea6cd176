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
# **Writes:** `reports/figures/01-data-and-lab-datasets.png`, `reports/figures/01-data-and-lab-lab-channels.png`; with a
# Kaggle login, the prepared datasets under `data/prepared/`.
#
# The paper trains on two Kaggle datasets, which need a Kaggle login to download. Without
# them, the suite uses its embedded real samples: for fruits, 1,000 Fruits-360 photos (8
# classes, on white); for animals, 370 Oxford-IIIT Pet photos (cats and dogs, with their real
# backgrounds); and the colour photographs that ship inside scikit-image as the "never seen"
# images. The first output below says which data you are looking at.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"
fetch_kaggle = True  # download and prepare the Kaggle datasets here when a login is found
n_show = 8  # images per dataset in the overview figure
seed = 0

# %% [markdown]
# ## Setup

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

import numpy as np

from colorization.core import color
from colorization.data import datasets, pipeline
from colorization.study import catalog, figures, report

nb = catalog.get("01-data-and-lab")

max_images = {"paper": None, "quick": None, "smoke": 400}[profile]

# %% [markdown]
# ## Getting the real datasets
#
# This cell, and `make data` (or `colorization data fruits animals`), are the only places where
# the project downloads anything: training and evaluation only read what is on the disk. With
# a Kaggle login (README: "Getting the real datasets") and `fetch_kaggle` on, it downloads and
# prepares each dataset that is not prepared yet (unless `COLORIZATION_DATA=embedded`); a
# failed download is reported here and the notebooks go on with the embedded samples.

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.acquire import credentials, prepare

login = credentials.kaggle_token_source()
for name in ("fruits", "animals"):
    if datasets.is_prepared(name):
        print(f"{name}: the Kaggle dataset {datasets.KAGGLE_IDS[name]} is prepared here")
        continue
    if login and fetch_kaggle and datasets.data_mode() != "embedded":
        print(f"{name}: downloading and preparing {datasets.KAGGLE_IDS[name]} "
              f"(login: {login}) ...")
        try:
            prepare.prepare(name)
            continue
        except (RuntimeError, OSError) as err:  # download, archive and login errors
            print(f"{name}: could not prepare it: {credentials.redact(str(err))}")
    why = ("COLORIZATION_DATA=embedded" if datasets.data_mode() == "embedded" else
           "fetch_kaggle is off" if login and not fetch_kaggle else
           "no Kaggle login was found" if not login else "the download failed (above)")
    print(f"{name}: the Kaggle data is not prepared here ({why}); the notebooks use the "
          f"embedded real sample {datasets.EMBEDDED[name]}")

# %% [markdown]
# ## The datasets
#
# `datasets.load` returns uint8 RGB arrays at 100x100 and says what they are: the dataset
# actually used, real photos or generated images, and the source. Fruits are objects on a
# white background; animals are photos with their backgrounds (grass, floors, sofas).

# %%
sets = {}
for name in ("fruits", "animals"):
    for split in ("train", "test"):
        sets[name, split] = datasets.load(name, split, max_images=max_images, seed=seed)
        print(datasets.describe(sets[name, split]))
photos = datasets.load("photos")
print(datasets.describe(photos))

# %%
fr, an = sets["fruits", "train"], sets["animals", "train"]
pick = {name: datasets.spread_indices(s.labels, n_show, seed) for name, s in
        (("fruits", fr), ("animals", an))}
rows = [list(fr.images[pick["fruits"]]), list(an.images[pick["animals"]]),
        list(photos.images[:n_show])]
fig = figures.image_grid(rows, row_labels=[f"{fr.dataset}\n({fr.kind})",
                                           f"{an.dataset}\n({an.kind})", "photos\n(real)"],
                         title="the data at 100x100: fruits, animals, never-seen photos")
_ = report.save_figure(fig, nb.figure("datasets"))

# %% [markdown]
# For colour to be inferable from the gray image, the classes should differ in hue as well
# as in shape and texture. The mean hue angle of each class's coloured pixels (chroma > 10;
# atan2(b, a), degrees), measured on the training images loaded above:

# %%
for ds in (fr, an):
    lab = color.to_numpy(color.rgb_uint8_to_lab(ds.images))
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    print(f"{ds.dataset}:")
    for k, cls in enumerate(ds.class_names):
        mask = (ds.labels == k)[:, None, None] & (chroma > 10)
        hue = np.degrees(np.arctan2(lab[..., 2][mask].mean(), lab[..., 1][mask].mean()))
        share = mask.sum() / max(1, (ds.labels == k).sum() * lab.shape[1] * lab.shape[2])
        print(f"  {cls:16s} {int((ds.labels == k).sum()):5d} images, mean hue {hue:7.1f} deg, "
              f"{100 * share:4.1f} % of pixels coloured")

# %% [markdown]
# ## L, a and b
#
# *L* (0..100) is the gray image the network sees; *a* runs from green (negative) to red
# (positive), *b* from blue to yellow, both in about -128..127. A colouriser only has to guess
# these two maps; the output image is the input's *L* joined with the predicted *ab*.

# %%
examples = np.concatenate([sets["fruits", "test"].images[:2], sets["animals", "test"].images[:2],
                           photos.images[:1]])
fig = figures.lab_channels(examples, n=len(examples))
_ = report.save_figure(fig, nb.figure("lab-channels"))

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
# `colorization.core.color`:

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
# 3 bytes a pixel, and the model converts it to Lab there (see `colorization.nets.colorizer`).

# %%
ds = pipeline.from_arrays(fr.images, batch_size=32, seed=seed, flip=True)
batch = next(iter(ds))
print("batch:", tuple(batch.shape), batch.dtype.name if hasattr(batch.dtype, "name") else batch.dtype)
print("batches per epoch:", len(fr) // 32 + (len(fr) % 32 > 0))
