"""The product's journeys in a real browser (issue 13, "done means"), every step by clicks, axe
watching every page (tests/e2e/a11y.py):

1. a newcomer books a consultation online (account created) and is confirmed;
2. once her indication is validated she books her procedure herself ("Programmer mon geste",
   earliest safe time, one click), then moves it and cancels it herself;
3. reception moves her appointment in the planner and she is told;
4. a worrying follow-up answer pages the radiologist on duty, who acknowledges it; an
   unacknowledged page escalates to the next on duty after 30 minutes.

Each journey checks what the patient (or the radiologist) is really sent: the message, its
SentMessage rows, minimal content (no procedure name), links built from settings.SITE_URL.

The clock: each test starts on a fixed Monday 07:30 (Paris) a week or two ahead (time_machine,
ticking), so that slots, the patient's change cut-off and the follow-up's due time do not depend
on the weekday the suite runs; cookies set by the server's clock stay valid in the browser.
The centre (rooms, hours, roster) and the states before each journey are set up with services
and factories; what the journey is about is done in the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import timezone

from geste import PARIS
from geste.audit.models import AuditEvent
from geste.clinic import sms
from geste.clinic.models import MessageStatus, Procedure, Role, SentMessage
from geste.pathway.alerts import ESCALATE_AFTER, PAGE_KIND, alert_acknowledge, alerts_escalate
from geste.pathway.booking import appointment_book, earliest_slots
from geste.pathway.models import AlertPage, DutyShift, FollowUp, ProcedureRequest, RequestState
from geste.pathway.services_after import followup_answer
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from tests.e2e.conftest import screenshot
from tests.factories import make_user
from tests.pathway.factories import make_request
from tests.scheduling.conftest import build_centre

pytestmark = pytest.mark.django_db(transaction=True)

FACET = "facet_infiltration"


@pytest.fixture(autouse=True)
def _outboxes() -> Iterator[None]:
    mail.outbox.clear()
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def clock() -> Iterator[Any]:
    """A Monday 07:30 in Paris, a week after today at least; the clock ticks."""
    day = timezone.localdate() + timedelta(days=7)
    day += timedelta(days=(7 - day.weekday()) % 7)
    with time_machine.travel(datetime.combine(day, time(7, 30), tzinfo=PARIS), tick=True) as c:
        yield c


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


def _shot(page: Any, name: str) -> None:
    """The journey's key step: a screenshot (tests/e2e/screenshots/journey_<name>.png)."""
    page.wait_for_load_state("networkidle")
    screenshot(page, f"journey_{name}")
    assert page.console_errors == [], (name, page.console_errors)


def _main(page: Any) -> str:
    return str(page.inner_text("main"))


def _minimal(body: str, procedure: Procedure) -> None:
    """A message to a patient names no procedure, and its links lead to the site's address."""
    lowered = body.lower()
    for name in (procedure.label, procedure.plain_label, procedure.code, "infiltration"):
        assert name and name.lower() not in lowered, (name, body)
    links = re.findall(r"https?://\S+", body)
    assert links, body
    assert all(link.startswith(settings.SITE_URL.rstrip("/") + "/") for link in links), links


def _hhmm(moment: datetime) -> str:
    return timezone.localtime(moment, PARIS).strftime("%H:%M")


# ---------------------------------------------------------------- 1. booked online, confirmed


