"""One booking through the JSON API in a bounded number of SQL statements (issue 16), with
everything it must leave: the appointment, the request moved on, its audit events on an
unbroken chain, and the patient's message after commit."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from geste.api.models import ApiToken
from geste.audit.models import AuditEvent
from geste.audit.services import verify_chain
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

# PostgreSQL: the rate-limit count is one upsert and the three row locks one statement;
# SQLite counts through Django's cache (add, then increment) and locks row by row.
BOUND = {"postgresql": 29, "sqlite": 33}


def test_one_api_booking_in_a_bounded_number_of_statements(  # type: ignore[no-untyped-def]
    centre,
    alice,
    receptionist,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    _, raw = ApiToken.issue(receptionist)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {
        "patient": alice.pk,
        "kind": "consultation",
        "procedure": "facet_infiltration",
        "start": "2026-03-10T09:00:00+01:00",
        "room": centre.room1.pk,
        "radiologist": centre.radio.pk,
    }
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        django_assert_max_num_queries(BOUND[connection.vendor]),
    ):
        response = api.post(
            "/api/v1/appointments", json.dumps(body), content_type="application/json"
        )
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.patient == alice
    request = ProcedureRequest.objects.get(pk=appointment.request_id)
    assert request.state == RequestState.CONSULTATION_BOOKED
    actions = list(
        AuditEvent.objects.filter(patient=alice).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["request.created", "appointment.booked", "request.consultation_booked"]
    assert verify_chain().ok
    # The patient is told after commit (one message, by the task worker; inline in tests).
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [[alice.email]]
