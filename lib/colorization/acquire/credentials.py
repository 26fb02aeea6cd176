"""Kaggle credentials, found where and in the order the ``kaggle`` package (2.x) looks, without
contacting the network, and kept out of every message: :func:`redact` removes each credential
and its encodings (base64 ``user:key``, percent-encoding) from error texts and, inside
:func:`guarded_output`, from what the kaggle client prints.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import stat
import sys
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path

from colorization.data.datasets import KAGGLE_IDS


class MissingTokenError(RuntimeError):
    """No Kaggle credentials: the message says how to sign in, or to use the embedded data."""


def missing_token_message(name: str | None = None) -> str:
    """What to do without Kaggle credentials (for the dataset ``name``, when given)."""
    what = f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]})" if name in KAGGLE_IDS else "Kaggle"
    return (
        f"Downloading {what} needs Kaggle credentials, and none were found. Sign in to Kaggle "
        "in one of these ways: run `kaggle auth login` (recommended; it opens a browser and "
        "stores ~/.kaggle/credentials.json); or create an API token at kaggle.com -> Settings "
        "-> API and set the environment variable KAGGLE_API_TOKEN to it (or save it as "
        "~/.kaggle/access_token, then `chmod 600` that file); or use a legacy kaggle.json "
        "(~/.kaggle/kaggle.json with chmod 600, or KAGGLE_USERNAME and KAGGLE_KEY). Then run "
        "`make data`. Without the Kaggle data, COLORIZATION_DATA=auto (the default) trains on "
        "the embedded real samples (no download)."
    )


def _kaggle_dir() -> Path:
    return Path(os.path.expanduser("~")) / ".kaggle"


def _kaggle_json() -> Path:
    """The ``kaggle.json`` the kaggle package reads (its ``KaggleApi`` rule)."""
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        return Path(os.environ["KAGGLE_CONFIG_DIR"]).expanduser() / "kaggle.json"
    folder = _kaggle_dir()
    if sys.platform.startswith("linux") and not folder.exists():
        return _xdg_json()
    return folder / "kaggle.json"


def _xdg_json() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return Path(xdg) / "kaggle" / "kaggle.json"


def _access_token_files() -> list[Path]:
    return [_kaggle_dir() / "access_token", _kaggle_dir() / "access_token.txt"]


def _read_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _read_json(path: Path) -> dict:
    with contextlib.suppress(ValueError):
        value = json.loads(_read_text(path) or "{}")
        return value if isinstance(value, dict) else {}
    return {}


def _found(path: Path) -> str:
    """``path`` as a source, with a warning when other users may read it."""
    with contextlib.suppress(OSError):
        if os.name != "nt" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.warn(f"{path} is readable by other users; run `chmod 600 {path}`",
                          stacklevel=2)
    return str(path)


def credential_sources() -> list[str]:
    """Every Kaggle credential present, in the kaggle package's order of use: "KAGGLE_API_TOKEN"
    (the token or a file holding it), ``~/.kaggle/access_token[.txt]``, ``kaggle.json`` or
    "KAGGLE_USERNAME and KAGGLE_KEY", ``~/.kaggle/credentials.json`` (``kaggle auth login``).
    No value is returned or checked online; a file readable by other users is warned about."""
    found = []
    token = os.environ.get("KAGGLE_API_TOKEN")
    if token and (not Path(token).exists() or _read_text(Path(token))):
        found.append("KAGGLE_API_TOKEN")
    found += [_found(p) for p in _access_token_files() if p.is_file() and _read_text(p)]
    config = _kaggle_json()
    values = _read_json(config)
    env_key = os.environ.get("KAGGLE_KEY")
    if (values.get("username") or os.environ.get("KAGGLE_USERNAME")) and (
            values.get("key") or env_key):
        # kaggle lets the environment override the file
        found.append("KAGGLE_USERNAME and KAGGLE_KEY" if env_key else _found(config))
    creds = _kaggle_dir() / "credentials.json"
    if _read_json(creds).get("refresh_token"):
        found.append(_found(creds))
    return found


def kaggle_token_source() -> str | None:
    """The first of :func:`credential_sources` (what kaggle will use), or ``None``."""
    return next(iter(credential_sources()), None)


def _b64_forms(raw: bytes) -> set[str]:
    forms = {enc(raw).decode("ascii") for enc in (base64.b64encode, base64.urlsafe_b64encode)}
    return forms | {f.rstrip("=") for f in forms}


def _secret_values() -> tuple[set[str], set[str]]:
    """(secret values, user names) from every place kaggle reads credentials from."""
    env = os.environ
    secrets = {env.get("KAGGLE_API_TOKEN", ""), env.get("KAGGLE_KEY", "")}
    secrets |= {_read_text(Path(env[v])) for v in ("KAGGLE_API_TOKEN", "KAGGLE_API_V1_TOKEN")
                if env.get(v)}  # the path of a file holding the token
    secrets |= {_read_text(p) for p in _access_token_files()}
    users = {env.get("KAGGLE_USERNAME", "")}
    for path in {_kaggle_json(), _kaggle_dir() / "kaggle.json", _xdg_json(),
                 _kaggle_dir() / "credentials.json"}:
        values = _read_json(path)
        secrets |= {str(values.get(k) or "") for k in ("key", "refresh_token", "access_token")}
        users.add(str(values.get("username") or ""))
        if not values:  # not JSON: the whole text may be a key
            secrets.add(_read_text(path))
    return {s for s in secrets if len(s) >= 4}, {u for u in users if u}


def _secrets() -> list[str]:
    """Each credential value and the encodings a request or a reply may carry it in, longest
    first."""
    values, users = _secret_values()
    forms = set(values)
    for value in values:
        forms |= _b64_forms(value.encode())
        forms.add(urllib.parse.quote(value, safe=""))
        forms.add(urllib.parse.quote_plus(value))
        for user in users | {""}:
            forms |= _b64_forms(f"{user}:{value}".encode())  # HTTP basic auth
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with every Kaggle credential (and every encoding of it) replaced by ``***``."""
    for secret in _secrets() if secrets is None else secrets:
        text = text.replace(secret, "***")
    return text


class _RedactingStream(io.TextIOBase):
    """A text stream that writes to ``target`` with every secret replaced by ``***``."""

    def __init__(self, target, secrets: list[str]):
        self._target, self._secrets = target, secrets

    def write(self, text: str) -> int:
        self._target.write(redact(text, self._secrets))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._target, "isatty", lambda: False)())

    @property
    def encoding(self):
        return getattr(self._target, "encoding", "utf-8")


@contextlib.contextmanager
def guarded_output() -> Iterator[None]:
    """Inside: kaggle's verbose mode off and what is printed passed through :func:`redact`."""
    saved = {v: os.environ.pop(v) for v in ("VERBOSE", "VERBOSE_OUTPUT") if v in os.environ}
    secrets = _secrets()
    try:
        with contextlib.redirect_stdout(_RedactingStream(sys.stdout, secrets)), \
                contextlib.redirect_stderr(_RedactingStream(sys.stderr, secrets)):
            yield
    finally:
        os.environ.update(saved)


def quiet_api():
    """A ``KaggleApi`` that never dumps its requests; call inside :func:`guarded_output`.

    Importing ``kaggle`` authenticates and prints help without credentials, so it is imported
    here, with that output dropped."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from kaggle.api.kaggle_api_extended import KaggleApi
    KaggleApi.args = [a for a in KaggleApi.args if a not in ("--verbose", "-v")]
    api = KaggleApi()
    api.args = list(KaggleApi.args)
    return api
