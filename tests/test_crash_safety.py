"""Crash-safe runs: a training killed (SIGKILL) at any instant resumes to exactly the run
that was never interrupted, one folder is trained by one process at a time, and a damaged
backup, a full disk or a damaged run file is reported with what to do."""

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from colorization.runs.config import RunConfig
from colorization.runs.rundir import Run, RunFileError, read_history

TINY = dict(model="autoencoder_small", data="synthetic-fruits", image_size=16, max_images=8,
            max_test_images=4, batch_size=8, snapshot_images=2, snapshot_epochs=[1, 2, 3],
            epochs=3, jit_compile=False, deterministic=True)

# Every instant between two writes of an epoch (all writes are atomic), and of the end.
EPOCH_STAGES = ("snapshot_write", "snapshot", "weights_start", "weights", "commit", "history")
POINTS = [f"{s}:{e}" for e in (1, 2, 3) for s in EPOCH_STAGES] + ["model:3", "status:3"]

# One interpreter imports TensorFlow once, then forks a child per training (each child runs
# eagerly: no tracing per process). Nothing of TensorFlow runs in the parent before a fork.
_FORK_SERVER = r"""
import csv, json, os, sys
sys.path.insert(0, sys.argv[3])  # the tests folder: kill_points
import kill_points
from colorization.runs.train import train
from colorization.runs.config import RunConfig

cfg = RunConfig(**json.loads(sys.argv[1]))
jobs = json.loads(sys.argv[2])  # [[run_dir, [kill point, ...]], ...]

def one(run_dir, kill):
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            import tensorflow as tf
            tf.config.run_functions_eagerly(True)
            kill_points.install(kill)
            train(cfg, run_dir, verbose=0)
        except BaseException as err:
            print(f"child error: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return status

def committed(run_dir):
    try:
        with open(os.path.join(run_dir, "backup", "state.json")) as f:
            return json.load(f)["epoch"]
    except FileNotFoundError:
        return 0

def rows(run_dir):
    try:
        with open(os.path.join(run_dir, "history.csv")) as f:
            return [int(r["epoch"]) for r in csv.DictReader(f)]
    except FileNotFoundError:
        return []

report = []
for run_dir, kills in jobs:
    for kill in kills + [None]:
        status = one(run_dir, kill)
        report.append({"run": run_dir, "kill": kill, "signal": os.WTERMSIG(status)
                       if os.WIFSIGNALED(status) else None,
                       "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                       "committed": committed(run_dir), "rows": rows(run_dir)})
print(json.dumps(report))
"""


