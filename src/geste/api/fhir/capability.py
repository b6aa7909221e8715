"""The CapabilityStatement: exactly what this server supports (kept beside the code it lists)."""

from __future__ import annotations

from typing import Any

from geste.api.fhir.kinds import KINDS

SEARCH_PARAMS: dict[str, list[tuple[str, str]]] = {
    "Patient": [
        ("_id", "token"),
        ("identifier", "token"),
        ("family", "string"),
        ("given", "string"),
        ("name", "string"),
        ("birthdate", "date"),
    ],
    "Practitioner": [("identifier", "token"), ("name", "string")],
    "Location": [("organization", "reference")],
    "Schedule": [("actor", "reference")],
    "Slot": [
        ("service-type", "token"),
        ("appointment-type", "token"),
        ("start", "date"),
        ("status", "token"),
        ("schedule", "reference"),
    ],
    "Appointment": [
        ("patient", "reference"),
        ("date", "date"),
        ("status", "token"),
        ("identifier", "token"),
    ],
    "ServiceRequest": [("patient", "reference"), ("subject", "reference")],
    "Task": [("patient", "reference"), ("focus", "reference")],
    "QuestionnaireResponse": [("patient", "reference"), ("subject", "reference")],
    "Observation": [
        ("patient", "reference"),
        ("subject", "reference"),
        ("code", "token"),
        ("category", "token"),
    ],
    "Procedure": [("patient", "reference"), ("subject", "reference")],
    "DiagnosticReport": [("patient", "reference"), ("subject", "reference")],
    "DocumentReference": [("patient", "reference"), ("subject", "reference")],
}
WRITES = {
    "Patient": ("create", "update"),
    "ServiceRequest": ("create",),
    "QuestionnaireResponse": ("create",),
}
READ_ONLY = ("Slot", "Observation", "Questionnaire", "Binary")
OPERATIONS = ("find", "hold", "book")
IHE = "https://profiles.ihe.net/ITI/Scheduling"


def capability_statement(base: str, software_version: str) -> dict[str, Any]:
    types = sorted({*KINDS, *READ_ONLY})
    resources = []
    for rtype in types:
        interactions = ["read"]
        if rtype != "Binary" and (
            rtype in SEARCH_PARAMS or rtype in KINDS or rtype == "Questionnaire"
        ):
            interactions.append("search-type")
        interactions += WRITES.get(rtype, ())
        entry: dict[str, Any] = {
            "type": rtype,
            "interaction": [{"code": i} for i in interactions],
        }
        params = SEARCH_PARAMS.get(rtype)
        if params:
            entry["searchParam"] = [{"name": n, "type": t} for n, t in params]
        if rtype == "Appointment":
            entry["operation"] = [
                {"name": op, "definition": f"{IHE}/OperationDefinition/appointment-{op}"}
                for op in OPERATIONS
            ]
        if rtype == "Patient":
            entry["supportedProfile"] = [
                "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient",
                "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-ins",
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-02",
        "kind": "instance",
        "software": {"name": "geste", "version": software_version},
        "implementation": {"description": "geste FHIR R4 endpoint", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Bearer token from `geste api-token USERNAME`",
                        }
                    ]
                },
                "resource": resources,
            }
        ],
    }
