"""Booking API: slots, book (201/409/422), idempotency, cancel."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from geste.api.models import ApiToken
from geste.scheduling.models import Appointment, AppointmentStatus, IdempotencyKey
from tests.scheduling.conftest import validated_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(receptionist):  # type: ignore[no-untyped-def]
    _, raw = ApiToken.issue(receptionist)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def body(centre, who, **kw):  # type: ignore[no-untyped-def]
    data = {
        "patient": who.pk,
        "kind": "consultation",
        "procedure": "facet_infiltration",
        "start": "2026-03-10T09:00:00+01:00",
        "room": centre.room1.pk,
        "radiologist": centre.radio.pk,
    }
    data.update(kw)
    return data


def post(api, data, **headers):  # type: ignore[no-untyped-def]
    return api.post(
        "/api/v1/appointments", json.dumps(data), content_type="application/json", **headers
    )


def test_slots_lists_free_slots(api, centre, alice):
    response = api.get(
        "/api/v1/slots",
        {
            "procedure": "facet_infiltration",
            "kind": "consultation",
            "start": "2026-03-10",
            "end": "2026-03-10",
            "patient": alice.pk,
        },
    )
    assert response.status_code == 200
    slots = response.json()
    assert slots[0] == {
        "start": "2026-03-10T08:00:00+01:00",
        "end": "2026-03-10T08:20:00+01:00",
        "room": centre.room1.pk,
        "radiologist": centre.radio.pk,
    }
    assert len(slots) == 30  # 08:00-18:00, every 20 minutes, one radiologist


def test_slots_bad_input_is_422(api, centre):
    response = api.get(
        "/api/v1/slots",
        {"procedure": "nope", "kind": "consultation", "start": "2026-03-10", "end": "2026-03-10"},
    )
    assert response.status_code == 422
    assert "procedure" in response.json()["detail"]


def test_procedure_slots_need_a_validated_request(api, centre, alice):
    params = {
        "procedure": "facet_infiltration",
        "kind": "procedure",
        "start": "2026-03-10",
        "end": "2026-03-11",
        "patient": alice.pk,
    }
    assert api.get("/api/v1/slots", params).json() == []
    validated_request(alice)
    assert len(api.get("/api/v1/slots", params).json()) > 0


def test_book_201_then_409(api, centre, alice, bob):
    response = post(api, body(centre, alice))
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["start"] == "2026-03-10T09:00:00+01:00"
    assert out["end"] == "2026-03-10T09:20:00+01:00"
    assert out["status"] == "booked"
    response = post(api, body(centre, bob, start="2026-03-10T09:10:00+01:00"))
    assert response.status_code == 409
    assert "pris" in response.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient": 999999}, "patient"),
        ({"procedure": "nope"}, "procedure"),
        ({"room": 999999}, "room"),
        ({"start": "2026-03-10T09:00:00"}, "start"),
        ({"kind": "surgery"}, "kind"),
    ],
)
def test_bad_input_422_names_the_field(api, centre, alice, change, field):
    response = post(api, body(centre, alice, **change))
    assert response.status_code == 422
    assert field in json.dumps(response.json()["detail"])
    assert Appointment.objects.count() == 0


def test_refusal_is_422_with_a_message(api, centre, alice):
    response = post(api, body(centre, alice, start="2026-03-14T09:00:00+01:00"))
    assert response.status_code == 422
    assert "fermée" in response.json()["detail"]


def test_idempotency_key_replays_the_first_result(api, centre, alice):
    first = post(api, body(centre, alice), HTTP_IDEMPOTENCY_KEY="abc-1")
    again = post(api, body(centre, alice), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Appointment.objects.count() == 1
    other_body = post(
        api, body(centre, alice, start="2026-03-10T10:00:00+01:00"), HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert other_body.status_code == 422
    assert Appointment.objects.count() == 1


def test_idempotency_replays_a_409_too(api, centre, alice, bob):
    post(api, body(centre, alice))
    first = post(api, body(centre, bob), HTTP_IDEMPOTENCY_KEY="k2")
    Appointment.objects.update(status=AppointmentStatus.CANCELLED)
    again = post(api, body(centre, bob), HTTP_IDEMPOTENCY_KEY="k2")
    assert first.status_code == again.status_code == 409
    assert IdempotencyKey.objects.get(key="k2").status_code == 409


def test_cancel_needs_a_reason(api, centre, alice):
    appt_id = post(api, body(centre, alice)).json()["id"]
    assert api.delete(f"/api/v1/appointments/{appt_id}").status_code == 422
    response = api.delete(f"/api/v1/appointments/{appt_id}?reason=empêchement")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api.delete("/api/v1/appointments/999999?reason=x").status_code == 404


def test_patients_and_anonymous_are_refused(centre, alice, alice_client):
    assert Client().get("/api/v1/slots").status_code == 401
    assert post(alice_client, body(centre, alice)).status_code == 401


def test_procedure_slots_without_patient_is_422_naming_the_field(api, centre, alice):
    validated_request(alice)
    params = {
        "procedure": "facet_infiltration",
        "kind": "procedure",
        "start": "2026-03-10",
        "end": "2026-03-11",
    }
    response = api.get("/api/v1/slots", params)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("patient:")
