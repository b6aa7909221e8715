"""Progress and messages of bulk work (used by jobs.py and by the services it runs)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from geste.crisis.models import CrisisJob
from geste.crisis.notify import notify_patient_change

logger = logging.getLogger(__name__)

BATCH = 100


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
