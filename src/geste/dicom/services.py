"""Writes from the equipment: dose reports (RDSR) and performed procedure steps (MPPS).

The unit is the actor: events are audited with no user and the station's AE title in
the details. Dose values reach the procedure record only from here (`record_dose_fill`),
never retyped; the dose reports matched to a request are the record's source.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from geste import PARIS
from geste.audit.services import log_action
from geste.clinic.selectors import site_zone
from geste.dicom import identifiers as ids
from geste.dicom.alerts import dose_alerts_evaluate
from geste.dicom.models import (
    DoseReport,
    IrradiationEvent,
    MatchMethod,
    ModalityStation,
)
from geste.dicom.rdsr import DoseSummary
from geste.dicom.selectors import dose_source_text
from geste.pathway.models import ProcedureRecord, ProcedureRequest
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

logger = logging.getLogger("geste.dicom")


class MatchError(ValueError):
    """A manual match that cannot be made (the message says why)."""


@dataclass(frozen=True)
class Match:
    request: ProcedureRequest
    appointment: Appointment | None
    method: str


def _procedure_appointment(request_id: int, day: datetime | None) -> Appointment | None:
    qs = Appointment.objects.filter(request_id=request_id, kind=AppointmentKind.PROCEDURE).exclude(
        status=AppointmentStatus.CANCELLED
    )
    if day is not None:
        # The unit's local day (the report's times are in its room's zone, see _in_zone).
        same_day = qs.filter(_local_day(day)).order_by("start").first()
        if same_day is not None:
            return same_day
    return qs.order_by("-start").first()


def _local_day(moment: datetime) -> Q:
    """Appointments starting on `moment`'s local day, in `moment`'s own zone."""
    zone = moment.tzinfo or PARIS
    day = moment.astimezone(zone).date()
    return Q(
        start__gte=datetime.combine(day, time.min, tzinfo=zone),
        start__lt=datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def _in_zone(summary: DoseSummary, station: ModalityStation | None) -> None:
    """The report's times are the unit's wall clock (no offset written; rdsr reads them in
    the default zone): read them in its room's site's zone."""
    if station is None:
        return
    zone = site_zone(station.room.site.time_zone)
    if summary.performed_at is not None:
        summary.performed_at = summary.performed_at.replace(tzinfo=zone)
    for event in summary.events:
        if event.started_at is not None:
            event.started_at = event.started_at.replace(tzinfo=zone)


def find_match(summary: DoseSummary) -> Match | None:
    """The procedure a dose report belongs to: the worklist's study UID or accession
    number (copied by the unit from our worklist), else our patient id and the day."""
    request_id = None
    method = ""
    if summary.study_instance_uid.startswith("2.25."):
        # Study UIDs are derived from request ids: only a known accession can confirm one.
        rid = ids.parse(summary.accession_number, "R")
        if rid is not None and ids.study_uid(rid) == summary.study_instance_uid:
            request_id, method = rid, MatchMethod.STUDY_UID
    if request_id is None:
        rid = ids.parse(summary.accession_number, "R")
        if rid is not None and ProcedureRequest.objects.filter(pk=rid).exists():
            request_id, method = rid, MatchMethod.ACCESSION
    if request_id is None and summary.performed_at is not None:
        pid = ids.parse(summary.patient_id, "P")
        if pid is not None:
            appts = list(
                Appointment.objects.filter(
                    _local_day(summary.performed_at),
                    patient_id=pid,
                    kind=AppointmentKind.PROCEDURE,
                    request__isnull=False,
                ).exclude(status=AppointmentStatus.CANCELLED)[:2]
            )
            if len(appts) == 1:  # two procedures that day: staff decide
                request_id, method = appts[0].request_id, MatchMethod.PATIENT_DATE
    if request_id is None:
        return None
    request = ProcedureRequest.objects.select_related("patient").filter(pk=request_id).first()
    if request is None:
        return None
    return Match(request, _procedure_appointment(request.pk, summary.performed_at), method)


def _store_file(raw: bytes, uid: str) -> str:
    day = timezone.localdate()
    name = f"rdsr/{day:%Y/%m}/{uid}.dcm"
    return default_storage.save(name, ContentFile(raw))


def dose_report_import(
    *, summary: DoseSummary, raw: bytes, calling_ae: str, station: ModalityStation | None
) -> tuple[DoseReport, bool]:
    """Keep a dose report (RDSR): the file, its totals and events; matched to its procedure
    when it can be, kept unmatched for staff otherwise. A report already received (same SOP
    Instance UID) is not stored twice: `(report, False)`."""
    existing = DoseReport.objects.filter(sop_instance_uid=summary.sop_instance_uid).first()
    if existing is not None:
        return existing, False
    _in_zone(summary, station)
    name = _store_file(raw, summary.sop_instance_uid)
    try:
        with transaction.atomic():
            report = DoseReport.objects.create(
                sop_instance_uid=summary.sop_instance_uid,
                study_instance_uid=summary.study_instance_uid[:64],
                accession_number=summary.accession_number[:16],
                calling_ae=calling_ae,
                station=station,
                manufacturer=summary.manufacturer,
                model_name=summary.model_name,
                dicom_patient_id=summary.patient_id[:64],
                dicom_patient_name=summary.patient_name[:200],
                dicom_birth_date=summary.birth_date,
                performed_at=summary.performed_at,
                dap_gy_cm2=summary.dap_gy_cm2,
                fluoro_dap_gy_cm2=summary.fluoro_dap_gy_cm2,
                acquisition_dap_gy_cm2=summary.acquisition_dap_gy_cm2,
                rak_mgy=summary.rak_mgy,
                fluoro_time_s=summary.fluoro_time_s,
                event_count=len(summary.events),
                source_file=name,
            )
            IrradiationEvent.objects.bulk_create(
                IrradiationEvent(
                    report=report,
                    event_uid=e.uid[:64],
                    started_at=e.started_at,
                    event_type=e.event_type,
                    plane=e.plane,
                    dap_gy_cm2=e.dap_gy_cm2,
                    rak_mgy=e.rak_mgy,
                    duration_s=e.duration_s,
                )
                for e in summary.events
            )
            match = find_match(summary)
            log_action(
                actor=None,
                action="dicom.dose_received",
                obj=report,
                patient=match.request.patient if match else None,
                details={
                    "station": calling_ae,
                    "sop_instance_uid": report.sop_instance_uid,
                    "matched": match.method if match else "",
                },
            )
            if match is not None:
                _attach(report, match, actor=None)
    except Exception:
        default_storage.delete(name)  # nothing half-written: no file without its row
        raise
    return report, True


def _attach(report: DoseReport, match: Match, *, actor: Any) -> None:
    report.request = match.request
    report.appointment = match.appointment
    report.match_method = match.method
    report.matched_at = timezone.now()
    report.matched_by = actor if getattr(actor, "is_authenticated", False) else None
    report.save(
        update_fields=["request", "appointment", "match_method", "matched_at", "matched_by"]
    )
    record_dose_fill(request=match.request, actor=actor)
    dose_alerts_evaluate(report=report)


def dose_report_match(*, report: DoseReport, request: ProcedureRequest, actor: Any) -> DoseReport:
    """Staff attach an unmatched dose report to its procedure (the list is
    `selectors.unmatched_dose_reports`). Once only: a matched report stays matched."""
    with transaction.atomic():
        locked = DoseReport.objects.select_for_update().get(pk=report.pk)
        if locked.request_id is not None:
            raise MatchError("dose report already matched")
        at = locked.performed_at
        if at is not None:  # the unit's local day: its room's site's (the default's without)
            station = locked.station
            at = at.astimezone(site_zone(station.room.site.time_zone) if station else PARIS)
        appt = _procedure_appointment(request.pk, at)
        _attach(locked, Match(request, appt, MatchMethod.MANUAL), actor=actor)
        log_action(
            actor=actor,
            action="dicom.dose_matched",
            obj=locked,
            patient=request.patient,
            details={"request": request.pk, "sop_instance_uid": locked.sop_instance_uid},
        )
    return locked


def dose_totals(request: ProcedureRequest) -> dict[str, float | None]:
    """Sum of the request's dose reports (a procedure may send more than one)."""
    agg = DoseReport.objects.filter(request=request).aggregate(
        dap=Sum("dap_gy_cm2"), rak=Sum("rak_mgy"), fluoro=Sum("fluoro_time_s")
    )
    return {"dap_gy_cm2": agg["dap"], "rak_mgy": agg["rak"], "fluoro_time_s": agg["fluoro"]}


