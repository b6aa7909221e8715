"""Crisis pages: start and end a crisis, what-if runs with progress, apply decisions.

Administrators and radiologists only (`clinician_required`); writes go through services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.audit.services import log_action
from geste.crisis import selectors
from geste.crisis.errors import CrisisError
from geste.crisis.forms import DecisionForm, PolicyForm
from geste.crisis.models import Decision, PolicyRun, RecoveryPlan, RunStatus
from geste.crisis.services import (
    crisis_end,
    crisis_start,
    decision_confirm,
    decisions_confirm_bulk,
)
from geste.crisis.whatif import run_create
from geste.rules.policy import load_policy
from geste.staff.roles import allow

PAGE_SIZE = 50


@allow("crisis:home")
def home(request: HttpRequest) -> HttpResponse:
    crisis = selectors.active_crisis()
    context = {
        "crisis": crisis,
        "policy": load_policy(crisis.policy_id) if crisis else None,
        "start_form": PolicyForm(prefix="start"),
        "whatif_form": PolicyForm(prefix="whatif"),
        "runs": selectors.recent_runs(),
        "open_discussions": selectors.open_discussions().count(),
        "deferred": selectors.deferred_requests().count(),
        "plans": _recent_plans(),
    }
    return render(request, "staff/crisis/home.html", context)


def _recent_plans():  # type: ignore[no-untyped-def]

    return RecoveryPlan.objects.select_related("crisis")[:5]


@allow("crisis:start")
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST, prefix="start")
    if form.is_valid():
        try:
            crisis_start(policy_id=form.cleaned_data["policy"], actor=request.user)
            messages.success(request, _("Mode crise déclenché."))
        except CrisisError as exc:
            messages.error(request, str(exc))
    return redirect("crisis:home")


@allow("crisis:end")
@require_POST
def end(request: HttpRequest) -> HttpResponse:
    crisis = selectors.active_crisis()
    if crisis is None:
        messages.error(request, _("Aucune crise n'est active."))
        return redirect("crisis:home")
    crisis_end(crisis=crisis, actor=request.user)
    messages.success(
        request, _("Fin de crise enregistrée. Vous pouvez préparer le plan de reprise.")
    )
    return redirect("crisis:home")


@allow("crisis:whatif")
@require_POST
def whatif(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST, prefix="whatif")
    if not form.is_valid():
        messages.error(request, _("Choisissez une politique."))
        return redirect("crisis:home")
    run = run_create(
        policy_id=form.cleaned_data["policy"],
        actor=request.user,
        crisis=selectors.active_crisis(),
    )
    return redirect("crisis:run", run_id=run.pk)


def _can_apply(run: PolicyRun) -> bool:
    crisis = selectors.active_crisis()
    return crisis is not None and crisis.policy_id == run.policy_id and run.status == RunStatus.DONE


@allow("crisis:run")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(run_id)
    shown = request.GET.get("decision") or Decision.DISCUSS
    if shown not in Decision.values:
        shown = Decision.DISCUSS
    page = Paginator(selectors.run_decisions(run, proposed=shown), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    log_action(
        actor=request.user,
        action="crisis.run_read",
        obj=run,
        request=request,
        details={"decision": shown, "page": page.number},
    )
    pending = selectors.pending_counts(run)
    categories = [
        {
            "value": d.value,
            "label": d.label,
            "count": run.counts.get(d.value, 0),
            "pending": pending.get(d.value, 0),
        }
        for d in Decision
    ]
    freed = run.freed_hours_per_week
    context = {
        "run": run,
        "policy": load_policy(run.policy_id),
        "categories": categories,
        "shown": shown,
        "shown_label": Decision(shown).label,
        "page": page,
        "can_apply": _can_apply(run),
        "freed": freed,
        "freed_total": round(sum(h for _, h in freed), 1),
        "decisions": Decision.choices,
    }
    return render(request, "staff/crisis/run.html", context)


@allow("crisis:run_progress")
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(run_id)
    response = render(request, "staff/crisis/_progress.html", {"run": run})
    if run.status in (RunStatus.DONE, RunStatus.FAILED) and request.GET.get("poll"):
        response["HX-Refresh"] = "true"  # the full page shows the results
    return response


@allow("crisis:confirm_bulk")
@require_POST
def confirm_bulk(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(run_id)
    proposed = request.POST.get("proposed", "")
    if proposed not in Decision.values:
        messages.error(request, _("Décision inconnue."))
        return redirect("crisis:run", run_id=run.pk)
    try:
        done = decisions_confirm_bulk(run=run, proposed=proposed, actor=request.user)
    except CrisisError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(n)s décision(s) appliquée(s), %(s)s sans objet.")
            % {"n": done.get("applied", 0), "s": done.get("skipped", 0)},
        )
    return redirect(f"{run_detail_url(run)}?decision={proposed}")


def run_detail_url(run: PolicyRun) -> str:
    from django.urls import reverse

    return reverse("crisis:run", args=[run.pk])


@allow("crisis:confirm_one")
@require_POST
def confirm_one(request: HttpRequest, run_id: int, decision_id: int) -> HttpResponse:
    run = selectors.get_run(run_id)
    decision = selectors.get_decision(run, decision_id)
    form = DecisionForm(request.POST, proposed=decision.proposed, prefix=f"d{decision.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            decision_confirm(
                decision=decision,
                actor=request.user,
                final=form.cleaned_data["final"],
                reason=form.cleaned_data.get("reason", ""),
            )
            messages.success(request, _("Décision appliquée."))
        except CrisisError as exc:
            messages.error(request, str(exc))
    return redirect(f"{run_detail_url(run)}?decision={decision.proposed}")
