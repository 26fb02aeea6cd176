"""The datasets attached to a Kaggle Notebook: found under the (configurable) input root as
Kaggle mounts them (extracted folders, read-only) and prepared with no login and no download,
writing only under the project's data folder."""

import json
import os

import numpy as np
import pytest
from conftest import isolate_kaggle
from PIL import Image

from colorization import cli
from colorization.acquire import download
from colorization.acquire.prepare import WrongArchiveError, prepare
from colorization.data import datasets
from colorization.study import reproduce

FRUITS = ("Apple Braeburn", "Banana", "Kiwi")
ANIMALS = ("cane", "gatto", "gallina", "cavallo", "ragno")  # ragno: not one of the four


def _jpeg(path, w, h, seed):
    path.parent.mkdir(parents=True, exist_ok=True)
    px = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    Image.fromarray(px).save(path, "JPEG")


def kaggle_input(root):
    """``root`` laid out as a Kaggle Notebook mounts the two attached datasets."""
    fruits = root / "fruit-recognition"
    for c, cls in enumerate(FRUITS):
        for k in range(4):
            _jpeg(fruits / "train" / "train" / cls / f"{k}_100.jpg", 100, 100, 10 * c + k)
    for k in range(3):
        _jpeg(fruits / "test" / "test" / f"{k:04d}.jpg", 100, 100, 50 + k)
    for c, cls in enumerate(ANIMALS):
        for k in range(3):
            _jpeg(root / "animals10" / "raw-img" / cls / f"OIP-{k}.jpeg", 140, 120, 80 + 5 * c + k)
    return root


def _tree(root):
    """Every file and folder under ``root`` with its size and modification time."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def attached(tmp_path, monkeypatch):
    """A Kaggle input root with both datasets; no Kaggle login; the network refused; the
    Kaggle data used when prepared."""
    isolate_kaggle(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "work" / "data"))
    monkeypatch.setenv("COLORIZATION_DATA", "auto")
    datasets.set_source("auto")
    root = kaggle_input(tmp_path / "input")
    monkeypatch.setenv("COLORIZATION_KAGGLE_INPUT", str(root))

    def no_network(*args, **kwargs):
        raise AssertionError("no download: the datasets are attached")

    monkeypatch.setattr(download, "_kaggle_download", no_network)
    return root


def test_the_attached_datasets_are_found(attached):
    assert datasets.attached("fruits") == attached / "fruit-recognition"
    assert datasets.attached("animals") == attached / "animals10"


def test_nothing_is_found_without_the_input_root(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORIZATION_KAGGLE_INPUT", str(tmp_path / "absent"))
    assert datasets.attached("fruits") is None and datasets.attached("animals") is None


def test_a_folder_under_another_name_or_owner_path_is_found(tmp_path, monkeypatch):
    root = tmp_path / "input"
    _jpeg(root / "datasets" / "alessiocorrado99" / "animals10" / "raw-img" / "cane" / "a.jpeg",
          120, 120, 1)
    _jpeg(root / "my-fruits" / "train" / "train" / "Kiwi" / "a.jpg", 100, 100, 2)
    _jpeg(root / "my-fruits" / "test" / "test" / "b.jpg", 100, 100, 3)
    monkeypatch.setenv("COLORIZATION_KAGGLE_INPUT", str(root))
    assert datasets.attached("animals") == root / "datasets" / "alessiocorrado99" / "animals10"
    assert datasets.attached("fruits") == root / "my-fruits"


def test_attached_datasets_are_prepared_with_no_login_and_no_download(attached):
    before = _tree(attached)
    for name in ("fruits", "animals"):
        out = prepare(name)
        manifest = json.loads((out / "manifest.json").read_text())
        assert "attached at" in manifest["source"]
        assert datasets.resolve(name) == name  # the Kaggle data is used from now on
    fruits = json.loads((datasets.prepared_dir() / "fruits" / "manifest.json").read_text())
    assert fruits["counts"]["train"] == 12 and fruits["counts"]["test"] == 3
    animals = json.loads((datasets.prepared_dir() / "animals" / "manifest.json").read_text())
    assert animals["counts"]["kept"] == 12 and animals["ignored"] == {"ragno": 3}
    assert _tree(attached) == before  # the read-only input is never written
    train = datasets.load("fruits", "train", image_size=32)
    assert train.dataset == "fruits" and len(train) == 12 and train.images.shape[1:] == (32, 32, 3)


def test_only_the_data_folder_is_written(attached, tmp_path):
    prepare("animals")
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {"input", "work"}
    assert not (tmp_path / "work" / "data" / "raw").exists()  # no download, no scratch copy


def test_make_data_prepares_the_attached_datasets(attached):
    assert cli.main(["data"]) == 0  # what `make data` runs
    assert datasets.is_prepared("fruits") and datasets.is_prepared("animals")
    for name in ("fruits", "animals"):
        manifest = json.loads((datasets.prepared_dir() / name / "manifest.json").read_text())
        assert "attached at" in manifest["source"]


def test_an_attached_folder_of_another_dataset_is_refused(attached, tmp_path):
    wrong = tmp_path / "other"
    _jpeg(wrong / "images" / "a.jpg", 100, 100, 1)
    with pytest.raises(WrongArchiveError, match="not the Kaggle dataset 'fruits'"):
        prepare("fruits", archive=wrong)
    assert not datasets.is_prepared("fruits")


def test_make_reproduce_prepares_them_first(attached, monkeypatch):
    """`make reproduce` runs `colorization data` for the attached, unprepared datasets (here
    in this process instead of a new one)."""
    calls = []

    def in_process(command, **kwargs):
        calls.append(command[3:])
        code = cli.main(command[3:])
        return type("Done", (), {"returncode": code, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(reproduce.subprocess, "run", in_process)
    lines = []
    console = reproduce.Console()
    console.say = lines.append
    assert reproduce.prepare_attached(console)
    assert calls == [["data", "fruits", "animals"]]
    assert datasets.is_prepared("fruits") and datasets.is_prepared("animals")
    assert "attached to this Kaggle Notebook" in lines[0]
    calls.clear()
    assert reproduce.prepare_attached(console) and calls == []  # prepared: nothing to do
