"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import a11y

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("GESTE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        # Watched: axe runs on every page its contexts open (tests/e2e/a11y.py).
        yield a11y.WatchedBrowser(browser)
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """After a browser test's body: axe checks what its pages show last, and the test fails on
    any serious or critical violation found on any page it visited (address, rule, elements)."""
    if item.get_closest_marker("e2e") is None:
        return (yield)
    a11y.TALLY.take()
    a11y.TALLY.test = item.nodeid
    try:
        result = yield
    except BaseException:
        a11y.TALLY.take()
        raise
    a11y.flush_all()
    found = a11y.TALLY.take()
    if found:
        lines = "\n".join(f"  {p}" for p in dict.fromkeys(found))
        pytest.fail(f"accessibility: {len(found)} serious or critical problem(s):\n{lines}")
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    if a11y.TALLY.runs:
        a11y.TALLY.write(ROOT / "var")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if a11y.TALLY.runs:
        terminalreporter.write_line(
            f"axe: {a11y.TALLY.runs} runs ({a11y.TALLY.seconds:.1f} s; "
            f"{a11y.TALLY.repeats} identical pages not rerun, {a11y.TALLY.swaps} htmx swaps) "
            f"on {len(a11y.TALLY.urls)} addresses, "
            f"{len(a11y.TALLY.routes)} distinct pages (var/e2e-a11y.json)"
        )


@pytest.fixture
def page(browser: Any, live_server: Any, reference_data: None) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _track_errors(page)
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any, live_server: Any, reference_data: None) -> Iterator[Any]:
    """A page at a phone's width (390 x 844): every page it shows must not scroll sideways."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    _track_errors(page)
    yield page
    context.close()


def _track_errors(page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    # A full-page screenshot can leave the page half-scrolled so that the next click lands
    # on a shifted element; put it back at the top.
    page.evaluate("window.scrollTo(0, 0)")
    return path
