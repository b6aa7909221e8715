"""Resources not stored one-to-one: Observation (lab and dose values), Slot (computed from
capacity), Questionnaire (the form), Binary (the report's PDF)."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from geste.api.fhir import slots
from geste.api.fhir.http import FhirError
from geste.api.fhir.mappers import clinical, questionnaire
from geste.api.fhir.mappers import scheduling as sched_map
from geste.api.fhir.search import instant_bound, reference_id
from geste.clinic.models import Procedure, Room
from geste.clinic.selectors import site_zone
from geste.documents.pdf import report_pdf
from geste.pathway.models import ProcedureRecord, Report
from geste.pathway.sessions import session_length
from geste.patients.models import LabResult
from geste.scheduling.models import AppointmentKind

_OBS_ID = re.compile(r"^(lab|dose)-(\d+)-([a-z]+)$")
MAX_SLOT_DAYS = 92


# --- Observation -------------------------------------------------------------------------


def observation_read(obs_id: str) -> tuple[dict[str, Any], Any, Any]:
    m = _OBS_ID.match(obs_id)
    found: list[tuple[dict[str, Any], Any, Any]] = []
    if m and m[1] == "lab":
        lab = LabResult.objects.filter(pk=int(m[2])).first()
        if lab is not None:
            found = [(o, lab, lab.patient) for o in clinical.lab_observations(lab)]
    elif m:
        rec = (
            ProcedureRecord.objects.select_related("request__patient").filter(pk=int(m[2])).first()
        )
        if rec is not None:
            found = [(o, rec, rec.request.patient) for o in clinical.dose_observations(rec)]
    for item in found:
        if item[0]["id"] == obs_id:
            return item
    raise FhirError(404, "not_found", issue="not-found", resource="Observation", id=obs_id)


def observation_search(params: QueryDict) -> list[dict[str, Any]]:
    for name in params:
        if not name.startswith("_") and name not in ("patient", "subject", "code", "category"):
            raise FhirError(400, "bad_param", issue="not-supported", param=name)
    labs = LabResult.objects.order_by("sampled_at", "pk")
    records = ProcedureRecord.objects.select_related("request").order_by("recorded_at", "pk")
    who = params.get("patient") or params.get("subject")
    if who:
        pid = reference_id(who, "Patient", "patient")
        labs, records = labs.filter(patient_id=pid), records.filter(request__patient_id=pid)
    out = [o for lab in labs for o in clinical.lab_observations(lab)]
    out += [o for rec in records for o in clinical.dose_observations(rec)]
    if params.get("category"):
        wanted = set(params.get("category", "").split(","))
        out = [o for o in out if o["category"][0]["coding"][0]["code"] in wanted]
    if params.get("code"):
        wanted = {c.rpartition("|")[2] for c in params.get("code", "").split(",")}
        systems = {c.rpartition("|")[0] for c in params.get("code", "").split(",")} - {""}
        out = [
            o
            for o in out
            if o["code"]["coding"][0]["code"] in wanted
            and (not systems or o["code"]["coding"][0]["system"] in systems)
        ]
    return out


# --- Slot --------------------------------------------------------------------------------


def slot_search(params: QueryDict, *, limit: int, user: Any) -> list[dict[str, Any]]:
    """`service-type` (procedure code) is required; `appointment-type` consultation|procedure;
    `start` bounds (ge/gt, le/lt; at most 92 days); `status=free` (the only status we list)."""
    for name in params:
        if not name.startswith("_") and name not in (
            "service-type",
            "appointment-type",
            "start",
            "status",
            "schedule",
        ):
            raise FhirError(400, "bad_param", issue="not-supported", param=name)
    if params.get("status", "free") != "free":
        return []
    code = (params.get("service-type") or "").rpartition("|")[2]
    if not code:
        raise FhirError(400, "missing_param", issue="required", param="service-type")
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise FhirError(400, "bad_param", issue="invalid", param="service-type")
    kind = (params.get("appointment-type") or AppointmentKind.PROCEDURE).rpartition("|")[2]
    if kind not in AppointmentKind.values:
        raise FhirError(400, "bad_param", issue="invalid", param="appointment-type")
    lo = timezone.now()
    hi = lo + timedelta(days=30)
    for value in params.getlist("start"):
        prefix, moment = instant_bound(value, "start")
        if prefix in ("ge", "gt"):
            lo = max(lo, moment)
        elif prefix in ("le", "lt"):
            hi = moment
        else:
            raise FhirError(400, "bad_param", issue="invalid", param="start")
    if hi - lo > timedelta(days=MAX_SLOT_DAYS):
        raise FhirError(400, "bad_param", issue="too-costly", param="start")
    found = slots.free(
        procedure=procedure, kind=kind, not_before=lo, not_after=hi, limit=limit, user=user
    )
    if params.get("schedule"):
        room = reference_id(params.get("schedule", ""), "Schedule", "schedule")
        found = [(k, o) for k, o in found if k.room_id == room]
    return [
        sched_map.slot(key, option.end, procedure, zone=option.start.tzinfo)
        for key, option in found
    ]


def slot_read(slot_id: str, user: Any) -> dict[str, Any]:
    key = sched_map.SlotKey.parse(slot_id)
    procedure = Procedure.objects.filter(pk=key.procedure_id).first() if key else None
    if key is None or procedure is None:
        raise FhirError(404, "not_found", issue="not-found", resource="Slot", id=slot_id)
    option = slots.still_free(key, user=user)
    if option is None:
        # Computed slots are not stored: a taken one reads as busy, with its planned length.
        end = key.start + session_length(kind=key.kind, procedure=procedure)
        room = Room.objects.select_related("site").filter(pk=key.room_id).first()
        zone = site_zone(room.site.time_zone) if room is not None else None
        return sched_map.slot(key, end, procedure, status="busy", zone=zone)
    return sched_map.slot(key, option.end, procedure, zone=option.start.tzinfo)


# --- Questionnaire and Binary ------------------------------------------------------------


def questionnaire_read(qid: str) -> dict[str, Any]:
    if qid != questionnaire.QUESTIONNAIRE_ID:
        raise FhirError(404, "not_found", issue="not-found", resource="Questionnaire", id=qid)
    return questionnaire.questionnaire()


def binary_report(binary_id: str) -> Report:
    m = re.match(r"^report-(\d+)$", binary_id)
    report = (
        Report.objects.select_related("request__patient", "request__procedure", "signed_by")
        .filter(pk=int(m[1]))
        .first()
        if m
        else None
    )
    if report is None:
        raise FhirError(404, "not_found", issue="not-found", resource="Binary", id=binary_id)
    return report


def binary_response(request: HttpRequest, report: Report) -> HttpResponse | dict[str, Any]:
    pdf = report_pdf(report)
    if "json" in request.headers.get("Accept", ""):
        return {
            "resourceType": "Binary",
            "id": f"report-{report.pk}",
            "contentType": "application/pdf",
            "data": base64.b64encode(pdf).decode(),
        }
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="compte-rendu-{report.pk}.pdf"'
    return response
