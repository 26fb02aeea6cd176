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
# # 12 · Results of every experiment
#
# **Reproduces:** the paper's conclusions (Section 6), with numbers: one table of every
# experiment's test metrics beside the gray baseline, then every claim of the paper with the
# verdict this run's numbers give it.
#
# **Writes:** `reports/figures/12-results.png`, `reports/results.json` (every experiment's
# metrics and every claim's verdict) and the report `reports/index.html`.
#
# Every experiment's run is reused (trained here only if an earlier notebook was skipped).

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

from colorization import claims, experiments, figures, report

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
# ## Every claim of the paper
#
# The paper's conclusions (fruits are easy for both families, animals are hard, the small
# networks fail, ...) and the claims of each section, decided by the rules in
# `colorization/claims.py` from the numbers of this run: *reproduced*, *not reproduced*, or
# *not testable* at this profile's scale (with the reason). The notebook named beside each
# experiment shows its figures. The table is also written to `reports/results.json`
# (`"claims"`).

# %%
rows = claims.show(profile)

# %% [markdown]
# The report: `reports/index.html` with the environment, the metrics of every experiment,
# the claims table and every figure.

# %%
index = report.write_index(profile)
print(f"wrote {index.parent.name}/{index.name}")