def _fork_server(jobs, timeout=600):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", _FORK_SERVER, json.dumps(TINY),
                          json.dumps(jobs), str(Path(__file__).parent)],
                         capture_output=True, text=True, env=env,
                         timeout=timeout, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def _weights(model_path: Path) -> dict[str, np.ndarray]:
    """Every weight array of a saved ``.keras`` file, read with h5py (no TensorFlow)."""
    import h5py

    with zipfile.ZipFile(model_path) as z:
        data = z.read("model.weights.h5")
    found = {}
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def test_kills_at_20_random_instants_resume_to_the_uninterrupted_run(tmp_path):
    """SIGKILL at 20 instants (every stage of every epoch and of the final save, in a
    seeded random order, four kills per run): each resumed run ends with one history row per
    epoch, every snapshot, no backup or temporary file left, and the same weights and
    losses as a run never interrupted (CPU, deterministic)."""
    rng = np.random.default_rng(14)
    order = [POINTS[i] for i in rng.permutation(len(POINTS))]
    chains = [sorted(order[i:i + 4], key=POINTS.index) for i in range(0, len(order), 4)]
    jobs = [[str(tmp_path / "reference"), []]]
    jobs += [[str(tmp_path / f"killed{i}"), chain] for i, chain in enumerate(chains)]
    start = time.monotonic()
    report, stderr = _fork_server(jobs)
    seconds = time.monotonic() - start
    kills = [r for r in report if r["kill"]]
    assert len(kills) == 20 and len({r["kill"] for r in kills}) == 20
    for r in report:
        if r["kill"]:
            assert r["signal"] == signal.SIGKILL, (r, stderr[-2000:])
            # after any kill, history.csv holds exactly the committed epochs, but for a kill
            # right after the commit, before history.csv is rewritten from it (a resume
            # rewrites it first)
            lag = 1 if r["kill"].startswith("commit:") else 0
            assert r["rows"] == list(range(r["committed"] - lag)), r
        else:
            assert r["exit"] == 0, (r, stderr[-2000:])
    ref = Run(tmp_path / "reference")
    ref_weights = _weights(ref.dir / "model.keras")
    ref_losses = [h["loss"] for h in ref.history()]
    for i in range(len(chains)):
        run = Run(tmp_path / f"killed{i}")
        assert run.finished, chains[i]
        assert [h["epoch"] for h in run.history()] == [0, 1, 2], chains[i]
        assert [h["loss"] for h in run.history()] == ref_losses, chains[i]
        assert run.snapshot_epochs() == [1, 2, 3], chains[i]
        for e in (1, 2, 3):
            for k, v in run.snapshot(e).items():
                np.testing.assert_array_equal(v, ref.snapshot(e)[k])
        assert not (run.dir / "backup").exists()
        assert not [p for p in run.dir.rglob(".*") if ".tmp" in p.name], chains[i]
        got = _weights(run.dir / "model.keras")
        assert got.keys() == ref_weights.keys()
        for name, value in ref_weights.items():
            np.testing.assert_array_equal(got[name], value, err_msg=f"{chains[i]}: {name}")
    print(f"{len(report)} trainings, 20 kills in {seconds:.1f} s")


# --------------------------------------------------------------------------- in-process runs

SMALL = dict(TINY, image_size=16, max_images=16, batch_size=16, epochs=3)


class _Crash:
    """A Keras callback that stops training like a kill after ``after`` committed epochs."""

    def __new__(cls, after):
        import keras

        class Crash(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch + 1 == after:
                    raise KeyboardInterrupt("simulated kill")

        return Crash()


def _interrupted(run_dir, after=2):
    from colorization.runs.train import train

    with pytest.raises(KeyboardInterrupt):
        train(RunConfig(**SMALL), run_dir, verbose=0, callbacks=[_Crash(after)])
    return Path(run_dir) / "backup"


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def test_a_resumed_run_with_flips_ends_with_the_uninterrupted_runs_weights(tmp_path):
    """With random left-right flips (``--flip``), a run stopped after its first epoch and
    resumed gets the flips the uninterrupted run drew for the later epochs: the same losses
    and the same weights. The flips do change the run (else this would prove nothing)."""
    from colorization.runs.train import train

    config = dict(SMALL, flip=True, max_images=16, batch_size=8)
    reference = train(RunConfig(**config), tmp_path / "reference", verbose=0)
    with pytest.raises(KeyboardInterrupt):
        train(RunConfig(**config), tmp_path / "resumed", verbose=0, callbacks=[_Crash(1)])
    resumed = train(RunConfig(**config), tmp_path / "resumed", verbose=0)
    unflipped = train(RunConfig(**dict(config, flip=False)), tmp_path / "unflipped", verbose=0)

    losses = [h["loss"] for h in reference.history()]
    assert [h["loss"] for h in resumed.history()] == losses
    assert [h["loss"] for h in unflipped.history()] != losses
    expected = _weights(reference.dir / "model.keras")
    got = _weights(resumed.dir / "model.keras")
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)


