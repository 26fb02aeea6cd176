"""Kaggle: the download of the two datasets (the credentials: :mod:`.credentials`).

The one network call is :func:`_kaggle_download` (tests replace it). Downloads go to the
stable folder ``raw_dir()/<name>/`` (see :mod:`colorization.core.paths`;
``COLORIZATION_DATA_DIR`` moves it), so an interrupted download is resumed by kaggle on the
next try; a failed attempt is retried (:data:`ATTEMPTS`, with a growing pause), and a damaged
archive is deleted and fetched again (every archive is checked by :func:`~.archive.verify`).
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

#: download attempts per dataset, and the pause (seconds) before each retry
ATTEMPTS = 3
RETRY_PAUSES = (5.0, 20.0)
#: the marker kaggle keeps beside a partial download it can resume
PARTIAL_SUFFIX = ".kaggle-partial"


class DownloadError(RuntimeError):
    """The Kaggle download failed (network, refused token, quota); the message says which."""


def dataset_id(name: str) -> str:
    """The Kaggle id (``owner/slug``) of ``name`` ("fruits" / "animals"); ``ValueError`` for
    another name."""
    if name not in KAGGLE_IDS:
        raise ValueError(f"not a Kaggle dataset: {name!r}; expected one of {tuple(KAGGLE_IDS)}")
    return KAGGLE_IDS[name]


def archive_name(name: str) -> str:
    """The file name kaggle gives the zip of ``name``: ``<dataset-slug>.zip``."""
    return f"{dataset_id(name).split('/')[1]}.zip"


def _kaggle_download(kaggle_id: str, folder: Path) -> Path:
    """The one network call: download ``kaggle_id`` as a zip into ``folder``; return its path.

    kaggle's own ``authenticate()`` chooses the credentials; kaggle resumes a partial
    ``<slug>.zip`` it left in ``folder``. Tests replace this function."""
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
    """True when ``path`` is a complete archive that :func:`~.archive.verify` accepts (every
    member's CRC checked, within the bomb limits)."""
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
    :class:`~.archive.ArchiveError` when the download is damaged every time or is refused as a
    possible compression bomb.
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
        raise MissingTokenError(missing_token_message(name))
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
            with guarded_output():
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
        f"COLORIZATION_DATA=embedded.{kept}"
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
