"""Who may do what, per resource and verb: data, so the app-wide role table can absorb it.

Verbs: read, search, create, update, and operation names ($find, $hold, $book). A resource or
verb missing from the table is refused (deny by default).
"""

from __future__ import annotations

from geste.clinic.models import STAFF_ROLES, Role

ALL_STAFF = frozenset(STAFF_ROLES)
BOOKERS = frozenset({Role.RECEPTIONIST, Role.RADIOLOGIST, Role.ADMINISTRATOR})
CLINICIANS = frozenset({Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMINISTRATOR})
DOCTORS = frozenset({Role.RADIOLOGIST, Role.ADMINISTRATOR})
_READ = ("read", "search")


def _grant(roles: frozenset[str], *verbs: str) -> dict[str, frozenset[str]]:
    return dict.fromkeys(verbs, roles)


FHIR_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    # directory and capacity: every staff member
    "Practitioner": _grant(ALL_STAFF, *_READ),
    "Organization": _grant(ALL_STAFF, *_READ),
    "Location": _grant(ALL_STAFF, *_READ),
    "HealthcareService": _grant(ALL_STAFF, *_READ),
    "Schedule": _grant(ALL_STAFF, *_READ),
    "Slot": _grant(ALL_STAFF, *_READ),
    "Questionnaire": _grant(ALL_STAFF, *_READ),
    # identity and booking: reception and doctors write
    "Patient": {**_grant(ALL_STAFF, *_READ), **_grant(BOOKERS, "create", "update")},
    "Appointment": {**_grant(ALL_STAFF, *_READ), **_grant(BOOKERS, "$find", "$hold", "$book")},
    "ServiceRequest": {**_grant(ALL_STAFF, *_READ), **_grant(BOOKERS, "create")},
    "QuestionnaireResponse": {**_grant(ALL_STAFF, *_READ), **_grant(ALL_STAFF, "create")},
    # the radiologist's validation task
    "Task": _grant(DOCTORS | {Role.RECEPTIONIST}, *_READ),
    # clinical records: the care team (not reception)
    "Observation": _grant(CLINICIANS, *_READ),
    "Procedure": _grant(CLINICIANS, *_READ),
    "DiagnosticReport": _grant(CLINICIANS, *_READ),
    "DocumentReference": _grant(CLINICIANS, *_READ),
    "Binary": _grant(CLINICIANS, "read"),
}


def allowed(role: str, resource_type: str, verb: str) -> bool:
    return role in FHIR_PERMISSIONS.get(resource_type, {}).get(verb, frozenset())
