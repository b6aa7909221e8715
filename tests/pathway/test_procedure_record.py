"""A complete procedure record (issue 10, point 7): the confirmation the catalogue names or a
reason for none, drug and dose from the formulary, fluoroscopy time and dose-area product,
asepsis ticked (never pre-ticked); refused naming the field, by the service and the form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.urls import reverse

from geste.clinic.models import Procedure
from geste.pathway.forms import ProcedureRecordForm
from geste.pathway.formulary import FormularyItem
from geste.pathway.models import ProcedureRecord, RequestState
from geste.pathway.record_checks import RecordError
from geste.pathway.services_day import procedure_record_create
from tests.conftest import client_for
from tests.pathway.factories import declare, make_request

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T08:00:00+01:00")


def _values(**over: Any) -> dict[str, Any]:
    v: dict[str, Any] = {
        "route": "interlamaire",
        "levels": "L4-L5",
        "side": "median",
        "asepsis": True,
        "confirmation": "epidurography",
        "confirmation_none_reason": "",
        "contrast_item": FormularyItem.objects.get(product="Omnipaque 300"),
        "contrast_volume_ml": 2.0,
        "contrast_lot": "A1",
        "drug_item": FormularyItem.objects.get(inn="dexaméthasone"),
        "drug_dose_mg": 7.5,
        "drug_lot": "B2",
        "fluoroscopy_s": 35,
        "dap_mgy_cm2": 412.5,
        "reference_air_kerma_mgy": None,
        "immediate_events": "",
    }
    v.update(over)
    return v


def _refused(req, radiologist, **over: Any) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(RecordError) as exc:
        procedure_record_create(
            request=req, actor=radiologist, values={**_values(**over), "operator": radiologist}
        )
    assert not ProcedureRecord.objects.filter(request=req).exists()
    return exc.value.message_dict


@pytest.fixture
def epidural(alice):  # type: ignore[no-untyped-def]
    return make_request(alice, state=RequestState.READY)


def test_catalogue_names_the_expected_confirmation():
    expected = dict(Procedure.objects.values_list("code", "contrast_confirmation"))
    assert expected["epidural_infiltration"] == "epidurography"
    assert expected["facet_infiltration"] == "arthrography"
    assert expected["peripheral_joint_infiltration"] == "arthrography"


def test_complete_record_is_stored_with_formulary_names(epidural, radiologist):
    rec = procedure_record_create(
        request=epidural, actor=radiologist, values={**_values(), "operator": radiologist}
    )
    assert rec.drug == "Dexaméthasone 4 mg/mL" and rec.contrast_product == "Omnipaque 300"
    epidural.refresh_from_db()
    assert epidural.state == RequestState.PERFORMED


def test_confirmation_missing_needs_a_reason(epidural, radiologist):
    errors = _refused(epidural, radiologist, confirmation="", contrast_item=None)
    assert "confirmation_none_reason" in errors
    rec = procedure_record_create(
        request=epidural,
        actor=radiologist,
        values={
            **_values(
                confirmation="",
                contrast_item=None,
                confirmation_none_reason="Allergie, pas d'alternative disponible ce jour.",
            ),
            "operator": radiologist,
        },
    )
    assert rec.confirmation == "" and rec.contrast_volume_ml is None


def test_wrong_confirmation_for_the_procedure(epidural, radiologist):
    assert "confirmation" in _refused(epidural, radiologist, confirmation="arthrography")


def test_drug_and_dose_required_for_an_infiltration(epidural, radiologist):
    assert "drug_item" in _refused(epidural, radiologist, drug_item=None)
    assert "drug_dose_mg" in _refused(epidural, radiologist, drug_dose_mg=None)
    assert "drug_dose_mg" in _refused(epidural, radiologist, drug_dose_mg=50)  # > max 10 mg
    lido = FormularyItem.objects.get(inn="lidocaïne")
    assert "drug_item" in _refused(epidural, radiologist, drug_item=lido)


def test_dose_record_required_and_consistent(epidural, radiologist):
    assert "fluoroscopy_s" in _refused(epidural, radiologist, fluoroscopy_s=None)
    assert "dap_mgy_cm2" in _refused(epidural, radiologist, dap_mgy_cm2=None)
    assert "dap_mgy_cm2" in _refused(epidural, radiologist, dap_mgy_cm2=0)
    assert "fluoroscopy_s" in _refused(epidural, radiologist, fluoroscopy_s=0)


def test_asepsis_must_be_ticked(epidural, radiologist):
    assert "asepsis" in _refused(epidural, radiologist, asepsis=False)
    assert ProcedureRecord._meta.get_field("asepsis").default is False


def test_iodinated_contrast_refused_for_allergic_patient_without_prescribed_override(
    alice, epidural, radiologist
):
    declare(alice, NOW, allergies=["iodinated_contrast"])
    assert "contrast_item" in _refused(epidural, radiologist)
    dotarem = FormularyItem.objects.get(product="Dotarem")
    procedure_record_create(
        request=epidural,
        actor=radiologist,
        values={**_values(contrast_item=dotarem, contrast_volume_ml=1), "operator": radiologist},
    )


def test_form_is_unticked_and_names_the_field(epidural):
    form = ProcedureRecordForm(proc_request=epidural)
    assert not form["asepsis"].value()
    assert "checked" not in str(form["asepsis"])
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in _values().items() if v is not None}
    data.pop("asepsis")
    data["confirmation"] = "arthrography"
    form = ProcedureRecordForm(data, proc_request=epidural)
    assert not form.is_valid()
    assert "asepsis" in form.errors and "confirmation" in form.errors


def test_record_page_refuses_an_incomplete_record(epidural, radiologist):
    dr = client_for(radiologist)
    url = reverse("staff:record", kwargs={"pk": epidural.pk})
    page = dr.get(url).content.decode()
    assert 'data-expected="epidurography"' in page
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in _values().items() if v is not None}
    data["asepsis"] = "on"
    data.pop("drug_item")
    r = dr.post(url, data)
    assert r.status_code == 200 and "drug_item" in r.context["form"].errors
    assert not ProcedureRecord.objects.filter(request=epidural).exists()
    data["drug_item"] = FormularyItem.objects.get(inn="dexaméthasone").pk
    assert dr.post(url, data).status_code == 302
    assert ProcedureRecord.objects.get(request=epidural).drug_dose_mg == 7.5


def test_particulate_corticosteroid_refused_in_the_cervical_epidural_space(alice, radiologist):
    cervical = make_request(alice, state=RequestState.READY, region="cervical")
    depo = FormularyItem.objects.get(inn="méthylprednisolone (acétate)")
    assert depo.particulate and not FormularyItem.objects.get(inn="dexaméthasone").particulate
    errors = _refused(cervical, radiologist, drug_item=depo, drug_dose_mg=40)
    assert "particulaire" in errors["drug_item"][0]
    procedure_record_create(
        request=cervical, actor=radiologist, values={**_values(), "operator": radiologist}
    )
