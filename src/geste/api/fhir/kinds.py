"""Read and search of the resources stored in our tables: one `Kind` per resource type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Model, Q, QuerySet

from geste.api.fhir.http import FhirError
from geste.api.fhir.mappers import clinical, directory, questionnaire, requests
from geste.api.fhir.mappers import patient as patient_map
from geste.api.fhir.mappers import scheduling as sched_map
from geste.api.fhir.mappers.common import IDNPS_OID, INS_NIR_OID, PATIENT_SYSTEM
from geste.api.fhir.models import FhirBooking
from geste.api.fhir.search import day_or_instant, reference_id
from geste.clinic.models import STAFF_ROLES, Procedure, Room, Site, User
from geste.pathway.models import ProcedureRecord, ProcedureRequest, Report
from geste.patients.models import Declaration, Patient
from geste.scheduling.models import Appointment
from geste.scheduling.selectors import from_local_days

Filter = Callable[[QuerySet[Any], str], QuerySet[Any]]


@dataclass
class Kind:
    queryset: Callable[[], QuerySet[Any]]
    to_fhir: Callable[[Any], dict[str, Any]]
    patient_of: Callable[[Any], Any] = lambda obj: None
    filters: dict[str, Filter] = field(default_factory=dict)


def _by_patient(path: str) -> Filter:
    def f(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        return qs.filter(**{path: reference_id(value, "Patient", "patient")})

    return f


def _patient_identifier(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    system, _, code = value.rpartition("|")
    if system in ("", INS_NIR_OID) and code:
        # RNIV: an INS identifies only a qualified identity.
        ins = qs.filter(ins=code.replace(" ", "").upper(), identity_status="qualifiee")
        if system == INS_NIR_OID:
            return ins
        if code.isdigit():
            return ins | qs.filter(pk=int(code))
        return ins
    if system == PATIENT_SYSTEM and code.isdigit():
        return qs.filter(pk=int(code))
    return qs.none()


def _name(*fields: str) -> Filter:
    def f(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        q = Q()
        for name in fields:
            q |= Q(**{f"{name}__icontains": value})
        return qs.filter(q)

    return f


def _birthdate(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    from django.utils.dateparse import parse_date

    day = parse_date(value)
    if day is None:
        raise FhirError(400, "bad_param", issue="invalid", param="birthdate")
    return qs.filter(birth_date=day)


def _rpps(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    system, _, code = value.rpartition("|")
    if system not in ("", IDNPS_OID):
        return qs.none()
    return qs.filter(rpps=code[1:] if len(code) == 12 and code.startswith("8") else code)


def _appointment_date(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    """`date`: an instant (with its prefix), or a bare date: the appointment's local day in
    its site's zone (eq that day, ge from it, gt after it, le up to it, lt before it)."""
    prefix, found = day_or_instant(value, "date")
    if not isinstance(found, datetime):
        day, after = found, found + timedelta(days=1)
        first = {"eq": day, "ge": day, "gt": after}.get(prefix)
        before = {"eq": after, "le": after, "lt": day}.get(prefix)
        zones = Site.objects.values_list("time_zone", flat=True).distinct()
        return qs.filter(from_local_days(zones, first=first, before=before))
    moment = found
    lookup = {"ge": "start__gte", "gt": "start__gt", "le": "start__lte", "lt": "start__lt"}
    if prefix == "eq":
        return qs.filter(start=moment)
    return qs.filter(**{lookup[prefix]: moment})


