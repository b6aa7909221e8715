"""FHIRPath invariants of the resource types the API emits, from the FHIR specification.

fhir.resources checks structure, types, cardinality and required elements, but evaluates no
FHIRPath invariant; these are evaluated in-process by fhirpathpy so that, for example, an
Appointment with a start and no end (app-2) is caught by the in-process validator too.
"""

from __future__ import annotations

from typing import Any

from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models

# (resource type or "*", key, expression), copied from the specification's constraint tables.
INVARIANTS: list[tuple[str, str, str]] = [
    ("Appointment", "app-2", "start.exists() = end.exists()"),
    (
        "Appointment",
        "app-3",
        "(start.exists() and end.exists()) or (status in ('proposed' | 'cancelled' | 'waitlist'))",
    ),
    (
        "Appointment",
        "app-4",
        "cancelationReason.exists() implies (status='noshow' or status='cancelled')",
    ),
    ("Bundle", "bdl-1", "total.empty() or (type = 'searchset') or (type = 'history')"),
    ("Bundle", "bdl-2", "entry.search.empty() or (type = 'searchset')"),
    (
        "Bundle",
        "bdl-7",
        "(type = 'history') or entry.where(fullUrl.exists())"
        ".select(fullUrl&resource.meta.versionId).isDistinct()",
    ),
    ("Observation", "obs-6", "dataAbsentReason.empty() or value.empty()"),
    (
        "Patient",
        "pat-1",
        "contact.all(name.exists() or telecom.exists() or address.exists() "
        "or organization.exists())",
    ),
    ("Questionnaire", "que-2", "descendants().linkId.isDistinct()"),
    ("Questionnaire", "que-0", "name.exists() implies name.matches('[A-Z]([A-Za-z0-9_]){0,254}')"),
    (
        "Task",
        "inv-1",
        "lastModified.exists().not() or authoredOn.exists().not() or lastModified >= authoredOn",
    ),
    ("*", "qty-3", "descendants().where(unit.exists() and code.exists()).all(system.exists())"),
]
_COMPILED: dict[str, Any] = {}


def invariant_errors(resource: dict[str, Any]) -> list[str]:
    rtype = resource.get("resourceType")
    errors = []
    for target, key, expression in INVARIANTS:
        if target not in (rtype, "*"):
            continue
        fn = _COMPILED.get(expression)
        if fn is None:
            # The R4 model lets `value` match value[x] (valueQuantity, ...).
            fn = _COMPILED[expression] = fp_compile(expression, models["r4"])
        if fn(resource) != [True]:
            errors.append(f"{rtype}: invariant {key} not met")
    return errors
