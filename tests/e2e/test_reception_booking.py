"""Browser: reception books a new appointment for a known patient, then sees the waiting list."""

from __future__ import annotations

from typing import Any

import pytest

from geste.clinic.models import User
from geste.pathway.waitlist import waitlist_join
from geste.scheduling.models import Appointment
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, make_patient, make_user
from tests.scheduling.conftest import build_centre, validated_request

pytestmark = pytest.mark.django_db(transaction=True)


def test_reception_books_for_a_patient(page: Any, live_server: Any, radiologist: User) -> None:
    from geste.clinic.models import Role

    build_centre(radiologist)
    patient = make_patient("Lucie", "Garnier")
    waiting = make_patient("Henri", "Blanc")
    waitlist_join(request=validated_request(waiting), actor=radiologist)
    make_user("accueil", Role.RECEPTIONIST)
    page.goto(live_server.url + "/connexion/")
    page.get_by_label("Identifiant").fill("accueil")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server.url + "/equipe/planning/")
    page.locator("#main").get_by_role("link", name="Nouveau rendez-vous").click()
    page.get_by_label("Rechercher le patient").fill("garnier")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="GARNIER Lucie", exact=False).click()
    page.get_by_label("Acte").select_option("facet_infiltration")
    page.get_by_role("button", name="Voir les créneaux").click()
    page.locator("input[name=slot]").first.check()
    screenshot(page, "reception-book-1-slots")
    page.get_by_role("button", name="Réserver ce créneau").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Rendez-vous enregistré").is_visible()
    screenshot(page, "reception-book-2-planner")
    assert Appointment.objects.filter(patient=patient).count() == 1
    page.locator("#main").get_by_role("link", name="Liste d'attente").click()
    assert page.get_by_text("BLANC Henri", exact=False).is_visible()
    screenshot(page, "reception-waitlist")
    assert page.console_errors == []
