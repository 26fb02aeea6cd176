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
# # 12 · Results of every experiment
#
# **Reproduces:** the paper's conclusions (Section 6), with numbers: one table of every
# experiment's test metrics beside the gray baseline.
#
# **Writes:** `reports/figures/12-results.png`, `reports/results.json` (complete), and the
# report `reports/index.html` is built from them by `make reproduce`.
#
# Every experiment's run is reused (trained here only if an earlier notebook was skipped).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
from colorization import runtime

# Quiets TensorFlow and prints the profile. Each experiment's full record (paper figure,
# model, data, loss, every hyper-parameter per profile): colorization/experiments.py, or
# `colorization experiments NAME`.
profile = runtime.setup_notebook(profile)

from colorization import experiments, figures, report

# %%
# NBVAL_IGNORE_OUTPUT
runs = {name: experiments.run(name, profile) for name in experiments.EXPERIMENTS}

# %%
results = {}
for name, run in runs.items():
    results[name] = experiments.evaluate(name, profile)
    experiments.record(name, profile, results[name])
    print(f"{name:26s} {run.config.model:20s} on {run.status['dataset']:17s} "
          f"{run.config.loss:14s} {run.config.epochs:3d} epochs")
print(f"test images per experiment: {sorted({int(m['n_images']) for m in results.values()})}")
print(report.format_table(results, keys=("psnr", "psnr_gray", "ab_mae", "ab_mae_gray",
                                         "ssim", "chroma_ratio", "auc")))

# %% [markdown]
# ## Read against the gray baseline
#
# Ratio of each experiment's ab error to the gray baseline's (below 1: it colours better
# than doing nothing) and its chroma ratio (1: as saturated as the truth).

# %%
rows = {name: {"ab error / gray": m["ab_mae"] / m["ab_mae_gray"],
               "chroma ratio": m["chroma_ratio"]} for name, m in results.items()}
fig = figures.metric_bars(rows, keys=("ab error / gray", "chroma ratio"),
                          title=f"every experiment ({profile} profile)")
_ = report.save_figure(fig, "12-results")
for name, m in results.items():
    print(f"{name:26s} {report.verdict(m)}")

# %% [markdown]
# **The paper's conclusions, checked.** Fruits are easy for both families (ab error far below
# gray, chroma ratio near 1); animals are hard (ratios closer to 1 and desaturation); the
# small networks fail where the paper says they do. Rows that disagree with the paper are the
# interesting ones: their notebook says why.
