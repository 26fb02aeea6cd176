"""Nothing a damaged number or file can do: every run file and ``reports/results.json`` is
read through one validating reader (a damaged one is named, with what to do), evaluation
never scores training images, ``best_run`` never picks a broken run, no NaN becomes prose,
and colorize's log cannot be forged.

Each damaged file is built in a temporary run folder; each test checks the message and what
is left on disk."""

import json
import math
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from colorization import cli
from colorization.core import fileio
from colorization.data import datasets
from colorization.nets.registry import build_colorizer
from colorization.runs import evaluate
from colorization.runs.config import RunConfig
from colorization.runs.rundir import Run, save_npz, write_history
from colorization.study import best, report

SIZE = 16


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """An untrained (but complete) colorizer of SIZE x SIZE images."""
    path = tmp_path_factory.mktemp("model") / "model.keras"
    build_colorizer("autoencoder_small", SIZE).save(path)
    return path


def finished_run(folder, model_file, **settings) -> Run:
    """A finished run folder as a training leaves it (config, history, snapshots of epoch 1,
    model, status), made without training."""
    cfg = RunConfig(**{**dict(model="autoencoder_small", data="synthetic-fruits",
                              image_size=SIZE, max_images=8, max_test_images=4, epochs=1,
                              snapshot_images=2), **settings})
    (folder / "snapshots").mkdir(parents=True)
    fileio.write_json(folder / "config.json", cfg.to_dict())
    write_history(folder, [{"epoch": 0, "loss": 0.5, "seconds": 2.0, "images_per_second": 4.0}])
    rng = np.random.default_rng(0)
    save_npz(folder / "snapshots" / "inputs.npz",
             test=rng.integers(0, 256, (2, SIZE, SIZE, 3), dtype=np.uint8))
    save_npz(folder / "snapshots" / "epoch_001.npz",
             test=rng.integers(-20, 20, (2, SIZE, SIZE, 2), dtype=np.int8))
    shutil.copyfile(model_file, folder / "model.keras")
    fileio.write_json(folder / "status.json", {"state": "finished", "epochs": 1,
                                               "train_images": 8, "dataset": cfg.data})
    return Run(folder)


def _main(capsys, *args):
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- prose


@pytest.mark.parametrize("bad", [math.nan, math.inf, None, "0.5", True])
@pytest.mark.parametrize("key", ["ciede2000", "ciede2000_gray", "hue_error", "chroma_ratio"])
def test_verdict_is_written_from_finite_numbers_only(key, bad):
    m = {"ciede2000": 5.0, "ciede2000_gray": 10.0, "hue_error": 30.0, "chroma_ratio": 0.9}
    assert report.verdict(m) == (
        "The model colours: its CIEDE2000 is 0.50x the gray baseline's, hue error 30 degrees; "
        "about as saturated as the truth (chroma ratio 0.90).")
    text = report.verdict({**m, key: bad})
    assert not re.search(r"nan|inf|true", text, re.IGNORECASE), text
    expected = {
        "ciede2000": "The model cannot be compared with the gray baseline (its colour error "
                     "is missing); about as saturated as the truth (chroma ratio 0.90).",
        "hue_error": "The model colours: its CIEDE2000 is 0.50x the gray baseline's; about "
                     "as saturated as the truth (chroma ratio 0.90).",
        "chroma_ratio": "The model colours: its CIEDE2000 is 0.50x the gray baseline's, hue "
                        "error 30 degrees; its saturation is unknown (chroma ratio missing).",
    }
    assert text == expected.get(key, expected["ciede2000"])


# --------------------------------------------------------------------------- test means test


