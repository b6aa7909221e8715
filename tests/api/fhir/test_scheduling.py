"""Slots and the IHE ITI scheduling operations (points 1 and 2): $find, $hold, $book."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from geste.api.fhir.mappers.scheduling import SlotKey
from geste.audit.models import AuditEvent
from geste.clinic.models import Procedure
from geste.pathway import booking
from geste.pathway.models import RequestState
from geste.scheduling.models import Appointment
from geste.scheduling.selectors import search_slots
from tests.scheduling.conftest import validated_request

pytestmark = pytest.mark.django_db
FACET = "facet_infiltration"


def _entries(response) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == 200, response.json()
    return [e["resource"] for e in response.json().get("entry", [])]


def _params(appointment: dict, identifier: str | None = None) -> dict:  # type: ignore[type-arg]
    if identifier:
        appointment = {
            **appointment,
            "identifier": [{"system": "urn:test:booking", "value": identifier}],
        }
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "appt-resource", "resource": appointment}],
    }


def _outcome(response) -> str:  # type: ignore[no-untyped-def]
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][0]["details"]["coding"][0]["code"]


@pytest.fixture
def ready(centre, alice):  # type: ignore[no-untyped-def]
    """Alice's facet infiltration, indication validated: procedure slots may be offered."""
    return validated_request(alice, FACET)


def test_free_slots_between_start_bounds_and_paged(reception, centre):  # type: ignore[no-untyped-def]
    params = {
        "service-type": FACET,
        "appointment-type": "consultation",
        "status": "free",
        "start": ["ge2026-03-10", "lt2026-03-11"],
        "_count": 3,
    }
    response = reception.get("Slot", params)
    slots = _entries(response)
    # one radiologist: one consultation at a time, every 20 minutes from the opening
    assert [s["start"] for s in slots] == [
        "2026-03-10T08:00:00+01:00",
        "2026-03-10T08:20:00+01:00",
        "2026-03-10T08:40:00+01:00",
    ]
    assert all(s["status"] == "free" and s["start"].startswith("2026-03-10") for s in slots)
    assert {link["relation"] for link in response.json()["link"]} == {"self", "next"}
    second = _entries(reception.get("Slot", {**params, "_offset": 3}))
    assert not {s["id"] for s in second} & {s["id"] for s in slots}


def test_slot_search_is_the_pages_search(reception, centre):  # type: ignore[no-untyped-def]
    now = timezone.now()
    expected = search_slots(
        procedure=Procedure.objects.get(code=FACET),
        kind="procedure",
        not_before=now,
        not_after=now + timedelta(days=30),
        limit=12,
    )
    slots = _entries(reception.get("Slot", {"service-type": FACET, "_count": 12}))
    got = [(s["start"], s["schedule"]["reference"]) for s in slots]
    assert got == [
        (o.start.isoformat(timespec="seconds"), f"Schedule/{o.room.pk}") for o in expected
    ]


def test_find_proposes_the_earliest_safe_slots(reception, ready, alice):  # type: ignore[no-untyped-def]
    proposed = _entries(
        reception.get(
            "Appointment/$find", {"service-type": FACET, "patient": alice.pk, "_count": 4}
        )
    )
    expected = booking.earliest_slots(
        procedure=Procedure.objects.get(code=FACET), patient=alice, kind="procedure", limit=4
    )
    assert [(a["start"], a["end"]) for a in proposed] == [
        (o.start.isoformat(timespec="seconds"), o.end.isoformat(timespec="seconds"))
        for o in expected
    ]
    assert all(a["status"] == "proposed" for a in proposed)
    assert AuditEvent.objects.filter(action="fhir.find", patient=alice).exists()


def test_find_offers_no_procedure_before_the_indication_is_validated(reception, centre, bob):  # type: ignore[no-untyped-def]
    response = reception.get("Appointment/$find", {"service-type": FACET, "patient": bob.pk})
    assert _entries(response) == []


def test_find_as_a_post_with_parameters(reception, ready, alice):  # type: ignore[no-untyped-def]
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "service-type", "valueString": FACET},
            {"name": "patient", "valueReference": {"reference": f"Patient/{alice.pk}"}},
            {"name": "start", "valueDate": "2026-03-12"},
        ],
    }
    proposed = [e["resource"] for e in reception.post("Appointment/$find", body).json()["entry"]]
    assert proposed and all(a["start"] >= "2026-03-12" for a in proposed)


