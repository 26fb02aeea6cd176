"""Kaggle: the credentials the kaggle package accepts, and the download of the two datasets.

Credentials are looked for where the ``kaggle`` package (2.x) looks, in its order, without
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
kaggle client prints while it runs. The client's verbose mode (``VERBOSE=1``, which dumps
request headers) is switched off inside the project's calls.

The one network call is :func:`_kaggle_download` (tests replace it). Downloads go to the
stable folder ``raw_dir()/<name>/`` (see :mod:`colorization.paths`; ``COLORIZATION_DATA_DIR``
moves it), so an interrupted download is resumed by kaggle on the next try; a failed attempt
is retried (:data:`ATTEMPTS`, with a growing pause), and a damaged archive is deleted and
fetched again.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import stat
import sys
import time
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path

from colorization.archive import ArchiveError, DamagedArchiveError, verify
from colorization.paths import raw_dir

KAGGLE_IDS = {"fruits": "sshikamaru/fruit-recognition", "animals": "alessiocorrado99/animals10"}
#: download attempts per dataset, and the pause (seconds) before each retry
ATTEMPTS = 3
RETRY_PAUSES = (5.0, 20.0)
#: the marker kaggle keeps beside a partial download it can resume
PARTIAL_SUFFIX = ".kaggle-partial"

HOW_TO_LOG_IN = (
    "Sign in to Kaggle in one of these ways: run `kaggle auth login` (recommended; it opens a "
    "browser and stores ~/.kaggle/credentials.json); or create an API token at kaggle.com -> "
    "Settings -> API and set the environment variable KAGGLE_API_TOKEN to it (or save it as "
    "~/.kaggle/access_token, then `chmod 600` that file); or use a legacy kaggle.json "
    "(~/.kaggle/kaggle.json with chmod 600, or KAGGLE_USERNAME and KAGGLE_KEY)."
)


class MissingTokenError(RuntimeError):
    """No Kaggle credentials: the message says how to sign in, or to use the synthetic data."""


class DownloadError(RuntimeError):
    """The Kaggle download failed (network, refused token, quota); the message says which."""


def _missing_token_message(name: str | None = None) -> str:
    what = f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]})" if name in KAGGLE_IDS else "Kaggle"
    return (
        f"Downloading {what} needs Kaggle credentials, and none were found. {HOW_TO_LOG_IN} "
        "Then run `make data`. Or set COLORIZATION_DATA=synthetic to use the embedded default "
        "(procedural images, no download)."
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
def _guarded_output() -> Iterator[None]:
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


def _quiet_api():
    """A ``KaggleApi`` whose requests are never dumped, whatever ``VERBOSE`` said at import.

    ``kaggle.api.kaggle_api_extended`` is imported here, never at module import: importing the
    ``kaggle`` package authenticates (and prints help without credentials); that output is
    dropped. Call inside :func:`_guarded_output`."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from kaggle.api.kaggle_api_extended import KaggleApi
    KaggleApi.args = [a for a in KaggleApi.args if a not in ("--verbose", "-v")]
    api = KaggleApi()
    api.args = list(KaggleApi.args)
    return api


def _kaggle_download(kaggle_id: str, folder: Path) -> Path:
    """The one network call: download ``kaggle_id`` as a zip into ``folder``; return its path.

    kaggle's own ``authenticate()`` chooses the credentials; kaggle resumes a partial
    ``<slug>.zip`` it left in ``folder``. Tests replace this function."""
    api = _quiet_api()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its help text names no project command
            api.authenticate()
    except SystemExit as err:  # the kaggle package exits when it finds no credentials
        raise MissingTokenError(_missing_token_message()) from err
    api.dataset_download_files(kaggle_id, path=str(folder), quiet=False, unzip=False)
    target = folder / f"{kaggle_id.split('/')[1]}.zip"
    if not target.is_file():
        raise ArchiveError(f"the Kaggle download of {kaggle_id} produced no {target.name}")
    return target


# --------------------------------------------------------------------------- download


def dataset_id(name: str) -> str:
    if name not in KAGGLE_IDS:
        raise ValueError(f"not a Kaggle dataset: {name!r}; expected one of {tuple(KAGGLE_IDS)}")
    return KAGGLE_IDS[name]


def archive_name(name: str) -> str:
    """The file name kaggle gives the zip of ``name``: ``<dataset-slug>.zip``."""
    return f"{dataset_id(name).split('/')[1]}.zip"


def zip_ok(path: Path) -> bool:
    """True when ``path`` is a complete archive that :func:`~colorization.archive.verify`
    accepts (every member's CRC checked, within the bomb limits)."""
    try:
        verify(path)
    except ArchiveError:
        return False
    return True


