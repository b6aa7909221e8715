"""Local search on an item-level plan, after CP-SAT: cheap moves the aggregated search misses.

Moves, repeated until none applies (or ``rounds``):
- an item moves to an earlier day where a (room, radiologist) pair still has its minutes;
- a more urgent item takes the day of a less urgent one of the same modality planned earlier,
  which moves to the first later day where it fits (rooms and radiologists chosen again)
  within its deadline, when the exchange lowers the cost;
- with ``exchanges``: an item takes the place of two shorter, less urgent ones planned on an
  earlier day, which move to the first later days where they fit, within their deadlines.
Every move lowers the weighted waiting; none breaks a capacity, an earliest date or a
fairness deadline (an item only moves later within its deadline). Unplanned items stay so.
"""

from __future__ import annotations

import time
from bisect import insort

from geste.planning.backlog import Assignment, BacklogItem, Kind, Problem

__all__ = ["improve"]


def improve(
    problem: Problem,
    plan: dict[int, Assignment],
    deadlines: dict[int, int] | None,
    *,
    rounds: int = 10,
    until: float | None = None,
    exchanges: bool = False,
) -> dict[int, Assignment]:
    """A plan at most as costly as ``plan``; stops at ``until`` (``time.perf_counter``).
    ``exchanges``: also the slower 1-for-2 exchange (best on a plan the simple moves left)."""
    state = _State(problem, plan, deadlines or {})
    urgent_first = sorted(
        (it for it in problem.items if it.id in state.cur),
        key=lambda it: (-it.priority_weight, it.requested_on, it.id),
    )
    by_modality: dict[str, list[BacklogItem]] = {}
    for it in urgent_first:
        by_modality.setdefault(it.modality, []).append(it)
    for _ in range(rounds):
        changed = False
        for it in urgent_first:
            changed |= state.move_earlier(it)
        for members in by_modality.values():
            on_day: dict[int, list[BacklogItem]] = {}
            for it in members:
                on_day.setdefault(state.cur[it.id][0], []).append(it)
            # The same lists, each kept sorted by weight (stable): the 1-for-2 exchange's
            # least urgent candidates are a prefix, never sorted again.
            ranked = {d: sorted(its, key=_weight) for d, its in on_day.items()}
            for b in members:
                if until is not None and time.perf_counter() > until:
                    return state.assignments()
                changed |= state.swap_earlier(b, on_day, ranked) or (
                    exchanges and state.eject_two(b, on_day, ranked)
                )
        if not changed:
            break
    return {i: Assignment(problem.days[di], room, rad) for i, (di, room, rad) in state.cur.items()}


def _weight(item: BacklogItem) -> int:
    return item.priority_weight


def _relocate(
    lists: dict[int, list[BacklogItem]],
    ranked: dict[int, list[BacklogItem]],
    item: BacklogItem,
    old: int,
    new: int,
) -> None:
    """``item`` leaves day ``old`` for ``new`` in both per-day lists (``ranked`` stays sorted,
    an item landing after those of its weight, as an append would)."""
    lists[old].remove(item)
    lists.setdefault(new, []).append(item)
    ranked[old].remove(item)
    insort(ranked.setdefault(new, []), item, key=_weight)


