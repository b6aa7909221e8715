"""earliest_slots: holidays, closures, rosters, skills, modality, prerequisites, DST weeks."""

from __future__ import annotations

from datetime import UTC, time, timedelta

import pytest

from geste.clinic.models import Role
from geste.pathway.booking import appointment_book, earliest_slots
from geste.scheduling.models import Closure, RadiologistSkill, RosterEntry
from tests.factories import make_user
from tests.scheduling.conftest import at, proc, roster_all_week, skill_all, validated_request

pytestmark = pytest.mark.django_db


def starts(options):  # type: ignore[no-untyped-def]
    return [(o.start, o.room.name) for o in options]


def test_first_five_consultations_across_rooms(centre, alice):
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    assert len(found) == 5
    # One radiologist: one consultation at a time, every 20 minutes from 08:00.
    assert [o.start for o in found] == [
        at("2026-03-09", "08:00") + timedelta(minutes=20 * i) for i in range(5)
    ]
    assert all(o.end - o.start == timedelta(minutes=20) for o in found)


def test_procedure_without_validated_indication_gets_nothing(centre, alice):
    assert (
        earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="procedure") == []
    )


def test_procedure_uses_rooms_of_its_modality_only(centre, alice):
    validated_request(alice, "facet_infiltration")
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="procedure")
    assert {o.room.modality for o in found} == {"fluoroscopy"}
    # Options are alternatives: 30 minutes each, offered every 15 minutes.
    assert [o.start for o in found[:3]] == [
        at("2026-03-09", "08:00"),
        at("2026-03-09", "08:15"),
        at("2026-03-09", "08:30"),
    ]
    assert all(o.end - o.start == timedelta(minutes=30) for o in found)


def test_two_radiologists_give_parallel_slots(centre, alice):
    rad2 = make_user("radio2", Role.RADIOLOGIST)
    roster_all_week(rad2, room=centre.room2)
    skill_all(rad2)
    validated_request(alice, "facet_infiltration")
    # The patient can only be in one place: the patient's own busy time is not yet booked, so
    # both rooms are offered at 08:00.
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="procedure")
    assert starts(found)[:2] == [
        (at("2026-03-09", "08:00"), "Salle 1"),
        (at("2026-03-09", "08:00"), "Salle 2"),
    ]
    assert {o.radiologist for o in found[:2]} == {centre.radio, rad2}


def test_skills_are_required(centre, alice):
    RadiologistSkill.objects.filter(
        radiologist=centre.radio, procedure__code="bone_biopsy"
    ).delete()
    validated_request(alice, "bone_biopsy")
    assert earliest_slots(procedure=proc("bone_biopsy"), patient=alice, kind="procedure") == []


def test_public_holiday_and_closure_are_skipped(centre, alice, frozen):
    frozen.move_to(at("2026-04-30", "18:00"))  # Thursday; Friday 1 May is a holiday
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    assert found[0].start.date().isoformat() == "2026-05-04"
    Closure.objects.create(
        room=None, start=at("2026-05-04", "00:00"), end=at("2026-05-05", "12:00"), reason="x"
    )
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    assert found[0].start == at("2026-05-05", "12:00")


def test_roster_decides_the_hours(centre, alice):
    RosterEntry.objects.filter(radiologist=centre.radio).update(start=time(14, 0))
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    assert found[0].start == at("2026-03-09", "14:00")


def test_patient_and_radiologist_busy_times_are_avoided(centre, alice, bob, receptionist):
    appointment_book(
        patient=bob,
        kind="consultation",
        procedure=proc("facet_infiltration"),
        start=at("2026-03-09", "08:00"),
        room=centre.room1,
        radiologist=centre.radio,
        actor=receptionist,
    )
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    assert found[0].start == at("2026-03-09", "08:20")


