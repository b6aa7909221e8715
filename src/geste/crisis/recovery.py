"""End of crisis: the recovery plan (issue 6, point 5). Builds the inputs of `geste.planning`
from the database, solves with CP-SAT next to the first-come-first-served greedy plan, and stores
the proposal; staff accept it (appointments booked) or adjust it (move or remove an item).

Priority weight of a deferred request (higher = sooner), documented in the README:
1, +2 contraindicated (a procedure paused for a medical reason, usually a cementoplasty),
+2 severe pain, +1 per 4 points of pain (0-10), +1 level 3 analgesics failed or not tolerated,
+3 threatening lesion, local tumour control, urgent diagnosis or intrathecal chemotherapy,
+2 risk of decline from bed rest. Earliest date: the review date, and the booking prerequisites
(blood-test lead time, drug holds). Capacity: the rooms' opening hours and the radiologists'
roster (scheduling.capacity) minus what is already booked; when a centre has set none, weekdays
08:00-18:00 for every active room and radiologist (DEFAULT_DAY_MINUTES).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste import PARIS
from geste.audit.services import log_action
from geste.clinic.models import Role, Room, User
from geste.clinic.selectors import site_zone
from geste.crisis.errors import CrisisError
from geste.crisis.models import (
    CrisisPeriod,
    Decision,
    Outcome,
    RecoveryItem,
    RecoveryPlan,
    RunDecision,
)
from geste.crisis.progress import beat
from geste.pathway.adapters import cases_from_requests
from geste.pathway.models import Level3Analgesics, ProcedureRequest, RequestState
from geste.pathway.prerequisites import prerequisites
from geste.pathway.sessions import grouped_factor
from geste.planning.backlog import BacklogItem, RadiologistDay, RoomDay
from geste.planning.recovery import greedy_fcfs, plan_summary, solve_recovery
from geste.rules.policy import load_policy
from geste.rules.triage import triage
from geste.scheduling import capacity
from geste.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    OpeningHours,
    RosterEntry,
)
from geste.scheduling.selectors import on_local_days

DEFAULT_DAY_MINUTES = 600  # 08:00-18:00, when no opening hours or roster are set
HORIZON_WEEKS = 12
TIME_LIMIT_S = 20.0
L3_FAILED = {Level3Analgesics.FAILED, Level3Analgesics.NOT_TOLERATED}
# What the recovery plan takes at the end of a crisis: deferred and still-discussed requests.
RECOVERY_STATES = (RequestState.DEFERRED, RequestState.IN_DISCUSSION)


def priority_weight(req: ProcedureRequest, decision: str) -> int:
    w = 1
    if decision == Decision.CONTRAINDICATED:
        w += 2
    if req.severe_pain:
        w += 2
    if req.pain_nrs:
        w += req.pain_nrs // 4
    if req.level3_analgesics in L3_FAILED:
        w += 1
    if (
        req.threatening_lesion
        or req.local_tumor_control_needed
        or req.urgent_diagnosis_needed
        or req.intrathecal_chemotherapy
    ):
        w += 3
    if req.bedrest_decline_risk:
        w += 2
    return w


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def capacity_for(first: date, last: date) -> tuple[list[RoomDay], list[RadiologistDay]]:
    """Minutes per room and per radiologist on each day, minus the appointments already booked."""
    rooms = list(Room.objects.filter(active=True).select_related("site"))
    room_ids = [r.pk for r in rooms]
    modality = {r.pk: r.modality for r in rooms}
    zones = {r.pk: site_zone(r.site.time_zone) for r in rooms}
    workdays = [
        d
        for d in capacity.days(first, last)
        if d.weekday() < 5 and not capacity.is_public_holiday(d)
    ]
    room_min: dict[tuple[date, int], int] = defaultdict(int)
    if OpeningHours.objects.filter(room_id__in=room_ids).exists():
        for room_id, windows in capacity.room_windows(room_ids, first, last).items():
            for iv in windows:
                # On its room's local day (its site's zone).
                room_min[(iv.start.astimezone(zones[room_id]).date(), room_id)] += _minutes(
                    iv.start, iv.end
                )
    else:
        for d in workdays:
            for room_id in room_ids:
                room_min[(d, room_id)] = DEFAULT_DAY_MINUTES
    rad_min: dict[tuple[date, int], int] = defaultdict(int)
    rad_rooms: dict[tuple[date, int], set[int | None]] = defaultdict(set)
    if RosterEntry.objects.exists():
        for rad_id, entries in capacity.presence(None, first, last).items():
            for iv, room_only in entries:
                key = (iv.start.date(), rad_id)  # in the zone it is read in (its room's)
                rad_min[key] += _minutes(iv.start, iv.end)
                rad_rooms[key].add(room_only)
    else:
        rad_ids = User.objects.filter(role=Role.RADIOLOGIST, is_active=True).values_list(
            "pk", flat=True
        )
        for d in workdays:
            for rad_id in rad_ids:
                rad_min[(d, rad_id)] = DEFAULT_DAY_MINUTES
    span = (
        datetime.combine(first, datetime.min.time(), tzinfo=PARIS),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=PARIS),
    )
    # Each appointment on its room's local day (its site's zone rides on the row).
    for start, end, room_id, rad_id, zone in Appointment.objects.filter(
        on_local_days(*span, overlap=True), status__in=ACTIVE_STATUSES
    ).values_list("start", "end", "room_id", "radiologist_id", "room__site__time_zone"):
        d = start.astimezone(site_zone(zone)).date()
        used = _minutes(start, end)
        if (d, room_id) in room_min:
            room_min[(d, room_id)] = max(0, room_min[(d, room_id)] - used)
        if (d, rad_id) in rad_min:
            rad_min[(d, rad_id)] = max(0, rad_min[(d, rad_id)] - used)
    skills = capacity.skills()
    room_days = [
        RoomDay(day=d, room_id=r, modality=modality[r], minutes=m)
        for (d, r), m in sorted(room_min.items())
        if r in modality
    ]
    rad_days = [
        RadiologistDay(
            day=d,
            radiologist_id=k,
            minutes=m,
            skills=skills.get(k, frozenset()),
            room_ids=None
            if None in rad_rooms.get((d, k), {None})
            else frozenset(x for x in rad_rooms[(d, k)] if x is not None),
        )
        for (d, k), m in sorted(rad_min.items())
    ]
    return room_days, rad_days


def backlog_items(
    requests: list[ProcedureRequest], *, first_day: date, policy_id: str
) -> list[tuple[BacklogItem, str]]:
    """One item per deferred request, with the appointment kind to book."""
    policy = load_policy(policy_id)
    # The plan's first day is the centre's (crisis end, next workday): its default zone.
    start_at = datetime.combine(first_day, datetime.min.time(), tzinfo=PARIS)
    last_decision: dict[int, str] = {}
    for request_id, final in (
        RunDecision.objects.filter(request_id__in=[r.pk for r in requests], outcome=Outcome.APPLIED)
        .order_by("request_id", "confirmed_at", "id")
        .values_list("request_id", "final")
    ):
        last_decision[request_id] = final
    room_modalities = set(Room.objects.filter(active=True).values_list("modality", flat=True))
    skilled = capacity.skills()
    by_id = {r.pk: r for r in requests}
    out: list[tuple[BacklogItem, str]] = []
    for case in cases_from_requests(requests):
        req = by_id[int(case.id)]
        proc = req.procedure
        validated = req.validated_at is not None
        kind = AppointmentKind.PROCEDURE if validated else AppointmentKind.CONSULTATION
        grouped = False
        if kind == AppointmentKind.PROCEDURE:
            grouped = triage(case, policy, first_day).group_lesions
            duration = round(
                proc.duration_min * (grouped_factor(req.lesion_count) if grouped else 1)
            )
        else:
            duration = capacity.CONSULTATION_MINUTES
        # The crisis is over: its review dates no longer hold anyone back (issue 11, point 8:
        # the plan starts at the first free capacity after the end of the crisis).
        earliest = first_day
        if kind == AppointmentKind.PROCEDURE:
            # The booking's own prerequisites: blood-test lead time, drug holds (safety check).
            pre = prerequisites(
                patient=req.patient, procedure=proc, kind=kind, request=req, not_before=start_at
            )
            if not pre.blocked:
                earliest = max(earliest, timezone.localtime(pre.not_before).date())
        modality = proc.modality
        if modality not in room_modalities and proc.alt_modality in room_modalities:
            modality = proc.alt_modality
        needs = proc.code if kind == AppointmentKind.PROCEDURE and skilled else None
        item = BacklogItem(
            id=req.pk,
            duration_min=max(1, duration),
            modality=modality,
            priority_weight=priority_weight(req, last_decision.get(req.pk, Decision.DEFER)),
            requested_on=timezone.localtime(req.created_at).date(),
            earliest=earliest,
            procedure=proc.code,
            grouped=grouped,
            needs_radiologist_skill=needs,
        )
        out.append((item, kind))
    return out


def next_workday(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5 or capacity.is_public_holiday(day):
        day += timedelta(days=1)
    return day


def plan_create(
    *,
    crisis: CrisisPeriod,
    actor: Any,
    weeks: int = HORIZON_WEEKS,
    time_limit_s: float = TIME_LIMIT_S,
    job_id: int | None = None,
) -> RecoveryPlan:
    """Propose a recovery plan for the deferred backlog (CP-SAT), with the FCFS plan alongside.

    Starts at the first free capacity after the end of the crisis (the next working day after
    the later of today and the end); the deferred and in-discussion requests are planned."""
    if crisis.active:
        raise CrisisError(_("Terminez d'abord la crise pour préparer le plan de reprise."))
    ended = timezone.localtime(crisis.ended_at).date() if crisis.ended_at else None
    first = next_workday(max(timezone.localdate(), ended or timezone.localdate()))
    last = first + timedelta(days=7 * weeks - 1)
    requests = list(
        ProcedureRequest.objects.filter(state__in=RECOVERY_STATES).select_related(
            "procedure", "patient"
        )
    )
    beat(job_id, 0, total=3)
    pairs = backlog_items(requests, first_day=first, policy_id=crisis.policy_id)
    items = [item for item, _kind in pairs]
    rooms, rads = capacity_for(first, last)
    beat(job_id, 1)
    best = solve_recovery(items, rooms, rads, time_limit_s=time_limit_s)
    fcfs = greedy_fcfs(items, rooms, rads)
    beat(job_id, 2)
    ours, theirs = plan_summary(best, items), plan_summary(fcfs, items)
    with transaction.atomic():
        plan = RecoveryPlan.objects.create(
            crisis=crisis,
            created_by=actor,
            horizon_start=first,
            horizon_end=last,
            solver_status=best.status,
            solve_seconds=best.solve_seconds,
            objective=best.objective,
            best_bound=best.best_bound,
            gap_pct=best.gap_pct,
            weighted_waiting=ours.weighted_waiting,
            fcfs_objective=fcfs.objective,
            fcfs_weighted_waiting=theirs.weighted_waiting,
            recovery_date=ours.recovery_date,
            fcfs_recovery_date=theirs.recovery_date,
            unplanned=ours.unplanned,
        )
        RecoveryItem.objects.bulk_create(
            [
                RecoveryItem(
                    plan=plan,
                    request_id=item.id,
                    kind=kind,
                    duration_min=item.duration_min,
                    priority_weight=item.priority_weight,
                    requested_on=item.requested_on,
                    earliest=item.earliest,
                    grouped=item.grouped,
                    day=a.day if (a := best.assignments.get(item.id)) else None,
                    room_id=a.room_id if a else None,
                    radiologist_id=a.radiologist_id if a else None,
                    fcfs_day=f.day if (f := fcfs.assignments.get(item.id)) else None,
                )
                for item, kind in pairs
            ]
        )
        log_action(
            actor=actor,
            action="crisis.plan_proposed",
            obj=plan,
            details={
                "items": len(items),
                "status": best.status,
                "objective": best.objective,
                "fcfs_objective": fcfs.objective,
            },
        )
    return plan


def plan_refresh(plan: RecoveryPlan) -> None:
    """Recompute the plan's figures after an adjustment."""
    weighted = 0
    days: list[date] = []
    unplanned = 0
    for item in plan.items.filter(removed=False):
        if item.day is None:
            unplanned += 1
            continue
        weighted += item.priority_weight * (item.day - item.requested_on).days
        days.append(item.day)
    plan.weighted_waiting = weighted
    plan.recovery_date = max(days, default=None)
    plan.unplanned = unplanned
    plan.save(update_fields=["weighted_waiting", "recovery_date", "unplanned"])