def _is_partial(path: Path) -> bool:
    """A download kaggle left unfinished and can resume (its marker lies beside it)."""
    return path.with_name(path.name + PARTIAL_SUFFIX).is_file()


def _discard(path: Path) -> None:
    for p in (path, path.with_name(path.name + PARTIAL_SUFFIX)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _say(message: str) -> None:
    print(f"colorization: {redact(message)}", file=sys.stderr, flush=True)


def download(name: str, dest: str | os.PathLike | None = None) -> Path:
    """Download the Kaggle dataset ``name`` ("fruits" / "animals"); return the zip's path.

    The zip lands in the stable folder ``dest`` (default ``raw_dir()/name``) as
    ``<dataset-slug>.zip``. An existing complete zip is reused without any network call; a
    partial download kaggle marked as resumable is resumed by kaggle; a damaged one is deleted
    and fetched again. A failed attempt is retried up to :data:`ATTEMPTS` times in all, with a
    pause; the message names the dataset, the attempt and the error (never a credential).

    Raises :class:`MissingTokenError` without credentials, :class:`DownloadError` when every
    attempt failed (the partial file is kept for the next try), and
    :class:`~colorization.archive.ArchiveError` when the download is damaged every time or is
    refused as a possible compression bomb.
    """
    kaggle_id = dataset_id(name)
    dest = Path(dest) if dest is not None else raw_dir() / name
    final = dest / archive_name(name)
    if final.is_file() and not _is_partial(final):
        if zip_ok(final):
            return final
        _say(f"{final} is damaged or incomplete; it is deleted and {kaggle_id} downloaded again")
        _discard(final)
    if kaggle_token_source() is None:
        raise MissingTokenError(_missing_token_message(name))
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob(".download-*"):  # temporary folders of earlier versions
        shutil.rmtree(stale, ignore_errors=True)
    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            pause = RETRY_PAUSES[min(attempt - 2, len(RETRY_PAUSES) - 1)]
            _say(f"attempt {attempt - 1} of {ATTEMPTS} to download {kaggle_id} failed "
                 f"({problem}); trying again in {pause:.0f} s")
            time.sleep(pause)
        try:
            with _guarded_output():
                got = _kaggle_download(kaggle_id, dest)
        except (MissingTokenError, ArchiveError):
            raise
        except Exception as err:  # noqa: BLE001 - network, HTTP and kaggle errors alike
            problem = redact(f"{type(err).__name__}: {err}")
            continue
        try:
            verify(got)
        except DamagedArchiveError as err:
            problem = f"the downloaded archive is damaged: {redact(str(err))}"
            _discard(got)
            continue
        if got != final:
            os.replace(got, final)
        return final
    if problem.startswith("the downloaded archive is damaged"):
        raise ArchiveError(
            f"the download of {kaggle_id} was damaged {ATTEMPTS} times ({problem}); check the "
            "connection and the free disk space, then run `make data` again"
        )
    kept = f" The partial file {final} is kept: the next try resumes it." if final.exists() else ""
    raise DownloadError(redact(
        f"could not download {kaggle_id} from Kaggle after {ATTEMPTS} attempts (last error: "
        f"{problem}). Check the network connection and that your Kaggle credentials are valid "
        f"({kaggle_token_source() or 'none found'}), then run `make data` again; or set "
        f"COLORIZATION_DATA=synthetic.{kept}"
    )) from None  # the chained error could carry the request and its credentials


def find_archive(name: str) -> Path | None:
    """The downloaded zip of ``name`` under ``raw_dir()``, if any (not checked here).

    A partial download that kaggle can resume is not an archive yet and is not returned."""
    folder = raw_dir() / name
    preferred = folder / archive_name(name)
    if preferred.is_file() and not _is_partial(preferred):
        return preferred
    zips = sorted(p for p in folder.glob("*.zip") if not _is_partial(p)) if folder.is_dir() else []
    return zips[0] if zips else None


def usable_archive(name: str) -> Path:
    """A complete, verified zip of ``name``: the downloaded one, or a fresh download.

    A damaged download (cut off by a kill or a lost connection) is never extracted:
    :func:`download` deletes it and fetches the dataset again. Another zip placed in the
    folder by hand is used only when it is complete.
    """
    found = find_archive(name)
    if found is not None and zip_ok(found):
        return found
    if found is not None and found.name != archive_name(name):
        warnings.warn(f"{found} is damaged or incomplete; downloading {name} again", stacklevel=3)
    return download(name)
