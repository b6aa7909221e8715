"""Booking API (issue 4, point 5): slots, book, cancel. Mounted at /api/v1/ (staff only).

`POST /appointments` honours an `Idempotency-Key` header: the key, the user, a hash of the body
and the first response are stored under a unique constraint, in the same transaction as the
booking; a replay (even a concurrent one: it waits on the unique index) returns that first
response and never books twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, field_validator

from geste import PARIS
from geste.api.auth import api_auth
from geste.api.errors import ERRORS, ErrorOut
from geste.audit.services import log_action, written_at_end
from geste.clinic.models import Procedure, Role, Room, User
from geste.clinic.selectors import site_zone
from geste.pathway.booking import appointment_book, appointment_cancel, earliest_slots
from geste.pathway.prerequisites import site_zones
from geste.pathway.services import request_for_consultation
from geste.patients.models import Patient
from geste.scheduling import capacity
from geste.scheduling.errors import BookingError, ResourceBusy, SlotTaken
from geste.scheduling.models import Appointment, IdempotencyKey

router = Router(tags=["booking"])
MAX_RANGE_DAYS = 92
MAX_ID = 2**63 - 1  # the largest primary key the databases store (BigAutoField)
YEARS = (1900, 2100)


class SlotOut(Schema):
    start: datetime
    end: datetime
    room: int
    radiologist: int


class AppointmentIn(Schema):
    patient: int = Field(ge=1, le=MAX_ID)
    kind: Literal["consultation", "procedure"]
    procedure: str = Field(max_length=50)
    start: datetime
    room: int = Field(ge=1, le=MAX_ID)
    radiologist: int = Field(ge=1, le=MAX_ID)
    video: bool = False
    override_reason: str = Field("", max_length=2000)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-03-10T09:00:00+01:00")
        if not YEARS[0] <= value.year <= YEARS[1]:
            raise ValueError(f"out of range: needs a year between {YEARS[0]} and {YEARS[1]}")
        return value


class AppointmentOut(Schema):
    id: int
    patient: int
    kind: str
    procedure: str
    start: datetime
    end: datetime
    room: int
    radiologist: int
    status: str
    video: bool


class CancelIn(Schema):
    reason: str = Field("", max_length=2000)


def _out(a: Appointment, zone: tzinfo) -> dict[str, Any]:
    """The AppointmentOut of `a`, JSON-ready (the idempotency record stores it as is); its
    times in `zone`, its room's site's."""
    return {
        "id": a.pk,
        "patient": a.patient_id,
        "kind": a.kind,
        "procedure": a.procedure.code,
        "start": a.start.astimezone(zone).isoformat(),
        "end": a.end.astimezone(zone).isoformat(),
        "room": a.room_id,
        "radiologist": a.radiologist_id,
        "status": a.status,
        "video": a.video,
    }


def _field_error(field: str, message: str) -> tuple[int, dict[str, Any]]:
    return 422, {"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]}


def _get(model: Any, field: str, **lookup: Any) -> Any:
    """`model` (or a queryset of it) filtered by `lookup`: the first, or _Invalid."""
    obj = getattr(model, "objects", model).filter(**lookup).first()
    if obj is None:
        raise _Invalid(field, "not found")
    return obj


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@router.get("/slots", response={200: list[SlotOut], **ERRORS}, auth=api_auth("GET /api/v1/slots"))
def slots(
    request: HttpRequest,
    procedure: str,
    kind: Literal["consultation", "procedure"],
    start: date,
    end: date,
    patient: int | None = Query(None, ge=1, le=MAX_ID),
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Free slots between two local dates (inclusive), each room's in its site's zone.

    `patient` is required for `kind=procedure`: a procedure's prerequisites (validated
    indication, blood-test lead time, anticoagulant hold) are the patient's, and slots listed
    without them would be offers the booking then refuses.
    """
    for name, day in (("start", start), ("end", end)):
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise HttpError(422, f"{name}: out of range, a year between {YEARS[0]} and {YEARS[1]}")
    proc = Procedure.objects.filter(code=procedure).first()
    if proc is None:
        raise HttpError(422, "procedure: unknown code")
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise HttpError(422, f"end: must be on or after start, at most {MAX_RANGE_DAYS} days later")
    if not 1 <= limit <= 1000:
        raise HttpError(422, "limit: between 1 and 1000")
    if kind == "procedure" and patient is None:
        raise HttpError(
            422, "patient: required when kind=procedure (prerequisites are per patient)"
        )
    who = None
    if patient is not None:
        who = Patient.objects.filter(pk=patient).first()
        if who is None:
            raise HttpError(422, "patient: not found")
        # A search for one patient reads their prerequisites (indication, labs, drugs).
        log_action(
            actor=request.user,
            action="patient.read",
            obj=who,
            patient=who,
            request=request,
            details={"via": "api.slots", "kind": kind},
        )
    # The window spans the dates of every site's zone (one read of the zones); each slot is
    # then kept when its own local date (it comes in its room's zone) is one of them.
    zones = {site_zone(z) for z in site_zones()} or {PARIS}
    not_before = max(min(capacity.local_at(start, time.min, z) for z in zones), timezone.now())
    not_after = max(capacity.local_at(end + timedelta(days=1), time.min, z) for z in zones)
    found = earliest_slots(
        procedure=proc,
        patient=who,
        kind=kind,
        not_before=not_before,
        not_after=not_after,
        limit=limit,
        actor=request.user,
    )
    return [
        {"start": s.start, "end": s.end, "room": s.room.pk, "radiologist": s.radiologist.pk}
        for s in found
        if start <= s.start.date() <= end
    ]


