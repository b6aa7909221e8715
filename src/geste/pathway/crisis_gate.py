"""The crisis gate (issue 11, point 9): while a crisis policy is in force, no freed or free time
goes to a procedure the policy does not maintain. The one rule, read by every path that offers,
books or moves a procedure: `pathway.booking` (earliest_slots, procedure_guard, so the portal's
"Programmer mon geste" and "Mes rendez-vous", reception, the planner, the JSON API, FHIR $find,
$hold and $book, waiting-list acceptance, the recovery plan) and the waiting list's offers.

Is a request maintained? Only while a crisis policy is in force (CentreSettings.crisis_policy_id,
set by crisis.services.crisis_start, cleared by crisis_end: after the crisis, e.g. the recovery
plan, nothing is refused):
- deferred or in discussion (a decision applied): no;
- a clinician confirmed "maintain" for it during this crisis (a crisis decision confirmed, or
  overridden with its reason, on the crisis pages; crisis mode, one floor up, answers through
  `register_confirmed`): yes, whatever the rules say today;
- otherwise the policy's own decision on today's record (rules.triage): yes only for "maintain"
  with no missing input. "defer", "contraindicated", "discuss" (the clinicians not yet asked, or
  not yet answered) and a decision resting on an unknown input (unknown is not false) are no.

Who is stopped, a choice made as a careful clinician would:
- the patient herself (portal, API or FHIR with her own account), the waiting list (offers are
  made by no one) and any caller that does not say who books: refused, with a French message
  saying the centre will contact her; no time is offered to her (earliest_slots returns none);
- staff (reception, technologist, radiologist, administrator): let through, and recorded. Whether
  a case goes ahead is a radiologist's decision, taken on the crisis pages where overriding the
  policy asks for a reason; a staff member booking from geste acts on such a decision or on the
  telephone with the clinicians, and refusing would only push the booking out of the system.
  Every staff booking or move of a procedure the policy does not maintain leaves an audit event
  (`crisis.booked_outside_policy`: policy, decision, rules, missing inputs; no free text), and
  the next decision applied to the request (a run, the daily review) releases the appointment if
  it defers it, the patient told.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import Actor, log_action
from geste.clinic.models import STAFF_ROLES
from geste.clinic.selectors import crisis_policy_id
from geste.pathway.adapters import case_from_request
from geste.pathway.models import RequestState
from geste.rules.policy import Policy, load_policy
from geste.rules.triage import triage
from geste.scheduling.errors import BookingError

# A request's decision confirmed by a clinician during the active crisis ("maintain", "defer",
# ...), or "" if none: crisis mode registers its reader at start-up (crisis.apps).
ConfirmedReader = Callable[[Any], str]
_confirmed: list[ConfirmedReader] = []


def register_confirmed(reader: ConfirmedReader) -> None:
    """Crisis mode's reader of confirmed decisions (called once, from CrisisConfig.ready)."""
    _confirmed[:] = [reader]


class Verdict(NamedTuple):
    maintained: bool
    decision: str  # maintain | defer | contraindicated | discuss | deferred | in_discussion
    rules: tuple[str, ...] = ()
    missing_inputs: tuple[str, ...] = ()


def policy_in_force() -> Policy | None:
    """The crisis policy in force, or None (one query: the centre's settings row)."""
    policy_id = crisis_policy_id()
    return load_policy(policy_id) if policy_id else None


def verdict(request: Any, policy: Policy) -> Verdict:
    """Does the policy in force maintain this request (see the module docstring)?"""
    if request.state == RequestState.DEFERRED:
        return Verdict(False, "deferred")
    if request.state == RequestState.IN_DISCUSSION:
        return Verdict(False, "in_discussion")
    if _confirmed and _confirmed[0](request) == "maintain":
        return Verdict(True, "maintain")
    result = triage(case_from_request(request), policy, timezone.localdate())
    missing = tuple(result.missing_inputs)
    return Verdict(
        result.decision == "maintain" and not missing,
        result.decision,
        tuple(result.rules),
        missing,
    )


def crisis_allows(request: Any, policy: Policy | None) -> bool:
    """May a time be offered or booked for this request by anyone (the waiting list's rule)?"""
    return policy is None or request is None or verdict(request, policy).maintained


def is_staff(actor: Actor) -> bool:
    return getattr(actor, "role", None) in STAFF_ROLES and bool(
        getattr(actor, "is_authenticated", False)
    )


def refusal_message() -> str:
    return _(
        "Pendant la période de crise, ce geste ne peut pas être programmé ou déplacé en ligne. "
        "Le centre vous contactera pour fixer la date."
    )


def crisis_refusal(request: Any, actor: Actor) -> str:
    """The French sentence that stops `actor` from being offered or booking a time for this
    request now, or "" (staff are never stopped)."""
    if request is None or is_staff(actor):
        return ""
    policy = policy_in_force()
    if policy is None or verdict(request, policy).maintained:
        return ""
    return refusal_message()


def crisis_guard(*, request: Any, actor: Actor) -> None:
    """At booking or moving a procedure: refuse (BookingError) whoever is not staff for a
    request the policy in force does not maintain; let staff through, audited."""
    if request is None:
        return
    policy = policy_in_force()
    if policy is None:
        return
    found = verdict(request, policy)
    if found.maintained:
        return
    if not is_staff(actor):
        raise BookingError(refusal_message())
    log_action(
        actor=actor,
        action="crisis.booked_outside_policy",
        obj=request,
        details={
            "policy": policy.id,
            "version": policy.version,
            "decision": found.decision,
            "rules": list(found.rules),
            "missing_inputs": list(found.missing_inputs),
        },
    )
