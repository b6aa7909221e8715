"""The automatic axe check cannot pass silently: a page with known faults, loaded or swapped in
by htmx, is reported with its address, rule and element; a page too wide for a phone too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import a11y

pytestmark = pytest.mark.django_db(transaction=True)

FAULTY = """<!DOCTYPE html><html lang="fr"><head><title>sonde</title></head><body><main>
<h1>Sonde</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="no-alt">
<input type="text" id="no-label"><p>{# a comment over
two lines is shown #}</p></main></body></html>"""
CLEAN = """<!DOCTYPE html><html lang="fr"><head><title>sonde</title></head><body><main>
<h1>Sonde</h1><div id="target"></div></main></body></html>"""
WIDE = """<!DOCTYPE html><html lang="fr"><head><title>sonde</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>
<h1>Sonde</h1><div style="width: 600px">large</div></main></body></html>"""


def _serve(page: Any, url: str, body: str) -> None:
    page.route(url, lambda route: route.fulfill(body=body, content_type="text/html"))


def test_a_loaded_page_with_faults_is_reported(page: Any, live_server: Any) -> None:
    url = live_server.url + "/sonde-a11y/"
    _serve(page, url, FAULTY)
    runs = a11y.TALLY.runs
    page.goto(url)
    page.get_by_role("heading").inner_text()  # the test goes on: axe has run first
    found = a11y.TALLY.take()
    assert a11y.TALLY.runs == runs + 1
    by_rule = {p.rule: p for p in found}
    assert {"image-alt", "label", "template-leak"} <= set(by_rule), found
    assert by_rule["image-alt"].url == url and by_rule["image-alt"].targets == ("#no-alt",)
    assert by_rule["label"].targets == ("#no-label",)
    # the same page again: not rerun, but reported again
    page.goto(url)
    page.get_by_role("heading").inner_text()
    assert a11y.TALLY.runs == runs + 1
    assert {p.rule for p in a11y.TALLY.take()} == set(by_rule)


def test_a_fault_swapped_in_by_htmx_is_reported(page: Any, live_server: Any) -> None:
    url = live_server.url + "/sonde-a11y/"
    _serve(page, url, CLEAN)
    page.goto(url)
    assert page.locator("h1").inner_text() == "Sonde"
    assert a11y.TALLY.take() == []
    # what htmx does after a swap: new content, then htmx:afterSettle on the target
    page.evaluate(
        """() => {
        const t = document.getElementById('target');
        t.innerHTML = '<input type="checkbox" id="swapped">';
        t.dispatchEvent(new CustomEvent('htmx:afterSettle', {bubbles: true}));
    }"""
    )
    page.locator("#swapped").count()
    found = a11y.TALLY.take()
    assert [(p.rule, p.targets) for p in found] == [("label", ("#swapped",))]


def test_a_page_wider_than_a_phone_is_reported(phone: Any, live_server: Any) -> None:
    url = live_server.url + "/sonde-a11y/"
    _serve(phone, url, WIDE)
    phone.goto(url)
    phone.close()  # closing checks what the page showed last
    found = a11y.TALLY.take()
    assert [p.rule for p in found] == ["sideways-scroll"]
    assert "wide on a 390 px screen" in found[0].help
    assert found[0].targets == ("div",)
