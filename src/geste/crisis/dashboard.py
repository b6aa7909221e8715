"""Figures of the crisis dashboard: backlog over time, decisions per category, the recovery
plan against first-come-first-served. A fixed number of queries whatever the backlog size."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.crisis.charts import Bar, Series, bar_chart, line_chart
from geste.crisis.models import (
    CrisisPeriod,
    Decision,
    Outcome,
    PlanStatus,
    RecoveryPlan,
    RunDecision,
)
from geste.pathway.models import ProcedureRequest, RequestState, RequestTransition

BACKLOG_STATES = (RequestState.DEFERRED, RequestState.IN_DISCUSSION)


def backlog_history(since: date, until: date) -> list[tuple[date, int]]:
    """Requests deferred or in discussion at the end of each day, rebuilt from the transitions."""
    inside = set(BACKLOG_STATES)
    delta: Counter[date] = Counter()
    rows = RequestTransition.objects.filter(
        Q(to_state__in=BACKLOG_STATES) | Q(from_state__in=BACKLOG_STATES)
    ).values_list("at", "from_state", "to_state")
    for at, from_state, to_state in rows.iterator():
        change = (to_state in inside) - (from_state in inside)
        if change:
            delta[timezone.localtime(at).date()] += change
    now = ProcedureRequest.objects.filter(state__in=BACKLOG_STATES).count()
    # Walk back from today's count, so that history before `since` is accounted for.
    level = now - sum(v for d, v in delta.items() if d > until)
    out: list[tuple[date, int]] = []
    day = until
    while day >= since:
        out.append((day, max(0, level)))
        level -= delta.get(day, 0)
        day -= timedelta(days=1)
    return out[::-1]


def projection(plan: RecoveryPlan, start: int, *, fcfs: bool) -> list[tuple[date, int]]:
    """Backlog left after each planned day (the plan's or the FCFS one's)."""
    field = "fcfs_day" if fcfs else "day"
    per_day = dict(
        plan.items.filter(removed=False, **{f"{field}__isnull": False})
        .values_list(field)
        .annotate(n=Count("id"))
        .order_by()
    )
    out = [(plan.horizon_start - timedelta(days=1), start)]
    level = start
    for day in sorted(per_day):
        level -= per_day[day]
        out.append((day, max(0, level)))
    return out


def dashboard(crisis: CrisisPeriod | None) -> dict[str, Any]:
    today = timezone.localdate()
    since = timezone.localtime(crisis.started_at).date() if crisis else today - timedelta(days=30)
    since = min(since, today) - timedelta(days=1)
    history = backlog_history(since, today)
    plan = (
        RecoveryPlan.objects.filter(crisis=crisis).exclude(status=PlanStatus.DISCARDED).first()
        if crisis
        else None
    )
    series = [Series(_("Reportées ou en discussion"), history, "actual")]
    markers: list[tuple[date, str]] = [(today, _("aujourd'hui"))]
    if plan is not None:
        current = history[-1][1] if history else 0
        series.append(Series(_("Plan optimisé"), projection(plan, current, fcfs=False), "plan"))
        series.append(
            Series(_("Premier arrivé, premier servi"), projection(plan, current, fcfs=True), "fcfs")
        )
    decisions = Counter(
        dict(
            RunDecision.objects.filter(run__crisis=crisis, outcome=Outcome.APPLIED)
            .values_list("final")
            .annotate(n=Count("id"))
            .order_by()
        )
        if crisis
        else {}
    )
    bars = [Bar(str(d.label), decisions.get(d.value, 0), d.value) for d in Decision]
    waiting = []
    if plan is not None:
        waiting = [
            Bar(_("Plan optimisé"), plan.weighted_waiting, "plan"),
            Bar(_("Premier arrivé, premier servi"), plan.fcfs_weighted_waiting, "fcfs"),
        ]
    return {
        "crisis": crisis,
        "plan": plan,
        "backlog_chart": line_chart(_("Demandes en attente du fait de la crise"), series, markers),
        "decision_chart": bar_chart(_("Décisions appliquées par catégorie"), bars),
        "waiting_chart": bar_chart(_("Attente pondérée par la priorité (jours)"), waiting),
    }
