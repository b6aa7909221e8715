"""Modality Worklist items: the procedure appointments of rooms that have a DICOM station.

One item per (appointment, active station of its room). Values come straight from the
records: patient identity, the catalogue's code and label, the radiologist, and from the
pre-procedure questionnaire the pregnancy status, allergies and medical alerts (pathway.md
step 4), with the technologist's same-day pregnancy answer preferred when it is newer.
The database narrows by date, station and identifiers; `matching` then applies every key.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from pydicom.dataset import Dataset

from geste.clinic.models import CentreSettings
from geste.clinic.selectors import site_zone
from geste.dicom import identifiers as ids
from geste.dicom.matching import Item, Query, QueryError, scalar_match
from geste.dicom.models import ModalityStation
from geste.patients.forms import ALLERGY_CHOICES
from geste.patients.models import Declaration
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus
from geste.scheduling.selectors import day_bounds, on_local_days

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


Row = dict[str, Any]
DECLARATION_FIELDS = (
    "patient_id",
    "request_id",
    "answered_at",
    "pregnant",
    "takes_anticoagulant",
    "fever",
    "current_infection",
    "infection_details",
    "skin_lesion_at_site",
    "allergies",
    "allergy_details",
)
APPOINTMENT_FIELDS = (
    "pk",
    "start",
    "status",
    "room_id",
    "room__name",
    "request_id",
    "patient_id",
    "patient__last_name",
    "patient__first_names",
    "patient__birth_date",
    "patient__sex",
    "procedure__code",
    "procedure__label_fr",
    "radiologist__first_name",
    "radiologist__last_name",
    "request__referring_physician",
    "room__site__time_zone",
    "request__pregnancy_checked_at",
    "request__pregnancy_checked_answer",
)


def _alerts(decl: Row | None) -> tuple[list[str], list[str]]:
    """(medical alerts, allergies) from a questionnaire, in French as staff read them."""
    if decl is None:
        return [], []
    alerts = []
    if decl["takes_anticoagulant"]:
        alerts.append("Anticoagulant ou antiagrégant")
    if decl["fever"]:
        alerts.append("Fièvre")
    if decl["current_infection"]:
        alerts.append(_lo("Infection en cours " + (decl["infection_details"] or "")).strip())
    if decl["skin_lesion_at_site"]:
        alerts.append("Lésion cutanée au point de ponction")
    allergies = [_lo(str(ALLERGY_LABELS.get(a, a))) for a in decl["allergies"] or []]
    if decl["allergy_details"]:
        allergies.append(_lo(decl["allergy_details"]))
    return alerts, allergies


def _declarations(appts: list[Row]) -> dict[int, Row]:
    """The questionnaire that counts for each appointment: the newest fresh one for its
    request (or for no request in particular); one read for the whole answer."""
    if not appts:
        return {}
    days = CentreSettings.current().questionnaire_max_age_days
    oldest = min(a["start"] for a in appts) - timedelta(days=days)
    by_patient: dict[int, list[Row]] = defaultdict(list)
    for d in (
        Declaration.objects.filter(
            patient_id__in={a["patient_id"] for a in appts}, answered_at__gte=oldest
        )
        .order_by("-answered_at")
        .values(*DECLARATION_FIELDS)
    ):
        by_patient[d["patient_id"]].append(d)
    out = {}
    for a in appts:
        cutoff = a["start"] - timedelta(days=days)
        for d in by_patient.get(a["patient_id"], []):
            fresh = cutoff <= d["answered_at"] <= a["start"]
            if fresh and d["request_id"] in (a["request_id"], None):
                out[a["pk"]] = d
                break
    return out


def _pregnancy(appt: Row, decl: Row | None) -> int | None:
    if appt["patient__sex"] == "M":
        return None
    answer = decl["pregnant"] if decl is not None else None
    answered = decl["answered_at"] if decl is not None else None
    checked = appt["request__pregnancy_checked_at"]
    if checked is not None and (answered is None or checked >= answered):
        answer = appt["request__pregnancy_checked_answer"]
    return PREGNANCY[answer]


def item_for(appt: Row, station: ModalityStation, decl: Row | None) -> Item:
    # The room's local time (its site's zone): what the unit in that room shows and asks for.
    start = appt["start"].astimezone(site_zone(appt["room__site__time_zone"]))
    alerts, allergies = _alerts(decl)
    req_id = appt["request_id"] or 0
    label = _lo(appt["procedure__label_fr"])
    code = _code(appt["procedure__code"], label)
    return {
        "PatientName": _pn(appt["patient__last_name"], appt["patient__first_names"]),
        "PatientID": ids.patient_id(appt["patient_id"]),
        "IssuerOfPatientID": ids.ISSUER,
        "PatientBirthDate": appt["patient__birth_date"].strftime("%Y%m%d"),
        "PatientSex": SEX.get(appt["patient__sex"], "O"),
        "MedicalAlerts": alerts,
        "Allergies": allergies,
        "PregnancyStatus": _pregnancy(appt, decl),
        "AccessionNumber": ids.accession_number(req_id),
        "StudyInstanceUID": ids.study_uid(req_id),
        "RequestedProcedureID": ids.accession_number(req_id),
        "RequestedProcedureDescription": label,
        "RequestedProcedureCodeSequence": [code],
        "RequestedProcedurePriority": "ROUTINE",
        "ReferringPhysicianName": (appt["request__referring_physician"] or "")[:64],
        "ScheduledProcedureStepSequence": [
            {
                "Modality": station.modality,
                "ScheduledStationAETitle": station.ae_title,
                "ScheduledStationName": station.station_name,
                "ScheduledProcedureStepStartDate": start.strftime("%Y%m%d"),
                "ScheduledProcedureStepStartTime": start.strftime("%H%M%S"),
                "ScheduledPerformingPhysicianName": _pn(
                    appt["radiologist__last_name"], appt["radiologist__first_name"]
                ),
                "ScheduledProcedureStepDescription": label,
                "ScheduledProtocolCodeSequence": [code],
                "ScheduledProcedureStepID": ids.step_id(appt["pk"]),
                "ScheduledProcedureStepLocation": _lo(appt["room__name"]),
                "ScheduledProcedureStepStatus": "ARRIVED"
                if appt["status"] == AppointmentStatus.CHECKED_IN
                else "SCHEDULED",
            }
        ],
    }


def _days(query: Dataset) -> tuple[date, date]:
    """The local days asked (`ScheduledProcedureStepStartDate`, single or range), each room's
    in its site's zone; today when the query leaves the date open, as units ask for "today's
    worklist"."""
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
    return first, last


