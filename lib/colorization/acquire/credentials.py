"""Kaggle credentials: found where the ``kaggle`` package (2.x) looks, in its order, without
contacting the network (its own ``authenticate()`` checks tokens online, so it runs only when
a download starts):

1. ``kaggle auth login`` (OAuth; ``~/.kaggle/credentials.json``), tried by kaggle last but
   named first in messages as the recommended way;
2. an API token: the ``KAGGLE_API_TOKEN`` environment variable (the token, or the path of a
   file holding it), or the file ``~/.kaggle/access_token`` (or ``access_token.txt``);
3. the legacy ``kaggle.json`` (``{"username": ..., "key": ...}``) in ``$KAGGLE_CONFIG_DIR``,
   else ``~/.kaggle`` (or ``~/.config/kaggle`` on Linux when ``~/.kaggle`` does not exist),
   or the environment variables ``KAGGLE_USERNAME`` and ``KAGGLE_KEY``.

No secret is ever put into a message: :func:`redact` removes every credential value, and every
encoding of it a request or a server reply may carry (``user:key`` in base64, standard and
URL-safe, with and without padding; percent-encoded), from error texts and from what the
kaggle client prints while it runs (:func:`guarded_output`). The client's verbose mode
(``VERBOSE=1``, which dumps request headers) is switched off inside the project's calls
(:func:`quiet_api`).
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

HOW_TO_LOG_IN = (
    "Sign in to Kaggle in one of these ways: run `kaggle auth login` (recommended; it opens a "
    "browser and stores ~/.kaggle/credentials.json); or create an API token at kaggle.com -> "
    "Settings -> API and set the environment variable KAGGLE_API_TOKEN to it (or save it as "
    "~/.kaggle/access_token, then `chmod 600` that file); or use a legacy kaggle.json "
    "(~/.kaggle/kaggle.json with chmod 600, or KAGGLE_USERNAME and KAGGLE_KEY)."
)


class MissingTokenError(RuntimeError):
    """No Kaggle credentials: the message says how to sign in, or to use the embedded data."""


def missing_token_message(name: str | None = None) -> str:
    """What to do without Kaggle credentials (for the dataset ``name``, when given)."""
    what = f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]})" if name in KAGGLE_IDS else "Kaggle"
    return (
        f"Downloading {what} needs Kaggle credentials, and none were found. {HOW_TO_LOG_IN} "
        "Then run `make data`. Without the Kaggle data, COLORIZATION_DATA=auto (the default) "
        "trains on the embedded real samples (no download)."
    )


# --------------------------------------------------------------------------- where kaggle looks


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def _kaggle_json() -> Path:
    """The ``kaggle.json`` the kaggle package reads (the same rule as its ``KaggleApi``)."""
    env = os.environ.get("KAGGLE_CONFIG_DIR")
    if env:
        return Path(env).expanduser() / "kaggle.json"
    folder = _home() / ".kaggle"
    if sys.platform.startswith("linux") and not folder.exists():
        xdg = os.environ.get("XDG_CONFIG_HOME") or str(_home() / ".config")
        folder = Path(xdg) / "kaggle"
    return folder / "kaggle.json"


def _credentials_json() -> Path:
    return _home() / ".kaggle" / "credentials.json"  # what `kaggle auth login` writes


def _access_token_files() -> list[Path]:
    return [_home() / ".kaggle" / "access_token", _home() / ".kaggle" / "access_token.txt"]


def _read_text(path: Path) -> str:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _warn_if_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if os.name != "nt" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings.warn(f"{path} is readable by other users; run `chmod 600 {path}`", stacklevel=3)


def credential_sources() -> list[str]:
    """Every Kaggle credential present here, in the kaggle package's order of use.

    Entries: ``"KAGGLE_API_TOKEN"``, the path of ``access_token(.txt)``, the path of
    ``kaggle.json`` or ``"KAGGLE_USERNAME and KAGGLE_KEY"`` (legacy key), the path of
    ``credentials.json`` (``kaggle auth login``). Nothing is validated online and no value is
    returned. Warns about a credential file readable by other users.
    """
    found: list[str] = []
    token = os.environ.get("KAGGLE_API_TOKEN")
    if token and (not Path(token).exists() or _read_text(Path(token))):
        found.append("KAGGLE_API_TOKEN")
    for path in _access_token_files():
        if path.is_file() and _read_text(path):
            _warn_if_readable(path)
            found.append(str(path))
    config = _kaggle_json()
    values = _read_json(config) if config.is_file() else {}
    env_user, env_key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if (values.get("username") or env_user) and (values.get("key") or env_key):
        if env_key:  # kaggle lets the environment override the file
            found.append("KAGGLE_USERNAME and KAGGLE_KEY")
        else:
            _warn_if_readable(config)
            found.append(str(config))
    creds = _credentials_json()
    if creds.is_file() and _read_json(creds).get("refresh_token"):
        _warn_if_readable(creds)
        found.append(str(creds))
    return found


def kaggle_token_source() -> str | None:
    """Where the kaggle package will take its credentials from (see :func:`credential_sources`),
    or ``None`` when there are none. Reads nothing into the result and contacts nothing."""
    found = credential_sources()
    return found[0] if found else None


# --------------------------------------------------------------------------- secrets


def _b64_forms(raw: bytes) -> set[str]:
    out = set()
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        text = enc(raw).decode("ascii")
        out |= {text, text.rstrip("=")}
    return out


def _secret_values() -> tuple[set[str], set[str]]:
    """(secret values, user names) from every place kaggle reads credentials from."""
    secrets, users = set(), set()
    token = os.environ.get("KAGGLE_API_TOKEN", "")
    secrets.add(token)
    if token and Path(token).is_file():
        secrets.add(_read_text(Path(token)))
    for path in _access_token_files():
        secrets.add(_read_text(path))
    v1 = os.environ.get("KAGGLE_API_V1_TOKEN")
    if v1:
        secrets.add(_read_text(Path(v1)))
    secrets.add(os.environ.get("KAGGLE_KEY", ""))
    users.add(os.environ.get("KAGGLE_USERNAME", ""))
    jsons = {_kaggle_json(), _home() / ".kaggle" / "kaggle.json"}
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(_home() / ".config")
    jsons.add(Path(xdg) / "kaggle" / "kaggle.json")
    for path in jsons:
        if not path.is_file():
            continue
        values = _read_json(path)
        if values:
            secrets.add(str(values.get("key") or ""))
            users.add(str(values.get("username") or ""))
        else:  # not JSON: the whole text may be a key
            secrets.add(_read_text(path))
    creds = _read_json(_credentials_json())
    for field in ("refresh_token", "access_token"):
        secrets.add(str(creds.get(field) or ""))
    users.add(str(creds.get("username") or ""))
    return {s for s in secrets if len(s) >= 4}, {u for u in users if u}


def _secrets() -> list[str]:
    """Every string that must never appear in a message, log or report: each credential value
    and the encodings a request or a server reply may carry it in. Longest first."""
    values, users = _secret_values()
    forms = set(values)
    for value in values:
        forms |= _b64_forms(value.encode())
        forms.add(urllib.parse.quote(value, safe=""))
        forms.add(urllib.parse.quote_plus(value))
        for user in users | {""}:
            forms |= _b64_forms(f"{user}:{value}".encode())  # HTTP basic auth
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every Kaggle credential (and every encoding of it) replaced by ``***``."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


class _RedactingStream(io.TextIOBase):
    """A text stream that writes to ``target`` with every secret replaced by ``***``."""

    def __init__(self, target, secrets: list[str]):
        self._target = target
        self._secrets = secrets

    def write(self, text: str) -> int:
        out = text
        for secret in self._secrets:
            out = out.replace(secret, "***")
        self._target.write(out)
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
    """Inside: kaggle's verbose mode off (``VERBOSE``/``VERBOSE_OUTPUT`` unset) and whatever is
    printed to stdout/stderr passed through :func:`redact`."""
    saved = {v: os.environ.pop(v) for v in ("VERBOSE", "VERBOSE_OUTPUT") if v in os.environ}
    secrets = _secrets()
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _RedactingStream(out, secrets), _RedactingStream(err, secrets)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
        os.environ.update(saved)


def quiet_api():
    """A ``KaggleApi`` whose requests are never dumped, whatever ``VERBOSE`` said at import.

    ``kaggle.api.kaggle_api_extended`` is imported here, never at module import: importing the
    ``kaggle`` package authenticates (and prints help without credentials); that output is
    dropped. Call inside :func:`guarded_output`."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from kaggle.api.kaggle_api_extended import KaggleApi
    KaggleApi.args = [a for a in KaggleApi.args if a not in ("--verbose", "-v")]
    api = KaggleApi()
    api.args = list(KaggleApi.args)
    return api
