"""Sites in other regions: public holidays of the site's region, a validated time zone."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from geste.clinic.models import Modality, Room, Site
from geste.scheduling.capacity import is_public_holiday, room_windows
from geste.scheduling.models import OpeningHours

pytestmark = pytest.mark.django_db
GOOD_FRIDAY = date(2026, 4, 3)
SAINT_STEPHEN = date(2026, 12, 26)  # a Saturday: the rooms below open every day


def _room(site: Site) -> Room:
    r = Room.objects.create(site=site, name="Salle", modality=Modality.FLUOROSCOPY)
    for weekday in range(7):
        OpeningHours.objects.create(room=r, weekday=weekday, start=time(8), end=time(18))
    return r


def test_alsace_closed_on_good_friday_and_26_december_paris_open():
    paris = _room(Site.objects.create(name="Paris", address="Paris"))
    metz = _room(Site.objects.create(name="Metz", address="Metz", holiday_region="57"))
    for day in (GOOD_FRIDAY, SAINT_STEPHEN):
        windows = room_windows([paris.pk, metz.pk], day, day)
        assert windows[metz.pk] == []
        assert len(windows[paris.pk]) == 1
    # Christmas is closed everywhere.
    christmas = room_windows([paris.pk, metz.pk], date(2026, 12, 25), date(2026, 12, 25))
    assert christmas == {paris.pk: [], metz.pk: []}


def test_region_holidays():
    assert is_public_holiday(GOOD_FRIDAY, "57")
    assert not is_public_holiday(GOOD_FRIDAY)
    assert is_public_holiday(date(2026, 5, 1)) and is_public_holiday(date(2026, 5, 1), "57")


def test_time_zone_defaults_to_paris_and_is_validated():
    site = Site(name="Fort-de-France", address="Martinique")
    assert site.time_zone == "Europe/Paris"
    site.time_zone = "America/Martinique"
    site.holiday_region = "972"
    site.full_clean()
    site.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError) as exc:
        site.full_clean()
    assert "time_zone" in exc.value.message_dict