def dose_prefill(request: ProcedureRequest) -> dict[str, Any] | None:
    """Values for the procedure record form when the dose report came first:
    `{"dap_mgy_cm2", "fluoroscopy_s", "source"}`, or None when no report is matched."""
    totals = dose_totals(request)
    if totals["dap_gy_cm2"] is None:
        return None
    return {
        "dap_mgy_cm2": round(totals["dap_gy_cm2"] * 1000, 1),
        "fluoroscopy_s": round(totals["fluoro_time_s"] or 0),
        # The report prints the reference air kerma when known (issue 10, point 8).
        "reference_air_kerma_mgy": (
            round(totals["rak_mgy"], 2) if totals["rak_mgy"] is not None else None
        ),
        "source": dose_source_text(request),
    }


def record_dose_fill(*, request: ProcedureRequest, actor: Any) -> bool:
    """Write the matched dose reports' totals into the procedure record's dose fields
    (`ProcedureRecord.dap_mgy_cm2`, `fluoroscopy_s`) if the record exists; audited with
    the values replaced. Returns whether a record was updated."""
    prefill = dose_prefill(request)
    if prefill is None:
        return False
    with transaction.atomic():
        record = ProcedureRecord.objects.select_for_update().filter(request=request).first()
        if record is None:
            return False
        before = {"dap_mgy_cm2": record.dap_mgy_cm2, "fluoroscopy_s": record.fluoroscopy_s}
        ProcedureRecord.objects.filter(pk=record.pk).update(
            dap_mgy_cm2=prefill["dap_mgy_cm2"],
            fluoroscopy_s=prefill["fluoroscopy_s"],
            reference_air_kerma_mgy=prefill["reference_air_kerma_mgy"],
        )
        log_action(
            actor=actor,
            action="dicom.record_dose_filled",
            obj=request,
            details={
                "before": before,
                "after": {k: prefill[k] for k in ("dap_mgy_cm2", "fluoroscopy_s")},
                "reference_air_kerma_mgy": {
                    "before": record.reference_air_kerma_mgy,
                    "after": prefill["reference_air_kerma_mgy"],
                },
                "reports": list(
                    DoseReport.objects.filter(request=request).values_list(
                        "sop_instance_uid", flat=True
                    )
                ),
            },
        )
    return True
