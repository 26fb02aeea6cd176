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

from colorization.study import catalog, claims, compare, experiments, figures, report, stats

nb = catalog.get("12-results")

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
    compare.record(name, profile, per_seed)
print(f"test images per experiment: {sorted({int(m['n_images']) for r in results.values() for m in r})}")
print(report.format_spread_table(results, keys=("ciede2000", "ciede2000_gray", "ciede2000_tint", "hue_error",
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
_ = report.save_figure(fig, nb.figure())
for name, per_seed in results.items():
    print(f"{name:26s} seed 0: {report.verdict(per_seed[0])}")

# %% [markdown]
# ## The noise floor: one configuration, different seeds
#
# The null comparison. For every experiment run with several seeds, the mean absolute
# difference between two of its seeds on each metric: what two runs of the *same*
# configuration differ by. The claims are decided by t-tests on the seeds (paired by seed
# where two experiments are compared); this table shows the noise they work against.

# %%
evidence = claims.gather(profile)
floors = claims.noise_floor(profile, evidence=evidence)
print(claims.format_noise_floor(floors))

# %% [markdown]
# MSE and SmoothL1 with beta = 1 on [0, 1] targets are one objective (notebook 04). Their
# difference seed by seed, with the paired t-test and its 95 % interval, beside the floor;
# then the same for SmoothL1 with its threshold at 10 ab units, a different objective:

# %%
for other in ("cnn-fruits-smoothl1", "cnn-fruits-smoothl1-ab10"):
    if "cnn-fruits-mse" not in evidence.metrics or other not in evidence.metrics:
        continue
    for key in ("psnr", "ciede2000", "chroma_ratio"):
        mse, sl1 = evidence.v("cnn-fruits-mse", key), evidence.v(other, key)
        test = stats.greater(mse, sl1, ("MSE", other), key)
        print(f"{other:25s} {key:13s} per seed: "
              + ", ".join(f"{d:+.3f}" for d in (mse - sl1).values)
              + f"; noise floor {stats.floor_of(mse, sl1):.3f}; {test.verdict} "
              + f"({test.why or 'the 95 % interval excludes 0'})")

# %% [markdown]
# ## Every claim of the paper
#
# The paper's conclusions (fruits are easy for both families, animals are hard, the small
# networks fail, ...) and the claims of each section, decided by the rules in
# `colorization/study/rules.py` from the numbers above, with Holm's correction over all of
# them. Each row names the data and scale it was decided on, what was measured, the effect
# with its 95 % interval, the test and its p-value; the notebook named beside each experiment
# shows its figures. The table is also written to `reports/results.json` (`"claims"`); the
# last line is the tally. The legend first:

# %%
print(claims.LEGEND)

# %%
rows = claims.table(profile, evidence=evidence)
claims.write(rows)
print(report.format_claims_text(rows))

# %% [markdown]
# The claims this profile leaves untestable, and why (a network that has not learned, the
# scale it would need, or what does not ship with the project):

# %%
for row in rows:
    if row["verdict"] in (claims.NOT_TESTABLE, claims.NOT_TESTABLE_SCALE):
        print(f"{row['id']}: {row['reason']}")

# %% [markdown]
# The report: `reports/index.html` with the environment, the metrics of every experiment,
# the claims table and every figure.

# %%
index = report.write_index(profile)
print(f"wrote {index.parent.name}/{index.name}")
