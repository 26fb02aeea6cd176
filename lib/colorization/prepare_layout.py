"""What each Kaggle dataset's archive holds: the expected layout of its members, the role of
each file (train/test image, class, or why it is skipped) and the published image counts.
:mod:`colorization.prepare` uses it to refuse the wrong archive and to warn about odd counts.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from colorization.archive import ArchiveError, safe_name
from colorization.download import dataset_id
from colorization.images import IMAGE_EXTENSIONS

ANIMAL_FOLDERS = {"cane": "dog", "gallina": "chicken", "cavallo": "horse", "gatto": "cat"}

#: what each Kaggle archive holds, as named in the message refusing another archive
EXPECTED_LAYOUT = {
    "fruits": "train/train/<Class>/*.jpg (one folder per fruit) and test/test/NNNN.jpg",
    "animals": "raw-img/<Italian class name>/*.jpeg, with raw-img/cane, raw-img/gallina, "
               "raw-img/cavallo and raw-img/gatto among the folders",
}
#: images kept from the published datasets (fruits: train/test folders; animals: the four
#: classes together, about 12,000); counts outside COUNT_RANGE times these are warned about
EXPECTED_COUNTS = {"fruits": {"train": 16_854, "test": 5_641}, "animals": {"kept": 12_000}}
COUNT_RANGE = (0.5, 1.5)


class WrongArchiveError(ArchiveError):
    """The archive is not the dataset it was given for (or nothing in it could be used)."""



def _fruit_role(rel: str) -> tuple[str, str | None] | str:
    """("train", class) / ("test", None) for a fruits file, or a reason to skip it."""
    parts = PurePosixPath(rel).parts
    lower = [p.lower() for p in parts[:-1]]
    for role in ("train", "test"):
        if role in lower:
            k = len(lower) - 1 - lower[::-1].index(role)  # innermost train/ or test/
            if role == "test":
                return ("test", None)
            if k + 2 >= len(parts):
                return "in train/ but not in a class folder"
            return ("train", parts[k + 1])
    return "outside the train/ and test/ folders"


def _animal_role(rel: str) -> tuple[str, str] | str | None:
    """("all", class) for an animals file, ``None`` for another animal's folder, or a reason."""
    parts = PurePosixPath(rel).parts
    folders = [p.lower() for p in parts[:-1]]
    english = {v: v for v in ANIMAL_FOLDERS.values()}
    for p in reversed(folders):
        if p in ANIMAL_FOLDERS:
            return ("all", ANIMAL_FOLDERS[p])
        if p in english:
            return ("all", p)
    if "raw-img" in folders and folders[-1] != "raw-img":
        return None  # ragno, farfalla, ...: not one of the paper's four classes
    return "not in one of the class folders raw-img/{cane,gallina,cavallo,gatto}"


def role_of(name: str, rel: str):
    return _fruit_role(rel) if name == "fruits" else _animal_role(rel)


def is_image_name(rel: str) -> bool:
    return PurePosixPath(rel).suffix.lower() in IMAGE_EXTENSIONS


def check_layout(name: str, archive: Path | str, members: list[str]) -> None:
    """Refuse an archive whose member names do not have ``name``'s expected layout.

    fruits: image files in class folders under a ``train`` folder and image files under a
    ``test`` folder; animals: image files in at least one of the four classes' folders.
    Raises :class:`WrongArchiveError` naming the dataset and the layout expected."""
    roles = [role_of(name, m) for m in members if is_image_name(m) and safe_name(m)]
    kinds = {r[0] for r in roles if isinstance(r, tuple)}
    missing = {"train", "test"} - kinds if name == "fruits" else ({"all"} - kinds)
    if not missing:
        return
    sample = ", ".join(repr(m) for m in members[:3]) or "no files at all"
    raise WrongArchiveError(
        f"{archive} is not the Kaggle dataset {name!r} ({dataset_id(name)}): expected "
        f"{EXPECTED_LAYOUT[name]}, but it holds {len(members)} files such as {sample}. "
        f"Nothing was prepared. Give the archive downloaded from "
        f"https://www.kaggle.com/datasets/{dataset_id(name)} (`colorization data {name} "
        "--archive PATH`), or run `make data` to download it."
    )


def count_warnings(name: str, counts: dict) -> list[str]:
    """Sentences for counts far from the published dataset's (see :data:`EXPECTED_COUNTS`)."""
    low, high = COUNT_RANGE
    out = []
    for key, expected in EXPECTED_COUNTS[name].items():
        got = counts["kept"] if key == "kept" else counts[key]
        what = {"train": "train images", "test": "test images", "kept": "images of the four "
                "classes"}[key]
        if not low * expected <= got <= high * expected:
            out.append(
                f"{name}: {got:,} {what} kept, far from the {expected:,} of the Kaggle dataset "
                f"{dataset_id(name)} (outside {low:.0%}-{high:.0%}); check that the archive is "
                "the complete, original download"
            )
    return out
