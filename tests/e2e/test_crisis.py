"""The whole crisis cycle in a real browser: start, what-if, apply, the patient's portal,
a discussion answered through the secure link, end, recovery plan accepted."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from geste.pathway.models import RequestState
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.crisis import factories as f
from tests.e2e.conftest import screenshot
from tests.factories import make_patient

pytestmark = pytest.mark.django_db(transaction=True)


def _next_weekday(days: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=f.PARIS)


def _login(page: Any, url: str, username: str, password: str) -> None:
    page.goto(url + "/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def test_crisis_cycle(page: Any, live_server: Any, radiologist: Any, alice: Any, password: str):
    rooms = f.centre(radiologist)
    facet = f.request("facet_infiltration", patient=alice)
    f.book_procedure(facet, rooms["fluoro"], radiologist, _next_weekday(3))
    tumoral = f.request(
        "vertebroplasty_tumoral", patient=make_patient("Marcel", "Dupuis"), lesion_count=2
    )
    f.request("intrathecal_injection", intrathecal_chemotherapy=True)
    f.request("vertebroplasty_benign", neutropenia=True)
    url = live_server.url

    _login(page, url, radiologist.username, password)
    page.goto(url + "/crise/")
    page.get_by_label("Politique de tri").first.select_option("covid19-aphp-2020")
    page.get_by_role("button", name="Déclencher").click()
    assert "Mode crise actif" in page.inner_text("main")

    page.get_by_role("button", name="Lancer la simulation").click()
    page.wait_for_load_state("networkidle")
    main = page.inner_text("main")
    assert "4 demandes triées" in main
    assert "DUPUIS" in main  # to discuss
    screenshot(page, "crisis-whatif")

    page.get_by_role("button", name="Confirmer les 1 « Reporter »").click()
    page.wait_for_load_state("networkidle")
    assert "1 décision(s) appliquée(s)" in page.inner_text("main")
    page.get_by_role("button", name="Confirmer les 1 « Contre-indiqué »").click()
    page.get_by_role("button", name="Confirmer les 1 « Maintenir »").click()
    mail.outbox.clear()
    page.get_by_role("button", name="Confirmer les 1 « Discuter »").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "crisis-applied")
    facet.refresh_from_db()
    assert facet.state == RequestState.DEFERRED
    assert not Appointment.objects.filter(request=facet, status=AppointmentStatus.BOOKED).exists()

    # The referring clinician answers through the secure link (no account).
    (message,) = [m for m in mail.outbox if "martin@example.org" in m.to]
    link = message.body.split("http://127.0.0.1:8000")[1].split()[0]
    clinician = page.context.browser.new_context(locale="fr-FR").new_page()
    clinician.goto(url + link)
    assert "DUPUIS" in clinician.inner_text("main")
    clinician.get_by_label("Oui, le geste doit être fait maintenant").check()
    clinician.get_by_label("Lésion menaçante (risque neurologique ou fracturaire)").check()
    screenshot(clinician, "crisis-answer-link")
    clinician.get_by_role("button", name="Envoyer ma réponse").click()
    assert "Merci" in clinician.inner_text("h1")
    tumoral.refresh_from_db()
    assert tumoral.state == RequestState.VALIDATED and tumoral.clinicians_confirmed is True

    # Alice sees the deferral in her portal (crisis/_patient_notice.html, included by
    # portal/home.html); the e-mail only told her to log in.
    patient = page.context.browser.new_context(locale="fr-FR").new_page()
    _login(patient, url, alice.user.username, password)
    patient.goto(url + "/mon-espace/")
    screenshot(patient, "crisis-portal-deferral")
    assert "Votre rendez-vous est reporté" in patient.inner_text("main")

    # End of the crisis and the recovery plan.
    page.goto(url + "/crise/")
    page.get_by_role("button", name="Terminer la crise").click()
    page.get_by_role("button", name="Préparer le plan de reprise").click()
    page.wait_for_load_state("networkidle")
    assert "Plan de reprise" in page.inner_text("h1")
    screenshot(page, "crisis-plan")
    page.get_by_role("button", name="Accepter le plan et prendre les rendez-vous").click()
    page.wait_for_load_state("networkidle")
    assert "Plan accepté" in page.inner_text("main")
    facet.refresh_from_db()
    assert facet.state == RequestState.PROCEDURE_BOOKED
    page.goto(url + "/crise/tableau-de-bord/")
    assert page.locator("svg.chart").count() == 3
    screenshot(page, "crisis-dashboard")
    assert page.console_errors == []
