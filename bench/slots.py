"""Benchmark of the earliest-slot search (the one engine: geste.planning.slots over slotcore).

A deterministic 90-day horizon from Monday 2 March 2026 (it crosses the 29 March daylight-saving
change): 4 rooms (2 fluoroscopy, 1 CT, 1 ultrasound) open 08:00-12:30 and 13:30-18:00 on
weekdays, 6 radiologists with skills and half-day rosters (some tied to a room), ~70% of the
room time already booked (each booking also keeps a radiologist busy), and a patient with a few
appointments. Times 1,000 searches (first 5 slots) from random dates, each call timed whole
through the datetime façade (inputs converted every time), then the same searches on the integer
core over calendars converted once (what scheduling.calendars hands it from the database),
then "all slots of a day" and "first slot of each day" searches. Never asserts timings.

    .venv/bin/python bench/slots.py [--queries 1000] [--days 90] [--booked 0.7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import islice

from _report import record
from geste.planning import slotcore
from geste.planning.slots import (
    PARIS,
    Busy,
    Interval,
    RadiologistCalendar,
    RoomCalendar,
    SlotQuery,
    find_slots,
)

START = date(2026, 3, 2)
ROOMS = ((1, "fluoroscopy"), (2, "fluoroscopy"), (3, "ct"), (4, "ultrasound"))
# id, skills, {weekday: (morning room or None, afternoon room or None)}; absent = not working
RADIOLOGISTS = (
    (11, {"vertebroplasty", "ultrasound"}, {0: (1, 1), 1: (1, None), 2: (4, 4), 3: (1, 1)}),
    (12, {"vertebroplasty", "ct"}, {1: (3, 3), 2: (1, 1), 3: (3, None), 4: (1, 1)}),
    (13, {"vertebroplasty"}, {0: (2, 2), 1: (2, 2), 2: (2, None), 3: (2, 2), 4: (2, 2)}),
    (14, {"ct", "ablation"}, {0: (3, 3), 1: (None, 3), 3: (None, 3), 4: (3, 3)}),
    (15, {"ct", "ablation", "ultrasound"}, {0: (4, 4), 1: (4, 1), 2: (3, 3), 4: (4, None)}),
    (16, {"ultrasound"}, {1: (None, 4), 2: (None, 2), 3: (4, 4), 4: (None, 4)}),
)
PROCEDURES = (  # modality, minutes, skill
    ("fluoroscopy", 30, None),
    ("fluoroscopy", 20, None),
    ("fluoroscopy", 60, "vertebroplasty"),
    ("ct", 45, "ct"),
    ("ct", 90, "ablation"),
    ("ultrasound", 20, "ultrasound"),
)
SESSIONS = (((8, 0), (12, 30)), ((13, 30), (18, 0)))


def at(day: date, hm: tuple[int, int]) -> datetime:
    return datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=PARIS)


def build(
    days: int, booked: float, rng: random.Random
) -> tuple[list[RoomCalendar], list[RadiologistCalendar], Busy]:
    workdays = [START + timedelta(d) for d in range(days) if (START + timedelta(d)).weekday() < 5]
    closed = {START + timedelta(days=d) for d in (33, 34)}  # e.g. Easter Monday and a closure
    opens: dict[int, list[Interval]] = defaultdict(list)
    for day in workdays:
        if day in closed:
            continue
        for room_id, _ in ROOMS:
            opens[room_id].extend(Interval(at(day, a), at(day, b)) for a, b in SESSIONS)
    rooms = [RoomCalendar(room_id, modality, opens[room_id]) for room_id, modality in ROOMS]
    present: dict[int, list[tuple[Interval, int | None]]] = defaultdict(list)
    staff: dict[tuple[date, int, int], list[int]] = defaultdict(list)  # (day, half, room) -> ids
    for rad_id, _, roster in RADIOLOGISTS:
        for day in workdays:
            for half, room_id in enumerate(roster.get(day.weekday(), (None, None))):
                if room_id is not None:
                    a, b = SESSIONS[half]
                    # Mostly tied to their room; a few sessions free to move.
                    only = room_id if rng.random() < 0.8 else None
                    present[rad_id].append((Interval(at(day, a), at(day, b)), only))
                    staff[day, half, room_id].append(rad_id)
    radiologists = [
        RadiologistCalendar(rad_id, present[rad_id], frozenset(skills))
        for rad_id, skills, _ in RADIOLOGISTS
    ]
    room_busy: dict[int, list[Interval]] = defaultdict(list)
    rad_busy: dict[int, list[Interval]] = defaultdict(list)
    for day in workdays:
        for room_id, modality in ROOMS:
            for half, (a, b) in enumerate(SESSIONS):
                who = staff.get((day, half, room_id))
                if not who or day in closed:
                    continue
                t, end = at(day, a), at(day, b)
                durations = [m for mod, m, _ in PROCEDURES if mod == modality]
                while t < end:
                    minutes = rng.choice(durations)
                    slot_end = min(end, t + timedelta(minutes=minutes))
                    if rng.random() < booked:
                        room_busy[room_id].append(Interval(t, slot_end))
                        rad_busy[rng.choice(who)].append(Interval(t, slot_end))
                    t = slot_end
    patient = [
        Interval(at(d, (9, 0)), at(d, (10, 0)))
        for d in rng.sample(workdays[: len(workdays) // 2], 4)
    ]
    return rooms, radiologists, Busy(room_busy, rad_busy, patient)


US = timedelta(microseconds=1)


def core_inputs(
    rooms: list[RoomCalendar], radiologists: list[RadiologistCalendar], busy: Busy
) -> tuple[slotcore.Calendars, slotcore.BusyTimes]:
    """The whole horizon as the engine's integers, once (as scheduling.calendars loads it)."""

    def pairs(intervals: list[Interval]) -> list[tuple[int, int]]:
        return [(slotcore.to_us(iv.start), slotcore.to_us(iv.end)) for iv in intervals]

    calendars = slotcore.Calendars(
        rooms={r.room_id: slotcore.merged(pairs(list(r.open))) for r in rooms},
        presence={
            k.radiologist_id: [(*pairs([iv])[0], only) for iv, only in k.present]
            for k in radiologists
        },
        skills={k.radiologist_id: k.skills for k in radiologists},
    )
    busy_times = slotcore.BusyTimes(
        rooms={k: slotcore.busy_index(pairs(list(v))) for k, v in busy.rooms.items()},
        radiologists={k: slotcore.busy_index(pairs(list(v))) for k, v in busy.radiologists.items()},
        patient=slotcore.busy_index(pairs(list(busy.patient))),
    )
    return calendars, busy_times


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return (
        f"p50={q[49]:6.2f} ms  p95={q[94]:6.2f} ms  p99={q[98]:6.2f} ms  max={max(samples):6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--booked", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rooms, radiologists, busy = build(args.days, args.booked, rng)
    n_room_busy = sum(len(v) for v in busy.rooms.values())
    n_rad_busy = sum(len(v) for v in busy.radiologists.values())
    open_minutes = sum((w.end - w.start).total_seconds() / 60 for r in rooms for w in r.open)
    busy_minutes = sum(
        (w.end - w.start).total_seconds() / 60 for v in busy.rooms.values() for w in v
    )
    print(
        f"horizon {args.days} days from {START}; {len(rooms)} rooms, {len(radiologists)} "
        f"radiologists; {n_room_busy} room bookings ({busy_minutes / open_minutes:.0%} of open "
        f"time), {n_rad_busy} radiologist busy intervals, {len(busy.patient)} patient ones"
    )
    horizon_end = at(START + timedelta(days=args.days), (0, 0))
    queries = []
    for _ in range(args.queries):
        modality, minutes, skill = rng.choice(PROCEDURES)
        not_before = at(START + timedelta(days=rng.randint(0, args.days - 10)), (7, 0))
        queries.append(
            SlotQuery(
                procedure="bench",
                modality=modality,
                duration=timedelta(minutes=minutes),
                not_before=not_before,
                not_after=horizon_end,
                needs_radiologist_skill=skill,
                limit=5,
            )
        )
    times: list[float] = []
    found = 0
    for q in queries:
        t0 = time.perf_counter()
        slots = find_slots(q, rooms, radiologists, busy)
        times.append((time.perf_counter() - t0) * 1000)
        found += len(slots)
    print(f"earliest 5 slots, {args.queries} searches ({found} slots found):")
    print(f"  {percentiles(times)}   (goal p95 < 50 ms)")
    p95 = sorted(times)[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    record("slots", "earliest 5 slots, 90 days, p95", round(p95, 2), "ms", "< 50 ms", p95 < 50)

    calendars, busy_times = core_inputs(rooms, radiologists, busy)
    core_times: list[float] = []
    core_found = 0
    for q in queries:
        t0 = time.perf_counter()
        search = slotcore.Search(
            q.duration // US,
            q.step // US,
            slotcore.to_us(q.not_before),
            slotcore.to_us(q.not_after),
        )
        stream = slotcore.free_starts(
            calendars=calendars,
            busy=busy_times,
            room_ids=[r.room_id for r in rooms if r.modality == q.modality],
            skill=q.needs_radiologist_skill,
            search=search,
        )
        core_found += len(list(islice(stream, q.limit)))
        core_times.append((time.perf_counter() - t0) * 1000)
    ratio = statistics.quantiles(core_times, n=100)[94] / statistics.quantiles(times, n=100)[94]
    print(f"same searches on the integer core, calendars converted once ({core_found} slots):")
    print(f"  {percentiles(core_times)}   (p95 {ratio:.2f} x the façade's)")

    day_times: list[float] = []
    day_found = 0
    for _ in range(max(10, args.queries // 10)):
        modality, minutes, skill = rng.choice(PROCEDURES)
        day = START + timedelta(days=rng.randint(0, args.days - 1))
        q = SlotQuery(
            procedure="bench",
            modality=modality,
            duration=timedelta(minutes=minutes),
            not_before=at(day, (0, 0)),
            not_after=at(day + timedelta(days=1), (0, 0)),
            needs_radiologist_skill=skill,
            limit=None,
        )
        t0 = time.perf_counter()
        day_found += len(find_slots(q, rooms, radiologists, busy))
        day_times.append((time.perf_counter() - t0) * 1000)
    print(f"all slots of one day (limit=None), {len(day_times)} searches ({day_found} slots):")
    print(f"  {percentiles(day_times)}")

    per_day_times: list[float] = []
    for _ in range(max(10, args.queries // 10)):
        modality, minutes, skill = rng.choice(PROCEDURES)
        q = SlotQuery(
            procedure="bench",
            modality=modality,
            duration=timedelta(minutes=minutes),
            not_before=at(START, (0, 0)),
            not_after=horizon_end,
            needs_radiologist_skill=skill,
            first_per_day=True,
            limit=10,
        )
        t0 = time.perf_counter()
        find_slots(q, rooms, radiologists, busy)
        per_day_times.append((time.perf_counter() - t0) * 1000)
    print(f"first slot of each of the next 10 days, {len(per_day_times)} searches:")
    print(f"  {percentiles(per_day_times)}")


if __name__ == "__main__":
    main()
