"""The README a newcomer reads first: short, with a generated results block, and every page
it sends the reader to (docs/) present and linked."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _links(page: Path, text: str) -> set[Path]:
    """The local files ``text`` (of ``page``) links to."""
    return {(page.parent / target).resolve() for target in LINK.findall(text)
            if "://" not in target}


def _outside_results(text: str) -> str:
    """The README without its results block (written by `make publish`)."""
    return text[: text.index(BEGIN)] + text[text.index(END):]


def test_the_readme_is_short_and_has_one_results_block():
    text = README.read_text()
    assert len(text) <= 12_000, f"README.md has {len(text):,} characters"
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert text.index(BEGIN) < text.index(END)
    for needed in ("make reproduce", "make test", "01-data-and-lab", "12-results",
                   "sshikamaru/fruit-recognition", "alessiocorrado99/animals10",
                   "Kaggle Notebook", "Colab", "reports/index.html"):
        assert needed in text, needed
    assert "## Getting the real datasets" in text  # what error messages name


def test_every_page_the_readme_links_exists():
    text = README.read_text()
    missing = [str(p.relative_to(ROOT)) for p in _links(README, _outside_results(text))
               if not p.exists()]
    assert missing == []


def test_every_doc_is_reached_from_the_readme_and_leads_back():
    reached, todo = set(), [README]
    while todo:
        page = todo.pop()
        for target in _links(page, page.read_text()):
            if target.suffix == ".md" and target.exists() and target not in reached:
                reached.add(target)
                todo.append(target)
    docs = {p.resolve() for p in (ROOT / "docs").glob("*.md")}
    assert docs - reached == set()
    for doc in docs:
        assert README.resolve() in _links(doc, doc.read_text()) or doc.name == "performance.md"