def _parse_date(text: str) -> date:
    t = text.strip().replace(".", "")
    if len(t) != 8:
        raise ValueError("not a DICOM date")
    return date.fromisoformat(f"{t[:4]}-{t[4:6]}-{t[6:]}")


STATION_KEYS = ("ScheduledStationAETitle", "Modality", "ScheduledStationName")


def _stations(query: Query) -> list[ModalityStation]:
    """The active stations the query's station keys (AE title, modality, name) allow."""
    stations = list(ModalityStation.objects.filter(active=True))
    sps = next((sub for kw, sub in query.sequences if kw == "ScheduledProcedureStepSequence"), None)
    if sps is None:
        return stations
    keys = [(kw, vr, wanted) for kw, vr, wanted in sps.scalars if kw in STATION_KEYS]

    def ok(s: ModalityStation) -> bool:
        values = dict(zip(STATION_KEYS, (s.ae_title, s.modality, s.station_name), strict=True))
        return all(scalar_match(values[kw], wanted, vr) for kw, vr, wanted in keys)

    return [s for s in stations if ok(s)]


def _name_prefix(pattern: str | None) -> str:
    """The literal start of a family-name pattern, for the database to narrow by; only
    ASCII (SQLite folds case for ASCII only; Python re-checks every item anyway)."""
    if not pattern:
        return ""
    prefix = ""
    for c in pattern:
        if c in "*?^=\\" or not c.isascii():
            break
        prefix += c
    return prefix if len(prefix) >= 2 else ""


def matching_items(query: Query) -> list[Item]:
    """Every worklist item matching the identifier (plain dicts: `matching` answers them).
    Three reads: stations, appointments with their patient, request and procedure in one
    join, questionnaires in one more."""
    stations = _stations(query)
    if not stations:
        return []
    first, last = _days(query.dataset)
    by_room: dict[int, list[ModalityStation]] = defaultdict(list)
    for s in stations:
        by_room[s.room_id].append(s)
    qs = Appointment.objects.filter(
        on_local_days(day_bounds(first)[0], day_bounds(last)[1]),
        kind=AppointmentKind.PROCEDURE,
        status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        room_id__in=list(by_room),
    )
    # The database narrows what it safely can; `Query.matches` decides.
    for kw, kind, field in (
        ("AccessionNumber", "R", "request_id"),
        ("PatientID", "P", "patient_id"),
    ):
        value = query.value(kw) or ""
        if value and "*" not in value and "?" not in value:
            qs = qs.filter(**{field: ids.parse(value, kind) or -1})  # foreign id: no match
    prefix = _name_prefix(query.value("PatientName"))
    if prefix:
        qs = qs.filter(patient__last_name__istartswith=prefix)
    appts = list(qs.order_by("start", "pk").values(*APPOINTMENT_FIELDS))
    decls = _declarations(appts)
    out = []
    for appt in appts:
        local = appt["start"].astimezone(site_zone(appt["room__site__time_zone"])).date()
        if not first <= local <= last:  # a site in another zone: another local day
            continue
        for station in by_room[appt["room_id"]]:
            item = item_for(appt, station, decls.get(appt["pk"]))
            if query.matches(item):
                out.append(item)
    return out


def find(query_ds: Dataset) -> list[Dataset]:
    """Every worklist item matching the identifier, as the answers (keys asked only)."""
    query = Query(query_ds)
    return [query.project(item) for item in matching_items(query)]