class _State:
    def __init__(
        self, problem: Problem, plan: dict[int, Assignment], deadlines: dict[int, int]
    ) -> None:
        self.problem = problem
        self.due = deadlines
        self.n_days = len(problem.days)
        self.ordinal = [d.toordinal() for d in problem.days]
        self.room_left = dict(problem.room_cap)
        self.rad_left = dict(problem.rad_cap)
        self.cur: dict[int, tuple[int, int, int]] = {}  # item id -> (day index, room, rad)
        minutes = {it.id: it.duration_min for it in problem.items}
        self.kinds = {it.id: problem.kind(it) for it in problem.items}
        for i, a in plan.items():
            di = problem.day_index[a.day]
            self.take(di, a.room_id, a.radiologist_id, minutes[i])
            self.cur[i] = (di, a.room_id, a.radiologist_id)

    def assignments(self) -> dict[int, Assignment]:
        days = self.problem.days
        return {i: Assignment(days[di], room, rad) for i, (di, room, rad) in self.cur.items()}

    def fit(self, kind: Kind, di: int) -> tuple[int, int] | None:
        for room, rad in self.problem.pairs(kind, di):
            if (
                self.room_left[di, room] >= kind.duration
                and self.rad_left[di, rad] >= kind.duration
            ):
                return room, rad
        return None

    def fit_freed(
        self, kind: Kind, di: int, room: int, rad: int, minutes: int
    ) -> tuple[int, int] | None:
        """``fit(kind, di)`` as if ``minutes`` of ``room`` and ``rad`` were freed on ``di``."""
        need = kind.duration
        room_left, rad_left = self.room_left, self.rad_left
        for r, q in self.problem.pairs(kind, di):
            if (
                room_left[di, r] + (minutes if r == room else 0) >= need
                and rad_left[di, q] + (minutes if q == rad else 0) >= need
            ):
                return r, q
        return None

    def take(self, di: int, room: int, rad: int, minutes: int) -> None:
        self.room_left[di, room] -= minutes
        self.rad_left[di, rad] -= minutes

    def move_earlier(self, item: BacklogItem) -> bool:
        di, room, rad = self.cur[item.id]
        kind = self.kinds[item.id]
        for dj in range(self.problem.earliest_index(item), di):
            pair = self.fit(kind, dj)
            if pair is not None:
                self.take(di, room, rad, -kind.duration)
                self.take(dj, *pair, kind.duration)
                self.cur[item.id] = (dj, *pair)
                return True
        return False

    def swap_earlier(
        self,
        b: BacklogItem,
        on_day: dict[int, list[BacklogItem]],
        ranked: dict[int, list[BacklogItem]],
    ) -> bool:
        """``b`` takes the place of a less urgent item planned on an earlier day, which moves
        to the first later day where it fits, within its deadline, when that lowers the cost
        (often ``b``'s old day: a swap)."""
        db, rb, kb = self.cur[b.id]
        kind_b = self.kinds[b.id]
        ordinal = self.ordinal
        for da in range(self.problem.earliest_index(b), db):
            gain = b.priority_weight * (ordinal[db] - ordinal[da])
            tried: dict[tuple[int, int, int], tuple[int, int] | None] = {}
            stuck: set[tuple[Kind, int, int]] = set()
            for a in on_day.get(da, ()):
                if a.priority_weight >= b.priority_weight:
                    continue
                last = min(self.due.get(a.id, self.n_days), self.n_days - 1)
                _, ra, ka = self.cur[a.id]
                kind_a = self.kinds[a.id]
                # Whether b fits once a leaves depends only on a's room, radiologist and
                # minutes: tried once per day, without touching the capacities.
                key = (ra, ka, kind_a.duration)
                if key in tried:
                    pb = tried[key]
                else:
                    pb = tried[key] = self.fit_freed(kind_b, da, ra, ka, kind_a.duration)
                # Where a could go depends on its kind, weight and deadline only (days after
                # da; b's minutes freed on db): a failed search is not tried again on da.
                again = (kind_a, a.priority_weight, last)
                if pb is None or again in stuck:
                    continue
                self.take(da, ra, ka, -kind_a.duration)
                self.take(db, rb, kb, -kind_b.duration)
                self.take(da, *pb, kind_b.duration)
                for dc in range(da + 1, last + 1):
                    if a.priority_weight * (ordinal[dc] - ordinal[da]) >= gain:
                        break
                    pa = self.fit(kind_a, dc)
                    if pa is not None:
                        self.take(dc, *pa, kind_a.duration)
                        self.cur[b.id], self.cur[a.id] = (da, *pb), (dc, *pa)
                        _relocate(on_day, ranked, a, da, dc)
                        _relocate(on_day, ranked, b, db, da)
                        return True
                stuck.add(again)
                self.take(da, *pb, -kind_b.duration)
                self.take(da, ra, ka, kind_a.duration)
                self.take(db, rb, kb, kind_b.duration)
        return False

    def eject_two(
        self,
        b: BacklogItem,
        on_day: dict[int, list[BacklogItem]],
        ranked: dict[int, list[BacklogItem]],
    ) -> bool:
        """``b`` takes the place of two less urgent, shorter items planned on an earlier day
        (neither alone leaves room for it), which move to the first later days where they fit,
        within their deadlines, when that lowers the cost."""
        db, rb, kb = self.cur[b.id]
        kind_b = self.kinds[b.id]
        weight_b, duration_b = b.priority_weight, kind_b.duration
        ordinal = self.ordinal
        for da in range(self.problem.earliest_index(b), db):
            gain = weight_b * (ordinal[db] - ordinal[da])
            step = ordinal[min(da + 1, self.n_days - 1)] - ordinal[da]
            if 2 * step >= gain:
                continue  # two items moved a day each would cost more
            pool: list[BacklogItem] = []
            for a in ranked.get(da, ()):
                if a.priority_weight >= weight_b:
                    break
                if a.duration_min < duration_b:
                    pool.append(a)
                    if len(pool) == _POOL:
                        break
            if len(pool) < 2:
                continue
            for i, a1 in enumerate(pool):
                r1 = self.cur[a1.id][1]
                for a2 in pool[i + 1 :]:
                    # Room for b only if both leave the same room; each moves a day at least.
                    if (
                        self.cur[a2.id][1] != r1
                        or self.room_left[da, r1] + a1.duration_min + a2.duration_min
                        < kind_b.duration
                        or (a1.priority_weight + a2.priority_weight) * step >= gain
                    ):
                        continue
                    if self._eject_pair(b, a1, a2, da, db, rb, kb, gain, on_day, ranked):
                        return True
        return False

    def _eject_pair(
        self,
        b: BacklogItem,
        a1: BacklogItem,
        a2: BacklogItem,
        da: int,
        db: int,
        rb: int,
        kb: int,
        gain: int,
        on_day: dict[int, list[BacklogItem]],
        ranked: dict[int, list[BacklogItem]],
    ) -> bool:
        kind_b = self.kinds[b.id]
        k1, k2 = self.kinds[a1.id], self.kinds[a2.id]
        _, r1, q1 = self.cur[a1.id]
        _, r2, q2 = self.cur[a2.id]
        self.take(da, r1, q1, -k1.duration)
        self.take(da, r2, q2, -k2.duration)
        self.take(db, rb, kb, -kind_b.duration)
        placed: list[tuple[int, int, int, int]] = []  # (day, room, rad, minutes) taken so far
        pb = self.fit(kind_b, da)
        moves: list[tuple[int, int, int]] = []
        if pb is not None:
            self.take(da, *pb, kind_b.duration)
            placed.append((da, *pb, kind_b.duration))
            spent = 0
            for a, k in ((a1, k1), (a2, k2)):
                last = min(self.due.get(a.id, self.n_days), self.n_days - 1)
                for dc in range(da + 1, last + 1):
                    cost = a.priority_weight * (self.ordinal[dc] - self.ordinal[da])
                    if spent + cost >= gain:
                        break
                    pa = self.fit(k, dc)
                    if pa is not None:
                        self.take(dc, *pa, k.duration)
                        placed.append((dc, *pa, k.duration))
                        moves.append((dc, *pa))
                        spent += cost
                        break
            if len(moves) == 2:
                self.cur[b.id] = (da, *pb)
                self.cur[a1.id], self.cur[a2.id] = moves
                _relocate(on_day, ranked, a1, da, moves[0][0])
                _relocate(on_day, ranked, a2, da, moves[1][0])
                _relocate(on_day, ranked, b, db, da)
                return True
        for day, room, rad, minutes in placed:
            self.take(day, room, rad, -minutes)
        self.take(da, r1, q1, k1.duration)
        self.take(da, r2, q2, k2.duration)
        self.take(db, rb, kb, kind_b.duration)
        return False


_POOL = 16  # the least urgent candidates tried, pairwise, for a 1-for-2 exchange