def test_hold_blocks_the_slot_for_others_then_book_and_read_back(  # type: ignore[no-untyped-def]
    reception, radio_api, ready, alice
):
    first = _entries(
        reception.get("Appointment/$find", {"service-type": FACET, "patient": alice.pk})
    )[0]
    slot_id = first["slot"][0]["reference"].split("/")[1]
    held = reception.post("Appointment/$hold", _params(first))
    assert held.status_code == 200, held.json()
    hold = held.json()
    assert hold["status"] == "pending" and hold["id"].startswith("hold-")

    # another client: no longer listed, cannot hold it, cannot book it
    others = _entries(radio_api.get("Slot", {"service-type": FACET, "_count": 50}))
    assert slot_id not in {s["id"] for s in others}
    assert _outcome(radio_api.post("Appointment/$hold", _params(first))) == "slot_held"
    refused = radio_api.post("Appointment/$book", _params(first, "other-1"))
    assert refused.status_code == 409 and _outcome(refused) == "slot_held"

    booked = reception.post("Appointment/$book", _params(hold, "ref-42"))
    assert booked.status_code == 201, booked.json()
    appointment = reception.get(booked["Location"].split("/fhir/R4/")[1]).json()
    assert appointment["status"] == "booked"
    assert appointment["identifier"] == [{"system": "urn:test:booking", "value": "ref-42"}]
    assert appointment["start"] == first["start"]
    ready.refresh_from_db()
    assert ready.state == RequestState.PROCEDURE_BOOKED  # the guarded service moved it on
    assert reception.get(f"Slot/{slot_id}").json()["status"] == "busy"
    assert {"fhir.held", "fhir.booked", "appointment.booked"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
    # the hold is spent: booking through it again is refused
    assert _outcome(reception.post("Appointment/$book", _params(hold, "ref-43"))) == "hold_expired"


def test_book_is_idempotent_on_the_identifier(reception, ready, alice):  # type: ignore[no-untyped-def]
    first, second = _entries(
        reception.get(
            "Appointment/$find", {"service-type": FACET, "patient": alice.pk, "_count": 2}
        )
    )[:2]
    one = reception.post("Appointment/$book", _params(first, "ref-1"))
    again = reception.post("Appointment/$book", _params(first, "ref-1"))
    assert (one.status_code, again.status_code) == (201, 200)
    assert one.json()["id"] == again.json()["id"]
    assert Appointment.objects.filter(patient=alice).count() == 1
    other_slot = reception.post("Appointment/$book", _params(second, "ref-1"))
    assert other_slot.status_code == 409 and _outcome(other_slot) == "idempotency_conflict"


def test_a_taken_slot_is_a_409_outcome(reception, ready, alice, bob):  # type: ignore[no-untyped-def]
    consult = _entries(
        reception.get(
            "Appointment/$find",
            {"service-type": FACET, "appointment-type": "consultation", "patient": bob.pk},
        )
    )[0]
    assert reception.post("Appointment/$book", _params(consult, "b-1")).status_code == 201
    for_alice = {
        **consult,
        "participant": [{"actor": {"reference": f"Patient/{alice.pk}"}, "status": "needs-action"}],
    }
    response = reception.post(
        "Appointment/$book", _params(for_alice, "a-1"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert response.json()["issue"][0]["details"]["text"] == "This slot is no longer free."


def test_the_guard_refuses_a_procedure_without_validated_indication(reception, ready, bob):  # type: ignore[no-untyped-def]
    slot = _entries(reception.get("Slot", {"service-type": FACET, "_count": 1}))[0]
    appointment = {
        "resourceType": "Appointment",
        "status": "proposed",
        "start": slot["start"],
        "end": slot["end"],
        "slot": [{"reference": f"Slot/{slot['id']}"}],
        "participant": [{"actor": {"reference": f"Patient/{bob.pk}"}, "status": "needs-action"}],
    }
    response = reception.post("Appointment/$book", _params(appointment, "x-1"))
    assert response.status_code == 422 and _outcome(response) == "booking_refused"
    assert not Appointment.objects.filter(patient=bob).exists()


def test_a_hold_expires(reception, radio_api, ready, alice):  # type: ignore[no-untyped-def]
    first = _entries(
        reception.get("Appointment/$find", {"service-type": FACET, "patient": alice.pk})
    )[0]
    assert reception.post("Appointment/$hold", _params(first)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert radio_api.post("Appointment/$hold", _params(first)).status_code == 200


def test_consultation_booked_from_a_service_request_moves_it_on(reception, centre, bob):  # type: ignore[no-untyped-def]
    from geste.pathway.services import request_create

    req = request_create(patient=bob, procedure=Procedure.objects.get(code=FACET), actor=None)
    consult = _entries(
        reception.get(
            "Appointment/$find",
            {"service-type": FACET, "appointment-type": "consultation", "patient": bob.pk},
        )
    )[0]
    consult["basedOn"] = [{"reference": f"ServiceRequest/{req.pk}"}]
    response = reception.post("Appointment/$book", _params(consult, "c-1"))
    assert response.status_code == 201, response.json()
    assert response.json()["basedOn"] == [{"reference": f"ServiceRequest/{req.pk}"}]
    req.refresh_from_db()
    assert req.state == RequestState.CONSULTATION_BOOKED


def test_slot_ids_round_trip() -> None:
    key = SlotKey("procedure", 3, 2, 5, timezone.now().replace(second=0, microsecond=0))
    assert SlotKey.parse(key.id) == key
    assert SlotKey.parse("nonsense") is None


@pytest.mark.parametrize("limit", [1, 7, 60, 400])
def test_the_first_week_shortcut_gives_the_whole_span_answer(centre, alice, limit):  # type: ignore[no-untyped-def]
    """slots.free searches one week first: its answer must be the whole span's, whatever the
    limit (60 and 400 cross the week's end on this centre)."""
    from geste.api.fhir import slots

    proc = Procedure.objects.get(code=FACET)
    now = timezone.now()
    for day in range(1, 6):  # a few bookings in the first week
        start = now + timedelta(days=day, hours=3)
        Appointment.objects.create(
            patient=alice,
            kind="procedure",
            procedure=proc,
            room=centre.room1,
            radiologist=centre.radio,
            start=start,
            end=start + timedelta(minutes=50),
        )
    end = now + timedelta(days=40)
    whole = search_slots(
        procedure=proc, kind="procedure", not_before=now, not_after=end, limit=limit
    )
    quick = slots.free(procedure=proc, kind="procedure", not_before=now, not_after=end, limit=limit)
    assert [(o.start, o.room.pk, o.radiologist.pk) for _k, o in quick] == [
        (o.start, o.room.pk, o.radiologist.pk) for o in whole
    ]
    assert len(whole) == limit
