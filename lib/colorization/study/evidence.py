"""The numbers the paper's claims are decided on: every seed of every experiment
(:class:`Evidence`, read from the runs by :func:`gather`), and the thresholds the rules read
(:data:`THRESHOLDS`, through :func:`th`)."""

from __future__ import annotations

import contextlib
import contextvars
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from colorization.core import fileio, metrics
from colorization.runs import evaluate
from colorization.runs.rundir import Run
from colorization.study import experiments
from colorization.study.stats import Values


class Missing(Exception):
    """A number a rule needs is absent or impossible (experiment not run, metric not
    computed, a damaged value)."""


def _checked(m: dict, key: str, what: str) -> float:
    """``m[key]`` as a float: ``None`` (a metric that could not be computed) as NaN, NaN and
    infinities as they are; absent, not a number or outside its possible range
    (:data:`colorization.runs.evaluate.METRIC_RANGES`) is :class:`Missing`."""
    if key not in m:
        raise Missing(f"{what}: metric {key!r} missing (evaluate the runs again)")
    value = m[key]
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Missing(f"{what}: metric {key!r} is {value!r}, not a number: delete the run's "
                      "metrics/ folder and run `make reproduce` again")
    base = key.removesuffix("_gray").removesuffix("_tint")
    low, high = evaluate.METRIC_RANGES.get(base, (-math.inf, math.inf))
    if math.isfinite(value) and not low <= value <= high:
        raise Missing(f"{what}: metric {key!r} is {value!r}, outside its possible range "
                      f"[{low:g}, {high:g}]: delete the run's metrics/ folder and run "
                      "`make reproduce` again")
    return float(value)


