"""Data of the backlog recovery plan (items, capacities, plan) and the checks and costs shared by
the CP-SAT plan and the greedy baselines.

Model: the plan is made of DAYS, not clock times. Each item gets a day, a room and a radiologist;
on every day the minutes booked in a room stay within the room's minutes and the minutes booked
for a radiologist (over all rooms) within the radiologist's minutes. The clock times are set
afterwards, when each appointment is booked through the slot search.

Cost (what the plan minimises): priority-weighted waiting in calendar days, counted from
``requested_on``: an item planned on ``day`` costs ``priority_weight * (day - requested_on)``; an
item left unplanned costs as if it were done ``unplanned_penalty_days`` after the last day of the
horizon. Waiting already accrued is the same whatever the plan, so it does not change which plan
is best: among items of equal priority the plan serves the longest-waiting first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

__all__ = [
    "Assignment",
    "BacklogItem",
    "RadiologistDay",
    "RecoveryPlan",
    "RoomDay",
    "check_plan",
]

DEFAULT_UNPLANNED_PENALTY_DAYS = 28


@dataclass(frozen=True, slots=True)
class BacklogItem:
    """One deferred request to re-book.

    ``priority_weight`` (>= 1, higher = more urgent) is built by the caller from the crisis
    decision and the clinical urgency. ``earliest``: the review date or the end of a drug hold.
    ``grouped``: the item is already one longer session treating several lesions (informational:
    its ``duration_min`` covers the whole session, which stays in one room on one day).
    ``needs_radiologist_skill``: None accepts any radiologist.
    """

    id: int
    duration_min: int
    modality: str
    priority_weight: int
    requested_on: date
    earliest: date
    procedure: str = ""
    grouped: bool = False
    needs_radiologist_skill: str | None = None


@dataclass(frozen=True, slots=True)
class RoomDay:
    """A room open on a day, with the minutes it can give to the recovery plan."""

    day: date
    room_id: int
    modality: str
    minutes: int


@dataclass(frozen=True, slots=True)
class RadiologistDay:
    """A radiologist working on a day. ``room_ids``: None = may work in any room that day."""

    day: date
    radiologist_id: int
    minutes: int
    skills: frozenset[str] = frozenset()
    room_ids: frozenset[int] | None = None


class Assignment(NamedTuple):
    day: date
    room_id: int
    radiologist_id: int


@dataclass(frozen=True)
class RecoveryPlan:
    """A proposed plan.

    ``objective``: total priority-weighted waiting in days (unplanned items at the penalty date).
    ``best_bound``: a proven lower bound of ``objective`` (None for a greedy plan).
    ``gap_pct``: 100 * (objective - best_bound) / (the part of the objective the plan controls,
    i.e. weighted waiting counted from the first day of the horizon); stricter than a gap on the
    total, whose waiting already accrued would make it look smaller.
    ``status``: OPTIMAL (proven), WITHIN_GAP (proven within the requested relative gap),
    FEASIBLE (stopped by the time limit), HEURISTIC (CP-SAT returned nothing in time: the best
    greedy plan is returned) or GREEDY (a baseline).
    """

    assignments: dict[int, Assignment]
    unplanned: list[int]
    objective: int
    best_bound: int | None
    gap_pct: float | None
    solve_seconds: float
    status: str
    method: str


class Kind(NamedTuple):
    """What an item consumes: the rooms and radiologists it can use, for how long."""

    modality: str
    duration: int
    skill: str  # "" = any radiologist


class Problem:
    """Indexes of one recovery instance, shared by every planner."""

    def __init__(
        self,
        items: Iterable[BacklogItem],
        rooms: Iterable[RoomDay],
        radiologists: Iterable[RadiologistDay],
        *,
        unplanned_penalty_days: int = DEFAULT_UNPLANNED_PENALTY_DAYS,
    ) -> None:
        if unplanned_penalty_days < 0:
            raise ValueError("unplanned_penalty_days must be >= 0")
        self.items: list[BacklogItem] = sorted(items, key=lambda it: it.id)
        self.by_id: dict[int, BacklogItem] = {}
        for item in self.items:
            _check_item(item)
            if item.id in self.by_id:
                raise ValueError(f"duplicate backlog item id {item.id}")
            self.by_id[item.id] = item
        room_list = list(rooms)
        self.days: list[date] = sorted({r.day for r in room_list})
        self.day_index = {d: i for i, d in enumerate(self.days)}
        self.room_cap: dict[tuple[int, int], int] = {}
        self.room_modality: dict[tuple[int, int], str] = {}
        self.rooms_on: list[list[int]] = [[] for _ in self.days]
        for r in room_list:
            key = (self.day_index[r.day], r.room_id)
            if key in self.room_cap:
                raise ValueError(f"room {r.room_id} given twice on {r.day}")
            if r.minutes < 0:
                raise ValueError(f"negative minutes for room {r.room_id} on {r.day}")
            self.room_cap[key] = r.minutes
            self.room_modality[key] = r.modality
            self.rooms_on[key[0]].append(r.room_id)
        self.rad_cap: dict[tuple[int, int], int] = {}
        self.rad_day: dict[tuple[int, int], RadiologistDay] = {}
        self.rads_on: list[list[int]] = [[] for _ in self.days]
        for k in radiologists:
            if k.day not in self.day_index:
                continue  # no room open that day: nothing to do there
            key = (self.day_index[k.day], k.radiologist_id)
            if key in self.rad_cap:
                raise ValueError(f"radiologist {k.radiologist_id} given twice on {k.day}")
            if k.minutes < 0:
                raise ValueError(f"negative minutes for radiologist {k.radiologist_id} on {k.day}")
            self.rad_cap[key] = k.minutes
            self.rad_day[key] = k
            self.rads_on[key[0]].append(k.radiologist_id)
        for ids in (*self.rooms_on, *self.rads_on):
            ids.sort()
        self.unplanned_on: date | None = (
            self.days[-1] + timedelta(days=unplanned_penalty_days) if self.days else None
        )
        self._pairs: dict[tuple[Kind, int], list[tuple[int, int]]] = {}

    @staticmethod
    def kind(item: BacklogItem) -> Kind:
        return Kind(item.modality, item.duration_min, item.needs_radiologist_skill or "")

    def earliest_index(self, item: BacklogItem) -> int:
        """Index of the first horizon day on or after ``item.earliest`` (len(days) if none)."""
        return bisect_left(self.days, item.earliest)

    def pairs(self, kind: Kind, di: int) -> list[tuple[int, int]]:
        """(room, radiologist) pairs that can take an item of this kind on day index ``di``."""
        key = (kind, di)
        found = self._pairs.get(key)
        if found is None:
            found = [
                (room, rad)
                for room in self.rooms_on[di]
                if self.room_modality[di, room] == kind.modality
                and self.room_cap[di, room] >= kind.duration
                for rad in self.rads_on[di]
                if self._rad_can(di, rad, room, kind)
            ]
            self._pairs[key] = found
        return found

    def _rad_can(self, di: int, rad: int, room: int, kind: Kind) -> bool:
        k = self.rad_day[di, rad]
        return (
            k.minutes >= kind.duration
            and (not kind.skill or kind.skill in k.skills)
            and (k.room_ids is None or room in k.room_ids)
        )

    def cost(self, item: BacklogItem, day: date | None) -> int:
        """Weighted waiting of ``item`` if done on ``day`` (None: unplanned)."""
        if day is None:
            day = self.unplanned_on if self.unplanned_on is not None else item.earliest
        return item.priority_weight * (day - item.requested_on).days

    def objective(self, assignments: dict[int, Assignment]) -> int:
        return sum(
            self.cost(it, a.day if (a := assignments.get(it.id)) else None) for it in self.items
        )

    def constant(self) -> int:
        """Weighted waiting accrued before the first horizon day: no plan can change it."""
        if not self.days:
            return self.objective({})
        return sum(self.cost(it, self.days[0]) for it in self.items)

    def plan(
        self,
        assignments: dict[int, Assignment],
        *,
        best_bound: int | None,
        solve_seconds: float,
        status: str,
        method: str,
    ) -> RecoveryPlan:
        objective = self.objective(assignments)
        gap: float | None = None
        if best_bound is not None:
            controlled = objective - self.constant()
            gap = 100.0 * (objective - best_bound) / max(1, controlled)
        return RecoveryPlan(
            assignments=dict(sorted(assignments.items())),
            unplanned=[it.id for it in self.items if it.id not in assignments],
            objective=objective,
            best_bound=best_bound,
            gap_pct=gap,
            solve_seconds=solve_seconds,
            status=status,
            method=method,
        )


def _check_item(item: BacklogItem) -> None:
    if item.duration_min < 1:
        raise ValueError(f"item {item.id}: duration_min must be >= 1")
    if item.priority_weight < 1:
        raise ValueError(f"item {item.id}: priority_weight must be >= 1")


def check_plan(
    assignments: dict[int, Assignment],
    items: Sequence[BacklogItem],
    rooms: Sequence[RoomDay],
    radiologists: Sequence[RadiologistDay],
) -> list[str]:
    """Every rule a plan breaks, in words (empty list: the plan is valid).

    For a plan adjusted by hand before it is accepted, and for tests.
    """
    problem = Problem(items, rooms, radiologists)
    errors: list[str] = []
    room_used: dict[tuple[int, int], int] = {}
    rad_used: dict[tuple[int, int], int] = {}
    for item_id, (day, room, rad) in sorted(assignments.items()):
        item = problem.by_id.get(item_id)
        if item is None:
            errors.append(f"item {item_id}: not in the backlog")
            continue
        if day < item.earliest:
            errors.append(f"item {item_id}: {day} is before its earliest date {item.earliest}")
        di = problem.day_index.get(day)
        if di is None or (di, room) not in problem.room_cap:
            errors.append(f"item {item_id}: room {room} is not open on {day}")
            continue
        if problem.room_modality[di, room] != item.modality:
            errors.append(f"item {item_id}: room {room} is not {item.modality}")
        if (di, rad) not in problem.rad_cap:
            errors.append(f"item {item_id}: radiologist {rad} does not work on {day}")
            continue
        k = problem.rad_day[di, rad]
        skill = item.needs_radiologist_skill
        if skill and skill not in k.skills:
            errors.append(f"item {item_id}: radiologist {rad} lacks skill {skill}")
        if k.room_ids is not None and room not in k.room_ids:
            errors.append(f"item {item_id}: radiologist {rad} is not in room {room} on {day}")
        room_used[di, room] = room_used.get((di, room), 0) + item.duration_min
        rad_used[di, rad] = rad_used.get((di, rad), 0) + item.duration_min
    for (di, room), used in sorted(room_used.items()):
        if used > problem.room_cap[di, room]:
            cap = problem.room_cap[di, room]
            errors.append(f"room {room} on {problem.days[di]}: {used} min booked > {cap}")
    for (di, rad), used in sorted(rad_used.items()):
        if used > problem.rad_cap[di, rad]:
            cap = problem.rad_cap[di, rad]
            errors.append(f"radiologist {rad} on {problem.days[di]}: {used} min booked > {cap}")
    return errors
