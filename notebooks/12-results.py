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
# # 12 · Results of every experiment, and every claim of the paper
#
# **Reproduces:** the paper's conclusions (Section 6), with numbers: one table of every
# experiment's test metrics (mean ± standard deviation over its seeds) beside the gray
# baseline, the noise floor those numbers carry (the null comparison: one configuration,
# different seeds), then every claim of the paper with the verdict these numbers give it.
#
# **Writes:** `reports/figures/12-results.png`, `reports/results.json` (every experiment's
# metrics, each seed's and their spread, and every claim's verdict) and the report
# `reports/index.html`.
#
# Every experiment's runs are reused (trained here only if an earlier notebook was skipped).

# %% tags=["parameters"]
profile = None  # "paper" | "quick" | "smoke"; None: $COLORIZATION_PROFILE, else "quick"

# %%
# NBVAL_IGNORE_OUTPUT
from colorization.study import notebook

# Quiets TensorFlow, then prints what produced the outputs below: the profile, the data that
# "fruits" and "animals" resolve to, the commit and the date.
profile = notebook.setup_notebook(profile)

from colorization.study import claims, experiments, figures, report, stats

# %% [markdown]
# ## What was trained
#
# Each experiment's data (real photos or generated images), image size, training images,
# epochs, optimizer steps and seeds:

# %%
# NBVAL_IGNORE_OUTPUT
runs = {name: experiments.run_all(name, profile) for name in experiments.EXPERIMENTS}

# %%
for name in experiments.EXPERIMENTS:
    print(f"{name:26s} {experiments.scale_text(name, profile)}")

# %% [markdown]
# ## Every experiment's test metrics (mean ± standard deviation over seeds)

# %%
results = {name: experiments.evaluate_all(name, profile) for name in experiments.EXPERIMENTS}
for name, per_seed in results.items():
    experiments.record(name, profile, per_seed)
print(f"test images per experiment: {sorted({int(m['n_images']) for r in results.values() for m in r})}")
print(report.format_spread_table(results, keys=("ciede2000", "ciede2000_gray", "hue_error",
                                                "spread_ratio", "chroma_ratio", "psnr",
                                                "psnr_gray")))

# %% [markdown]
# ## Read against the gray baseline
#
# Each experiment's CIEDE2000 over the gray baseline's (below 1: it colours better than doing
# nothing), its hue error (90 degrees: no information about hue) and its chroma ratio (1: as
# saturated as the truth): the bars are the mean over seeds, the lines span the seeds.

# %%
def label(name):
    s = experiments.scale(name, profile)
    return (f"{name} [{s['data']}, {s['train_images']} img, {s['optimizer_steps']} steps, "
            f"{s['seeds']} seed{'s' * (s['seeds'] > 1)}]")


kinds = " and ".join(sorted({experiments.scale(n, profile)["kind"] for n in results}))
kinds = kinds.replace("real", "real photos").replace("generated", "generated images")
rows = {label(name): [{"CIEDE2000 / gray": m["ciede2000"] / m["ciede2000_gray"],
                       "hue error (degrees)": m["hue_error"], "chroma ratio": m["chroma_ratio"]}
                      for m in per_seed] for name, per_seed in results.items()}
fig = figures.metric_bars(rows, keys=("CIEDE2000 / gray", "hue error (degrees)",
                                      "chroma ratio"),
                          reference={"CIEDE2000 / gray": 1.0, "hue error (degrees)": 90.0,
                                     "chroma ratio": 1.0},
                          title=f"every experiment, {profile} profile, "
                                f"{experiments.SCALE[profile]['image_size']}x"
                                f"{experiments.SCALE[profile]['image_size']}, {kinds} "
                                "(bars: mean over seeds, lines: lowest to highest seed; "
                                "dashed: the gray baseline)")
_ = report.save_figure(fig, "12-results")
for name, per_seed in results.items():
    print(f"{name:26s} seed 0: {report.verdict(per_seed[0])}")

# %% [markdown]
# ## The noise floor: one configuration, different seeds
#
# The null comparison. For every experiment run with several seeds, the mean absolute
# difference between two of its seeds on each metric: what two runs of the *same*
# configuration differ by. A claim comparing two experiments is decided only by a difference
# larger than the larger of their two floors (and beyond two standard errors, with the same
# sign in every seed).

# %%
evidence = claims.gather(profile)
floors = claims.noise_floor(profile, evidence=evidence)
print(claims.format_noise_floor(floors))

# %% [markdown]
# For example, MSE and SmoothL1 with beta = 1 on [0, 1] targets are the same objective up to a
# factor of 0.5 (notebook 04): their difference, seed by seed, beside that floor:

# %%
if "cnn-fruits-mse" in evidence.metrics and "cnn-fruits-smoothl1" in evidence.metrics:
    for key in ("psnr", "ciede2000", "chroma_ratio"):
        mse, sl1 = evidence.v("cnn-fruits-mse", key), evidence.v("cnn-fruits-smoothl1", key)
        diff = mse - sl1
        floor = stats.floor_of(mse, sl1)
        print(f"{key:13s} MSE - SmoothL1 per seed: "
              + ", ".join(f"{d:+.3f}" for d in diff.values)
              + f"; mean {diff.mean:+.3f}, noise floor {floor:.3f} -> "
              + ("beyond the noise" if abs(diff.mean) > floor else "within the noise"))

# %% [markdown]
# ## Every claim of the paper
#
# The paper's conclusions (fruits are easy for both families, animals are hard, the small
# networks fail, ...) and the claims of each section, decided by the rules in
# `colorization/study/claims.py` from the numbers above: *reproduced* or *not reproduced* only
# beyond the noise, *inconclusive* within it, *indicative* when decided on generated images
# (never counted), *not testable here* with the reason. Each row names the data and scale it
# was decided on; the notebook named beside each experiment shows its figures. The table is
# also written to `reports/results.json` (`"claims"`); the last line is the tally, real and
# generated data apart.

# %%
rows = claims.table(profile, evidence=evidence)
claims.write(rows)
print(report.format_claims_text(rows))

# %% [markdown]
# The claims this profile leaves untestable, and why (the scale it would need, or what does
# not ship with the project):

# %%
for row in rows:
    if row["verdict"] == claims.NOT_TESTABLE:
        print(f"{row['id']}: {row['reason']}")

# %% [markdown]
# The report: `reports/index.html` with the environment, the metrics of every experiment,
# the claims table and every figure.

# %%
index = report.write_index(profile)
print(f"wrote {index.parent.name}/{index.name}")