def test_blood_test_lead_and_drug_hold_move_the_first_slot(centre, alice):
    validated_request(alice, "epidural_infiltration")
    found = earliest_slots(procedure=proc("epidural_infiltration"), patient=alice, kind="procedure")
    # Booked on Monday, two days for the blood test: Wednesday morning.
    assert found[0].start == at("2026-03-11", "08:00")
    from geste.patients.models import Declaration, MedicationDeclaration

    d = Declaration.objects.create(
        patient=alice,
        answered_at=at("2026-03-09", "06:00"),
        takes_anticoagulant=True,
        fever=False,
        current_infection=False,
        skin_lesion_at_site=False,
        creatinine_clearance_ml_min=90,
    )
    MedicationDeclaration.objects.create(
        declaration=d, drug="Kardegic", last_dose_at=at("2026-03-09", "06:00")
    )
    MedicationDeclaration.objects.create(
        declaration=d, drug="apixaban", last_dose_at=at("2026-03-12", "07:10")
    )
    found = earliest_slots(procedure=proc("epidural_infiltration"), patient=alice, kind="procedure")
    # Apixaban, normal clearance: 48 h after 12 March 07:10 -> 14 March (Saturday) -> Monday.
    assert found[0].start == at("2026-03-16", "08:00")


def test_spring_forward_week_keeps_wall_clock_hours(centre, alice, frozen):
    frozen.move_to(at("2026-03-27", "19:00"))  # Friday before the change (29 March, 02:00)
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    first = found[0].start
    assert first == at("2026-03-30", "08:00")
    assert first.astimezone(UTC).hour == 6  # CEST: UTC+2
    assert first.utcoffset() == timedelta(hours=2)


def test_fall_back_week_keeps_wall_clock_hours(centre, alice, frozen):
    frozen.move_to(at("2026-10-23", "19:00"))  # Friday before 25 October
    found = earliest_slots(procedure=proc("facet_infiltration"), patient=alice, kind="consultation")
    assert found[0].start == at("2026-10-26", "08:00")
    assert found[0].start.astimezone(UTC).hour == 7  # CET: UTC+1
    assert [o.start.strftime("%H:%M") for o in found] == [
        "08:00",
        "08:20",
        "08:40",
        "09:00",
        "09:20",
    ]


def test_dst_night_opening_gives_only_real_instants(centre, alice, frozen):
    """A room open through the night of the change: no slot at the missing 02:xx hour."""
    from geste.scheduling.models import OpeningHours

    OpeningHours.objects.create(room=centre.room1, weekday=6, start=time(1, 0), end=time(4, 0))
    RosterEntry.objects.create(
        radiologist=centre.radio, weekday=6, start=time(1, 0), end=time(4, 0)
    )
    frozen.move_to(at("2026-03-28", "12:00"))
    found = earliest_slots(
        procedure=proc("facet_infiltration"), patient=alice, kind="consultation", limit=6
    )
    local = [o.start.strftime("%H:%M") for o in found]
    assert "02:00" not in local and "02:20" not in local
    # 01:00, 01:20, 01:40 (CET) then 03:00 (CEST): an hour of real time, no gap in the grid.
    assert local[:4] == ["01:00", "01:20", "01:40", "03:00"]


def test_fall_back_night_slots_last_their_real_duration(centre, alice, frozen):
    """The repeated 02:xx hour is offered twice, and every option ends 20 real minutes after it
    starts (an end computed on the wall clock would make 02:40 CEST last 80 minutes)."""
    from geste.scheduling.models import OpeningHours

    OpeningHours.objects.create(room=centre.room1, weekday=6, start=time(1, 0), end=time(4, 0))
    RosterEntry.objects.create(
        radiologist=centre.radio, weekday=6, start=time(1, 0), end=time(4, 0)
    )
    frozen.move_to(at("2026-10-24", "12:00"))
    found = earliest_slots(
        procedure=proc("facet_infiltration"), patient=alice, kind="consultation", limit=8
    )
    assert [o.start.strftime("%H:%M%z") for o in found] == [
        "01:00+0200",
        "01:20+0200",
        "01:40+0200",
        "02:00+0200",
        "02:20+0200",
        "02:40+0200",
        "02:00+0100",
        "02:20+0100",
    ]
    assert all(
        o.end.astimezone(UTC) - o.start.astimezone(UTC) == timedelta(minutes=20) for o in found
    )
    assert found[5].end.strftime("%H:%M%z") == "02:00+0100"
