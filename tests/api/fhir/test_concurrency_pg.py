"""$hold and $book under concurrency, on PostgreSQL: ten clients race for one slot; exactly
one hold is granted (the row locks of the booking recipe serialise the check and the insert),
and ten replays of one identifier make one appointment."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from geste.api.fhir import slots
from geste.api.models import ApiToken
from geste.clinic.models import Role
from geste.scheduling.models import Appointment
from tests.factories import make_user
from tests.scheduling.conftest import build_centre, validated_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RACERS = 10


def _race(bodies: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    """POST each (token, path, body) from its own thread, all at once; the status codes."""
    codes: list[int] = []
    gate = threading.Barrier(len(bodies))

    def run(token: str, path: str, body: dict[str, Any]) -> None:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            gate.wait()
            response = client.post(path, json.dumps(body), content_type="application/fhir+json")
            codes.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=b) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def _first_proposal(token: str, patient_id: int) -> dict[str, Any]:
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(
        "/fhir/R4/Appointment/$find",
        {"service-type": "facet_infiltration", "patient": patient_id, "_count": 1},
    )
    return response.json()["entry"][0]["resource"]


def _params(appointment: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "appt-resource", "resource": appointment}],
    }


@pytest.mark.parametrize("locked", [True, False])
def test_one_hold_wins_the_race(reference_data, radiologist, alice, monkeypatch, locked):  # type: ignore[no-untyped-def]
    """Control (locked=False): without the row locks several holds are granted, so the locked
    run really tests the lock."""
    from geste.scheduling import locking

    monkeypatch.setattr(locking, "LOCKS_ENABLED", locked)
    build_centre(radiologist)
    validated_request(alice)
    tokens = [ApiToken.issue(make_user(f"hub{i}", Role.RECEPTIONIST))[1] for i in range(RACERS)]
    proposal = _first_proposal(tokens[0], alice.pk)
    real = slots.still_free

    def slow(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        time.sleep(0.05)  # widen the check-then-insert window
        return found

    monkeypatch.setattr(slots, "still_free", slow)
    codes = _race([(t, "/fhir/R4/Appointment/$hold", _params(proposal)) for t in tokens])
    if locked:
        assert Counter(codes) == {200: 1, 409: RACERS - 1}
    else:
        assert codes.count(200) > 1


def test_replays_of_one_identifier_book_once(reference_data, radiologist, alice):  # type: ignore[no-untyped-def]
    build_centre(radiologist)
    validated_request(alice)
    token = ApiToken.issue(make_user("hub", Role.RECEPTIONIST))[1]
    proposal = _first_proposal(token, alice.pk)
    proposal["identifier"] = [{"system": "urn:hub", "value": "same-1"}]
    codes = _race([(token, "/fhir/R4/Appointment/$book", _params(proposal))] * RACERS)
    assert Appointment.objects.filter(patient=alice).count() == 1
    assert codes.count(201) == 1 and set(codes) <= {200, 201, 409}
