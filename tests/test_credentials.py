"""The Kaggle token: read from the documented places, never printed, never written.

A notebook is executed with a fake token in the environment and in ``kaggle.json``, and
every file written is searched for it; failed downloads, whose errors may quote a request,
are reported without it.
"""

import base64
import json
import os
import secrets
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import isolate_kaggle

from colorization import cli
from colorization.acquire import credentials, download
from colorization.core import paths

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01-data-and-lab.ipynb"


@pytest.fixture(autouse=True)
def no_token(tmp_path, monkeypatch):
    """HOME in tmp_path, no token anywhere, no network."""
    home = tmp_path / "userhome"
    isolate_kaggle(monkeypatch, home)
    monkeypatch.setenv("COLORIZATION_DATA_DIR", str(tmp_path / "data"))

    def no_network(*args, **kwargs):
        raise AssertionError("the network must not be used in tests")

    monkeypatch.setattr(download, "_kaggle_download", no_network)
    monkeypatch.setattr(download, "RETRY_PAUSES", (0.0,))
    return home


def _kaggle_json(folder: Path, key: str, mode=0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kaggle.json"
    path.write_text(json.dumps({"username": "fakeuser", "key": key}))
    path.chmod(mode)
    return path


def _oauth(home: Path, refresh: str, access: str) -> Path:
    """What `kaggle auth login` leaves: ~/.kaggle/credentials.json (an unexpired token)."""
    path = home / ".kaggle" / "credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"refresh_token": refresh, "access_token": access,
                                "access_token_expiration": "2099-01-01T00:00:00+00:00",
                                "username": "fakeuser", "scopes": []}))
    path.chmod(0o600)
    return path


def _token_file(home: Path, name: str, value: str) -> Path:
    path = home / ".kaggle" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value)
    path.chmod(0o600)
    return path


def test_every_credential_form_is_found_in_kaggles_order(tmp_path, monkeypatch, no_token):
    assert credentials.kaggle_token_source() is None and credentials.credential_sources() == []
    xdg = _kaggle_json(tmp_path / "xdg" / "kaggle", "k1")  # used only without ~/.kaggle
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert credentials.kaggle_token_source() == str(xdg)
    oauth = _oauth(no_token, "r" * 20, "a" * 20)  # creates ~/.kaggle: XDG no longer read
    assert credentials.credential_sources() == [str(oauth)]
    home_json = _kaggle_json(no_token / ".kaggle", "k3")
    assert credentials.credential_sources() == [str(home_json), str(oauth)]
    custom = _kaggle_json(tmp_path / "custom", "k4")
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "custom"))
    assert credentials.credential_sources() == [str(custom), str(oauth)]
    monkeypatch.setenv("KAGGLE_KEY", "k5")  # the environment overrides the file's key
    assert credentials.credential_sources()[0] == "KAGGLE_USERNAME and KAGGLE_KEY"
    txt = _token_file(no_token, "access_token.txt", "k6\n")
    assert credentials.credential_sources()[0] == str(txt)
    plain = _token_file(no_token, "access_token", "k7")
    assert credentials.credential_sources()[:2] == [str(plain), str(txt)]
    monkeypatch.setenv("KAGGLE_API_TOKEN", "k8")
    assert credentials.credential_sources() == [
        "KAGGLE_API_TOKEN", str(plain), str(txt), "KAGGLE_USERNAME and KAGGLE_KEY", str(oauth)]
    _token_file(no_token, "empty", "")  # an empty token file is not a token (as for kaggle)
    monkeypatch.setenv("KAGGLE_API_TOKEN", str(no_token / ".kaggle" / "empty"))
    assert credentials.credential_sources()[0] == str(plain)


_AUTH_PROBE = """
import json, sys, requests
from colorization.acquire import credentials
sent = []
def fake_send(self, request, **kw):  # kaggle checks an API token online: answer for Kaggle
    sent.append(request.url)
    r = requests.Response()
    r.status_code = 200
    r.headers["Content-Type"] = "application/json"
    r._content = json.dumps({"active": True, "username": "fakeuser"}).encode()
    r.url, r.request = request.url, request
    return r
requests.Session.send = fake_send
with credentials.guarded_output():
    api = credentials.quiet_api()
    api.authenticate()
print(json.dumps({"method": api.config_values.get("auth_method"),
                  "source": credentials.kaggle_token_source(), "sent": sent}))
"""


