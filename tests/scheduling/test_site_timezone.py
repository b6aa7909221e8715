"""Each site has its time zone (issue 13, point 11): a room of a site in Cayenne (UTC-3) or in
Réunion (UTC+4) opens 08:00-12:00 in ITS local time; slots, bookings, the planner and the
patient's pages and messages read that time; a Paris site is unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from geste import PARIS
from geste.clinic.models import Modality, Procedure, Role, Room, Site
from geste.pathway import waitlist
from geste.pathway.appointment_reminders import reminder_text
from geste.pathway.booking import appointment_message
from geste.pathway.instructions import instructions_for
from geste.scheduling import services as calendar
from geste.scheduling.errors import BookingError
from geste.scheduling.ics import appointment_ics
from geste.scheduling.models import (
    Appointment,
    OpeningHours,
    RosterEntry,
    WaitlistEntry,
    WaitlistOffer,
)
from geste.scheduling.selectors import search_slots
from tests.conftest import client_for
from tests.factories import make_user
from tests.scheduling.conftest import NOW, skill_all, validated_request

pytestmark = pytest.mark.django_db

CAYENNE = ZoneInfo("America/Cayenne")
REUNION = ZoneInfo("Indian/Reunion")
TUESDAY = datetime(2026, 3, 10).date()
FACET = "facet_infiltration"


def _room(name: str, zone: str) -> Room:
    site = Site.objects.create(name=f"Site {name}", address="1 rue du Port", time_zone=zone)
    room = Room.objects.create(site=site, name=f"Salle {name}", modality=Modality.FLUOROSCOPY)
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(8), end=time(12))
    return room


@pytest.fixture
def rooms(frozen, radiologist):  # type: ignore[no-untyped-def]
    """Three sites, one room each; the radiologist's roster (08:00-12:00, any room) is read in
    each room's own zone."""
    made = {
        "paris": _room("Paris", "Europe/Paris"),
        "cayenne": _room("Cayenne", "America/Cayenne"),
        "reunion": _room("Réunion", "Indian/Reunion"),
    }
    for weekday in range(5):
        RosterEntry.objects.create(
            radiologist=radiologist, weekday=weekday, start=time(8), end=time(12)
        )
    skill_all(radiologist)
    return made


def _first(room: Room, day=TUESDAY):  # type: ignore[no-untyped-def]
    start = datetime.combine(day, time.min, tzinfo=UTC) - timedelta(hours=12)
    found = search_slots(
        procedure=Procedure.objects.get(code=FACET),
        kind="procedure",
        not_before=start,
        not_after=start + timedelta(days=2),
        rooms=[room],
        limit=None,
    )
    return [s for s in found if s.start.date() == day]


@pytest.mark.parametrize(
    ("name", "zone", "utc_hour"),
    [("paris", PARIS, 7), ("cayenne", CAYENNE, 11), ("reunion", REUNION, 4)],
)
def test_slots_open_at_eight_local(rooms, name, zone, utc_hour):  # type: ignore[no-untyped-def]
    slots = _first(rooms[name])
    assert slots, name
    first, last = slots[0], slots[-1]
    assert first.start.tzinfo == zone  # offered in the room's own zone
    assert (first.start.hour, first.start.minute) == (8, 0)
    assert first.start.astimezone(UTC).hour == utc_hour
    assert last.end.astimezone(zone).time() <= time(12)


def test_a_site_elsewhere_does_not_move_paris(rooms):  # type: ignore[no-untyped-def]
    """Searched together, each room keeps its own hours (the unrestricted roster is read in
    each room's zone)."""
    found = search_slots(
        procedure=Procedure.objects.get(code=FACET),
        kind="procedure",
        not_before=datetime(2026, 3, 10, 0, 0, tzinfo=UTC),
        not_after=datetime(2026, 3, 11, 0, 0, tzinfo=UTC),
        rooms=list(rooms.values()),
        limit=None,
    )
    by_room: dict[str, list[datetime]] = {}
    for s in found:
        by_room.setdefault(s.room.name, []).append(s.start)
    assert min(by_room["Salle Paris"]).astimezone(PARIS).time() == time(8)
    assert min(by_room["Salle Cayenne"]).astimezone(CAYENNE).time() == time(8)


