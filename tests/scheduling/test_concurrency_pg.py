"""No double booking under concurrency, on PostgreSQL (issue 4, point 4).

Fifty threads race for one slot; a short sleep is injected between the overlap check and the
insert so that, without the lock, their check-then-write windows overlap for sure.

The control test switches the lock off (`locking.LOCKS_ENABLED = False`) AND drops the
exclusion constraints for its duration (they are re-created from their own definition, read
back from pg_constraint, at the end): it then shows the double booking happen, which proves that
the locked test above would catch a broken lock. The exclusion constraints alone are tested
separately (lock off, constraints on: still exactly one booking).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

from geste.clinic.models import Procedure
from geste.pathway.booking import appointment_book
from geste.scheduling import locking, services
from geste.scheduling.errors import BookingError, SlotTaken
from geste.scheduling.models import ACTIVE_STATUSES, Appointment
from tests.factories import make_patient, make_user
from tests.scheduling.conftest import NOW, at, build_centre

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ATTEMPTS = 50


@pytest.fixture
def slow_check(monkeypatch: pytest.MonkeyPatch) -> None:
    real = services.check_free

    def slow(**kwargs: Any) -> None:
        real(**kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(services, "check_free", slow)


@pytest.fixture
def no_constraints() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'scheduling_appointment'::regclass AND conname LIKE '%no_overlap'"
        )
        saved = cursor.fetchall()
        assert len(saved) == 3
        for name, _ in saved:
            cursor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}")
    try:
        yield
    finally:
        Appointment.objects.all().delete()
        with connection.cursor() as cursor:
            for name, definition in saved:
                cursor.execute(
                    f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} {definition}"
                )


@pytest.fixture
def lock_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locking, "LOCKS_ENABLED", False)


def race(reference_data: None) -> Counter[str]:
    import time_machine

    centre = build_centre(make_user("radio", "radiologist"))
    actor = make_user("reception", "receptionist")
    procedure = Procedure.objects.get(code="facet_infiltration")
    # Different patients: only the room and the radiologist are contended.
    patients = [make_patient(f"P{i}", f"Test{i}") for i in range(ATTEMPTS)]
    start = at("2026-03-10", "09:00")
    barrier = threading.Barrier(ATTEMPTS)
    results: Counter[str] = Counter()
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            try:
                appointment_book(
                    patient=patients[i],
                    kind="consultation",
                    procedure=procedure,
                    start=start,
                    room=centre.room1,
                    radiologist=centre.radio,
                    actor=actor,
                )
                outcome = "booked"
            except SlotTaken:
                outcome = "taken"
            except BookingError as exc:
                outcome = f"refused: {exc}"
            with lock:
                results[outcome] += 1
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return results


def active_at_slot() -> int:
    return Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, start=at("2026-03-10", "09:00")
    ).count()


def test_fifty_concurrent_attempts_one_booking(reference_data: None, slow_check: None) -> None:
    results = race(reference_data)
    assert results == Counter({"booked": 1, "taken": ATTEMPTS - 1})
    assert active_at_slot() == 1


def test_exclusion_constraint_alone_prevents_double_booking(
    reference_data: None, slow_check: None, lock_off: None
) -> None:
    results = race(reference_data)
    assert results["booked"] == 1
    assert results["taken"] == ATTEMPTS - 1
    assert active_at_slot() == 1


def test_control_without_lock_and_constraint_double_books(
    reference_data: None, slow_check: None, lock_off: None, no_constraints: None
) -> None:
    results = race(reference_data)
    # The race is real: several writers passed the check before any of them wrote.
    assert results["booked"] > 1
    assert active_at_slot() == results["booked"]


def _api_race(reference_data: None, *, same_key: bool) -> tuple[Counter[int], list[Any]]:
    import json

    import time_machine
    from django.test import Client

    from geste.api.models import ApiToken

    centre = build_centre(make_user("radio", "radiologist"))
    actor = make_user("reception", "receptionist")
    _, raw = ApiToken.issue(actor)
    patients = [make_patient(f"P{i}", f"Test{i}") for i in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    statuses: Counter[int] = Counter()
    bodies: list[Any] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            body = {
                "patient": patients[0 if same_key else i].pk,
                "kind": "consultation",
                "procedure": "facet_infiltration",
                "start": "2026-03-10T09:00:00+01:00",
                "room": centre.room1.pk,
                "radiologist": centre.radio.pk,
            }
            headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"} if same_key else {}
            barrier.wait()
            response = client.post(
                "/api/v1/appointments",
                json.dumps(body),
                content_type="application/json",
                **headers,
            )
            with lock:
                statuses[response.status_code] += 1
                bodies.append(response.json())
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return statuses, bodies


def test_api_race_one_201_others_409(reference_data: None) -> None:
    statuses, bodies = _api_race(reference_data, same_key=False)
    assert statuses == Counter({201: 1, 409: ATTEMPTS - 1})
    assert all("pris" in b["detail"] for b in bodies if "detail" in b)
    assert active_at_slot() == 1


def test_api_idempotency_replays_race_books_once(reference_data: None) -> None:
    statuses, bodies = _api_race(reference_data, same_key=True)
    assert statuses == Counter({201: ATTEMPTS})
    assert len({b["id"] for b in bodies}) == 1
    assert Appointment.objects.count() == 1
