"""Greedy plans: first-come-first-served (the baseline the CP-SAT plan is compared with) and a
priority-first variant (a warm start for CP-SAT)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from geste.planning.backlog import (
    DEFAULT_UNPLANNED_PENALTY_DAYS,
    Assignment,
    BacklogItem,
    Kind,
    Problem,
    RadiologistDay,
    RecoveryPlan,
    RoomDay,
)

__all__ = ["greedy_fcfs", "greedy_priority"]

OrderKey = Callable[[BacklogItem], tuple[object, ...]]


def fcfs_key(item: BacklogItem) -> tuple[object, ...]:
    return (item.requested_on, item.id)


def priority_key(item: BacklogItem) -> tuple[object, ...]:
    """Most weight per minute first (Smith's rule), then the longest waiting."""
    return (-item.priority_weight / item.duration_min, item.requested_on, item.id)


def greedy_fcfs(
    items: Sequence[BacklogItem],
    rooms: Sequence[RoomDay],
    radiologists: Sequence[RadiologistDay],
    *,
    unplanned_penalty_days: int = DEFAULT_UNPLANNED_PENALTY_DAYS,
) -> RecoveryPlan:
    """First come, first served: items by ``requested_on`` (then id), each on the earliest day
    (not before its earliest date) that still has a room and a radiologist with the minutes.

    Ignores priorities: it is the baseline the optimised plan is measured against.
    """
    problem = Problem(items, rooms, radiologists, unplanned_penalty_days=unplanned_penalty_days)
    return run_greedy(problem, fcfs_key, "greedy-fcfs")


def greedy_priority(
    items: Sequence[BacklogItem],
    rooms: Sequence[RoomDay],
    radiologists: Sequence[RadiologistDay],
    *,
    unplanned_penalty_days: int = DEFAULT_UNPLANNED_PENALTY_DAYS,
) -> RecoveryPlan:
    """Like ``greedy_fcfs`` but the most priority per minute first."""
    problem = Problem(items, rooms, radiologists, unplanned_penalty_days=unplanned_penalty_days)
    return run_greedy(problem, priority_key, "greedy-priority")


def run_greedy(problem: Problem, key: OrderKey, method: str) -> RecoveryPlan:
    started = time.perf_counter()
    assignments = greedy_assign(problem, sorted(problem.items, key=key))
    return problem.plan(
        assignments,
        best_bound=None,
        solve_seconds=time.perf_counter() - started,
        status="GREEDY",
        method=method,
    )


def greedy_assign(problem: Problem, order: Iterable[BacklogItem]) -> dict[int, Assignment]:
    """Each item in turn on its first day with capacity: first room by id, and the least
    versatile radiologist (fewest skills, then id) so that specialists stay free for what only
    they can do."""
    room_left = dict(problem.room_cap)
    rad_left = dict(problem.rad_cap)
    full: set[tuple[Kind, int]] = set()  # capacity only shrinks: a full day stays full
    rad_rank = {key: (len(k.skills), k.radiologist_id) for key, k in problem.rad_day.items()}
    out: dict[int, Assignment] = {}
    n_days = len(problem.days)
    for item in order:
        kind = problem.kind(item)
        duration = kind.duration
        for di in range(problem.earliest_index(item), n_days):
            if (kind, di) in full:
                continue
            best: tuple[int, tuple[int, int], int] | None = None
            for room, rad in problem.pairs(kind, di):
                if room_left[di, room] >= duration and rad_left[di, rad] >= duration:
                    candidate = (room, rad_rank[di, rad], rad)
                    if best is None or candidate < best:
                        best = candidate
            if best is None:
                full.add((kind, di))
                continue
            room, _, rad = best
            room_left[di, room] -= duration
            rad_left[di, rad] -= duration
            out[item.id] = Assignment(problem.days[di], room, rad)
            break
    return out
