"""Staff day pages list an appointment on its room's LOCAL day (issue 13, point 11): a site in
Réunion (UTC+4) or Cayenne (UTC-3) keeps its own calendar days, which are not Paris's.

Monday 9 March 2026 (today in the tests) holds, in local time:
- Réunion 01:30 (Sunday 8 March 22:30 in Paris) and Cayenne 21:10 (Tuesday 10 March 01:10 in
  Paris): both on Monday's pages, at their local times;
- not Réunion Tuesday 01:50 (Monday 22:50 in Paris) nor Cayenne Sunday 21:45 (Monday 01:45 in
  Paris): local days other than Monday."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from geste import PARIS
from geste.api.models import ApiToken
from geste.clinic.models import Modality, Room, Site
from geste.crisis.recovery import capacity_for
from geste.pathway.booking import earliest_slots, procedure_guard
from geste.pathway.models import RequestState
from geste.pathway.records import Prescription, PrescriptionKind
from geste.planning.slotcore import from_us
from geste.scheduling import capacity
from geste.scheduling.calendars import load_calendars
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, AppointmentKind, OpeningHours, RosterEntry
from tests.conftest import client_for
from tests.scheduling.conftest import skill_all, validated_request

pytestmark = pytest.mark.django_db

CAYENNE = ZoneInfo("America/Cayenne")
REUNION = ZoneInfo("Indian/Reunion")
SHOWN = ("01:30", "21:10")
FACET = "facet_infiltration"
NOT_SHOWN = ("01:50", "21:45", "22:30", "01:10", "22:50", "01:45")


def _room(name: str, zone: str) -> Room:
    site = Site.objects.create(name=f"Site {name}", address="1 rue du Port", time_zone=zone)
    return Room.objects.create(site=site, name=f"Salle {name}", modality=Modality.FLUOROSCOPY)


def _appointment(patient, room, radiologist, start, kind=AppointmentKind.PROCEDURE):  # type: ignore[no-untyped-def]
    request = validated_request(patient, FACET)
    request.state = RequestState.PROCEDURE_BOOKED
    request.save(update_fields=["state"])
    return Appointment.objects.create(
        patient=patient,
        request=request,
        kind=kind,
        procedure=request.procedure,
        room=room,
        radiologist=radiologist,
        start=start,
        end=start + timedelta(minutes=30),
    )


@pytest.fixture
def elsewhere(frozen, alice, radiologist):  # type: ignore[no-untyped-def]
    reunion, cayenne = _room("Réunion", "Indian/Reunion"), _room("Cayenne", "America/Cayenne")
    for room, start in (
        (reunion, datetime(2026, 3, 9, 1, 30, tzinfo=REUNION)),
        (cayenne, datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE)),
        (reunion, datetime(2026, 3, 10, 1, 50, tzinfo=REUNION)),
        (cayenne, datetime(2026, 3, 8, 21, 45, tzinfo=CAYENNE)),
    ):
        _appointment(alice, room, radiologist, start)
    return reunion, cayenne


def _assert_local_day(text: str) -> None:
    for hhmm in SHOWN:
        assert hhmm in text, hhmm
    for hhmm in NOT_SHOWN:
        assert hhmm not in text, hhmm


def test_planner_day(elsewhere, receptionist):  # type: ignore[no-untyped-def]
    page = client_for(receptionist).get(reverse("staff:planner") + "?jour=2026-03-09")
    _assert_local_day(page.content.decode())
    assert "01:30–02:00" in page.content.decode()


def test_planner_week_puts_each_on_its_local_day(elsewhere, receptionist):  # type: ignore[no-untyped-def]
    """The week of 9 March: Réunion's Monday 01:30 (Paris's Sunday, the week before) is in
    it, under Monday."""
    page = client_for(receptionist).get(reverse("staff:planner") + "?jour=2026-03-09&vue=semaine")
    assert page.status_code == 200
    columns = {c["room"].name: c["days"] for c in page.context["columns"]}
    monday = dict(columns["Salle Réunion"])[datetime(2026, 3, 9).date()]
    assert [r["time"] for r in monday] == ["01:30–02:00"]
    tuesday = dict(columns["Salle Réunion"])[datetime(2026, 3, 10).date()]
    assert [r["time"] for r in tuesday] == ["01:50–02:20"]
    cayenne = dict(columns["Salle Cayenne"])
    assert [r["time"] for r in cayenne[datetime(2026, 3, 9).date()]] == ["21:10–21:40"]


def test_agenda(elsewhere, radiologist):  # type: ignore[no-untyped-def]
    """The radiologist's week of 9 March starts with Réunion's Monday 01:30."""
    page = client_for(radiologist).get(reverse("staff:agenda") + "?jour=2026-03-09")
    days = dict(page.context["days"])
    assert [r["time"] for r in days[datetime(2026, 3, 9).date()]] == [
        "01:30–02:00",
        "21:10–21:40",
    ]


def test_reception(elsewhere, receptionist):  # type: ignore[no-untyped-def]
    page = client_for(receptionist).get(reverse("staff:reception") + "?tout=1")
    _assert_local_day(page.content.decode())


def test_technologist_worklist(elsewhere, technologist):  # type: ignore[no-untyped-def]
    page = client_for(technologist).get(reverse("staff:tech_worklist") + "?tout=1")
    _assert_local_day(page.content.decode())


def test_dashboard(elsewhere, radiologist):  # type: ignore[no-untyped-def]
    page = client_for(radiologist).get(reverse("staff:dashboard") + "?tout=1")
    _assert_local_day(page.content.decode())


def test_radiologist_home(elsewhere, radiologist):  # type: ignore[no-untyped-def]
    page = client_for(radiologist).get(reverse("staff:home"))
    _assert_local_day(page.content.decode())


def test_dashboard_consultations(frozen, alice, radiologist):  # type: ignore[no-untyped-def]
    room = _room("Cayenne", "America/Cayenne")
    _appointment(
        alice, room, radiologist, datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE), "consultation"
    )
    _appointment(
        alice, room, radiologist, datetime(2026, 3, 8, 21, 45, tzinfo=CAYENNE), "consultation"
    )
    consultations = client_for(radiologist).get(reverse("staff:dashboard")).context["d"]
    assert [c["time"] for c in consultations.consultations] == ["21:10"]


def test_a_paris_site_reads_no_other_day(frozen, alice, radiologist, receptionist):  # type: ignore[no-untyped-def]
    """Paris's own rows keep their exact bounds: 23:20 on Sunday is not Monday's."""
    room = _room("Paris", "Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    _appointment(alice, room, radiologist, datetime(2026, 3, 8, 23, 20, tzinfo=paris))
    _appointment(alice, room, radiologist, datetime(2026, 3, 9, 0, 10, tzinfo=paris))
    text = client_for(receptionist).get(reverse("staff:reception") + "?tout=1").content.decode()
    assert "00:10" in text and "23:20" not in text


# --- FHIR: times carry the site's offset; a bare date is each site's local day -------------


def _fhir(user):  # type: ignore[no-untyped-def]
    _, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT="application/fhir+json")

    def get(path, params=None):  # type: ignore[no-untyped-def]
        response = client.get(f"/fhir/R4/{path}", params or {})
        assert response.status_code == 200, response.content
        return response.json()

    def post(path, body):  # type: ignore[no-untyped-def]
        response = client.post(
            f"/fhir/R4/{path}", json.dumps(body), content_type="application/fhir+json"
        )
        assert response.status_code in (200, 201), response.content
        return response.json()

    return get, post


def _entries(bundle):  # type: ignore[no-untyped-def]
    return [e["resource"] for e in bundle.get("entry", [])]


@pytest.fixture
def cayenne_open(frozen, radiologist):  # type: ignore[no-untyped-def]
    """A Cayenne room open 08:00-12:00 local, the radiologist rostered then."""
    room = _room("Cayenne", "America/Cayenne")
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(8), end=time(12))
        RosterEntry.objects.create(
            radiologist=radiologist, weekday=weekday, start=time(8), end=time(12)
        )
    skill_all(radiologist)
    return room


def test_fhir_appointment_read_in_the_sites_offset(elsewhere, receptionist):  # type: ignore[no-untyped-def]
    get, _post = _fhir(receptionist)
    cayenne = Appointment.objects.get(start=datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE))
    found = get(f"Appointment/{cayenne.pk}")
    assert (found["start"], found["end"]) == (
        "2026-03-09T21:10:00-03:00",
        "2026-03-09T21:40:00-03:00",
    )


def test_fhir_appointment_search_by_local_day(elsewhere, receptionist):  # type: ignore[no-untyped-def]
    get, _post = _fhir(receptionist)
    starts = sorted(a["start"] for a in _entries(get("Appointment", {"date": "2026-03-09"})))
    assert starts == ["2026-03-09T01:30:00+04:00", "2026-03-09T21:10:00-03:00"]
    after = {a["start"] for a in _entries(get("Appointment", {"date": "ge2026-03-10"}))}
    assert after == {"2026-03-10T01:50:00+04:00"}
    before = {a["start"] for a in _entries(get("Appointment", {"date": "lt2026-03-09"}))}
    assert before == {"2026-03-08T21:45:00-03:00"}


def test_fhir_slots_find_and_hold_in_the_sites_offset(cayenne_open, alice, receptionist):  # type: ignore[no-untyped-def]
    get, post = _fhir(receptionist)
    slots = _entries(
        get("Slot", {"service-type": FACET, "start": ["ge2026-03-10", "lt2026-03-11"]})
    )
    assert slots[0]["start"] == "2026-03-10T08:00:00-03:00"
    validated_request(alice, FACET)
    proposed = _entries(get("Appointment/$find", {"service-type": FACET, "patient": alice.pk}))
    assert proposed[0]["start"].endswith("-03:00")
    assert proposed[0]["start"][11:16] == "08:00"
    held = post(
        "Appointment/$hold",
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "appt-resource", "resource": proposed[0]}],
        },
    )
    assert held["start"] == proposed[0]["start"]
    booked = post(
        "Appointment/$book",
        {"resourceType": "Parameters", "parameter": [{"name": "appt-resource", "resource": held}]},
    )
    assert booked["start"] == proposed[0]["start"]


# --- The blood test's lead counts the site's local days ---------------------------------------


def _open_room(name: str, zone: str, radiologist) -> Room:  # type: ignore[no-untyped-def]
    room = _room(name, zone)
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(8), end=time(12))
    return room


@pytest.fixture
def rostered(radiologist):  # type: ignore[no-untyped-def]
    for weekday in range(5):
        RosterEntry.objects.create(
            radiologist=radiologist, weekday=weekday, start=time(8), end=time(12)
        )
    skill_all(radiologist)
    return radiologist


BLOOD = "epidural_infiltration"  # needs a haemostasis result: two days' lead by default


def test_blood_test_lead_in_cayenne_days(rostered, alice):  # type: ignore[no-untyped-def]
    """Tuesday 02:00 in Paris is still Monday 22:00 in Cayenne: two local days later is
    Wednesday there (Thursday in Paris)."""
    room = _open_room("Cayenne", "America/Cayenne", rostered)
    request = validated_request(alice, BLOOD)
    with time_machine.travel(datetime(2026, 3, 10, 2, 0, tzinfo=PARIS), tick=False):
        wednesday = datetime(2026, 3, 11, 8, 0, tzinfo=CAYENNE)
        procedure_guard(
            patient=alice, procedure=request.procedure, request=request, start=wednesday, room=room
        )
        first = earliest_slots(
            procedure=request.procedure, patient=alice, kind="procedure", limit=1, rooms=[room]
        )
    assert first[0].start == wednesday


def test_blood_test_lead_in_reunion_days(rostered, alice):  # type: ignore[no-untyped-def]
    """Monday 21:00 in Paris is already Tuesday 00:00 in Réunion: two local days later is
    Thursday there; a Paris room of the same search keeps Wednesday."""
    reunion = _open_room("Réunion", "Indian/Reunion", rostered)
    paris = _open_room("Paris", "Europe/Paris", rostered)
    request = validated_request(alice, BLOOD)
    with time_machine.travel(datetime(2026, 3, 9, 21, 0, tzinfo=PARIS), tick=False):
        with pytest.raises(BookingError, match="prise de sang"):
            procedure_guard(
                patient=alice,
                procedure=request.procedure,
                request=request,
                start=datetime(2026, 3, 11, 8, 0, tzinfo=REUNION),
                room=reunion,
            )
        found = earliest_slots(
            procedure=request.procedure,
            patient=alice,
            kind="procedure",
            limit=None,
            rooms=[reunion, paris],
            not_after=datetime(2026, 3, 13, tzinfo=PARIS),
        )
    first = {o.room.pk: min(x.start for x in found if x.room.pk == o.room.pk) for o in found}
    assert first[reunion.pk] == datetime(2026, 3, 12, 8, 0, tzinfo=REUNION)
    assert first[paris.pk].astimezone(PARIS).date() == datetime(2026, 3, 11).date()


# --- Rosters skip the site's region's public holidays ----------------------------------------

GOOD_FRIDAY = datetime(2026, 4, 3).date()  # a public holiday in Alsace-Moselle only


def _alsace_room() -> Room:
    site = Site.objects.create(
        name="Site Strasbourg", address="1 quai", time_zone="Europe/Paris", holiday_region="57"
    )
    room = Room.objects.create(site=site, name="Salle Strasbourg", modality=Modality.FLUOROSCOPY)
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(8), end=time(12))
    return room


@pytest.mark.parametrize("restricted", [True, False])
def test_roster_presence_skips_the_regions_holidays(radiologist, restricted):  # type: ignore[no-untyped-def]
    """The booking check's roster (capacity.presence): an entry for the Strasbourg room, or an
    unrestricted one checked against it, is not read on Good Friday; Thursday is."""
    room = _alsace_room()
    RosterEntry.objects.create(
        radiologist=radiologist,
        weekday=GOOD_FRIDAY.weekday(),
        start=time(8),
        end=time(12),
        room=room if restricted else None,
    )
    thursday = GOOD_FRIDAY - timedelta(days=1)
    RosterEntry.objects.create(
        radiologist=radiologist, weekday=thursday.weekday(), start=time(8), end=time(12)
    )
    found = capacity.presence([radiologist.pk], thursday, GOOD_FRIDAY, asked_room=room.pk)
    assert {w.start.date() for w, _room in found[radiologist.pk]} == {thursday}


@pytest.mark.parametrize("restricted", [True, False])
def test_slot_engine_roster_skips_the_regions_holidays(radiologist, restricted):  # type: ignore[no-untyped-def]
    """The slot engine's roster (load_calendars): no presence in Strasbourg on Good Friday,
    a Paris room's roster that day kept."""
    room = _alsace_room()
    paris = _room("Paris", "Europe/Paris")
    OpeningHours.objects.create(
        room=paris, weekday=GOOD_FRIDAY.weekday(), start=time(8), end=time(12)
    )
    for where in (room, paris) if restricted else (None,):
        RosterEntry.objects.create(
            radiologist=radiologist,
            weekday=GOOD_FRIDAY.weekday(),
            start=time(8),
            end=time(12),
            room=where,
        )
    cal = load_calendars([room.pk, paris.pk], GOOD_FRIDAY, GOOD_FRIDAY)
    friday = {
        serves
        for start, _end, serves in cal.presence[radiologist.pk]
        if from_us(start).date() == GOOD_FRIDAY
    }
    assert friday == {paris.pk}


