"""End of a crisis: re-book the deferred backlog by priority and waiting time (CP-SAT), with a
first-come-first-served plan alongside for comparison.

The plan is a proposal (days, rooms, radiologists) that staff accept or adjust; ``check_plan``
tells whether an adjusted plan still respects every capacity. See ``backlog`` for the model and
the cost, ``_aggregate`` for the optimisation model and ``_solvers`` for how it is solved.

Waiting so far counts in the cost but, the cost being linear, it cannot change which plan is
best; it breaks ties (the longest waiting first among items of equal priority). To let it raise
priority, fold an age band into ``priority_weight``: the model aggregates items by weight, so a
few more distinct weights stay cheap.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from geste.planning import _aggregate, _improve, _solvers
from geste.planning.backlog import (
    DEFAULT_UNPLANNED_PENALTY_DAYS,
    Assignment,
    BacklogItem,
    Problem,
    RadiologistDay,
    RecoveryPlan,
    RoomDay,
    check_plan,
)
from geste.planning.greedy import (
    OrderKey,
    greedy_assign,
    greedy_fcfs,
    greedy_priority,
    priority_key,
)

__all__ = [
    "Assignment",
    "BacklogItem",
    "PlanSummary",
    "PriorityStats",
    "RadiologistDay",
    "RecoveryPlan",
    "RoomDay",
    "check_plan",
    "fairness_deadlines",
    "greedy_fcfs",
    "greedy_priority",
    "plan_summary",
    "solve_recovery",
]


def solve_recovery(
    items: Sequence[BacklogItem],
    rooms: Sequence[RoomDay],
    radiologists: Sequence[RadiologistDay],
    *,
    time_limit_s: float = 60.0,
    num_workers: int = 2,
    relative_gap: float = 0.01,
    unplanned_penalty_days: int = DEFAULT_UNPLANNED_PENALTY_DAYS,
    random_seed: int = 0,
    fair: bool = True,
) -> RecoveryPlan:
    """The plan of least priority-weighted waiting.

    Steps: the aggregated model (see ``_aggregate``); its LP relaxation (GLOP, a fraction of a
    second), whose day per item orders a greedy pass; the better of that and the
    priority-first greedy plan warm-starts CP-SAT, which improves it and proves a bound. Stops
    at ``time_limit_s`` (wall clock, everything included) or once proven within
    ``relative_gap`` of the optimum. Never worse than the greedy plans: if CP-SAT returns
    nothing in time, the best greedy plan comes back with status HEURISTIC.

    ``fair`` (issue 11, point 8): no priority class waits longer at worst than under
    first-come-first-served on the same instance. The FCFS plan gives each class its longest
    wait; each item then has a deadline (its request date plus that wait), a count in the
    model; FCFS itself meets every deadline, so the model stays feasible and FCFS is the
    fallback warm start.
    """
    started = time.perf_counter()
    problem = Problem(items, rooms, radiologists, unplanned_penalty_days=unplanned_penalty_days)

    def elapsed() -> float:
        return time.perf_counter() - started

    if not problem.items or not problem.days:
        objective = problem.objective({})
        return problem.plan(
            {}, best_bound=objective, solve_seconds=elapsed(), status="OPTIMAL", method="cp-sat"
        )
    deadlines: dict[int, int] | None = None
    fcfs_plan = None
    repaired: dict[int, Assignment] | None = None
    if fair:
        fcfs_plan = greedy_fcfs(items, rooms, radiologists)
        deadlines = fairness_deadlines(problem, fcfs_plan.assignments)
    spec = _aggregate.build(problem, deadlines)
    lp = _solvers.solve_lp(spec, time_limit_s=max(1.0, time_limit_s / 4))
    orders: list[OrderKey] = [priority_key]
    if lp is not None:
        target = _aggregate.target_days(spec, problem, lp[0])
        late = len(problem.days)

        def lp_key(item: BacklogItem) -> tuple[object, ...]:
            return (target.get(item.id, late), *priority_key(item))

        orders.insert(0, lp_key)
        if deadlines:
            dl = deadlines

            def lp_due_key(item: BacklogItem) -> tuple[object, ...]:
                # The LP's day, but never after the item's deadline: a fair warm start.
                return (min(target.get(item.id, late), dl.get(item.id, late)), *priority_key(item))

            orders.insert(0, lp_due_key)
            repaired = fair_greedy(problem, target, dl, late)
    candidates = [greedy_assign(problem, sorted(problem.items, key=k)) for k in orders]
    if deadlines is not None and fcfs_plan is not None:
        candidates = [c for c in candidates if meets(problem, c, deadlines)]
        candidates.append(dict(fcfs_plan.assignments))
        if repaired is not None:
            candidates.append(repaired)
    warm = min(candidates, key=problem.objective)
    constant = problem.constant()
    # GLOP's optimum is exact up to its tolerances: keep a margin so the bound stays valid.
    lp_bound = math.ceil(lp[1] - 1e-6 * max(1.0, abs(lp[1]))) if lp is not None else None
    best, bound, status = warm, lp_bound, "HEURISTIC"
    # CP-SAT passes, each followed by the local search (``_improve``), each starting from the
    # plan so far: CP-SAT's search stalls on plans the local search still improves.
    for pass_no, share in enumerate((0.4, 0.5, 0.35)):
        # A tenth of each share is left to the local search.
        budget = (time_limit_s - elapsed()) * share * 0.9
        if pass_no and budget < 0.5:
            break
        result = _solvers.solve_cpsat(
            spec,
            _aggregate.counts_of(spec, problem, best),
            time_limit_s=max(0.1, budget),
            num_workers=num_workers,
            relative_gap=relative_gap,
            random_seed=random_seed,
        )
        if result is None:
            continue
        bound = result.best_bound if bound is None else max(bound, result.best_bound)
        found: dict[int, Assignment] | None = _aggregate.assignments_of(
            spec, problem, result.values
        )
        if deadlines is not None and found is not None and not meets(problem, found, deadlines):
            # The counts bound each day's total; with release dates an item may still land
            # late: swap it back in, or keep the plan so far.
            found = repair_fairness(problem, found, deadlines)
        if found is not None:
            found = _improve.improve(problem, found, deadlines, until=started + time_limit_s)
            if problem.objective(found) <= problem.objective(best):
                best, status = found, result.status
        if result.status == "OPTIMAL":
            break
    if status != "OPTIMAL":
        # What time is left: the local search with the slower 1-for-2 exchange as well.
        best = _improve.improve(
            problem, best, deadlines, rounds=100, until=started + time_limit_s, exchanges=True
        )
    assignments = best
    if bound is None:
        return problem.plan(
            assignments, best_bound=None, solve_seconds=elapsed(), status=status, method="cp-sat"
        )
    if status == "OPTIMAL" and problem.objective(assignments) > constant + bound:
        status = "WITHIN_GAP"  # CP-SAT says OPTIMAL once the gap limit is reached
    return problem.plan(
        assignments,
        best_bound=constant + bound,
        solve_seconds=elapsed(),
        status=status,
        method="cp-sat",
    )


def fairness_deadlines(problem: Problem, fcfs: dict[int, Assignment]) -> dict[int, int]:
    """Item id -> the last day index it may take: its request date plus the longest wait of
    its priority class under FCFS. A class FCFS leaves partly unplanned has no deadline."""
    longest: dict[int, int] = {}
    unplanned: set[int] = set()
    for item in problem.items:
        a = fcfs.get(item.id)
        if a is None:
            unplanned.add(item.priority_weight)
            continue
        wait = (a.day - item.requested_on).days
        longest[item.priority_weight] = max(longest.get(item.priority_weight, wait), wait)
    out: dict[int, int] = {}
    for item in problem.items:
        w = item.priority_weight
        if w in unplanned or w not in longest:
            continue
        due = item.requested_on.toordinal() + longest[w]
        # The last horizon day on or before the due date.
        out[item.id] = bisect_right(problem.days, date.fromordinal(due)) - 1
    return out


def fair_greedy(
    problem: Problem, target: dict[int, int], deadlines: dict[int, int], late: int, rounds: int = 60
) -> dict[int, Assignment] | None:
    """A fair warm start near the LP's plan: the greedy pass in the LP's day order (never
    after an item's deadline); each item still late moves up the order by how late it was,
    and the pass runs again; the last few are swapped into place (``repair_fairness``)."""
    key = {it.id: min(target.get(it.id, late), deadlines.get(it.id, late)) for it in problem.items}
    plan: dict[int, Assignment] = {}
    for _ in range(rounds):
        order = sorted(problem.items, key=lambda it: (key[it.id], *priority_key(it)))
        plan = greedy_assign(problem, order)
        behind = {
            i: (problem.day_index[plan[i].day] - last) if i in plan else late
            for i, last in deadlines.items()
            if i not in plan or problem.day_index[plan[i].day] > last
        }
        if not behind:
            return plan
        for i, by in behind.items():
            key[i] -= by + 1
    return repair_fairness(problem, plan, deadlines)


def repair_fairness(
    problem: Problem, plan: dict[int, Assignment], deadlines: dict[int, int]
) -> dict[int, Assignment] | None:
    """A plan that meets the deadlines, from one that may not: each late item swaps places
    with an item of the same kind (same minutes, modality and skill: capacities unchanged)
    planned on or before its deadline, whose own deadline allows the later day; the swap
    that costs least. None when some late item finds no partner."""
    out = dict(plan)
    by_id = {it.id: it for it in problem.items}
    day_of = {i: problem.day_index[a.day] for i, a in out.items()}
    slots: dict[tuple[object, int], list[int]] = {}
    for i, di in day_of.items():
        slots.setdefault((problem.kind(by_id[i]), di), []).append(i)
    late = sorted(
        (i for i, last in deadlines.items() if i not in day_of or day_of[i] > last),
        key=lambda i: deadlines[i],
    )
    n_days = len(problem.days)
    for v in late:
        if v not in day_of:
            return None
        item, dv, last = by_id[v], day_of[v], deadlines[v]
        kind = problem.kind(item)
        best: tuple[int, int, int] | None = None  # (cost, partner, its day)
        for di in range(min(last, n_days - 1), problem.earliest_index(item) - 1, -1):
            for c in slots.get((kind, di), ()):
                if deadlines.get(c, n_days) < dv:
                    continue
                cost = (by_id[c].priority_weight - item.priority_weight) * (dv - di)
                if best is None or cost < best[0]:
                    best = (cost, c, di)
        if best is None:
            return None
        _cost, c, di = best
        out[v], out[c] = out[c], out[v]
        slots[(kind, di)].remove(c)
        slots[(kind, di)].append(v)
        slots[(kind, dv)].remove(v)
        slots[(kind, dv)].append(c)
        day_of[v], day_of[c] = di, dv
    return out if meets(problem, out, deadlines) else None


def meets(problem: Problem, plan: dict[int, Assignment], deadlines: dict[int, int]) -> bool:
    for item_id, last in deadlines.items():
        a = plan.get(item_id)
        if a is None or problem.day_index[a.day] > last:
            return False
    return True


@dataclass(frozen=True)
class PriorityStats:
    """Waiting (days from ``requested_on`` to the planned day) of the items of one priority."""

    priority_weight: int
    items: int
    planned: int
    mean_wait_days: float | None
    max_wait_days: int | None


@dataclass(frozen=True)
class PlanSummary:
    """What a planner looks at before accepting a plan.

    ``weighted_waiting``: over the planned items only (``plan.objective`` also charges the
    unplanned ones). ``recovery_date``: the last planned day, when the backlog is cleared.
    """

    weighted_waiting: int
    planned: int
    unplanned: int
    recovery_date: date | None
    by_priority: list[PriorityStats]  # most urgent first


def plan_summary(plan: RecoveryPlan, items: Sequence[BacklogItem]) -> PlanSummary:
    waits: dict[int, list[int]] = {}
    counts: dict[int, int] = {}
    weighted = 0
    for item in items:
        w = item.priority_weight
        counts[w] = counts.get(w, 0) + 1
        a = plan.assignments.get(item.id)
        if a is None:
            continue
        wait = (a.day - item.requested_on).days
        waits.setdefault(w, []).append(wait)
        weighted += w * wait
    by_priority = [
        PriorityStats(
            priority_weight=w,
            items=counts[w],
            planned=len(waits.get(w, [])),
            mean_wait_days=sum(waits[w]) / len(waits[w]) if waits.get(w) else None,
            max_wait_days=max(waits[w]) if waits.get(w) else None,
        )
        for w in sorted(counts, reverse=True)
    ]
    known = {it.id for it in items}
    planned_days = [a.day for i, a in plan.assignments.items() if i in known]
    return PlanSummary(
        weighted_waiting=weighted,
        planned=len(planned_days),
        unplanned=len(items) - len(planned_days),
        recovery_date=max(planned_days, default=None),
        by_priority=by_priority,
    )
