"""A held waiting-list offer blocks its slot for others; the periodic tick (cron command, tasks)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from geste.clinic import sms
from geste.pathway.booking import appointment_book, appointment_cancel, earliest_slots
from geste.pathway.offers import offer_accept, offer_decline
from geste.pathway.tasks import expire_offers
from geste.pathway.waitlist import waitlist_join
from geste.scheduling.errors import SlotTaken
from geste.scheduling.models import OfferStatus, ReminderSent, WaitlistOffer
from tests.factories import make_patient
from tests.scheduling.conftest import at, proc, validated_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_sms():  # type: ignore[no-untyped-def]
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _book(centre, patient, actor, start, code="facet_infiltration"):  # type: ignore[no-untyped-def]
    return appointment_book(
        patient=patient,
        kind="procedure",
        procedure=proc(code),
        start=start,
        room=centre.room1,
        radiologist=centre.radio,
        actor=actor,
    )


@pytest.fixture
def held(centre, alice, bob, receptionist, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Alice's 10 March 09:00 is cancelled; Bob (waiting, booked on the 20th) is offered it."""
    validated_request(alice)
    request_b = validated_request(bob)
    early = _book(centre, alice, receptionist, at("2026-03-10", "09:00"))
    _book(centre, bob, receptionist, at("2026-03-20", "09:00"))
    waitlist_join(request=request_b, actor=bob.user)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=early, actor=receptionist, reason="empêchement")
    return WaitlistOffer.objects.get(status=OfferStatus.PENDING)


def test_held_offer_blocks_booking_by_someone_else(held, centre, receptionist):
    carol = make_patient("Carole", "Petit")
    validated_request(carol)
    with pytest.raises(SlotTaken, match="liste d'attente"):
        _book(centre, carol, receptionist, at("2026-03-10", "09:00"))
    # The slot search does not offer it either (nor the quarter-hours that overlap it).
    found = earliest_slots(
        procedure=proc("facet_infiltration"),
        patient=carol,
        kind="procedure",
        not_before=at("2026-03-10", "08:30"),
        limit=4,
    )
    assert [o.start for o in found] == [
        at("2026-03-10", "08:30"),  # ends at 09:00, when the held time starts
        at("2026-03-10", "09:30"),
        at("2026-03-10", "09:45"),
        at("2026-03-10", "10:00"),
    ]


def test_the_holder_can_accept_it(held, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        moved = offer_accept(offer=held, actor=bob.user)
    assert moved.start == at("2026-03-10", "09:00")


def test_declined_offer_frees_the_slot(held, centre, bob, receptionist):
    offer_decline(offer=held, actor=bob.user)
    carol = make_patient("Carole", "Petit")
    validated_request(carol)
    assert _book(centre, carol, receptionist, at("2026-03-10", "09:00")).pk


def test_expired_offer_frees_the_slot(held, centre, receptionist, frozen):
    frozen.move_to(at("2026-03-09", "09:01"))  # the 2-hour hold is over
    assert expire_offers.enqueue().return_value == 1
    carol = make_patient("Carole", "Petit")
    validated_request(carol)
    assert _book(centre, carol, receptionist, at("2026-03-10", "09:00")).pk


def test_no_offer_for_a_time_taken_meanwhile(centre, alice, bob, receptionist):
    """offer_next re-checks under the lock: a time booked since it was freed is not offered."""
    from geste.pathway.waitlist import offer_next

    request_b = validated_request(bob)
    _book(centre, bob, receptionist, at("2026-03-20", "09:00"))
    waitlist_join(request=request_b, actor=bob.user)
    validated_request(alice)
    _book(centre, alice, receptionist, at("2026-03-10", "09:00"))
    made = offer_next(
        start=at("2026-03-10", "09:00"),
        end=at("2026-03-10", "09:30"),
        room=centre.room1,
        radiologist_id=centre.radio.pk,
    )
    assert made == 0 and not WaitlistOffer.objects.exists()


def test_scheduling_tick_sends_reminders_once_and_expires_offers(
    held, centre, alice, receptionist, frozen
):
    carol = make_patient("Carole", "Petit", email="carole@example.org")
    appointment_book(
        patient=carol,
        kind="consultation",
        procedure=proc("facet_infiltration"),
        start=at("2026-03-10", "11:00"),
        room=centre.room2,
        radiologist=centre.radio,
        actor=receptionist,
    )
    frozen.move_to(at("2026-03-09", "09:01"))
    out = StringIO()
    call_command("scheduling_tick", stdout=out)
    assert "1 offer(s) expired" in out.getvalue()
    assert ReminderSent.objects.filter(appointment__patient=carol).exists()
    sent = len(mail.outbox)
    assert sent >= 1
    assert "Carole" not in out.getvalue() and "Petit" not in out.getvalue()
    out = StringIO()
    call_command("scheduling_tick", stdout=out)  # a second run: nothing new
    assert "0 reminder(s) sent, 0 offer(s) expired" in out.getvalue()
    assert len(mail.outbox) == sent
    assert WaitlistOffer.objects.get(pk=held.pk).status == OfferStatus.EXPIRED


def test_scheduling_tick_can_enqueue(centre):
    out = StringIO()
    call_command("scheduling_tick", "--enqueue", stdout=out)
    assert "enqueued" in out.getvalue()
