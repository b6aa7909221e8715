"""A legally complete report (issue 10, point 8): the dose is a structured part copied from the
record at signature, shown whatever the free text; a signed report is immutable; corrections
are versioned addenda shown to the patient and staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.pathway.models import Report, RequestState
from geste.pathway.records import ReportImmutable
from geste.pathway.services import TransitionError, request_transition
from geste.pathway.services_after import report_addendum_add, report_sign, report_update
from tests.conftest import client_for
from tests.pathway.factories import make_request, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def performed(alice, radiologist):  # type: ignore[no-untyped-def]
    req = make_request(alice, "facet_infiltration", state=RequestState.READY)
    request_transition(request=req, to_state=RequestState.PERFORMED, actor=radiologist)
    record(req, radiologist, reference_air_kerma_mgy=12.5, confirmation="arthrography")
    return req


def test_signature_copies_dose_date_operator_and_technique(performed, radiologist):
    report = report_sign(request=performed, actor=radiologist, text="libre", conclusion="")
    assert (report.dap_mgy_cm2, report.fluoroscopy_s, report.reference_air_kerma_mgy) == (
        412.5,
        35,
        12.5,
    )
    assert report.operator == radiologist and report.performed_at is not None
    assert "arthrographie" in report.technique
    # A later change of the record (e.g. a dose report arriving) does not touch the report.
    performed.record.__class__.objects.filter(pk=performed.record.pk).update(dap_mgy_cm2=1)
    report.refresh_from_db()
    assert report.dap_mgy_cm2 == 412.5


def test_signed_report_is_immutable(performed, radiologist):
    report = report_sign(request=performed, actor=radiologist, text="libre", conclusion="")
    with pytest.raises(TransitionError, match="addendum"):
        report_update(report=report, actor=radiologist, text="autre")
    report.text = "autre"
    with pytest.raises(ReportImmutable):
        report.save()
    assert Report.objects.get(pk=report.pk).text == "libre"
    with pytest.raises(TransitionError):
        report_sign(request=performed, actor=radiologist, text="bis", conclusion="")


def test_addenda_are_versioned_signed_and_audited(performed, radiologist, technologist):
    report = report_sign(request=performed, actor=radiologist, text="libre", conclusion="")
    with pytest.raises(TransitionError):
        report_addendum_add(report=report, actor=technologist, text="Correction du niveau.")
    with pytest.raises(TransitionError):
        report_addendum_add(report=report, actor=radiologist, text="court")
    a2 = report_addendum_add(report=report, actor=radiologist, text="Niveau corrigé : L5-S1.")
    a3 = report_addendum_add(report=report, actor=radiologist, text="Lot du produit : C3.")
    assert (a2.version, a3.version) == (2, 3) and a2.author == radiologist
    assert AuditEvent.objects.filter(action="report.addendum_signed").count() == 2


def test_report_pages_show_dose_and_addenda_to_staff_and_patient(
    performed, radiologist, alice_client
):
    dr = client_for(radiologist)
    url = reverse("staff:report", kwargs={"pk": performed.pk})
    before = dr.get(url).content.decode()  # the dose shown apart before signing
    assert "412,5 mGy·cm²" in before and "12,5 mGy" in before
    dr.post(url, {"text": "Texte libre sans dose.", "conclusion": "Bien."})
    report = Report.objects.get(request=performed)
    # A post that edits the signed report is refused; the text stays.
    dr.post(url, {"text": "Réécrit", "conclusion": "x"})
    assert Report.objects.get(pk=report.pk).text == "Texte libre sans dose."
    r = dr.post(url, {"addendum": "Niveau corrigé : L5-S1."})
    assert r.status_code == 302
    staff_page = dr.get(url).content.decode()
    assert "Addendum (version 2)" in staff_page and "Niveau corrigé" in staff_page
    assert "412,5 mGy·cm²" in staff_page and "12,5 mGy" in staff_page
    mine = alice_client.get(reverse("portal:my_results")).content.decode()
    assert "Texte libre sans dose." in mine and "412,5" in mine
    assert "Addendum (version 2)" in mine and "Niveau corrigé" in mine
