"""The whole clinical pathway in a real browser (issue 5, point 13), every step by clicks.

A newcomer books a consultation online and fills the questionnaire; the radiologist records
the consultation, validates and books the procedure from the proposed earliest slots;
reception checks in; the time-out blocks a case with fever (Bob, postponed) and passes the
clean one; the procedure is recorded; the report signed; the patient reads it online; the
follow-up reminder brings her back, she reports a warning sign and the alert appears on the
radiologist's dashboard. Every page: a screenshot, and no console error.

The clock: the test starts on a fixed Monday 07:30 (Paris), a week after today so that the
browser's cookies, set by the server's clock, stay valid; it moves forward (time_machine,
ticking) only where real time must pass: to the consultation, to the procedure day, and to
48 h after the procedure. Data set-up, and why: the centre (rooms, hours, roster) is
reference data; Bob's validated request and its booking are prepared directly (his
consultation is not what this test is about); he fills his questionnaire in the browser.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from geste import PARIS
from geste.clinic.models import Procedure
from geste.pathway.booking import appointment_book, earliest_slots
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import Appointment, AppointmentKind
from tests.e2e.conftest import screenshot
from tests.scheduling.conftest import build_centre

pytestmark = pytest.mark.django_db(transaction=True)
FACET = "Injection dans les petites articulations"


def _monday_after_next_week() -> datetime:
    day = timezone.localdate() + timedelta(days=7)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(day, time(7, 30), tzinfo=PARIS)


def _field(page: Any, label: str) -> Any:
    """The input labelled exactly `label` (required fields add " *" to their label)."""
    return page.get_by_label(re.compile("^" + re.escape(label) + r"( \*)?$"))


def _look(page: Any, name: str) -> None:
    """Screenshot, and the page must not have logged a console error.

    A full-page screenshot resizes Chromium's viewport and leaves the page scrolled in a
    state where the next focus change re-scrolls it (by ~90 px): the mousedown of a click
    then lands on the button and the mouseup on whatever moved under the pointer, so no
    click is dispatched and the form is not submitted. Back to the top after each shot;
    the click then scrolls the button into view the normal way.
    """
    page.wait_for_load_state("networkidle")
    screenshot(page, f"journey-{name}")
    page.evaluate("window.scrollTo(0, 0)")
    assert page.console_errors == [], (name, page.console_errors)


def _click(page: Any, role: str, name: str, **kw: Any) -> None:
    with page.expect_navigation():
        page.get_by_role(role, name=name, **kw).first.click()
    page.wait_for_load_state("networkidle")


def _login(page: Any, url: str, username: str, password: str, path: str = "/connexion/") -> None:
    page.context.clear_cookies()
    page.goto(url + path)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    _click(page, "button", "Se connecter")


def _questionnaire(page: Any, *, fever: str, name: str) -> None:
    page.get_by_role("link", name="Remplir le questionnaire").click()
    page.wait_for_load_state("networkidle")
    # Pregnancy is asked only of a woman or sex X aged 12-50 (the engine's rule): Claire, 68, is
    # not asked, and nothing is pre-set for those who are.
    assert page.locator("input[name=pregnant]").count() == 0
    for field, value in (
        ("takes_anticoagulant", "no"),
        ("fever", fever),
        ("current_infection", "no"),
        ("skin_lesion_at_site", "no"),
    ):
        page.locator(f"input[name={field}][value={value}]").check()
    _look(page, name)
    _click(page, "button", "Envoyer mes réponses")
    assert page.get_by_text("Questionnaire enregistré").is_visible()


def test_whole_pathway(
    page: Any,
    live_server: Any,
    radiologist: Any,
    receptionist: Any,
    technologist: Any,
    bob: Any,
    password: str,
) -> None:
    url = live_server.url
    build_centre(radiologist)
    with time_machine.travel(_monday_after_next_week(), tick=True) as clock:
        # 1. A newcomer books a consultation online.
        page.goto(url + "/prendre-rendez-vous/")
        page.get_by_label(FACET, exact=False).check()
        _look(page, "01-book-procedure")
        _click(page, "button", "Voir les créneaux")
        page.locator("input[name=slot]").first.check()
        page.get_by_label("Nom d'usage").fill("Martin")
        page.get_by_label("Prénoms").fill("Claire")
        page.get_by_label("Date de naissance").fill("1958-04-12")
        page.get_by_label("Sexe").select_option("F")
        page.get_by_label("Téléphone portable").fill("06 11 22 33 44")
        page.get_by_label("Adresse e-mail").fill("claire.martin@example.org")
        page.locator("#id_password1").fill("une-phrase-secrete-42")
        page.locator("#id_password2").fill("une-phrase-secrete-42")
        _look(page, "02-book-slot")
        _click(page, "button", "Réserver ce créneau")
        # No enumeration of patients: the page is the same for a known address; she is sent
        # an e-mail and logs in herself.
        assert page.get_by_role("heading", name="Consultez votre messagerie").is_visible()
        _login(page, url, "claire.martin@example.org", "une-phrase-secrete-42")
        page.goto(url + "/mon-espace/rendez-vous/")
        _look(page, "03-my-appointments")
        consultation = Appointment.objects.get(patient__email="claire.martin@example.org")
        req = ProcedureRequest.objects.get(pk=consultation.request_id)
        assert req.state == RequestState.CONSULTATION_BOOKED

        # 2. Her home page asks for the questionnaire; she fills it (no fever).
        page.goto(url + "/mon-espace/")
        assert page.get_by_text("Mon prochain rendez-vous").is_visible()
        _look(page, "04-portal-home")
        _questionnaire(page, fever="no", name="05-questionnaire")
        assert page.get_by_role("link", name="Remplir le questionnaire").count() == 0

        # 3. Consultation day and time: the radiologist records it, validates, books.
        clock.move_to(timezone.localtime(consultation.start))
        _login(page, url, radiologist.username, password)
        page.goto(url + "/equipe/tableau-de-bord/")
        _click(page, "link", "MARTIN Claire", exact=False)
        page.get_by_label("Antécédents et histoire").fill("Lombalgie chronique depuis 2 ans.")
        _field(page, "Indication").fill("Syndrome articulaire postérieur L4-L5.")
        page.get_by_label("Balance bénéfice/risque").fill("Bénéfice attendu, risque faible.")
        page.get_by_label("Douleur avant le geste (0-10)").fill("7")
        _look(page, "06-consultation")
        _click(page, "button", "Enregistrer la consultation")
        page.get_by_label("Valider l'indication").check()
        _click(page, "button", "Enregistrer la décision")
        assert page.get_by_text("Indication validée ; ordonnances prêtes.").is_visible()
        _look(page, "07-validated-slots")
        page.locator("input[name=slot]").first.check()
        _click(page, "button", "Programmer à ce créneau")
        assert page.get_by_text("Geste programmé le").is_visible()
        _look(page, "08-procedure-booked")
        procedure = Appointment.objects.get(request=req, kind=AppointmentKind.PROCEDURE)
        req.refresh_from_db()
        assert req.state == RequestState.PROCEDURE_BOOKED

        # Bob, validated earlier (set up), is booked the same day after her; he declares fever.
        facet = Procedure.objects.get(code="facet_infiltration")
        bob_req = ProcedureRequest.objects.create(
            patient=bob,
            procedure=facet,
            state=RequestState.VALIDATED,
            validated_by=radiologist,
            validated_at=timezone.now(),
        )
        slot = earliest_slots(
            procedure=facet,
            patient=bob,
            kind="procedure",
            not_before=procedure.end,
            request=bob_req,
            limit=1,
        )[0]
        assert timezone.localdate(slot.start) == timezone.localdate(procedure.start)
        appointment_book(
            patient=bob,
            kind="procedure",
            procedure=facet,
            start=slot.start,
            room=slot.room,
            radiologist=slot.radiologist,
            actor=radiologist,
            request=bob_req,
        )
        _login(page, url, bob.user.username, password, "/connexion/?next=/mon-espace/")
        _questionnaire(page, fever="yes", name="09-questionnaire-fever")

        # 4. Procedure day: reception checks both in; the technologist sees them arrived.
        clock.move_to(timezone.localtime(procedure.start) - timedelta(minutes=30))
        _login(page, url, receptionist.username, password)
        page.goto(url + "/equipe/arrivees/")
        _look(page, "10-reception")
        _click(page, "button", "Enregistrer l'arrivée : MARTIN Claire")
        assert page.get_by_text("Arrivée enregistrée : MARTIN Claire").is_visible()
        _click(page, "button", "Enregistrer l'arrivée : LEFÈVRE Bob")
        _look(page, "11-reception-arrived")
        _login(page, url, technologist.username, password)
        page.goto(url + "/equipe/liste-de-travail/")
        # Claire is 68: the engine asks no pregnancy question, so neither does the list.
        assert page.get_by_label("Grossesse possible ? MARTIN Claire").count() == 0
        _look(page, "12-worklist")
        # The technologist confirms the HAS checklist for Claire (the radiologist does too).
        page.goto(url + f"/equipe/demandes/{req.pk}/time-out/")
        for box in page.locator("#checklist input[value=yes]").all():
            box.check()
        _click(page, "button", "Confirmer la check-list (manipulateur)")

        # 5. Time-out: fever blocks Bob (postponed); the clean case passes.
        _login(page, url, radiologist.username, password)
        page.goto(url + "/equipe/tableau-de-bord/")
        _look(page, "13-dashboard-day")
        _click(page, "link", "LEFÈVRE Bob", exact=False)
        assert page.locator("[data-verdict=no_go]").count() == 1
        assert page.get_by_role("button", name="Valider la vérification et commencer").count() == 0
        _look(page, "14-timeout-blocked")
        page.get_by_label("Motif").fill("Fièvre déclarée : geste reporté après guérison.")
        _click(page, "button", "Reporter", exact=True)
        bob_req.refresh_from_db()
        assert bob_req.state == RequestState.VALIDATED

        page.goto(url + "/equipe/tableau-de-bord/")
        _click(page, "link", "MARTIN Claire", exact=False)
        _click(page, "link", "Time-out")
        assert page.locator("[data-verdict=go]").count() == 1
        _look(page, "15-timeout-go")
        for box in page.locator("#checklist input[value=yes]").all():
            box.check()
        _click(page, "button", "Confirmer la check-list, valider la vérification et commencer")

        # 6. Procedure record, then the report, signed.
        for label, value in (
            ("Voie d'abord", "postérieure"),
            ("Niveau(x)", "L4-L5"),
            ("Volume de contraste (mL)", "1"),
            ("Lot du contraste", "C123"),
            ("Dose (mg)", "40"),
            ("Lot du produit", "B456"),
            ("Temps de scopie (s)", "35"),
            ("Produit dose-surface (mGy·cm²)", "410"),
        ):
            _field(page, label).fill(value)
        page.get_by_label("Côté").select_option("bilateral")
        page.get_by_label("Contrôle par contraste", exact=True).select_option("arthrography")
        page.get_by_label("Produit de contraste").select_option(
            label="Omnipaque 300 (iohexol) 300 mg d'iode/mL"
        )
        page.get_by_label("Produit injecté").select_option(
            label="Depo-Medrol 40 mg/mL (méthylprednisolone (acétate)) 40 mg/mL"
        )
        page.get_by_label("Asepsie chirurgicale respectée").check()  # never pre-ticked
        _look(page, "16-record")
        _click(page, "button", "Enregistrer le geste")
        assert page.get_by_text("Geste enregistré").is_visible()
        page.get_by_label("Conclusion").fill("Infiltration réalisée sans incident.")
        _look(page, "17-report")
        _click(page, "button", "Signer et publier")
        assert page.get_by_text("Compte rendu signé et publié").is_visible()
        _look(page, "18-reported")
        req.refresh_from_db()
        assert req.state == RequestState.REPORTED

        # 7. The patient reads her report online.
        _login(page, url, "claire.martin@example.org", "une-phrase-secrete-42")
        page.goto(url + "/mon-espace/")
        assert page.get_by_text("Nouveaux résultats").is_visible()
        _click(page, "link", "Voir mes résultats")
        assert "410 mGy·cm²" in page.inner_text("main")
        _look(page, "19-my-results")

        # 8. 48 h later the reminder brings her back; she reports a warning sign.
        clock.move_to(timezone.localtime(procedure.start) + timedelta(hours=49))
        mail.outbox.clear()
        call_command("pathway_tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
        (reminder,) = [m for m in mail.outbox if m.to == ["claire.martin@example.org"]]
        link = reminder.body.split("http://127.0.0.1:8000")[1].split()[0]
        page.context.clear_cookies()
        page.goto(url + link)
        page.get_by_label("Identifiant").fill("claire.martin@example.org")
        page.get_by_label("Mot de passe").fill("une-phrase-secrete-42")
        _click(page, "button", "Se connecter")
        _look(page, "20-portal-followup-due")
        _click(page, "link", "Répondre au questionnaire de suivi")
        page.get_by_label("Votre douleur aujourd'hui", exact=False).fill("3")
        page.get_by_label("Faiblesse ou engourdissement nouveau d'un membre").check()
        _look(page, "21-followup")
        _click(page, "button", "Envoyer", exact=True)
        assert page.get_by_text("transmise au radiologue de garde").is_visible()

        # 9. The alert is on the radiologist's dashboard.
        _login(page, url, radiologist.username, password)
        page.goto(url + "/equipe/tableau-de-bord/")
        alert = page.get_by_role("alert").filter(has_text="MARTIN Claire")
        assert "Faiblesse ou engourdissement" in alert.inner_text()
        _look(page, "22-dashboard-alert")
