"""reports/index.html in a real browser: headless Chromium at 1300 px, the page no wider than
the window, a screenshot saved under reports/ (skipped where no Chromium is installed;
`.ci/run` installs Debian's `chromium`)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from colorization.core import paths
from colorization.study import page, report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
WIDTH = 1300
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str:
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found is None:
        pytest.skip("no headless Chromium here (Debian: apt-get install chromium; .ci/run "
                    "installs it)")
    return found


def _chromium(browser: str, *args: str, timeout: int = 120) -> str:
    """Run headless Chromium; its standard output (``--dump-dom``'s page)."""
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-dev-shm-usage", "--no-first-run", f"--window-size={WIDTH},2400", *args],
        capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _page_width(browser: str, index: Path) -> tuple[int, int]:
    """``(page width, window width)`` once the page and its images have loaded: a copy of
    the page beside it writes them into its title, read back from the DOM."""
    probe = index.with_name(".width-probe.html")
    probe.write_text(index.read_text() + (
        "<script>window.addEventListener('load', () => { document.title = 'width ' + "
        "document.documentElement.scrollWidth + ' ' + window.innerWidth; });</script>"))
    try:
        dom = _chromium(browser, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    found = re.search(r"<title>width (\d+) (\d+)</title>", dom)
    assert found, dom[:500]
    return int(found[1]), int(found[2])


def _realistic_reports() -> Path:
    """reports/ as `make reproduce` leaves it, from the committed results and figures."""
    reports = paths.reports_dir()
    (reports / "figures").mkdir(parents=True, exist_ok=True)
    stored = json.loads((RESULTS / "results.json").read_text())
    stored.pop("_environment", None)
    (reports / "results.json").write_text(json.dumps(stored))
    for png in sorted(RESULTS.glob("*.png")):
        shutil.copy(png, reports / "figures" / png.name)
    return reports


def test_the_report_fits_a_1300px_window_in_chromium():
    browser = _browser()
    reports = _realistic_reports()
    index = report.write_index("quick")
    text = index.read_text()
    assert "<div class='wide'>" in text  # wide tables scroll in their own box
    width, window = _page_width(browser, index)
    assert window == WIDTH
    assert width <= window, f"the page is {width} px wide in a {window} px window"
    shot = reports / f"index-{WIDTH}px.png"
    _chromium(browser, f"--screenshot={shot}", "--virtual-time-budget=10000", index.as_uri())
    assert shot.stat().st_size > 10_000


def test_a_wider_page_is_caught(tmp_path):
    """The check itself: a page with a 2000 px table measures wider than the window."""
    browser = _browser()
    wide = tmp_path / "wide.html"
    wide.write_text("<!doctype html><table><tr><td style='min-width:2000px'>x</td></tr></table>")
    width, window = _page_width(browser, wide)
    assert width > window


def test_each_experiment_scale_is_stated_once():
    _realistic_reports()
    text = report.write_index("quick").read_text()
    stored = json.loads((RESULTS / "results.json").read_text())
    claims = stored["claims"]
    for row in claims:
        scale = row.get("scale") or {}
        for sentence in (scale.values() if isinstance(scale, dict) else [scale]):
            assert sentence not in text  # the claim links its experiments instead
    name = next(n for n in stored if not n.startswith("_") and n != "claims")
    assert text.count(f"id='exp-{name}'") == 1
    assert f"href='#exp-{name}'" in text or not any(
        name in (r.get("experiments") or []) for r in claims)


def test_a_long_reason_is_folded_after_its_first_words():
    assert page.reason_html("") == ""
    assert page.reason_html("needs 10 epochs") == "<div class='why'>why: needs 10 epochs</div>"
    long = "not learned (" + "x" * 300 + ")"
    folded = page.reason_html(long)
    assert folded.startswith("<details class='why'><summary>why: not learned ...</summary>")
    assert "x" * 300 in folded