# --- The JSON API: local dates of each site, times with the site's offset --------------------


def test_api_slots_between_local_dates(frozen, alice, receptionist, rostered):  # type: ignore[no-untyped-def]
    """A Réunion room open 00:30-02:00 local: Tuesday's slots there are Monday evening in
    Paris; Wednesday's (Tuesday evening in Paris) are not Tuesday's."""
    room = _room("Réunion", "Indian/Reunion")
    RosterEntry.objects.all().delete()
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(0, 30), end=time(2))
        RosterEntry.objects.create(
            radiologist=rostered, weekday=weekday, start=time(0), end=time(3)
        )
    _, raw = ApiToken.issue(receptionist)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(
        "/api/v1/slots",
        {
            "procedure": FACET,
            "kind": "consultation",
            "start": "2026-03-10",
            "end": "2026-03-10",
            "patient": alice.pk,
        },
    )
    assert response.status_code == 200, response.content
    starts = [s["start"] for s in response.json()]
    assert starts[0] == "2026-03-10T00:30:00+04:00"
    assert all(s.startswith("2026-03-10T") for s in starts) and len(starts) == 4


def test_api_booking_answers_in_the_sites_offset(cayenne_open, alice, receptionist):  # type: ignore[no-untyped-def]
    _, raw = ApiToken.issue(receptionist)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(
        "/api/v1/appointments",
        json.dumps(
            {
                "patient": alice.pk,
                "kind": "consultation",
                "procedure": FACET,
                "start": "2026-03-10T08:00:00-03:00",
                "room": cayenne_open.pk,
                "radiologist": RosterEntry.objects.first().radiologist_id,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    booked = response.json()
    assert (booked["start"], booked["end"]) == (
        "2026-03-10T08:00:00-03:00",
        "2026-03-10T08:20:00-03:00",
    )
    cancelled = api.delete(f"/api/v1/appointments/{booked['id']}?reason=test")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["start"] == "2026-03-10T08:00:00-03:00"


# --- The recovery plan's capacity: each room's local days ------------------------------------


def test_recovery_capacity_on_the_rooms_local_day(alice, radiologist):  # type: ignore[no-untyped-def]
    """A Réunion room open 00:00-04:00 local: Monday's four hours there (Sunday evening in
    Paris) are Monday's capacity, less Monday 01:30's half-hour appointment."""
    room = _room("Réunion", "Indian/Reunion")
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(0), end=time(4))
    _appointment(alice, room, radiologist, datetime(2026, 3, 9, 1, 30, tzinfo=REUNION))
    monday = datetime(2026, 3, 9).date()
    room_days, _rads = capacity_for(monday, monday)
    minutes = {(d.day, d.room_id): d.minutes for d in room_days}
    assert minutes[(monday, room.pk)] == 240 - 30


def test_blood_test_prescription_before_the_procedures_local_day(elsewhere, alice, radiologist):  # type: ignore[no-untyped-def]
    """Cayenne's Monday 21:10 procedure (Tuesday 01:10 in Paris): "à réaliser avant" Monday."""
    appointment = Appointment.objects.get(start=datetime(2026, 3, 9, 21, 10, tzinfo=CAYENNE))
    prescription = Prescription.objects.create(
        request=appointment.request, kind=PrescriptionKind.BLOOD_TEST, prescriber=radiologist
    )
    assert prescription.perform_before == datetime(2026, 3, 9).date()


@pytest.mark.parametrize("action", ["staff:staff_cancel", "staff:staff_no_show"])
def test_planner_actions_return_to_the_local_day(elsewhere, receptionist, action):  # type: ignore[no-untyped-def]
    """After cancelling (or marking absent) Réunion's Monday 01:30, the planner opens on
    Monday, the day it is listed on (Sunday in Paris)."""
    appointment = Appointment.objects.get(start=datetime(2026, 3, 9, 1, 30, tzinfo=REUNION))
    response = client_for(receptionist).post(
        reverse(action, args=[appointment.pk]), {"reason": "Demande de la patiente"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?jour=2026-03-09")


def test_reception_booking_names_the_local_time_and_day(frozen, alice, receptionist, rostered):  # type: ignore[no-untyped-def]
    """Réunion's Tuesday 00:30 (Monday 21:30 in Paris): booked, the planner opens on Tuesday
    and the confirmation names 00:30."""
    room = _room("Réunion", "Indian/Reunion")
    RosterEntry.objects.all().delete()
    for weekday in range(5):
        OpeningHours.objects.create(room=room, weekday=weekday, start=time(0, 30), end=time(2))
        RosterEntry.objects.create(
            radiologist=rostered, weekday=weekday, start=time(0), end=time(3)
        )
    value = slot_value(datetime(2026, 3, 10, 0, 30, tzinfo=REUNION), room.pk, rostered.pk)
    query = f"?patient={alice.pk}&procedure={FACET}&kind=consultation&after=2026-03-10"
    client = client_for(receptionist)
    response = client.post(reverse("staff:staff_book") + query, {"slot": value})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].endswith("?jour=2026-03-10")
    page = client.get(response["Location"]).content.decode()
    assert "10/03/2026 à 00:30" in page
