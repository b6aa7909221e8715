"""Discussions with the referring clinicians (crisis-triage.md: "discuss", case by case).

The answer (indication confirmed or not, and which reasons) is written to the request's fields
and the case is re-triaged under the policy that asked the question; the new decision is
carried out at once (the clinicians' answer is the human in the loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.crisis.effects import apply_decision
from geste.crisis.errors import CrisisError
from geste.crisis.models import Discussion
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRequest, RequestState
from geste.rules.policy import load_policy
from geste.rules.triage import triage


@dataclass(frozen=True)
class Answer:
    clinicians_confirmed: bool
    threatening_lesion: bool = False
    severe_pain: bool = False
    local_tumor_control_needed: bool = False


def discussion_answer(
    *, discussion: Discussion, answer: Answer, actor: Any, via: str
) -> Discussion:
    """Record the clinicians' answer, update the request and re-triage it.

    `via` is "link" (the referring clinician, no account) or "staff" (entered for them).
    """
    with transaction.atomic():
        locked = Discussion.objects.select_for_update().get(pk=discussion.pk)
        if locked.answered_at is not None:
            raise CrisisError(_("Cette discussion a déjà reçu une réponse."))
        request = ProcedureRequest.objects.select_for_update().get(pk=locked.request_id)
        request.clinicians_confirmed = answer.clinicians_confirmed
        request.threatening_lesion = answer.threatening_lesion
        request.severe_pain = answer.severe_pain
        request.local_tumor_control_needed = answer.local_tumor_control_needed
        request.save(
            update_fields=[
                "clinicians_confirmed",
                "threatening_lesion",
                "severe_pain",
                "local_tumor_control_needed",
            ]
        )
        policy = load_policy(locked.policy_id)
        result = triage(case_from_request(request), policy, timezone.localdate())
        details = {
            "policy": policy.id,
            "version": policy.version,
            "rules": list(result.rules),
            "discussion": locked.pk,
        }
        locked.answered_at = timezone.now()
        locked.answered_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.answered_via = via
        locked.clinicians_confirmed = answer.clinicians_confirmed
        locked.threatening_lesion = answer.threatening_lesion
        locked.severe_pain = answer.severe_pain
        locked.local_tumor_control_needed = answer.local_tumor_control_needed
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
                "decision": result.decision,
                **details,
            },
        )
        if request.state == RequestState.IN_DISCUSSION and result.decision != "discuss":
            apply_decision(
                request=request,
                decision=result.decision,
                review_on=result.review_on,
                actor=actor,
                details=details,
            )
    discussion.refresh_from_db()
    return discussion
