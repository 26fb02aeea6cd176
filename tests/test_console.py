"""What `make reproduce` prints: a plan with an estimate, one line as each notebook and run
starts and ends, progress within an epoch, a summary; a failure with its notebook, cell,
error and last output lines; the cost of a long run on a CPU before any training; and none
of papermill's cell log, TensorFlow's banners or Jupyter's warnings."""

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest
from PIL import Image

from colorization.acquire.prepare import prepare
from colorization.core import paths
from colorization.data import datasets
from colorization.runs import callbacks
from colorization.runs import train as training
from colorization.runs.config import RunConfig
from colorization.runs.train import train
from colorization.study import console as printed
from colorization.study import plan, reproduce

ROOT = Path(__file__).resolve().parents[1]
NOISE = ("Executing Cell", "Ending Cell", "absl", "cudart", "cuInit", "TCP without encryption",
         "oneDNN custom operations", "KeyboardInterrupt caught")


class Lines(reproduce.Console):
    """A console that keeps its lines."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def say(self, text=""):
        self.lines.append(text)

    @property
    def text(self):
        return "\n".join(self.lines)


def _notebook(folder: Path, name: str, *cells: str) -> Path:
    """A notebook with papermill's parameters cell, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("profile = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


# ------------------------------------------------------------------ progress of a training


def test_progress_events_of_a_fit(tmp_path):
    events = tmp_path / "events.jsonl"
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.zeros((8, 3), np.float32)
    progress = callbacks.ProgressEvents(events, "exp/seed0", images=8, steps=4, epochs=2,
                                        interval=0.0)
    model.fit(x, x[:, :1], batch_size=2, epochs=2, verbose=0, callbacks=[progress])
    rows = [json.loads(line) for line in events.read_text().splitlines()]
    kinds = [r["event"] for r in rows]
    assert kinds == ["start"] + ["progress"] * 8 + ["end"]
    assert rows[0] == {**rows[0], "run": "exp/seed0", "epochs": 2, "steps": 4, "images": 8}
    last = rows[-2]
    assert (last["epoch"], last["step"], last["eta_seconds"]) == (2, 4, 0.0)
    assert rows[1]["eta_seconds"] > 0 and rows[1]["images_per_second"] > 0
    assert rows[-1]["epochs"] == 2 and rows[-1]["images_per_second"] > 0


def test_progress_is_at_most_every_interval(tmp_path):
    events = tmp_path / "events.jsonl"
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.zeros((8, 3), np.float32)
    progress = callbacks.ProgressEvents(events, "r", 8, 4, 1, interval=3600)
    model.fit(x, x[:, :1], batch_size=2, epochs=1, verbose=0, callbacks=[progress])
    assert [json.loads(x)["event"] for x in events.read_text().splitlines()] == ["start", "end"]


def test_a_training_writes_its_events_when_asked(tmp_path, monkeypatch):
    events = tmp_path / "events.jsonl"
    monkeypatch.setitem(training.OUTPUT, "progress", str(events))
    config = RunConfig(model="autoencoder_small", data="fruits", epochs=2, image_size=16,
                       max_images=20, max_test_images=4, batch_size=8, snapshot_images=1)
    train(config, tmp_path / "exp" / "seed3", verbose=0)
    rows = [json.loads(line) for line in events.read_text().splitlines()]
    assert [r["event"] for r in rows] == ["start", "end"]
    # 20 images in batches of 8: three steps, the last of 4 images (TensorFlow keeps it)
    assert rows[0]["run"] == "exp/seed3" and rows[0]["images"] == 20
    assert rows[0]["steps"] == 3 and rows[0]["epochs"] == 2
    train(config, tmp_path / "exp" / "seed3", verbose=0)  # finished: reused, no event
    assert len(events.read_text().splitlines()) == 2


