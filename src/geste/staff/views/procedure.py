"""Staff pages of the pathway: intake, consultation, labs, the day, record, report."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.pathway import selectors
from geste.pathway.adapters import case_from_request
from geste.pathway.clearances import ClearanceForm
from geste.pathway.forms import (
    ProcedureRecordForm,
    ReasonForm,
    ReportForm,
)
from geste.pathway.models import RequestState
from geste.pathway.services import (
    TransitionError,
)
from geste.pathway.services_after import report_sign
from geste.pathway.services_day import (
    procedure_record_create,
    timeout_evaluate,
    timeout_record,
)
from geste.pathway.texts import report_draft
from geste.rules.explain import finding_text
from geste.staff.roles import allow


@allow("staff:timeout")
def timeout(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    at = selectors.scheduled_at(req) or timezone.now()
    q_ok = selectors.questionnaire_fresh(req, at)
    if request.method == "POST":
        if req.state != RequestState.CHECKED_IN:
            messages.error(request, _("Le patient doit être enregistré à l'accueil."))
            return redirect("staff:timeout", pk=pk)
        clearing = ClearanceForm.from_post(request.POST)
        for problem in clearing.problems():
            messages.error(request, problem)
        clearances = clearing.clearances()
        t = timeout_record(
            request=req, actor=request.user, clearances=clearances, questionnaire_ok=q_ok
        )
        if t.outcome == "passed":
            messages.success(request, _("Vérification validée : le geste peut commencer."))
            return redirect("staff:record", pk=pk)
        messages.error(request, _("Le geste ne peut pas commencer (voir ci-dessous)."))
        return redirect("staff:timeout", pk=pk)
    log_action(actor=request.user, action="timeout.viewed", obj=req, request=request)
    result = timeout_evaluate(req)
    findings = [(f, finding_text(f.code), f.detail("fr")) for f in result.findings]
    return render(
        request,
        "staff/timeout.html",
        {
            "req": req,
            "result": result,
            "findings": findings,
            "questionnaire_ok": q_ok,
            "case": case_from_request(req),
            "reason_form": ReasonForm(),
            "last": req.timeouts.first(),
        },
    )


@allow("staff:record")
def record(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = ProcedureRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            procedure_record_create(
                request=req,
                actor=request.user,
                values={**form.cleaned_data, "operator": request.user},
            )
            messages.success(request, _("Geste enregistré."))
            return redirect("staff:report", pk=pk)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(request, "staff/record.html", {"form": form, "req": req})


@allow("staff:report")
def report(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    if not hasattr(req, "record"):
        raise Http404
    form = ReportForm(request.POST or None, initial={"text": report_draft(req)})
    if request.method == "POST" and form.is_valid():
        try:
            report_sign(request=req, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Compte rendu signé et publié."))
            return redirect("staff:request_detail", pk=pk)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(request, "staff/report.html", {"form": form, "req": req})
