"""Who may open what: THE role table of every page and API endpoint (issue 12, point 4).

Need to know (medical secrecy, Code de la santé publique L.1110-4): reception sees identity,
appointments and administrative documents, not reports nor questionnaire details;
technologists see the day's patients, their preparation and flags; radiologists the clinical
record; administrators the settings and the audit trail (and, as the centre's medical lead in
the domain's crisis policy, what radiologists see).

The keys are URL names (`staff:intake`) for pages, `"VERB /path"` for the JSON API (paths as
the OpenAPI document spells them) and `staff:staff_pdf:<kind>` for the PDFs of a request.
Staff page views take their decorator from this table (`geste.staff.roles.allow`), the API its
per-operation authentication (`geste.api.auth.api_auth`), templates ask it with the `may`
filter; tests/test_access_matrix.py walks the URL resolver and the OpenAPI document and checks
every page and verb against it for every role. The same table is in the README ("Access by
role"). It lives in `web/` because staff pages and the API are separate rooms that may not
import each other, and both sit above this one.
"""

from __future__ import annotations

from typing import Any

from geste.clinic.models import STAFF_ROLES, Role

REC, TECH, RAD, ADM = Role.RECEPTIONIST, Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMINISTRATOR
ALL_STAFF = frozenset(STAFF_ROLES)
BOOKERS = frozenset({REC, RAD, ADM})  # identity, appointments, administrative documents
FLOOR = frozenset({REC, TECH, ADM})  # arrivals of the day
CARE = frozenset({TECH, RAD, ADM})  # the day's patients, preparation, flags, images
CLINICAL = frozenset({RAD, ADM})  # the clinical record: consultation, report, outcomes
ADMIN = frozenset({ADM})
PATIENT = frozenset({Role.PATIENT})
# Not a role: pages any visitor may open (login, public booking, expiring links).
PUBLIC = frozenset({"*"})
# Not a role: pages for any logged-in user (their own second factor).
SIGNED_IN = frozenset({"+"})
# Visitors not logged in and patients: online booking (staff book from the planner).
VISITORS = frozenset({"-", Role.PATIENT})

