"""The PDFs, read back with a parser independent of reportlab (tests/documents/pdftext.py):
the report states the dose, prescriptions carry the prescriber's name and RPPS number, the
discharge sheet gives the restart advice per declared drug."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geste.clinic.models import Site
from geste.documents.pdf import discharge_pdf, prescription_pdf, report_pdf
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRecord, Report, RequestState
from geste.pathway.prescriptions import prescriptions_write
from geste.pathway.texts import discharge_paragraphs, report_draft
from tests.documents.pdftext import pdf_text
from tests.pathway.factories import book, declare, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(db):  # type: ignore[no-untyped-def]
    return Site.objects.create(name="Centre Geste", address="1 rue du Test\n75011 Paris")


def test_report_pdf_states_the_dose_and_the_signer(alice, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.PERFORMED)
    ProcedureRecord.objects.create(
        request=req,
        operator=radiologist,
        route="postérieure",
        levels="L4-L5",
        side="bilateral",
        drug="Bétaméthasone",
        drug_dose_mg=7,
        fluoroscopy_s=35,
        dap_mgy_cm2=412.5,
    )
    report = Report.objects.create(
        request=req,
        text=report_draft(req),
        conclusion="Sans incident.",
        signed_by=radiologist,
        signed_at=timezone.now(),
    )
    text = pdf_text(report_pdf(report))
    assert "produit dose-surface 412,5 mGy·cm², temps de scopie 35 s" in text
    assert "Bétaméthasone, 7 mg" in text
    assert "MOREAU Alice" in text and "Centre Geste" in text
    assert f"RPPS {radiologist.rpps}" in text and radiologist.display_name in text
    assert "Sans incident." in text


def test_prescriptions_carry_name_and_rpps(alice, radiologist):
    req = make_request(alice, "epidural_infiltration", state=RequestState.VALIDATED)
    written = prescriptions_write(request=req, actor=radiologist)
    kinds = [p.kind for p in written]
    assert kinds == ["blood_test", "products"]  # epidural: hemostasis test required
    for p in written:
        text = pdf_text(prescription_pdf(p))
        assert f"{radiologist.display_name} — RPPS {radiologist.rpps}" in text
        assert "Ordonnance" in text and "MOREAU Alice" in text
    assert "Numération plaquettaire" in pdf_text(prescription_pdf(written[0]))
    assert "Lidocaïne 1 %" in pdf_text(prescription_pdf(written[1]))


def test_facet_without_anticoagulant_has_no_blood_test(alice, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.VALIDATED)
    assert [p.kind for p in prescriptions_write(request=req, actor=radiologist)] == ["products"]


def test_discharge_sheet_restart_advice_per_drug(alice, radiologist):
    now = timezone.now()
    req = make_request(alice, "facet_infiltration", state=RequestState.REPORTED)
    book(req, now - timedelta(hours=2), radiologist, status="done")
    declare(
        alice,
        now - timedelta(days=2),
        request=req,
        meds=[
            ("warfarin", now - timedelta(days=6), ""),
            ("apixaban", now - timedelta(days=3), "therapeutic"),
            ("Tisane maison", now - timedelta(days=3), ""),
        ],
    )
    pdf = discharge_pdf(req, discharge_paragraphs(case_from_request(req)))
    text = " ".join(pdf_text(pdf).split())  # lines wrap anywhere in a paragraph
    assert "warfarine : reprendre le soir du lendemain du geste" in text
    assert "apixaban : reprendre 24 heures après le geste s'il n'y a pas de saignement" in text
    assert "Tisane maison : demandez au radiologue quand le reprendre" in text
    assert "Fièvre (plus de 38 °C)" in text


def test_discharge_sheet_without_anticoagulant_has_no_restart_section(alice, radiologist):
    req = make_request(alice, "facet_infiltration", state=RequestState.REPORTED)
    declare(alice, timezone.now() - timedelta(days=1), request=req)
    text = pdf_text(discharge_pdf(req, discharge_paragraphs(case_from_request(req))))
    assert "Repos relatif" in text or "repos relatif" in text
    assert "anticoagulants ou antiagrégants" not in text
