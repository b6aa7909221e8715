"""Reads for staff pages: unmatched dose reports, a request's dose and its source, open
dose alerts, step status for worklists, and the median dose per room and procedure beside
the French diagnostic reference levels (NRD, `nrd.json`)."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from geste.dicom.models import DoseAlert, DoseReport, PerformedStep
from geste.dicom.rdsr import DAP_UNITS

NRD_FILE = Path(__file__).with_name("nrd.json")


def unmatched_dose_reports() -> QuerySet[DoseReport]:
    """Dose reports that matched no procedure, newest first, for staff to match
    (`services.dose_report_match`)."""
    return DoseReport.objects.filter(request__isnull=True).select_related("station__room")


def dose_reports_for_request(request: Any) -> list[DoseReport]:
    return list(
        DoseReport.objects.filter(request=request)
        .select_related("station")
        .order_by("received_at", "pk")
    )


def dose_source_text(request: Any) -> str:
    """Where the record's dose values come from, for display beside them."""
    parts = []
    for r in dose_reports_for_request(request):
        when = timezone.localtime(r.received_at).strftime("%d/%m/%Y %H:%M")
        unit = f"{r.manufacturer} {r.model_name}".strip()
        parts.append(
            f"RDSR {r.sop_instance_uid} ({r.calling_ae}{', ' + unit if unit else ''}, {when})"
        )
    return "; ".join(parts)


def open_dose_alerts(*, radiologist: Any = None) -> list[DoseAlert]:
    """Alerts not yet acknowledged, for the radiologists' dashboard (all, or one's own)."""
    qs = DoseAlert.objects.filter(acknowledged_at__isnull=True).select_related(
        "patient", "report__request__procedure", "radiologist"
    )
    if radiologist is not None:
        qs = qs.filter(radiologist=radiologist)
    return list(qs)


def step_status_by_request(request_ids: Iterable[int]) -> dict[int, str]:
    """The latest MPPS status per request (IN PROGRESS / COMPLETED / DISCONTINUED)."""
    out: dict[int, str] = {}
    rows = (
        PerformedStep.objects.filter(request_id__in=list(request_ids))
        .order_by("created_at", "pk")
        .values_list("request_id", "status")
    )
    for request_id, status in rows:
        out[request_id] = status
    return out


@cache
def nrd_table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(NRD_FILE.read_text(encoding="utf-8"))
    return data


class NrdStatus:
    LEVEL = "level"  # a national level, transcribed with its reference
    NONE = "none"  # the regulation sets no level for this procedure (reason given)
    UNKNOWN = "unknown"  # not transcribed or not checked: never shown as "no level"


@dataclass(frozen=True)
class Nrd:
    status: str
    gy_cm2: float | None = None  # the level, converted to Gy·cm² (what reports store)
    note: str = ""  # where the level comes from, or why there is none


def nrd_levels(table: dict[str, Any] | None = None) -> dict[str, Nrd]:
    """The table's levels by catalogue code, in Gy·cm² whatever unit the text uses
    (`rdsr.DAP_UNITS`: the annex for radiology states mGy·cm², the interventional one
    Gy·cm²). A level in a unit we do not know is refused, not guessed."""
    table = nrd_table() if table is None else table
    default_unit = table.get("unit", "Gy.cm2")
    out: dict[str, Nrd] = {}
    for code, entry in (table.get("levels") or {}).items():
        if isinstance(entry, dict):
            value, note = entry["value"], entry.get("ref", "")
            unit = entry.get("unit", default_unit)
        else:
            value, unit, note = entry, default_unit, ""
        if unit not in DAP_UNITS:
            raise ValueError(f"NRD for {code}: unit {unit!r} not understood")
        out[code] = Nrd(NrdStatus.LEVEL, float(value) * DAP_UNITS[unit], str(note))
    for code, reason in (table.get("no_level") or {}).items():
        out.setdefault(code, Nrd(NrdStatus.NONE, None, str(reason)))
    return out


@dataclass(frozen=True)
class DoseRow:
    room: str
    procedure_code: str
    procedure_label: str
    count: int
    median_dap_gy_cm2: float
    nrd_gy_cm2: float | None
    above_nrd: bool | None
    nrd_status: str = NrdStatus.UNKNOWN
    nrd_note: str = ""


def dose_by_room_procedure(
    *, since: datetime, until: datetime, levels: dict[str, float] | None = None
) -> list[DoseRow]:
    """Median dose-area product per room and procedure over matched reports performed in
    [since, until), beside the NRD of the procedure: a level (compared), no level (the
    regulation sets none), or unknown (not transcribed). The NRD applies to the median of
    a series (as the regulation compares it), not to one patient. `levels` (Gy·cm² by
    code) replaces the table, for tests."""
    if levels is None:
        nrds = nrd_levels()
    else:
        nrds = {k: Nrd(NrdStatus.LEVEL, float(v)) for k, v in levels.items()}
    rows = DoseReport.objects.filter(
        request__isnull=False,
        performed_at__gte=since,
        performed_at__lt=until,
    ).values_list(
        "appointment__room__name",
        "request__procedure__code",
        "request__procedure__label_fr",
        "dap_gy_cm2",
    )
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for room, code, label, dap in rows:
        groups[(room or "", code, label)].append(dap)
    out = []
    for (room, code, label), values in sorted(groups.items()):
        median = statistics.median(values)
        nrd = nrds.get(code, Nrd(NrdStatus.UNKNOWN))
        out.append(
            DoseRow(
                room=room,
                procedure_code=code,
                procedure_label=label,
                count=len(values),
                median_dap_gy_cm2=median,
                nrd_gy_cm2=nrd.gy_cm2,
                above_nrd=None if nrd.gy_cm2 is None else median > nrd.gy_cm2,
                nrd_status=nrd.status,
                nrd_note=nrd.note,
            )
        )
    return out
