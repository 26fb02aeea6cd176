"""Kaggle: where the API token comes from, and the download of the paper's two datasets.

The one network call is :func:`_kaggle_download` (tests replace it). The token is never read
into a message: :func:`redact` removes its values from every error text. Downloads go to
``raw_dir()/<name>/`` (see :mod:`colorization.paths`; ``COLORIZATION_DATA_DIR`` moves it).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import warnings
import zipfile
from pathlib import Path

from colorization.archive import ArchiveError
from colorization.paths import raw_dir

KAGGLE_IDS = {"fruits": "sshikamaru/fruit-recognition", "animals": "alessiocorrado99/animals10"}


class MissingTokenError(RuntimeError):
    """No Kaggle API token: the message says how to create one, or to use the synthetic data."""


def _missing_token_message(name: str | None = None) -> str:
    what = f"the Kaggle dataset {name!r} ({KAGGLE_IDS[name]})" if name in KAGGLE_IDS else "Kaggle"
    return (
        f"Downloading {what} needs a Kaggle API token, and none was found. Create one at "
        "kaggle.com -> Settings -> API -> Create New Token, save the downloaded file as "
        "~/.kaggle/kaggle.json and run `chmod 600 ~/.kaggle/kaggle.json` (or set the "
        "environment variables KAGGLE_USERNAME and KAGGLE_KEY), then run `make data`. "
        "Or set COLORIZATION_DATA=synthetic to use the embedded default (procedural images, "
        "no download)."
    )


def _kaggle_config_files() -> list[Path]:
    """Where the kaggle package looks for ``kaggle.json`` (and kaggle 2.x's ``access_token``)."""
    env = os.environ.get("KAGGLE_CONFIG_DIR")
    if env:
        return [Path(env).expanduser() / "kaggle.json"]
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "kaggle"
    return [
        home / ".kaggle" / "kaggle.json",
        xdg / "kaggle.json",
        home / ".kaggle" / "access_token",
    ]


def kaggle_token_source() -> str | None:
    """Where a Kaggle API token would come from, without reading or printing it.

    ``"environment"`` when ``KAGGLE_USERNAME`` and ``KAGGLE_KEY`` (or kaggle 2.x's
    ``KAGGLE_API_TOKEN``) are set; else the path of ``kaggle.json`` (``$KAGGLE_CONFIG_DIR`` or
    ``~/.kaggle``, or ``~/.config/kaggle``) or ``~/.kaggle/access_token``; else ``None``.
    Warns when the file is readable by group or others.
    """
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return "environment"
    if os.environ.get("KAGGLE_API_TOKEN"):
        return "environment"
    for path in _kaggle_config_files():
        if path.is_file():
            try:
                mode = path.stat().st_mode
            except OSError:
                continue
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                warnings.warn(
                    f"{path} is readable by other users; run `chmod 600 {path}`", stacklevel=2
                )
            return str(path)
    return None


def zip_ok(path: Path) -> bool:
    """True when ``path`` is a complete zip whose every member passes its CRC check."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _kaggle_download(kaggle_id: str, folder: Path) -> Path:
    """The one network call: download ``kaggle_id`` as a zip into ``folder``; return its path.

    ``kaggle.api.kaggle_api_extended`` is imported here, never at module import: it is an
    optional dependency, and ``import kaggle`` authenticates on import. Tests replace this
    function.
    """
    from kaggle.api.kaggle_api_extended import KaggleApi

    api = KaggleApi()
    try:
        api.authenticate()
    except SystemExit as err:  # the kaggle package exits when it finds no credentials
        raise MissingTokenError(_missing_token_message()) from err
    api.dataset_download_files(kaggle_id, path=str(folder), quiet=False, unzip=False)
    zips = sorted(folder.glob("*.zip"))
    if not zips:
        raise ArchiveError(f"the Kaggle download of {kaggle_id} produced no zip file")
    return zips[0]


class DownloadError(RuntimeError):
    """The Kaggle download failed (network, refused token, quota); the message says which."""


def _secrets() -> list[str]:
    """Kaggle token values that must never appear in a message, log or report."""
    values = [os.environ.get(v, "") for v in ("KAGGLE_KEY", "KAGGLE_API_TOKEN")]
    for path in _kaggle_config_files():
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError):
            continue
        try:
            values.append(str(json.loads(text).get("key", "")))
        except (ValueError, AttributeError):
            values.append(text.strip())
    return [v for v in values if len(v) >= 4]


def redact(text: str) -> str:
    """``text`` with every Kaggle token value replaced by ``***``."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def dataset_id(name: str) -> str:
    if name not in KAGGLE_IDS:
        raise ValueError(f"not a Kaggle dataset: {name!r}; expected one of {tuple(KAGGLE_IDS)}")
    return KAGGLE_IDS[name]


def download(name: str, dest: str | os.PathLike | None = None) -> Path:
    """Download the Kaggle dataset ``name`` ("fruits" / "animals"); return the zip's path.

    The zip lands in ``dest`` (default ``raw_dir()/name``) as ``<dataset-slug>.zip``, renamed
    there only once complete and CRC-checked; a damaged download is deleted and fetched once
    more. An existing good zip is reused; a damaged one (a download that was cut off) is
    deleted and fetched again, never used. Raises :class:`MissingTokenError` without a token
    and :class:`DownloadError` when the download fails (the token is never in its message).
    """
    kaggle_id = dataset_id(name)
    dest = Path(dest) if dest is not None else raw_dir() / name
    final = dest / f"{kaggle_id.split('/')[1]}.zip"
    if final.is_file():
        if zip_ok(final):
            return final
        final.unlink()
    if kaggle_token_source() is None:
        raise MissingTokenError(_missing_token_message(name))
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob(".download-*"):  # left by a process that was killed mid-download
        shutil.rmtree(stale, ignore_errors=True)
    for _attempt in range(2):
        tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=dest))
        try:
            try:
                got = _kaggle_download(kaggle_id, tmp)
            except (MissingTokenError, ArchiveError):
                raise
            except Exception as err:  # noqa: BLE001 - network, HTTP and kaggle errors alike
                raise DownloadError(redact(
                    f"could not download {kaggle_id} from Kaggle ({type(err).__name__}: "
                    f"{err}). Check the network connection and that the Kaggle token is "
                    "valid, then run `make data` again; or set COLORIZATION_DATA=synthetic."
                )) from None  # the chained error could carry the request and its token
            if zip_ok(got):
                os.replace(got, final)
                return final
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    raise ArchiveError(
        f"the download of {kaggle_id} was damaged twice; check the connection and disk space, "
        "then try again"
    )


def find_archive(name: str) -> Path | None:
    """The downloaded zip of ``name`` under ``raw_dir()``, if any (not checked here)."""
    folder = raw_dir() / name
    preferred = folder / f"{KAGGLE_IDS[name].split('/')[1]}.zip"
    if preferred.is_file():
        return preferred
    zips = sorted(folder.glob("*.zip")) if folder.is_dir() else []
    return zips[0] if zips else None


def usable_archive(name: str) -> Path:
    """A complete, CRC-checked zip of ``name``: the downloaded one, or a fresh download.

    A damaged download (cut off by a kill or a lost connection) is never extracted:
    :func:`download` deletes it and fetches the dataset again. Another zip placed in the
    folder by hand is used only when it is complete.
    """
    found = find_archive(name)
    if found is not None and zip_ok(found):
        return found
    if found is not None and found.name != f"{KAGGLE_IDS[name].split('/')[1]}.zip":
        warnings.warn(f"{found} is damaged or incomplete; downloading {name} again", stacklevel=3)
    return download(name)
