"""Figures of the crisis dashboard: backlog over time, decisions per category, the recovery
plan against first-come-first-served. A fixed number of queries whatever the backlog size.

The history is read forward from what was recorded when it happened (issue 11, point 8), never
walked back from today's states: a state changed, a decision row edited or a request removed
later leaves the earlier days as they were.
- the backlog (deferred or in discussion), deferrals and departures from the backlog: the
  requests' state transitions (`RequestTransition`, one row per change, written by
  pathway.services.request_transition);
- the decisions applied per category: the audit trail's `crisis.decision_confirmed` and
  `crisis.decision_overridden` events (append-only, chained), whose details name the final
  decision.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.models import AuditEvent
from geste.crisis.charts import Bar, Series, bar_chart, line_chart
from geste.crisis.models import (
    CrisisPeriod,
    Decision,
    PlanStatus,
    RecoveryPlan,
)
from geste.pathway.models import RequestState, RequestTransition

BACKLOG_STATES = (RequestState.DEFERRED, RequestState.IN_DISCUSSION)
DECISION_EVENTS = ("crisis.decision_confirmed", "crisis.decision_overridden")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _cumulative(per_day: Counter[date], since: date, until: date, start: int = 0) -> list[Any]:
    out, level, day = [], start, since
    while day <= until:
        level += per_day.get(day, 0)
        out.append((day, level))
        day += timedelta(days=1)
    return out


class History(NamedTuple):
    """Counts at the end of each day from `since` to `until`, from recorded events only."""

    backlog: list[tuple[date, int]]  # deferred or in discussion that evening
    deferred: list[tuple[date, int]]  # deferrals since `since` (cumulative)
    left: list[tuple[date, int]]  # departures from the backlog since `since` (cumulative)
    decisions: dict[str, list[tuple[date, int]]]  # decisions applied per category (cumulative)


def history(since: date, until: date) -> History:
    """Three queries whatever the number of requests and days."""
    inside = Q(to_state__in=BACKLOG_STATES) & ~Q(from_state__in=BACKLOG_STATES)
    outside = Q(from_state__in=BACKLOG_STATES) & ~Q(to_state__in=BACKLOG_STATES)
    first = _day_start(since)
    end = _day_start(until + timedelta(days=1))
    before = RequestTransition.objects.filter(at__lt=first).aggregate(
        came=Count("id", filter=inside), went=Count("id", filter=outside)
    )
    level = before["came"] - before["went"]
    delta: Counter[date] = Counter()
    deferred: Counter[date] = Counter()
    left: Counter[date] = Counter()
    rows = (
        RequestTransition.objects.filter(at__gte=first, at__lt=end)
        .filter(Q(to_state__in=BACKLOG_STATES) | Q(from_state__in=BACKLOG_STATES))
        .values_list("at", "from_state", "to_state")
    )
    for at, from_state, to_state in rows.iterator():
        day = timezone.localtime(at).date()
        came, went = to_state in BACKLOG_STATES, from_state in BACKLOG_STATES
        delta[day] += came - went
        if to_state == RequestState.DEFERRED and from_state != RequestState.DEFERRED:
            deferred[day] += 1
        if went and not came:
            left[day] += 1
    per_kind: dict[str, Counter[date]] = {d.value: Counter() for d in Decision}
    events = AuditEvent.objects.filter(
        action__in=DECISION_EVENTS, at__gte=first, at__lt=end
    ).values_list("at", "details")
    for at, details in events.iterator():
        final = (details or {}).get("final")
        if final in per_kind:
            per_kind[final][timezone.localtime(at).date()] += 1
    return History(
        backlog=[(d, max(0, v)) for d, v in _cumulative(delta, since, until, level)],
        deferred=_cumulative(deferred, since, until),
        left=_cumulative(left, since, until),
        decisions={k: _cumulative(c, since, until) for k, c in per_kind.items()},
    )


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
    past = history(since, today)
    plan = (
        RecoveryPlan.objects.filter(crisis=crisis).exclude(status=PlanStatus.DISCARDED).first()
        if crisis
        else None
    )
    series = [Series(_("Reportées ou en discussion"), past.backlog, "actual")]
    markers: list[tuple[date, str]] = [(today, _("aujourd'hui"))]
    if plan is not None:
        current = past.backlog[-1][1] if past.backlog else 0
        series.append(Series(_("Plan optimisé"), projection(plan, current, fcfs=False), "plan"))
        series.append(
            Series(_("Premier arrivé, premier servi"), projection(plan, current, fcfs=True), "fcfs")
        )
    flows = [Series(str(d.label), past.decisions[d.value], d.value) for d in Decision]
    flows.append(Series(_("Reportées (changements d'état)"), past.deferred, "deferred"))
    flows.append(Series(_("Sorties du report (reprises ou replanifiées)"), past.left, "left"))
    # Totals of the crisis's decisions: the same recorded events, at the last day.
    bars = [Bar(str(d.label), past.decisions[d.value][-1][1], d.value) for d in Decision]
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
        "flow_chart": line_chart(_("Décisions et reports cumulés depuis le début"), flows, markers),
        "decision_chart": bar_chart(_("Décisions appliquées par catégorie"), bars),
        "waiting_chart": bar_chart(_("Attente pondérée par la priorité (jours)"), waiting),
    }
