"""Booking the procedure from the earliest slots proposed on the request page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geste.pathway.booking import earliest_slots
from geste.pathway.models import RequestState
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, AppointmentKind
from tests.conftest import client_for
from tests.scheduling.conftest import build_centre, frozen, validated_request  # noqa: F401

pytestmark = pytest.mark.django_db


def test_slots_proposed_and_booked(frozen, alice, radiologist, receptionist):  # noqa: F811
    build_centre(radiologist)
    req = validated_request(alice, validated_by=radiologist)
    client = client_for(receptionist)
    page = client.get(reverse("staff:request_detail", args=[req.pk])).content.decode()
    assert "Programmer à ce créneau" in page
    slot = earliest_slots(
        procedure=req.procedure, patient=alice, kind="procedure", limit=1, request=req
    )[0]
    value = slot_value(slot.start, slot.room.pk, slot.radiologist.pk)
    assert f'value="{value}"' in page
    resp = client.post(reverse("staff:procedure_book", args=[req.pk]), {"slot": value})
    assert resp.status_code == 302
    appt = Appointment.objects.get(request=req, kind=AppointmentKind.PROCEDURE)
    assert appt.start == slot.start and appt.booked_by == receptionist
    req.refresh_from_db()
    assert req.state == RequestState.PROCEDURE_BOOKED
    # Booked once: a second post is refused with a message, nothing written.
    again = client.post(
        reverse("staff:procedure_book", args=[req.pk]), {"slot": value}, follow=True
    )
    assert "ne peut être programmé" in again.content.decode()
    assert Appointment.objects.filter(request=req).count() == 1


def test_bad_or_taken_slot_is_refused(frozen, alice, bob, radiologist):  # noqa: F811
    build_centre(radiologist)
    req = validated_request(alice, validated_by=radiologist)
    client = client_for(radiologist)
    url = reverse("staff:procedure_book", args=[req.pk])
    assert "Choisissez un créneau" in client.post(url, {"slot": "x"}, follow=True).content.decode()
    slot = earliest_slots(
        procedure=req.procedure, patient=alice, kind="procedure", limit=1, request=req
    )[0]
    value = slot_value(slot.start, slot.room.pk, slot.radiologist.pk)
    other = validated_request(bob, validated_by=radiologist)
    assert client.post(reverse("staff:procedure_book", args=[other.pk]), {"slot": value})
    page = client.post(url, {"slot": value}, follow=True).content.decode()
    assert 'class="message error"' in page
    assert not Appointment.objects.filter(request=req).exists()
