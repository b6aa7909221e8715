"""The aggregated model of the recovery plan, shared by the LP relaxation and CP-SAT.

A boolean per (item, day, room, radiologist) would be far too large at 5,000 items. Items that
are interchangeable for the solver are aggregated instead:
- a *kind* is what an item consumes: (modality, duration, radiologist skill);
- a *group* is a kind with a priority weight: its items differ only by their earliest day and
  their waiting so far (a constant of the objective).
Variables (all integer, >= 0): ``x[group, day]`` = how many items of the group on that day,
``u[group]`` = how many left unplanned, ``z[kind, day, room, radiologist]`` = how many items of
the kind done that day in that room by that radiologist.
Constraints:
- earliest dates, by counting: up to any day, a group's planned count is at most the number of
  its items whose earliest date has come (Hall's condition; sufficient because the sets of
  released items are nested), so one variable per (group, day) is enough;
- each group is fully split between days and ``u``;
- per (kind, day) the groups' counts equal the pairs' counts;
- per (day, room) and per (day, radiologist) the minutes stay within capacity. Integer counts
  times exact durations make these exact: disaggregation never breaks a capacity.
- fairness (optional): an item may carry a deadline (the last day index it may be planned on).
  Within a group the items go to days longest-waiting first, so a deadline is a count as
  well: up to any day, the group's planned count is at least the number of its items due by
  then.
Objective: weighted waiting counted from the first horizon day (the waiting accrued before is a
constant, added back by the caller).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from geste.planning.backlog import Assignment, BacklogItem, Kind, Problem

__all__ = ["Spec", "assignments_of", "build", "counts_of", "target_days"]

Row = tuple[list[int], list[int], int, int]  # variables, coefficients, lower, upper


@dataclass(frozen=True)
class Group:
    kind: Kind
    weight: int
    items: list[tuple[int, BacklogItem]]  # (earliest day index, item), by release, waiting, id

    def released(self, n_days: int) -> list[int]:
        """How many of its items may be done on or before each day index."""
        counts = [0] * n_days
        for e, _ in self.items:
            if e < n_days:
                counts[e] += 1
        for di in range(1, n_days):
            counts[di] += counts[di - 1]
        return counts


@dataclass
class Spec:
    groups: list[Group]
    x: dict[tuple[int, int], int] = field(default_factory=dict)  # (group, day) -> variable
    u: dict[int, int] = field(default_factory=dict)  # group -> variable
    z: dict[tuple[Kind, int, int, int], int] = field(default_factory=dict)
    upper: list[int] = field(default_factory=list)
    cost: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    def var(self, upper: int, cost: int) -> int:
        self.upper.append(upper)
        self.cost.append(cost)
        return len(self.upper) - 1

    def objective(self, values: Sequence[float]) -> float:
        return sum(c * v for c, v in zip(self.cost, values, strict=True) if c)


def _groups(problem: Problem) -> list[Group]:
    grouped: dict[tuple[Kind, int], list[tuple[int, BacklogItem]]] = defaultdict(list)
    for item in problem.items:
        grouped[problem.kind(item), item.priority_weight].append(
            (problem.earliest_index(item), item)
        )
    out = []
    for (kind, weight), members in sorted(grouped.items()):
        members.sort(key=lambda m: (m[0], m[1].requested_on, m[1].id))
        out.append(Group(kind, weight, members))
    return out


def build(problem: Problem, deadlines: dict[int, int] | None = None) -> Spec:
    """The model; ``deadlines`` (item id -> last day index) adds the fairness counts."""
    n_days = len(problem.days)
    day0 = problem.days[0].toordinal()
    offset = [d.toordinal() - day0 for d in problem.days]
    assert problem.unplanned_on is not None
    unplanned_offset = problem.unplanned_on.toordinal() - day0
    spec = Spec(_groups(problem))
    kind_day_groups: dict[tuple[Kind, int], list[int]] = defaultdict(list)
    kind_day_released: dict[tuple[Kind, int], int] = defaultdict(int)
    for gi, group in enumerate(spec.groups):
        n = len(group.items)
        released = group.released(n_days)
        prefix: list[int] = []
        for di in range(n_days):
            if released[di] and problem.pairs(group.kind, di):
                var = spec.var(released[di], group.weight * offset[di])
                spec.x[gi, di] = var
                prefix.append(var)
                kind_day_groups[group.kind, di].append(gi)
                kind_day_released[group.kind, di] += released[di]
            # Earliest dates: the count up to the day before more items come is capped (on the
            # last day, by the items that come within the horizon).
            more_later = released[di + 1] > released[di] if di + 1 < n_days else released[di] < n
            if prefix and more_later:
                spec.rows.append((list(prefix), [1] * len(prefix), 0, released[di]))
        if deadlines:
            _deadline_rows(spec, gi, group, deadlines, n_days)
        spec.u[gi] = spec.var(n, group.weight * unplanned_offset)
        spec.rows.append(([*prefix, spec.u[gi]], [1] * (len(prefix) + 1), n, n))

    room_load: dict[tuple[int, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    rad_load: dict[tuple[int, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for (kind, di), gis in kind_day_groups.items():
        pair_vars = []
        for room, rad in problem.pairs(kind, di):
            upper = min(
                kind_day_released[kind, di],
                problem.room_cap[di, room] // kind.duration,
                problem.rad_cap[di, rad] // kind.duration,
            )
            var = spec.var(upper, 0)
            spec.z[kind, di, room, rad] = var
            pair_vars.append(var)
            for load, key in ((room_load, (di, room)), (rad_load, (di, rad))):
                load[key][0].append(var)
                load[key][1].append(kind.duration)
        xs = [spec.x[gi, di] for gi in gis]
        spec.rows.append(([*xs, *pair_vars], [1] * len(xs) + [-1] * len(pair_vars), 0, 0))
    for (di, room), (vs, ds) in room_load.items():
        spec.rows.append((vs, ds, 0, problem.room_cap[di, room]))
    for (di, rad), (vs, ds) in rad_load.items():
        spec.rows.append((vs, ds, 0, problem.rad_cap[di, rad]))
    return spec


def _deadline_rows(
    spec: Spec, gi: int, group: Group, deadlines: dict[int, int], n_days: int
) -> None:
    due = [0] * n_days
    for _, item in group.items:
        d = deadlines.get(item.id)
        if d is not None and 0 <= d < n_days:
            due[d] += 1
    total = 0
    for di in range(n_days):
        if not due[di]:
            continue
        total += due[di]
        prefix = [spec.x[gi, dj] for dj in range(di + 1) if (gi, dj) in spec.x]
        spec.rows.append((prefix, [1] * len(prefix), total, len(group.items)))


def counts_of(spec: Spec, problem: Problem, assignments: dict[int, Assignment]) -> list[int]:
    """The model's variable values for a plan (used as a CP-SAT hint)."""
    values = [0] * len(spec.upper)
    for gi, group in enumerate(spec.groups):
        planned = 0
        for _, item in group.items:
            a = assignments.get(item.id)
            if a is None:
                continue
            di = problem.day_index[a.day]
            values[spec.x[gi, di]] += 1
            values[spec.z[group.kind, di, a.room_id, a.radiologist_id]] += 1
            planned += 1
        values[spec.u[gi]] = len(group.items) - planned
    return values


