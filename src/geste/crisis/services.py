"""Writes of crisis mode: start and end a crisis, confirm (apply) decisions, the daily review.

Every decision applied stores the policy id and version and the rule ids that produced it
(on the RunDecision and in the audit event); an override needs a reason.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import CentreSettings
from geste.crisis.discussions import discussions_close
from geste.crisis.effects import apply_decision, booked_future
from geste.crisis.errors import CrisisError
from geste.crisis.models import (
    DEFERRING,
    CrisisPeriod,
    Decision,
    Outcome,
    PolicyRun,
    RunDecision,
    RunKind,
    RunStatus,
)
from geste.crisis.progress import tell
from geste.crisis.selectors import active_crisis, deferred_requests
from geste.crisis.whatif import run_create, run_execute
from geste.rules.policy import PolicyError, load_policy

__all__ = [
    "CrisisError",
    "crisis_end",
    "crisis_start",
    "decision_confirm",
    "decisions_confirm_batch",
    "decisions_confirm_bulk",
    "review_due",
]


def crisis_start(*, policy_id: str, actor: Any) -> CrisisPeriod:
    """Declare a crisis under a policy (one active at most; the database enforces it)."""
    try:
        policy = load_policy(policy_id)
    except PolicyError:
        raise CrisisError(_("Politique inconnue.")) from None
    try:
        with transaction.atomic():
            crisis = CrisisPeriod.objects.create(
                policy_id=policy.id, policy_version=policy.version, started_by=actor
            )
            # Booking, one floor down, reads the policy in force from the centre's settings.
            CentreSettings.current()  # the row exists before it is updated
            CentreSettings.objects.update(crisis_policy_id=policy.id)
            log_action(
                actor=actor,
                action="crisis.started",
                obj=crisis,
                details={"policy": policy.id, "version": policy.version},
            )
    except IntegrityError:
        raise CrisisError(_("Une crise est déjà active.")) from None
    return crisis


def crisis_end(*, crisis: CrisisPeriod, actor: Any) -> CrisisPeriod:
    """Deactivate the crisis: no more re-sorting (runs, reviews and answers stop deciding);
    open discussions close, their links expire; the recovery plan can be built."""
    with transaction.atomic():
        locked = CrisisPeriod.objects.select_for_update().get(pk=crisis.pk)
        if not locked.active:
            raise CrisisError(_("Cette crise est déjà terminée."))
        locked.active = False
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        locked.save(update_fields=["active", "ended_at", "ended_by"])
        CentreSettings.objects.update(crisis_policy_id="")
        closed = discussions_close(actor=actor)
        log_action(
            actor=actor, action="crisis.ended", obj=locked, details={"discussions_closed": closed}
        )
    crisis.refresh_from_db()
    return crisis


def _review_date(decision: str, params: dict[str, int], today: date) -> date | None:
    if decision == Decision.DEFER:
        return today + timedelta(days=params["defer_review_days"])
    if decision == Decision.CONTRAINDICATED:
        return today + timedelta(days=params["contraindicated_review_days"])
    return None


def _check_run(run: PolicyRun) -> tuple[CrisisPeriod, Any]:
    """What every confirmation needs: an active crisis under the run's policy, a finished run.
    Returns the crisis and the policy."""
    crisis = active_crisis()
    if crisis is None:
        raise CrisisError(_("Aucune crise n'est active : déclenchez le mode crise pour appliquer."))
    if crisis.policy_id != run.policy_id:
        raise CrisisError(_("Cette simulation n'utilise pas la politique de la crise en cours."))
    if run.status != RunStatus.DONE:
        raise CrisisError(_("La simulation n'est pas terminée."))
    return crisis, load_policy(run.policy_id)


def _check_final(decision: RunDecision, final: str, reason: str, actor: Any) -> None:
    if final not in Decision.values:
        raise CrisisError(_("Décision inconnue."))
    if final != decision.proposed and not reason:
        raise CrisisError(_("Indiquez le motif du changement de décision."))
    if decision.missing_inputs:
        # Never silently (crisis-triage.md, revision 2): a decision that rests on unknown
        # inputs is applied only by a clinician, for this request, with a reason.
        if not getattr(actor, "is_authenticated", False):
            raise CrisisError(_("Décision à compléter : elle ne s'applique pas automatiquement."))
        if not reason:
            raise CrisisError(
                _(
                    "Des données manquent pour cette demande : complétez-les, ou indiquez le "
                    "motif de votre décision."
                )
            )


def _carry_out(
    *,
    locked: RunDecision,
    run: PolicyRun,
    policy: Any,
    final: str,
    reason: str,
    actor: Any,
    told: set[int] | None,
    seen_missing: bool,
    booked: list[Any] | None = None,
) -> None:
    """Apply one locked decision (inside the caller's transaction) and set its fields; the
    caller saves the row. `seen_missing`: whether the clinician saw missing inputs."""
    if locked.outcome:
        raise CrisisError(_("Cette décision a déjà été traitée."))
    if locked.missing_inputs and not seen_missing:
        raise CrisisError(_("Cette décision est à compléter : rechargez la page."))
    review_on = (
        locked.review_on
        if final == locked.proposed
        else _review_date(final, dict(policy.parameters), run.today)
    )
    details = {
        "policy": run.policy_id,
        "version": run.policy_version,
        "rules": list(locked.rules),
        "run": run.pk,
        "proposed": locked.proposed,
        "final": final,
        "missing_inputs": list(locked.missing_inputs),
    }
    outcome = apply_decision(
        request=locked.request,
        decision=final,
        review_on=review_on,
        actor=actor,
        details=details,
        run_decision=locked,
        told=told,
        fresh=True,  # read with the decision, under its lock
        booked=booked,
    )
    locked.final = final
    locked.override_reason = reason
    locked.confirmed_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.confirmed_at = timezone.now()
    locked.outcome = outcome
    if final != locked.proposed:
        locked.review_on = review_on
    log_action(
        actor=actor,
        action="crisis.decision_overridden"
        if final != locked.proposed
        else "crisis.decision_confirmed",
        obj=locked.request,
        details={
            **details,
            "outcome": outcome,
            "overridden": final != locked.proposed,
            "reason": reason,
        },
    )


def _mark_applied(run: PolicyRun, crisis: CrisisPeriod, by: Any) -> None:
    """A what-if run becomes an applied run with its first confirmed decision."""
    if run.kind == RunKind.WHAT_IF:
        PolicyRun.objects.filter(pk=run.pk, kind=RunKind.WHAT_IF).update(
            kind=RunKind.APPLIED, applied_at=timezone.now(), applied_by=by, crisis=crisis
        )
        run.kind = RunKind.APPLIED  # this object too: the next batch need not ask again


_SAVED = ("final", "override_reason", "confirmed_by", "confirmed_at", "outcome", "review_on")


def decision_confirm(
    *,
    decision: RunDecision,
    actor: Any,
    final: str | None = None,
    reason: str = "",
    told: set[int] | None = None,
) -> RunDecision:
    """Confirm the proposed decision for one request, or override it (reason required), and
    carry it out (`effects.apply_decision`)."""
    final = final or decision.proposed
    reason = reason.strip()
    _check_final(decision, final, reason, actor)
    run = decision.run
    crisis, policy = _check_run(run)
    with transaction.atomic():
        locked = (
            RunDecision.objects.select_for_update().select_related("request").get(pk=decision.pk)
        )
        _carry_out(
            locked=locked,
            run=run,
            policy=policy,
            final=final,
            reason=reason,
            actor=actor,
            told=told,
            seen_missing=bool(decision.missing_inputs),
        )
        locked.save(update_fields=list(_SAVED))
        _mark_applied(run, crisis, locked.confirmed_by)
    decision.refresh_from_db()
    return decision


def decisions_confirm_batch(
    *, run: PolicyRun, ids: list[int], actor: Any, told: set[int]
) -> dict[str, int]:
    """Confirm the proposed decisions `ids` of a run, inside the caller's transaction (bulk
    work: one transaction per batch). The same checks and effects as `decision_confirm`; the
    run's checks made once; the rows locked in one query and written back in one. A decision
    already handled, or "à compléter", is refused before anything is written for it (counted
    "failed"); the others go on. Returns the counts by outcome."""
    crisis, policy = _check_run(run)
    locked_rows = list(
        RunDecision.objects.select_for_update()
        .select_related("request")
        .filter(run=run, pk__in=ids)
        .order_by("pk")
    )
    done: dict[str, int] = {"failed": len(set(ids)) - len(locked_rows)}
    booked = booked_future([d.request_id for d in locked_rows])
    written: list[RunDecision] = []
    for locked in locked_rows:
        if locked.outcome or locked.missing_inputs:
            done["failed"] += 1  # confirmed by someone else meanwhile, or now incomplete
            continue
        _carry_out(
            locked=locked,
            run=run,
            policy=policy,
            final=locked.proposed,
            reason="",
            actor=actor,
            told=told,
            seen_missing=False,
            booked=booked[locked.request_id],
        )
        written.append(locked)
        done[locked.outcome] = done.get(locked.outcome, 0) + 1
    if written:
        # Every row of the batch takes its own proposal, no reason, the same actor and time:
        # one UPDATE per outcome.
        now = timezone.now()
        by = written[0].confirmed_by
        for outcome in {d.outcome for d in written}:
            RunDecision.objects.filter(
                pk__in=[d.pk for d in written if d.outcome == outcome]
            ).update(
                final=F("proposed"),
                override_reason="",
                confirmed_by=by,
                confirmed_at=now,
                outcome=outcome,
            )
        _mark_applied(run, crisis, by)
    return done


def decisions_confirm_bulk(*, run: PolicyRun, proposed: str, actor: Any) -> dict[str, int]:
    """Confirm every decision of one category still to confirm (each in its own transaction:
    one request that has moved on does not block the others)."""
    done: dict[str, int] = {Outcome.APPLIED.value: 0, Outcome.SKIPPED.value: 0}
    told: set[int] = set()
    for decision in bulk_queryset(run, proposed).select_related("run"):
        result = decision_confirm(decision=decision, actor=actor, told=told)
        done[result.outcome] = done.get(result.outcome, 0) + 1
    tell(told)  # one message per patient for the whole action
    return done


def bulk_queryset(run: PolicyRun, proposed: str) -> Any:
    """What a bulk confirmation takes: the category's decisions still to confirm, never one
    with missing inputs ("à compléter")."""
    return run.decisions.filter(proposed=proposed, outcome="", missing_inputs=[])


def review_due(*, today: date | None = None) -> PolicyRun | None:
    """The daily re-triage of deferred requests whose review date has come, under the active
    policy. Still deferred or contraindicated: the new review date is applied at once (no
    change for anyone). Any change (maintain, discuss) waits for a clinician on the run page.
    """
    crisis = active_crisis()
    if crisis is None:
        return None  # outside a crisis nothing is re-sorted
    today = today or timezone.localdate()

    if not deferred_requests().filter(review_on__lte=today).exists():
        return None
    run = run_create(
        policy_id=crisis.policy_id,
        actor=None,
        kind=RunKind.REVIEW,
        today=today,
        crisis=crisis,
        enqueue=False,
    )
    run = run_execute(run.pk)
    told: set[int] = set()
    for decision in run.decisions.filter(proposed__in=DEFERRING, missing_inputs=[]).select_related(
        "run"
    ):
        decision_confirm(decision=decision, actor=None, told=told)
    tell(told)
    return run
