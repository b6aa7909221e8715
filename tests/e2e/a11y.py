"""Accessibility and layout checks for the browser tests: axe-core (through
axe-playwright-python, which ships axe's script: nothing is fetched) and the document's width."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()
# WCAG 2.1 A and AA rules, and axe's best practices; what fails the test is a serious or
# critical violation (axe's own impact levels).
OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
}
BLOCKING = ("serious", "critical")


def violations(page: Any) -> list[dict[str, Any]]:
    results = _AXE.run(page, options=OPTIONS)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING]


def assert_accessible(page: Any, name: str) -> None:
    found = violations(page)
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in found
    ]
    assert not found, f"{name}: " + "\n".join(lines)


def document_width(page: Any) -> int:
    """How wide the page really is (a page wider than the viewport scrolls sideways)."""
    return int(
        page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    )
