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
# # 09 · Fruit colourisers on photographs that are not fruit
#
# **About:** Figures 4 and 7 of the paper show the fruit CNN and the fruit autoencoder on
# real-world photographs *of fruit* that are not in the dataset: the CNN's results "are not as
# good as the ones obtained using test images [...] Anyway, the network is able to recognize
# which fruit it is and make an attempt to colorize it"; the autoencoder "does not reproduce
# meaningful results".
#
# **What can be tested here.** No photographs of fruit from outside the Fruits-360 sample
# ship with the project, so those two claims are *not testable here* (the claims table below
# says why). What this notebook shows instead is what the fruit networks do to photographs of
# other things, scikit-image's eight colour photographs (a person, a cat, coffee, a rocket,
# space, microscopy, a retina, a motorcycle): a domain they were never trained for, where
# doing worse than on fruit is expected by construction and decides nothing. To test the
# paper's claims, put your own fruit photographs in a folder and evaluate a run on it:
# `colorization evaluate --run runs/quick/cnn-fruits-mse/seed0 --data my_fruit_photos/`.
#
# **Writes:** `reports/figures/09-real-world-photos-epochs.png`, `reports/figures/09-real-world-photos-fullres.png`.
# Reuses the runs of notebooks 03 and 06.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"
n_fullres = 3  # photographs colourised at full resolution

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.data import photos
from colorization.runs.colorize import colorize_image
from colorization.study import catalog, claims, compare, experiments, figures, report

nb = catalog.get("09-real-world-photos")

names = {"CNN": "cnn-fruits-mse", "autoencoder": "ae-fruits-mse"}

# %%
# NBVAL_IGNORE_OUTPUT
runs = compare.train_all(names, profile)

# %% [markdown]
# ## The photographs at the last epoch (seed 0, centre-cropped to the training size)

# %%
fig = figures.side_by_side({label: (seeds[0], None) for label, seeds in runs.items()},
                           "photos", n=8, title=experiments.caption(
                               "cnn-fruits-mse", profile,
                               "fruit colourisers on photographs that are not fruit"))
_ = report.save_figure(fig, nb.figure("epochs"))

# %% [markdown]
# ## At full resolution
#
# `colorize_image` keeps the photograph's full-resolution L and joins it with the network's
# ab, resized up from the network's input size (as Zhang's reference code does).

# %%
fullres = photos.full_resolution()[:n_fullres]  # (name, uint8 RGB at full size)
models_ = {label: seeds[0].model() for label, seeds in runs.items()}
rows = [[p] + [colorize_image(m, p) for m in models_.values()] for _, p in fullres]
fig = figures.image_grid(rows, col_labels=["original"] + [f"{k} (seed 0)" for k in models_],
                         cell=2.2, title=experiments.caption(
                             "cnn-fruits-mse", profile, "full resolution: the network's ab "
                             "joined with the photograph's own L"))
_ = report.save_figure(fig, nb.figure("fullres"))
for name, p in fullres:
    print(f"{name}: {p.shape[1]}x{p.shape[0]}")

# %% [markdown]
# ## Numbers on the photographs (mean ± standard deviation over the seeds)
#
# For the record only: these photographs are not fruit.

# %%
per_seed = {label: experiments.evaluate_all(name, profile, data="photos")
            for label, name in names.items()}
print(report.format_spread_table(per_seed, keys=("ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error",
                                                 "chroma_ratio", "psnr", "psnr_gray")))

# %% [markdown]
# ## The paper's claims, decided by these runs
#
# What the paper says, the rule that decides it, what was measured (with its 95 % interval
# over the seeds) and the verdict. The legend above the table says what each verdict means;
# the claims are listed in `colorization/study/claims.py`, their rules in `rules.py`.

# %%
_ = claims.show(profile, nb.name)
