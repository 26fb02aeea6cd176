"""Loading datasets by name (colorization.data.datasets): the Kaggle data when prepared, the
embedded real samples otherwise (announced), generated images and folders; loading never
downloads."""

import io
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import isolate_kaggle
from PIL import Image

from colorization.data import datasets
from colorization.data.datasets import MissingDataError, describe, load, resolve


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Data under tmp_path/box/data; no Kaggle token; auto mode; fresh announcements."""
    isolate_kaggle(monkeypatch, tmp_path / "home", "COLORIZATION_DATA")
    datasets.set_source("auto")
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "box" / "data"))
    monkeypatch.setattr(datasets, "_ANNOUNCED", set())
    return tmp_path


def _img(w, h, seed=0):
    px = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG")
    return buf.getvalue()


def test_auto_without_kaggle_data_falls_back_to_the_real_samples_once(capsys):
    assert resolve("fruits") == "fruits360-sample"
    ds = load("fruits", max_images=16)
    err = capsys.readouterr().err
    assert "fruits360-sample" in err and "make data" in err and "Kaggle login" in err
    assert len(err.strip().splitlines()) == 1
    assert ds.dataset == "fruits360-sample" and len(ds) == 16 and ds.kind == "real"
    assert ds.images.shape == (16, 100, 100, 3) and "Granny Smith" in ds.class_names
    assert "Fruits-360" in ds.source and "CC BY-SA 4.0" in ds.source
    load("fruits", split="test", max_images=4)
    assert capsys.readouterr().err == ""  # announced once per process
    assert resolve("animals") == "pets-sample"
    pets = load("animals", split="test", max_images=2)
    assert pets.dataset == "pets-sample" and pets.kind == "real"
    err = capsys.readouterr().err
    assert "pets-sample" in err and "Oxford-IIIT Pet" in err and "make data" in err


def test_animals_without_kaggle_are_the_296_real_pet_photos(capsys):
    """The acceptance check of the embedded animals: 296 training and 74 test photos of cats
    and dogs (Oxford-IIIT Pet), real backgrounds, their licence beside them, announced."""
    train = load("animals", "train")
    assert "pets-sample" in capsys.readouterr().err
    test = load("animals", "test")
    assert (len(train), len(test)) == (296, 74)
    assert train.class_names == ["cat", "dog"] and np.bincount(train.labels).tolist() == [96, 200]
    assert np.bincount(test.labels).tolist() == [24, 50]
    assert train.images.shape[1:] == (100, 100, 3) and train.kind == "real"
    assert "Oxford-IIIT Pet" in train.source and "CC BY-SA 4.0" in train.source
    # real backgrounds, unlike the fruit sample's white: the corners are not near white
    assert train.images[:, :3, :3].mean() < 180
    # and real texture
    assert train.images.std(axis=(1, 2)).mean() > 20
    folder = datasets.SAMPLES["pets-sample"][0]
    licence = (folder / "LICENSE").read_text()
    readme = (folder / "README.md").read_text()
    assert "CC BY-SA 4.0" in licence and "Parkhi" in licence and "Oxford-IIIT Pet" in readme
    assert any(n.startswith("cat/") for n in train.names)


def test_embedded_fruit_sample_is_real_and_attributed(capsys):
    """The shipped sample: 800 train / 200 test real photos in 8 classes, every class in a
    seeded subset, its licence beside the images; ``fruits`` is it in embedded mode too."""
    datasets.set_source("Embedded")
    assert datasets.source() == "embedded"
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
    folder = datasets.SAMPLES["fruits360-sample"][0]
    licence = (folder / "LICENSE").read_text()
    readme = (folder / "README.md").read_text()
    assert "CC BY-SA 4.0" in licence and "Muresan" in licence and "Oltean" in readme
    assert resolve("fruits") == "fruits360-sample" and resolve("animals") == "pets-sample"
    assert resolve("synthetic-fruits") == "synthetic-fruits"


def _prepare_by_hand(root, name, n=3):
    """A finished preparation as colorization.acquire.prepare writes it (arrays, names,
    classes, then the manifest last)."""
    folder = root / "box" / "data" / "prepared" / name
    folder.mkdir(parents=True)
    for split in ("train", "test"):
        np.save(folder / f"{split}_images.npy", np.full((n, 100, 100, 3), 7, np.uint8))
        np.save(folder / f"{split}_labels.npy", np.zeros(n, np.int32))
        (folder / f"{split}_names.json").write_text(json.dumps([f"{i}.jpg" for i in range(n)]))
    (folder / "classes.json").write_text('["dog"]')
    (folder / "manifest.json").write_text('{"source": "animals10.zip"}')


def test_kaggle_data_is_used_when_prepared_and_required_in_kaggle_mode(isolated, capsys):
    assert resolve("animals") == "pets-sample"
    with pytest.raises(MissingDataError):
        resolve("animals", source="kaggle")
    datasets.set_source("kaggle")
    with pytest.raises(MissingDataError) as err:
        load("animals")
    msg = str(err.value)
    assert "make data" in msg and "colorization data animals" in msg and "pets-sample" in msg
    with pytest.raises(MissingDataError):
        resolve("animals")
    _prepare_by_hand(isolated, "animals")
    ds = load("animals", "test")
    assert ds.dataset == "animals" and len(ds) == 3 and "alessiocorrado99/animals10" in ds.source
    assert load("animals", "test", source="embedded").dataset == "pets-sample"
    datasets.set_source("auto")
    assert resolve("animals") == "animals" and load("animals").dataset == "animals"
    assert capsys.readouterr().err == ""  # nothing to announce


def test_loading_never_imports_the_acquisition_code():
    script = ("import sys; from colorization.data import datasets; "
              "datasets.load('fruits', max_images=2); datasets.load('animals', max_images=2); "
              "datasets.load('synthetic-animals', max_images=2); datasets.load('photos'); "
              "print(sorted(m for m in sys.modules if m.startswith('colorization.acquire')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_generated_data_by_name_only(capsys):
    datasets.set_source("embedded")
    assert load("animals", split="test", max_images=8).dataset == "pets-sample"
    ds = load("synthetic-animals", split="test", max_images=8, image_size=64)
    assert ds.dataset == "synthetic-animals" and ds.images.shape == (8, 64, 64, 3)
    assert ds.class_names == ["dog", "chicken", "horse", "cat"] and ds.kind == "generated"
    assert capsys.readouterr().err == ""
    direct = load("synthetic-animals", split="test", max_images=8)
    assert direct.images.shape == (8, 100, 100, 3)
    assert describe(direct) == ("synthetic-animals test: 8 generated images 100x100, 4 classes "
                                "(source synthetic-animals (seed 0))")
    photos = load("photos")
    assert photos.dataset == "photos" and len(photos) >= 6 and (photos.labels == -1).all()
    with pytest.raises(ValueError):
        load("fruits", split="validation")
    with pytest.raises(ValueError):
        load("no-such-dataset")
    for bad in ("always", "synthetic"):
        with pytest.raises(ValueError, match="COLORIZATION_DATA.*auto.*kaggle.*embedded"):
            datasets.set_source(bad)
        with pytest.raises(ValueError, match="COLORIZATION_DATA"):
            load("fruits", source=bad)
    assert datasets.source() == "embedded"


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


def test_a_flat_folder_splits_the_same_for_every_seed(tmp_path):
    """A training loads its train split with its own seed and the test split with seed 0: no
    test image may be among its training images, whatever its seed."""
    root = tmp_path / "flat"
    _folder(root, [f"img{k:02d}.jpg" for k in range(20)])
    test = load(root, "test", seed=0)
    for seed in range(6):
        train = load(root, "train", seed=seed)
        assert len(train) + len(test) == 20 and not set(train.names) & set(test.names)


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
