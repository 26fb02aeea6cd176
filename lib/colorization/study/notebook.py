"""The first cell of every notebook: a quiet TensorFlow, the profile, and the provenance line
(profile, the data ``fruits`` and ``animals`` resolve to, commit, date) printed above every
output."""

from __future__ import annotations

import datetime
import os

import numpy as np

from colorization.core import runtime

PROFILES = ("paper", "quick", "smoke")


def setup_notebook(profile: str | None = None) -> str:
    """The first call of every notebook: quiet TensorFlow, apply the settings of the
    environment (:func:`apply_environment`), then choose the profile and print what produces
    the outputs below it (:func:`provenance`).

    ``profile``: the notebook's parameter (``None``: ``$COLORIZATION_PROFILE``, else
    ``"quick"``). Returns the profile name. The experiments' records, per profile, are
    :mod:`colorization.study.experiments` (``colorization experiments`` lists them).
    """
    runtime.prepare_tensorflow()
    apply_environment()
    chosen = profile or os.environ.get("COLORIZATION_PROFILE") or "quick"
    if chosen not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {chosen!r}")
    print(provenance(chosen))
    return chosen


def apply_environment(environ=None) -> None:
    """Hand the ``COLORIZATION_*`` settings of the environment to the library, as the
    arguments its functions take by default: what ``fruits`` and ``animals`` mean
    (``COLORIZATION_DATA``), fit's verbosity and the progress-events file (``COLORIZATION_VERBOSE``,
    ``COLORIZATION_PROGRESS``, set by ``make reproduce`` for its notebooks) and the paper
    profile on embedded data (``COLORIZATION_ALLOW_EMBEDDED=1``). The CLI and every
    notebook's first cell call it; nothing below them reads the environment."""
    from colorization.data import datasets
    from colorization.runs import train
    from colorization.study import experiments

    env = os.environ if environ is None else environ
    runtime.apply_environment()  # the CPU-rewrite switch, read before TensorFlow loads too
    datasets.set_source(env.get("COLORIZATION_DATA") or "auto")
    verbose = env.get("COLORIZATION_VERBOSE", "")
    train.OUTPUT.update(verbose=int(verbose) if verbose.isdigit() else None,
                        progress=env.get("COLORIZATION_PROGRESS") or None)
    experiments.ALLOW_EMBEDDED = env.get(experiments.ALLOW_EMBEDDED_ENV, "") == "1"


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


def show_batch(setup, n: int = 6):
    """The training pipeline (printed) and one of its batches as the model sees it: the
    photo, its L (the input) and its ab (the target, drawn at L = 70 so the colour shows on
    its own). Returns the figure."""
    import matplotlib.pyplot as plt

    from colorization.core import color

    print(f"pipeline: {setup.dataset!r}\n  yields {getattr(setup.dataset, 'element_spec', '')}"
          f"\n  {setup.steps_per_epoch} batches an epoch, shuffled with seed {setup.config.seed}"
          + (", randomly flipped" if setup.config.flip else ""))
    batch = setup.first_batch()
    rgb = batch[:n]
    lab = color.to_numpy(color.rgb_uint8_to_lab(rgb))
    ab_only = np.concatenate([np.full_like(lab[..., :1], 70.0), lab[..., 1:]], -1)
    rows = (("photo (uint8 RGB, what the pipeline yields)", rgb),
            ("L: the input", lab[..., 0]),
            ("ab: the target (at L = 70)", color.to_numpy(color.lab_to_rgb(ab_only))))
    fig, axes = plt.subplots(3, len(rgb), figsize=(1.6 * len(rgb), 5.2), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c, image in enumerate(images):
            axes[r, c].imshow(image, cmap="gray" if image.ndim == 2 else None,
                              vmin=0, vmax=100 if image.ndim == 2 else None)
            axes[r, c].set_axis_off()
        axes[r, 0].set_title(label, loc="left", fontsize=9)
    c = setup.config
    fig.suptitle(f"the first training batch: {len(batch)} of {len(setup.train_set)} "
                 f"{setup.train_set.dataset} images, {c.image_size}x{c.image_size}"
                 + (", random flips" if c.flip else ""), fontsize=10)
    fig.tight_layout()
    return fig


def _rate(setup):
    """The optimizer's learning rate as compiled: a schedule object, or a number."""
    opt = setup.model.optimizer
    return getattr(opt, "_learning_rate", opt.learning_rate)


def _call(obj) -> str:
    """``Name(key=value, ...)`` of a Keras object's config, without its name and unset keys."""
    config = {k: v for k, v in obj.get_config().items() if v is not None and k != "name"}
    return f"{type(obj).__name__}({', '.join(f'{k}={v!r}' for k, v in config.items())})"


def describe_compile(setup) -> str:
    """The compiled model's optimizer, learning-rate schedule and loss, as text."""
    import keras

    model, c = setup.model, setup.config
    opt, rate = model.optimizer, _rate(setup)
    schedule = (_call(rate) if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule)
                else f"constant {float(rate):g}")
    loss = (_call(model.loss) if model.loss
            else f"the model's own compute_loss ({type(model).__name__})")
    return "\n".join([
        f"optimizer: {type(opt).__name__}, learning rate {schedule}",
        f"steps: {setup.steps_per_epoch} an epoch x {c.epochs} epochs = "
        f"{setup.steps_per_epoch * c.epochs} optimizer steps, batch {setup.batch_size}",
        f"loss: {c.loss}: {loss}",
        f"precision: {setup.precision}; jit_compile: {model.jit_compile}"])


def show_compile(setup):
    """Print :func:`describe_compile` and plot :func:`plot_schedule`; returns the figure."""
    print(describe_compile(setup))
    return plot_schedule(setup)


def fit(setup):
    """Print the ``model.fit`` call of ``setup`` with its callbacks, then make it
    (:func:`colorization.runs.train.fit`); returns the run."""
    from colorization.runs import train

    print(("reused, finished: " if setup.finished else "") + setup.fit_call(), flush=True)
    return train.fit(setup)


def plot_schedule(setup):
    """The learning rate at every optimizer step of the run. Returns the figure."""
    import keras
    import matplotlib.pyplot as plt

    opt, c, rate = setup.model.optimizer, setup.config, _rate(setup)
    steps = np.arange(setup.steps_per_epoch * c.epochs + 1)
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        values = [float(keras.ops.convert_to_numpy(rate(int(s)))) for s in steps]
    else:
        values = [float(rate)] * len(steps)
    fig, ax = plt.subplots(figsize=(6, 2.4))
    ax.plot(steps, values)
    for epoch in range(1, c.epochs):
        ax.axvline(epoch * setup.steps_per_epoch, color="0.85", lw=0.8, zorder=0)
    ax.set(xlabel="optimizer step (gray lines: epochs)", ylabel="learning rate",
           title=f"{type(opt).__name__}, {c.lr_schedule} schedule over {len(steps) - 1} steps")
    fig.tight_layout()
    return fig


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
