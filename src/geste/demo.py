"""The demo centre, room by room (`geste demo`, `geste seed`): the reference data of clinic, then
patients, the scheduling weeks, the pathway's requests, the crisis history and the DICOM
stations, each in its own transaction. Deterministic and idempotent.

It sits above every room (like the CLI) because it is the one place that knows them all.
"""

from __future__ import annotations

from typing import IO

from django.db import transaction

from geste.clinic import demo as clinic_demo
from geste.clinic.models import User
from geste.crisis import demo as crisis_demo
from geste.pathway import demo as pathway_demo
from geste.patients import demo as patients_demo
from geste.scheduling import demo as scheduling_demo

ROOMS = (patients_demo, scheduling_demo, pathway_demo, crisis_demo)


def demo_loaded() -> bool:
    return User.objects.filter(username="admin").exists()


def load_demo(*, patients: int = 300, progress: IO[str] | None = None) -> None:
    context = clinic_demo.load_reference(patients=patients, progress=progress)
    for room in ROOMS:
        with transaction.atomic():
            room.load(context=context, progress=progress)
    if progress is not None:
        progress.write("Demo centre ready.\n")
        progress.flush()
