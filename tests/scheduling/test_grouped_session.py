"""During a crisis, a request whose lesions the policy groups is booked as one longer session."""

from datetime import timedelta

import pytest

from geste.crisis.services import crisis_start
from geste.pathway.booking import appointment_book, earliest_slots
from tests.scheduling.conftest import at, proc, validated_request

pytestmark = pytest.mark.django_db


def _book(centre, alice, request):  # type: ignore[no-untyped-def]
    return appointment_book(
        patient=alice,
        kind="procedure",
        procedure=request.procedure,
        start=at("2026-03-12", "09:00"),
        room=centre.room1,
        radiologist=centre.radio,
        actor=centre.radio,
        request=request,
    )


def test_grouped_lesions_make_one_longer_session_during_a_crisis(centre, alice) -> None:  # type: ignore[no-untyped-def]
    crisis_start(policy_id="covid19-aphp-2020", actor=centre.radio)
    request = validated_request(
        alice, "vertebroplasty_tumoral", lesion_count=3, clinicians_confirmed=True, severe_pain=True
    )
    base = proc("vertebroplasty_tumoral").duration_min
    appointment = _book(centre, alice, request)
    assert appointment.end - appointment.start > timedelta(minutes=base)
    # Staff's list (the crisis gate offers the patient no time while an input is unknown).
    slots = earliest_slots(
        procedure=request.procedure,
        patient=alice,
        kind="procedure",
        request=request,
        actor=centre.radio,
    )
    assert slots
    assert slots[0].end - slots[0].start == appointment.end - appointment.start


def test_outside_a_crisis_the_catalogue_duration_applies(centre, alice) -> None:  # type: ignore[no-untyped-def]
    request = validated_request(alice, "vertebroplasty_tumoral", lesion_count=3)
    appointment = _book(centre, alice, request)
    assert appointment.end - appointment.start == timedelta(
        minutes=proc("vertebroplasty_tumoral").duration_min
    )
