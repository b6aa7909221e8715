"""IHE ITI Scheduling: Appointment/$find (ITI-115), $hold (ITI-116), $book (ITI-117).

$find proposes the earliest *safe* slots (the patient's prerequisites, as on the pages); $hold
claims one for HOLD_MINUTES (a `scheduling.SlotHold`), during which no one else sees or books
it: other clients, the booking pages, the JSON API, the waiting list; $book books
through the booking service (locks, re-check, audit) and is idempotent on the Appointment's
identifier.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from geste.api.fhir import slots
from geste.api.fhir.http import FhirError
from geste.api.fhir.mappers import scheduling as sched_map
from geste.api.fhir.mappers.common import instant, kind_concept, procedure_concept, ref
from geste.api.fhir.models import FhirBooking
from geste.api.fhir.search import instant_bound, reference_id
from geste.api.fhir.validation import InvalidResource, parse
from geste.audit.services import log_action
from geste.clinic.models import Procedure, Role, Room, User
from geste.pathway import booking
from geste.pathway.models import ProcedureRequest
from geste.pathway.sessions import session_length
from geste.patients.models import Patient
from geste.scheduling import locking
from geste.scheduling.errors import BookingError, ResourceBusy, SlotTaken
from geste.scheduling.models import Appointment, AppointmentKind, HoldStatus, SlotHold

HOLD_MINUTES = 5
FIND_DAYS = 90


def _patient(value: str) -> Patient:
    patient = Patient.objects.filter(pk=reference_id(value, "Patient", "patient")).first()
    if patient is None:
        raise FhirError(400, "bad_param", issue="invalid", param="patient")
    return patient


def find(request: HttpRequest, params: QueryDict, *, user: Any, limit: int) -> list[dict[str, Any]]:
    code = (params.get("service-type") or "").rpartition("|")[2]
    procedure = Procedure.objects.filter(code=code).first() if code else None
    if procedure is None:
        raise FhirError(400, "missing_param", issue="required", param="service-type")
    if not params.get("patient"):
        raise FhirError(400, "missing_param", issue="required", param="patient")
    patient = _patient(params.get("patient", ""))
    kind = (params.get("appointment-type") or AppointmentKind.PROCEDURE).rpartition("|")[2]
    if kind not in AppointmentKind.values:
        raise FhirError(400, "bad_param", issue="invalid", param="appointment-type")
    lo = timezone.now()
    hi = lo + timedelta(days=FIND_DAYS)
    if params.get("start"):
        lo = max(lo, instant_bound(params.get("start", ""), "start")[1])
    if params.get("end"):
        hi = min(hi, instant_bound(params.get("end", ""), "end")[1])
    found = slots.free(
        procedure=procedure,
        kind=kind,
        not_before=lo,
        not_after=hi,
        limit=limit,
        user=user,
        patient=patient,
        safe=True,
    )
    log_action(
        actor=user,
        action="fhir.find",
        patient=patient,
        request=request,
        details={"procedure": procedure.code, "kind": kind, "count": len(found)},
    )
    return [
        sched_map.proposed(k, o.end, procedure, patient.pk, zone=o.start.tzinfo) for k, o in found
    ]


def parameters_from_body(body: Any) -> dict[str, Any]:
    """Query-style values from a Parameters resource (valueX or a resource)."""
    if not isinstance(body, dict):
        raise FhirError(400, "invalid_resource", issue="structure", detail="Parameters")
    if body.get("resourceType") == "Appointment":
        return {"appt-resource": body}
    if body.get("resourceType") != "Parameters":
        raise FhirError(400, "invalid_resource", issue="structure", detail="Parameters")
    out: dict[str, Any] = {}
    for p in body.get("parameter") or []:
        name = p.get("name")
        if "resource" in p:
            out[name] = p["resource"]
            continue
        for k, v in p.items():
            if k.startswith("value"):
                out[name] = v.get("reference", "") if isinstance(v, dict) else str(v)
    return out


class _Wanted:
    """What an Appointment given to $hold/$book asks for."""

    def __init__(self, body: Any) -> None:
        try:
            model = parse("Appointment", body)
        except InvalidResource as exc:
            raise FhirError(400, "invalid_resource", issue="structure", detail=str(exc)) from exc
        self.id: str = model.id or ""
        refs = [p.actor.reference for p in model.participant or [] if p.actor and p.actor.reference]
        who = next((r for r in refs if r.startswith("Patient/")), None)
        if who is None:
            raise FhirError(400, "missing_param", issue="required", param="participant Patient")
        self.patient = _patient(who)
        slot_refs = [s.reference for s in model.slot or [] if s.reference]
        key = sched_map.SlotKey.parse(slot_refs[0].rsplit("/", 1)[-1]) if slot_refs else None
        if key is None:
            raise FhirError(400, "missing_param", issue="required", param="slot")
        self.key = key
        self.identifier = next(iter(model.identifier or []), None)
        based = [b.reference for b in model.basedOn or [] if b.reference]
        self.request_id = reference_id(based[0], "ServiceRequest", "basedOn") if based else None


def _held(h: SlotHold, zone: tzinfo | None) -> dict[str, Any]:
    """The hold as a pending Appointment; its times in `zone`, its room's site's."""
    key = slots.hold_key(h)
    return {
        "resourceType": "Appointment",
        "id": f"hold-{h.pk}",
        "status": "pending",
        "serviceType": [procedure_concept(h.procedure)],
        "appointmentType": kind_concept(h.kind),
        "start": instant(h.start, zone),
        "end": instant(h.end, zone),
        "slot": [ref("Slot", key.id)],
        "comment": f"Held until {instant(h.expires_at, zone)}",
        "participant": [
            {"actor": ref("Patient", h.patient_id), "status": "tentative"},
            {"actor": ref("Practitioner", h.radiologist_id), "status": "tentative"},
            {"actor": ref("Location", h.room_id), "status": "tentative"},
        ],
    }


def hold(request: HttpRequest, body: Any, *, user: Any) -> dict[str, Any]:
    wanted = _Wanted(parameters_from_body(body).get("appt-resource"))
    key = wanted.key
    with transaction.atomic():
        locking.lock_resources(
            room_id=key.room_id, radiologist_id=key.radiologist_id, patient_id=wanted.patient.pk
        )
        option = slots.still_free(key, patient=wanted.patient, user=user)
        if option is None:
            procedure = Procedure.objects.get(pk=key.procedure_id)
            end = key.start + session_length(kind=key.kind, procedure=procedure)
            taken = not slots.held_by_other(key, end, user)
            raise FhirError(409, "slot_taken" if taken else "slot_held", issue="conflict")
        h = SlotHold.objects.create(
            holder=user,
            patient=wanted.patient,
            procedure_id=key.procedure_id,
            kind=key.kind,
            room=option.room,
            radiologist=option.radiologist,
            start=option.start,
            end=option.end,
            expires_at=timezone.now() + timedelta(minutes=HOLD_MINUTES),
        )
        log_action(
            actor=user,
            action="fhir.held",
            obj=h,
            patient=wanted.patient,
            request=request,
            details={"slot": key.id, "minutes": HOLD_MINUTES},
        )
    h.procedure = Procedure.objects.get(pk=key.procedure_id)
    return _held(h, option.start.tzinfo)


def _book(
    *,
    patient: Patient,
    kind: str,
    procedure: Procedure,
    start: datetime,
    room: Room,
    radiologist: User,
    actor: Any,
    request: Any,
) -> Appointment:
    """THE single call from FHIR into booking: the guarded service every booking path calls
    (clinical guard at the new start, locks, re-check, request state, audit)."""
    return booking.appointment_book(
        patient=patient,
        kind=kind,
        procedure=procedure,
        start=start,
        room=room,
        radiologist=radiologist,
        actor=actor,
        request=request,
    )


def book(
    request: HttpRequest, body: Any, *, user: Any
) -> tuple[int, Appointment, tuple[str, str] | None]:
    """(status, appointment, identifier); 201 new, 200 replay of the same identifier."""
    wanted = _Wanted(parameters_from_body(body).get("appt-resource"))
    key, ident = wanted.key, wanted.identifier
    system, value = (ident.system or "", ident.value or "") if ident is not None else ("", "")
    if value:
        earlier = (
            FhirBooking.objects.select_related("appointment__room__site")
            .filter(user=user, system=system, value=value)
            .first()
        )
        if earlier is not None:
            if earlier.slot_id != key.id:
                raise FhirError(409, "idempotency_conflict", issue="duplicate")
            return 200, earlier.appointment, (system, value)
    procedure = Procedure.objects.filter(pk=key.procedure_id).first()
    room = Room.objects.select_related("site").filter(pk=key.room_id).first()
    radiologist = User.objects.filter(pk=key.radiologist_id, role=Role.RADIOLOGIST).first()
    if procedure is None or room is None or radiologist is None:
        raise FhirError(404, "not_found", issue="not-found", resource="Slot", id=key.id)
    service_request = None
    if wanted.request_id is not None:
        service_request = ProcedureRequest.objects.filter(
            pk=wanted.request_id, patient=wanted.patient
        ).first()
        if service_request is None:
            raise FhirError(400, "bad_param", issue="invalid", param="basedOn")
    try:
        with transaction.atomic():
            own = _claim_hold(wanted, key, user)
            end = key.start + session_length(
                kind=key.kind, procedure=procedure, request=service_request
            )
            if own is None and slots.held_by_other(key, end, user):
                raise FhirError(409, "slot_held", issue="conflict")
            appointment = _book(
                patient=wanted.patient,
                kind=key.kind,
                procedure=procedure,
                start=key.start,
                room=room,
                radiologist=radiologist,
                actor=user,
                request=service_request,
            )
            if value:
                FhirBooking.objects.create(
                    user=user, system=system, value=value, slot_id=key.id, appointment=appointment
                )
            log_action(
                actor=user,
                action="fhir.booked",
                obj=appointment,
                patient=wanted.patient,
                request=request,
                details={"slot": key.id, "hold": own.pk if own else None},
            )
    except SlotTaken as exc:
        raise FhirError(409, "slot_taken", issue="conflict") from exc
    except ResourceBusy as exc:
        raise FhirError(503, "busy", issue="transient") from exc
    except BookingError as exc:
        raise FhirError(422, "booking_refused", issue="business-rule", detail=str(exc)) from exc
    except IntegrityError:
        # A concurrent replay with the same identifier committed first: answer as a replay.
        earlier = (
            FhirBooking.objects.select_related("appointment__room__site")
            .filter(user=user, system=system, value=value)
            .first()
        )
        if earlier is None or earlier.slot_id != key.id:
            raise
        return 200, earlier.appointment, (system, value)
    return 201, appointment, ((system, value) if value else None)


def _claim_hold(wanted: _Wanted, key: sched_map.SlotKey, user: Any) -> SlotHold | None:
    """The caller's hold on this slot, marked booked inside the booking's transaction (a refused
    booking rolls it back to held); 409 if the hold the Appointment names is gone. Without a
    named hold, the caller's own unexpired hold of this very slot for this patient, if any, is
    spent the same way, so that no hold outlives the booking it was for."""
    held = SlotHold.objects.select_for_update().filter(holder=user)
    if not wanted.id.startswith("hold-"):
        h = (
            held.unexpired()
            .filter(
                patient=wanted.patient,
                kind=key.kind,
                procedure_id=key.procedure_id,
                room_id=key.room_id,
                radiologist_id=key.radiologist_id,
                start=key.start,
            )
            .first()
        )
        if h is None:
            return None
    else:
        h = held.filter(pk=int(wanted.id[5:]) if wanted.id[5:].isdigit() else 0).first()
        if (
            h is None
            or slots.hold_key(h).id != key.id
            or h.status != HoldStatus.HELD
            or h.expires_at <= timezone.now()
        ):
            raise FhirError(409, "hold_expired", issue="conflict")
    h.status = HoldStatus.BOOKED
    h.save(update_fields=["status"])
    return h
