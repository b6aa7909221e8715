"""Crisis pages: start and end a crisis, what-if runs with progress, apply decisions.

Administrators and radiologists only (`clinician_required`); writes go through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.audit.services import log_action
from geste.crisis import selectors
from geste.crisis.errors import CrisisError
from geste.crisis.forms import DecisionForm, PolicyForm
from geste.crisis.inputs import TriageInputsForm, inputs_for, to_complete, triage_inputs_set
from geste.crisis.jobs import job_create, jobs_resume_stale
from geste.crisis.models import (
    CrisisJob,
    Decision,
    JobKind,
    PolicyRun,
    RecoveryPlan,
    RunDecision,
    RunStatus,
)
from geste.crisis.services import bulk_queryset, crisis_end, crisis_start, decision_confirm
from geste.crisis.whatif import run_create, run_restart, run_stalled
from geste.pathway.selectors import get_request_for_user
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
        "policy_title": load_policy(crisis.policy_id).title((get_language() or "fr")[:2])
        if crisis
        else "",
        "open_discussions": selectors.open_discussions().count(),
        "telephone_tasks": selectors.telephone_tasks().count(),
        "to_complete": to_complete().count(),
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
def end(request: HttpRequest) -> HttpResponse:
    """End of the crisis: a page stating what will happen, then the confirmed POST."""
    crisis = selectors.active_crisis()
    if crisis is None:
        messages.error(request, _("Aucune crise n'est active."))
        return redirect("crisis:home")
    if request.method != "POST" or request.POST.get("confirmed") != "1":
        return render(
            request,
            "staff/crisis/end_confirm.html",
            {"crisis": crisis, **selectors.end_counts()},
        )
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


def _explain(policy: Any, lang: str) -> dict[str, dict[str, str]]:
    """Rule id -> its text in the reader's language and its source section."""
    return {
        r.id: {"id": r.id, "text": r.text(lang), "source": r.source_section} for r in policy.rules
    }


@allow("crisis:run")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(run_id)
    shown = request.GET.get("decision") or Decision.DISCUSS
    if shown not in Decision.values:
        shown = Decision.DISCUSS
    search = request.GET.get("q", "").strip()[:80]
    decisions = selectors.run_decisions(run, proposed=shown)
    if search:
        decisions = decisions.filter(request__patient__last_name__icontains=search)
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    log_action(
        actor=request.user,
        action="crisis.run_read",
        obj=run,
        request=request,
        details={"decision": shown, "page": page.number, "search": bool(search)},
    )
    pending = selectors.pending_counts(run)
    bulk = selectors.bulk_counts(run)
    incomplete = selectors.incomplete_counts(run)
    categories = [
        {
            "value": d.value,
            "label": d.label,
            "count": run.counts.get(d.value, 0),
            "pending": pending.get(d.value, 0),
            "bulk": bulk.get(d.value, 0),
            "incomplete": incomplete.get(d.value, 0),
        }
        for d in Decision
    ]
    policy = load_policy(run.policy_id)
    lang = get_language() or "fr"
    texts = _explain(policy, lang)
    rows = [
        {"d": d, "rules": [texts.get(r, {"id": r, "text": "", "source": ""}) for r in d.rules]}
        for d in page
    ]
    freed = run.freed_hours_per_week
    context = {
        "run": run,
        "stalled": run_stalled(run),
        "policy": policy,
        "policy_title": policy.title(lang[:2]),
        "categories": categories,
        "shown": shown,
        "shown_label": Decision(shown).label,
        "page": page,
        "rows": rows,
        "q": search,
        "by_procedure": selectors.counts_by_procedure(run),
        "can_apply": _can_apply(run),
        "freed": freed,
        "freed_total": round(sum(h for _, h in freed), 1),
        "decisions": Decision.choices,
        "to_complete": sum(incomplete.values()),
    }
    return render(request, "staff/crisis/run.html", context)


@allow("crisis:run_progress")
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.get_run(run_id)
    context = {"run": run, "stalled": run_stalled(run)}
    response = render(request, "staff/crisis/_progress.html", context)
    if run.status in (RunStatus.DONE, RunStatus.FAILED) and request.GET.get("poll"):
        response["HX-Refresh"] = "true"  # the full page shows the results
    return response


