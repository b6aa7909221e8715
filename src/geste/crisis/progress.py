"""Progress and messages of bulk work (used by jobs.py and by the services it runs)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from geste.crisis.models import CrisisJob
from geste.crisis.notify import notify_patient_change

logger = logging.getLogger(__name__)

BATCH = 200
# A batch is also cut by work: a write transaction held longer keeps the pages' own writes (an
# audit event per page read) waiting. The size follows the CPU time the previous batch took
# (not the wall clock: on a busy machine a batch would shrink to one item, all overhead). On
# SQLite the writer then pauses a little: a page waiting for the lock polls (SQLite's busy
# handler sleeps 1, 2, 5 ... 25 ms between tries) and must find it free before the next batch
# takes it again.
BATCH_SECONDS = 0.05
SQLITE_PAUSE_SECONDS = 0.02


def batches(ids: list[Any], *, pause: bool = True) -> Iterator[list[Any]]:
    """Cut `ids` in batches of at most BATCH, sized so that one takes about BATCH_SECONDS of
    CPU (measured between two yields). `pause`: on SQLite, the pause between two batches (not
    needed by a caller whose batch is several short transactions with reads in between)."""
    size, start = min(10, BATCH), 0
    while start < len(ids):
        chunk = ids[start : start + size]
        began = time.thread_time()
        yield chunk
        took = time.thread_time() - began
        start += len(chunk)
        per_item = took / len(chunk)
        size = max(1, min(BATCH, int(BATCH_SECONDS / per_item) if per_item > 0 else BATCH))
        if pause and connection.vendor == "sqlite":
            time.sleep(SQLITE_PAUSE_SECONDS)


# A long run of short transactions (plan acceptance: one per booking) saves its progress and
# sends the messages it gathered every FLUSH_ITEMS items or FLUSH_SECONDS, whichever comes first:
# after every item, the job's row update and the messages cost about a tenth of the run.
FLUSH_ITEMS = 100
FLUSH_SECONDS = 0.5


class Pace:
    """Says when a run of short transactions is due to save its progress (`due()`, called once
    per item done)."""

    def __init__(self) -> None:
        self.count = 0
        self.since = time.monotonic()

    def due(self) -> bool:
        self.count += 1
        now = time.monotonic()
        if self.count >= FLUSH_ITEMS or now - self.since >= FLUSH_SECONDS:
            self.count, self.since = 0, now
            return True
        return False


def beat(job_id: int | None, processed: int, **extra: Any) -> None:
    """Save a job's progress and heartbeat (nothing without a job)."""
    if job_id is None:
        return
    CrisisJob.objects.filter(pk=job_id).update(
        processed=processed, heartbeat_at=timezone.now(), **extra
    )


def tell(patients: set[int]) -> None:
    """One minimal message per patient, after the batch that changed their appointments
    commits (the set is emptied for the next batch)."""
    ids = sorted(patients)
    patients.clear()
    if not ids:
        return

    def send() -> None:
        for patient_id in ids:
            try:
                notify_patient_change(patient_id)
            except Exception:  # one failed message must not stop the others
                logger.exception("crisis message to a patient failed")

    transaction.on_commit(send)