def _book(request: HttpRequest, payload: AppointmentIn) -> tuple[int, dict[str, Any]]:
    try:
        patient = _get(Patient, "patient", pk=payload.patient)
        procedure = _get(Procedure, "procedure", code=payload.procedure)
        room = _get(Room.objects.select_related("site"), "room", pk=payload.room)
        radiologist = _get(User, "radiologist", pk=payload.radiologist, role=Role.RADIOLOGIST)
    except _Invalid as exc:
        return _field_error(exc.field, exc.message)
    try:
        # A new request exists only with its booking; the audit events of both are written
        # together at the end (the chain's lock is then held for one insert and the commit).
        with written_at_end():
            appointment = appointment_book(
                patient=patient,
                kind=payload.kind,
                procedure=procedure,
                start=payload.start,
                room=room,
                radiologist=radiologist,
                actor=request.user,
                # A consultation books the patient's open request for this act (or a new one,
                # through the one request_create); a procedure's is the validated one.
                request=request_for_consultation(
                    patient=patient, procedure=procedure, actor=request.user
                )
                if payload.kind == "consultation"
                else None,
                video=payload.video,
                override_reason=payload.override_reason,
            )
    except ResourceBusy:
        raise  # 409 with Retry-After (geste.api.routes), the idempotency record rolled back
    except SlotTaken as exc:
        return 409, {"detail": str(exc)}
    except BookingError as exc:
        return 422, {"detail": str(exc)}
    return 201, _out(appointment, site_zone(room.site.time_zone))


@router.post(
    "/appointments",
    response={201: AppointmentOut, 409: ErrorOut, **ERRORS},
    auth=api_auth("POST /api/v1/appointments"),
)
def create_appointment(request: HttpRequest, payload: AppointmentIn) -> Status[Any]:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return Status(*_book(request, payload))
    if len(key) > 200:
        raise HttpError(422, "Idempotency-Key: at most 200 characters")
    digest = hashlib.sha256(
        json.dumps(payload.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    user: Any = request.user
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, request_hash=digest)
        except IntegrityError:
            # Another request with this key won the insert (and has committed: PostgreSQL
            # made us wait on the unique index). Replay its answer.
            record = IdempotencyKey.objects.get(user=user, key=key)
            if record.request_hash != digest:
                return Status(
                    422, {"detail": "Idempotency-Key: already used with another request body"}
                )
            return Status(record.status_code, record.response)
        status, body = _book(request, payload)
        record.status_code, record.response = status, body
        record.save(update_fields=["status_code", "response"])
    return Status(status, body)


@router.delete(
    "/appointments/{appointment_id}",
    response={200: AppointmentOut, 404: ErrorOut, 409: ErrorOut, **ERRORS},
    auth=api_auth("DELETE /api/v1/appointments/{appointment_id}"),
)
def cancel_appointment(
    request: HttpRequest,
    appointment_id: int = Path(..., ge=1, le=MAX_ID),
    reason: str = Query("", max_length=2000),
    body: CancelIn | None = Body(None),  # noqa: B008 - ninja's way to declare a body
) -> Status[Any]:
    appointment = Appointment.objects.select_related("room__site").filter(pk=appointment_id).first()
    if appointment is None:
        raise HttpError(404, "Not found")
    zone = site_zone(appointment.room.site.time_zone)  # read before the refresh below
    text = (body.reason if body is not None else "") or reason
    if not text.strip():
        return Status(*_field_error("reason", "required"))
    try:
        appointment_cancel(appointment=appointment, actor=request.user, reason=text)
    except BookingError as exc:
        return Status(422, {"detail": str(exc)})
    appointment.refresh_from_db()
    return Status(200, _out(appointment, zone))
