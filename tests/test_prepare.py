"""Kaggle preparation (colorization.acquire.prepare) from archives the tests build: layouts,
odd and broken images, seeded splits, downloads replaced by stubs (no network)."""

import io
import json
import shutil
import warnings
import zipfile

import numpy as np
import pytest
from conftest import isolate_kaggle
from PIL import Image

from colorization.acquire import credentials, download
from colorization.acquire.credentials import MissingTokenError
from colorization.acquire.prepare import prepare
from colorization.data.datasets import (
    ImageSet,
    MissingDataError,
    describe,
    load,
    resolve,
    set_source,
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Data under tmp_path/box/data; no Kaggle token; the network refused; auto source."""
    isolate_kaggle(monkeypatch, tmp_path / "home", "COLORIZATION_DATA")
    set_source("auto")
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "box" / "data"))

    def no_network(*args, **kwargs):
        raise AssertionError("the network must not be used in tests")

    monkeypatch.setattr(download, "_kaggle_download", no_network)
    monkeypatch.setattr(download, "RETRY_PAUSES", (0.0,))
    return tmp_path


def _img(w, h, mode="RGB", fmt="JPEG", seed=0):
    rng = np.random.default_rng(seed)
    px = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    im = Image.fromarray(px)
    if mode == "L":
        im = im.convert("L")
    elif mode == "CMYK":
        im = im.convert("CMYK")
    elif mode == "RGBA":
        im = im.convert("RGBA")
        im.putalpha(128)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def _corrupt():
    good = _img(100, 100, seed=9)
    return good[: len(good) // 3]


def _write_zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload in entries:
            zf.writestr(name, payload)
    return path


@pytest.fixture
def fruits_zip(tmp_path):
    entries = []
    for c, cls in enumerate(("Apple Braeburn", "Banana", "Kiwi")):
        for k in range(3):
            entries.append((f"train/train/{cls}/{cls}{k}.jpg", _img(100, 100, seed=10 * c + k)))
    entries += [
        ("train/train/Banana/gray.jpg", _img(100, 100, "L")),
        ("train/train/Kiwi/cmyk.jpg", _img(100, 100, "CMYK")),
        ("train/train/Kiwi/alpha.png", _img(100, 100, "RGBA", "PNG")),
        ("train/train/Kiwi/bigger.jpg", _img(160, 120)),  # another size: resized, kept
        ("train/train/Banana/broken.jpg", _corrupt()),
        ("train/train/Banana/fake.jpg", b"just text"),
        ("notes.txt", b"hello"),
        ("../escape.jpg", _img(100, 100)),
        ("test/test/0001.jpg", _img(100, 100, seed=50)),
        ("test/test/0002.jpg", _img(100, 100, seed=51)),
    ]
    return _write_zip(tmp_path / "fruit-recognition.zip", entries)


@pytest.fixture
def animals_zip(tmp_path):
    entries = []
    sizes = [(300, 200), (120, 160), (101, 101), (640, 480)]
    for c, folder in enumerate(("cane", "gallina", "cavallo", "gatto")):
        for k in range(6):
            w, h = sizes[k % 4]
            entries.append((f"raw-img/{folder}/img{k}.jpeg", _img(w, h, seed=10 * c + k)))
    entries += [
        ("raw-img/ragno/spider.jpeg", _img(200, 200)),
        ("raw-img/ragno/spider2.jpeg", _img(200, 200)),
        ("raw-img/cane/gray.jpeg", _img(150, 150, "L")),
        ("raw-img/gatto/cmyk.jpg", _img(150, 130, "CMYK")),
        ("raw-img/gallina/alpha.png", _img(140, 140, "RGBA", "PNG")),
        ("raw-img/cavallo/tiny.jpeg", _img(90, 300)),
        ("raw-img/cavallo/broken.jpeg", _corrupt()),
        ("raw-img/cane/notes.txt", b"not an image"),
        ("translate.py", b"print('x')"),
        ("../escape.jpg", _img(120, 120)),
    ]
    return _write_zip(tmp_path / "animals10.zip", entries)


def _reasons(manifest):
    return {s["file"]: s["reason"] for s in manifest["skipped"]}


def _check_outside(tmp_path):
    """Nothing was written next to the data dir (the archives and HOME live in tmp_path)."""
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == ["data"]
    assert not (tmp_path / "box" / "escape.jpg").exists()
    assert not (tmp_path / "escape.jpg").exists()


def test_prepare_fruits(tmp_path, fruits_zip):
    out = prepare("fruits", archive=fruits_zip)
    assert out == tmp_path / "box" / "data" / "prepared" / "fruits"
    m = json.loads((out / "manifest.json").read_text())
    c = m["counts"]
    assert c["kept"] + c["skipped"] == c["found"] == 19
    assert (c["kept"], c["train"], c["test"]) == (15, 13, 2)
    assert c["skipped"] == len(m["skipped"]) == 4
    reasons = _reasons(m)
    assert reasons["../escape.jpg"] == "path escapes the target folder"
    assert reasons["notes.txt"] == "not an image: .txt"
    assert "truncated or corrupt" in reasons["train/train/Banana/broken.jpg"]
    assert reasons["train/train/Banana/fake.jpg"] == "not an image"
    assert m["source"] == "fruit-recognition.zip" and m["version"] == 1
    assert m["image_size"] == 100 and m["dataset"] == "fruits"
    train = np.load(out / "train_images.npy")
    assert train.shape == (13, 100, 100, 3) and train.dtype == np.uint8
    assert json.loads((out / "classes.json").read_text()) == ["Apple Braeburn", "Banana", "Kiwi"]
    labels = np.load(out / "train_labels.npy")
    names = json.loads((out / "train_names.json").read_text())
    assert labels.dtype == np.int32 and set(labels.tolist()) == {0, 1, 2}
    assert labels[names.index("train/train/Kiwi/alpha.png")] == 2
    assert np.load(out / "test_labels.npy").tolist() == [-1, -1]
    _check_outside(tmp_path)
    assert not list((tmp_path / "box" / "data" / "raw").glob(".extract-*"))  # cleaned up

    # load() uses the prepared arrays; re-preparing without force returns at once
    ds = load("fruits")
    assert isinstance(ds, ImageSet) and ds.dataset == "fruits" and len(ds) == 13
    np.testing.assert_array_equal(ds.images, train)
    assert resolve("fruits") == "fruits"
    assert describe(ds).startswith("fruits train: 13 real images 100x100, 3 classes")
    stamp = (out / "manifest.json").stat().st_mtime_ns
    assert prepare("fruits", archive=fruits_zip) == out
    assert (out / "manifest.json").stat().st_mtime_ns == stamp
    sub = load("fruits", max_images=6, image_size=48)
    assert sub.images.shape == (6, 48, 48, 3)
    assert sub.names == load("fruits", max_images=6).names  # deterministic subset


def test_prepare_animals(tmp_path, animals_zip):
    out = prepare("animals", archive=animals_zip, n_train=22, n_test=2, seed=5)
    m = json.loads((out / "manifest.json").read_text())
    c = m["counts"]
    assert c["kept"] + c["skipped"] == c["found"]
    assert c["kept"] == 24 + 3 and c["ignored"] == 2 and m["ignored"] == {"ragno": 2}
    reasons = _reasons(m)
    assert reasons["raw-img/cavallo/tiny.jpeg"].startswith("smaller than the 100x100 crop")
    assert "truncated or corrupt" in reasons["raw-img/cavallo/broken.jpeg"]
    assert reasons["raw-img/cane/notes.txt"] == "not an image: .txt"
    assert reasons["../escape.jpg"] == "path escapes the target folder"
    assert "translate.py" in reasons
    assert not any("ragno" in f for f in reasons)
    # 27 usable images, 22 + 2 requested: 3 left unused
    assert (c["train"], c["test"], c["unused"]) == (22, 2, 3)
    train = np.load(out / "train_images.npy")
    assert train.shape == (22, 100, 100, 3) and train.dtype == np.uint8
    assert json.loads((out / "classes.json").read_text()) == ["dog", "chicken", "horse", "cat"]
    assert set(np.load(out / "train_labels.npy").tolist()) <= {0, 1, 2, 3}
    names = json.loads((out / "test_names.json").read_text())
    _check_outside(tmp_path)

    # same seed: same split; proportional 11:1 split when there are fewer images
    again = prepare("animals", archive=animals_zip, n_train=22, n_test=2, seed=5, force=True)
    assert json.loads((again / "test_names.json").read_text()) == names
    prepare("animals", archive=animals_zip, force=True, seed=5)  # defaults 11000 / 1000
    c = json.loads((out / "manifest.json").read_text())["counts"]
    assert (c["train"], c["test"]) == (25, 2)  # round(27 / 12) = 2


def test_prepare_downloads_when_no_archive(tmp_path, monkeypatch, fruits_zip):
    calls = []

    def fake_download(kaggle_id, folder):
        calls.append(kaggle_id)
        target = folder / "fruit-recognition.zip"
        if len(calls) == 1:  # first try is damaged: must be fetched again
            target.write_bytes(fruits_zip.read_bytes()[:200])
        else:
            shutil.copy(fruits_zip, target)
        return target

    monkeypatch.setattr(download, "_kaggle_download", fake_download)
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    set_source("kaggle")
    with pytest.raises(MissingDataError, match="colorization data fruits"):
        load("fruits", split="test")  # loading never downloads, even with a login
    assert calls == []
    prepare("fruits")  # no archive given: prepare() downloads it
    ds = load("fruits", split="test")
    assert calls == ["sshikamaru/fruit-recognition"] * 2
    assert ds.dataset == "fruits" and len(ds) == 2 and ds.labels.tolist() == [-1, -1]
    raw = tmp_path / "box" / "data" / "raw" / "fruits"
    assert [p.name for p in raw.iterdir()] == ["fruit-recognition.zip"]
    m = json.loads((tmp_path / "box/data/prepared/fruits/manifest.json").read_text())
    assert m["source"] == "sshikamaru/fruit-recognition"


def test_preparing_without_a_login_says_how_to_sign_in():
    assert credentials.kaggle_token_source() is None
    with pytest.raises(MissingTokenError) as err:
        prepare("animals")
    msg = str(err.value)
    assert "kaggle.json" in msg and "KAGGLE_USERNAME" in msg and "embedded" in msg
    order = [msg.index(w) for w in ("kaggle auth login", "KAGGLE_API_TOKEN", "kaggle.json")]
    assert order == sorted(order)


def test_token_sources(tmp_path, monkeypatch):
    cfg = tmp_path / "home" / ".kaggle"
    cfg.mkdir()
    token = cfg / "kaggle.json"
    token.write_text('{"username": "u", "key": "k"}')
    token.chmod(0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        assert credentials.kaggle_token_source() == str(token)
    token.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert credentials.kaggle_token_source() == str(token)
    monkeypatch.setenv("KAGGLE_USERNAME", "u")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    assert credentials.kaggle_token_source() == "KAGGLE_USERNAME and KAGGLE_KEY"  # env overrides


