"""Staff pages: the reception planner (day or week per room, htmx), moves, agendas."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from geste.pathway import worklists
from geste.scheduling.selectors import day_bounds
from geste.staff.roles import allow
from geste.web.audited import audited_list


def _day(request: HttpRequest) -> date:
    raw = request.GET.get("jour", "")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        raise Http404 from None


@allow("staff:agenda")
@audited_list("staff:agenda")
def agenda(request: HttpRequest) -> HttpResponse:
    """The logged-in radiologist's own week."""
    day = _day(request)
    first = day - timedelta(days=day.weekday())
    start, _e = day_bounds(first)
    _s, end = day_bounds(first + timedelta(days=6))
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in worklists.calendar_rows(start, end, radiologist=request.user):
        by_day[row["day"]].append(row)
    days = [
        (first + timedelta(days=i), by_day.get(first + timedelta(days=i), [])) for i in range(7)
    ]
    return render(
        request,
        "staff/agenda.html",
        {
            "days": [d for d in days if d[1] or d[0].weekday() < 5],
            "first": first,
            "prev": (first - timedelta(days=7)).isoformat(),
            "next": (first + timedelta(days=7)).isoformat(),
        },
    )