def test_unreadable_last_backup_resumes_from_the_previous_epoch(tmp_path, capsys):
    from colorization.runs.train import train

    backup = _interrupted(tmp_path / "run")
    state = json.loads((backup / "state.json").read_text())
    assert state["epoch"] == 2 and state["previous"]["epoch"] == 1
    _cut(backup / state["weights"])  # e.g. a disk error after the commit
    run = train(RunConfig(**SMALL), tmp_path / "run", verbose=0)
    err = capsys.readouterr().err
    assert "epoch_002.weights.h5 (epoch 2)" in err and "resuming" in err
    assert "from epoch 1, the previous good state" in err
    assert run.finished and [h["epoch"] for h in run.history()] == [0, 1, 2]
    assert run.snapshot_epochs() == [1, 2, 3]


def test_no_readable_backup_says_use_force(tmp_path):
    from colorization.runs.train import train

    backup = _interrupted(tmp_path / "run")
    for p in backup.glob("*.weights.h5"):
        _cut(p)
    with pytest.raises(RunFileError, match=r"backup.*cannot be read.*--force"):
        train(RunConfig(**SMALL), tmp_path / "run", verbose=0)
    (backup / "state.json").write_text("")  # an empty commit file: named, same advice
    with pytest.raises(RunFileError, match=r"state\.json is not a training backup \(empty "
                                           r"file\).*--force"):
        train(RunConfig(**SMALL), tmp_path / "run", verbose=0)
    run = train(RunConfig(**SMALL), tmp_path / "run", verbose=0, force=True)
    assert run.finished and [h["epoch"] for h in run.history()] == [0, 1, 2]


@pytest.mark.parametrize("name, text", [("config.json", "[]"), ("config.json", "{not json"),
                                        ("status.json", "[]"), ("status.json", "")])
def test_run_files_of_the_wrong_type_name_the_file(tmp_path, capsys, name, text):
    from colorization import cli
    from colorization.runs.evaluate import evaluate_run

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    cli_config = RunConfig(model="autoencoder_small", image_size=16, max_images=16,
                           batch_size=16, epochs=3)  # what the command below asks for
    (run_dir / "config.json").write_text(json.dumps(cli_config.to_dict()))
    (run_dir / "status.json").write_text('{"state": "finished"}')
    (run_dir / "model.keras").write_bytes(b"")
    (run_dir / name).write_text(text)
    with pytest.raises(RunFileError, match=rf"{name} is not a run (config|status).*--force"):
        evaluate_run(run_dir)
    args = ["train", "--model", "autoencoder_small", "--out", run_dir, "--image-size", "16",
            "--max-images", "16", "--batch-size", "16", "--epochs", "3"]
    code = cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and f"{run_dir / name}" in err and "--force" in err, err
    assert "Traceback" not in err


def test_model_of_another_image_size_is_named(tmp_path):
    from colorization.nets.registry import build_colorizer
    from colorization.runs.evaluate import evaluate_model
    from colorization.runs.train import train

    run = train(RunConfig(**dict(SMALL, epochs=1)), tmp_path / "run", verbose=0)
    build_colorizer("autoencoder_small", 32).save(run.dir / "model.keras")
    with pytest.raises(RunFileError, match=r"model\.keras was built for 32x32 images.*16x16"):
        run.model()
    model = build_colorizer("autoencoder_small", 32)
    with pytest.raises(ValueError, match="built for 32x32 images, not 16x16"):
        evaluate_model(model, np.zeros((2, 16, 16, 3), np.uint8))


# --------------------------------------------------------------------------- the lock