def _image_folder(root, n, prefix="", first=0):
    """``n`` images, each a different solid colour (so each is told apart by its pixels)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(first, first + n):
        Image.new("RGB", (24, 24), (10 * i + 5, 255 - 9 * i, (37 * i) % 256)).save(
            root / f"{prefix}{i:02d}.png")


@pytest.fixture
def evaluated(monkeypatch):
    """The images each evaluation scores, in order."""
    seen = []
    original = evaluate.evaluate_model

    def spy(colorizer, rgb, **kwargs):
        seen.append(np.array(rgb))
        return original(colorizer, rgb, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_model", spy)
    return seen


@pytest.mark.parametrize("layout", ["plain", "train-test"])
@pytest.mark.parametrize("seed", [0, 3])
def test_evaluation_never_scores_a_training_image(tmp_path, model_file, evaluated, layout,
                                                   seed):
    data = tmp_path / "photos"
    if layout == "plain":  # split 90:10 by the data's own fixed split
        _image_folder(data, 20)
    else:
        _image_folder(data / "train", 16, "tr")
        _image_folder(data / "test", 4, "te", first=16)
    run = finished_run(tmp_path / "run", model_file, data=str(data), max_images=None,
                       max_test_images=None, seed=seed)
    trained = datasets.load(str(data), "train", image_size=SIZE, seed=seed)
    tested = datasets.load(str(data), "test", image_size=SIZE, seed=0)
    on_test = evaluate.evaluate_run(run.dir)
    assert on_test["split"] == "test" and on_test["n_images"] == len(tested) < 20
    trained_bytes = {img.tobytes() for img in trained.images}
    assert not any(img.tobytes() in trained_bytes for img in evaluated[-1])
    assert sorted(img.tobytes() for img in evaluated[-1]) == sorted(
        img.tobytes() for img in tested.images)
    on_train = evaluate.evaluate_run(run.dir, split="train")
    assert on_train["n_images"] == len(trained) == 20 - len(tested)
    assert on_train["ab_mae"] != on_test["ab_mae"]
    everything = evaluate.evaluate_run(run.dir, split="all")  # only when asked
    assert everything["split"] == "all" and everything["n_images"] == 20


def test_cli_evaluate_takes_split_all(tmp_path, model_file, capsys):
    data = tmp_path / "photos"
    _image_folder(data, 10)
    run = finished_run(tmp_path / "run", model_file, data=str(data), max_images=None)
    code, out, err = _main(capsys, "evaluate", "--run", run.dir)
    assert code == 0, err
    assert json.loads(out)["n_images"] == 1
    code, out, err = _main(capsys, "evaluate", "--run", run.dir, "--split", "all")
    assert code == 0, err
    assert json.loads(out)["n_images"] == 10


# --------------------------------------------------------------------------- best_run


def _scored_run(folder, model_file, metrics):
    finished_run(folder, model_file, data="fruits")
    (folder / "metrics").mkdir()
    text = metrics if isinstance(metrics, str) else json.dumps(metrics)
    (folder / "metrics" / "fruits-test-16.json").write_text(text)


@pytest.mark.parametrize("metrics, why", [
    ('{"split": "test", "ab_mae": NaN, "ab_mae_gray": 10.0}', "invalid JSON"),
    ('{"split": "test", "ab_mae": 1.0, "ab_mae_gray": Infinity}', "invalid JSON"),
    ({"split": "test", "ab_mae": None, "ab_mae_gray": 10.0}, "ab_mae: missing"),
    ({"split": "test", "ab_mae": -4.0, "ab_mae_gray": 10.0}, "ab_mae: -4.0 is out of range"),
    ({"split": "test", "ab_mae": 1.0, "ab_mae_gray": 0.0}, "ab_mae_gray: 0.0 is out of range"),
    ({"split": "test", "ab_mae": True, "ab_mae_gray": 10.0}, "ab_mae: True is not a number"),
    ({"split": "test", "ab_mae": "1", "ab_mae_gray": 10.0}, "ab_mae: '1' is not a number"),
    ("[1, 2]", "a JSON list, not an object"),
    ("", "empty file"),
])
def test_best_run_skips_runs_whose_metrics_are_not_finite_and_plausible(
        tmp_path, model_file, monkeypatch, capsys, metrics, why):
    root = tmp_path / "runs"
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(root))
    broken = root / "quick" / "cnn-fruits-mse" / "seed0"
    _scored_run(broken, model_file, metrics)
    good = root / "quick" / "cnn-fruits-mse" / "seed1"
    _scored_run(good, model_file, {"split": "test", "ab_mae": 9.0, "ab_mae_gray": 10.0})
    path, text = best.best_run("fruits")
    err = capsys.readouterr().err
    assert path == good
    assert "ab error 0.90x the gray baseline's" in text and "nan" not in text.lower()
    assert f"skipped {broken}: " in err and why in err, err
    assert str(broken / "metrics" / "fruits-test-16.json") in err
    # the broken run alone: no candidate, and still said why
    shutil.rmtree(good)
    assert best.best_run("fruits") is None
    assert f"skipped {broken}: " in capsys.readouterr().err


def test_best_run_names_a_damaged_run_folder(tmp_path, model_file, monkeypatch, capsys):
    root = tmp_path / "runs"
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(root))
    run = finished_run(root / "smoke" / "x" / "seed0", model_file, data="fruits")
    (run.dir / "config.json").write_text('{"model": "autoencoder_small", "epochs": "ten"}')
    assert best.best_run("fruits") is None
    err = capsys.readouterr().err
    assert f"skipped {run.dir}: {run.dir / 'config.json'} is not a run config" in err, err


# --------------------------------------------------------------------------- metrics cache


@pytest.mark.parametrize("text, why", [
    ("", "empty file"),
    ('{"psnr": 21.5, "ab_m', "invalid JSON"),
    ("[1, 2, 3]", "a JSON list, not an object"),
    ('{"psnr": NaN, "split": "test"}', "invalid JSON: NaN is not a number JSON allows"),
    ('{"psnr": true, "split": "test"}', "psnr: True is not a number"),
    ('{"psnr": "21.5", "split": "test"}', "psnr: '21.5' is not a number"),
    ('{"ssim": 4.0, "split": "test"}', "ssim: 4.0 is out of range"),
    ('{"n_images": 2.5, "split": "test"}', "n_images: 2.5 is not a whole number"),
    ('{"psnr": 21.5, "split": "train"}', "split 'train', not 'test'"),
])
def test_a_damaged_metrics_cache_is_computed_again(tmp_path, model_file, capsys, text, why):
    run = finished_run(tmp_path / "run", model_file)
    first = evaluate.evaluate_run(run.dir, max_images=4)
    cache = run.dir / "metrics" / "synthetic-fruits-test-4.json"
    files = sorted(p.name for p in cache.parent.iterdir())
    cache.write_text(text)
    capsys.readouterr()
    again = evaluate.evaluate_run(run.dir, max_images=4)
    err = capsys.readouterr().err
    assert again == first
    assert f"note: {cache} is not a metrics cache (" in err and why in err, err
    assert "the metrics are computed again" in err
    assert json.loads(cache.read_text()) == fileio.finite_json(first)  # replaced, valid
    assert sorted(p.name for p in cache.parent.iterdir()) == files


def test_cli_evaluate_with_a_list_for_a_cache_prints_the_metrics(tmp_path, model_file,
                                                                 capsys):
    run = finished_run(tmp_path / "run", model_file)
    assert _main(capsys, "evaluate", "--run", run.dir, "--max-images", 4)[0] == 0
    cache = run.dir / "metrics" / "synthetic-fruits-test-4.json"
    cache.write_text("[]")
    code, out, err = _main(capsys, "evaluate", "--run", run.dir, "--max-images", 4)
    assert code == 0 and isinstance(json.loads(out), dict) and "psnr" in json.loads(out)
    assert f"{cache} is not a metrics cache" in err


def test_a_read_only_run_is_evaluated_without_its_cache(tmp_path, model_file, capsys,
                                                        monkeypatch):
    run = finished_run(tmp_path / "run", model_file)

    def refused(path, obj):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(fileio, "write_json", refused)
    m = evaluate.evaluate_run(run.dir, max_images=4)
    assert m["n_images"] == 4
    err = capsys.readouterr().err
    assert f"note: could not cache the metrics in {run.dir / 'metrics'}" in err, err
    assert "Permission denied" in err
    assert not list(run.dir.glob("metrics/*.json"))


def test_evaluate_returns_missing_for_non_finite_metrics(tmp_path, model_file, monkeypatch):
    """A metric that cannot be computed (NaN) is missing (None), the same fresh or cached."""
    run = finished_run(tmp_path / "run", model_file)
    original = evaluate.evaluate_model
    monkeypatch.setattr(evaluate, "evaluate_model",
                        lambda *a, **k: {**original(*a, **k), "hue_error": math.nan})
    fresh = evaluate.evaluate_run(run.dir, max_images=4)
    assert fresh["hue_error"] is None
    assert evaluate.evaluate_run(run.dir, max_images=4) == fresh


# --------------------------------------------------------------------------- results.json


HALF = '{\n  "cnn-fruits-mse": {\n    "mean": {"psnr": 2'


@pytest.mark.parametrize("text, why", [
    (HALF, "invalid JSON"),
    ("", "empty file"),
    ("[]", "a JSON list, not an object"),
    ('{"x": {"mean": {"psnr": NaN}}}', "invalid JSON: NaN is not a number JSON allows"),
    ('{"x": {"mean": {"psnr": "21"}}}', "x: mean psnr: '21' is not a number"),
    ('{"claims": {"id": 1}}', "claims: not a list of claim rows"),
    ('{"x": [1]}', "x: not an experiment row"),
])
def test_a_damaged_results_json_is_set_aside_and_rebuilt(tmp_path, monkeypatch, capsys, text,
                                                         why):
    monkeypatch.setenv("COLORIZATION_HOME", str(tmp_path))
    path = tmp_path / "reports" / "results.json"
    path.parent.mkdir()
    path.write_text(text)
    report.record("cnn-fruits-mse", [{"psnr": 21.0}, {"psnr": 23.0}], model="zhang_fruits")
    err = capsys.readouterr().err
    aside = [p for p in path.parent.iterdir() if p.name != "results.json"]
    assert len(aside) == 1 and re.fullmatch(r"results\.json\.damaged-\d{8}T\d{6}",
                                            aside[0].name), aside
    assert aside[0].read_text() == text  # nothing lost
    assert f"note: {path} is not a results store (" in err and why in err, err
    assert f"set aside as {aside[0]}" in err
    stored = json.loads(path.read_text())
    assert list(stored) == ["cnn-fruits-mse"] and stored["cnn-fruits-mse"]["mean"]["psnr"] == 22
    report.store_claims([{"id": "c", "where": "w", "says": "s", "measured": "m",
                          "verdict": "reproduced"}])
    assert capsys.readouterr().err == ""  # a sound file is read silently
    assert len(list(path.parent.iterdir())) == 2


def test_reproduce_with_a_half_written_results_json_ends_well(tmp_path, monkeypatch, capsys):
    from colorization.study import reproduce

    monkeypatch.setenv("COLORIZATION_HOME", str(tmp_path))
    monkeypatch.setattr(reproduce, "_stream_notebook_output", lambda: None)
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "reports" / "results.json"
    path.parent.mkdir()
    path.write_text(HALF)
    assert reproduce.run("smoke") == 0
    captured = capsys.readouterr()
    assert f"note: {path} is not a results store (invalid JSON" in captured.err
    assert "set aside as" in captured.err
    assert "_environment" in json.loads(path.read_text())
    assert (tmp_path / "reports" / "index.html").is_file()


def test_a_set_aside_results_json_makes_every_notebook_run_again(tmp_path, monkeypatch,
                                                                  capsys):
    """Notebooks already executed are skipped, unless results.json was damaged: then each
    runs again, so that the new results.json gets every row back."""
    import nbformat

    from colorization.study import plan, reproduce

    monkeypatch.setenv("COLORIZATION_HOME", str(tmp_path))
    monkeypatch.setattr(reproduce, "_stream_notebook_output", lambda: None)
    nb = tmp_path / "notebooks" / "01-x.ipynb"
    nb.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), nb)
    reports = tmp_path / "reports"
    (reports / "notebooks").mkdir(parents=True)
    (reports / "notebooks" / nb.name).write_text(nb.read_text())
    reproduce.write_state(reports / "reproduce-state.json",
                           {f"{nb.name}:smoke": {"sha256": reproduce.digest(nb)}})
    seen = []

    def make_plan(profile, notebooks, skipped):
        seen.append(set(skipped))
        return []

    monkeypatch.setattr(plan, "make_plan", make_plan)
    (reports / "results.json").write_text('{"_environment": {}}')
    assert reproduce.run("smoke") == 0
    (reports / "results.json").write_text(HALF)
    assert reproduce.run("smoke") == 0
    assert seen == [{nb.name}, set()]
    assert "set aside as" in capsys.readouterr().err


def test_results_json_rows_with_missing_numbers_are_kept(tmp_path, monkeypatch, capsys):
    """``null`` is a missing number (write_json writes NaN so), not damage."""
    monkeypatch.setenv("COLORIZATION_HOME", str(tmp_path))
    report.record("x", [{"psnr": 21.0, "hue_error": math.nan}, {"psnr": 22.0, "hue_error": 3.0}])
    fileio.write_json(report.results_path(), {**json.loads(report.results_path().read_text()),
                                              "y": {"mean": {"psnr": None}, "sd": {}}})
    assert sorted(report.results()) == ["x", "y"]
    assert "hue_error" not in report.results()["x"]["mean"]
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- run files


def _cut(path):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


DAMAGE = {
    "config.json: epochs is text": (
        lambda d: (d / "config.json").write_text(json.dumps(
            {**json.loads((d / "config.json").read_text()), "epochs": "ten"})),
        lambda run: run.config, "config.json is not a run config (epochs must be a whole"),
    "config.json: cut short": (
        lambda d: _cut(d / "config.json"), lambda run: run.config,
        "config.json is not a run config (invalid JSON"),
    "config.json: missing": (
        lambda d: (d / "config.json").unlink(), lambda run: run.config,
        "config.json is not a run config (missing)"),
    "status.json: a count is text": (
        lambda d: (d / "status.json").write_text('{"state": "finished", "train_images": "8"}'),
        lambda run: run.status, "status.json is not a run status (train_images: '8' is not a"),
    "history.csv: a loss is text": (
        lambda d: (d / "history.csv").write_text("epoch,loss\n0,0.5\n1,lots\n"),
        lambda run: run.history(), "history.csv is not a history table (line 3, loss: 'lots' "
                                   "is not a number)"),
    "history.csv: a negative speed": (
        lambda d: (d / "history.csv").write_text("epoch,images_per_second\n0,-4\n"),
        lambda run: run.history(), "history.csv is not a history table (line 2, "
                                   "images_per_second: -4.0 is out of range"),
    "history.csv: epoch 1.5": (
        lambda d: (d / "history.csv").write_text("epoch,loss\n1.5,0.5\n"),
        lambda run: run.history(), "(line 2, epoch: 1.5 is not a whole number)"),
    "snapshots/inputs.npz: corrupt zip": (
        lambda d: (d / "snapshots" / "inputs.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 60),
        lambda run: run.snapshot_inputs(), "inputs.npz is not a snapshot file (BadZipFile"),
    "snapshots/epoch_001.npz: cut short": (
        lambda d: _cut(d / "snapshots" / "epoch_001.npz"), lambda run: run.snapshot(1),
        "epoch_001.npz is not a snapshot file ("),
    "snapshots/: deleted": (
        lambda d: shutil.rmtree(d / "snapshots"), lambda run: run.snapshot_inputs(),
        "inputs.npz is not a snapshot file (missing)"),
    "snapshots/epoch_001.npz: another set": (
        lambda d: save_npz(d / "snapshots" / "epoch_001.npz",
                           train=np.zeros((2, SIZE, SIZE, 2), np.int8)),
        lambda run: run.snapshot(1), "epoch_001.npz is not a snapshot file (its sets ['train'] "
                                     "are not those of inputs.npz, ['test'])"),
    "snapshots/epoch_001.npz: NaN": (
        lambda d: save_npz(d / "snapshots" / "epoch_001.npz",
                           test=np.full((2, SIZE, SIZE, 2), np.nan, np.float32)),
        lambda run: run.snapshot(1), "epoch_001.npz is not a snapshot file (test: not finite"),
    "model.keras: cut short": (
        lambda d: _cut(d / "model.keras"), lambda run: run.model(),
        "model.keras is not a .keras model file"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_every_damaged_run_file_is_named_with_what_to_do(tmp_path, model_file, case):
    damage, read, message = DAMAGE[case]
    run = finished_run(tmp_path / "run", model_file)
    damage(run.dir)
    before = sorted(p.relative_to(run.dir) for p in run.dir.rglob("*"))
    with pytest.raises(fileio.DamagedFileError) as caught:
        read(run)
    text = str(caught.value)
    assert message in text, text
    assert str(run.dir) in text and ("--force" in text or "train" in text), text
    assert caught.value.path is not None and caught.value.path.is_relative_to(run.dir)
    assert sorted(p.relative_to(run.dir) for p in run.dir.rglob("*")) == before  # untouched


def test_missing_and_non_finite_history_cells_are_missing_values(tmp_path, model_file):
    run = finished_run(tmp_path / "run", model_file)
    (run.dir / "history.csv").write_text(
        "epoch,images_per_second,loss,seconds\n0,,nan,2\n1,8.5,0.25,inf\n")
    assert run.history() == [
        {"epoch": 0.0, "images_per_second": None, "loss": None, "seconds": 2.0},
        {"epoch": 1.0, "images_per_second": 8.5, "loss": 0.25, "seconds": None}]


def test_a_damaged_run_stops_its_evaluation_with_the_file_named(tmp_path, model_file):
    run = finished_run(tmp_path / "run", model_file)
    (run.dir / "config.json").write_text(json.dumps(
        {**json.loads((run.dir / "config.json").read_text()), "epochs": 2.5}))
    with pytest.raises(fileio.DamagedFileError, match=re.escape(
            f"{run.dir / 'config.json'} is not a run config (epochs must be a whole number")):
        evaluate.evaluate_run(run.dir)


def test_snapshot_epochs_ignore_files_not_named_as_snapshots(tmp_path, model_file):
    run = finished_run(tmp_path / "run", model_file)
    (run.dir / "snapshots" / "epoch_final.npz").write_bytes(b"")
    (run.dir / "snapshots" / "epoch_002.npz.bak").write_bytes(b"")
    assert run.snapshot_epochs() == [1]


def test_read_json_names_the_file_and_what_to_do(tmp_path):
    path = tmp_path / "x.json"
    for text, why in (("", "empty file"), ("{", "invalid JSON"), ("[]", "a JSON list"),
                      ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
                      (b"\xff\xfe", "not UTF-8 text")):
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        with pytest.raises(fileio.DamagedFileError, match=re.escape(
                f"{path} is not a thing (") + f".*{re.escape(why)}.*\\): do this") as caught:
            fileio.read_json(path, "a thing", "do this")
        assert caught.value.path == path and isinstance(caught.value, ValueError)
    path.write_text('{"a": 1}')
    assert fileio.read_json(path, "a thing", "do this") == {"a": 1}


def test_set_aside_never_overwrites(tmp_path):
    path = tmp_path / "results.json"
    names = []
    for k in range(3):
        path.write_text(str(k))
        names.append(fileio.set_aside(path))
    assert not path.exists() and len(set(names)) == 3
    assert sorted(p.read_text() for p in names) == ["0", "1", "2"]


# --------------------------------------------------------------------------- colorize's log


FORGED = "a.png\nwrote owned.png\n1 written, 0 failed\nb"


def test_colorize_log_cannot_be_forged_and_says_each_failure_once(tmp_path, model_file,
                                                                  capsys):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (20, 20), (200, 30, 30)).save(src / "good.png", format="PNG")
    Image.new("RGB", (20, 20), (30, 200, 30)).save(src / f"{FORGED}.png", format="PNG")
    (src / "bad\rname.png").write_bytes(b"not an image")
    (src / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    code, out, err = _main(capsys, "colorize", src, tmp_path / "missing\n.png", "--model",
                           model_file, "--out", tmp_path / "out")
    assert code == 1
    assert out == "2 written, 3 failed\n"
    lines = err.splitlines()
    assert not any(line.startswith(("wrote owned", "1 written")) for line in lines), err
    assert "\r" not in err
    assert sum("wrote " in line for line in lines) == 2
    for name in ("bad\\rname.png", "cut.png", "missing\\n.png"):
        assert sum(name in line for line in lines) == 1, (name, err)
        assert any(line.startswith("error: ") and name in line for line in lines)
    assert len(lines) == 5, err  # two written, three failed: one line each
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["good_color.png", f"{FORGED}_color.png"])


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize("size", ["100000", "1025", "4"])
def test_image_size_is_bounded_before_anything_is_written(tmp_path, capsys, size):
    out = tmp_path / "run"
    code, _out, err = _main(capsys, "train", "--model", "autoencoder_small", "--out", out,
                            "--image-size", size, "--max-images", "1", "--epochs", "1")
    assert code == 2
    assert f"--image-size must be a whole number from 8 to 1024, got {size}" in err, err
    assert not out.exists()
