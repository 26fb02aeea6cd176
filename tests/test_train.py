"""Training runs: learning, resume, reuse, determinism, distribution, evaluation, CLI."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from colorization.data import datasets
from colorization.runs.evaluate import evaluate_run
from colorization.runs.train import Run, RunConfig, train

TINY = dict(data="synthetic-fruits", image_size=32, max_images=48, max_test_images=16,
            batch_size=16, snapshot_images=3, snapshot_epochs=[1, 2])


class CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


class Crash(keras.callbacks.Callback):
    """Simulates a kill after ``after`` completed epochs (the backup is already written)."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.after:
            raise KeyboardInterrupt("simulated kill")


def test_run_directory_layout(tmp_path):
    cfg = RunConfig(model="autoencoder_small", epochs=2, **TINY)
    run = train(cfg, tmp_path / "run", verbose=0)
    assert run.finished
    for name in ("config.json", "history.csv", "model.keras", "status.json",
                 "snapshots/inputs.npz", "snapshots/epoch_001.npz", "snapshots/epoch_002.npz"):
        assert (run.dir / name).exists(), name
    assert not (run.dir / "backup").exists()
    assert [h["epoch"] for h in run.history()] == [0, 1]
    assert {"loss", "seconds", "images_per_second"} <= set(run.history()[0])
    inputs = run.snapshot_inputs()
    assert set(inputs) == {"train", "test", "photos"}
    snap = run.snapshot(2)
    assert snap["test"].shape == (3, 32, 32, 2)
    rgb = run.snapshot_rgb(2)["photos"]
    assert rgb.shape == (3, 32, 32, 3) and 0 <= rgb.min() and rgb.max() <= 1
    assert run.config == cfg
    model = run.model()
    assert model.image_shape == (32, 32)


def test_finished_run_is_reused_and_force_retrains(tmp_path):
    cfg = RunConfig(model="autoencoder_small", epochs=1, **TINY)
    train(cfg, tmp_path / "run", verbose=0)
    counter = CountEpochs()
    train(cfg, tmp_path / "run", verbose=0, callbacks=[counter])
    assert counter.epochs == []
    train(cfg, tmp_path / "run", verbose=0, callbacks=[counter], force=True)
    assert counter.epochs == [0]


def test_force_forgets_the_old_models_metrics(tmp_path):
    """Evaluations are cached in the run; a forced retraining is a new model, measured anew."""
    from colorization.runs.evaluate import evaluate_run

    cfg = RunConfig(model="autoencoder_small", epochs=1, **TINY)
    run = train(cfg, tmp_path / "run", verbose=0)
    evaluate_run(run.dir, max_images=4)
    assert list((run.dir / "metrics").glob("*.json"))
    train(cfg, tmp_path / "run", verbose=0, force=True)
    assert not (run.dir / "metrics").exists()


def test_other_config_in_same_folder_is_refused(tmp_path):
    train(RunConfig(model="autoencoder_small", epochs=1, **TINY), tmp_path / "run", verbose=0)
    with pytest.raises(ValueError, match="another config.*epochs"):
        train(RunConfig(model="autoencoder_small", epochs=2, **TINY), tmp_path / "run", verbose=0)


def test_interrupted_run_resumes_from_last_completed_epoch(tmp_path):
    cfg = RunConfig(model="autoencoder_small", epochs=4, **TINY)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, tmp_path / "run", verbose=0, callbacks=[Crash(after=2)])
    run = Run(tmp_path / "run")
    assert not run.finished
    assert (run.dir / "backup").is_dir()
    counter = CountEpochs()
    train(cfg, tmp_path / "run", verbose=0, callbacks=[counter])
    assert counter.epochs == [2, 3]
    assert run.finished
    assert [h["epoch"] for h in run.history()] == [0, 1, 2, 3]


def test_the_training_step_is_traced_once(tmp_path, monkeypatch):
    """The optimizer is built before fit: built inside the first trace instead, its new
    variables make TensorFlow trace the whole step a second time (seconds per run)."""
    from colorization.nets.colorizer import Colorizer

    traced = []
    step = Colorizer.train_step

    def counting(self, data):
        traced.append(1)  # Python runs here only while the step is traced
        return step(self, data)

    monkeypatch.setattr(Colorizer, "train_step", counting)
    run = train(RunConfig(model="autoencoder_small", epochs=2, **TINY), tmp_path / "r",
                verbose=0)
    assert run.status["state"] == "finished"
    assert len(traced) == 1


def test_deterministic_history_for_a_seed(tmp_path):
    def losses(name, seed):
        cfg = RunConfig(model="autoencoder_small", epochs=2, deterministic=True, seed=seed,
                        **TINY)
        return [h["loss"] for h in train(cfg, tmp_path / name, verbose=0).history()]

    first, second, other = losses("a", 0), losses("b", 0), losses("c", 1)
    assert first == second
    assert first != other


@pytest.mark.slow
def test_evaluate_run_writes_and_caches_metrics(tmp_path):
    run = train(RunConfig(model="autoencoder_small", epochs=1, **TINY), tmp_path / "r", verbose=0)
    m = evaluate_run(run.dir, max_images=8)
    for key in ("psnr", "psnr_gray", "ssim", "ab_mae", "ab_mae_gray", "chroma_ratio",
                "colorfulness_diff", "auc", "n_images"):
        assert key in m
    assert m["n_images"] == 8
    assert list((run.dir / "metrics").glob("*.json"))


