"""Browser: a newcomer books a consultation online; reception moves an appointment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from geste.clinic.models import Procedure, User
from geste.pathway.booking import appointment_book, earliest_slots
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import Appointment
from tests.e2e.conftest import screenshot
from tests.scheduling.conftest import build_centre

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_patient_books_a_consultation(page: Any, live_server: Any, radiologist: User) -> None:
    build_centre(radiologist)
    page.goto(live_server.url + "/prendre-rendez-vous/")
    page.get_by_label("Injection dans les petites articulations", exact=False).check()
    screenshot(page, "booking-1-procedure")
    page.get_by_role("button", name="Voir les créneaux").click()
    page.locator("input[name=slot]").first.check()
    page.get_by_label("Nom d'usage").fill("Martin")
    page.get_by_label("Prénoms").fill("Paul")
    page.get_by_label("Date de naissance").fill("1961-05-02")
    page.get_by_label("Sexe").select_option("M")
    page.get_by_label("Téléphone portable").fill("06 11 22 33 44")
    page.get_by_label("Adresse e-mail").fill("paul.martin@example.org")
    page.locator("#id_password1").fill("une-phrase-secrete-42")
    page.locator("#id_password2").fill("une-phrase-secrete-42")
    screenshot(page, "booking-2-slot-and-account")
    page.get_by_role("button", name="Réserver ce créneau").click()
    page.wait_for_load_state("networkidle")
    # the same page whether the address is new or known (no account enumeration)
    assert page.get_by_role("heading", name="Consultez votre messagerie").is_visible()
    screenshot(page, "booking-3-check-email")
    appt = Appointment.objects.get(patient__email="paul.martin@example.org")
    assert appt.kind == "consultation"
    assert ProcedureRequest.objects.get(pk=appt.request_id).state == (
        RequestState.CONSULTATION_BOOKED
    )
    assert page.console_errors == []


def test_reception_moves_an_appointment(
    page: Any, live_server: Any, radiologist: User, receptionist: User, alice: Any, password: str
) -> None:
    centre = build_centre(radiologist)
    procedure = Procedure.objects.get(code="facet_infiltration")
    first = earliest_slots(
        procedure=procedure,
        patient=alice,
        kind="consultation",
        not_before=timezone.now() + timedelta(days=2),
    )[0]
    appt = appointment_book(
        patient=alice,
        kind="consultation",
        procedure=procedure,
        start=first.start,
        room=centre.room1,
        radiologist=radiologist,
        actor=receptionist,
    )
    page.goto(live_server.url + "/connexion/")
    page.get_by_label("Identifiant").fill(receptionist.username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    day = timezone.localtime(appt.start).date()
    page.goto(f"{live_server.url}/equipe/planning/?jour={day.isoformat()}")
    assert page.get_by_text("MOREAU Alice").is_visible()
    screenshot(page, "planner-day")
    page.get_by_role("link", name="Déplacer").first.click()
    new_start = timezone.localtime(appt.start) + timedelta(hours=1)
    page.get_by_label("Heure").fill(new_start.strftime("%H:%M"))
    page.get_by_label("Salle").select_option(str(centre.room2.pk))
    page.get_by_label("Motif").fill("Demande de la patiente")
    page.get_by_role("button", name="Déplacer").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Rendez-vous déplacé").is_visible(), page.locator("main").inner_text()
    screenshot(page, "planner-after-move")
    appt.refresh_from_db()
    assert appt.start == new_start and appt.room == centre.room2
    # The htmx week view replaces the planner in place.
    page.get_by_role("link", name="Vue semaine").click()
    page.wait_for_selector("text=Semaine du")
    screenshot(page, "planner-week")
    assert page.console_errors == []
