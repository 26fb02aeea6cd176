"""The notebooks show the objects a run trains with, and their names live in one registry."""

import re
from pathlib import Path

import keras
import pytest

from colorization.study import catalog, claims, experiments, notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SHOWN = ("02-zhang-full-fruits", "03-cnn-fruits", "04-cnn-fruits-losses", "05-cnn-animals",
         "06-autoencoder-fruits", "07-autoencoder-animals-losses", "10-zhang-classification",
         "11-gan")


class FirstSteps(keras.callbacks.Callback):
    """The loss after each of the first optimizer steps."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


@pytest.mark.slow
def test_the_notebooks_objects_train_the_run_that_experiments_run_trains(tmp_path, monkeypatch):
    name, profile = "cnn-fruits-mse", "smoke"
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(tmp_path / "page"))
    page = FirstSteps()
    setup = experiments.prepare(name, profile, seed=0)
    assert setup.config == experiments.config(name, profile, seed=0)
    setup.callbacks.append(page)  # what the page trains with: its pipeline, model, callbacks
    batch = setup.first_batch()
    assert batch.dtype == "uint8" and batch.shape[-1] == 3
    assert "EpochCommit" in setup.fit_call() and "epochs=2" in setup.fit_call()
    on_page = notebook.fit(setup)

    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(tmp_path / "library"))
    library = FirstSteps()
    made = experiments.run(name, profile, seed=0, callbacks=[library])
    assert on_page.stored_config() == made.stored_config()
    assert len(page.losses) == len(library.losses) == 2 * setup.steps_per_epoch
    assert page.losses[0] == pytest.approx(library.losses[0], rel=1e-6)
    assert page.losses == pytest.approx(library.losses, rel=1e-5)
    assert [r["loss"] for r in on_page.history()] == pytest.approx(
        [r["loss"] for r in made.history()], rel=1e-5)
    history, snapshots = made.history(), made.snapshot_epochs()
    again = experiments.prepare(name, profile, seed=0)  # finished: reused, nothing trained
    assert again.finished and again.callbacks == [] and notebook.fit(again).dir == made.dir
    assert made.history() == history and made.snapshot_epochs() == snapshots == [1, 2]


def test_prepare_holds_the_run_until_fit(tmp_path, monkeypatch):
    from colorization.runs.rundir import RunBusyError

    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(tmp_path))
    setup = experiments.prepare("cnn-fruits-mse", "smoke", seed=1)
    with pytest.raises(RunBusyError):
        experiments.run("cnn-fruits-mse", "smoke", seed=1, wait=False)
    setup.close()  # given up without training: the folder is free again
    assert "StopOnNaN" in setup.fit_call()
    assert "optimizer: Adam" in notebook.describe_compile(setup)


def _source(name: str) -> str:
    return (NOTEBOOKS / f"{name}.py").read_text()


def test_every_name_refers_to_a_notebook_that_exists():
    on_disk = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.py"))
    assert sorted(catalog.NOTEBOOKS) == on_disk
    for name in on_disk:
        assert (NOTEBOOKS / f"{name}.ipynb").is_file()
        assert re.findall(r'catalog\.get\("([^"]+)"\)', _source(name)) == [name]
    for exp in experiments.EXPERIMENTS.values():
        assert exp.notebook in catalog.NOTEBOOKS
    for claim in claims.CLAIMS.values():
        assert claim.notebook in catalog.NOTEBOOKS
    for notebook_name, part, _ in catalog.PUBLISHED:
        catalog.figure(notebook_name, part)
    for name in on_disk:
        for part in re.findall(r'nb\.figure\("([^"]*)"\)', _source(name)):
            catalog.figure(name, part)  # a part the registry lists
    with pytest.raises(ValueError, match="no figure"):
        catalog.figure("03-cnn-fruits", "nonsense")
    with pytest.raises(ValueError, match="unknown notebook"):
        catalog.get("07-ae-animals-losses")


@pytest.mark.parametrize("name", SHOWN)
def test_training_notebooks_show_the_keras_steps(name):
    source = _source(name)
    headings = re.findall(r"^# ## (.+)$", source, flags=re.M)
    steps = ["Prepare the data", "Build the model", "Compile", "Train", "Look at the predictions"]
    found = [next((i for i, h in enumerate(headings) if h.startswith(s)), None) for s in steps]
    assert None not in found and found == sorted(found), headings
    for call in ("experiments.prepare(", "notebook.show_batch(", ".summary(",
                 "notebook.show_compile(", "notebook.fit("):
        assert call in source, call
