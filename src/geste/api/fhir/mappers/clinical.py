"""Observation (hemostasis labs; dose with DICOM codes), Procedure, DiagnosticReport and the
DocumentReference to the signed report's PDF."""

from __future__ import annotations

from typing import Any

from geste.api.fhir.mappers.common import DICOM, LOINC, UCUM, instant, procedure_concept, ref
from geste.pathway.models import ProcedureRecord, Report
from geste.patients.models import LabResult

OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# field, id suffix, LOINC code, display, UCUM unit
LABS = (
    ("platelets_g_l", "plt", "777-3", "Platelets [#/volume] in Blood by Automated count", "10*9/L"),
    ("inr", "inr", "6301-6", "INR in Platelet poor plasma by Coagulation assay", "{INR}"),
    (
        "aptt_ratio",
        "aptt",
        "63561-5",
        "aPTT in Platelet poor plasma by Coagulation assay --normalized",
        "{ratio}",
    ),
)
# Radiation dose of the procedure record (DICOM TID 10001 accumulated projection X-ray dose).
DOSES = (
    ("dap_mgy_cm2", "dap", "113722", "Dose Area Product Total", "mGy.cm2"),
    ("fluoroscopy_s", "fluoro", "113730", "Total Fluoro Time", "s"),
    ("reference_air_kerma_mgy", "rp", "113725", "Dose (RP) Total", "mGy"),
)
REPORT_CODE = {
    "coding": [{"system": LOINC, "code": "18748-4", "display": "Diagnostic imaging study"}]
}


def lab_observations(lab: LabResult) -> list[dict[str, Any]]:
    out = []
    for field, suffix, code, display, unit in LABS:
        value = getattr(lab, field)
        if value is None:
            continue
        out.append(
            {
                "resourceType": "Observation",
                "id": f"lab-{lab.pk}-{suffix}",
                "status": "final",
                "category": [{"coding": [{"system": OBS_CATEGORY, "code": "laboratory"}]}],
                "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                "subject": ref("Patient", lab.patient_id),
                "effectiveDateTime": instant(lab.sampled_at),
                "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            }
        )
    return out


def dose_observations(rec: ProcedureRecord) -> list[dict[str, Any]]:
    patient_id = rec.request.patient_id
    return [
        {
            "resourceType": "Observation",
            "id": f"dose-{rec.pk}-{suffix}",
            "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": "procedure"}]}],
            "code": {"coding": [{"system": DICOM, "code": code, "display": display}]},
            "subject": ref("Patient", patient_id),
            "partOf": [ref("Procedure", rec.pk)],
            "effectiveDateTime": instant(rec.recorded_at),
            "valueQuantity": {
                "value": getattr(rec, field),
                "unit": unit,
                "system": UCUM,
                "code": unit,
            },
        }
        for field, suffix, code, display, unit in DOSES
        if getattr(rec, field, None) is not None
    ]


def procedure(rec: ProcedureRecord) -> dict[str, Any]:
    req = rec.request
    out: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": str(rec.pk),
        "status": "completed",
        "code": procedure_concept(req.procedure),
        "subject": ref("Patient", req.patient_id),
        "basedOn": [ref("ServiceRequest", req.pk)],
        "performedDateTime": instant(rec.recorded_at),
        "performer": [{"actor": ref("Practitioner", rec.operator_id)}],
    }
    site = " ".join(x for x in (rec.levels, rec.get_side_display()) if x)
    if site:
        out["bodySite"] = [{"text": site}]
    return out


def _pdf(report: Report) -> dict[str, Any]:
    return {
        "contentType": "application/pdf",
        "url": f"Binary/report-{report.pk}",
        "title": "Compte rendu",
        "creation": instant(report.signed_at),
    }


def diagnostic_report(report: Report) -> dict[str, Any]:
    req = report.request
    out: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": str(report.pk),
        "status": "final",
        "code": REPORT_CODE,
        "subject": ref("Patient", req.patient_id),
        "basedOn": [ref("ServiceRequest", req.pk)],
        "issued": instant(report.signed_at),
        "effectiveDateTime": instant(report.signed_at),
        "resultsInterpreter": [ref("Practitioner", report.signed_by_id)],
        "presentedForm": [_pdf(report)],
    }
    if report.conclusion:
        out["conclusion"] = report.conclusion
    return out


def document_reference(report: Report) -> dict[str, Any]:
    req = report.request
    return {
        "resourceType": "DocumentReference",
        "id": str(report.pk),
        "status": "current",
        "docStatus": "final",
        "type": REPORT_CODE,
        "subject": ref("Patient", req.patient_id),
        "date": instant(report.signed_at),
        "author": [ref("Practitioner", report.signed_by_id)],
        "content": [{"attachment": _pdf(report)}],
        "context": {"related": [ref("ServiceRequest", req.pk), ref("DiagnosticReport", report.pk)]},
    }
