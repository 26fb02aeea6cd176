"""Nothing a user feeds the suite crashes it, loses finished work or writes out of place.

Bad images (through dataset preparation and ``colorization colorize``), hostile archives,
half downloads, kills during training and ``make reproduce``, training faults (NaN loss,
out of memory) and tampered models: each gets a clear message, never a traceback.
Kaggle credentials have their own tests in ``test_credentials.py``.
"""

import functools
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from colorization import cli
from colorization.acquire import download, prepare
from colorization.acquire.archive import ArchiveError, safe_extract
from colorization.core import paths
from colorization.data.images import ImageError, read_image
from colorization.nets.colorizer import Colorizer
from colorization.nets.registry import build_colorizer, load_colorizer
from colorization.runs.callbacks import OutOfMemoryError, is_out_of_memory
from colorization.runs.colorize import colorize_files
from colorization.runs.config import RunConfig
from colorization.runs.evaluate import evaluate_run
from colorization.runs.rundir import Run, read_history
from colorization.runs.train import train
from colorization.study import reproduce


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    """Prepared data of one test never answers for another; no real Kaggle token is seen."""
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "data"))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle-config"))


# --------------------------------------------------------------------------- bad images


def _encode(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def bad_inputs():
    """``{file name: (bytes, reason)}``; reason ``None`` for files that must be used.

    Every kind of file the issue names: truncated or corrupt JPEG and PNG, zero bytes, a
    non-image with an image extension, grayscale, CMYK, 16-bit PNG, RGBA, palette,
    EXIF-rotated, 1x1, 10000x50 (and 50x10000), animated GIF / PNG / WebP.
    """
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    jpg, png = _encode(rgb, "JPEG"), _encode(rgb, "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0))]
    animated = dict(save_all=True, append_images=frames[1:], duration=50)
    bad_crc = bytearray(png)
    bad_crc[40] ^= 0xFF  # inside the IHDR chunk: its CRC no longer matches
    gray16 = Image.fromarray(rng.integers(0, 65536, (30, 40), dtype=np.uint16))
    corrupt = "truncated or corrupt"
    return {
        "good_jpeg.jpg": (jpg, None),
        "good_png.png": (png, None),
        "truncated_jpeg.jpg": (jpg[: len(jpg) // 2], f"{corrupt} JPEG"),
        "truncated_png.png": (png[: len(png) // 2], f"{corrupt} PNG"),
        "bad_crc.png": (bytes(bad_crc), f"{corrupt} PNG"),
        "garbage.jpg": (b"\xff\xd8\xff\xe0" + rng.bytes(500), f"{corrupt} JPEG"),
        "zero_jpeg.jpg": (b"", "empty file (0 bytes)"),
        "zero_png.png": (b"", "empty file (0 bytes)"),
        "text.jpg": (b"this is not a picture\n", "not an image"),
        "error_page.png": (b"<html><body>404 Not Found</body></html>", "not an image"),
        "gray.jpg": (_encode(rgb.convert("L"), "JPEG"), None),
        "cmyk.jpg": (_encode(rgb.convert("CMYK"), "JPEG"), None),
        "gray16.png": (_encode(gray16, "PNG"), None),
        "rgba.png": (_encode(rgb.convert("RGBA"), "PNG"), None),
        "palette.png": (_encode(rgb.convert("P"), "PNG"), None),
        "exif_rotated.jpg": (_encode(rgb, "JPEG", exif=exif.tobytes()), None),
        "one_pixel.png": (_encode(Image.new("RGB", (1, 1), (200, 10, 10)), "PNG"), None),
        "wide_10000x50.png": (_encode(Image.new("RGB", (10000, 50), (10, 200, 10)), "PNG"),
                              None),
        "tall_50x10000.jpg": (_encode(Image.new("RGB", (50, 10000), (9, 9, 200)), "JPEG"),
                              None),
        "animated_gif.gif": (_encode(frames[0], "GIF", loop=0, **animated), None),
        "animated_png.png": (_encode(frames[0], "PNG", **animated), None),
        "animated_webp.webp": (_encode(frames[0], "WEBP", **animated), None),
    }


GOOD = sorted(n for n, (_b, why) in bad_inputs().items() if why is None)
BAD = {n: why for n, (_b, why) in bad_inputs().items() if why is not None}


def _write_inputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (payload, _why) in bad_inputs().items():
        (folder / name).write_bytes(payload)
    return folder


def test_read_image_on_every_bad_input(tmp_path):
    folder = _write_inputs(tmp_path / "in")
    for name in GOOD:
        arr = read_image(folder / name)
        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3, name
    assert read_image(folder / "exif_rotated.jpg").shape == (160, 120, 3)  # turned upright
    assert read_image(folder / "animated_gif.gif")[0, 0].tolist() == [255, 0, 0]  # first frame
    for name, why in BAD.items():
        with pytest.raises(ImageError) as err:
            read_image(folder / name)
        assert str(err.value) == why, name


def test_random_damage_never_escapes_as_another_error(tmp_path):
    """Seeded mutations of good files: a usable image or an ImageError, nothing else."""
    rng = np.random.default_rng(1)
    inputs = bad_inputs()
    originals = [inputs[n][0] for n in ("good_jpeg.jpg", "good_png.png", "animated_gif.gif",
                                         "gray16.png")]
    outcomes = {"image": 0, "error": 0}
    for i in range(48):
        raw = bytearray(originals[i % len(originals)])
        if i % 3 == 0:
            raw = raw[: int(rng.integers(1, len(raw)))]
        else:
            for pos in rng.integers(0, len(raw), size=int(rng.integers(1, 12))):
                raw[pos] = int(rng.integers(0, 256))
        path = tmp_path / f"m{i}{Path(['a.jpg', 'a.png', 'a.gif', 'a.png'][i % 4]).suffix}"
        path.write_bytes(bytes(raw))
        try:
            arr = read_image(path)
        except ImageError as err:
            assert str(err), path
            outcomes["error"] += 1
        else:
            assert arr.dtype == np.uint8 and arr.shape[2] == 3
            outcomes["image"] += 1
    assert outcomes["error"] > 0 and outcomes["image"] > 0


def _dataset_zip(path: Path, folder: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, (payload, _why) in bad_inputs().items():
            zf.writestr(f"{folder}/{name}", payload)
        zf.writestr(f"{folder}/readme.txt", b"not a picture")
        zf.writestr("../escape.jpg", bad_inputs()["good_jpeg.jpg"][0])
        if folder.startswith("train"):
            zf.writestr("test/test/0001.jpg", bad_inputs()["good_jpeg.jpg"][0])
    return path


@pytest.mark.parametrize("name, folder", [("fruits", "train/train/Apple"),
                                          ("animals", "raw-img/cane")])
def test_prepare_keeps_good_lists_every_skip_and_counts_add_up(tmp_path, name, folder):
    out = prepare.prepare(name, archive=_dataset_zip(tmp_path / f"{name}.zip", folder))
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    reasons = {s["file"]: s["reason"] for s in manifest["skipped"]}
    kept = json.loads((out / "train_names.json").read_text())
    kept += json.loads((out / "test_names.json").read_text())
    assert counts["kept"] + counts["skipped"] == counts["found"]
    assert counts["found"] == len(bad_inputs()) + 2 + (name == "fruits")  # readme, escape
    assert len(reasons) == counts["skipped"] == len(manifest["skipped"])
    assert reasons["../escape.jpg"] == "path escapes the target folder"
    assert reasons[f"{folder}/readme.txt"] == "not an image: .txt"
    for bad, why in BAD.items():
        assert reasons[f"{folder}/{bad}"] == why
    too_small = set()
    if name == "animals":  # the paper's animals are centre-cropped: smaller ones are skipped
        too_small = {"one_pixel.png", "wide_10000x50.png", "tall_50x10000.jpg", "gray16.png",
                     "animated_gif.gif", "animated_png.png", "animated_webp.webp"}
        for small in too_small:
            assert reasons[f"{folder}/{small}"].startswith("smaller than the 100x100 crop")
    assert sorted(k.rsplit("/", 1)[-1] for k in kept if k.startswith(folder)) == sorted(
        set(GOOD) - too_small)
    images = np.load(out / "train_images.npy")
    assert images.shape[1:] == (100, 100, 3) and images.dtype == np.uint8


# --------------------------------------------------------------------------- colorize


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """An untrained (but complete) colorizer: colourising needs no training."""
    path = tmp_path_factory.mktemp("model") / "model.keras"
    build_colorizer("autoencoder_small", 32).save(path)
    return path


def _main(capsys, *args):
    """``colorization ARGS`` in this process: an uncaught exception fails the test."""
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_colorize_every_bad_input(tmp_path, model_path, capsys):
    """The fuzz inputs, a missing file, an empty folder and a non-image in one command."""
    src = _write_inputs(tmp_path / "in")
    (src / "notes.txt").write_text("a text file in an image folder")
    (src / "sub").mkdir()
    (src / "sub" / "good_png.png").write_bytes(bad_inputs()["good_png.png"][0])  # same stem
    (tmp_path / "empty").mkdir()
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    out = tmp_path / "out"
    code, stdout, stderr = _main(capsys, "colorize", src, tmp_path / "missing.jpg",
                                 tmp_path / "empty", "--model", model_path, "--out", out)
    assert code == 1, stderr[-3000:]
    for name, why in BAD.items():
        assert f"error: {src / name}: {why}" in stderr, name
    assert f"error: {tmp_path / 'missing.jpg'}: no such file or folder" in stderr
    assert f"error: {tmp_path / 'empty'}: folder holds no images" in stderr
    assert "ignored 1 file(s)" in stderr and "notes.txt" in stderr
    assert stdout.strip() == f"{len(GOOD) + 1} written, {len(BAD) + 2} failed"
    written = sorted(p.name for p in out.iterdir())
    expected = sorted([f"{Path(n).stem}_color.png" for n in GOOD] + ["good_png_color_1.png"])
    assert written == expected  # nothing else: no temporary files left
    for name in GOOD:
        h, w = read_image(src / name).shape[:2]
        assert Image.open(out / f"{Path(name).stem}_color.png").size == (w, h), name
    assert {p: p.read_bytes() for p in src.rglob("*") if p.is_file()} == before


def test_colorize_output_folder_problems(tmp_path, model_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.png").write_bytes(bad_inputs()["good_png.png"][0])
    (src / "b.jpg").write_bytes(bad_inputs()["good_jpeg.jpg"][0])
    # an output "folder" below a file cannot be created
    (tmp_path / "file").write_text("x")
    code, _out, err = _main(capsys, "colorize", src, "--model", model_path, "--out",
                            tmp_path / "file" / "out")
    assert code == 2 and "cannot create output folder" in err
    # one target that cannot be written: the others are written and kept, exit 1
    out = tmp_path / "out"
    (out / "a_color.png").mkdir(parents=True)  # a folder where the result should go
    code, _out, err = _main(capsys, "colorize", src, "--model", model_path, "--out", out)
    assert code == 1 and f"error: {src / 'a.png'}: could not write" in err
    assert (out / "b_color.png").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["a_color.png", "b_color.png"]
    # an output folder inside the input folder: outputs are never taken as inputs
    inner = src / "colored"
    for _ in range(2):
        code, _out, _err = _main(capsys, "colorize", src, "--model", model_path, "--out", inner)
        assert code == 0
    assert sorted(p.name for p in inner.iterdir()) == ["a_color.png", "b_color.png"]
    # the input folder itself as output: results beside the inputs, inputs untouched
    code, _out, _err = _main(capsys, "colorize", src / "a.png", "--model", model_path,
                             "--out", src)
    assert code == 0 and (src / "a_color.png").is_file()


def test_colorize_read_only_output_folder(tmp_path, model_path, capsys):
    src = tmp_path / "a.png"
    src.write_bytes(bad_inputs()["good_png.png"][0])
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable "
                        "(the unwritable cases are tested in test_colorize_output_folder_"
                        "problems)")
        code, _out, err = _main(capsys, "colorize", src, "--model", model_path, "--out", out)
        assert code == 2 and f"cannot write to output folder {out}" in err
    finally:
        out.chmod(0o755)


def test_colorize_very_large_and_unreadable_images(tmp_path, model_path, capsys, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (300, 200), (90, 120, 30)).save(src / "big.png")
    (src / "small.png").write_bytes(bad_inputs()["good_png.png"][0])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)  # big.png is "too large" here
    code, _out, err = _main(capsys, "colorize", src, "--model", model_path, "--out",
                            tmp_path / "out")
    assert code == 1 and f"error: {src / 'big.png'}: image too large" in err
    assert "decompression bomb" in err
    assert (tmp_path / "out" / "small_color.png").is_file()
    if os.geteuid() != 0:  # root reads a mode-000 file anyway
        locked = src / "locked.png"
        locked.write_bytes(bad_inputs()["good_png.png"][0])
        locked.chmod(0)
        try:
            code, _out, err = _main(capsys, "colorize", locked, "--model", model_path,
                                    "--out", tmp_path / "out")
            assert code == 1 and "permission denied" in err
        finally:
            locked.chmod(0o644)


# --------------------------------------------------------------------------- saved models


def test_tampered_and_damaged_models_are_refused(tmp_path, model_path, capsys):
    inp = keras.Input((16, 16, 1))
    x = keras.layers.Lambda(lambda t: t * 0)(inp)  # code that would run on load
    evil = Colorizer(keras.Model(inp, keras.layers.Conv2D(2, 1)(x)), "symmetric")
    evil(np.zeros((1, 16, 16, 3), np.uint8))
    evil.save(tmp_path / "evil.keras")
    with pytest.raises(ValueError, match=r"refusing to load .*evil\.keras.*Lambda layer"):
        load_colorizer(tmp_path / "evil.keras")
    cut = tmp_path / "cut.keras"
    cut.write_bytes(model_path.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"cut\.keras is not a \.keras model file"):
        load_colorizer(cut)
    plain = tmp_path / "plain.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]).save(plain)
    with pytest.raises(ValueError, match="not a colorization model"):
        load_colorizer(plain)
    with pytest.raises(FileNotFoundError):
        load_colorizer(tmp_path / "none.keras")
    img = tmp_path / "a.png"
    img.write_bytes(bad_inputs()["good_png.png"][0])
    for bad, message in (("evil.keras", "refusing to load"), ("cut.keras", "not a .keras"),
                         ("none.keras", "no model at")):
        code, _out, err = _main(capsys, "colorize", img, "--model", tmp_path / bad, "--out",
                                tmp_path / "out")
        assert code == 2 and message in err and bad in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


# --------------------------------------------------------------------------- archives


def test_tar_hard_links_devices_duplicates_and_absolute_paths(tmp_path):
    arc = tmp_path / "a.tar"
    with tarfile.open(arc, "w") as tf:
        def add(name, payload=b"", kind=tarfile.REGTYPE, link=""):
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(payload)
            tf.addfile(info, io.BytesIO(payload) if payload else None)
        add("ok/a.txt", b"first")
        add("ok/a.txt", b"second")
        add("/etc/evil.txt", b"x")
        add("ok/hard", kind=tarfile.LNKTYPE, link="/etc/passwd")
        add("ok/fifo", kind=tarfile.FIFOTYPE)
    dest = tmp_path / "box" / "dest"
    reasons = {s["file"]: s["reason"] for s in safe_extract(arc, dest)}
    assert reasons == {"ok/a.txt": "duplicate entry",
                       "/etc/evil.txt": "path escapes the target folder",
                       "ok/hard": "link entries are not extracted",
                       "ok/fifo": "device entries are not extracted"}
    assert (dest / "ok" / "a.txt").read_bytes() == b"first"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "a.tar", "box", "box/dest", "box/dest/ok", "box/dest/ok/a.txt"]


def test_tar_bomb_declared_size_refused_before_writing(tmp_path):
    arc = tmp_path / "bomb.tar"
    small = tarfile.TarInfo("small.txt")
    small.size = 3
    huge = tarfile.TarInfo("huge.bin")
    huge.size = 3 * 2**30  # declares 3 GiB, holds nothing
    # written block by block: tarfile (3.13 and later) refuses to add a header without data
    arc.write_bytes(small.tobuf() + b"abc".ljust(tarfile.BLOCKSIZE, b"\0") + huge.tobuf()
                    + b"\0" * (2 * tarfile.BLOCKSIZE))
    with pytest.raises(ArchiveError, match="zip bomb|damaged"):
        safe_extract(arc, tmp_path / "dest")
    assert not (tmp_path / "dest" / "small.txt").exists()


@pytest.fixture
def fake_kaggle(tmp_path, monkeypatch):
    """A token in the environment and a download that copies a good zip (counted)."""
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("train/train/Kiwi/k.png", bad_inputs()["good_png.png"][0])
        zf.writestr("test/test/0001.png", bad_inputs()["good_png.png"][0])
    calls = []

    def fake_download(kaggle_id, folder):
        calls.append(kaggle_id)
        target = folder / "fruit-recognition.zip"
        target.write_bytes(good.read_bytes())
        return target

    monkeypatch.setattr(download, "_kaggle_download", fake_download)
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "0123456789abcdef")
    return good, calls


def test_half_downloaded_archive_is_fetched_again_never_used(tmp_path, fake_kaggle):
    good, calls = fake_kaggle
    raw = paths.raw_dir() / "fruits"
    raw.mkdir(parents=True)
    (raw / "fruit-recognition.zip").write_bytes(good.read_bytes()[:-30])  # cut short
    (raw / ".download-killed").mkdir()  # what a kill during a download leaves
    (raw / ".download-killed" / "fruit-recognition.zip").write_bytes(b"PK\x03\x04")
    out = prepare.prepare("fruits")
    assert calls == ["sshikamaru/fruit-recognition"]
    assert sorted(p.name for p in raw.iterdir()) == ["fruit-recognition.zip"]
    assert (raw / "fruit-recognition.zip").read_bytes() == good.read_bytes()
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["kept"] == counts["found"] == 2
    # a damaged zip put there by hand is not used either: the dataset is downloaded
    paths.prepared_dir().joinpath("fruits", "manifest.json").unlink()
    (raw / "fruit-recognition.zip").unlink()
    (raw / "by-hand.zip").write_bytes(good.read_bytes()[:100])
    with pytest.warns(UserWarning, match="by-hand.zip is damaged"):
        prepare.prepare("fruits")
    assert len(calls) == 2


# --------------------------------------------------------------------------- interrupted work

TINY = dict(model="autoencoder_small", data="synthetic-fruits", image_size=32, max_images=32,
            max_test_images=8, batch_size=16, snapshot_images=2, snapshot_epochs=[1])

_SLOW_TRAIN = """
import json, sys, time
import keras
from colorization.runs.config import RunConfig
from colorization.runs.train import train

class Slow(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):  # after the backup and the history row
        time.sleep(0.3)

train(RunConfig(**json.loads(sys.argv[2])), sys.argv[1], verbose=0, callbacks=[Slow()])
"""


class _CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_sigkill_during_training_resumes_from_last_completed_epoch(tmp_path):
    cfg = RunConfig(epochs=4, **TINY)
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_TRAIN, str(run_dir),
                             json.dumps(cfg.to_dict())], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    try:
        deadline = time.monotonic() + 240
        while len(read_history(run_dir)) < 2:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "training did not reach 2 epochs"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    run = Run(run_dir)
    assert not run.finished and not (run_dir / "status.json").exists()
    assert not (run_dir / "model.keras").exists()
    with pytest.raises(ValueError, match="not a finished run"):
        evaluate_run(run_dir)
    with pytest.raises(FileNotFoundError, match="is the run finished"):
        colorize_files([tmp_path], tmp_path / "out", run_dir=run_dir)
    counter = _CountEpochs()
    train(cfg, run_dir, verbose=0, callbacks=[counter])
    assert 2 <= counter.epochs[0] < 4 and counter.epochs == list(range(counter.epochs[0], 4))
    assert run.finished and json.loads((run_dir / "status.json").read_text())["epochs"] == 4
    assert [h["epoch"] for h in run.history()] == [0, 1, 2, 3]


def _notebook(path: Path, source: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("profile = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_sigkill_during_make_reproduce_continues_with_the_unfinished_notebook(
        tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    (home / "notebooks").mkdir(parents=True)
    marker = tmp_path / "kernel.pid"
    _notebook(home / "notebooks" / "01-quick.ipynb", "print('quick')")
    _notebook(home / "notebooks" / "02-slow.ipynb",
              "import os, pathlib, time\n"
              f"marker = pathlib.Path({str(marker)!r})\n"
              "if not marker.exists():  # the first run hangs here until it is killed\n"
              "    marker.write_text(str(os.getpid()))\n"
              "    time.sleep(300)\n"
              "print('slow done')")
    env = dict(os.environ, COLORIZATION_HOME=str(home))
    cmd = [sys.executable, "-m", "colorization.study.reproduce", "--profile", "smoke"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (marker.exists() and marker.read_text()):
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "notebook 02 never started"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        if marker.exists() and marker.read_text():
            try:  # the kernel runs in its own session: end it too, by its id
                os.kill(int(marker.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass
    reports = home / "reports"
    finished = [p.name for p in (reports / "notebooks").glob("*.ipynb") if ".partial" not in p.name]
    assert finished == ["01-quick.ipynb"]  # 02's partial copy is never taken as finished
    state = json.loads((reports / "reproduce-state.json").read_text())
    assert list(state) == ["01-quick.ipynb:smoke"]
    monkeypatch.setenv("COLORIZATION_HOME", str(home))  # the same command, run in-process
    monkeypatch.setenv("COLORIZATION_VERBOSE", "2")  # reproduce sets it; undone after the test
    assert reproduce.main(["--profile", "smoke"]) == 0
    again = capsys.readouterr().out
    assert "01-quick       done  (executed with profile smoke; skipped)" in again
    assert "02-slow: running" in again and "02-slow: done" in again
    executed = json.loads((reports / "notebooks" / "02-slow.ipynb").read_text())
    assert "slow done" in json.dumps(executed["cells"][-1]["outputs"])
    assert (reports / "index.html").is_file()
    assert sorted(json.loads((reports / "reproduce-state.json").read_text())) == [
        "01-quick.ipynb:smoke", "02-slow.ipynb:smoke"]


def test_damaged_reproduce_state_means_run_again(tmp_path):
    path = tmp_path / "state.json"
    for text in ("", '{"01-a.ipynb:smoke": {"mti', "[1, 2]"):
        path.write_text(text)
        assert reproduce.read_state(path) == {}
    reproduce.write_state(path, {"k": {"mtime": 1.0}})
    assert reproduce.read_state(path) == {"k": {"mtime": 1.0}}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


# --------------------------------------------------------------------------- training faults


def test_nan_loss_stops_with_a_clear_message(tmp_path, capsys):
    out = tmp_path / "nan"
    code, _out, err = _main(capsys, "train", "--model", "autoencoder_small", "--epochs", "3",
                            "--out", out, "--image-size", "32", "--max-images", "16",
                            "--batch-size", "16", "--learning-rate", "1e30")
    assert code == 2, err[-3000:]
    assert "error: training stopped: the loss became nan in epoch " in err
    assert "--learning-rate" in err and "--force" in err
    assert not Run(out).finished and not (out / "status.json").exists()


def test_out_of_memory_names_the_batch_size_to_use(tmp_path, capsys, monkeypatch):
    import tensorflow as tf

    class Exhaust(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    cfg = RunConfig(epochs=1, **TINY)
    with pytest.raises(OutOfMemoryError) as err:
        train(cfg, tmp_path / "run", verbose=0, callbacks=[Exhaust()])
    msg = str(err.value)
    assert "batch size 16" in msg and "--batch-size 8" in msg
    assert isinstance(err.value.__cause__, tf.errors.ResourceExhaustedError)
    assert not Run(tmp_path / "run").finished

    # the command line prints it without a traceback (exit 2)
    def oom(*args, **kwargs):
        raise OutOfMemoryError(msg)

    monkeypatch.setattr("colorization.runs.train.train", oom)
    code, _out, stderr = _main(capsys, "train", "--model", "autoencoder_small", "--out",
                               tmp_path / "x")
    assert code == 2 and stderr.strip() == f"error: {msg}"


def test_out_of_memory_is_recognised_on_every_backend(monkeypatch):
    import tensorflow as tf

    class XlaRuntimeError(RuntimeError):  # jaxlib's class, by name
        pass

    class FakeTorchOOM(RuntimeError):
        pass

    monkeypatch.setitem(sys.modules, "torch", type(sys)("torch"))
    sys.modules["torch"].OutOfMemoryError = FakeTorchOOM
    assert is_out_of_memory(tf.errors.ResourceExhaustedError(None, None, "OOM"))
    assert is_out_of_memory(XlaRuntimeError("RESOURCE_EXHAUSTED: Out of memory allocating"))
    assert is_out_of_memory(FakeTorchOOM("CUDA out of memory. Tried to allocate 2 GiB"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(XlaRuntimeError("INVALID_ARGUMENT: shapes"))
    assert not is_out_of_memory(ValueError("out of memory"))
