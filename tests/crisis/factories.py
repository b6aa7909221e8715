"""Builders for crisis tests: a small centre with capacity, requests in every pending state."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from geste import PARIS
from geste.clinic.models import Modality, Procedure, Room, Site, User
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration, Patient
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


# The triage inputs a clinician answered "no" (the default of these builders; pass
# known=False to leave them unknown, as a new request is).
ANSWERED_NO: dict[str, Any] = {
    "severe_pain": False,
    "level3_analgesics": "not_tried",
    "neutropenia": False,
    "respiratory_signs": False,
    "acute_arthritis": False,
    "crystal_arthritis": False,
    "threatening_lesion": False,
    "local_tumor_control_needed": False,
    "bedrest_decline_risk": False,
    "urgent_diagnosis_needed": False,
    "intrathecal_chemotherapy": False,
}


def request(
    code: str,
    *,
    patient: Patient | None = None,
    state: str = RequestState.VALIDATED,
    known: bool = True,
    **extra: Any,
) -> ProcedureRequest:
    patient = patient or make_patient("Jeanne", f"Test{ProcedureRequest.objects.count()}")
    if known:
        extra = {**ANSWERED_NO, **extra}
    if state in (RequestState.VALIDATED, RequestState.PROCEDURE_BOOKED):
        extra.setdefault("validated_at", NOW - timedelta(days=3))
    extra.setdefault("referring_physician", "Dr Martin")
    extra.setdefault("referring_email", "martin@example.org")
    req = ProcedureRequest.objects.create(
        patient=patient, procedure=Procedure.objects.get(code=code), state=state, **extra
    )
    if known:
        # Fever comes from the patient's questionnaire: a fresh one, answered "no".
        Declaration.objects.create(
            patient=patient,
            request=req,
            answered_at=timezone.now(),
            takes_anticoagulant=False,
            fever=False,
            current_infection=False,
            skin_lesion_at_site=False,
        )
    return req


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
