"""The local search run after CP-SAT (geste.planning._improve): plain data, no database."""

from __future__ import annotations

from datetime import date, timedelta

from geste.planning._improve import improve
from geste.planning.backlog import Assignment, Problem
from geste.planning.recovery import check_plan

from .test_planning_recovery import MON, TUE, WED, item, rad_days, room_days


def test_an_item_moves_to_an_earlier_day_with_room():
    items = [item(1, minutes=30), item(2, minutes=30, weight=3)]
    rooms = room_days(MON, TUE)
    rads = rad_days(MON, TUE)
    problem = Problem(items, rooms, rads)
    plan = {1: Assignment(MON, 1, 10), 2: Assignment(TUE, 1, 10)}
    out = improve(problem, plan, None)
    assert out == {1: Assignment(MON, 1, 10), 2: Assignment(MON, 1, 10)}
    assert check_plan(out, items, rooms, rads) == []
    assert problem.objective(out) < problem.objective(plan)


def test_the_urgent_item_swaps_in_front_within_the_other_s_deadline():
    items = [item(1), item(2, weight=5)]
    rooms, rads = room_days(MON, TUE, WED), rad_days(MON, TUE, WED)
    problem = Problem(items, rooms, rads)
    plan = {1: Assignment(MON, 1, 10), 2: Assignment(TUE, 1, 10)}
    out = improve(problem, plan, {1: 1, 2: 2})  # item 1 may go as late as Tuesday
    assert out == {1: Assignment(TUE, 1, 10), 2: Assignment(MON, 1, 10)}


def test_no_swap_past_a_deadline_nor_before_an_earliest_date():
    items = [item(1), item(2, weight=5), item(3, weight=5, earliest=WED)]
    rooms, rads = room_days(MON, TUE, WED), rad_days(MON, TUE, WED)
    problem = Problem(items, rooms, rads)
    plan = {1: Assignment(MON, 1, 10), 2: Assignment(TUE, 1, 10), 3: Assignment(WED, 1, 10)}
    # Item 1 must stay on Monday: item 2 cannot take its place; item 3 cannot come earlier.
    assert improve(problem, plan, {1: 0}) == plan


def test_other_modality_and_capacity_are_kept():
    later = MON + timedelta(days=7)
    items = [
        item(1, minutes=45, modality="ct", skill="ct"),
        item(2, minutes=30, weight=8),
        item(3, minutes=60, requested=date(2026, 4, 1)),
    ]
    rooms = [*room_days(MON, later), *room_days(MON, later, room_id=2, modality="ct")]
    rads = rad_days(MON, later, skills=frozenset({"ct"}))
    problem = Problem(items, rooms, rads)
    plan = {
        1: Assignment(MON, 2, 10),
        3: Assignment(MON, 1, 10),
        2: Assignment(later, 1, 10),
    }
    out = improve(problem, plan, None)
    assert check_plan(out, items, rooms, rads) == []
    assert out[1] == plan[1]  # alone in its room
    # The urgent 30 minutes swap with the 60-minute item: the room's hour still holds.
    assert out[2].day == MON and out[3].day == later


def test_an_urgent_long_item_takes_the_place_of_two_shorter_ones():
    # Monday holds two 30-minute items, Tuesday is full; the urgent hour on Wednesday takes
    # Monday, and the two half hours go to Wednesday.
    items = [item(1, minutes=30), item(2, minutes=30), item(3, weight=5), item(4, weight=5)]
    rooms, rads = room_days(MON, TUE, WED), rad_days(MON, TUE, WED)
    problem = Problem(items, rooms, rads)
    plan = {
        1: Assignment(MON, 1, 10),
        2: Assignment(MON, 1, 10),
        3: Assignment(WED, 1, 10),
        4: Assignment(TUE, 1, 10),
    }
    out = improve(problem, plan, None, exchanges=True)
    assert out == {
        1: Assignment(WED, 1, 10),
        2: Assignment(WED, 1, 10),
        3: Assignment(MON, 1, 10),
        4: Assignment(TUE, 1, 10),
    }
    assert check_plan(out, items, rooms, rads) == []
    assert improve(problem, plan, None) == plan  # the exchange only when asked


def test_no_two_for_one_past_a_deadline():
    items = [item(1, minutes=30), item(2, minutes=30), item(3, weight=5), item(4, weight=5)]
    rooms, rads = room_days(MON, TUE, WED), rad_days(MON, TUE, WED)
    problem = Problem(items, rooms, rads)
    plan = {
        1: Assignment(MON, 1, 10),
        2: Assignment(MON, 1, 10),
        3: Assignment(WED, 1, 10),
        4: Assignment(TUE, 1, 10),
    }
    assert improve(problem, plan, {1: 0}, exchanges=True) == plan  # item 1 must stay on Monday


def test_a_swap_tries_the_next_item_when_the_first_cannot_move():
    # Monday holds two hours alike but for their deadlines: item 1 must stay, item 2 may go
    # as late as Wednesday, so the urgent hour of Tuesday takes item 2's place.
    items = [item(1), item(2), item(3, weight=5)]
    rooms = [*room_days(MON, minutes=120), *room_days(TUE, WED)]
    rads = rad_days(MON, TUE, WED)
    problem = Problem(items, rooms, rads)
    plan = {1: Assignment(MON, 1, 10), 2: Assignment(MON, 1, 10), 3: Assignment(TUE, 1, 10)}
    out = improve(problem, plan, {1: 0, 2: 2, 3: 2})
    assert out == {1: Assignment(MON, 1, 10), 2: Assignment(TUE, 1, 10), 3: Assignment(MON, 1, 10)}
    assert check_plan(out, items, rooms, rads) == []
