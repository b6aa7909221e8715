"""Discussions with the referring clinicians (crisis-triage.md: "discuss", case by case).

The form asks the questions of the request's rule (revision 2): the inputs the policy reads
for its procedure, then "must it be done now?" (`clinicians_confirmed`). The answer is written
to the request and the case is re-triaged at once under the policy that asked; the new
decision is carried out (the clinicians' answer is the human in the loop) and the request
leaves `in_discussion`. An answer that still leaves the case to discuss (a tumour confirmed
without a reason) is refused with a message saying what is missing.

After the end of the crisis (or once the discussion is closed) an answer is recorded as
information only: nothing is re-sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.crisis.effects import apply_decision
from geste.crisis.errors import CrisisError
from geste.crisis.inputs import REQUEST_INPUTS
from geste.crisis.models import Decision, Discussion
from geste.crisis.selectors import active_crisis
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRequest, RequestState
from geste.rules.policy import load_policy
from geste.rules.triage import triage


@dataclass(frozen=True)
class Answer:
    clinicians_confirmed: bool
    # The inputs the answer gives (request field -> value; None = still unknown).
    inputs: dict[str, Any] = field(default_factory=dict)


def _record(locked: Discussion, answer: Answer, actor: Any, via: str) -> None:
    locked.answered_at = timezone.now()
    locked.answered_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.answered_via = via
    locked.clinicians_confirmed = answer.clinicians_confirmed
    locked.answers = {k: v for k, v in answer.inputs.items() if v is not None}
    for name in ("threatening_lesion", "severe_pain", "local_tumor_control_needed"):
        setattr(locked, name, bool(answer.inputs.get(name)))


def discussion_answer(
    *, discussion: Discussion, answer: Answer, actor: Any, via: str
) -> Discussion:
    """Record the clinicians' answer, update the request and re-triage it at once.

    `via` is "link" (the referring clinician, no account) or "staff" (telephone)."""
    if set(answer.inputs) - set(REQUEST_INPUTS):
        raise CrisisError(_("Réponse invalide."))
    with transaction.atomic():
        locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
        if locked.answered_at is not None:
            raise CrisisError(_("Cette discussion a déjà reçu une réponse."))
        request = ProcedureRequest.objects.select_for_update().get(pk=locked.request_id)
        crisis = active_crisis()
        if locked.closed_at is not None or crisis is None:
            # The crisis is over: the answer is kept for the record, nothing re-sorted.
            _record(locked, answer, actor, via)
            locked.information_only = True
            locked.save()
            log_action(
                actor=actor,
                action="crisis.late_answer",
                obj=locked,
                patient=request.patient,
                details={"via": via, "confirmed": answer.clinicians_confirmed},
            )
            discussion.refresh_from_db()
            return discussion
        request.clinicians_confirmed = answer.clinicians_confirmed
        changed = ["clinicians_confirmed"]
        for name, value in answer.inputs.items():
            setattr(request, name, value)
            changed.append(name)
        request.save(update_fields=changed)
        policy = load_policy(locked.policy_id)
        result = triage(case_from_request(request), policy, timezone.localdate())
        if result.decision == Decision.DISCUSS:
            raise CrisisError(
                _(
                    "Cette réponse ne permet pas de décider : si le geste doit être fait "
                    "maintenant, indiquez pourquoi (au moins un motif)."
                )
            )
        details = {
            "policy": policy.id,
            "version": policy.version,
            "rules": list(result.rules),
            "discussion": locked.pk,
        }
        _record(locked, answer, actor, via)
        locked.result_decision = result.decision
        locked.result_rules = list(result.rules)
        locked.save()
        log_action(
            actor=actor,
            action="crisis.discussion_answered",
            obj=locked,
            patient=request.patient,
            details={
                "via": via,
                "confirmed": answer.clinicians_confirmed,
                "inputs": locked.answers,
                "decision": result.decision,
                **details,
            },
        )
        if request.state == RequestState.IN_DISCUSSION:
            apply_decision(
                request=request,
                decision=result.decision,
                review_on=result.review_on,
                actor=actor,
                details=details,
            )
    discussion.refresh_from_db()
    return discussion


def discussions_close(*, actor: Any) -> int:
    """End of the crisis: every open discussion closes and its link stops working (inside
    the caller's transaction). The requests stay in discussion and enter the recovery plan."""
    now = timezone.now()
    closed = 0
    for locked in Discussion.objects.select_for_update().filter(
        answered_at__isnull=True, closed_at__isnull=True
    ):
        locked.closed_at = now
        locked.expires_at = min(locked.expires_at, now)
        locked.save(update_fields=["closed_at", "expires_at"])
        log_action(
            actor=actor,
            action="crisis.discussion_closed",
            obj=locked,
            details={"request": locked.request_id},
        )
        closed += 1
    return closed
