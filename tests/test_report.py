"""The HTML report: executed notebooks exported to HTML and linked, and the record of where and
how the results were made (date, commit, machine, backend, profile, data used)."""

import json

import nbformat
import pytest

from colorization.core import fileio
from colorization.study import report


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORIZATION_HOME", str(tmp_path / "project"))
    monkeypatch.setenv("COLORIZATION_RUNS_DIR", str(tmp_path / "project" / "runs"))
    (tmp_path / "project").mkdir()
    return tmp_path / "project"


def _executed_notebook(path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('psnr 23.5')", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="psnr 23.5\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Fruits experiment"), cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_index_links_html_notebooks_and_records_the_environment(project, monkeypatch):
    nb = _executed_notebook(project / "reports" / "notebooks" / "02-fruits.ipynb")
    (project / "reports" / "notebooks" / "03-x.partial.ipynb").write_text("{}")  # unfinished
    for run, dataset in (("fruits_cnn/seed0", "fruits"), ("animals_ae/seed0", "pets-sample")):
        (project / "runs" / "quick" / run).mkdir(parents=True)
        fileio.write_json(project / "runs" / "quick" / run / "status.json",
                          {"state": "finished", "dataset": dataset, "data_source": f"src {run}"})
    report.record("fruits_cnn", [{"psnr": 23.5, "ignored": 1}, {"psnr": 24.5}], model="cnn",
                  data="fruits")
    monkeypatch.setattr(__import__("keras").backend, "backend", lambda: "jax")

    index = report.write_index("quick")
    page = index.read_text()
    html_nb = nb.with_suffix(".html")
    assert html_nb.is_file() and "psnr 23.5" in html_nb.read_text()
    assert "Fruits experiment<" in html_nb.read_text()  # the markdown, rendered
    assert "href='notebooks/02-fruits.html'" in page and ".ipynb'" not in page
    assert "03-x" not in page
    assert "tensorboard --logdir runs" in page
    env = json.loads((project / "reports" / "results.json").read_text())["_environment"]
    assert env["profile"] == "quick" and env["backend"] == "jax"
    assert env["datasets"] == ["fruits", "pets-sample"]
    assert env["runs"]["fruits_cnn/seed0"] == ["fruits", "src fruits_cnn/seed0"]
    assert env["commit"] == "unknown"  # the project folder is not a git checkout
    assert env["machine"]["cpu"] and isinstance(env["machine"]["gpu"], list)
    assert env["date"][:4].isdigit() and env["date"] in page
    for value in ("quick", "jax", "fruits, pets-sample", env["machine"]["cpu"], "24.00 ± 0.71"):
        assert value in page
    assert list(report.results()) == ["fruits_cnn"]  # the environment is not a result row
    assert "<th>fruits_cnn</th>" in page and "_environment" not in page
    stored = report.results()["fruits_cnn"]
    assert stored["seeds"] == 2 and stored["per_seed"]["psnr"] == [23.5, 24.5]
    assert "ignored" not in stored["mean"]


def test_figures_are_saved_as_lossless_rgb_png(project):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 2))
    gradient = np.linspace(0, 1, 256 * 3).reshape(16, 48, 1) * np.array([1.0, 0.5, 0.2])
    ax.imshow(gradient)
    path = report.save_figure(fig, "12-results")
    with Image.open(path) as im:
        assert im.format == "PNG" and im.mode == "RGB"  # no palette, no alpha
        assert len(im.getcolors(maxcolors=1 << 20)) > 256  # more colours than a palette holds


def test_commit_is_read_from_git(project):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    run = dict(cwd=project, check=True, capture_output=True)
    subprocess.run(["git", "init", "-q"], **run)
    (project / "a.txt").write_text("a")
    subprocess.run(["git", "add", "a.txt"], **run)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"],
                   **run)
    head = subprocess.run(["git", "rev-parse", "HEAD"], **run, text=True).stdout.strip()
    assert report.environment("paper")["commit"] == head
    (project / "a.txt").write_text("b")
    assert report.environment()["commit"] == f"{head} (with uncommitted changes)"


def test_publish_makes_the_executed_notebooks_the_committed_ones(project):
    from colorization.study import catalog, reproduce

    source = _executed_notebook(project / "notebooks" / "03-x.ipynb")
    executed = nbformat.read(source, as_version=4)
    injected = nbformat.v4.new_code_cell('profile = "quick"')
    injected.metadata["tags"] = ["injected-parameters"]
    executed.cells.insert(0, injected)
    executed.metadata["papermill"] = {"parameters": {"profile": "quick"}}
    out = project / "reports" / "notebooks" / "03-x.ipynb"
    out.parent.mkdir(parents=True)
    nbformat.write(executed, out)
    state = project / "reports" / "reproduce-state.json"
    state.write_text(json.dumps({"03-x.ipynb:quick": {"sha256": reproduce.digest(source)}}))
    report.record("cnn", [{"psnr": 20.0}])
    figures = project / "reports" / "figures"
    figures.mkdir(parents=True)
    for name in catalog.published_figures():
        (figures / f"{name}.png").write_bytes(b"png " + name.encode())
    with pytest.raises(RuntimeError, match="not executed with profile 'paper'"):
        reproduce.publish("paper")
    written = reproduce.publish("quick")
    committed = nbformat.read(source, as_version=4)
    assert [c.source for c in committed.cells][:2] == ["# Fruits experiment", "print('psnr 23.5')"]
    assert committed.cells[1].outputs[0]["text"] == "psnr 23.5\n"
    assert "papermill" not in committed.metadata
    results = project / "docs" / "results"
    assert json.loads((results / "results.json").read_text())["cnn"]["seeds"] == 1
    assert (results / "quick-12-results.png").read_bytes() == b"png 12-results"
    # the notebook, results.json, the figures and RESULTS.md (this project has no README)
    assert len(written) == 3 + len(catalog.published_figures())
    assert (results / "RESULTS.md").read_text().startswith("# Results")
    assert reproduce.publish("quick")  # outputs replaced: the notebook still counts as executed
    # a notebook changed since the run is refused: its outputs would not be its source's
    source.write_text(source.read_text().replace("Fruits experiment", "Fruit experiment"))
    with pytest.raises(RuntimeError, match="03-x.ipynb"):
        reproduce.publish("quick")
