"""Modality Performed Procedure Step (MPPS): what the unit says it is doing.

The request's state machine (pathway/transitions.py) has no "started" state, and
`performed` means "the procedure record is written" (route, levels, side, drug: things the
unit does not know; the report can only be signed on a written record). So MPPS never moves
the request. It records the step on `PerformedStep` and audits it:
- N-CREATE IN PROGRESS  -> `dicom.mpps_in_progress` (the procedure has started in the room);
- N-SET COMPLETED        -> `dicom.mpps_completed` (the record form can be filled; its dose
  fields come from the dose report, see services.record_dose_fill);
- N-SET DISCONTINUED     -> `dicom.mpps_discontinued` with the unit's reason; the
  radiologist decides what follows (postpone, cancel) in geste, as for any interruption.
Worklists read `selectors.step_status_by_request()` to show "en cours" / "terminé".
A step that is COMPLETED or DISCONTINUED may no longer be changed (PS3.4 F.7.2.2).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.db import transaction
from pydicom.dataset import Dataset

from geste import PARIS
from geste.audit.services import log_action
from geste.clinic.selectors import site_zone
from geste.dicom import identifiers as ids
from geste.dicom.models import ModalityStation, PerformedStep, StepStatus
from geste.pathway.models import ProcedureRequest
from geste.scheduling.models import Appointment

# DIMSE statuses (PS3.7 Annex C, PS3.4 F.7.2)
INVALID_ATTRIBUTE_VALUE = 0x0106
PROCESSING_FAILURE = 0x0110
DUPLICATE_INSTANCE = 0x0111
NO_SUCH_INSTANCE = 0x0112
MISSING_ATTRIBUTE = 0x0120


class MppsError(Exception):
    def __init__(self, status: int, comment: str) -> None:
        super().__init__(comment)
        self.status = status
        self.comment = comment


def _when(ds: Dataset, date_kw: str, time_kw: str, zone: tzinfo = PARIS) -> datetime | None:
    """A date and time the unit wrote: its room's local time (`zone`, its site's)."""
    d = str(ds.get(date_kw) or "").strip()
    t = str(ds.get(time_kw) or "").strip().split(".")[0]
    if len(d) != 8:
        return None
    try:
        return datetime.strptime(d + t.ljust(6, "0")[:6], "%Y%m%d%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None


def _status(ds: Dataset) -> str:
    return str(ds.get("PerformedProcedureStepStatus") or "").strip().upper()


def _targets(ds: Dataset) -> tuple[Appointment | None, ProcedureRequest | None]:
    """The appointment and request the unit worked from (the worklist's ids, copied back)."""
    for item in ds.get("ScheduledStepAttributesSequence") or []:
        appt_id = ids.parse(item.get("ScheduledProcedureStepID"), "A")
        if appt_id is not None:
            appt = Appointment.objects.select_related("request").filter(pk=appt_id).first()
            if appt is not None:
                return appt, appt.request
        req_id = ids.parse(item.get("AccessionNumber"), "R")
        if req_id is not None:
            req = ProcedureRequest.objects.filter(pk=req_id).first()
            if req is not None:
                return None, req
    return None, None


def mpps_create(*, uid: str, ds: Dataset, station: ModalityStation) -> PerformedStep:
    """N-CREATE: a step starts, IN PROGRESS (the only status allowed at creation)."""
    if _status(ds) != StepStatus.IN_PROGRESS:
        raise MppsError(INVALID_ATTRIBUTE_VALUE, "status must be IN PROGRESS at creation")
    if "ScheduledStepAttributesSequence" not in ds:
        raise MppsError(MISSING_ATTRIBUTE, "Scheduled Step Attributes Sequence missing")
    appt, req = _targets(ds)
    with transaction.atomic():
        if PerformedStep.objects.filter(sop_instance_uid=uid).exists():
            raise MppsError(DUPLICATE_INSTANCE, "this performed step already exists")
        step = PerformedStep.objects.create(
            sop_instance_uid=uid,
            station=station,
            appointment=appt,
            request=req,
            status=StepStatus.IN_PROGRESS,
            started_at=_when(
                ds,
                "PerformedProcedureStepStartDate",
                "PerformedProcedureStepStartTime",
                site_zone(station.room.site.time_zone),
            ),
        )
        log_action(
            actor=None,
            action="dicom.mpps_in_progress",
            obj=req or step,
            patient=req.patient if req else None,
            details={"station": station.ae_title, "mpps": uid, "matched": req is not None},
        )
    return step


def _reason(ds: Dataset) -> str:
    seq = ds.get("PerformedProcedureStepDiscontinuationReasonCodeSequence")
    if not seq:
        return ""
    return str(seq[0].get("CodeMeaning") or seq[0].get("CodeValue") or "")[:120]


def mpps_update(*, uid: str, ds: Dataset, station: ModalityStation) -> PerformedStep:
    """N-SET: progress, then COMPLETED or DISCONTINUED (final)."""
    new_status = _status(ds)
    if new_status and new_status not in StepStatus.values:
        raise MppsError(INVALID_ATTRIBUTE_VALUE, "unknown performed step status")
    with transaction.atomic():
        step = PerformedStep.objects.select_for_update().filter(sop_instance_uid=uid).first()
        if step is None:
            raise MppsError(NO_SUCH_INSTANCE, "no such performed step")
        if step.status != StepStatus.IN_PROGRESS:
            raise MppsError(PROCESSING_FAILURE, "performed step may no longer be updated")
        if new_status and new_status != StepStatus.IN_PROGRESS:
            step.status = new_status
            step.ended_at = _when(
                ds,
                "PerformedProcedureStepEndDate",
                "PerformedProcedureStepEndTime",
                site_zone(station.room.site.time_zone),
            )
            step.discontinuation_reason = _reason(ds)
        step.save()
        actions: dict[str, str] = {
            StepStatus.COMPLETED: "dicom.mpps_completed",
            StepStatus.DISCONTINUED: "dicom.mpps_discontinued",
        }
        action = actions.get(step.status, "dicom.mpps_updated")
        req = step.request
        log_action(
            actor=None,
            action=action,
            obj=req or step,
            patient=req.patient if req else None,
            details={
                "station": station.ae_title,
                "mpps": uid,
                **({"reason": step.discontinuation_reason} if step.discontinuation_reason else {}),
            },
        )
    return step