PAGES: dict[str, frozenset[str]] = {
    # the staff's home, patients and centre administration
    "staff:home": ALL_STAFF,
    "staff:patients": BOOKERS,
    "staff:patient": BOOKERS,
    "staff:patient:readers": CLINICAL,  # who read the record (from the audit trail)
    "staff:settings": ADMIN,
    "staff:audit": ADMIN,
    "staff:messages": ADMIN,  # who was sent what kind of message, never the text
    # one request, from intake to report (the page shows each role its part: `may` filter)
    "staff:intake": frozenset({REC, ADM}),
    "staff:request_detail": ALL_STAFF,
    "staff:consultation": CLINICAL,
    "staff:decide": CLINICAL,
    "staff:staff_questionnaire": CARE,
    "staff:lab_entry": CARE,
    "staff:postpone_or_cancel": BOOKERS,
    "staff:link_create": CLINICAL,
    "staff:link_revoke": CLINICAL,
    "staff:image_upload": CARE,
    "staff:staff_pdf": ALL_STAFF,  # narrowed per kind below
    "staff:staff_pdf_item": ALL_STAFF,
    "staff:staff_pdf:ordonnance": frozenset({REC, TECH, RAD, ADM}),
    "staff:staff_pdf:sortie": CARE,
    "staff:staff_pdf:compte-rendu": CLINICAL,
    "staff:timeout": CARE,  # the technologist confirms the checklist too
    "staff:record": CLINICAL,
    "staff:report": frozenset({RAD}),
    "staff:prescription": CLINICAL,  # editable by clinicians, signed by a radiologist
    "staff:check_in": FLOOR,
    "staff:pregnancy_check": CARE,
    "staff:cabin_assign": FLOOR,
    "staff:cabin_release": FLOOR,
    "staff:procedure_book": BOOKERS,
    "staff:referral_letter": BOOKERS,
    "staff:lab_document": CARE,
    # the day
    "staff:reception": FLOOR,
    "staff:tech_worklist": CARE,
    "staff:dashboard": CLINICAL,
    "staff:alert_clear": CLINICAL,
    "staff:alert_ack": frozenset({RAD}),  # the radiologist paged takes the alert
    "staff:outcomes": CLINICAL,
    "staff:outcomes_csv": CLINICAL,  # aggregated rows only, audited
    # planning and booking
    "staff:planner": BOOKERS,
    "staff:staff_book": BOOKERS,
    "staff:waitlist": BOOKERS,
    "staff:staff_move": BOOKERS,
    "staff:staff_cancel": BOOKERS,
    "staff:staff_no_show": BOOKERS,
    "staff:agenda": frozenset({RAD}),
    # the equipment's dose: reports matched by hand by those at the unit, the median per
    # room for the clinicians, alerts read by a radiologist
    "staff:dose_unmatched": frozenset({TECH, RAD}),
    "staff:dose": CLINICAL,
    "staff:dose_alert_ack": frozenset({RAD}),
    # crisis: the clinical decisions of the published policy
    **dict.fromkeys(
        (
            "crisis:home",
            "crisis:start",
            "crisis:end",
            "crisis:whatif",
            "crisis:run",
            "crisis:run_progress",
            "crisis:run_restart",
            "crisis:confirm_bulk",
            "crisis:confirm_one",
            "crisis:worklist",
            "crisis:worklist_row",
            "crisis:request_inputs",
            "crisis:job",
            "crisis:job_progress",
            "crisis:discussions",
            "crisis:discussion",
            "crisis:plan_create",
            "crisis:plan",
            "crisis:plan_accept",
            "crisis:plan_item",
            "crisis:dashboard",
        ),
        CLINICAL,
    ),
    # the patient's own space (each object fetched for its owner: another's gives 404)
    **dict.fromkeys(
        (
            "portal:home",
            "portal:my_appointments",
            "portal:my_move",
            "portal:my_cancel",
            "portal:my_ics",
            "portal:my_waitlist_join",
            "portal:my_waitlist_leave",
            "portal:my_offer",
            "portal:my_procedure",
            "portal:questionnaire",
            "portal:my_results",
            "portal:my_pdf",
            "portal:my_pdf_item",
            "portal:my_image",
            "portal:followup",
            "portal:followup_month",
            "portal:prepare",
            "portal:convocation",
        ),
        PATIENT,
    ),
    # public: landing, login, password reset, online booking, expiring links
    **dict.fromkeys(
        (
            "landing",
            "home",
            "login",
            "logout",
            "password_reset",
            "password_reset_done",
            "password_reset_confirm",
            "password_reset_complete",
            "set_language",
            "portal:shared_report",
            "portal:crisis_answer",
            "api:openapi-json",
            "api:openapi-view",
            "api:api-root",
        ),
        PUBLIC,
    ),
    "portal:book": VISITORS,
    "portal:book_slot": VISITORS,
    "two_factor:login_code": PUBLIC,  # between the password and the code
    **dict.fromkeys(
        (
            "two_factor:profile",
            "two_factor:setup",
            "two_factor:qr",
            "two_factor:setup_complete",
            "two_factor:backup_tokens",
            "two_factor:disable",
        ),
        SIGNED_IN,
    ),
    # Django's admin (geste.clinic.middleware.AdminOnlyMiddleware) and FHIR (its own
    # per-resource, per-verb table: geste.api.fhir.roles.FHIR_PERMISSIONS)
    "admin:*": ADMIN,
    "fhir:*": ALL_STAFF,
}

API: dict[str, frozenset[str]] = {
    "GET /api/v1/whoami": ALL_STAFF,
    # the rules engine: the safety check reads preparation flags; triage is a crisis decision
    "POST /api/v1/check": CARE,
    "POST /api/v1/triage": CLINICAL,
    # booking: the same roles as the booking pages (a technologist refused there is here too)
    "GET /api/v1/slots": BOOKERS,
    "POST /api/v1/appointments": BOOKERS,
    "DELETE /api/v1/appointments/{appointment_id}": BOOKERS,
}


def roles_for(key: str) -> frozenset[str]:
    """The roles of a page or endpoint; an unknown key is a programming error, not 'nobody'."""
    if key in PAGES:
        return PAGES[key]
    if key in API:
        return API[key]
    namespace = key.partition(":")[0]
    if f"{namespace}:*" in PAGES:
        return PAGES[f"{namespace}:*"]
    raise KeyError(f"{key!r} is not in the role table (geste.web.access)")


def may(user: Any, key: str) -> bool:
    """May this user open the page or endpoint `key`? Deny by default."""
    roles = roles_for(key)
    if roles is PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return "-" in roles
    if not getattr(user, "is_active", False):
        return False
    if roles is SIGNED_IN:
        return True
    return getattr(user, "role", None) in roles
