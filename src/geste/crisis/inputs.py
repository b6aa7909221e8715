"""Triage inputs captured where clinicians work (intake, the request page, the crisis
worklist "à compléter"), and the request re-triaged at once (crisis-triage.md, "Where the
inputs come from").

Which inputs are asked: those the active policy's decision rules read for the request's
procedure (`Policy.reads`), among the request's own fields; fever comes from the patient's
questionnaire and `clinicians_confirmed` from a discussion, so neither is asked here.
"Unknown" is a real answer: it stays null and the engine lists it in `missing_inputs`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from geste.audit.services import log_action
from geste.crisis.models import PolicyRun, RunDecision, RunStatus
from geste.crisis.selectors import active_policy
from geste.pathway.adapters import case_from_request
from geste.pathway.models import Level3Analgesics, ProcedureRequest
from geste.rules.policy import Policy
from geste.rules.triage import TriageResult, triage

__all__ = [
    "REQUEST_INPUTS",
    "TriageInputsForm",
    "inputs_for",
    "request_retriage",
    "to_complete",
    "triage_inputs_set",
]

# The request's fields a clinician may answer (case field names).
REQUEST_INPUTS = (
    "severe_pain",
    "level3_analgesics",
    "neutropenia",
    "respiratory_signs",
    "acute_arthritis",
    "crystal_arthritis",
    "threatening_lesion",
    "local_tumor_control_needed",
    "bedrest_decline_risk",
    "urgent_diagnosis_needed",
    "intrathecal_chemotherapy",
)
UNKNOWN, YES, NO = "", "yes", "no"


def inputs_for(policy: Policy | None, procedure_code: str) -> list[str]:
    """The inputs the policy reads for this procedure (none outside a crisis)."""
    if policy is None:
        return []
    read = set(policy.reads.get(procedure_code, ()))
    return [name for name in REQUEST_INPUTS if name in read]


def _label(name: str) -> Any:
    return capfirst(getattr(ProcedureRequest._meta.get_field(name), "verbose_name", name))


class TriageInputsForm(forms.Form):
    """One three-state choice per input: unknown, yes, no (level 3 analgesics: unknown or
    one of its values). `names` orders the fields."""

    def __init__(self, *args: Any, names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in names:
            if name == "level3_analgesics":
                choices = [(UNKNOWN, _("Inconnu")), *Level3Analgesics.choices]
            else:
                choices = [(UNKNOWN, _("Inconnu")), (YES, _("Oui")), (NO, _("Non"))]
            self.fields[name] = forms.ChoiceField(
                label=_label(name), choices=choices, required=False
            )

    @staticmethod
    def initial_of(request: ProcedureRequest, names: list[str]) -> dict[str, str]:
        initial: dict[str, str] = {}
        for name in names:
            value = getattr(request, name)
            if name == "level3_analgesics":
                initial[name] = value or UNKNOWN
            else:
                initial[name] = UNKNOWN if value is None else (YES if value else NO)
        return initial

    def values(self) -> dict[str, Any]:
        """The answers as field values (None = unknown)."""
        out: dict[str, Any] = {}
        for name, raw in self.cleaned_data.items():
            if name not in REQUEST_INPUTS:
                continue
            if name == "level3_analgesics":
                out[name] = raw or None
            else:
                out[name] = None if raw == UNKNOWN else raw == YES
        return out


def open_decision(request_id: int) -> RunDecision | None:
    """The request's newest decision still waiting for a clinician, in a finished run."""
    return (
        RunDecision.objects.filter(request_id=request_id, outcome="", run__status=RunStatus.DONE)
        .select_related("run")
        .order_by("-id")
        .first()
    )


def request_retriage(*, request: ProcedureRequest, policy: Policy) -> TriageResult | None:
    """Triage the request again and put the new proposal on its open decision, if any
    (the run's counts follow). Inside the caller's transaction."""
    decision = open_decision(request.pk)
    if decision is None or decision.run.policy_id != policy.id:
        return None
    result = triage(case_from_request(request), policy, decision.run.today)
    old, new = decision.proposed, result.decision
    was_missing, is_missing = bool(decision.missing_inputs), bool(result.missing_inputs)
    decision.proposed = new
    decision.rules = list(result.rules)
    decision.review_on = result.review_on
    decision.group_lesions = result.group_lesions
    decision.missing_inputs = list(result.missing_inputs)
    decision.save(
        update_fields=["proposed", "rules", "review_on", "group_lesions", "missing_inputs"]
    )
    if old != new or was_missing != is_missing:
        run = PolicyRun.objects.select_for_update().get(pk=decision.run_id)
        counts = dict(run.counts)
        counts[old] = max(0, counts.get(old, 0) - 1)
        counts[new] = counts.get(new, 0) + 1
        counts["to_complete"] = max(0, counts.get("to_complete", 0) + is_missing - was_missing)
        PolicyRun.objects.filter(pk=run.pk).update(counts=counts)
    return result


def triage_inputs_set(
    *, request: ProcedureRequest, values: dict[str, Any], actor: Any
) -> TriageResult | None:
    """Record a clinician's answers to the triage inputs (None = unknown) and re-triage the
    request at once under the active policy. Returns the new triage (None outside a crisis
    or when no run is waiting on the request)."""
    unknown = set(values) - set(REQUEST_INPUTS)
    if unknown:
        raise ValueError(f"not triage inputs: {sorted(unknown)}")
    with transaction.atomic():
        locked = ProcedureRequest.objects.select_for_update().get(pk=request.pk)
        changed = {k: v for k, v in values.items() if getattr(locked, k) != v}
        for name, value in changed.items():
            setattr(locked, name, value)
        if changed:
            locked.save(update_fields=list(changed))
        log_action(
            actor=actor,
            action="crisis.inputs_set",
            obj=locked,
            patient=locked.patient,
            details={"inputs": changed, "at": timezone.now().isoformat()},
        )
        policy = active_policy()
        result = request_retriage(request=locked, policy=policy) if policy else None
    request.refresh_from_db()
    return result


def to_complete(*, search: str = "") -> QuerySet[RunDecision]:
    """The crisis worklist "à compléter": one row per request, its newest decision still to
    confirm in a finished run, when that decision has missing inputs."""
    newest = (
        RunDecision.objects.filter(request=OuterRef("request"), run__status=RunStatus.DONE)
        .order_by("-id")
        .values("id")[:1]
    )
    qs = (
        RunDecision.objects.filter(outcome="", run__status=RunStatus.DONE)
        .exclude(missing_inputs=[])
        .filter(id=Subquery(newest))
        .select_related("run", "request__patient", "request__procedure")
    )
    if search:
        qs = qs.filter(request__patient__last_name__icontains=search)
    return qs.order_by("id")