def test_new_patient_books_online_and_is_confirmed(
    page: Any, live_server: Any, radiologist: Any, clock: Any
) -> None:
    url = live_server.url
    build_centre(radiologist)
    facet = Procedure.objects.get(code=FACET)
    page.goto(url + "/prendre-rendez-vous/")
    page.get_by_label("Injection dans les petites articulations", exact=False).check()
    _click(page, "button", "Voir les créneaux")
    page.locator("input[name=slot]").first.check()
    page.get_by_label("Nom d'usage").fill("Roux")
    page.get_by_label("Prénoms").fill("Inès")
    page.get_by_label("Date de naissance").fill("1972-09-30")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_label("Téléphone portable").fill("06 12 34 56 78")
    page.get_by_label("Adresse e-mail").fill("ines.roux@example.org")
    page.locator("#id_password1").fill("une-phrase-secrete-42")
    page.locator("#id_password2").fill("une-phrase-secrete-42")
    _click(page, "button", "Réserver ce créneau")
    assert page.get_by_role("heading", name="Consultez votre messagerie").is_visible()

    consultation = Appointment.objects.select_related("patient").get(
        patient__email="ines.roux@example.org"
    )
    assert consultation.kind == AppointmentKind.CONSULTATION
    assert consultation.status == AppointmentStatus.BOOKED
    assert ProcedureRequest.objects.get(pk=consultation.request_id).state == (
        RequestState.CONSULTATION_BOOKED
    )
    # Confirmed: one e-mail, recorded, with the time and a link to log in; no procedure.
    (message,) = [m for m in mail.outbox if m.to == ["ines.roux@example.org"]]
    start = timezone.localtime(consultation.start, PARIS)
    assert start.strftime("%d/%m/%Y") in message.body and _hhmm(start) in message.body
    _minimal(message.body, facet)
    assert settings.SITE_URL.rstrip("/") + "/connexion/" in message.body
    recorded = SentMessage.objects.filter(patient=consultation.patient, kind="booked")
    assert [(m.channel, m.status) for m in recorded] == [("email", MessageStatus.SENT)]

    # She logs in: her space and "Mes rendez-vous" show the consultation at that time.
    _login(page, url, "ines.roux@example.org", "une-phrase-secrete-42")
    page.goto(url + "/mon-espace/")
    home = _main(page)
    assert "Mon prochain rendez-vous" in home and _hhmm(start) in home
    assert "Consultation avec le radiologue" in home
    page.goto(url + "/mon-espace/rendez-vous/")
    upcoming = page.get_by_role("article").filter(has_text="Consultation")
    assert upcoming.count() == 1 and _hhmm(start) in upcoming.inner_text()
    _shot(page, "1_confirmed")


# ------------------------------------------------- 2. she books her procedure, moves, cancels


def test_patient_books_her_procedure_then_moves_and_cancels_it(
    page: Any, live_server: Any, radiologist: Any, alice: Any, password: str, clock: Any
) -> None:
    url = live_server.url
    build_centre(radiologist)
    req = make_request(alice, FACET, state=RequestState.VALIDATED, validated_by=radiologist)

    _login(page, url, alice.user.username, password)
    page.goto(url + "/mon-espace/")
    _click(page, "link", "Programmer mon geste")
    # The earliest safe time is the first button: one click books it.
    first = page.get_by_role("button", name=re.compile("^Réserver le ")).first
    label = first.inner_text()
    _shot(page, "2_my_procedure")
    with page.expect_navigation():
        first.click()
    page.wait_for_load_state("networkidle")
    assert "Votre geste est programmé" in _main(page)

    booked = Appointment.objects.get(request=req, kind=AppointmentKind.PROCEDURE)
    assert booked.status == AppointmentStatus.BOOKED and booked.booked_by == alice.user
    assert _hhmm(booked.start) in label
    req.refresh_from_db()
    assert req.state == RequestState.PROCEDURE_BOOKED
    (told,) = [m for m in mail.outbox if m.to == [alice.email]]
    assert told.subject == "Votre rendez-vous est confirmé" and _hhmm(booked.start) in told.body
    _minimal(told.body, req.procedure)
    assert {
        m.channel
        for m in SentMessage.objects.filter(patient=alice, kind="procedure_booked", status="sent")
    } == {"email", "sms"}
    # The card on her space is gone: the geste is booked.
    page.goto(url + "/mon-espace/")
    assert page.get_by_role("link", name="Programmer mon geste").count() == 0

    # She moves it herself: another time, one click on it and one on "Déplacer à ce créneau".
    page.goto(url + "/mon-espace/rendez-vous/")
    _click(page, "link", "Déplacer")
    page.locator("input[name=slot]").nth(1).check()
    _click(page, "button", "Déplacer à ce créneau")
    assert "Votre rendez-vous a été déplacé" in _main(page)
    moved = Appointment.objects.get(pk=booked.pk)
    assert moved.start != booked.start and moved.status == AppointmentStatus.BOOKED
    (news,) = [m for m in mail.outbox if m.subject == "Votre rendez-vous a changé"]
    assert _hhmm(moved.start) in news.body
    _minimal(news.body, req.procedure)
    assert _hhmm(moved.start) in page.get_by_role("article").first.inner_text()

    # And cancels it, with a reason: the request goes back to be booked again.
    _click(page, "link", "Annuler")
    page.get_by_label("Motif de l'annulation").fill("Je pars en voyage")
    _click(page, "button", "Annuler le rendez-vous")
    assert "Votre rendez-vous est annulé" in _main(page)
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.CANCELLED
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
    (gone,) = [m for m in mail.outbox if m.subject == "Votre rendez-vous est annulé"]
    _minimal(gone.body, req.procedure)
    page.goto(url + "/mon-espace/")
    assert page.get_by_role("link", name="Programmer mon geste").count() == 1


# ------------------------------------------------------- 3. reception moves it, she is told


