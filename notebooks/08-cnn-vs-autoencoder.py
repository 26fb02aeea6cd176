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
# # 08 · CNN vs autoencoder on animals
#
# **Reproduces:** Section 5, Figures 9 and 10: the ~3.5M CNN and the ~6M autoencoder (both
# MSE) after few and after ~150 iterations, on train/test images (Fig. 9) and on images
# neither has seen (Fig. 10). The paper: "the autoencoder network seems to learn faster, but
# the output of the CNN is less desaturated and more accurate. The background color is the
# main problem for both methods [...] the images are green-ish."
#
# **Writes:** `reports/figures/08-cnn-vs-ae-seen.png` (Fig. 9),
# `reports/figures/08-cnn-vs-ae-unseen.png` (Fig. 10). Reuses the runs of notebooks 05 and 07.

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
from colorization import runtime

# Quiets TensorFlow and prints the profile. Each experiment's full record (paper figure,
# model, data, loss, every hyper-parameter per profile): colorization/experiments.py, or
# `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)


from colorization import color, experiments, figures, metrics, report

names = {"CNN": "cnn-animals-mse", "autoencoder": "ae-animals-mse"}

# %%
# NBVAL_IGNORE_OUTPUT
runs = {label: experiments.run(name, profile) for label, name in names.items()}

# %%
early = {label: run.snapshot_epochs()[0] for label, run in runs.items()}
late = {label: run.snapshot_epochs()[-1] for label, run in runs.items()}
columns = {}
for label, run in runs.items():
    columns[f"{label}, epoch {early[label]}"] = (run, early[label])
    columns[f"{label}, epoch {late[label]}"] = (run, late[label])
print("columns:", ", ".join(columns))

# %% [markdown]
# ## Fig. 9: images from the training and test sets

# %%
fig = figures.side_by_side(columns, "train", n=3, title="training images")
_ = report.save_figure(fig, "08-cnn-vs-ae-train")
fig = figures.side_by_side(columns, "test", n=4, title="test images")
_ = report.save_figure(fig, "08-cnn-vs-ae-seen")

# %% [markdown]
# ## Fig. 10: images neither network has seen (photographs)

# %%
fig = figures.side_by_side(columns, "photos", n=6, title="never-seen photographs")
_ = report.save_figure(fig, "08-cnn-vs-ae-unseen")

# %% [markdown]
# ## Numbers: "learns faster", "less desaturated", "green-ish"
#
# For each snapshot set and epoch: ab error and its gray baseline, chroma ratio, and the mean
# predicted a (negative: green) against the truth's.

# %%
for set_name in ("test", "photos"):
    print(f"-- {set_name} --")
    for label, run in runs.items():
        rgb = run.snapshot_inputs()[set_name]
        true_a = color.to_numpy(color.rgb_uint8_to_lab(rgb))[..., 1].mean()
        for epoch in (early[label], late[label]):
            ab = run.snapshot(epoch)[set_name]
            m = metrics.evaluate_with_baseline(rgb, ab)
            print(f"{label:12s} epoch {epoch:3d}: ab_mae {m['ab_mae']:6.2f} "
                  f"(gray {m['ab_mae_gray']:6.2f}), chroma ratio {m['chroma_ratio']:.2f}, "
                  f"mean a {ab[..., 0].mean():+6.2f} (truth {true_a:+6.2f})")

# %%
fig = figures.loss_curves(runs, title="training loss (CNN: [0,1] units; AE: [-1,1] units)")
_ = report.save_figure(fig, "08-cnn-vs-ae-loss")

# %% [markdown]
# **Paper vs this run.** "Learns faster" is read from the early-epoch rows (lower error at
# the first snapshot); "less desaturated and more accurate" from the last-epoch chroma ratio
# and ab error; "green-ish" from a mean predicted a below the truth's. On never-seen
# photographs both networks face images unlike their training set, which the paper found
# worse for both.