@allow("crisis:run_restart")
@require_POST
def run_restart_view(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run whose worker died (no progress for whatif.STALE) is started again."""
    run = selectors.get_run(run_id)
    try:
        run_restart(run=run, actor=request.user)
    except CrisisError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Calcul relancé : le tri reprend depuis le début."))
    return redirect("crisis:run", run_id=run.pk)


@allow("crisis:confirm_bulk")
@require_POST
def confirm_bulk(request: HttpRequest, run_id: int) -> HttpResponse:
    """Bulk confirmation of one category: first a page stating the counts, then, confirmed,
    a background job (never the decisions "à compléter")."""
    run = selectors.get_run(run_id)
    proposed = request.POST.get("proposed", "")
    if proposed not in Decision.values:
        messages.error(request, _("Décision inconnue."))
        return redirect("crisis:run", run_id=run.pk)
    if not _can_apply(run):
        messages.error(request, _("Ces décisions ne peuvent pas être appliquées maintenant."))
        return redirect("crisis:run", run_id=run.pk)
    n = bulk_queryset(run, proposed).count()
    if request.POST.get("confirmed") != "1":
        counts = {
            "n": n,
            "incomplete": selectors.incomplete_counts(run).get(proposed, 0),
            "booked": selectors.booked_among(bulk_queryset(run, proposed)),
        }
        return render(
            request,
            "staff/crisis/confirm_bulk.html",
            {"run": run, "proposed": proposed, "label": Decision(proposed).label, **counts},
        )
    job = job_create(kind=JobKind.APPLY, actor=request.user, run=run, proposed=proposed, total=n)
    return redirect("crisis:job", job_id=job.pk)


@allow("crisis:job")
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.get_job(job_id)
    return render(request, "staff/crisis/job.html", {"job": job, "next": _job_next(job)})


@allow("crisis:job_progress")
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    jobs_resume_stale()  # a job whose worker died is queued again, never left "running"
    job = selectors.get_job(job_id)
    response = render(request, "staff/crisis/_job_progress.html", {"job": job})
    if job.status in (RunStatus.DONE, RunStatus.FAILED) and request.GET.get("poll"):
        response["HX-Refresh"] = "true"
    return response


def _job_next(job: CrisisJob) -> str:
    if job.plan_id:
        return reverse("crisis:plan", args=[job.plan_id])
    if job.run_id:
        return f"{reverse('crisis:run', args=[job.run_id])}?decision={job.proposed}"
    return reverse("crisis:home")


def run_detail_url(run: PolicyRun) -> str:
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


# ----------------------------------------------------------- triage inputs, "à compléter"


def _input_row(decision: RunDecision, *, saved: bool = False) -> dict[str, object]:
    names = inputs_for(load_policy(decision.run.policy_id), decision.procedure)
    form = TriageInputsForm(
        initial=TriageInputsForm.initial_of(decision.request, names),
        names=names,
        prefix=f"r{decision.pk}",
    )
    return {"d": decision, "form": form, "saved": saved}


@allow("crisis:worklist")
def worklist(request: HttpRequest) -> HttpResponse:
    """The crisis worklist "à compléter": requests whose decision has missing inputs."""
    search = request.GET.get("q", "").strip()[:80]
    page = Paginator(to_complete(search=search), PAGE_SIZE).get_page(request.GET.get("page"))
    log_action(
        actor=request.user,
        action="crisis.run_read",
        request=request,
        details={"worklist": "to_complete", "page": page.number, "search": bool(search)},
    )
    rows = [_input_row(d) for d in page]
    return render(
        request,
        "staff/crisis/worklist.html",
        {"page": page, "rows": rows, "q": search, "total": page.paginator.count},
    )


@allow("crisis:worklist_row")
@require_POST
def worklist_row(request: HttpRequest, decision_id: int) -> HttpResponse:
    """Save one row's inputs (htmx): the request is re-triaged at once and the row shows the
    new proposal, or that it is complete."""
    decision = selectors.get_decision_any(decision_id)
    names = inputs_for(load_policy(decision.run.policy_id), decision.procedure)
    form = TriageInputsForm(request.POST, names=names, prefix=f"r{decision.pk}")
    if form.is_valid():
        triage_inputs_set(request=decision.request, values=form.values(), actor=request.user)
        decision.refresh_from_db()
    row = _input_row(decision, saved=form.is_valid())
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("crisis:worklist")
    return render(request, "staff/crisis/_input_row.html", row)


@allow("crisis:request_inputs")
@require_POST
def request_inputs(request: HttpRequest, request_id: int) -> HttpResponse:
    """The triage inputs section of the request page (and of the consultation beside it)."""
    req = get_request_for_user(request.user, request_id)
    names = inputs_for(selectors.active_policy(), req.procedure.code)
    form = TriageInputsForm(request.POST, names=names, prefix="tri")
    if form.is_valid() and names:
        result = triage_inputs_set(request=req, values=form.values(), actor=request.user)
        if result is not None:
            messages.success(
                request,
                _("Données de tri enregistrées ; proposition : %(d)s.")
                % {"d": Decision(result.decision).label},
            )
        else:
            messages.success(request, _("Données de tri enregistrées."))
    return redirect("staff:request_detail", pk=req.pk)