def test_the_console_lines_of_events(tmp_path):
    start = {"event": "start", "run": "a/seed0", "epoch": 0, "epochs": 10, "steps": 243,
             "images": 15506}
    assert printed.event_line(start) == ("    run a/seed0: 15,506 images x 10 epochs, 243 "
                                           "steps an epoch")
    assert "from epoch 4" in printed.event_line({**start, "epoch": 3})
    line = printed.event_line({"event": "progress", "run": "a/seed0", "epoch": 1,
                                 "epochs": 10, "step": 12, "steps": 243,
                                 "images_per_second": 6.4, "eta_seconds": 6000})
    assert line == ("      a/seed0 epoch 1/10, step 12/243: 6.4 images/s, run ETA 1 h 40 min")
    assert printed.event_line({"event": "other"}) is None

    events = tmp_path / "e.jsonl"
    console = Lines()
    watcher = printed.Watcher(console, events)
    events.write_text(json.dumps(start) + "\n" + '{"event": "end", "run": "a/se')
    watcher.drain()
    assert console.lines == [printed.event_line(start)]  # the half-written line waits
    with open(events, "a") as f:
        f.write('ed0", "epochs": 10, "seconds": 90, "images_per_second": 7.0}\n')
    watcher.drain()
    assert console.lines[-1] == ("    done a/seed0: 10 epochs in 1 min 30 s (last epoch 7.0 "
                                 "images/s)")
    assert len(watcher.runs) == 1


def test_a_quiet_notebook_gets_a_line_saying_it_still_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(printed, "HEARTBEAT_SECONDS", 0.0)
    console = Lines()
    watcher = printed.Watcher(console, tmp_path / "none.jsonl", poll=0.01)
    watcher.start()
    try:
        assert not console.lines  # no notebook running: nothing to say
        watcher.notebook, watcher.started = "05-cnn-animals", time.monotonic()
        for _ in range(500):
            if console.lines:
                break
            time.sleep(0.01)
    finally:
        watcher.stop()
    assert console.lines[0].startswith("    ... 05-cnn-animals still running (")


def test_durations_read_as_a_person_says_them():
    assert [plan.duration(s) for s in (4, 59.4, 89, 600, 5400, 90_000, 400_000)] == [
        "4 s", "59 s", "1 min 29 s", "10 min", "1 h 30 min", "25 h 00 min", "4 days 15 h"]


# ------------------------------------------------------------------ the plan and its estimate


def test_the_plan_gives_each_run_to_the_first_notebook_that_trains_it(tmp_path):
    folder = tmp_path / "notebooks"
    a = _notebook(folder, "02-a.ipynb", 'name = "zhang-full-fruits"',
                  'small = experiments.run_all("cnn-fruits-mse", profile)')
    b = _notebook(folder, "03-b.ipynb", 'name = "cnn-fruits-mse"  # and cnn-fruits-mse-flip')
    c = _notebook(folder, "12-c.ipynb",
                  "runs = {n: experiments.run_all(n, p) for n in experiments.EXPERIMENTS}")
    plans = plan.make_plan("smoke", [a, b, c], skipped=set())
    trained = {p.name: sorted({r.experiment for r in p.runs}) for p in plans}
    assert trained["02-a.ipynb"] == ["cnn-fruits-mse", "zhang-full-fruits"]
    assert trained["03-b.ipynb"] == []  # 02 trains it first; the comment names no other
    assert "cnn-fruits-mse-flip" in trained["12-c.ipynb"]
    run = next(r for r in plans[0].runs if r.experiment == "zhang-full-fruits")
    assert (run.images, run.epochs, run.batch_size, run.image_size) == (48, 2, 16, 32)
    assert run.optimizer_steps == 2 * run.steps_per_epoch
    assert sorted(r.seed for r in plans[0].runs if r.experiment == "zhang-full-fruits") == [0, 1]

    later = plan.make_plan("smoke", [a, b, c], skipped={"02-a.ipynb"})
    assert "zhang-full-fruits" in {r.experiment for r in later[2].runs}  # 12 trains it now
    assert later[0].skipped and later[0].runs == []


def test_the_estimate_adds_steps_commits_snapshots_evaluation_and_start_up():
    t = plan.Timing(train_image=0.01, predict_image=0.002, metrics_image=0.001, commit=0.5,
                    first_step=4.0, batch=16, flops_image=1e9)
    run = plan.RunPlan("x", 0, "zhang_fruits", 32, 16, images=160, epochs=10,
                       steps_per_epoch=10, test_images=100, snapshots=48)
    expected = (plan.RUN_FIRST_STEPS * 4.0 + 100 * 16 * 0.01 + 10 * 0.5 + 48 * 0.002
                + plan.EVAL_PASSES * 100 * 0.003)
    assert plan.run_seconds(run, t) == pytest.approx(expected)
    resumed = plan.RunPlan("x", 0, "zhang_fruits", 32, 16, 160, 10, 10, 100, 48, done=5)
    assert resumed.optimizer_steps == 50 and plan.run_seconds(resumed, t) < expected
    plans = [plan.NotebookPlan("01.ipynb"), plan.NotebookPlan("02.ipynb", [run]),
             plan.NotebookPlan("03.ipynb", skipped=True)]
    total = plan.estimate(plans, {("zhang_fruits", 32, 16): t}, import_seconds=4.0)
    start = plan.NOTEBOOK_IMPORTS * 4.0
    assert total == pytest.approx(2 * start + expected)
    assert plans[2].seconds == 0


