"""Slot holds (scheduling.SlotHold): the booking re-check and the slot search keep a held time
from everyone but the patient it is held for, until it expires or is spent."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from geste.pathway.booking import appointment_book, appointment_cancel, earliest_slots
from geste.pathway.waitlist import waitlist_join
from geste.scheduling.errors import SlotTaken
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    HoldStatus,
    SlotHold,
    WaitlistOffer,
)
from geste.scheduling.selectors import search_slots
from geste.scheduling.services import check_free
from tests.factories import make_patient
from tests.scheduling.conftest import at, proc, validated_request

pytestmark = pytest.mark.django_db
FACET = "facet_infiltration"
START = at("2026-03-10", "09:00")


def _hold(centre, holder, patient, *, room=None, minutes=5, **kw):  # type: ignore[no-untyped-def]
    return SlotHold.objects.create(
        room=room or centre.room1,
        radiologist=centre.radio,
        patient=patient,
        kind=AppointmentKind.PROCEDURE,
        procedure=proc(FACET),
        start=START,
        end=START + timedelta(minutes=50),
        expires_at=timezone.now() + timedelta(minutes=minutes),
        holder=holder,
        **kw,
    )


def _check(centre, patient, *, room=None, start=START):  # type: ignore[no-untyped-def]
    check_free(
        start=start,
        end=start + timedelta(minutes=20),
        room=room or centre.room1,
        radiologist=centre.radio,
        patient=patient,
        exclude=None,
    )


def test_check_free_refuses_a_time_held_for_another_patient(centre, alice, bob, receptionist):
    _hold(centre, receptionist, alice)
    with pytest.raises(SlotTaken, match="retenu pour un autre patient"):
        _check(centre, bob)
    # the radiologist is held too: another room at that time is refused as well
    with pytest.raises(SlotTaken, match="retenu"):
        _check(centre, bob, room=centre.room2, start=START + timedelta(minutes=30))
    _check(centre, bob, start=START + timedelta(minutes=50))  # right after the hold: free


def test_the_held_patient_is_let_through_and_books(centre, alice, bob, receptionist):
    """A hold keeps the time from Bob, not from Alice, for whom it was taken."""
    validated_request(alice, FACET)
    _hold(centre, receptionist, alice)
    with pytest.raises(SlotTaken):
        _check(centre, bob)
    _check(centre, alice)
    appointment = appointment_book(
        patient=alice,
        kind=AppointmentKind.PROCEDURE,
        procedure=proc(FACET),
        start=START,
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    assert appointment.start == START


def test_a_hold_naming_no_patient_keeps_the_time_from_everyone(centre, alice, receptionist):
    _hold(centre, receptionist, None)
    with pytest.raises(SlotTaken):
        _check(centre, alice)


def test_only_a_held_unexpired_hold_keeps_the_time(centre, alice, bob, receptionist):
    hold = _hold(centre, receptionist, alice)
    with pytest.raises(SlotTaken):
        _check(centre, bob)
    for status in (HoldStatus.BOOKED, HoldStatus.RELEASED):
        SlotHold.objects.filter(pk=hold.pk).update(status=status)
        _check(centre, bob)
    SlotHold.objects.filter(pk=hold.pk).update(status=HoldStatus.HELD)
    with time_machine.travel(hold.expires_at, tick=False):  # expired at that very instant
        _check(centre, bob)


def _offered(patient, centre):  # type: ignore[no-untyped-def]
    return {
        (o.start, o.end, o.room.pk)
        for o in search_slots(
            procedure=proc(FACET),
            kind=AppointmentKind.PROCEDURE,
            not_before=at("2026-03-10", "08:00"),
            not_after=at("2026-03-10", "12:00"),
            patient=patient,
            limit=None,
        )
    }


def test_slot_search_hides_a_held_time_from_others_until_it_expires(
    centre, alice, bob, receptionist
):  # type: ignore[no-untyped-def]
    before = _offered(bob, centre)
    hold = _hold(centre, receptionist, alice)
    assert any(start == START for start, _end, _room in before)
    for patient in (bob, None):
        # one radiologist: no room is offered while the hold keeps her
        assert not [
            s for s in _offered(patient, centre) if s[0] < hold.end and s[1] > hold.start
        ], patient
    assert _offered(alice, centre) == before  # her own hold: the time is hers to book
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert _offered(bob, centre) == before


def test_earliest_slots_skip_the_held_time_for_another_patient(centre, alice, bob, receptionist):  # type: ignore[no-untyped-def]
    validated_request(bob, FACET)
    first = earliest_slots(procedure=proc(FACET), patient=bob, kind="procedure", limit=1)[0]
    SlotHold.objects.create(
        room=first.room,
        radiologist=first.radiologist,
        patient=alice,
        kind=AppointmentKind.PROCEDURE,
        procedure=proc(FACET),
        start=first.start,
        end=first.end,
        expires_at=timezone.now() + timedelta(minutes=5),
        holder=receptionist,
    )
    now = earliest_slots(procedure=proc(FACET), patient=bob, kind="procedure", limit=3)
    assert all(o.start >= first.end for o in now)


def test_no_waiting_list_offer_on_a_held_time(  # type: ignore[no-untyped-def]
    centre, alice, bob, receptionist, django_capture_on_commit_callbacks
):
    validated_request(alice, FACET)
    request_b = validated_request(bob, FACET, severe_pain=True)
    early = appointment_book(
        patient=alice,
        kind="procedure",
        procedure=proc(FACET),
        start=START,
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    appointment_book(
        patient=bob,
        kind="procedure",
        procedure=proc(FACET),
        start=at("2026-03-20", "09:00"),
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    waitlist_join(request=request_b, actor=bob.user)
    _hold(centre, receptionist, make_patient("Carole", "Petit"))
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=early, actor=receptionist, reason="empêchement")
    assert not WaitlistOffer.objects.exists()
    assert Appointment.objects.filter(patient=bob).get().start == at("2026-03-20", "09:00")
