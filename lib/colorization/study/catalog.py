"""The notebooks, named once: each one's name (its file ``notebooks/<name>.ipynb``), title
and figures. The experiments say which notebook trains them
(:data:`colorization.study.experiments.EXPERIMENTS`), the claims which notebook decides them;
a test checks that every name refers to a notebook here and a file that exists.

A figure is saved as ``reports/figures/<notebook>.png`` or ``<notebook>-<part>.png``
(:meth:`Notebook.figure`), so its file says which notebook drew it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notebook:
    name: str
    title: str
    figures: tuple[str, ...] = ()  # the parts of its figures' names; "" is the main one

    def figure(self, part: str = "") -> str:
        """The name a figure of this notebook is saved under; refuses a part not listed."""
        if part not in self.figures:
            raise ValueError(f"notebook {self.name} has no figure {part!r}; its figures: "
                             f"{self.figures} (colorization/study/catalog.py)")
        return f"{self.name}-{part}" if part else self.name


_N = Notebook
NOTEBOOKS: dict[str, Notebook] = {nb.name: nb for nb in (
    _N("01-data-and-lab", "The data and the Lab colour space", ("datasets", "lab-channels")),
    _N("02-zhang-full-fruits", "Zhang's full network on fruits", ("", "loss")),
    _N("03-cnn-fruits", "The ~1M CNN on fruits, epoch by epoch", ("", "train", "loss")),
    _N("04-cnn-fruits-losses", "The fruit CNN under MSE and SmoothL1", ("", "curves")),
    _N("05-cnn-animals", "The CNNs on animals", ("", "small", "loss")),
    _N("06-autoencoder-fruits", "The autoencoders on fruits", ("", "small", "loss")),
    _N("07-autoencoder-animals-losses", "The autoencoder on animals, MSE and SmoothL1",
       ("", "curves")),
    _N("08-cnn-vs-autoencoder", "CNN against autoencoder",
       ("train", "seen", "unseen", "loss")),
    _N("09-real-world-photos", "Photographs the networks never saw", ("epochs", "fullres")),
    _N("10-zhang-classification", "Zhang's rebalanced classification",
       ("ab-bins", "vs-mse-fruits", "vs-mse-animals", "temperature")),
    _N("11-gan", "A conditional GAN", ("losses", "fruits", "vs-mse-fruits", "vs-mse-animals")),
    _N("12-results", "Every experiment, every claim", ("",)),
)}

#: The figures the README shows (``docs/results/<profile>-<figure>.png``), with captions.
PUBLISHED = (
    ("03-cnn-fruits", "", "the ~1M CNN on the real fruit test photos, epoch by epoch"),
    ("06-autoencoder-fruits", "", "the ~6M autoencoder on the same photos, epoch by epoch"),
    ("05-cnn-animals", "", None),
    ("07-autoencoder-animals-losses", "", None),
    ("12-results", "", "every experiment: CIEDE2000 over gray, hue error and chroma ratio"),
)


#: The figures the README shows, with their captions.
README_FIGURES = tuple((f"{nb}-{part}" if part else nb, caption)
                       for nb, part, caption in PUBLISHED if caption)


def published_figures() -> list[str]:
    """The figures ``make publish`` copies to ``docs/results/``."""
    return [figure(nb, part) for nb, part, _ in PUBLISHED]


def get(name: str) -> Notebook:
    """The notebook called ``name``; a clear error naming the known ones otherwise."""
    if name not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {name!r}; the notebooks: {sorted(NOTEBOOKS)}")
    return NOTEBOOKS[name]


def figure(notebook: str, part: str = "") -> str:
    """:meth:`Notebook.figure` of the notebook called ``notebook``."""
    return get(notebook).figure(part)


def figures() -> list[str]:
    """Every figure name of every notebook."""
    return [nb.figure(part) for nb in NOTEBOOKS.values() for part in nb.figures]


def check_figure(name: str) -> str:
    """``name`` if it is a figure of a notebook here; else a clear error."""
    if name not in figures():
        raise ValueError(f"{name!r} is not a figure of any notebook; name it "
                         f"<notebook>-<part> and list the part in colorization/study/catalog.py")
    return name
