"""Builders for crisis tests: a small centre with capacity, requests in every pending state."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from geste import PARIS
from geste.clinic.models import Modality, Procedure, Room, Site, User
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Patient
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    OpeningHours,
    RadiologistSkill,
    RosterEntry,
)
from tests.factories import make_patient

# Monday 9 March 2026, 07:00 in Paris.
NOW = datetime(2026, 3, 9, 7, 0, tzinfo=PARIS)


def centre(radiologist: User) -> dict[str, Room]:
    site = Site.objects.create(name="Centre test", address="1 rue du Test\n75011 Paris")
    rooms = {
        "fluoro": Room.objects.create(site=site, name="Salle 1", modality=Modality.FLUOROSCOPY),
        "ct": Room.objects.create(site=site, name="Scanner", modality=Modality.CT),
        "echo": Room.objects.create(site=site, name="Salle écho", modality=Modality.ULTRASOUND),
    }
    for room in rooms.values():
        for weekday in range(5):
            OpeningHours.objects.create(
                room=room, weekday=weekday, start=time(8, 0), end=time(18, 0)
            )
    for weekday in range(5):
        RosterEntry.objects.create(
            radiologist=radiologist, weekday=weekday, start=time(8, 0), end=time(18, 0)
        )
    for procedure in Procedure.objects.all():
        RadiologistSkill.objects.get_or_create(radiologist=radiologist, procedure=procedure)
    return rooms


def request(
    code: str,
    *,
    patient: Patient | None = None,
    state: str = RequestState.VALIDATED,
    **extra: Any,
) -> ProcedureRequest:
    patient = patient or make_patient("Jeanne", f"Test{ProcedureRequest.objects.count()}")
    if state in (RequestState.VALIDATED, RequestState.PROCEDURE_BOOKED):
        extra.setdefault("validated_at", NOW - timedelta(days=3))
    extra.setdefault("referring_physician", "Dr Martin")
    extra.setdefault("referring_email", "martin@example.org")
    return ProcedureRequest.objects.create(
        patient=patient, procedure=Procedure.objects.get(code=code), state=state, **extra
    )


def book_procedure(
    req: ProcedureRequest, room: Room, radiologist: User, start: datetime
) -> Appointment:
    """A booked procedure appointment written directly (the request is put in
    procedure_booked)."""
    req.state = RequestState.PROCEDURE_BOOKED
    req.save(update_fields=["state"])
    return Appointment.objects.create(
        patient=req.patient,
        request=req,
        kind=AppointmentKind.PROCEDURE,
        procedure=req.procedure,
        room=room,
        radiologist=radiologist,
        start=start,
        end=start + timedelta(minutes=req.procedure.duration_min),
    )
