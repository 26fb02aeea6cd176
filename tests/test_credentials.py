"""The Kaggle token: read from the documented places, never printed, never written.

A notebook is executed with a fake token in the environment and in ``kaggle.json``, and
every file written is searched for it; failed downloads, whose errors may quote a request,
are reported without it.
"""

import json
import os
import secrets
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from colorization import cli, data, download, paths

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-data-and-lab.ipynb"


@pytest.fixture(autouse=True)
def no_token(tmp_path, monkeypatch):
    """HOME in tmp_path, no token anywhere, no network."""
    home = tmp_path / "userhome"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR",
                "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "data"))

    def no_network(*args, **kwargs):
        raise AssertionError("the network must not be used in tests")

    monkeypatch.setattr(download, "_kaggle_download", no_network)
    return home


def _kaggle_json(folder: Path, key: str, mode=0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kaggle.json"
    path.write_text(json.dumps({"username": "fakeuser", "key": key}))
    path.chmod(mode)
    return path


def test_token_is_found_in_every_documented_place(tmp_path, monkeypatch, no_token):
    assert data.kaggle_token_source() is None
    xdg = _kaggle_json(tmp_path / "xdg" / "kaggle", "k1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert data.kaggle_token_source() == str(xdg)
    access = no_token / ".kaggle" / "access_token"  # kaggle 2.x
    access.parent.mkdir()
    access.write_text("k2")
    access.chmod(0o600)
    assert data.kaggle_token_source() == str(xdg)  # kaggle.json first
    xdg.unlink()
    assert data.kaggle_token_source() == str(access)
    home_json = _kaggle_json(no_token / ".kaggle", "k3")
    assert data.kaggle_token_source() == str(home_json)
    custom = _kaggle_json(tmp_path / "custom", "k4")
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "custom"))
    assert data.kaggle_token_source() == str(custom)  # $KAGGLE_CONFIG_DIR alone, when set
    monkeypatch.setenv("KAGGLE_API_TOKEN", "k5")
    assert data.kaggle_token_source() == "environment"


def test_readable_kaggle_json_is_warned_about_without_the_key(no_token):
    key = secrets.token_hex(16)
    path = _kaggle_json(no_token / ".kaggle", key, mode=0o644)
    with pytest.warns(UserWarning, match="readable by other users") as record:
        assert data.kaggle_token_source() == str(path)
    assert f"chmod 600 {path}" in str(record[0].message) and key not in str(record[0].message)
    path.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.kaggle_token_source()


def test_failed_download_never_shows_the_token(no_token, monkeypatch, capsys):
    key = secrets.token_hex(16)
    file_key = secrets.token_hex(16)
    _kaggle_json(no_token / ".kaggle", file_key)
    monkeypatch.setenv("KAGGLE_USERNAME", "fakeuser")
    monkeypatch.setenv("KAGGLE_KEY", key)

    def leaky(kaggle_id, folder):  # an error quoting the request, credentials included
        raise ConnectionError(f"https://fakeuser:{key}@api.kaggle.com/{kaggle_id} failed; "
                              f"config key={file_key}")

    monkeypatch.setattr(download, "_kaggle_download", leaky)
    with pytest.raises(data.DownloadError) as err:
        data.download("fruits")
    msg = str(err.value)
    assert "could not download sshikamaru/fruit-recognition" in msg and "***" in msg
    assert key not in msg and file_key not in msg
    assert err.value.__cause__ is None and err.value.__suppress_context__
    code = cli.main(["data", "fruits"])
    out = capsys.readouterr()
    assert code == 2 and "error: could not download" in out.err
    assert key not in out.out + out.err and file_key not in out.out + out.err
    assert "Traceback" not in out.err
    assert not list((paths.raw_dir() / "fruits").iterdir())  # no partial download left


def test_notebook_with_a_fake_token_writes_it_nowhere(tmp_path, no_token):
    key = secrets.token_hex(20)
    file_key = secrets.token_hex(20)
    _kaggle_json(no_token / ".kaggle", file_key)
    out = tmp_path / "executed"
    env = dict(os.environ, KAGGLE_USERNAME="fakeuser", KAGGLE_KEY=key,
               COLORIZATION_HOME=str(tmp_path / "project"),
               COLORIZATION_RUNS_DIR=str(tmp_path / "runs"), COLORIZATION_DATA="synthetic",
               COLORIZATION_PROFILE="smoke", TF_CPP_MIN_LOG_LEVEL="3")
    res = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to",
                          "notebook", "--output-dir", str(out), str(NOTEBOOK)], env=env,
                         capture_output=True, timeout=600)
    assert res.returncode == 0, res.stderr.decode()[-3000:]
    for secret in (key, file_key):
        assert secret.encode() not in res.stdout + res.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "kaggle.json"]
    assert (out / NOTEBOOK.name).is_file()
    assert any(p.suffix == ".png" for p in written)  # the notebook's figures
    leaks = [p for p in written if key.encode() in p.read_bytes()
             or file_key.encode() in p.read_bytes()]
    assert leaks == []
