"""A brute-force slot search, minute by minute, to check the slot engine against.

Deliberately naive and independent of `geste.planning.slotcore`: every instant is a whole
minute since the epoch (UTC), every calendar is the SET of minutes it covers, and each
candidate start is checked rule by rule, reading the rules of the docstring of `slotcore`:

- every minute of [t, t + duration) is open in the room, the radiologist is present in it
  (presence restricted to another room does not count), and nobody (room, radiologist,
  patient) is busy in it;
- the radiologist has the skill, the room the modality;
- not_before <= t and t + duration <= not_after;
- the local wall-clock time of t minus that of the start of the room's opening (the first
  minute of the run of open minutes that holds t) is a whole number of steps.

Slow (a small week is ~10^4 candidate minutes per room), obviously right, tests only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

Span = tuple[datetime, datetime]  # [start, end), aware datetimes on whole minutes


@dataclass(frozen=True)
class Problem:
    rooms: dict[int, tuple[str, list[Span]]]  # id -> (modality, opening windows)
    presence: dict[int, list[tuple[datetime, datetime, int | None]]]  # rad -> (start, end, only)
    skills: dict[int, frozenset[str]]
    busy_rooms: dict[int, list[Span]]
    busy_rads: dict[int, list[Span]]
    busy_patient: list[Span]
    modality: str
    skill: str | None
    duration: int  # minutes
    step: int  # minutes
    not_before: datetime
    not_after: datetime
    tz: tzinfo = field(default=UTC)


def minute(dt: datetime) -> int:
    """Whole minutes since the epoch (the datetime must be aware and on a whole minute)."""
    seconds = dt.timestamp()
    assert seconds % 60 == 0, dt
    return int(seconds) // 60


def instant(m: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(m * 60, tz)


def covered(spans: list[Span]) -> set[int]:
    """The minutes of a union of intervals."""
    out: set[int] = set()
    for start, end in spans:
        out.update(range(minute(start), minute(end)))
    return out


def wall(m: int, tz: tzinfo) -> datetime:
    """The local wall-clock time of a minute, as a naive datetime."""
    return instant(m, tz).replace(tzinfo=None)


def brute_force(p: Problem) -> list[tuple[int, int, int]]:
    """(start minute, room id, radiologist id) of every free slot, sorted."""
    first, last = minute(p.not_before), minute(p.not_after) - p.duration
    step = timedelta(minutes=p.step)
    patient_busy = covered(p.busy_patient)
    found = []
    for room_id, (modality, windows) in p.rooms.items():
        if modality != p.modality:
            continue
        open_ = covered(windows)
        run_start: dict[int, int] = {}
        for m in sorted(open_):
            run_start[m] = run_start[m - 1] if m - 1 in open_ else m
        room_busy = covered(p.busy_rooms.get(room_id, []))
        for rad_id, entries in p.presence.items():
            if p.skill is not None and p.skill not in p.skills.get(rad_id, frozenset()):
                continue
            present = covered([(a, b) for a, b, only in entries if only in (None, room_id)])
            rad_busy = covered(p.busy_rads.get(rad_id, []))
            for t in range(first, last + 1):
                slot = range(t, t + p.duration)
                if not all(m in open_ and m in present for m in slot):
                    continue
                if any(m in room_busy or m in rad_busy or m in patient_busy for m in slot):
                    continue
                if (wall(t, p.tz) - wall(run_start[t], p.tz)) % step:
                    continue
                found.append((t, room_id, rad_id))
    return sorted(found)


def first_of_each_day(slots: list[tuple[int, int, int]], tz: tzinfo) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    for s in slots:
        if not out or instant(s[0], tz).date() != instant(out[-1][0], tz).date():
            out.append(s)
    return out
