"""The Kaggle download of the two datasets into the stable folder ``raw_dir()/<name>/``, where
kaggle resumes an interrupted download. The one network call is :func:`_kaggle_download`.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

from colorization.acquire.archive import ArchiveError, DamagedArchiveError, verify
from colorization.acquire.credentials import (
    MissingTokenError,
    guarded_output,
    kaggle_token_source,
    missing_token_message,
    quiet_api,
    redact,
)
from colorization.core.paths import raw_dir
from colorization.data.datasets import KAGGLE_IDS

ATTEMPTS = 3
RETRY_PAUSES = (5.0, 20.0)  # seconds before the second, third... attempt
PARTIAL_SUFFIX = ".kaggle-partial"  # the marker kaggle keeps beside a download it can resume


class DownloadError(RuntimeError):
    """The Kaggle download failed (network, refused token, quota); the message says which."""


def dataset_id(name: str) -> str:
    """The Kaggle id (``owner/slug``) of "fruits" or "animals"; ``ValueError`` otherwise."""
    if name not in KAGGLE_IDS:
        raise ValueError(f"not a Kaggle dataset: {name!r}; expected one of {tuple(KAGGLE_IDS)}")
    return KAGGLE_IDS[name]


def archive_name(name: str) -> str:
    """The file name kaggle gives the zip of ``name``: ``<dataset-slug>.zip``."""
    return f"{dataset_id(name).split('/')[1]}.zip"


def _kaggle_download(kaggle_id: str, folder: Path) -> Path:
    """Download ``kaggle_id`` as a zip into ``folder`` (resuming a partial one) and return it;
    kaggle's ``authenticate()`` chooses the credentials."""
    api = quiet_api()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its help text names no project command
            api.authenticate()
    except SystemExit as err:  # the kaggle package exits when it finds no credentials
        raise MissingTokenError(missing_token_message()) from err
    api.dataset_download_files(kaggle_id, path=str(folder), quiet=False, unzip=False)
    target = folder / f"{kaggle_id.split('/')[1]}.zip"
    if not target.is_file():
        raise ArchiveError(f"the Kaggle download of {kaggle_id} produced no {target.name}")
    return target


def zip_ok(path: Path) -> bool:
    """Whether ``path`` is a complete archive that :func:`~.archive.verify` accepts."""
    with contextlib.suppress(ArchiveError):
        return bool(verify(path))
    return False


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def _say(message: str) -> None:
    print(f"colorization: {redact(message)}", file=sys.stderr, flush=True)


def download(name: str, dest: str | os.PathLike | None = None) -> Path:
    """Download the Kaggle dataset ``name`` as ``dest/<dataset-slug>.zip`` (``dest`` defaults
    to ``raw_dir()/name``) and return its path.

    A complete zip already there is reused, a partial one resumed, a damaged one (checked by
    :func:`~.archive.verify`) fetched again; a failed attempt is retried :data:`ATTEMPTS`
    times in all. Raises :class:`MissingTokenError`, :class:`DownloadError` (the partial file
    is kept for the next try) or :class:`~.archive.ArchiveError` (damaged every time, or a
    possible bomb), with messages that never hold a credential."""
    kaggle_id = dataset_id(name)
    dest = Path(dest) if dest is not None else raw_dir() / name
    final = dest / archive_name(name)
    if final.is_file() and not _partial(final).is_file():
        if zip_ok(final):
            return final
        _say(f"{final} is damaged or incomplete; it is deleted and {kaggle_id} downloaded again")
        final.unlink()
    if kaggle_token_source() is None:
        raise MissingTokenError(missing_token_message(name))
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob(".download-*"):  # the temporary folders of killed downloads
        shutil.rmtree(stale, ignore_errors=True)
    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            pause = RETRY_PAUSES[min(attempt - 2, len(RETRY_PAUSES) - 1)]
            _say(f"attempt {attempt - 1} of {ATTEMPTS} to download {kaggle_id} failed "
                 f"({problem}); trying again in {pause:.0f} s")
            time.sleep(pause)
        try:
            with guarded_output():
                got = _kaggle_download(kaggle_id, dest)
            verify(got)
        except DamagedArchiveError as err:
            problem = f"the downloaded archive is damaged: {redact(str(err))}"
            for p in (got, _partial(got)):
                p.unlink(missing_ok=True)
            continue
        except (MissingTokenError, ArchiveError):
            raise
        except Exception as err:  # noqa: BLE001 - network, HTTP and kaggle errors alike
            problem = redact(f"{type(err).__name__}: {err}")
            continue
        return got
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
        f"COLORIZATION_DATA=embedded.{kept}"
    )) from None  # the chained error could carry the request and its credentials


def find_archive(name: str) -> Path | None:
    """The downloaded zip of ``name`` under ``raw_dir()`` (not checked; never a partial one)."""
    folder = raw_dir() / name
    zips = [folder / archive_name(name), *sorted(folder.glob("*.zip"))]
    return next((p for p in zips if p.is_file() and not _partial(p).is_file()), None)


def usable_archive(name: str) -> Path:
    """A complete, verified zip of ``name``: one placed in its folder by hand, else the one
    :func:`download` keeps (downloaded now if absent or damaged)."""
    found = find_archive(name)
    if found is not None and found.name != archive_name(name):
        if zip_ok(found):
            return found
        warnings.warn(f"{found} is damaged or incomplete; downloading {name} again", stacklevel=3)
    return download(name)
