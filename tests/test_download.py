"""Downloads (retries, damaged archives, kaggle's resume) and the archive checks of
preparation (wrong archive refused, nothing kept, counts warned about), with archives and
download stubs the tests build: no network."""

import json
import shutil
import zipfile

import pytest
from conftest import isolate_kaggle
from test_prepare import _img, _write_zip

from colorization import cli
from colorization.acquire import download, prepare
from colorization.core import paths
from colorization.data import datasets


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    isolate_kaggle(monkeypatch, tmp_path / "home", "COLORIZATION_DATA")
    monkeypatch.setattr(datasets, "_source", "auto")
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(download, "RETRY_PAUSES", (0.0,))

    def no_network(*args, **kwargs):
        raise AssertionError("the network must not be used in tests")

    monkeypatch.setattr(download, "_kaggle_download", no_network)


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("KAGGLE_API_TOKEN", "0123456789abcdef-token")


def _fruits_zip(path):
    entries = [(f"train/train/{c}/{c}{k}.jpg", _img(100, 100, seed=k)) for c in ("Kiwi", "Lime")
               for k in range(2)]
    entries += [("test/test/0001.jpg", _img(100, 100, seed=9))]
    return _write_zip(path, entries)


def _animals_zip(path):
    entries = [(f"raw-img/{f}/{f}{k}.jpeg", _img(120, 110, seed=k))
               for f in ("cane", "gallina", "cavallo", "gatto") for k in range(3)]
    entries += [(f"raw-img/ragno/r{k}.jpeg", _img(120, 110, seed=k)) for k in range(4)]
    return _write_zip(path, entries)


def test_damaged_download_is_deleted_and_fetched_again(tmp_path, token, monkeypatch):
    good = _fruits_zip(tmp_path / "good.zip")
    seen = []

    def stub(kaggle_id, folder):
        target = folder / "fruit-recognition.zip"
        seen.append(target.exists())
        # first a zip whose member data is damaged (CRC), then the good one
        payload = bytearray(good.read_bytes())
        if len(seen) == 1:
            payload[100:110] = b"x" * 10
        target.write_bytes(bytes(payload))
        return target

    monkeypatch.setattr(download, "_kaggle_download", stub)
    out = prepare.prepare("fruits")  # no archive given: prepare() downloads it
    assert seen == [False, False]  # two calls; the damaged zip was deleted in between
    assert json.loads((out / "manifest.json").read_text())["counts"]["kept"] == 5
    assert sorted(p.name for p in (paths.raw_dir() / "fruits").iterdir()) == [
        "fruit-recognition.zip"]


def test_failed_attempts_are_retried_and_named(tmp_path, token, monkeypatch, capsys):
    good = _fruits_zip(tmp_path / "good.zip")
    calls = []

    def flaky(kaggle_id, folder):
        calls.append(kaggle_id)
        if len(calls) < 3:
            raise ConnectionError("connection reset by peer")
        return shutil.copy(good, folder / "fruit-recognition.zip")

    monkeypatch.setattr(download, "_kaggle_download", flaky)
    path = download.download("fruits")
    assert len(calls) == 3 and path.read_bytes() == good.read_bytes()
    err = capsys.readouterr().err
    assert ("attempt 1 of 3 to download sshikamaru/fruit-recognition failed "
            "(ConnectionError: connection reset by peer); trying again") in err
    assert "attempt 2 of 3" in err


def test_every_attempt_failing_keeps_the_partial_file_for_kaggles_resume(token, monkeypatch):
    calls = []

    def cut(kaggle_id, folder):  # kaggle leaves the partial zip and its resume marker
        target = folder / "fruit-recognition.zip"
        calls.append(target.stat().st_size if target.exists() else 0)
        with open(target, "ab") as f:
            f.write(b"PK\x03\x04partial")
        (folder / "fruit-recognition.zip.kaggle-partial").write_text('{"validator": "e"}')
        raise TimeoutError("read timed out")

    monkeypatch.setattr(download, "_kaggle_download", cut)
    with pytest.raises(download.DownloadError) as err:
        download.download("fruits")
    msg = str(err.value)
    assert "could not download sshikamaru/fruit-recognition from Kaggle after 3 attempts" in msg
    assert "TimeoutError: read timed out" in msg and "the next try resumes it" in msg
    assert calls == [0, 11, 22]  # one stable folder: each attempt found the bytes so far
    raw = paths.raw_dir() / "fruits"
    assert (raw / "fruit-recognition.zip").stat().st_size == 33
    assert download.find_archive("fruits") is None  # a partial is not an archive
    # the next run hands the partial file to kaggle again instead of deleting it
    with pytest.raises(download.DownloadError):
        download.download("fruits")
    assert calls[3] == 33


