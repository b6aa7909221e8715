"""Reminders (idempotent, minimal content, .ics) and the waiting list."""

from __future__ import annotations

import pytest
from django.core import mail

from geste.clinic import sms
from geste.pathway.booking import appointment_book, appointment_cancel
from geste.pathway.offers import offer_accept
from geste.pathway.tasks import send_due_reminders, send_reminder
from geste.pathway.waitlist import offers_expire, waitlist_join, waitlist_reorder
from geste.scheduling.errors import BookingError
from geste.scheduling.models import OfferStatus, ReminderSent, WaitlistOffer
from tests.factories import make_patient
from tests.scheduling.conftest import at, proc, validated_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_sms():  # type: ignore[no-untyped-def]
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _book(centre, patient, actor, *, kind="procedure", code="epidural_infiltration", **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("start", at("2026-03-11", "09:00"))
    kw.setdefault("room", centre.room1)
    kw.setdefault("radiologist", centre.radio)
    return appointment_book(patient=patient, kind=kind, procedure=proc(code), actor=actor, **kw)


def test_reminder_sent_once_with_ics_and_blood_test_line(centre, alice, receptionist):
    validated_request(alice, "epidural_infiltration")
    appt = _book(centre, alice, receptionist)
    assert send_due_reminders.enqueue().return_value == 1
    send_reminder.enqueue(appt.pk)  # a second run sends nothing
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    message = mail.outbox[0]
    assert "09:00" in message.body and "Centre test" in message.body
    assert "prise de sang" in message.body
    assert "/connexion/" in message.body
    for text in (message.body, sms.outbox[0].body):
        assert "péridurale" not in text.lower() and "infiltration" not in text.lower()
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".ics") and mimetype == "text/calendar" and "DTSTART" in str(content)
    assert ReminderSent.objects.filter(appointment=appt).count() == 2


def test_consultation_reminder_has_no_blood_test_line(centre, alice, receptionist):
    _book(centre, alice, receptionist, kind="consultation", start=at("2026-03-10", "09:00"))
    send_due_reminders.enqueue()
    assert "prise de sang" not in mail.outbox[0].body


def test_not_yet_due_is_not_sent(centre, alice, receptionist):
    _book(centre, alice, receptionist, kind="consultation", start=at("2026-03-13", "09:00"))
    assert send_due_reminders.enqueue().return_value == 0
    assert mail.outbox == []


def test_waitlist_offer_on_cancel_and_accept(
    centre, alice, bob, receptionist, django_capture_on_commit_callbacks
):
    validated_request(alice, "facet_infiltration")
    request_b = validated_request(bob, "facet_infiltration", severe_pain=True)
    early = _book(
        centre, alice, receptionist, code="facet_infiltration", start=at("2026-03-10", "09:00")
    )
    late = _book(
        centre, bob, receptionist, code="facet_infiltration", start=at("2026-03-20", "09:00")
    )
    carol = make_patient("Carole", "Petit")
    validated_request(carol, "facet_infiltration")
    waitlist_join(request=request_b, actor=bob.user)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=early, actor=receptionist, reason="empêchement")
    offer = WaitlistOffer.objects.get()
    assert offer.entry.patient == bob and offer.start == at("2026-03-10", "09:00")
    assert offer.expires_at == at("2026-03-09", "09:00")  # 2 h (frozen at 07:00)
    with django_capture_on_commit_callbacks(execute=True):
        moved = offer_accept(offer=offer, actor=bob.user)
    assert moved.pk == late.pk and moved.start == at("2026-03-10", "09:00")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    with pytest.raises(BookingError):
        offer_accept(offer=offer, actor=bob.user)


def test_expired_offer_goes_to_the_next(
    centre, alice, bob, receptionist, frozen, django_capture_on_commit_callbacks
):
    first_req = validated_request(alice, "facet_infiltration")
    second_req = validated_request(bob, "facet_infiltration")
    other = make_patient("Zoé", "Autre")
    validated_request(other, "facet_infiltration")
    freed = _book(
        centre, other, receptionist, code="facet_infiltration", start=at("2026-03-10", "09:00")
    )
    waitlist_join(request=first_req, actor=receptionist)
    entry_b = waitlist_join(request=second_req, actor=receptionist)
    with pytest.raises(BookingError):
        waitlist_reorder(entry=entry_b, priority=1, actor=receptionist, reason="")
    waitlist_reorder(entry=entry_b, priority=1, actor=receptionist, reason="douleur majeure")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=freed, actor=receptionist, reason="x")
    assert WaitlistOffer.objects.get().entry.patient == bob  # reordered first
    frozen.move_to(at("2026-03-09", "09:30"))
    with django_capture_on_commit_callbacks(execute=True):
        assert offers_expire() == 1
    pending = WaitlistOffer.objects.get(status=OfferStatus.PENDING)
    assert pending.entry.patient == alice


def test_waitlist_needs_a_validated_indication(centre, alice, receptionist):
    from geste.pathway.models import ProcedureRequest

    request = ProcedureRequest.objects.create(patient=alice, procedure=proc("facet_infiltration"))
    with pytest.raises(BookingError):
        waitlist_join(request=request, actor=receptionist)
