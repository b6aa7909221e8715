"""The radiologist's dashboard: the day's lists with the engine's verdict per request still
before its time-out, and what waits for a radiologist (decisions, reports, alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch

from geste.clinic.selectors import safety_settings
from geste.pathway import worklists
from geste.pathway.adapters import cases_for_request_ids
from geste.pathway.models import AlertPage, FollowUp, ProcedureRequest, RequestState
from geste.rules.safety import check


@dataclass
class Dashboard:
    day: Any  # worklists.DayList, with "verdict" on each row before its time-out
    consultations: list[dict[str, Any]]
    to_clear: list[dict[str, Any]]
    to_decide: list[ProcedureRequest]
    to_sign: list[ProcedureRequest]
    alerts: list[FollowUp]


# Requests whose time-out is still ahead: the engine's verdict is worth showing.
BEFORE_TIMEOUT = (RequestState.PROCEDURE_BOOKED, RequestState.CHECKED_IN)


def verdicts(request_ids: list[int]) -> dict[int, Any]:
    """The engine's verdict per request, through the one adapter's batch form (a constant
    number of queries)."""
    settings = safety_settings()
    return {int(c.id): check(c, settings) for c in cases_for_request_ids(request_ids)}


def dashboard(day: date, *, show_all: bool = False) -> Dashboard:
    """Radiologist's dashboard: today's consultations and procedures with the engine's verdict
    per request still before its time-out, the points to clear, decisions to take, reports
    to sign, follow-up alerts."""
    rows = worklists.day_rows(day)
    found = verdicts([r["request_id"] for r in rows if r["state"] in BEFORE_TIMEOUT])
    timeout_url = worklists.url_maker("staff:timeout")
    to_clear = []
    for r in rows:
        v = found.get(r["request_id"] or 0)
        r["verdict"] = v.verdict if v is not None else ""
        if v is not None and v.verdict != "go":
            r["timeout_url"] = timeout_url(r["request_id"])
            to_clear.append(r)
    base = ProcedureRequest.objects.select_related("patient", "procedure")
    return Dashboard(
        day=worklists.split(rows, show_all=show_all),
        consultations=worklists.day_consultations(day),
        to_clear=to_clear,
        to_decide=list(
            base.filter(state=RequestState.CONSULTATION_DONE).order_by("created_at")[:50]
        ),
        to_sign=list(base.filter(state=RequestState.PERFORMED).order_by("created_at")[:50]),
        alerts=list(
            FollowUp.objects.filter(alert=True, alert_cleared_at__isnull=True)
            .select_related("request__patient", "request__procedure")
            # Who was paged and who took it (one query for all the alerts).
            .prefetch_related(
                Prefetch(
                    "pages",
                    queryset=AlertPage.objects.select_related("radiologist", "acknowledged_by"),
                )
            )
            .order_by("-answered_at")[:50]
        ),
    )