def test_reception_moves_her_appointment_and_she_is_told(
    page: Any,
    live_server: Any,
    radiologist: Any,
    receptionist: Any,
    alice: Any,
    password: str,
    clock: Any,
) -> None:
    url = live_server.url
    centre = build_centre(radiologist)
    req = make_request(alice, FACET, state=RequestState.VALIDATED, validated_by=radiologist)
    slot = earliest_slots(
        procedure=req.procedure,
        patient=alice,
        kind=AppointmentKind.PROCEDURE,
        request=req,
        not_before=timezone.now() + timedelta(days=3),
        limit=1,
    )[0]
    appt = appointment_book(
        patient=alice,
        kind=AppointmentKind.PROCEDURE,
        procedure=req.procedure,
        start=slot.start,
        room=slot.room,
        radiologist=slot.radiologist,
        actor=receptionist,
        request=req,
    )
    mail.outbox.clear()
    sms.outbox.clear()
    SentMessage.objects.all().delete()

    _login(page, url, receptionist.username, password)
    day = timezone.localtime(appt.start, PARIS).date()
    page.goto(f"{url}/equipe/planning/?jour={day.isoformat()}")
    assert page.get_by_text("MOREAU Alice").first.is_visible()
    _click(page, "link", "Déplacer")
    new_start = timezone.localtime(appt.start, PARIS) + timedelta(hours=2)
    page.get_by_label("Heure").fill(new_start.strftime("%H:%M"))
    page.get_by_label("Salle").select_option(str(centre.room2.pk))
    page.get_by_label("Motif").fill("Panne de la salle 1")
    _shot(page, "3_reception_move")
    _click(page, "button", "Déplacer")
    assert "Rendez-vous déplacé" in _main(page), _main(page)
    appt.refresh_from_db()
    assert appt.start == new_start and appt.room == centre.room2

    # She is told, by e-mail and SMS, with the new time and no procedure.
    (news,) = [m for m in mail.outbox if m.to == [alice.email]]
    assert news.subject == "Votre rendez-vous a changé" and _hhmm(new_start) in news.body
    _minimal(news.body, req.procedure)
    (text,) = [s for s in sms.outbox if s.to == alice.phone]
    assert _hhmm(new_start) in text.body
    _minimal(text.body, req.procedure)
    assert sorted(
        SentMessage.objects.filter(patient=alice, kind="moved", status="sent").values_list(
            "channel", flat=True
        )
    ) == ["email", "sms"]

    # Her space shows the new time.
    _login(page, url, alice.user.username, password)
    page.goto(url + "/mon-espace/rendez-vous/")
    card = page.get_by_role("article").first.inner_text()
    assert _hhmm(new_start) in card and "Salle 2" in card
    page.goto(url + "/mon-espace/")
    assert _hhmm(new_start) in _main(page)


# ----------------------------------------- 4. a worrying follow-up reaches the duty radiologist


def _duty(clock_now: datetime) -> tuple[Any, Any]:
    """Two radiologists on duty now: Dr Petit is paged first, Dr Garnier next."""
    first = make_user("petit", Role.RADIOLOGIST, first_name="Louis", last_name="Petit")
    second = make_user("garnier", Role.RADIOLOGIST, first_name="Anne", last_name="Garnier")
    start, end = clock_now - timedelta(hours=2), clock_now + timedelta(hours=12)
    DutyShift.objects.create(radiologist=first, start=start, end=end, order=1, phone="0611000001")
    DutyShift.objects.create(radiologist=second, start=start, end=end, order=2, phone="0611000002")
    return first, second


def _followup_due(alice: Any, radiologist: Any) -> FollowUp:
    """Her geste was done and reported two days ago; the 48-72 h questionnaire is due."""
    req = make_request(alice, FACET, state=RequestState.REPORTED, validated_by=radiologist)
    return FollowUp.objects.create(request=req, due_at=timezone.now() - timedelta(hours=1))


