"""Kaggle preparation from test-built archives, the load() modes, folders and fallbacks."""

import io
import json
import shutil
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

from colorization import data, download
from colorization.data import ImageSet, MissingTokenError, describe, load, prepare, resolve


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Data under tmp_path/box/data; no Kaggle token; auto mode; fresh announcements."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("COLORIZATION_DATA", raising=False)
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "box" / "data"))
    monkeypatch.setattr(data, "_ANNOUNCED", set())

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
    assert describe(ds).startswith("fruits train: 13 images 100x100, 3 classes")
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
    monkeypatch.setenv("COLORIZATION_DATA", "kaggle")
    ds = load("fruits", split="test")
    assert calls == ["sshikamaru/fruit-recognition"] * 2
    assert ds.dataset == "fruits" and len(ds) == 2 and ds.labels.tolist() == [-1, -1]
    raw = tmp_path / "box" / "data" / "raw" / "fruits"
    assert [p.name for p in raw.iterdir()] == ["fruit-recognition.zip"]
    m = json.loads((tmp_path / "box/data/prepared/fruits/manifest.json").read_text())
    assert m["source"] == "sshikamaru/fruit-recognition"


def test_kaggle_mode_without_token_raises(monkeypatch):
    monkeypatch.setenv("COLORIZATION_DATA", "kaggle")
    assert data.kaggle_token_source() is None
    with pytest.raises(MissingTokenError) as err:
        load("animals")
    msg = str(err.value)
    assert "kaggle.json" in msg and "KAGGLE_USERNAME" in msg and "synthetic" in msg
    order = [msg.index(w) for w in ("kaggle auth login", "KAGGLE_API_TOKEN", "kaggle.json")]
    assert order == sorted(order)
    assert resolve("animals") == "animals"


def test_token_sources(tmp_path, monkeypatch):
    cfg = tmp_path / "home" / ".kaggle"
    cfg.mkdir()
    token = cfg / "kaggle.json"
    token.write_text('{"username": "u", "key": "k"}')
    token.chmod(0o644)
    with pytest.warns(UserWarning, match="chmod 600"):
        assert data.kaggle_token_source() == str(token)
    token.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert data.kaggle_token_source() == str(token)
    monkeypatch.setenv("KAGGLE_USERNAME", "u")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    assert data.kaggle_token_source() == "KAGGLE_USERNAME and KAGGLE_KEY"  # env overrides


def test_auto_without_token_falls_back_once(capsys):
    assert resolve("fruits") == "fruits360-sample"
    ds = load("fruits", max_images=16)
    err = capsys.readouterr().err
    assert "fruits360-sample" in err and "kaggle.json" in err and "make data" in err
    assert len(err.strip().splitlines()) == 1
    assert ds.dataset == "fruits360-sample" and len(ds) == 16
    assert ds.images.shape == (16, 100, 100, 3) and "Granny Smith" in ds.class_names
    assert "Fruits-360" in ds.source and "CC BY-SA 4.0" in ds.source
    load("fruits", split="test", max_images=4)
    assert capsys.readouterr().err == ""  # announced once per process
    assert resolve("animals") == "synthetic-animals"
    assert load("animals", split="test", max_images=2).dataset == "synthetic-animals"
    err = capsys.readouterr().err
    assert "synthetic-animals" in err and "make data" in err


def test_embedded_fruit_sample_is_real_and_attributed(monkeypatch, capsys):
    """The shipped sample: 800 train / 200 test real photos in 8 classes, every class in a
    seeded subset, its licence beside the images; ``fruits`` is it in embedded mode too."""
    monkeypatch.setenv("COLORIZATION_DATA", "synthetic")
    train = load("fruits360-sample", "train")
    test = load("fruits", "test", image_size=64, max_images=40)
    assert capsys.readouterr().err == ""
    assert len(train) == 800 and train.images.shape[1:] == (100, 100, 3)
    assert len(train.class_names) == 8 and np.bincount(train.labels).tolist() == [100] * 8
    assert test.dataset == "fruits360-sample" and test.images.shape == (40, 64, 64, 3)
    assert len(set(test.labels.tolist())) >= 6  # a seeded subset, not one class
    # white backgrounds: the corners of real Fruits-360 photos are near white
    assert train.images[:, :3, :3].mean() > 200
    # photos are not flat: real texture, unlike a generated stand-in
    assert train.images.std(axis=(1, 2)).mean() > 20
    licence = (data.SAMPLE_DIR / "LICENSE").read_text()
    readme = (data.SAMPLE_DIR / "README.md").read_text()
    assert "CC BY-SA 4.0" in licence and "Muresan" in licence and "Oltean" in readme
    monkeypatch.setenv("COLORIZATION_DATA", "embedded")
    assert resolve("fruits") == "fruits360-sample" and resolve("animals") == "synthetic-animals"
    assert resolve("synthetic-fruits") == "synthetic-fruits"


def test_synthetic_mode_and_names(monkeypatch, capsys):
    monkeypatch.setenv("COLORIZATION_DATA", "synthetic")
    ds = load("animals", split="test", max_images=8, image_size=64)
    assert ds.dataset == "synthetic-animals" and ds.images.shape == (8, 64, 64, 3)
    assert ds.class_names == ["dog", "chicken", "horse", "cat"]
    assert capsys.readouterr().err == ""
    direct = load("synthetic-animals", split="test", max_images=8)
    assert direct.images.shape == (8, 100, 100, 3)
    assert describe(direct) == (
        "synthetic-animals test: 8 images 100x100, 4 classes (source synthetic-animals (seed 0))"
    )
    photos = load("photos")
    assert photos.dataset == "photos" and len(photos) >= 6 and (photos.labels == -1).all()
    with pytest.raises(ValueError):
        load("fruits", split="validation")
    with pytest.raises(ValueError):
        load("no-such-dataset")


def _folder(root, rels):
    for k, rel in enumerate(rels):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(_img(120, 80, seed=k) if not rel.endswith("bad.jpg") else b"oops")


def test_folder_with_train_test(tmp_path):
    root = tmp_path / "mine"
    _folder(root, ["train/cats/a.jpg", "train/dogs/b.jpg", "train/dogs/c.jpg", "test/x.jpg"])
    ds = load(root, "train")
    assert ds.dataset == "folder" and ds.class_names == ["cats", "dogs"]
    assert ds.labels.tolist() == [0, 1, 1] and ds.images.shape == (3, 100, 100, 3)
    assert ds.names == ["cats/a.jpg", "dogs/b.jpg", "dogs/c.jpg"]
    test = load(str(root), "test", image_size=32)
    assert test.images.shape == (1, 32, 32, 3) and test.labels.tolist() == [-1]
    assert resolve(root) == "folder"


def test_folder_without_split_and_unreadable(tmp_path):
    root = tmp_path / "flat"
    _folder(root, [f"img{k:02d}.jpg" for k in range(19)] + ["bad.jpg"])
    with pytest.warns(UserWarning, match="skipped 1 unreadable"):
        train = load(root, "train", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with seed 1, bad.jpg is in the train split
        test = load(root, "test", seed=1)
    assert len(train) + len(test) == 19 and len(test) in (1, 2)
    assert not set(train.names) & set(test.names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load(root, "test", seed=1).names == test.names
