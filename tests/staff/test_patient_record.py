"""One patient record for staff (issue 13, point 4): every part for clinicians, identity,
appointments and administrative documents for reception; who read it for radiologists and
administrators; a flat number of queries whatever the size of the record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from geste.audit.services import log_action
from geste.pathway.models import RequestState
from geste.pathway.records import FollowUp, Report
from geste.scheduling.models import AppointmentKind
from tests.conftest import client_for
from tests.pathway.factories import book, declare, lab, make_request
from tests.scheduling.conftest import NOW, frozen  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def _record(patient, radiologist, n: int = 1, shift: int = 0) -> list:  # type: ignore[no-untyped-def]
    """n requests, each with appointments, a questionnaire, a lab, a report and a follow-up."""
    requests = []
    hours = timedelta(hours=shift)  # one room for every test appointment: no overlap
    for i in range(n):
        req = make_request(patient, state=RequestState.REPORTED, validated_by=radiologist)
        req.referral_letter.save(f"courrier-{i}.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
        book(
            req,
            NOW - timedelta(days=30 + i) + hours,
            radiologist,
            kind=AppointmentKind.CONSULTATION,
        )
        book(req, NOW - timedelta(days=10 + i) + hours, radiologist)
        declare(patient, NOW - timedelta(days=12 + i), request=req, meds=[("Kardégic", NOW, "75")])
        lab(patient, NOW - timedelta(days=11 + i))
        Report.objects.create(
            request=req,
            text="Geste sans incident.",
            conclusion=f"Conclusion numéro {i}",
            signed_by=radiologist,
            signed_at=NOW - timedelta(days=9 + i),
        )
        FollowUp.objects.create(
            request=req, due_at=NOW - timedelta(days=7 + i), pain_now=2, alert=(i == 0)
        )
        requests.append(req)
    return requests


def test_radiologist_sees_every_part_and_who_read_it(alice, radiologist, receptionist):  # type: ignore[no-untyped-def]
    (req,) = _record(alice, radiologist)
    log_action(actor=receptionist, action="request.read", obj=req, patient=alice)
    page = client_for(radiologist).get(reverse("staff:patient", args=[alice.pk])).content.decode()
    for part in (
        "Demandes",
        "Rendez-vous",
        "Documents administratifs",
        "Questionnaires (toutes les versions)",
        "Biologie",
        "Comptes rendus",
        "Suivis",
        "Qui a consulté ce dossier",
    ):
        assert part in page
    assert reverse("staff:request_detail", args=[req.pk]) in page
    assert reverse("staff:referral_letter", args=[req.pk]) in page
    assert "Kardégic" in page and "Conclusion numéro 0" in page and "Compte rendu signé" in page
    readers = page[page.index("Qui a consulté ce dossier") :]
    assert "Nadia Benali" in readers and "Demande consultée" in readers
    assert "Dossier patient consulté" in readers  # this very read, audited first


def test_reception_sees_identity_appointments_and_letters_only(alice, radiologist, receptionist):  # type: ignore[no-untyped-def]
    (req,) = _record(alice, radiologist)
    page = client_for(receptionist).get(reverse("staff:patient", args=[alice.pk])).content.decode()
    assert "Identité" in page and "Rendez-vous" in page
    assert reverse("staff:referral_letter", args=[req.pk]) in page
    for hidden in (
        "Questionnaires",
        "Kardégic",
        "Biologie",
        "Comptes rendus",
        "Conclusion numéro",
        "Suivis",
        "Qui a consulté ce dossier",
    ):
        assert hidden not in page


def test_technologist_may_not_open_it(alice, technologist) -> None:  # type: ignore[no-untyped-def]
    url = reverse("staff:patient", args=[alice.pk])
    assert client_for(technologist).get(url).status_code == 403


def test_flat_query_count(alice, bob, radiologist, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    _record(alice, radiologist, n=1)
    _record(bob, radiologist, n=6, shift=2)
    client = client_for(radiologist)
    client.get(reverse("staff:patient", args=[alice.pk]))  # warm the session and caches
    # 14 for one request as for six on SQLite, 15 on PostgreSQL (the audit chain's advisory
    # lock); a query per row would add dozens.
    for patient in (alice, bob):
        with django_assert_max_num_queries(15):
            assert client.get(reverse("staff:patient", args=[patient.pk])).status_code == 200
