"""Booking locks (DESIGN.md, house style 4: lock what is consumed, re-check, write).

`LOCKS_ENABLED` exists for one purpose: the control test that shows the race really happens
without the lock (tests/scheduling/test_concurrency_pg.py). Never switch it off elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import OperationalError, connection

from geste.clinic.models import Room, User
from geste.patients.models import Patient
from geste.scheduling.errors import ResourceBusy

LOCKS_ENABLED = True
# Give up waiting for a lock after this long (PostgreSQL): a clear error beats a hung request.
LOCK_TIMEOUT_MS = 5000
# PostgreSQL's SQLSTATE for "lock_not_available" (what lock_timeout raises).
_LOCK_NOT_AVAILABLE = "55P03"


def lock_resources(*, room_id: int, radiologist_id: int, patient_id: int) -> None:
    """Lock the room, the radiologist and the patient rows, always in this order.

    One fixed order (rooms, then radiologists, then patients) means two bookings can never
    each hold what the other waits for: no deadlock. A lock only means something inside a
    transaction, so outside one this refuses to run (RuntimeError: a programming error). A
    lock not obtained within LOCK_TIMEOUT_MS raises ResourceBusy ("try again").
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_resources() must run inside transaction.atomic()")
    if not LOCKS_ENABLED:
        return
    if connection.vendor == "postgresql":
        # One round trip: the timeout, then the three row locks. PostgreSQL evaluates a select
        # list left to right, so the fixed order above holds. Table names come from the
        # models' metadata; every value is a bound parameter.
        sql = (
            "SELECT set_config('lock_timeout', %s, true), "  # noqa: S608
            f"(SELECT 1 FROM {Room._meta.db_table} WHERE id = %s FOR UPDATE), "
            f"(SELECT 1 FROM {User._meta.db_table} WHERE id = %s FOR UPDATE), "
            f"(SELECT 1 FROM {Patient._meta.db_table} WHERE id = %s FOR UPDATE)"
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    sql,
                    [str(int(LOCK_TIMEOUT_MS)), room_id, radiologist_id, patient_id],
                )
                cursor.fetchall()
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise ResourceBusy from exc
            raise
        return
    # SQLite ignores FOR UPDATE; its IMMEDIATE transactions already serialise writers.
    list(Room.objects.select_for_update().filter(pk=room_id).values_list("pk", flat=True))
    list(User.objects.select_for_update().filter(pk=radiologist_id).values_list("pk", flat=True))
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


def uses_exclusion_constraints() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]
