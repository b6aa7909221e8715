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
from geste.pathway.models import RequestState
from geste.pathway.prescriptions import prescriptions_write
from geste.pathway.texts import discharge_paragraphs, report_draft
from tests.documents.pdftext import pdf_text
from tests.pathway.factories import book, declare, make_request, record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(db):  # type: ignore[no-untyped-def]
    return Site.objects.create(name="Centre Geste", address="1 rue du Test\n75011 Paris")


def _signed_report(alice, radiologist, **record_values):  # type: ignore[no-untyped-def]
    from geste.pathway.services import request_transition
    from geste.pathway.services_after import report_sign

    req = make_request(
        alice, "facet_infiltration", state=RequestState.READY, referring_physician="Dr Martin"
    )
    request_transition(request=req, to_state=RequestState.PERFORMED, actor=radiologist)
    record(req, radiologist, drug="Depo-Medrol 40 mg/mL", drug_dose_mg=40, **record_values)
    return report_sign(
        request=req, actor=radiologist, text=report_draft(req), conclusion="Sans incident."
    )


def test_report_pdf_states_the_dose_date_operator_referrer_and_technique(alice, radiologist):
    report = _signed_report(alice, radiologist, reference_air_kerma_mgy=12.5)
    text = pdf_text(report_pdf(report))
    assert "Produit dose-surface : 412,5 mGy·cm²" in text
    assert "Temps de scopie : 35 s" in text
    assert "Kerma dans l'air au point de référence : 12,5 mGy" in text
    assert "Depo-Medrol 40 mg/mL, 40 mg" in text
    assert "Date du geste" in text and timezone.localtime().strftime("%d/%m/%Y") in text
    assert "Opérateur" in text and "Médecin adresseur" in text and "Dr Martin" in text
    assert "Technique" in text and "Infiltration articulaire postérieure" in text
    assert "MOREAU Alice" in text and "Centre Geste" in text
    assert f"RPPS {radiologist.rpps}" in text and radiologist.display_name in text
    assert "Sans incident." in text


def test_report_pdf_prints_the_dose_whatever_the_free_text(alice, radiologist):
    """The dose is structured: a free text without it still gives a PDF stating it."""
    from geste.pathway.services import request_transition
    from geste.pathway.services_after import report_sign

    req = make_request(alice, "facet_infiltration", state=RequestState.READY)
    request_transition(request=req, to_state=RequestState.PERFORMED, actor=radiologist)
    record(req, radiologist)
    report = report_sign(request=req, actor=radiologist, text="Texte libre.", conclusion="")
    text = pdf_text(report_pdf(report))
    assert "Produit dose-surface : 412,5 mGy·cm²" in text and "Temps de scopie : 35 s" in text
    assert "Kerma" not in text  # unknown: not printed as a made-up value


def test_report_pdf_shows_addenda_in_version_order(alice, radiologist):
    from geste.pathway.services_after import report_addendum_add

    report = _signed_report(alice, radiologist)
    report_addendum_add(report=report, actor=radiologist, text="Niveau corrigé : L5-S1.")
    report_addendum_add(report=report, actor=radiologist, text="Lot du produit : C3.")
    text = pdf_text(report_pdf(report))
    assert "Addendum (version 2)" in text and "Addendum (version 3)" in text
    assert text.index("Niveau corrigé") < text.index("Lot du produit : C3")
    assert "Sans incident." in text  # the signed text stays


def test_prescriptions_carry_name_rpps_date_and_signature_area(alice, radiologist):
    from geste.pathway.prescriptions import prescription_sign

    req = make_request(alice, "epidural_infiltration", state=RequestState.VALIDATED)
    written = prescriptions_write(request=req, actor=radiologist)
    kinds = [p.kind for p in written]
    assert kinds == ["blood_test", "products"]  # epidural: hemostasis test required
    for p in written:
        text = pdf_text(prescription_pdf(p))
        assert "BROUILLON" in text  # not signed yet
        prescription_sign(prescription=p, actor=radiologist)
        text = pdf_text(prescription_pdf(p))
        assert "BROUILLON" not in text
        assert f"{radiologist.display_name} — RPPS {radiologist.rpps}" in text
        assert f"Le {timezone.localtime().strftime('%d/%m/%Y')}" in text
        assert "Signature :" in text
        assert "Ordonnance" in text and "MOREAU Alice" in text
    blood = pdf_text(prescription_pdf(written[0]))
    assert "Numération plaquettaire" in blood and "À réaliser avant le" in blood
    products = pdf_text(prescription_pdf(written[1]))
    assert "Xylocaïne 1 % (lidocaïne)" in products
    assert "Dexaméthasone 4 mg/mL (dexaméthasone) — 8 mg" in products
    assert "Omnipaque 300 (iohexol)" in products


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