@dataclass
class Evidence:
    """The numbers rules read, per experiment name, one entry per seed (in seed order).

    ``metrics``: test-set metrics (:func:`colorization.core.metrics.evaluate_with_baseline`
    keys, with the ``_gray`` and ``_tint`` baselines); ``photos``: the same on the never-seen
    photographs; ``snapshots``: ``{epoch: metrics of the snapshot test images}``;
    ``history``: ``history.csv`` rows; ``epochs``: epochs trained; ``dataset``; ``scale``: what
    they trained, in words; ``losses``: the loss, its threshold and the output convention;
    ``damaged``: why an experiment's files could not be read.
    """

    metrics: dict[str, list[dict]] = field(default_factory=dict)
    photos: dict[str, list[dict]] = field(default_factory=dict)
    snapshots: dict[str, list[dict]] = field(default_factory=dict)
    history: dict[str, list[list]] = field(default_factory=dict)
    epochs: dict[str, int] = field(default_factory=dict)
    dataset: dict[str, str] = field(default_factory=dict)
    scale: dict[str, str] = field(default_factory=dict)
    losses: dict[str, dict] = field(default_factory=dict)
    damaged: dict[str, str] = field(default_factory=dict)

    def v(self, name: str, key: str, where: str = "metrics") -> Values:
        """``key`` of every seed of ``name``."""
        per_seed = getattr(self, where).get(name)
        if not per_seed:
            raise Missing(f"{name} has no {'test' if where == 'metrics' else where} metrics")
        return Values.of(_checked(m, key, f"{name}, seed {i}")
                         for i, m in enumerate(per_seed))

    def ratio(self, name: str, key: str = "ciede2000", where: str = "metrics",
              base: str = "gray") -> Values:
        """``key`` over its ``base`` baseline (``gray`` or ``tint``) per seed."""
        value, ref = self.v(name, key, where), self.v(name, f"{key}_{base}", where)
        return Values.of(a / b if b else math.nan
                         for a, b in zip(value.values, ref.values, strict=True))

    def snap(self, name: str, key: str, last_epoch: int | None = None,
             first: bool = False) -> tuple[int, Values]:
        """``key`` of the snapshot test images at the latest snapshot epoch at or before
        ``last_epoch`` (the first snapshot epoch when ``first``), every seed."""
        per_seed = self.snapshots.get(name)
        if not per_seed or not all(per_seed):
            raise Missing(f"{name} has no snapshots")
        common = sorted(set.intersection(*(set(s) for s in per_seed)))
        chosen = [e for e in common if last_epoch is None or e <= last_epoch]
        if not chosen:
            raise Missing(f"{name} has no snapshot at or before epoch {last_epoch}")
        epoch = chosen[0] if first else chosen[-1]
        return epoch, Values.of(_checked(s[epoch], key, f"{name}, epoch {epoch}")
                                for s in per_seed)

    def snap_ratio(self, name: str, epoch: int, key: str = "ciede2000") -> Values:
        per_seed = self.snapshots.get(name) or []
        if not per_seed or any(epoch not in s for s in per_seed):
            raise Missing(f"{name} has no snapshot at epoch {epoch}")
        return Values.of(snapshot_value(s[epoch], key) / snapshot_value(s[epoch], f"{key}_gray")
                         for s in per_seed)

    def speed(self, name: str) -> Values:
        """Training images/s of every seed: the median epoch after the first (which
        includes tracing and compilation)."""
        out = []
        for rows in self.history.get(name) or []:
            timed = [float(r["images_per_second"]) for r in rows
                     if fileio.number_problem(r.get("images_per_second"), 0.0) is None]
            later = sorted(timed[1:] or timed)
            if not later:
                raise Missing(f"{name} has no timed epochs in history.csv")
            out.append(later[len(later) // 2])
        if not out:
            raise Missing(f"{name} has no history")
        return Values.of(out, digits=1)


def snapshot_value(m: dict, key: str) -> float:
    """``key`` of one snapshot's metrics (:class:`Missing` when absent or damaged)."""
    return _checked(m, key, "snapshot")


# Every threshold a rule reads, by name, so that a reader can disagree with one and
# :func:`colorization.study.claims.verdict` can move each by 20 %.
THRESHOLDS = {
    "colours_well_de": 0.5,  # CIEDE2000 at most this share of the gray baseline's
    "colours_well_hue": 30.0,  # degrees of hue error on the truly coloured pixels
    "class_hue_max": 45.0,  # degrees: the worst fruit class's mean hue error
    "few_epochs_de": 0.7,
    "meaningful_de": 0.8,
    "meaningful_hue": 45.0,
    "nothing_spread": 0.25,  # per-image colour spread over the truth's: below, one colour
    "nothing_hue": 60.0,
    "learned_spread": 0.25,  # the guard: images told apart at least this much
    "colours_de": 0.9,  # a snapshot colours once its CIEDE2000 is this far below gray's
    "desaturated_chroma": 0.85,
    "fails_chroma": 0.6,
    "unseen_chroma": 0.7,
    "flip_gain": 0.05,
    "similar_psnr_db": 1.0,
    "similar_de": 0.2,
    "slow_share": 0.25,
    "learns_from": 20.0,  # the first colouring snapshot epoch of "after 50 / 60 iterations"
    "learns_by": 100.0,
}
_factors: contextvars.ContextVar[dict | None] = contextvars.ContextVar("factors", default=None)
_used: contextvars.ContextVar[set | None] = contextvars.ContextVar("used", default=None)


def th(name: str) -> float:
    """Threshold ``name``, moved by the factor :func:`thresholds` sets."""
    used = _used.get()
    if used is not None:
        used.add(name)
    return THRESHOLDS[name] * (_factors.get() or {}).get(name, 1.0)


@contextlib.contextmanager
def thresholds(factors: dict | None = None, used: set | None = None) -> Iterator[None]:
    """Within it, :func:`th` multiplies each threshold by its factor in ``factors`` and adds
    the name of every threshold read to ``used``."""
    tokens = (_factors.set(factors or {}), _used.set(used))
    try:
        yield
    finally:
        _factors.reset(tokens[0])
        _used.reset(tokens[1])


def snapshot_metrics(run: Run, set_name: str = "test", epochs=None,
                     images=None) -> dict[int, dict]:
    """Metrics, with the gray and mean-tint baselines, of a run's snapshot images of
    ``set_name`` at each of ``epochs`` (default every snapshot epoch); ``{}`` when the run
    stores no such set. ``images``: that set's inputs when the caller has read them."""
    if images is None:
        inputs = run.snapshot_inputs()
        if set_name not in inputs:
            return {}
        images = inputs[set_name]
    chosen = run.snapshot_epochs() if epochs is None else list(epochs)
    if not chosen:
        return {}
    gray = metrics.gray_baseline(images)
    tint = metrics.tint_baseline(images, evaluate.train_mean_ab(run.dir))
    return {epoch: metrics.evaluate_with_baseline(images, run.snapshot(epoch)[set_name],
                                                  gray=gray, tint=tint)
            for epoch in chosen}


def _cached_snapshot_metrics(run: Run) -> dict[int, dict]:
    """:func:`snapshot_metrics` of a finished run's test snapshots, cached in
    ``RUN_DIR/metrics/snapshots-test.json`` (computed again when damaged or out of date)."""
    path = run.dir / "metrics" / "snapshots-test.json"
    epochs = run.snapshot_epochs()
    if path.exists():
        try:
            stored = fileio.read_json(path, "a snapshot metrics cache", "it is computed again")
            out = {int(e): m for e, m in stored.items() if isinstance(m, dict)}
            if sorted(out) == sorted(epochs) and all("ciede2000_tint" in m for m in out.values()):
                return out
        except (fileio.DamagedFileError, ValueError) as err:
            print(f"note: {err}", file=sys.stderr)
    out = snapshot_metrics(run)
    try:
        path.parent.mkdir(exist_ok=True)
        fileio.write_json(path, {str(e): fileio.finite_json(m) for e, m in out.items()})
    except OSError as err:
        print(f"note: could not cache the snapshot metrics in {path} ({err})", file=sys.stderr)
    return out


def _read(ev: Evidence, name: str, profile: str) -> None:
    from colorization.nets import registry

    runs = [Run(experiments.run_dir(name, profile, s))
            for s in experiments.seeds(name, profile)]
    if not all(r.finished for r in runs):
        return
    cfg = runs[0].config
    ev.epochs[name] = int(cfg.epochs)
    ev.dataset[name] = runs[0].status.get("dataset", cfg.data)
    ev.losses[name] = {"loss": cfg.loss, "loss_delta": cfg.loss_delta,
                       "convention": registry.convention(cfg.model)}
    ev.history[name] = [r.history() for r in runs]
    ev.metrics[name] = experiments.evaluate_all(name, profile)
    ev.photos[name] = experiments.evaluate_all(name, profile, data="photos")
    ev.snapshots[name] = [_cached_snapshot_metrics(r) for r in runs]
    ev.scale[name] = experiments.scale_text(name, profile)


def gather(profile: str, names=None) -> Evidence:
    """The evidence of every experiment in ``names`` (default: all) whose every seed has
    finished at ``profile``. Nothing is trained; unfinished experiments are absent; one whose
    files are damaged is recorded in :attr:`Evidence.damaged`."""
    ev = Evidence()
    for name in names or experiments.EXPERIMENTS:
        try:
            _read(ev, name, profile)
        except (fileio.DamagedFileError, OSError, ValueError) as err:
            for part in (ev.epochs, ev.dataset, ev.losses, ev.history, ev.metrics, ev.photos,
                         ev.snapshots, ev.scale):
                part.pop(name, None)
            ev.damaged[name] = f"the runs of {name} could not be read: {err}"
    return ev


def noise_floor(profile: str, keys=("ciede2000", "hue_error", "chroma_ratio", "psnr"),
                evidence: Evidence | None = None) -> dict[str, dict[str, float]]:
    """The seed-to-seed noise of every replicated experiment: for each metric, the mean
    absolute difference between two of its seeds. ``{experiment: {metric: difference}}``."""
    evidence = evidence or gather(profile)
    out = {}
    for name, per_seed in evidence.metrics.items():
        if len(per_seed) < 2:
            continue
        out[name] = {}
        for k in keys:
            try:
                out[name][k] = evidence.v(name, k).null_difference()
            except Missing:
                continue
    return out


def format_noise_floor(floors: dict[str, dict[str, float]]) -> str:
    """:func:`noise_floor` as a printed table (rounded, so notebooks compare)."""
    keys = sorted({k for row in floors.values() for k in row})
    width = max([len("experiment")] + [len(n) for n in floors])
    lines = [f"{'experiment':{width}s} " + " ".join(f"{k:>13s}" for k in keys)]
    for name, row in floors.items():
        lines.append(f"{name:{width}s} " + " ".join(
            f"{row[k]:13.3f}" if k in row else f"{'-':>13s}" for k in keys))
    return "\n".join(lines)
