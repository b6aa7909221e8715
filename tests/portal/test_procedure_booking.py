"""The patient books her procedure herself once it is validated (issue 13, point 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from geste.clinic.models import CentreSettings, SentMessage
from geste.pathway.booking import earliest_slots
from geste.pathway.models import RequestState
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, AppointmentKind
from tests.pathway.factories import declare
from tests.scheduling.conftest import NOW, at, centre, frozen, validated_request  # noqa: F401

pytestmark = pytest.mark.django_db


def _expected(req):  # type: ignore[no-untyped-def]
    cutoff = CentreSettings.current().patient_change_cutoff_hours
    return earliest_slots(
        procedure=req.procedure,
        patient=req.patient,
        kind=AppointmentKind.PROCEDURE,
        request=req,
        not_before=NOW + timedelta(hours=cutoff),
        limit=8,
    )


def test_home_offers_it_and_one_click_books_the_earliest_safe_time(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    alice_client,
    radiologist,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    req = validated_request(alice, validated_by=radiologist)
    url = reverse("portal:my_procedure", args=[req.pk])
    home = alice_client.get(reverse("portal:home")).content.decode()
    assert "Programmer mon geste" in home and url in home
    page = alice_client.get(url).content.decode()
    slots = _expected(req)
    assert slots
    first = slot_value(slots[0].start, slots[0].room.pk, slots[0].radiologist.pk)
    assert f'name="slot" value="{first}"' in page
    assert req.procedure.label_fr in page  # the name on her referral, beside the lay label
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, {"slot": first})
    assert response.status_code == 302 and response.url == reverse("portal:my_appointments")
    appointment = Appointment.objects.get(request=req, kind=AppointmentKind.PROCEDURE)
    assert appointment.start == slots[0].start and appointment.booked_by == alice.user
    req.refresh_from_db()
    assert req.state == RequestState.PROCEDURE_BOOKED
    assert len(mailoutbox) == 1  # she is told (point 1)
    assert SentMessage.objects.filter(patient=alice, kind="procedure_booked").exists()
    # Booked: the card goes, and the page sends her to her appointments.
    assert url not in alice_client.get(reverse("portal:home")).content.decode()
    assert alice_client.get(url).status_code == 302


def test_no_time_before_the_drug_hold_is_offered_or_booked(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    alice_client,
    radiologist,
):
    req = validated_request(alice, "epidural_infiltration", validated_by=radiologist)
    declare(alice, NOW - timedelta(hours=1), request=req, meds=[("Eliquis", NOW, "")])
    slots = _expected(req)
    early = at("2026-03-10", "10:00")  # within the hold after this morning's dose
    assert slots and all(s.start >= at("2026-03-11", "07:00") for s in slots)
    page = alice_client.get(reverse("portal:my_procedure", args=[req.pk])).content.decode()
    assert slot_value(early, centre.room1.pk, radiologist.pk) not in page
    # A forged post at that time is refused by the guard, nothing booked.
    response = alice_client.post(
        reverse("portal:my_procedure", args=[req.pk]),
        {"slot": slot_value(early, centre.room1.pk, radiologist.pk)},
    )
    assert response.status_code == 400
    assert "Trop tôt" in response.content.decode()
    assert not Appointment.objects.filter(request=req).exists()


def test_not_validated_or_not_hers(  # type: ignore[no-untyped-def]
    centre,  # noqa: F811
    alice,
    bob,
    bob_client,
    alice_client,
    radiologist,
):
    req = validated_request(alice, validated_by=radiologist)
    assert bob_client.get(reverse("portal:my_procedure", args=[req.pk])).status_code == 404
    req.state = RequestState.CONSULTATION_DONE
    req.save(update_fields=["state"])
    assert alice_client.get(reverse("portal:my_procedure", args=[req.pk])).status_code == 302
    assert "Programmer mon geste" not in alice_client.get(reverse("portal:home")).content.decode()
