"""The fast-training defaults: device-resident input, one compile per run, precision, batch."""

import importlib.util
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from colorization.data import pipeline
from colorization.nets import registry
from colorization.runs import accelerate, device_data
from colorization.runs.config import RunConfig

_DEVICE_VS_HOST = """
import json, sys
from colorization.runs.config import RunConfig
from colorization.runs.train import train
base = dict(model="autoencoder_small", epochs=2, data="synthetic-fruits", image_size=32,
            max_images=40, max_test_images=8, batch_size=16, snapshot_images=2,
            snapshot_epochs=[1], flip=True)
out = {}
for label, path in (("host", "host"), ("device", "device"), ("rerun", "host")):
    print(f"=== {label}", file=sys.stderr, flush=True)
    run = train(RunConfig(**base, input_path=path), f"{sys.argv[1]}/{label}", verbose=0)
    out[label] = [h["loss"] for h in run.history()]
    out[label + "_path"] = run.status["input_path"]
print("=== end", file=sys.stderr, flush=True)
print(json.dumps(out))
"""


def _step_compiles(log: str) -> dict[str, int]:
    """XLA compilations of the train step between the script's ``=== label`` markers
    (``JAX_LOG_COMPILES=1``); a load from the persistent cache is not a compilation."""
    counts, label = {}, None
    for line in log.splitlines():
        if line.startswith("=== "):
            label = line[4:].strip()
            counts[label] = 0
        elif label and "Finished XLA compilation of jit(train_step)" in line:
            counts[label] += 1
        elif label and "cache hit for 'jit_train_step'" in line:
            counts[label] -= 1  # JAX still logs "Finished XLA compilation" for the load
    return counts


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    """Three JAX trainings in one fresh interpreter: host-fed, device-resident, host again
    into a new folder (the persistent cache's case); the histories and the compile log."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    base = tmp_path_factory.mktemp("jaxruns")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_LOG_COMPILES="1",
               COLORIZATION_RUNS_DIR=str(base / "runs"), JAX_PLATFORMS="cpu")
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", _DEVICE_VS_HOST, str(base / "runs")],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr, base


def test_device_path_gives_the_host_history_on_jax(jax_runs):
    """Same seed, same batches, same flips: the device-resident path and the host path train
    to the same losses (the gather inside the step picks what the host would have sent)."""
    result, _, _ = jax_runs
    assert result["host_path"] == "host" and result["device_path"] == "device"
    assert len(result["host"]) == 2 and np.all(np.isfinite(result["host"]))
    np.testing.assert_allclose(result["device"], result["host"], rtol=1e-6)


def test_one_step_compile_per_train_call_and_none_on_a_rerun(jax_runs):
    """40 images in batches of 16: the incomplete batch is dropped, so the step has one
    shape and compiles once per ``train`` call; a rerun loads it from runs/.jax-cache."""
    _, log, base = jax_runs
    counts = _step_compiles(log)
    assert counts == {"host": 1, "device": 1, "rerun": 0, "end": 0}, counts
    assert any((base / "runs" / ".jax-cache").iterdir())


def test_precision_and_batch_size_follow_the_machine():
    """On this CPU: float32 and batch 32 unless asked; explicit choices are kept."""
    assert device_data.accelerator() is None
    assert accelerate.resolve_precision("auto") == "float32"
    assert accelerate.resolve_precision("mixed_bfloat16") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="precision must be one of"):
        accelerate.resolve_precision("bf16")
    assert accelerate.resolve_batch_size("zhang_full", None) == accelerate.CPU_BATCH_SIZE
    assert accelerate.resolve_batch_size("zhang_full", 8) == 8
    assert all(row.gpu_batch_size >= 32 for row in registry.MODELS.values())
    config = RunConfig(model="autoencoder")
    assert (config.precision, config.batch_size, config.input_path) == ("auto", None, "auto")


def test_input_path_choice():
    """'auto' on a CPU is host-fed without a word; 'device' is honoured; nonsense refused."""
    assert device_data.choose("auto", 10**6) == ("host", None)
    assert device_data.choose("device", 10**6)[0] == "device"
    assert device_data.choose("host", 10**6) == ("host", None)
    with pytest.raises(ValueError, match="input_path must be one of"):
        device_data.choose("gpu", 10**6)
    with pytest.raises(ValueError, match="serves one device"):
        device_data.choose("device", 10**6, replicas=2)


def test_device_path_on_tensorflow_gathers_the_host_batches():
    """TensorFlow: the index dataset picks, through the resident tensor, the batches that
    ``pipeline.from_arrays`` yields for the same seed (shuffle order); its flips are its own
    draw (same probability), each image either kept or mirrored."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow backend only")
    images = np.arange(20 * 2 * 2 * 3, dtype=np.uint8).reshape(20, 2, 2, 3)
    host = [b.numpy() for b in pipeline.from_arrays(images, 8, seed=4, drop_remainder=True,
                                                     backend="tf")]
    ds = device_data.batches(images, 8, seed=4)
    device = [device_data._tf_gather(ds, item).numpy() for item in ds]
    assert len(device) == len(host) == 2
    for a, b in zip(device, host, strict=True):
        np.testing.assert_array_equal(a, b)
    flipped = device_data.batches(images, 8, seed=4, flip=True)
    for item, plain in zip(flipped, device, strict=True):
        batch = device_data._tf_gather(flipped, item).numpy()
        same = (batch == plain).all(axis=(1, 2, 3))
        assert ((batch == plain[:, :, ::-1]).all(axis=(1, 2, 3)) | same).all()


def test_numpy_epoch_order_is_a_permutation_sorted_within_batches():
    order = pipeline.epoch_order(10, 4, seed=1, epoch=2)
    assert sorted(order) == list(range(10))
    for start in range(0, 10, 4):
        chunk = order[start : start + 4]
        assert list(chunk) == sorted(chunk)
    assert not np.array_equal(order, pipeline.epoch_order(10, 4, seed=1, epoch=3))


def test_mixed_bfloat16_keeps_lab_and_loss_in_float32():
    """Under mixed_bfloat16 the network computes in bf16 but the target ab, the output
    handed to the loss and the loss itself are float32."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = registry.build_colorizer("autoencoder_small", 16)
        model.configure(lambda: keras.optimizers.Adam(1e-3), loss="mse")
        rgb = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
        assert model.network.layers[1].compute_dtype == "bfloat16"
        assert keras.backend.standardize_dtype(model.target(rgb).dtype) == "float32"
        out = model(rgb)
        assert keras.backend.standardize_dtype(out.dtype) == "float32"
        loss = model.compute_loss(x=rgb, y_pred=out)
        assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    finally:
        keras.config.set_dtype_policy(previous)


def test_mixed_bfloat16_trains_as_well_as_float32(tmp_path):
    """A small CPU run (bf16 emulated): the final loss is within 5% of float32's."""
    from colorization.runs.train import train

    losses = {}
    for precision in ("float32", "mixed_bfloat16"):
        config = RunConfig(model="autoencoder_small", epochs=3, image_size=16, max_images=48,
                           max_test_images=8, batch_size=16, snapshot_images=1,
                           snapshot_epochs=[], precision=precision, input_path="host")
        run = train(config, tmp_path / precision, verbose=0)
        assert run.status["precision"] == precision
        losses[precision] = run.history()[-1]["loss"]
    assert np.isfinite(losses["mixed_bfloat16"])
    assert abs(losses["mixed_bfloat16"] - losses["float32"]) <= 0.05 * losses["float32"], losses