@pytest.mark.slow
def test_a_network_is_timed_in_a_few_steps():
    t = plan.time_network("autoencoder_small", 16, 8, budget=0.2)
    assert t.batch == 8 and 0 < t.train_image < 1 and t.commit > 0 and t.first_step >= 0
    assert t.predict_image == pytest.approx(t.train_image / 3)
    assert t.flops_image == plan.train_flops(
        __import__("colorization.nets.registry", fromlist=["x"]).build_colorizer(
            "autoencoder_small", 16))


def test_training_flops_of_the_papers_networks():
    from colorization.nets import registry

    assert plan.train_flops(registry.build_colorizer("zhang_full", 100)) / 1e9 == (
        pytest.approx(41.04, abs=0.01))  # docs/performance.md: 3 x 2 x 6.840 GMAC
    assert plan.train_flops(registry.build_colorizer("autoencoder", 100)) / 1e9 == (
        pytest.approx(9.44, abs=0.01))


def test_timings_are_kept_per_machine(monkeypatch):
    calls = []

    def fake(model, size, batch):
        calls.append(model)
        return plan.Timing(0.01, 0.003, 0.001, 0.1, 1.0, batch, 1e9)

    monkeypatch.setattr(plan, "time_network", fake)
    wanted = [("zhang_fruits", 32, 16), ("gan", 32, 16)]
    first = plan.time_networks(wanted)
    again = plan.time_networks(wanted)
    assert calls == ["zhang_fruits", "gan"] and first == again
    assert plan.machine() in json.loads(plan.cache_path().read_text())


# ------------------------------------------------------------------ the cost of a long run


def _estimate_console(**kw):
    console = Lines()
    args = dict(chosen="paper", total=40 * 3600.0, flops=8.2e16, seconds=40 * 3600.0,
                gpu=False, yes=False)
    args.update(kw)
    chosen, total, flops, seconds = (args.pop(k) for k in ("chosen", "total", "flops",
                                                          "seconds"))
    ok = reproduce.confirm_cost(console, chosen, total, flops, seconds, **args)
    return ok, console.text


def test_a_long_run_on_a_cpu_says_its_cost_and_stops_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "1")
    ok, text = _estimate_console()
    assert not ok
    assert "about 40 h 00 min on this machine, which has no GPU" in text
    assert "82.0 PFLOP" in text and "TFLOP/s" in text and "Kaggle Notebooks" in text
    assert "CI is set" in text and "YES=1" in text


