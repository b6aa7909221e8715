"""Booking locks (DESIGN.md, house style 4: lock what is consumed, re-check, write).

`LOCKS_ENABLED` exists for one purpose: the control test that shows the race really happens
without the lock (tests/scheduling/test_concurrency_pg.py). Never switch it off elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

LOCKS_ENABLED = True
# Give up waiting for a lock after this long (PostgreSQL): a clear error beats a hung request.
LOCK_TIMEOUT_MS = 5000


def lock_resources(*, room_id: int, radiologist_id: int, patient_id: int) -> None:
    """Lock the room, the radiologist and the patient rows, always in this order.

    One fixed order (rooms, then radiologists, then patients) means two bookings can never
    each hold what the other waits for: no deadlock. Must run inside transaction.atomic().
    """
    if not LOCKS_ENABLED:
        return
    from geste.clinic.models import Room, User
    from geste.patients.models import Patient

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(LOCK_TIMEOUT_MS)}")
    # SQLite ignores FOR UPDATE; its IMMEDIATE transactions already serialise writers.
    list(Room.objects.select_for_update().filter(pk=room_id).values_list("pk", flat=True))
    list(User.objects.select_for_update().filter(pk=radiologist_id).values_list("pk", flat=True))
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


def uses_exclusion_constraints() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]