def _day_counts(
    spec: Spec, problem: Problem, gi: int, values: Sequence[float], *, integral: bool
) -> list[tuple[int, list[BacklogItem]]]:
    """Day after day, the group's count goes to its longest-waiting items already released.

    Fractional counts (an LP solution) are rounded by carrying the remainder over."""
    group = spec.groups[gi]
    ready: list[tuple[object, int, BacklogItem]] = []
    pending = iter(group.items)
    nxt = next(pending, None)
    carry = 0.0
    out = []
    for di in range(len(problem.days)):
        while nxt is not None and nxt[0] <= di:
            heapq.heappush(ready, (nxt[1].requested_on, nxt[1].id, nxt[1]))
            nxt = next(pending, None)
        var = spec.x.get((gi, di))
        carry += values[var] if var is not None else 0.0
        taken = []
        while carry > 0.5 and ready:
            taken.append(heapq.heappop(ready)[2])
            carry -= 1.0
        if integral and carry > 0.5:
            raise RuntimeError(f"model error: more items planned than released ({group})")
        if taken:
            out.append((di, taken))
    return out


def assignments_of(spec: Spec, problem: Problem, values: Sequence[int]) -> dict[int, Assignment]:
    """Integer counts back to items, deterministically (the longest waiting first; on a day
    the items of a kind go to the (room, radiologist) pairs in id order)."""
    on_day: dict[tuple[Kind, int], list[BacklogItem]] = defaultdict(list)
    for gi, group in enumerate(spec.groups):
        for di, taken in _day_counts(spec, problem, gi, values, integral=True):
            on_day[group.kind, di].extend(taken)
    out: dict[int, Assignment] = {}
    for (kind, di), members in sorted(on_day.items()):
        members.sort(key=lambda it: (it.requested_on, it.id))
        queue = iter(members)
        day = problem.days[di]
        for room, rad in problem.pairs(kind, di):
            for _ in range(values[spec.z[kind, di, room, rad]]):
                out[next(queue).id] = Assignment(day, room, rad)
        if next(queue, None) is not None:
            raise RuntimeError(f"model error: items of {kind} on day {di} without a room")
    return out


def target_days(spec: Spec, problem: Problem, values: Sequence[float]) -> dict[int, int]:
    """The day index an LP solution gives each item (rounded); absent = left unplanned."""
    out: dict[int, int] = {}
    for gi in range(len(spec.groups)):
        for di, taken in _day_counts(spec, problem, gi, values, integral=False):
            for item in taken:
                out[item.id] = di
    return out
