"""Every portal page at a phone's width (390 px) and the main pages of each role, in a real
browser over the demo centre: no page scrolls sideways, and axe-core finds no serious or
critical accessibility violation."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from geste.clinic.demo import DEMO_PASSWORD
from geste.demo import load_demo
from geste.pathway.models import ProcedureRequest, RequestState
from tests.e2e.a11y import assert_accessible, document_width
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _login(page: Any, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(url + "/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def _visit(page: Any, url: str, name: str, *, phone: bool) -> None:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status == 200, f"{name}: {response}"
    assert page.url == url, f"{name}: redirected to {page.url}"
    screenshot(page, f"a11y-{'phone' if phone else 'desk'}-{name}")
    if phone:
        assert document_width(page) <= PHONE["width"], f"{name} scrolls sideways"
    assert_accessible(page, name)


@pytest.fixture
def demo(reference_data: None) -> None:
    load_demo(patients=40)


def test_every_portal_page_fits_a_phone_and_is_accessible(
    browser: Any, live_server: Any, demo: None
) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_server.url
    for name, path in (
        ("landing", reverse("landing")),
        ("book", reverse("portal:book")),
        ("book-slot", reverse("portal:book_slot", args=["facet_infiltration"])),
        ("login", reverse("login")),
    ):
        _visit(page, base + path, name, phone=True)
    _login(page, base, "patient1")
    alice_request = (
        ProcedureRequest.objects.filter(
            patient__user__username="patient1", state=RequestState.REPORTED
        )
        .order_by("pk")
        .first()
    )
    assert alice_request is not None
    for name, path in (
        ("home", reverse("portal:home")),
        ("appointments", reverse("portal:my_appointments")),
        ("questionnaire", reverse("portal:questionnaire")),
        ("results", reverse("portal:my_results")),
    ):
        _visit(page, base + path, name, phone=True)
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        ("accueil1", ("staff:home", "staff:reception", "staff:planner", "staff:staff_book")),
        ("manip1", ("staff:home", "staff:tech_worklist")),
        ("radio1", ("staff:dashboard", "staff:agenda", "staff:patients", "crisis:home")),
        ("admin", ("staff:home", "staff:settings", "staff:audit", "staff:outcomes")),
    ],
)
def test_staff_pages_are_accessible(
    page: Any, live_server: Any, demo: None, username: str, pages: tuple[str, ...]
) -> None:
    _login(page, live_server.url, username)
    for name in pages:
        _visit(page, live_server.url + reverse(name), f"{username}-{name}", phone=False)
    request = ProcedureRequest.objects.filter(state=RequestState.VALIDATED).order_by("pk").first()
    if username == "radio1" and request is not None:
        detail = reverse("staff:request_detail", args=[request.pk])
        _visit(page, live_server.url + detail, "radio1-request", phone=False)
    assert page.console_errors == []
