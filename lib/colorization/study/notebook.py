"""The first cell of every notebook: a quiet TensorFlow, the profile, and the provenance line
(profile, the data ``fruits`` and ``animals`` resolve to, commit, date) printed above every
output."""

from __future__ import annotations

import datetime
import os

from colorization.core import runtime


def setup_notebook(profile: str | None = None) -> str:
    """The first call of every notebook: quiet TensorFlow, then choose the profile and print
    what produces the outputs below it (:func:`provenance`).

    ``profile``: the notebook's parameter (``None``: ``$COLORIZATION_PROFILE``, else
    ``"quick"``). Returns the profile name. The experiments' records, per profile, are
    :mod:`colorization.study.experiments` (``colorization experiments`` lists them).
    """
    runtime.prepare_tensorflow()
    # Imported after quiet(): importing it imports TensorFlow, whose start-up lines quiet()
    # keeps out of the notebook.
    from colorization.study import experiments

    chosen = experiments.profile_from_env(profile)
    print(provenance(chosen))
    return chosen


def provenance(profile: str, today: datetime.date | None = None) -> str:
    """One line: the profile, what ``fruits`` and ``animals`` resolve to right now, the
    commit of the working tree and the date, e.g. ``profile: quick · data: fruits ->
    fruits360-sample (real photos, embedded sample), animals -> pets-sample (real photos,
    embedded sample) · commit abc1234 · 2026-12-06``."""
    from colorization.data import datasets

    resolved = []
    for name in ("fruits", "animals"):
        used = datasets.resolve(name)
        where = "Kaggle" if used == name else "embedded sample"
        resolved.append(f"{name} -> {used} ({datasets.kind_of(used)} photos, {where})")
    day = (today or datetime.date.today()).isoformat()
    return (f"profile: {profile} · data: {', '.join(resolved)} · commit {short_commit()} "
            f"· {day}")


def short_commit(root: str | os.PathLike | None = None) -> str:
    """The short commit of the project (``root``: default, this package's checkout), marked
    when tracked files differ from it; ``"unknown"`` without git or a repository."""
    from colorization.study import report

    where = root if root is not None else os.path.dirname(os.path.abspath(__file__))
    return report.git_commit(where, short=True)


def network_summary(model: str, image_size: int = 100) -> str:
    """The network of registry model ``model`` as a table: every layer with weights, its
    output shape at ``image_size`` and its parameters, then the trainable total beside the
    paper's figure."""
    from colorization.nets import models, registry

    net = registry.build_model(model, input_shape=(image_size, image_size, 1))
    paper = registry.PAPER_PARAMS[model]
    lines = [f"{model}: {registry.spec(model).about}",
             f"  {'layer':20s} {'output shape':22s} {'parameters':>11s}"]
    for layer in net.layers:
        if layer.count_params():
            lines.append(f"  {layer.name:20s} {str(layer.output.shape):22s} "
                         f"{layer.count_params():>11,d}")
    lines.append(f"trainable parameters: {models.count_trainable(net):,d} (paper: "
                 + ("n/a, beyond the paper" if paper is None else f"~{paper:,d}") + ")")
    return "\n".join(lines)