def test_booking_checks_the_rooms_local_hours(rooms, alice, radiologist, receptionist):  # type: ignore[no-untyped-def]
    room = rooms["cayenne"]
    procedure = Procedure.objects.get(code=FACET)
    eight = datetime(2026, 3, 10, 8, 0, tzinfo=CAYENNE)

    def book(start):  # type: ignore[no-untyped-def]
        return calendar.appointment_book(
            patient=alice,
            kind="consultation",
            procedure=procedure,
            start=start,
            end=start + timedelta(minutes=20),
            room=room,
            radiologist=radiologist,
            actor=receptionist,
        )

    # 07:00 in Cayenne is 11:00 in Paris: within Paris's hours, not Cayenne's.
    with pytest.raises(BookingError, match="fermée"):
        book(datetime(2026, 3, 10, 7, 0, tzinfo=CAYENNE))
    appointment = book(eight)
    appointment = Appointment.objects.select_related("room__site").get(pk=appointment.pk)
    # The patient's messages name the local time of the site.
    assert "08:00" in appointment_message(appointment, "booked", False)
    assert "08:00" in reminder_text(appointment)
    # Her calendar file carries the instant (UTC): 08:00 in Cayenne whatever her phone's zone.
    assert b"DTSTART:20260310T110000Z" in appointment_ics(appointment)
    # The planner's day page shows it at 08:00 (not 12:00, Paris's time then).
    page = client_for(receptionist).get(reverse("staff:planner") + "?jour=2026-03-10")
    text = page.content.decode()
    assert "08:00–08:20" in text and "12:00–12:20" not in text


def test_the_patient_sees_local_times(rooms, alice, radiologist, receptionist):  # type: ignore[no-untyped-def]
    room = rooms["reunion"]
    start = datetime(2026, 3, 12, 9, 0, tzinfo=REUNION)  # 06:00 in Paris
    calendar.appointment_book(
        patient=alice,
        kind="consultation",
        procedure=Procedure.objects.get(code=FACET),
        start=start,
        end=start + timedelta(minutes=20),
        room=room,
        radiologist=radiologist,
        actor=receptionist,
    )
    client = client_for(alice.user)
    page = client.get(reverse("portal:my_appointments")).content.decode()
    assert "09:00–09:20" in page and "06:00" not in page
    home = client.get(reverse("portal:home")).content.decode()
    assert "à 09:00" in home and "06:00" not in home


def test_a_waiting_list_offer_names_the_local_time(rooms, alice, radiologist, mailoutbox):  # type: ignore[no-untyped-def]
    room = rooms["cayenne"]
    entry = WaitlistEntry.objects.create(
        request=validated_request(alice, FACET), patient=alice, priority=100
    )
    start = datetime(2026, 3, 11, 10, 0, tzinfo=CAYENNE)  # 14:00 in Paris
    offer = WaitlistOffer.objects.create(
        entry=entry,
        start=start,
        end=start + timedelta(minutes=30),
        room=room,
        radiologist=radiologist,
        expires_at=NOW + timedelta(hours=2),
    )
    waitlist._notify(offer)
    assert "à 10:00" in mailoutbox[0].body and "14:00" not in mailoutbox[0].body
    page = client_for(alice.user).get(reverse("portal:my_appointments")).content.decode()
    assert "à 10:00" in page and "14:00" not in page


def test_an_unrestricted_roster_of_a_single_zone_centre(frozen):  # type: ignore[no-untyped-def]
    """A centre whose only site is in Cayenne: the roster and the hours are both local."""
    radio = make_user("radio-gf", Role.RADIOLOGIST)
    room = _room("Kourou", "America/Cayenne")
    for weekday in range(5):
        RosterEntry.objects.create(radiologist=radio, weekday=weekday, start=time(8), end=time(12))
    skill_all(radio)
    slots = _first(room)
    assert slots and slots[0].start.astimezone(CAYENNE).time() == time(8)


def test_reception_moves_it_to_a_local_time(rooms, alice, radiologist, receptionist):  # type: ignore[no-untyped-def]
    room = rooms["cayenne"]
    start = datetime(2026, 3, 10, 8, 0, tzinfo=CAYENNE)
    appointment = calendar.appointment_book(
        patient=alice,
        kind="consultation",
        procedure=Procedure.objects.get(code=FACET),
        start=start,
        end=start + timedelta(minutes=20),
        room=room,
        radiologist=radiologist,
        actor=receptionist,
    )
    client = client_for(receptionist)
    url = reverse("staff:staff_move", args=[appointment.pk])
    assert 'value="08:00"' in client.get(url).content.decode()  # the form opens on local time
    client.post(
        url,
        {
            "day": "2026-03-10",
            "time": "10:00",
            "room": room.pk,
            "radiologist": radiologist.pk,
            "reason": "demande de la patiente",
        },
    )
    appointment.refresh_from_db()
    assert appointment.start == datetime(2026, 3, 10, 10, 0, tzinfo=CAYENNE)


def test_preparation_instructions_name_the_local_time(rooms, alice, radiologist):  # type: ignore[no-untyped-def]
    req = validated_request(alice, FACET)
    start = datetime(2026, 3, 10, 8, 0, tzinfo=CAYENNE)  # midday in Paris
    Appointment.objects.create(
        patient=alice,
        request=req,
        kind="procedure",
        procedure=req.procedure,
        room=rooms["cayenne"],
        radiologist=radiologist,
        start=start,
        end=start + timedelta(minutes=30),
    )
    first = instructions_for(req).lines[0]
    assert "à 8 h." in first and "12 h" not in first