def test_worrying_followup_pages_the_radiologist_on_duty_who_acknowledges(
    page: Any,
    live_server: Any,
    radiologist: Any,
    alice: Any,
    password: str,
    clock: Any,
) -> None:
    url = live_server.url
    build_centre(radiologist)
    on_duty, _next = _duty(timezone.now())
    followup = _followup_due(alice, radiologist)

    _login(page, url, alice.user.username, password)
    page.goto(url + "/mon-espace/")
    _click(page, "link", "Répondre au questionnaire de suivi")
    page.get_by_label("Votre douleur aujourd'hui", exact=False).fill("6")
    page.get_by_label("Faiblesse ou engourdissement nouveau d'un membre").check()
    page.get_by_label("Autre chose à signaler").fill("La jambe gauche lâche depuis hier.")
    _click(page, "button", "Envoyer", exact=True)
    # What she is told is what happens: the radiologist on duty is paged; 15 if urgent.
    told = _main(page)
    assert "transmise au radiologue de garde" in told and "appelez le 15" in told

    followup.refresh_from_db()
    assert followup.alert and followup.answered_at is not None
    (paged,) = AlertPage.objects.filter(followup=followup)
    assert paged.radiologist == on_duty and paged.acknowledged_at is None
    # The page reaches him by e-mail and SMS; it names no patient, symptom or procedure.
    (email,) = [m for m in mail.outbox if m.to == [on_duty.email]]
    (text,) = [s for s in sms.outbox if s.to == "0611000001"]
    for body in (email.body, text.body):
        assert "Moreau" not in body and "jambe" not in body.lower()
        _minimal(body, followup.request.procedure)
        assert "/equipe/tableau-de-bord/" in body
    assert sorted(
        SentMessage.objects.filter(kind=PAGE_KIND, status="sent").values_list("channel", flat=True)
    ) == ["email", "sms"]
    assert AuditEvent.objects.filter(action="followup.alert_paged").count() == 1
    # Not yet escalated before 30 minutes.
    assert alerts_escalate(timezone.now() + ESCALATE_AFTER - timedelta(minutes=1)) == 0

    # The radiologist on duty follows the link, sees the alert and takes it.
    link = email.body.split(settings.SITE_URL.rstrip("/"))[1].split()[0]
    page.context.clear_cookies()
    page.goto(url + link)
    page.get_by_label("Identifiant").fill(on_duty.username)
    page.get_by_label("Mot de passe").fill(password)
    _click(page, "button", "Se connecter")
    alert = page.get_by_role("alert").filter(has_text="MOREAU Alice")
    assert "Faiblesse ou engourdissement" in alert.inner_text()
    assert "La jambe gauche lâche depuis hier." in alert.inner_text()
    assert "Radiologue de garde prévenu : Dr Louis Petit" in alert.inner_text()
    _click(page, "button", "Je prends l'alerte")
    assert "Alerte prise en charge" in _main(page)
    # The dashboard now says who took it, and offers no second "Je prends l'alerte".
    alert = page.get_by_role("alert").filter(has_text="MOREAU Alice")
    assert "Prise en charge par Dr Louis Petit" in alert.inner_text()
    assert alert.get_by_role("button", name="Je prends l'alerte").count() == 0
    _shot(page, "4_duty_alert_taken")

    paged.refresh_from_db()
    assert paged.acknowledged_at is not None and paged.acknowledged_by == on_duty
    ack = AuditEvent.objects.get(action="followup.alert_acknowledged")
    assert ack.actor_id == on_duty.pk
    # Acknowledged: nobody else is paged, even long after.
    assert alerts_escalate(timezone.now() + 2 * ESCALATE_AFTER) == 0
    assert AlertPage.objects.filter(followup=followup).count() == 1


def test_unacknowledged_page_escalates_to_the_next_on_duty(
    reference_data: None, radiologist: Any, alice: Any, clock: Any
) -> None:
    """Not a browser step: nobody takes the alert, and after 30 minutes the periodic task
    pages the next radiologist on duty (e-mail and SMS), once."""
    on_duty, after = _duty(timezone.now())
    followup = _followup_due(alice, radiologist)
    followup_answer(
        followup=followup,
        actor=alice.user,
        pain_now=6,
        adverse_events=["weakness_numbness"],
        comment="",
    )
    assert [p.radiologist for p in AlertPage.objects.filter(followup=followup)] == [on_duty]
    mail.outbox.clear()
    sms.outbox.clear()
    later = timezone.now() + ESCALATE_AFTER + timedelta(minutes=1)
    assert alerts_escalate(later) == 1
    assert alerts_escalate(later) == 0  # idempotent
    assert [p.radiologist for p in AlertPage.objects.filter(followup=followup)] == [
        on_duty,
        after,
    ]
    assert [m.to for m in mail.outbox] == [[after.email]]
    assert [s.to for s in sms.outbox] == ["0611000002"]
    # The second one takes it: both pages are closed, in his name.
    assert alert_acknowledge(followup=followup, actor=after) == 2
    assert {
        (p.acknowledged_by_id, p.acknowledged_at is not None)
        for p in AlertPage.objects.filter(followup=followup)
    } == {(after.pk, True)}
    assert alerts_escalate(later + 2 * ESCALATE_AFTER) == 0