@pytest.mark.parametrize("form", ["oauth", "api_token_env", "access_token_txt", "kaggle_json"])
def test_kaggle_itself_accepts_each_form(tmp_path, no_token, form):
    """kaggle's own authenticate() (network answered by a stub) accepts each credential form
    the tests build, and the project names the same source without any network."""
    secret = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAGGLE_", "VERBOSE"))}
    env.update(HOME=str(no_token), PYTHONPATH=str(Path(download.__file__).parents[1]))
    if form == "oauth":
        expected = ("OAUTH", str(_oauth(no_token, secret, secrets.token_hex(16))))
    elif form == "api_token_env":
        env["KAGGLE_API_TOKEN"] = secret
        expected = ("ACCESS_TOKEN", "KAGGLE_API_TOKEN")
    elif form == "access_token_txt":
        expected = ("ACCESS_TOKEN", str(_token_file(no_token, "access_token.txt", secret)))
    else:
        expected = ("LEGACY_API_KEY", str(_kaggle_json(no_token / ".kaggle", secret)))
    res = subprocess.run([sys.executable, "-c", _AUTH_PROBE], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert (got["method"], got["source"]) == expected
    assert all(url.startswith("https://api.kaggle.com/") for url in got["sent"])
    assert secret not in res.stdout + res.stderr


def test_readable_kaggle_json_is_warned_about_without_the_key(no_token):
    key = secrets.token_hex(16)
    path = _kaggle_json(no_token / ".kaggle", key, mode=0o644)
    with pytest.warns(UserWarning, match="readable by other users") as record:
        assert credentials.kaggle_token_source() == str(path)
    assert f"chmod 600 {path}" in str(record[0].message) and key not in str(record[0].message)
    path.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        credentials.kaggle_token_source()


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
    with pytest.raises(download.DownloadError) as err:
        download.download("fruits")
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


def _encodings(user: str, secret: str) -> set[str]:
    """How a credential may travel: itself, and user:secret as HTTP basic auth in base64."""
    forms = {secret}
    for raw in (f"{user}:{secret}".encode(), secret.encode()):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            forms |= {enc(raw).decode(), enc(raw).decode().rstrip("=")}
    return forms


def test_redact_covers_every_encoding_of_every_credential(no_token, monkeypatch):
    key, token, refresh, access, env_key = (secrets.token_urlsafe(24) for _ in range(5))
    _kaggle_json(no_token / ".kaggle", key)
    _token_file(no_token, "access_token", token)
    _oauth(no_token, refresh, access)
    monkeypatch.setenv("KAGGLE_USERNAME", "fakeuser")
    monkeypatch.setenv("KAGGLE_KEY", env_key)
    forms = set()
    for value in (key, token, refresh, access, env_key):
        forms |= _encodings("fakeuser", value)
    text = " | ".join(f"Authorization: Basic {f}" for f in sorted(forms))
    clean = credentials.redact(text)
    assert [f for f in forms if f in clean] == []
    assert clean.count("***") == len(forms)


_VERBOSE_RUN = """
import json, sys, requests
from colorization.acquire import download
download.RETRY_PAUSES = (0.0,)
seen = []
def echo_send(self, request, **kw):  # a server error that echoes the request's headers
    seen.append(request.headers.get("Authorization", ""))
    echoed = "\\n".join(f"{k}: {v}" for k, v in request.headers.items())
    r = requests.Response()
    r.status_code = 500
    r.headers["Content-Type"] = "application/json"
    r._content = json.dumps({"code": 500, "message": "bad request " + echoed}).encode()
    r.url, r.request = request.url, request
    return r
requests.Session.send = echo_send
try:
    download.download("fruits")
except Exception as err:
    print("error:", err)
    print("cause:", repr(err.__cause__), repr(err.__context__) if not err.__suppress_context__
          else "")
print("SENT", json.dumps(seen), file=open(sys.argv[1], "w"))
"""


def test_verbose_kaggle_and_an_echoing_server_leak_nothing(tmp_path, no_token):
    """VERBOSE=1 makes the kaggle client dump request headers; a server echoes them in its
    error: neither the key nor `user:key` in base64 reaches the output or the error."""
    key = secrets.token_hex(16)
    _kaggle_json(no_token / ".kaggle", key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE_")}
    env.update(HOME=str(no_token), VERBOSE="1", PYTHONPATH=str(Path(download.__file__).parents[1]),
               COLORIZATION_DATA_DIR=str(tmp_path / "data"))
    sent = tmp_path / "sent.json"
    res = subprocess.run([sys.executable, "-c", _VERBOSE_RUN, str(sent)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    headers = json.loads(sent.read_text().split(" ", 1)[1])
    basic = "Basic " + base64.b64encode(f"fakeuser:{key}".encode()).decode()
    assert len(headers) == download.ATTEMPTS and set(headers) == {basic}  # the secret was sent
    output = res.stdout + res.stderr
    assert "error: could not download sshikamaru/fruit-recognition" in output
    assert "after 3 attempts" in output and "Authorization: Basic ***" in output  # echoed, redacted
    assert [f for f in _encodings("fakeuser", key) if f in output] == []
    assert "Request----" not in output  # kaggle's verbose dump stayed off


def test_notebook_with_a_fake_token_writes_it_nowhere(tmp_path, no_token):
    key = secrets.token_hex(20)
    file_key = secrets.token_hex(20)
    _kaggle_json(no_token / ".kaggle", file_key)
    out = tmp_path / "executed"
    env = dict(os.environ, KAGGLE_USERNAME="fakeuser", KAGGLE_KEY=key,
               COLORIZATION_HOME=str(tmp_path / "project"),
               COLORIZATION_RUNS_DIR=str(tmp_path / "runs"), COLORIZATION_DATA="embedded",
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