def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    pytest.importorskip("tensorflow")
    script = f"""
import os, json
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from colorization.runs.config import RunConfig
from colorization.runs.train import train
cfg = RunConfig(model="autoencoder_small", epochs=1, strategy="mirrored", data="synthetic-fruits",
                image_size=32, max_images=32, max_test_images=8, batch_size=8,
                snapshot_images=2, snapshot_epochs=[1])
run = train(cfg, {str(tmp_path / 'mirrored')!r}, verbose=0)
print(json.dumps(run.status))
"""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    status = json.loads(out.stdout.strip().splitlines()[-1])
    assert status["replicas"] == 2 and status["state"] == "finished"


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "colorization", *map(str, args)],
                          capture_output=True, text=True, timeout=600, cwd=cwd,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    res = _cli("train", "--model", "autoencoder_small", "--data", "synthetic-fruits",
               "--loss", "smooth_l1", "--epochs", "1", "--out", out, "--image-size", "32",
               "--max-images", "32", "--batch-size", "16")
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_cli_evaluate_json(cli_run, tmp_path):
    res = _cli("evaluate", "--run", cli_run, "--data", "synthetic-fruits", "--out",
               tmp_path / "m.json", "--max-images", "8")
    assert res.returncode == 0, res.stderr[-3000:]
    m = json.loads((tmp_path / "m.json").read_text())
    for key in ("psnr", "psnr_gray", "ssim", "ab_mae", "ab_mae_gray", "chroma_ratio",
                "colorfulness_diff", "auc", "n_images"):
        assert isinstance(m[key], (int, float)), key
    assert m["n_images"] == 8


def test_cli_evaluate_on_a_folder(cli_run, tmp_path):
    import cv2

    folder = tmp_path / "mine"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), rng.integers(0, 256, (50, 80, 3), dtype=np.uint8))
    res = _cli("evaluate", "--run", cli_run, "--data", folder, "--split", "all")
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(res.stdout)["n_images"] == 3


def test_cli_colorize_odd_inputs(cli_run, tmp_path):
    from PIL import Image

    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(src / "alpha.png")
    Image.fromarray(rng.integers(0, 256, (70, 50), dtype=np.uint8), "L").save(src / "gray.jpg")
    big = rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    Image.fromarray(big).save(src / "big.jpg")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "out"
    res = _cli("colorize", src, "--run", cli_run, "--out", out)
    assert res.returncode == 0, res.stderr[-3000:]
    sizes = {p.name: Image.open(p).size for p in out.iterdir()}
    assert sizes == {"alpha_color.png": (60, 40), "gray_color.png": (50, 70),
                     "big_color.png": (1000, 700)}
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    # the output keeps the input's luminance at full resolution
    from colorization.core import color

    got = np.asarray(Image.open(out / "big_color.png").convert("RGB"))
    big_decoded = np.asarray(Image.open(src / "big.jpg").convert("RGB"))
    l_in = color.to_numpy(color.rgb_uint8_to_lab(big_decoded))[..., 0]
    l_out = color.to_numpy(color.rgb_uint8_to_lab(got))[..., 0]
    assert np.abs(l_in - l_out).mean() < 3.0


def test_cli_colorize_reports_bad_files_and_keeps_good(cli_run, tmp_path):
    from PIL import Image

    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(src / "good.png")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    res = _cli("colorize", src, tmp_path / "missing.png", "--run", cli_run, "--out",
               tmp_path / "out")
    assert res.returncode == 1
    assert "broken.jpg" in res.stderr and "missing.png" in res.stderr
    assert "Traceback" not in res.stderr
    assert (tmp_path / "out" / "good_color.png").exists()


def test_cli_unknown_model_lists_names(tmp_path):
    res = _cli("train", "--model", "nope", "--out", tmp_path / "x", "--epochs", "1")
    assert res.returncode == 2
    assert "zhang_fruits" in res.stderr and "Traceback" not in res.stderr


def test_never_seen_photos_shape():
    photos = datasets.load("photos", image_size=32)
    assert photos.images.shape[1:] == (32, 32, 3) and len(photos) >= 6


_BACKEND_TRAIN = """
import json, sys
import numpy as np
import keras
from colorization.runs.config import RunConfig
from colorization.runs.train import train
cfg = RunConfig(model="autoencoder_small", epochs=2, data="synthetic-fruits", image_size=32,
                max_images=32, max_test_images=8, batch_size=16, snapshot_images=2,
                snapshot_epochs=[1])
run = train(cfg, sys.argv[1], verbose=0)
model = run.model()
ab = model.predict(run.snapshot_inputs()["test"])
print(json.dumps({"backend": keras.backend.backend(), "status": run.status["state"],
                  "shape": list(ab.shape), "finite": bool(np.isfinite(ab).all()),
                  "losses": [h["loss"] for h in run.history()]}))
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_training_runs_on_other_backends(backend, tmp_path, run_on_backend):
    """The whole engine (Lab on the device in compute_loss, the NumPy pipeline without
    tf.data, snapshots, save and safe-mode load) on the JAX and PyTorch backends."""
    result = run_on_backend(_BACKEND_TRAIN, backend, tmp_path / backend)
    assert result["backend"] == backend and result["status"] == "finished"
    assert result["shape"] == [2, 32, 32, 2] and result["finite"]
    assert len(result["losses"]) == 2 and all(np.isfinite(result["losses"]))
