"""Changing cabins: installed at arrival, one patient per cabin, freed when the patient leaves."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.clinic.models import Cabin
from geste.pathway.cabins import CabinError, cabin_assign, cabin_release, free_cabins, occupancy
from geste.pathway.models import CabinAssignment, RequestState
from tests.conftest import client_for
from tests.pathway.factories import book, make_request, room

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T08:00:00+01:00")


@pytest.fixture
def cabins(db):
    site = room().site
    return [Cabin.objects.create(site=site, name=f"Cabine {i}") for i in (1, 2)]


@pytest.fixture
def arrived(alice, bob, radiologist):
    reqs = []
    for n, patient in enumerate((alice, bob)):
        req = make_request(patient, state=RequestState.CHECKED_IN)
        book(req, NOW.replace(hour=9 + n), radiologist)
        reqs.append(req)
    return reqs


def test_assign_is_audited_and_shown(cabins, arrived, technologist):
    a = cabin_assign(request=arrived[0], cabin=cabins[0], actor=technologist)
    assert a.released_at is None
    assert occupancy([arrived[0].pk, arrived[1].pk]) == {arrived[0].pk: "Cabine 1"}
    assert [c.name for c in free_cabins()] == ["Cabine 2"]
    assert AuditEvent.objects.filter(action="cabin.assigned").count() == 1


def test_one_patient_per_cabin(cabins, arrived, technologist):
    cabin_assign(request=arrived[0], cabin=cabins[0], actor=technologist)
    with pytest.raises(CabinError):
        cabin_assign(request=arrived[1], cabin=cabins[0], actor=technologist)
    # The database itself refuses a second open assignment of the same cabin.
    with pytest.raises(IntegrityError), transaction.atomic():
        CabinAssignment.objects.create(
            request=arrived[1], cabin=cabins[0], assigned_at=timezone.now()
        )


def test_not_arrived_patient_is_refused(cabins, alice, technologist):
    req = make_request(alice, state=RequestState.PROCEDURE_BOOKED)
    with pytest.raises(CabinError):
        cabin_assign(request=req, cabin=cabins[0], actor=technologist)


def test_release_frees_the_cabin(cabins, arrived, technologist):
    cabin_assign(request=arrived[0], cabin=cabins[0], actor=technologist)
    assert cabin_release(request=arrived[0], actor=technologist) == 1
    assert AuditEvent.objects.filter(action="cabin.released").count() == 1
    cabin_assign(request=arrived[1], cabin=cabins[0], actor=technologist)
    assert occupancy([arrived[1].pk]) == {arrived[1].pk: "Cabine 1"}


def test_procedure_recorded_frees_the_cabin(cabins, arrived, technologist):
    cabin_assign(request=arrived[0], cabin=cabins[0], actor=technologist)
    arrived[0].state = RequestState.PERFORMED
    arrived[0].save(update_fields=["state"])
    assert {c.name for c in free_cabins()} == {"Cabine 1", "Cabine 2"}
    cabin_assign(request=arrived[1], cabin=cabins[0], actor=technologist)
    old = CabinAssignment.objects.get(request=arrived[0])
    assert old.released_at is not None


@time_machine.travel(NOW, tick=False)
def test_worklist_assign_and_release(cabins, arrived, technologist):
    client = client_for(technologist)
    page = client.get(reverse("staff:tech_worklist")).content.decode()
    assert "Installer" in page and "Cabine 2" in page
    url = reverse("staff:cabin_assign", args=[arrived[0].pk])
    assert client.post(url, {"cabin": cabins[1].pk}).status_code == 302
    page = client.get(reverse("staff:tech_worklist")).content.decode()
    assert "Libérer" in page
    assert occupancy([arrived[0].pk]) == {arrived[0].pk: "Cabine 2"}
    # The second patient cannot take the same cabin.
    url2 = reverse("staff:cabin_assign", args=[arrived[1].pk])
    client.post(url2, {"cabin": cabins[1].pk})
    assert occupancy([arrived[1].pk]) == {}
    client.post(reverse("staff:cabin_release", args=[arrived[0].pk]))
    assert occupancy([arrived[0].pk]) == {}


def test_radiologist_cannot_assign(cabins, arrived, radiologist):
    url = reverse("staff:cabin_assign", args=[arrived[0].pk])
    assert client_for(radiologist).post(url, {"cabin": cabins[0].pk}).status_code == 403
    assert not CabinAssignment.objects.exists()