_HOLD_LOCK = r"""
import sys, time
from colorization.runs.rundir import lock_run_dir
with lock_run_dir(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_busy_run_directory_is_refused_and_a_stale_lock_does_not_block(tmp_path, capsys):
    from colorization import cli

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(run_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = ["train", "--model", "autoencoder_small", "--out", str(run_dir),
                "--image-size", "16", "--max-images", "16", "--batch-size", "16",
                "--epochs", "1"]
        start = time.monotonic()
        code = cli.main(args)
        err = capsys.readouterr().err
        assert code == 2 and f"{run_dir} is in use" in err and f"process {holder.pid}" in err
        assert time.monotonic() - start < 60  # refused at once, not after waiting
        assert not (run_dir / "config.json").exists()
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # the lock file stays: the lock goes with it
        holder.wait()
        holder.stdout.close()
    assert (run_dir / ".lock").exists()
    assert cli.main(args) == 0
    assert Run(run_dir).finished


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("flag, value, message", [
    ("--learning-rate", "nan", "learning_rate must be a positive finite number"),
    ("--learning-rate", "inf", "learning_rate must be a positive finite number"),
    ("--learning-rate", "0", "learning_rate must be a positive finite number"),
    ("--learning-rate", "-1e-3", "learning_rate must be a positive finite number"),
    ("--batch-size", "0", "batch_size must be a whole number of at least 1"),
    ("--batch-size", "-4", "batch_size must be a whole number of at least 1"),
    ("--epochs", "0", "epochs must be a whole number of at least 1"),
    ("--data", "no-such-dataset-typo", "no-such-dataset-typo"),
    ("--loss", "rebalanced_ce", "trains with one of"),
])
def test_bad_settings_are_refused_before_anything_is_written(tmp_path, capsys, flag, value,
                                                             message):
    from colorization import cli

    out = tmp_path / "run"
    code = cli.main(["train", "--model", "autoencoder_small", "--out", str(out),
                     f"{flag}={value}"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err
    assert not out.exists()  # no config.json: the corrected command is not refused


def test_a_typo_in_data_then_the_corrected_command_trains(tmp_path, capsys):
    from colorization import cli

    out = tmp_path / "run"
    base = ["train", "--model", "autoencoder_small", "--out", str(out), "--image-size", "16",
            "--max-images", "16", "--batch-size", "16", "--epochs", "1"]
    assert cli.main(base + ["--data", str(tmp_path / "no-such-folder")]) == 2
    assert cli.main(base) == 0, capsys.readouterr().err
    assert Run(out).finished


def test_a_diverged_model_is_never_marked_finished(tmp_path):
    """Weights that turn NaN in the last step (after the last loss was measured, so no
    epoch's loss shows it) are caught before the model is saved."""
    import keras

    from colorization.runs.callbacks import NonFiniteLossError
    from colorization.runs.train import train

    class Diverge(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            w = self.model.network.weights[0]
            w.assign(np.full(w.shape, np.nan, "float32"))

    cfg = RunConfig(**dict(SMALL, epochs=1))
    with pytest.raises(NonFiniteLossError, match="weights are not finite"):
        train(cfg, tmp_path / "run", verbose=0, callbacks=[Diverge()])
    assert not Run(tmp_path / "run").finished
    assert not (tmp_path / "run" / "model.keras").exists()


# --------------------------------------------------------------------------- a full disk

_DISK_FULL = r"""
import resource, sys
from colorization import cli
resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))  # 1 MB a file
sys.exit(cli.main(["train", "--model", "autoencoder_small", "--out", sys.argv[1],
                   "--image-size", "16", "--max-images", "16", "--batch-size", "16",
                   "--epochs", "2"]))
"""


def test_a_full_disk_is_a_clean_error_and_the_run_resumes(tmp_path):
    """A file-size limit makes the first weights file fail like a full disk (EFBIG)."""
    run_dir = tmp_path / "run"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", _DISK_FULL, str(run_dir)],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert out.returncode == 2, out.stderr[-3000:]
    assert "error: the disk is full: could not save the run" in out.stderr
    assert "run the same command again" in out.stderr and "Traceback" not in out.stderr
    assert not [p for p in run_dir.rglob(".*") if ".tmp" in p.name]  # no half files
    assert read_history(run_dir) == []
    from colorization import cli

    assert cli.main(["train", "--model", "autoencoder_small", "--out", str(run_dir),
                     "--image-size", "16", "--max-images", "16", "--batch-size", "16",
                     "--epochs", "2"]) == 0  # the same command, with room on the disk
    assert [h["epoch"] for h in Run(run_dir).history()] == [0, 1]
