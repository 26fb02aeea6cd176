"""The notebooks' comparison helpers (colorization.study.compare) and the notebook provenance line,
on hand-built run directories (snapshots and history written here, nothing trained)."""

import datetime

import matplotlib
import numpy as np
import pytest

from colorization.runs.rundir import Run
from colorization.study import compare, notebook, report

matplotlib.use("Agg")


def _fake_run(root, name, *, ab_by_epoch, n=4, size=12, seed=0) -> Run:
    """A run directory with snapshot inputs (test + photos), one ab file per epoch and a
    two-epoch history."""
    rng = np.random.default_rng(seed)
    d = root / name
    (d / "snapshots").mkdir(parents=True)
    inputs = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    np.savez(d / "snapshots" / "inputs.npz", test=inputs, photos=inputs[:2])
    for epoch, ab in ab_by_epoch.items():
        full = np.broadcast_to(np.asarray(ab, np.float32), (n, size, size, 2))
        np.savez(d / "snapshots" / f"epoch_{epoch:03d}.npz", test=full, photos=full[:2])
    (d / "history.csv").write_text("epoch,loss\n0,1.0\n1,0.5\n")
    (d / "metrics").mkdir()  # the training set's mean tint, as evaluate.train_mean_ab stores it
    (d / "metrics" / "train_mean_ab.json").write_text('{"a": 5.0, "b": 10.0}')
    return Run(d)


@pytest.fixture
def figures_dir(tmp_path, monkeypatch):
    folder = tmp_path / "reports" / "figures"
    monkeypatch.setattr(compare.report.paths, "figures_dir", lambda: folder)
    return folder


@pytest.fixture
def reported(monkeypatch):
    """compare.report_metrics replaced by a recorder (no real experiment is evaluated)."""
    calls = []

    def fake(by_label, profile):
        calls.append((dict(by_label), profile))
        return {label: [{"ab_mae": 1.0}] for label in by_label}

    monkeypatch.setattr(compare, "report_metrics", fake)
    monkeypatch.setattr(compare.experiments, "caption", lambda name, profile, what, seed=0:
                        f"{what}\n{name}: a scale")
    return calls


def test_loss_comparison_draws_reports_and_plots(tmp_path, figures_dir, reported):
    runs = {"MSE": [_fake_run(tmp_path, "a", ab_by_epoch={1: (0, 0), 2: (10, 5)}),
                    _fake_run(tmp_path, "a1", ab_by_epoch={1: (0, 0), 2: (9, 5)})],
            "SmoothL1": [_fake_run(tmp_path, "b", ab_by_epoch={1: (5, 5), 2: (20, -5)}),
                         _fake_run(tmp_path, "b1", ab_by_epoch={1: (5, 5), 2: (19, -5)})]}
    names = {"MSE": "exp-mse", "SmoothL1": "exp-sl1"}
    out = compare.loss_comparison(runs, names, "smoke", "04-cnn-fruits-losses", title="t")
    assert reported == [(names, "smoke")]
    assert set(out) == {"MSE", "SmoothL1"}
    assert (figures_dir / "04-cnn-fruits-losses.png").stat().st_size > 0
    assert (figures_dir / "04-cnn-fruits-losses-curves.png").stat().st_size > 0


def test_loss_comparison_refuses_mismatched_labels(tmp_path, figures_dir, reported):
    runs = {"MSE": [_fake_run(tmp_path, "a", ab_by_epoch={1: (0, 0)})]}
    with pytest.raises(ValueError, match="same labels"):
        compare.loss_comparison(runs, {"L1": "exp"}, "smoke", "x", title="t")
    assert reported == [] and not figures_dir.exists()


