"""Every portal page at a phone's width (390 x 844) over the demo centre, with a patient who has
data on every page (appointments, a geste to book, a waiting list, results, a follow-up to
answer), and the main pages of each role: no page scrolls sideways, axe-core finds no serious or
critical violation (both checked on every page by the watched browser, see a11y.py), the header
stays compact, the skip link comes first and moves to the content, and the questionnaire shows
its medication rows only once "yes" is answered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from geste.clinic.demo import DEMO_PASSWORD
from geste.demo import load_demo
from geste.pathway.models import FollowUp, ProcedureRequest, RequestState
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.e2e.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

# Portal routes that do not answer a GET with an HTML page, and where each is covered instead.
NOT_PAGES = {
    "my_ics": "a calendar file",
    "my_waitlist_join": "POST only: the button is clicked below",
    "my_waitlist_leave": "POST only",
    "my_offer": "POST only",
    "convocation": "a PDF",
    "my_pdf": "a PDF",
    "my_pdf_item": "a PDF",
    "my_image": "an image",
    "shared_report": "a PDF",
    "crisis_answer": "shown at a phone's width in test_crisis",
}


def _login(page: Any, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(url + "/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def _visit(page: Any, url: str, name: str) -> None:
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response is not None and response.status == 200, f"{name}: {response}"
    assert page.url == url, f"{name}: redirected to {page.url}"
    screenshot(page, f"a11y-{name}")


def _portal_routes() -> set[str]:
    found: set[str] = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "portal":
            found |= {p.name for p in entry.url_patterns if isinstance(p, URLPattern) and p.name}
    return found


# Where Tab went: the element, whether it comes after the one before in the document, and
# whether the focus can be seen (an outline drawn by :focus-visible).
FOCUS_STEP = """() => {
  const e = document.activeElement;
  window.__lastFocus = window.__lastFocus || null;
  const after = !window.__lastFocus ||
    !!(window.__lastFocus.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
  window.__lastFocus = e;
  const style = getComputedStyle(e);
  return {
    what: e.tagName + " " + (e.textContent || e.name || "").trim().slice(0, 30),
    after, visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    positive: e.tabIndex > 0,
  };
}"""


def _focus_follows_the_page(page: Any, *, presses: int) -> None:
    """Tab from the top of a page just loaded: the skip link first, then each control in the
    order of the page (no positive tabindex), each with a visible focus outline."""
    steps = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        steps.append(page.evaluate(FOCUS_STEP))
    assert steps[0]["what"].startswith("A Aller au contenu"), steps[0]
    for step in steps:
        assert step["after"] and step["visible"] and not step["positive"], (step, steps)


@pytest.fixture
def demo(reference_data: None) -> None:
    load_demo(patients=40)


def test_every_portal_page_fits_a_phone_and_is_accessible(
    phone: Any, live_server: Any, demo: None
) -> None:
    base = live_server.url
    visited: set[str] = set()

    def visit(route: str, *args: Any) -> None:
        visited.add(route)
        _visit(phone, base + reverse(f"portal:{route}", args=args), route)

    _visit(phone, base + reverse("landing"), "landing")
    # Keyboard: the skip link is the first thing Tab reaches, and it moves focus to the content.
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"
    assert phone.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
    _visit(phone, base + reverse("login"), "login")
    visit("book")
    visit("book_slot", "facet_infiltration")

    _login(phone, base, "patient1")
    alice = {"patient__user__username": "patient1"}
    validated = ProcedureRequest.objects.get(**alice, state=RequestState.VALIDATED)
    followup = (
        FollowUp.objects.filter(request__patient__user__username="patient1", answered_at=None)
        .order_by("pk")
        .first()
    )
    assert followup is not None
    visit("home")
    header = phone.locator("header.top").bounding_box()
    assert header is not None and header["height"] < 0.2 * PHONE["height"], header
    _focus_follows_the_page(phone, presses=14)
    visit("my_procedure", validated.pk)
    # She books her geste in one tap, then asks to hear of an earlier slot (the waiting list).
    phone.get_by_role("button", name="Réserver le").first.click()
    phone.wait_for_load_state("networkidle")
    assert "programmé" in phone.inner_text("main")
    phone.get_by_role("button", name="Être prévenu d'un créneau plus proche").first.click()
    phone.wait_for_load_state("networkidle")
    assert "Sur la liste d'attente" in phone.inner_text("main")
    visit("my_appointments")
    upcoming = (
        Appointment.objects.filter(**alice, status=AppointmentStatus.BOOKED)
        .filter(start__gt=timezone.now())
        .order_by("-start")
        .first()
    )
    assert upcoming is not None
    visit("my_move", upcoming.pk)
    visit("my_cancel", upcoming.pk)
    visit("questionnaire")
    meds = phone.locator("fieldset.meds")
    phone.get_by_role("group", name="Prenez-vous un anticoagulant").get_by_label("Non").check()
    assert not meds.is_visible()
    phone.get_by_role("group", name="Prenez-vous un anticoagulant").get_by_label("Oui").check()
    assert meds.is_visible()
    # a drug chosen, then "no": the row stays in sight (nothing is sent unseen)
    phone.get_by_role("group", name="Médicament 1").get_by_label("Médicament").select_option(
        index=1
    )
    phone.get_by_role("group", name="Prenez-vous un anticoagulant").get_by_label("Non").check()
    assert meds.is_visible()
    phone.get_by_role("group", name="Médicament 1").get_by_label("Médicament").select_option(
        index=0
    )
    assert not meds.is_visible()
    phone.get_by_role("group", name="Prenez-vous un anticoagulant").get_by_label("Oui").check()
    screenshot(phone, "a11y-questionnaire-meds")
    visit("prepare")
    visit("my_results")
    visit("followup", followup.pk)
    # her one-month measure, as if the month had passed
    FollowUp.objects.filter(pk=followup.pk).update(month_due_at=timezone.now() - timedelta(hours=1))
    visit("followup_month", followup.pk)
    missed = _portal_routes() - visited - set(NOT_PAGES)
    assert missed == set(), f"portal pages not visited at 390 px: {sorted(missed)}"
    assert phone.console_errors == []


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        (
            "accueil1",
            (
                "staff:home",
                "staff:reception",
                "staff:planner",
                "staff:staff_book",
                "staff:intake",
                "staff:waitlist",
            ),
        ),
        ("manip1", ("staff:home", "staff:tech_worklist", "staff:dose_unmatched")),
        (
            "radio1",
            ("staff:dashboard", "staff:agenda", "staff:patients", "crisis:home", "staff:dose"),
        ),
        (
            "admin",
            ("staff:home", "staff:settings", "staff:audit", "staff:outcomes", "staff:messages"),
        ),
    ],
)
def test_staff_pages_are_accessible(
    page: Any, live_server: Any, demo: None, username: str, pages: tuple[str, ...]
) -> None:
    _login(page, live_server.url, username)
    for name in pages:
        _visit(page, live_server.url + reverse(name), f"desk-{username}-{name}")
    request = ProcedureRequest.objects.filter(state=RequestState.VALIDATED).order_by("pk").first()
    assert request is not None
    if username == "radio1":  # one request's pages, and its patient's
        for name in ("request_detail", "staff_questionnaire", "lab_entry"):
            url = live_server.url + reverse(f"staff:{name}", args=[request.pk])
            _visit(page, url, f"desk-radio1-{name}")
        url = live_server.url + reverse("staff:patient", args=[request.patient_id])
        _visit(page, url, "desk-radio1-patient")
    assert page.console_errors == []


def test_staff_pages_fit_a_phone(phone: Any, live_server: Any, demo: None) -> None:
    """The pages staff open away from a desk: the receptionist's day, the technologist's
    worklist, the radiologist's dashboard and a request."""
    _login(phone, live_server.url, "accueil1")
    _visit(phone, live_server.url + reverse("staff:reception"), "phone-reception")
    _login(phone, live_server.url, "manip1")
    _visit(phone, live_server.url + reverse("staff:tech_worklist"), "phone-worklist")
    _login(phone, live_server.url, "radio1")
    _visit(phone, live_server.url + reverse("staff:dashboard"), "phone-dashboard")
    request = ProcedureRequest.objects.filter(state=RequestState.VALIDATED).order_by("pk").first()
    assert request is not None
    detail = reverse("staff:request_detail", args=[request.pk])
    _visit(phone, live_server.url + detail, "phone-request")
    assert phone.console_errors == []