def _appointment_identifier(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    system, _, code = value.rpartition("|")
    ids = FhirBooking.objects.filter(value=code)
    if system:
        ids = ids.filter(system=system)
    return qs.filter(pk__in=ids.values("appointment_id"))


def _appointment_status(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    ours = [k for k, v in sched_map.STATUS.items() if v in value.split(",")]
    return qs.filter(status__in=ours)


def _appointment(a: Appointment) -> dict[str, Any]:
    booking = FhirBooking.objects.filter(appointment=a).first()
    return sched_map.appointment(a, (booking.system, booking.value) if booking else None)


def _service(p: Procedure) -> dict[str, Any]:
    rooms = list(Room.objects.filter(active=True).select_related("site"))
    return directory.healthcare_service(p, rooms, Site.objects.order_by("pk").first())


KINDS: dict[str, Kind] = {
    "Patient": Kind(
        lambda: Patient.objects.order_by("pk"),
        patient_map.to_fhir,
        lambda p: p,
        {
            "_id": lambda qs, v: qs.filter(pk=reference_id(v, "Patient", "_id")),
            "identifier": _patient_identifier,
            "family": _name("last_name", "birth_name"),
            "given": _name("first_names"),
            "name": _name("last_name", "birth_name", "first_names"),
            "birthdate": _birthdate,
        },
    ),
    "Practitioner": Kind(
        lambda: User.objects.filter(role__in=STAFF_ROLES).order_by("pk"),
        directory.practitioner,
        filters={"identifier": _rpps, "name": _name("last_name", "first_name")},
    ),
    "Organization": Kind(lambda: Site.objects.order_by("pk"), directory.organization),
    "Location": Kind(
        lambda: Room.objects.select_related("site").order_by("pk"),
        directory.location,
        filters={
            "organization": lambda qs, v: qs.filter(
                site_id=reference_id(v, "Organization", "organization")
            )
        },
    ),
    "HealthcareService": Kind(lambda: Procedure.objects.order_by("sort_order", "pk"), _service),
    "Schedule": Kind(
        lambda: Room.objects.select_related("site").order_by("pk"),
        directory.schedule,
        filters={"actor": lambda qs, v: qs.filter(pk=reference_id(v, "Location", "actor"))},
    ),
    "Appointment": Kind(
        lambda: Appointment.objects.select_related("procedure", "room__site").order_by(
            "start", "pk"
        ),
        _appointment,
        lambda a: a.patient,
        {
            "patient": _by_patient("patient_id"),
            "date": _appointment_date,
            "status": _appointment_status,
            "identifier": _appointment_identifier,
        },
    ),
    "ServiceRequest": Kind(
        lambda: ProcedureRequest.objects.select_related("procedure").order_by("pk"),
        requests.service_request,
        lambda r: r.patient,
        {"patient": _by_patient("patient_id"), "subject": _by_patient("patient_id")},
    ),
    "Task": Kind(
        lambda: ProcedureRequest.objects.order_by("pk"),
        requests.validation_task,
        lambda r: r.patient,
        {
            "patient": _by_patient("patient_id"),
            "focus": lambda qs, v: qs.filter(pk=reference_id(v, "ServiceRequest", "focus")),
        },
    ),
    "QuestionnaireResponse": Kind(
        lambda: Declaration.objects.prefetch_related("medications").order_by("pk"),
        questionnaire.response,
        lambda d: d.patient,
        {"patient": _by_patient("patient_id"), "subject": _by_patient("patient_id")},
    ),
    "Procedure": Kind(
        lambda: ProcedureRecord.objects.select_related("request__procedure").order_by("pk"),
        clinical.procedure,
        lambda r: r.request.patient,
        {
            "patient": _by_patient("request__patient_id"),
            "subject": _by_patient("request__patient_id"),
        },
    ),
    "DiagnosticReport": Kind(
        lambda: Report.objects.select_related("request").order_by("pk"),
        clinical.diagnostic_report,
        lambda r: r.request.patient,
        {
            "patient": _by_patient("request__patient_id"),
            "subject": _by_patient("request__patient_id"),
        },
    ),
    "DocumentReference": Kind(
        lambda: Report.objects.select_related("request").order_by("pk"),
        clinical.document_reference,
        lambda r: r.request.patient,
        {
            "patient": _by_patient("request__patient_id"),
            "subject": _by_patient("request__patient_id"),
        },
    ),
}


def get(kind: Kind, resource_type: str, pk: str) -> Model:
    if not pk.isdigit():
        raise FhirError(404, "not_found", issue="not-found", resource=resource_type, id=pk)
    obj = kind.queryset().filter(pk=int(pk)).first()
    if obj is None:
        raise FhirError(404, "not_found", issue="not-found", resource=resource_type, id=pk)
    return obj


def filtered(kind: Kind, resource_type: str, params: Any) -> QuerySet[Any]:
    qs = kind.queryset()
    for name in params:
        if name.startswith("_") and name != "_id":
            continue
        f = kind.filters.get(name)
        if f is None:
            raise FhirError(400, "bad_param", issue="not-supported", param=name)
        for value in params.getlist(name):
            qs = f(qs, value)
    return qs
