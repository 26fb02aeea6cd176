"""``colorize`` and ``evaluate`` outputs: never read back, never overwritten unasked, odd
inputs skipped without hanging, diverged models refused, valid JSON, bounded memory."""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from colorization import cli
from colorization.nets.registry import build_colorizer


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.keras"
    build_colorizer("autoencoder_small", 16).save(path)
    return path


@pytest.fixture(autouse=True)
def _no_hang():
    """A read that blocks (a FIFO opened for reading) fails the test instead of hanging."""
    def hung(signum, frame):
        raise TimeoutError("colorize hung")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(300)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _main(capsys, *args):
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _photo(path, size=(40, 30)):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)


def test_output_folder_equal_to_the_input_folder_never_colours_results(tmp_path, model_path,
                                                                        capsys):
    src = tmp_path / "photos"
    src.mkdir()
    _photo(src / "a.png")
    _photo(src / "b.jpg")
    for _ in range(3):
        code, out, err = _main(capsys, "colorize", src, "--model", model_path, "--out", src)
        assert code == 0, err
    assert sorted(p.name for p in src.iterdir()) == ["a.png", "a_color.png", "b.jpg",
                                                      "b_color.png"]
    assert "named like results of colorize" in err and "2 kept" in out


def test_existing_output_is_kept_unless_overwrite(tmp_path, model_path, capsys):
    _photo(tmp_path / "a.png")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "a_color.png").write_bytes(b"my own file")
    code, out, err = _main(capsys, "colorize", tmp_path / "a.png", "--model", model_path,
                           "--out", out_dir)
    assert code == 0 and "0 written" in out and "1 kept" in out
    assert f"kept {out_dir / 'a_color.png'}: it exists (add --overwrite" in err
    assert (out_dir / "a_color.png").read_bytes() == b"my own file"
    code, out, err = _main(capsys, "colorize", tmp_path / "a.png", "--model", model_path,
                           "--out", out_dir, "--overwrite")
    assert code == 0 and "1 written" in out
    assert Image.open(out_dir / "a_color.png").size == (40, 30)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_and_device_inputs_are_skipped_with_a_reason(tmp_path, model_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "good.png")
    os.mkfifo(src / "pipe.png")  # nobody writes to it: opening it for reading would block
    os.mkfifo(tmp_path / "alone.jpg")
    code, out, err = _main(capsys, "colorize", src, tmp_path / "alone.jpg", "/dev/zero",
                           "--model", model_path, "--out", tmp_path / "out")
    assert code == 1, err
    assert f"error: {src / 'pipe.png'}: a named pipe (FIFO), not an image file" in err
    assert f"error: {tmp_path / 'alone.jpg'}: a named pipe (FIFO)" in err
    assert "error: /dev/zero: a device, not an image file" in err
    assert "1 written, 3 failed" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good_color.png"]


def test_a_diverged_model_never_writes_images(tmp_path, model_path, capsys):
    import keras

    model = keras.saving.load_model(model_path, compile=False)
    model.set_weights([np.full(w.shape, np.nan, w.dtype) for w in model.get_weights()])
    nan_path = tmp_path / "nan.keras"
    model.save(nan_path)
    _photo(tmp_path / "a.png")
    code, _out, err = _main(capsys, "colorize", tmp_path / "a.png", "--model", nan_path,
                            "--out", tmp_path / "out")
    assert code == 2 and "nan.keras holds weights that are NaN" in err, err
    assert "--learning-rate" in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_evaluate_out_is_always_valid_json(tmp_path, capsys, monkeypatch):
    def strict(text):
        return json.loads(text, parse_constant=lambda c: pytest.fail(f"invalid JSON: {c}"))

    monkeypatch.setattr("colorization.runs.evaluate.evaluate_run",
                        lambda *a, **k: {"psnr": float("nan"), "ssim": float("inf"),
                                         "n": 3})
    out = tmp_path / "m" / "metrics.json"
    code, stdout, _err = _main(capsys, "evaluate", "--run", tmp_path, "--out", out)
    assert code == 0
    assert strict(out.read_text()) == {"psnr": None, "ssim": None, "n": 3}
    assert strict(stdout) == {"psnr": None, "ssim": None, "n": 3}


_PEAK = r"""
import json, re, sys
import numpy as np
from colorization.runs.colorize import colorize_image
from colorization.nets.registry import load_colorizer

def status(key):  # kB in /proc/self/status
    with open("/proc/self/status") as f:
        return int(re.search(key + r":\s+(\d+)", f.read()).group(1)) * 1024

model = load_colorizer(sys.argv[1])
h, w = int(sys.argv[2]), int(sys.argv[3])
colorize_image(model, np.zeros((64, 48, 3), np.uint8))  # warm up: the network's own memory
rgb = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:  # the peak (VmHWM) starts again from here
    f.write("5")
out = colorize_image(model, rgb)
peak = status("VmHWM")
assert out.shape == rgb.shape and out.dtype == np.uint8
print(json.dumps({"before": before, "peak": peak}))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_colorize_memory_is_bounded_per_pixel(model_path):
    """Peak memory of colourising a 4-megapixel image, beyond what the input and the model
    already hold, stays under 40 bytes a pixel (it was about 196)."""
    h, w = 2000, 2000
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", _PEAK, str(model_path), str(h), str(w)],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"colorize {h}x{w}: {(m['peak'] - m['before']) / (h * w):.1f} bytes a pixel")
    assert m["peak"] - m["before"] < 40 * h * w, m


def test_images_beyond_the_limit_are_refused_before_decoding(tmp_path, model_path, capsys,
                                                             monkeypatch):
    monkeypatch.setattr("colorization.runs.colorize.MAX_COLORIZE_PIXELS", 1000)
    _photo(tmp_path / "big.png", (50, 40))
    code, _out, err = _main(capsys, "colorize", tmp_path / "big.png", "--model", model_path,
                            "--out", tmp_path / "out")
    assert code == 1 and "image too large to colourise (50x40" in err and "resize it" in err
    monkeypatch.setattr("colorization.runs.colorize.MAX_COLORIZE_PIXELS", 10**8)
    monkeypatch.setattr("colorization.runs.colorize._available_memory", lambda: 10_000)
    code, _out, err = _main(capsys, "colorize", tmp_path / "big.png", "--model", model_path,
                            "--out", tmp_path / "out")
    assert code == 1 and "not enough memory to colourise this image" in err