def test_stale_extraction_folder_is_removed_by_prepare(tmp_path):
    stale = paths.raw_dir() / ".extract-fruits-x"
    (stale / "train").mkdir(parents=True)
    (stale / "train" / "half.jpg").write_bytes(b"\xff\xd8")
    prepare.prepare("fruits", archive=_fruits_zip(tmp_path / "f.zip"))
    assert not stale.exists() and not list(paths.raw_dir().glob(".extract-*"))


@pytest.mark.parametrize("name, other", [("fruits", _animals_zip), ("animals", _fruits_zip)])
def test_wrong_archive_is_refused_and_nothing_prepared(tmp_path, capsys, name, other):
    wrong = other(tmp_path / "archive.zip")
    with pytest.raises(prepare.WrongArchiveError) as err:
        prepare.prepare(name, archive=wrong)
    msg = str(err.value)
    assert f"is not the Kaggle dataset {name!r} ({download.dataset_id(name)})" in msg
    assert f"expected {prepare.EXPECTED_LAYOUT[name]}" in msg and "Nothing was prepared" in msg
    assert not (paths.prepared_dir() / name).exists()
    assert not list(paths.prepared_dir().glob(".*")) if paths.prepared_dir().exists() else True
    # the command line: refused, exit 2, the same message, still nothing prepared
    assert cli.main(["data", name, "--archive", str(wrong)]) == 2
    out = capsys.readouterr()
    assert "error:" in out.err and prepare.EXPECTED_LAYOUT[name] in out.err
    assert not (paths.prepared_dir() / name).exists()
    assert not list(paths.raw_dir().glob(".extract-*"))


def test_wrong_archive_with_force_keeps_the_earlier_preparation(tmp_path):
    out = prepare.prepare("animals", archive=_animals_zip(tmp_path / "a.zip"))
    before = (out / "manifest.json").read_bytes()
    with pytest.raises(prepare.WrongArchiveError):
        prepare.prepare("animals", archive=_fruits_zip(tmp_path / "archive.zip"), force=True)
    assert (out / "manifest.json").read_bytes() == before
    assert json.loads(before)["source"] == "a.zip"  # never the refused archive


def test_preparation_keeping_no_image_fails(tmp_path):
    broken = _write_zip(tmp_path / "fruit-recognition.zip", [
        ("train/train/Kiwi/a.jpg", b"not a jpeg"), ("train/train/Kiwi/b.jpg", b""),
        ("test/test/0001.jpg", _img(100, 100))])
    with pytest.raises(prepare.WrongArchiveError, match="no usable training image"):
        prepare.prepare("fruits", archive=broken)
    assert not (paths.prepared_dir() / "fruits").exists()


def test_counts_far_from_the_published_ones_are_warned(tmp_path, capsys, monkeypatch):
    out = prepare.prepare("fruits", archive=_fruits_zip(tmp_path / "f.zip"))
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["warnings"]) == 2 and m["expected"] == {"train": 16854, "test": 5641}
    assert "4 train images kept, far from the 16,854" in m["warnings"][0]
    assert "warning: fruits: 4 train images kept" in capsys.readouterr().err
    # within 50%-150% of the expected count: no warning
    monkeypatch.setitem(prepare.EXPECTED_COUNTS, "animals", {"kept": 10})
    out = prepare.prepare("animals", archive=_animals_zip(tmp_path / "a.zip"))
    assert json.loads((out / "manifest.json").read_text())["warnings"] == []
    assert "warning" not in capsys.readouterr().err


def test_animals_other_classes_are_never_read(tmp_path, monkeypatch):
    read = []
    original = prepare._read_for

    def spy(dataset, path):
        read.append(path.relative_to(path.parents[2]).as_posix())
        return original(dataset, path)

    monkeypatch.setattr(prepare, "_read_for", spy)
    out = prepare.prepare("animals", archive=_animals_zip(tmp_path / "a.zip"))
    m = json.loads((out / "manifest.json").read_text())
    assert len(read) == 12 and not any("ragno" in r for r in read)
    assert m["ignored"] == {"ragno": 4} and m["counts"]["kept"] == 12


def test_tar_archive_is_checked_and_prepared(tmp_path):
    import tarfile

    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(_fruits_zip(tmp_path / "f.zip")) as zf:
        zf.extractall(folder)
    tar = tmp_path / "fruits.tar.gz"
    with tarfile.open(tar, "w:gz") as tf:
        for sub in ("train", "test"):
            tf.add(folder / sub, arcname=sub)
    out = prepare.prepare("fruits", archive=tar)
    assert json.loads((out / "manifest.json").read_text())["counts"]["kept"] == 5
    with pytest.raises(prepare.WrongArchiveError):
        prepare.prepare("animals", archive=tar)
