"""Every pathway page and endpoint x (anonymous, patient A, patient B, each staff role).

Patient B never sees anything of patient A: every A-object URL answers 404 to B.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.documents.models import Document, DocumentKind
from geste.pathway.models import FollowUp, Prescription, Report, RequestState
from geste.patients.models import LabResult
from tests.conftest import client_for
from tests.pathway.factories import make_request

pytestmark = pytest.mark.django_db
ANON, A, B, REC, TECH, RAD, ADM = "anon", "A", "B", "rec", "tech", "rad", "adm"
LOGIN = 302


PDF = b"%PDF-1.4\n%fake letter\n"


@pytest.fixture
def world(alice, bob, staff_users, radiologist, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    req = make_request(alice, state=RequestState.REPORTED, validated_by=radiologist)
    req.referral_letter.save("courrier.pdf", ContentFile(PDF))
    lab = LabResult.objects.create(patient=alice, sampled_at=timezone.now(), inr=1.0)
    lab.document.save("bilan.pdf", ContentFile(PDF))
    pres = Prescription.objects.create(
        request=req, kind="products", lines=["x"], prescriber=radiologist
    )
    Report.objects.create(request=req, text="t", signed_by=radiologist, signed_at=timezone.now())
    fu = FollowUp.objects.create(request=req, due_at=timezone.now() + timedelta(hours=1))
    doc = Document.objects.create(
        patient=alice,
        request=req,
        kind=DocumentKind.KEY_IMAGE,
        title="i",
        file="documents/x.png",
        content_type="image/png",
        created_by=radiologist,
    )
    clients = {ANON: Client(), A: client_for(alice.user), B: client_for(bob.user)}
    for role, key in (
        ("receptionist", REC),
        ("technologist", TECH),
        ("radiologist", RAD),
        ("administrator", ADM),
    ):
        clients[key] = client_for(staff_users[role])
    return {"req": req, "pres": pres, "fu": fu, "doc": doc, "lab": lab, "clients": clients}


def _pages(w):
    pk = w["req"].pk
    staff_all = {REC: 200, TECH: 200, RAD: 200, ADM: 200}
    no_patient = {ANON: LOGIN, A: 403, B: 403}
    return [
        (reverse("staff:intake"), {**no_patient, REC: 200, TECH: 403, RAD: 403, ADM: 200}),
        (reverse("staff:request_detail", args=[pk]), {**no_patient, **staff_all}),
        (reverse("staff:staff_questionnaire", args=[pk]), {**no_patient, **staff_all}),
        (reverse("staff:lab_entry", args=[pk]), {**no_patient, **staff_all}),
        (reverse("staff:reception"), {**no_patient, REC: 200, TECH: 200, RAD: 403, ADM: 200}),
        (reverse("staff:tech_worklist"), {**no_patient, REC: 403, TECH: 200, RAD: 200, ADM: 200}),
        (
            reverse("staff:timeout", args=[pk]),
            {**no_patient, REC: 403, TECH: 403, RAD: 200, ADM: 200},
        ),
        (reverse("staff:dashboard"), {**no_patient, REC: 403, TECH: 403, RAD: 200, ADM: 200}),
        (reverse("staff:outcomes"), {**no_patient, REC: 403, TECH: 403, RAD: 200, ADM: 200}),
        (reverse("staff:staff_pdf", args=[pk, "compte-rendu"]), {**no_patient, **staff_all}),
        (reverse("staff:referral_letter", args=[pk]), {**no_patient, **staff_all}),
        (reverse("staff:lab_document", args=[w["lab"].pk]), {**no_patient, **staff_all}),
        (
            reverse("portal:home"),
            {ANON: LOGIN, A: 200, B: 200, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:questionnaire"),
            {ANON: LOGIN, A: 200, B: 200, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:my_results"),
            {ANON: LOGIN, A: 200, B: 200, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:my_pdf", args=[pk, "compte-rendu"]),
            {ANON: LOGIN, A: 200, B: 404, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:my_pdf_item", args=[pk, "ordonnance", w["pres"].pk]),
            {ANON: LOGIN, A: 200, B: 404, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:my_pdf", args=[pk, "sortie"]),
            {ANON: LOGIN, A: 200, B: 404, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:followup", args=[w["fu"].pk]),
            {ANON: LOGIN, A: 200, B: 404, REC: 403, TECH: 403, RAD: 403, ADM: 403},
        ),
        (
            reverse("portal:shared_report", args=["not-a-token"]),
            dict.fromkeys((ANON, A, B, REC, TECH, RAD, ADM), 404),
        ),
    ]


_POSTS = [
    ("staff:consultation", {REC: 403, TECH: 403}),
    ("staff:decide", {REC: 403, TECH: 403}),
    ("staff:check_in", {RAD: 403}),
    ("staff:pregnancy_check", {REC: 403}),
    ("staff:link_create", {REC: 403, TECH: 403}),
    ("staff:image_upload", {}),
    ("staff:procedure_book", {TECH: 403}),
]


def test_get_matrix(world):
    for url, expected in _pages(world):
        for who, status in expected.items():
            got = world["clients"][who].get(url).status_code
            assert got == status, f"{who} GET {url}: {got} != {status}"


def test_post_matrix_patients_and_anonymous_never_write(world):
    pk = world["req"].pk
    for name, staff_forbidden in _POSTS:
        url = reverse(name, args=[pk])
        assert world["clients"][ANON].post(url).status_code == LOGIN
        for who in (A, B):
            assert world["clients"][who].post(url).status_code == 403, (who, url)
        for who, status in staff_forbidden.items():
            assert world["clients"][who].post(url).status_code == status, (who, url)
    url = reverse("staff:alert_clear", args=[world["fu"].pk])
    for who in (A, B, REC, TECH):
        assert world["clients"][who].post(url, {"reason": "x"}).status_code == 403


def test_patient_b_sees_nothing_of_a(world):
    b = world["clients"][B]
    results = b.get(reverse("portal:my_results")).content.decode()
    assert reverse("portal:my_pdf", args=[world["req"].pk, "compte-rendu"]) not in results
    assert b.get(reverse("portal:my_image", args=[world["doc"].pk])).status_code == 404
    for kind in ("compte-rendu", "sortie"):
        assert b.get(reverse("portal:my_pdf", args=[world["req"].pk, kind])).status_code == 404


def test_staff_downloads_of_letter_and_lab_report_are_audited(world):
    client = world["clients"][REC]
    letter = client.get(reverse("staff:referral_letter", args=[world["req"].pk]))
    assert letter["Content-Type"] == "application/pdf"
    assert letter["Cache-Control"] == "no-store"
    assert letter.content == PDF
    lab = client.get(reverse("staff:lab_document", args=[world["lab"].pk]))
    assert lab.content == PDF
    kinds = sorted(
        e.details["kind"]
        for e in AuditEvent.objects.filter(
            action="document.downloaded", patient=world["req"].patient
        )
    )
    assert kinds == ["lab_result", "referral_letter"]
    # Nothing to serve: 404, not an empty 200.
    world["req"].referral_letter = ""
    world["req"].save()
    assert client.get(reverse("staff:referral_letter", args=[world["req"].pk])).status_code == 404
