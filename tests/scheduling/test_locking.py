"""Booking locks: refused outside a transaction; a lock not obtained in time is "busy, try
again" (409 with Retry-After in the API, a French message in pages), never a 500, and
nothing is written."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from geste.api.models import ApiToken
from geste.pathway.models import ProcedureRequest, RequestState
from geste.scheduling import locking
from geste.scheduling.errors import ResourceBusy
from geste.scheduling.models import Appointment, IdempotencyKey
from tests.conftest import client_for
from tests.scheduling.conftest import validated_request

pytestmark = pytest.mark.django_db


def _ids(centre, patient):  # type: ignore[no-untyped-def]
    return {"room_id": centre.room1.pk, "radiologist_id": centre.radio.pk, "patient_id": patient.pk}


@pytest.mark.django_db(transaction=True)
def test_lock_refuses_to_run_outside_a_transaction(centre, alice):
    with pytest.raises(RuntimeError, match="transaction"):
        locking.lock_resources(**_ids(centre, alice))
    with transaction.atomic():
        locking.lock_resources(**_ids(centre, alice))  # inside one: fine


def _book_body(centre, patient):  # type: ignore[no-untyped-def]
    return json.dumps(
        {
            "patient": patient.pk,
            "kind": "consultation",
            "procedure": "facet_infiltration",
            "start": "2026-03-10T09:00:00+01:00",
            "room": centre.room1.pk,
            "radiologist": centre.radio.pk,
        }
    )


@pytest.fixture
def busy(monkeypatch):  # type: ignore[no-untyped-def]
    """Every lock attempt times out, as PostgreSQL's lock_timeout makes it do."""

    def refuse(**_ids: int) -> None:
        raise ResourceBusy

    monkeypatch.setattr(locking, "lock_resources", refuse)


def test_api_lock_timeout_is_409_with_retry_after_and_writes_nothing(
    centre, alice, receptionist, busy
):
    _, raw = ApiToken.issue(receptionist)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(
        "/api/v1/appointments",
        _book_body(centre, alice),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 409
    assert response["Retry-After"] == "2"
    assert "Réessayez" in response.json()["detail"]
    # Nothing half-written: no appointment, no request, no idempotency record to replay.
    assert not Appointment.objects.exists()
    assert not ProcedureRequest.objects.filter(patient=alice).exists()
    assert not IdempotencyKey.objects.exists()


def test_page_lock_timeout_is_a_french_message_not_a_500(centre, alice, receptionist, busy):
    req = validated_request(alice)
    slot = f"2026-03-16T09:00:00+01:00|{centre.room1.pk}|{centre.radio.pk}"
    client = client_for(receptionist)
    response = client.post(
        reverse("staff:procedure_book", args=[req.pk]), {"slot": slot}, follow=True
    )
    assert response.status_code == 200
    assert "Réessayez dans quelques secondes" in response.content.decode()
    req.refresh_from_db()
    assert req.state == RequestState.VALIDATED
    assert not Appointment.objects.exists()


def test_an_escaping_lock_timeout_is_a_409_page(rf, monkeypatch):
    """Any page the exception escapes from: the middleware answers 409, in French."""
    from geste.web.middleware import ResourceBusyMiddleware

    def view(request):  # type: ignore[no-untyped-def]
        raise ResourceBusy

    middleware = ResourceBusyMiddleware(view)
    request = rf.get("/equipe/")
    response = middleware.process_exception(request, ResourceBusy())
    assert response is not None
    assert response.status_code == 409
    assert response["Retry-After"] == "2"
    assert "Planning occupé" in response.content.decode()
    assert middleware.process_exception(request, ValueError()) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_lock_timeout_becomes_resource_busy(reference_data, monkeypatch):
    """A real lock held by another connection: lock_timeout fires, ResourceBusy is raised."""
    from tests.factories import make_patient, make_user
    from tests.scheduling.conftest import build_centre

    centre = build_centre(make_user("radio", "radiologist"))
    patient = make_patient("Busy", "Patient")
    monkeypatch.setattr(locking, "LOCK_TIMEOUT_MS", 200)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                locking.lock_resources(**_ids(centre, patient))
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        with pytest.raises(ResourceBusy), transaction.atomic():
            locking.lock_resources(**_ids(centre, patient))
    finally:
        release.set()
        thread.join()