def test_against_baseline_one_figure_per_dataset_baseline_first(tmp_path, figures_dir,
                                                                 reported):
    runs = {d: [_fake_run(tmp_path, f"m-{d}", ab_by_epoch={1: (3, 3)})]
            for d in ("fruits", "animals")}
    base = {d: [_fake_run(tmp_path, f"b-{d}", ab_by_epoch={1: (0, 0)})]
            for d in ("fruits", "animals")}
    names = {"fruits": "new-fr", "animals": "new-an"}
    baselines = {"fruits": "old-fr", "animals": "old-an"}
    compare.against_baseline(runs, base, names, baselines, "quick", "11-gan-vs-mse",
                             labels=("old", "new"), title="{data}: old vs new")
    assert list(reported[0][0]) == ["old-fr", "new-fr", "old-an", "new-an"]
    assert sorted(p.name for p in figures_dir.iterdir()) == ["11-gan-vs-mse-animals.png",
                                                              "11-gan-vs-mse-fruits.png"]
    with pytest.raises(ValueError, match="same datasets"):
        compare.against_baseline(runs, {"fruits": base["fruits"]}, names, baselines, "quick", "x",
                                 labels=("a", "b"), title="t")


def test_snapshot_rows_measure_each_epoch_with_claim_metrics(tmp_path):
    # Epoch 1: every image the same grey-green ab (spread 0, a < 0); epoch 3: the truth's ab.
    run = _fake_run(tmp_path, "r", ab_by_epoch={1: (-10, 0), 2: (0, 0), 3: (0, 0)})
    other = _fake_run(tmp_path, "r1", ab_by_epoch={1: (-10, 0), 3: (0, 0)}, seed=1)
    rows = compare.snapshot_rows({"CNN": [run, other]})
    assert list(rows) == ["CNN, epoch 1", "CNN, epoch 3"]  # the epochs every seed has
    assert len(rows["CNN, epoch 1"]) == 2
    rows = {k: v[0] for k, v in compare.snapshot_rows({"CNN": [run]}).items()}
    assert list(rows) == ["CNN, epoch 1", "CNN, epoch 2", "CNN, epoch 3"]
    first = rows["CNN, epoch 1"]
    assert first["spread_ratio"] == pytest.approx(0.0)
    assert first["mean_a"] == pytest.approx(-10.0)
    assert first["green_share"] == pytest.approx(1.0)
    assert rows["CNN, epoch 2"]["mean_a"] == pytest.approx(0.0)
    assert rows["CNN, epoch 2"]["ab_mae"] == pytest.approx(rows["CNN, epoch 2"]["ab_mae_gray"])
    ends = compare.snapshot_rows({"CNN": [run]}, "photos", epochs="ends")
    assert list(ends) == ["CNN, epoch 1", "CNN, epoch 3"]
    assert ends["CNN, epoch 1"][0]["n_images"] == 2


def test_by_epoch_prints_the_asked_keys_and_rejects_unknown_sets(tmp_path):
    run = _fake_run(tmp_path, "r", ab_by_epoch={1: (-10, 0), 4: (0, 0)})
    other = _fake_run(tmp_path, "r1", ab_by_epoch={1: (-12, 0), 4: (0, 0)}, seed=1)
    text = compare.by_epoch({"AE": [run, other]}, keys=("spread_ratio", "mean_a"))
    lines = text.splitlines()
    assert "spread_ratio" in lines[0] and "mean_a" in lines[0]
    assert lines[1].startswith("AE, epoch 1") and "-11.00 ± 1.41" in lines[1]
    assert lines[1].split()[3] == "2"  # two seeds
    with pytest.raises(ValueError, match="no snapshot images of the set 'train'"):
        compare.snapshot_rows({"AE": [run]}, "train")
    with pytest.raises(ValueError, match="'all' or 'ends'"):
        compare.snapshot_rows({"AE": [run]}, epochs="last")


def test_provenance_names_profile_data_commit_and_date(monkeypatch):
    monkeypatch.setenv("COLORIZATION_DATA", "embedded")
    monkeypatch.setattr(notebook, "short_commit", lambda root=None: "abc1234")
    line = notebook.provenance("quick", today=datetime.date(2026, 11, 27))
    assert line == ("profile: quick · data: fruits -> fruits360-sample (real photos, embedded "
                    "sample), animals -> pets-sample (real photos, embedded sample) · commit "
                    "abc1234 · 2026-11-27")


def test_short_commit_outside_a_repository_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert notebook.short_commit(tmp_path) == "unknown"
    monkeypatch.setattr(report.shutil, "which", lambda _: None)
    assert notebook.short_commit() == "unknown"
