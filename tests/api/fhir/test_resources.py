"""Point 1: read and search of the directory, requests, questionnaire and clinical records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geste.api.fhir.mappers.common import DICOM, IDNPS_OID, LOINC
from geste.pathway.models import ProcedureRecord, Report, RequestState
from geste.patients.models import Declaration, LabResult, MedicationDeclaration
from tests.scheduling.conftest import validated_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def performed(centre, alice, radiologist):  # type: ignore[no-untyped-def]
    """Alice's request, performed and reported, with labs, a questionnaire and dose values."""
    req = validated_request(alice)
    req.state = RequestState.REPORTED
    req.validated_by = radiologist
    req.save()
    now = timezone.now()
    lab = LabResult.objects.create(
        patient=alice, sampled_at=now - timedelta(days=3), platelets_g_l=210, inr=1.1
    )
    decl = Declaration.objects.create(
        patient=alice,
        request=req,
        answered_at=now - timedelta(days=2),
        pregnant=False,
        takes_anticoagulant=True,
        allergies=["latex"],
        fever=False,
        current_infection=False,
        skin_lesion_at_site=False,
    )
    MedicationDeclaration.objects.create(
        declaration=decl, drug="apixaban", last_dose_at=now - timedelta(days=3), dose="therapeutic"
    )
    record = ProcedureRecord.objects.create(
        request=req,
        operator=radiologist,
        route="postérieure",
        levels="L4-L5",
        side="left",
        fluoroscopy_s=42,
        dap_mgy_cm2=850.5,
        reference_air_kerma_mgy=12.5,
    )
    report = Report.objects.create(
        request=req,
        text="Infiltration réalisée sans incident.",
        conclusion="Geste réalisé.",
        signed_by=radiologist,
        signed_at=now,
    )
    return req, lab, decl, record, report


def _entries(response) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == 200, response.json()
    return [e["resource"] for e in response.json().get("entry", [])]


def test_directory(reception, centre):  # type: ignore[no-untyped-def]
    rad = centre.radio
    practitioner = reception.get(f"Practitioner/{rad.pk}").json()
    assert practitioner["identifier"] == [{"system": IDNPS_OID, "value": f"8{rad.rpps}"}]
    found = _entries(reception.get("Practitioner", {"identifier": rad.rpps}))
    assert [p["id"] for p in found] == [str(rad.pk)]
    assert reception.get(f"Organization/{centre.site.pk}").json()["name"] == "Centre test"
    room = reception.get(f"Location/{centre.echo.pk}").json()
    assert room["managingOrganization"]["reference"] == f"Organization/{centre.site.pk}"
    services = _entries(reception.get("HealthcareService", {"_count": 100}))
    facet = next(s for s in services if s["type"][0]["coding"][0]["code"] == "facet_infiltration")
    # the procedure's rooms are those with its equipment
    assert f"Location/{centre.room1.pk}" in {loc["reference"] for loc in facet["location"]}
    schedules = _entries(reception.get("Schedule", {"actor": f"Location/{centre.room2.pk}"}))
    assert [s["actor"][0]["reference"] for s in schedules] == [f"Location/{centre.room2.pk}"]


def test_service_request_and_its_validation_task(reception, performed, alice, radiologist):  # type: ignore[no-untyped-def]
    req = performed[0]
    sr = reception.get(f"ServiceRequest/{req.pk}").json()
    assert sr["status"] == "completed" and sr["subject"]["reference"] == f"Patient/{alice.pk}"
    assert sr["code"]["coding"][0]["code"] == "facet_infiltration"
    task = _entries(reception.get("Task", {"focus": f"ServiceRequest/{req.pk}"}))[0]
    assert task["status"] == "completed"
    assert task["owner"]["reference"] == f"Practitioner/{radiologist.pk}"


def test_questionnaire_and_response(reception, performed, alice):  # type: ignore[no-untyped-def]
    q = reception.get("Questionnaire/pre-procedure").json()
    assert {i["linkId"] for i in q["item"]} >= {"pregnant", "fever", "medications"}
    qr = _entries(reception.get("QuestionnaireResponse", {"patient": alice.pk}))[0]
    answers = {i["linkId"]: i for i in qr["item"]}
    assert answers["takes_anticoagulant"]["answer"] == [{"valueBoolean": True}]
    assert answers["medications"]["item"][0]["answer"] == [{"valueString": "apixaban"}]
    assert qr["questionnaire"] == q["url"]


def test_lab_and_dose_observations(manip, performed, alice):  # type: ignore[no-untyped-def]
    _req, lab, _decl, record, _report = performed
    obs = _entries(manip.get("Observation", {"patient": f"Patient/{alice.pk}"}))
    codes = {(o["code"]["coding"][0]["system"], o["code"]["coding"][0]["code"]) for o in obs}
    assert codes == {
        (LOINC, "777-3"),
        (LOINC, "6301-6"),
        (DICOM, "113722"),
        (DICOM, "113730"),
        (DICOM, "113725"),
    }
    assert manip.get(f"Observation/dose-{record.pk}-rp").json()["valueQuantity"]["value"] == 12.5
    dap = manip.get(f"Observation/dose-{record.pk}-dap").json()
    assert dap["valueQuantity"] == {
        "value": 850.5,
        "unit": "mGy.cm2",
        "system": "http://unitsofmeasure.org",
        "code": "mGy.cm2",
    }
    assert dap["partOf"] == [{"reference": f"Procedure/{record.pk}"}]
    only_labs = _entries(manip.get("Observation", {"patient": alice.pk, "category": "laboratory"}))
    assert {o["id"] for o in only_labs} == {f"lab-{lab.pk}-plt", f"lab-{lab.pk}-inr"}
    assert manip.get(f"Observation/lab-{lab.pk}-aptt").status_code == 404  # not measured


def test_procedure_report_and_its_pdf(radio_api, performed, alice):  # type: ignore[no-untyped-def]
    _req, _lab, _decl, record, report = performed
    proc = radio_api.get(f"Procedure/{record.pk}").json()
    assert proc["status"] == "completed" and proc["bodySite"] == [{"text": "L4-L5 Gauche"}]
    dr = _entries(radio_api.get("DiagnosticReport", {"patient": alice.pk}))[0]
    assert dr["conclusion"] == "Geste réalisé."
    doc = radio_api.get(f"DocumentReference/{report.pk}").json()
    url = doc["content"][0]["attachment"]["url"]
    assert url == f"Binary/report-{report.pk}"
    pdf = radio_api.get(url, HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    binary = radio_api.get(url).json()  # asked as FHIR JSON
    assert binary["resourceType"] == "Binary" and binary["contentType"] == "application/pdf"
