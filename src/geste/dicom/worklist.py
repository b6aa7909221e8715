"""Modality Worklist items: the procedure appointments of rooms that have a DICOM station.

One item per (appointment, active station of its room). Values come straight from the
records: patient identity, the catalogue's code and label, the radiologist, and from the
pre-procedure questionnaire the pregnancy status, allergies and medical alerts (pathway.md
step 4), with the technologist's same-day pregnancy answer preferred when it is newer.
The database narrows by date, station and identifiers; `matching` then applies every key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from pydicom.dataset import Dataset

from geste.clinic.models import CentreSettings
from geste.dicom import identifiers as ids
from geste.dicom.matching import Item, QueryError, matches, project
from geste.dicom.models import ModalityStation
from geste.patients.forms import ALLERGY_CHOICES
from geste.patients.models import Declaration
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

PARIS = ZoneInfo("Europe/Paris")
CODING_SCHEME = "99GESTE"  # a private coding scheme ("99" prefix, PS3.16 8.2): our catalogue
SEX = {"F": "F", "M": "M", "X": "O"}
# PregnancyStatus (0010,21C0): 1 not pregnant, 2 possibly pregnant, 4 unknown. The
# questionnaire asks "pregnant or possibly pregnant", so a yes is 2, never 3 ("definitely").
PREGNANCY = {False: 1, True: 2, None: 4}
ALLERGY_LABELS = dict(ALLERGY_CHOICES)


def _lo(text: str) -> str:
    return text.replace("\\", "/")[:64]


def _pn(last: str, first: str) -> str:
    return f"{last}^{first}".replace("\\", " ")


def _code(code: str, meaning: str) -> Item:
    # CodeValue is SH (16 characters): longer catalogue codes go in LongCodeValue (PS3.3 8.8).
    key = "CodeValue" if len(code) <= 16 else "LongCodeValue"
    return {key: code, "CodingSchemeDesignator": CODING_SCHEME, "CodeMeaning": _lo(meaning)}


def _alerts(decl: Declaration | None) -> tuple[list[str], list[str]]:
    """(medical alerts, allergies) from a questionnaire, in French as staff read them."""
    if decl is None:
        return [], []
    alerts = []
    if decl.takes_anticoagulant:
        alerts.append("Anticoagulant ou antiagrégant")
    if decl.fever:
        alerts.append("Fièvre")
    if decl.current_infection:
        alerts.append(_lo("Infection en cours " + (decl.infection_details or "")).strip())
    if decl.skin_lesion_at_site:
        alerts.append("Lésion cutanée au point de ponction")
    allergies = [_lo(str(ALLERGY_LABELS.get(a, a))) for a in decl.allergies or []]
    if decl.allergy_details:
        allergies.append(_lo(decl.allergy_details))
    return alerts, allergies


def _declarations(appts: list[Appointment]) -> dict[int, Declaration]:
    """The questionnaire that counts for each appointment: the newest fresh one for its
    request (or for no request in particular); one read for the whole answer."""
    if not appts:
        return {}
    days = CentreSettings.current().questionnaire_max_age_days
    oldest = min(a.start for a in appts) - timedelta(days=days)
    by_patient: dict[int, list[Declaration]] = defaultdict(list)
    for d in Declaration.objects.filter(
        patient_id__in={a.patient_id for a in appts}, answered_at__gte=oldest
    ).order_by("-answered_at"):
        by_patient[d.patient_id].append(d)
    out = {}
    for a in appts:
        cutoff = a.start - timedelta(days=days)
        for d in by_patient.get(a.patient_id, []):
            if cutoff <= d.answered_at <= a.start and d.request_id in (a.request_id, None):
                out[a.pk] = d
                break
    return out


def _pregnancy(appt: Appointment, decl: Declaration | None) -> int | None:
    if appt.patient.sex == "M":
        return None
    req = appt.request
    answer = decl.pregnant if decl is not None else None
    answered = decl.answered_at if decl is not None else None
    checked = req.pregnancy_checked_at if req is not None else None
    if checked is not None and (answered is None or checked >= answered):
        answer = req.pregnancy_checked_answer if req is not None else None
    return PREGNANCY[answer]


def item_for(appt: Appointment, station: ModalityStation, decl: Declaration | None) -> Item:
    patient, proc, req = appt.patient, appt.procedure, appt.request
    start = timezone.localtime(appt.start, PARIS)
    alerts, allergies = _alerts(decl)
    req_id = appt.request_id or 0
    rad = appt.radiologist
    code = _code(proc.code, proc.label_fr)
    return {
        "PatientName": _pn(patient.last_name, patient.first_names),
        "PatientID": ids.patient_id(patient.pk),
        "IssuerOfPatientID": ids.ISSUER,
        "PatientBirthDate": patient.birth_date.strftime("%Y%m%d"),
        "PatientSex": SEX.get(patient.sex, "O"),
        "MedicalAlerts": alerts,
        "Allergies": allergies,
        "PregnancyStatus": _pregnancy(appt, decl),
        "AccessionNumber": ids.accession_number(req_id),
        "StudyInstanceUID": ids.study_uid(req_id),
        "RequestedProcedureID": ids.accession_number(req_id),
        "RequestedProcedureDescription": _lo(proc.label_fr),
        "RequestedProcedureCodeSequence": [code],
        "RequestedProcedurePriority": "ROUTINE",
        "ReferringPhysicianName": (req.referring_physician if req else "")[:64],
        "ScheduledProcedureStepSequence": [
            {
                "Modality": station.modality,
                "ScheduledStationAETitle": station.ae_title,
                "ScheduledStationName": station.station_name,
                "ScheduledProcedureStepStartDate": start.strftime("%Y%m%d"),
                "ScheduledProcedureStepStartTime": start.strftime("%H%M%S"),
                "ScheduledPerformingPhysicianName": _pn(rad.last_name, rad.first_name),
                "ScheduledProcedureStepDescription": _lo(proc.label_fr),
                "ScheduledProtocolCodeSequence": [code],
                "ScheduledProcedureStepID": ids.step_id(appt.pk),
                "ScheduledProcedureStepLocation": _lo(appt.room.name),
                "ScheduledProcedureStepStatus": "ARRIVED"
                if appt.status == AppointmentStatus.CHECKED_IN
                else "SCHEDULED",
            }
        ],
    }


def _day_bounds(query: Dataset) -> tuple[datetime, datetime]:
    """The days asked (`ScheduledProcedureStepStartDate`, single or range); today when the
    query leaves the date open, as units ask for "today's worklist"."""
    sps = query.get("ScheduledProcedureStepSequence")
    raw = ""
    if sps and len(sps) and sps[0].get("ScheduledProcedureStepStartDate"):
        raw = str(sps[0].ScheduledProcedureStepStartDate).strip()
    today = timezone.localdate()
    try:
        if not raw:
            first = last = today
        elif "-" in raw:
            low, _, high = raw.partition("-")
            first = _parse_date(low) if low.strip() else today - timedelta(days=1)
            last = _parse_date(high) if high.strip() else first + timedelta(days=7)
        else:
            first = last = _parse_date(raw)
    except ValueError as e:
        raise QueryError("scheduled date not understood") from e
    if last < first or (last - first).days > 31:
        raise QueryError("date range empty or longer than 31 days")
    return (
        datetime.combine(first, time.min, tzinfo=PARIS),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=PARIS),
    )


def _parse_date(text: str) -> date:
    t = text.strip().replace(".", "")
    if len(t) != 8:
        raise ValueError("not a DICOM date")
    return date.fromisoformat(f"{t[:4]}-{t[4:6]}-{t[6:]}")


def _stations(query: Dataset) -> list[ModalityStation]:
    stations = list(ModalityStation.objects.filter(active=True).select_related("room"))
    sps = query.get("ScheduledProcedureStepSequence")
    if sps and len(sps):
        probe = Dataset()
        for kw in ("ScheduledStationAETitle", "Modality", "ScheduledStationName"):
            if kw in sps[0]:
                setattr(probe, kw, sps[0].get(kw))
        stations = [
            s
            for s in stations
            if matches(
                {
                    "ScheduledStationAETitle": s.ae_title,
                    "Modality": s.modality,
                    "ScheduledStationName": s.station_name,
                },
                probe,
            )
        ]
    return stations


def find(query: Dataset) -> Iterable[Dataset]:
    """Every worklist item matching `query`, as the answer datasets (keys asked only)."""
    stations = _stations(query)
    if not stations:
        return []
    start, end = _day_bounds(query)
    by_room: dict[int, list[ModalityStation]] = defaultdict(list)
    for s in stations:
        by_room[s.room_id].append(s)
    qs = Appointment.objects.filter(
        kind=AppointmentKind.PROCEDURE,
        status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        room_id__in=list(by_room),
        start__gte=start,
        start__lt=end,
    )
    narrow: dict[str, Any] = {}
    for kw, kind, field in (
        ("AccessionNumber", "R", "request_id"),
        ("PatientID", "P", "patient_id"),
    ):
        value = str(query.get(kw) or "")
        if value and "*" not in value and "?" not in value:
            narrow[field] = ids.parse(value, kind) or -1  # a foreign id matches nothing
    appts = list(
        qs.filter(**narrow)
        .select_related("patient", "procedure", "request", "room", "radiologist")
        .order_by("start", "pk")
    )
    decls = _declarations(appts)
    out = []
    for appt in appts:
        for station in by_room[appt.room_id]:
            item = item_for(appt, station, decls.get(appt.pk))
            if matches(item, query):
                out.append(project(item, query))
    return out
