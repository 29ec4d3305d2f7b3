"""The HTML audit report opened from its file in a real browser, offline: what a reader sees.

Drives Debian's chromium (`apt-get install chromium`: /usr/bin/chromium, or
$SIGPIPE_LINT_CHROMIUM) through playwright's `executable_path`; playwright's own browser
download is not needed. Skipped with the reason where either is missing; with CI=true a
missing browser fails the test instead (.ci/run installs both).
"""

import os

import pytest

from sigpipe_lint.cli import main

from _audit_tree import make_tree

CHROMIUM = os.environ.get("SIGPIPE_LINT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the browser test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"no chromium at {CHROMIUM} (as root: apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def test_html_report_in_a_browser(browser, tmp_path, monkeypatch, capsys):
    tree = make_tree(tmp_path / "tree")
    monkeypatch.chdir(tree)
    report = tmp_path / "audit.html"
    assert main(["audit", ".", "--select", "SPL", "--no-cache", "--jobs", "1", "--report", str(report)]) == 2
    context = browser.new_context(viewport={"width": 1000, "height": 400}, offline=True)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        assert requests == [report.as_uri()]  # the page alone: nothing else is fetched

        # the findings, as a reader sees them
        text = page.inner_text("body")
        assert "2 findings in 2 files of 2 packages" in text
        assert 'line 5: sock.sendall(b"x")' in text
        assert "SPL001 sock.sendall() writes to a socket" in text
        assert "SPL002 " in text
        assert '+    sock.sendall(b"x", getattr(socket, "MSG_NOSIGNAL", 0))' in text
        assert "pkg/bad.py" in text and "syntax error" in text

        # the chart is drawn: an SVG with a size, one visible bar per package and rule
        chart = page.locator("svg#chart")
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
        bars = page.locator("svg#chart rect.bar")
        assert bars.count() == 2  # pkg: SPL001, b.py: SPL002
        for i in range(2):
            b = bars.nth(i).bounding_box()
            assert b is not None and b["width"] > 0 and b["height"] > 0

        # every in-page link has its target, and following one scrolls to it
        broken = page.evaluate(
            "[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
            ".filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1)))"
        )
        assert broken == []
        top = "document.getElementById('file-pkg-a-py').getBoundingClientRect().top"
        assert page.evaluate(top) > page.evaluate("innerHeight")  # below the fold at first
        page.click('a[href="#file-pkg-a-py"]')
        assert page.evaluate("location.hash") == "#file-pkg-a-py"
        assert -1 <= page.evaluate(top) < page.evaluate("innerHeight")  # scrolled to it (sub-pixel)
        assert requests == [report.as_uri()]
    finally:
        context.close()
