"""Prescriptions the radiologist controls (issue 10, point 4): formulary lines proposed at
validation, editable until a radiologist signs; a declared iodinated-contrast allergy refuses
the iodinated line unless a reason is written (audited) and proposes gadolinium; the
corticosteroid always has a name and a dose; the blood test says "à réaliser avant le ..."."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from geste.audit.models import AuditEvent
from geste.pathway.formulary import FormularyItem, FormularyKind
from geste.pathway.models import RequestState
from geste.pathway.prescriptions import (
    PrescriptionError,
    prescription_item_add,
    prescription_item_remove,
    prescription_sign,
    prescriptions_write,
)
from tests.conftest import client_for
from tests.pathway.factories import book, declare, make_request

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T08:00:00+01:00")


def _products(req, radiologist):  # type: ignore[no-untyped-def]
    written = prescriptions_write(request=req, actor=radiologist)
    return next(p for p in written if p.kind == "products")


def _kinds(p) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.formulary.kind for i in p.items.all()}


def test_formulary_is_seeded_with_the_usual_products():
    inns = set(FormularyItem.objects.values_list("inn", flat=True))
    assert {"iohexol", "iopamidol", "acide gadotérique", "gadobutrol"} <= inns
    assert {"dexaméthasone", "méthylprednisolone (acétate)", "triamcinolone (acétonide)"} <= inns
    assert {"lidocaïne", "ropivacaïne"} <= inns
    dexa = FormularyItem.objects.get(inn="dexaméthasone")
    assert (dexa.dose, dexa.max_dose, dexa.unit) == (8, 10, "mg")


def test_epidural_proposal_iodinated_dexamethasone_lidocaine(alice, radiologist):
    p = _products(make_request(alice, state=RequestState.VALIDATED), radiologist)
    products = {i.formulary.product for i in p.items.all()}
    assert products == {"Omnipaque 300", "Dexaméthasone 4 mg/mL", "Xylocaïne 1 %"}
    assert p.signed_at is None  # a draft until a radiologist signs


def test_allergic_patient_gets_gadolinium_not_iodinated(alice, radiologist):
    declare(alice, NOW, allergies=["iodinated_contrast"])
    p = _products(make_request(alice, state=RequestState.VALIDATED), radiologist)
    assert FormularyKind.IODINATED not in _kinds(p)
    assert FormularyKind.GADOLINIUM in _kinds(p)


def test_iodinated_line_refused_for_allergic_patient_unless_reason(alice, radiologist):
    declare(alice, NOW, allergies=["iodinated_contrast"])
    p = _products(make_request(alice, state=RequestState.VALIDATED), radiologist)
    omnipaque = FormularyItem.objects.get(product="Omnipaque 300")
    with pytest.raises(PrescriptionError) as exc:
        prescription_item_add(prescription=p, formulary=omnipaque, dose=3, actor=radiologist)
    assert "Dotarem" in str(exc.value.message_dict["override_reason"])  # the alternative
    with pytest.raises(PrescriptionError):
        prescription_item_add(
            prescription=p, formulary=omnipaque, dose=3, actor=radiologist, override_reason="ok"
        )
    line = prescription_item_add(
        prescription=p,
        formulary=omnipaque,
        dose=3,
        actor=radiologist,
        override_reason="Réaction cutanée mineure ancienne, prémédication faite.",
    )
    assert line.override_reason
    assert AuditEvent.objects.filter(action="prescription.allergy_overridden").count() == 1


def test_allergy_declared_after_the_line_blocks_the_signature(alice, radiologist):
    p = _products(make_request(alice, state=RequestState.VALIDATED), radiologist)
    declare(alice, NOW, allergies=["iodinated_contrast"])
    with pytest.raises(PrescriptionError):
        prescription_sign(prescription=p, actor=radiologist)


def test_corticosteroid_needs_a_name_and_a_dose(alice, radiologist):
    p = _products(make_request(alice, state=RequestState.VALIDATED), radiologist)
    steroid = p.items.get(formulary__kind=FormularyKind.CORTICOSTEROID)
    prescription_item_remove(item=steroid, actor=radiologist)
    with pytest.raises(PrescriptionError, match="corticoïde"):
        prescription_sign(prescription=p, actor=radiologist)
    dexa = FormularyItem.objects.get(inn="dexaméthasone")
    with pytest.raises(PrescriptionError):
        prescription_item_add(prescription=p, formulary=dexa, dose=None, actor=radiologist)
    with pytest.raises(PrescriptionError):
        prescription_item_add(prescription=p, formulary=dexa, dose=40, actor=radiologist)
    prescription_item_add(prescription=p, formulary=dexa, dose=7.5, actor=radiologist)
    prescription_sign(prescription=p, actor=radiologist)


def test_signed_prescription_is_immutable_and_signed_by_a_radiologist(
    alice, radiologist, technologist
):
    p = _products(make_request(alice, state=RequestState.VALIDATED), radiologist)
    with pytest.raises(PrescriptionError, match="radiologue"):
        prescription_sign(prescription=p, actor=technologist)
    prescription_sign(prescription=p, actor=radiologist)
    dexa = FormularyItem.objects.get(inn="dexaméthasone")
    with pytest.raises(PrescriptionError, match="signée"):
        prescription_item_add(prescription=p, formulary=dexa, dose=8, actor=radiologist)
    with pytest.raises(PrescriptionError, match="signée"):
        prescription_item_remove(item=p.items.first(), actor=radiologist)
    assert AuditEvent.objects.filter(action="prescription.signed").count() == 1


@time_machine.travel(NOW, tick=False)
def test_blood_test_date_from_lead_then_from_the_appointment(alice, radiologist):
    req = make_request(alice, state=RequestState.VALIDATED)
    blood = prescriptions_write(request=req, actor=radiologist)[0]
    assert blood.kind == "blood_test"
    assert blood.perform_before == date(2026, 3, 12)  # validation day + 2 days' lead
    book(req, NOW + timedelta(days=9), radiologist)
    assert blood.perform_before == date(2026, 3, 19)  # the procedure's day


def test_prescription_page_adds_refuses_and_signs(alice, radiologist, staff_users):
    administrator = staff_users["administrator"]
    declare(alice, NOW, allergies=["iodinated_contrast"])
    req = make_request(alice, state=RequestState.VALIDATED)
    p = _products(req, radiologist)
    url = reverse("staff:prescription", args=[req.pk, p.pk])
    dr = client_for(radiologist)
    page = dr.get(url)
    assert page.status_code == 200 and 'data-allergy="iodinated"' in page.content.decode()
    omnipaque = FormularyItem.objects.get(product="Omnipaque 300")
    r = dr.post(url, {"add": "1", "formulary": omnipaque.pk, "dose": "3"})
    assert r.status_code == 200 and "override_reason" in r.context["form"].errors
    assert "Dotarem" in r.content.decode()
    assert not p.items.filter(formulary=omnipaque).exists()
    # The admin (clinician) edits but cannot sign.
    r = client_for(administrator).post(url, {"sign": "1"})
    assert r.status_code == 200 and p.__class__.objects.get(pk=p.pk).signed_at is None
    assert dr.post(url, {"sign": "1"}).status_code == 302
    p.refresh_from_db()
    assert p.signed_by == radiologist
    assert 'data-signed="yes"' in dr.get(url).content.decode()


def test_patient_sees_and_downloads_only_signed_prescriptions(alice, alice_client, radiologist):
    req = make_request(alice, state=RequestState.VALIDATED)
    p = _products(req, radiologist)
    pdf = reverse("portal:my_pdf_item", args=[req.pk, "ordonnance", p.pk])
    assert alice_client.get(pdf).status_code == 404
    assert pdf not in alice_client.get(reverse("portal:my_results")).content.decode()
    prescription_sign(prescription=p, actor=radiologist)
    assert alice_client.get(pdf).status_code == 200
    assert pdf in alice_client.get(reverse("portal:my_results")).content.decode()


def test_particulate_corticosteroid_refused_for_a_cervical_epidural(alice, radiologist):
    p = _products(make_request(alice, state=RequestState.VALIDATED, region="cervical"), radiologist)
    depo = FormularyItem.objects.get(inn="méthylprednisolone (acétate)")
    with pytest.raises(PrescriptionError, match="particulaire"):
        prescription_item_add(prescription=p, formulary=depo, dose=40, actor=radiologist)
    lumbar = _products(
        make_request(alice, "facet_infiltration", state=RequestState.VALIDATED), radiologist
    )
    prescription_item_add(prescription=lumbar, formulary=depo, dose=40, actor=radiologist)
