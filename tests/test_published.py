"""The results a reader sees are generated from results.json, never pasted: RESULTS.md and the
README's results block equal what docs/results/results.json gives."""

import json
from pathlib import Path

import pytest

from colorization.study import published

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results():
    return json.loads((ROOT / "docs" / "results" / "results.json").read_text())


def test_results_page_is_generated_from_results_json(results):
    page = (ROOT / "docs" / "results" / "RESULTS.md").read_text()
    assert page == published.results_page(results), (
        "docs/results/RESULTS.md differs from results.json: run `make publish`")


def test_readme_results_are_generated_from_results_json(results):
    section = published.readme_section((ROOT / "README.md").read_text())
    assert section == published.readme_block(results), (
        "README.md's results differ from results.json: run `make publish`")
    for name, _ in published.README_FIGURES:  # every figure it shows exists
        profile = results["_environment"]["profile"]
        assert (ROOT / "docs" / "results" / f"{profile}-{name}.png").is_file()


def test_the_generated_text_follows_the_numbers(results, tmp_path):
    """Change a verdict in results.json: the README block and the page change with it."""
    changed = json.loads(json.dumps(results))
    claims = changed.setdefault("claims", [])
    claims.append({"id": "made-up", "where": "x", "says": "y", "verdict": "not reproduced",
                   "kind": "real", "measured": "m", "reason": "", "effect": 1.0, "low": 0.5,
                   "high": 1.5, "test": "paired t, df 4", "p": 0.001, "p_holm": 0.01,
                   "seeds": 5})
    block = published.readme_block(changed)
    assert block != published.readme_block(results) and "not reproduced" in block
    page = published.results_page(changed)
    assert "| made-up |" in page and "1 [0.5, 1.5]" in page and "paired t, df 4" in page