def test_yes_a_gpu_or_a_short_run_go_on_without_asking(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert _estimate_console(yes=True)[0]
    assert _estimate_console(gpu=True) == (True, "")
    assert _estimate_console(chosen="quick", total=1800.0) == (True, "")
    assert not _estimate_console(chosen="quick", total=7200.0)[0]  # over an hour: asks


def test_a_person_is_asked(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stdin", type("Tty", (), {"isatty": lambda self: True})())
    console = Lines()
    answers = iter(["y", "", "no"])
    go = [reproduce.confirm_cost(console, "paper", 9e4, 1e16, 9e4, gpu=False, yes=False,
                                 ask=lambda _q: next(answers)) for _ in range(3)]
    assert go == [True, False, False]
    assert console.lines[-1] == "  Stopped before any training."


def _jpeg(w, h, seed):
    import io

    px = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG")
    return buf.getvalue()


def test_the_paper_profile_on_a_cpu_prints_its_estimate_and_stops_under_ci(
        tmp_path, monkeypatch):
    """Kaggle-layout archives placed by hand and prepared, then `make reproduce
    PROFILE=paper` with CI=1 and no --yes: the plan and the cost, then a stop before any
    notebook or training starts."""
    monkeypatch.setenv("COLORIZATION_DATA", "auto")
    monkeypatch.setattr(datasets, "_source", "auto")
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CI", "1")
    fruits, animals = tmp_path / "fruit-recognition.zip", tmp_path / "animals10.zip"
    with zipfile.ZipFile(fruits, "w") as zf:
        for k in range(12):
            zf.writestr(f"train/train/{('Kiwi', 'Banana')[k % 2]}/{k}.jpg", _jpeg(100, 100, k))
        for k in range(4):
            zf.writestr(f"test/test/{k:04d}.jpg", _jpeg(100, 100, 50 + k))
    with zipfile.ZipFile(animals, "w") as zf:
        for k in range(16):
            zf.writestr(f"raw-img/{('cane', 'gatto')[k % 2]}/{k}.jpeg", _jpeg(120, 110, 80 + k))
    prepare("fruits", archive=fruits)
    prepare("animals", archive=animals)
    home = paths.project_root()
    (home / "notebooks").mkdir(parents=True, exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        (home / "notebooks" / nb.name).write_bytes(nb.read_bytes())
    monkeypatch.setattr(plan, "time_network", lambda m, s, b: plan.Timing(
        0.05, 0.017, 0.002, 1.0, 10.0, 16, 4e10))
    monkeypatch.setattr(reproduce, "gpu_available", lambda: False)
    console = Lines()
    assert reproduce.run("paper", console=console) == 3
    text = console.text
    assert "make reproduce: profile paper" in text
    assert "02-zhang-full-fruits" in text and "zhang-full-fruits: 3 x 12 x 10" in text
    assert text.index("in all") < text.index("cost:") < text.index("CI is set")
    assert "running" not in text
    assert not list(paths.runs_dir().glob("paper/**/config.json"))  # nothing trained


# ------------------------------------------------------------------ executing notebooks


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root holding only the notebooks a test writes."""
    home = tmp_path / "project"
    monkeypatch.setenv("COLORIZATION_HOME", str(home))
    return home


def test_a_failing_notebook_names_its_cell_error_and_last_output(project, capfd):
    _notebook(project / "notebooks", "01-fine.ipynb", "print('all well')")
    _notebook(project / "notebooks", "02-broken.ipynb", "x = 1",
              "for i in range(30):\n    print(f'line {i}')\nraise ValueError('the input is bad')",
              "print('never')")
    console = Lines()
    assert reproduce.run("smoke", console=console) == 1
    text = console.text
    # In [4]: after the parameters cell papermill adds, as the partly executed copy shows
    assert "FAILED: 02-broken.ipynb, cell In [4] (for i in range(30):): ValueError: " \
        "the input is bad" in text
    assert "  | line 29" in text and "  | ValueError: the input is bad" in text
    assert "  | line 0\n" not in text  # only the last lines
    assert "02-broken.partial.ipynb" in text
    assert "01-fine: done" in text
    captured = capfd.readouterr()
    for noise in NOISE:
        assert noise not in text + captured.out + captured.err


def test_a_notebook_run_from_the_command_line_prints_the_plan_runs_and_summary(project):
    """`python -m colorization.study.reproduce` in a fresh process (as `make reproduce` runs
    it): every line it prints, on stdout and stderr together."""
    _notebook(project / "notebooks", "01-hello.ipynb",
              "import sys\nprint('hello')\nprint('to stderr', file=sys.stderr)")
    env = dict(os.environ, COLORIZATION_HOME=str(project))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # quiet without the Makefile's setting too
    done = subprocess.run([sys.executable, "-m", "colorization.study.reproduce",
                           "--profile", "smoke"], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    for noise in NOISE:
        assert noise not in out
    lines = out.strip().splitlines()
    assert lines[0] == "make reproduce: profile smoke (as requested)"
    assert any(line.startswith("plan: 1 notebook to execute, 0 runs") for line in lines)
    assert any(line.startswith("  in all") and "ETA" in line for line in lines)
    assert any(line.startswith("01-hello: done in") for line in lines)
    assert any(line.startswith("summary: 1 notebook executed, 0 runs trained") for line in lines)
    assert any("report: reports/index.html" in line for line in lines)
    assert len(lines) <= 12, out
    assert (project / "reports" / "notebooks" / "01-hello.ipynb").is_file()
    again = subprocess.run([sys.executable, "-m", "colorization.study.reproduce",
                            "--profile", "smoke", "--verbose"], env=env, capture_output=True,
                           text=True, timeout=600, check=False)
    assert "done  (executed with profile smoke; skipped)" in again.stdout
