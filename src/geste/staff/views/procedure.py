"""Staff pages of the pathway: intake, consultation, labs, the day, record, report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import Role
from geste.dicom.alerts import report_dose_text
from geste.dicom.services import dose_prefill, record_dose_fill
from geste.pathway import selectors
from geste.pathway.adapters import case_from_request
from geste.pathway.clearances import ClearanceForm
from geste.pathway.forms import (
    AddendumForm,
    ChecklistForm,
    PrescriptionItemForm,
    ProcedureRecordForm,
    ReasonForm,
    ReportForm,
)
from geste.pathway.models import Report, RequestState
from geste.pathway.prescriptions import (
    PrescriptionError,
    contrast_allergy,
    prescription_item_add,
    prescription_item_remove,
    prescription_sign,
)
from geste.pathway.record_checks import RecordError
from geste.pathway.records import ChecklistItem, ChecklistRole
from geste.pathway.services import TransitionError
from geste.pathway.services_after import report_addendum_add, report_sign, report_update
from geste.pathway.services_day import (
    checklist_state,
    procedure_record_create,
    timeout_checklist_confirm,
    timeout_evaluate,
    timeout_record,
)
from geste.pathway.texts import dose_lines, report_draft, technique_text
from geste.rules.explain import finding_text
from geste.staff.roles import allow

# The record's dose fields that come from the equipment's dose report (`dicom.services`).
DOSE_FIELDS = ("dap_mgy_cm2", "fluoroscopy_s", "reference_air_kerma_mgy")


@allow("staff:timeout")
def timeout(request: HttpRequest, pk: int) -> HttpResponse:
    """The HAS checklist (the radiologist and the technologist each confirm), then the rules'
    verdict (radiologist). A "non" stops the procedure."""
    req = selectors.get_request_for_user(request.user, pk)
    at = selectors.scheduled_at(req) or timezone.now()
    q_ok = selectors.questionnaire_fresh(req, at)
    is_tech = getattr(request.user, "role", "") == Role.TECHNOLOGIST
    checklist = ChecklistForm(request.POST or None, proc_request=req, auto_id="chk_%s")
    if request.method == "POST":
        if req.state != RequestState.CHECKED_IN:
            messages.error(request, _("Le patient doit être enregistré à l'accueil."))
            return redirect("staff:timeout", pk=pk)
        if not checklist.is_valid():
            messages.error(request, _("Répondez à chaque point de la check-list (oui ou non)."))
            return _timeout_page(request, req, q_ok, checklist)
        answers = checklist.answers()
        try:
            timeout_checklist_confirm(request=req, actor=request.user, answers=answers)
            if is_tech:
                messages.success(request, _("Check-list confirmée par le manipulateur."))
                return redirect("staff:timeout", pk=pk)
            if not all(answers.values()):
                messages.error(request, _("Discordance à la check-list : le geste est arrêté."))
                return redirect("staff:timeout", pk=pk)
            clearing = ClearanceForm.from_post(request.POST)
            for problem in clearing.problems():
                messages.error(request, problem)
            clearances = clearing.clearances()
            t = timeout_record(
                request=req, actor=request.user, clearances=clearances, questionnaire_ok=q_ok
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("staff:timeout", pk=pk)
        if t.outcome == "passed":
            messages.success(request, _("Vérification validée : le geste peut commencer."))
            return redirect("staff:record", pk=pk)
        messages.error(request, _("Le geste ne peut pas commencer (voir ci-dessous)."))
        return redirect("staff:timeout", pk=pk)
    log_action(actor=request.user, action="timeout.viewed", obj=req, request=request)
    return _timeout_page(request, req, q_ok, checklist)


def _timeout_page(
    request: HttpRequest, req: Any, q_ok: bool, checklist: ChecklistForm
) -> HttpResponse:
    result = timeout_evaluate(req)
    findings = [(f, finding_text(f.code), f.detail("fr")) for f in result.findings]
    state = checklist_state(req)
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
            "checklist": checklist,
            "checklist_rows": [
                (label, [state[role].get(item) for role in ChecklistRole.values])
                for item, label in ChecklistItem.choices
            ],
            "is_tech": getattr(request.user, "role", "") == Role.TECHNOLOGIST,
            "last": req.timeouts.first(),
        },
    )


@allow("staff:record")
def record(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    dose = dose_prefill(req)
    form = ProcedureRecordForm(request.POST or None, proc_request=req, initial=dose or {})
    if dose is not None:
        # The equipment's dose report is the source: shown, never retyped (a disabled field
        # keeps its initial value whatever is posted).
        source = _("Source : %(s)s") % {"s": dose["source"]}
        for name in DOSE_FIELDS:
            form.fields[name].disabled = True
            form.fields[name].help_text = source
    if request.method == "POST" and form.is_valid():
        try:
            procedure_record_create(
                request=req,
                actor=request.user,
                values={**form.cleaned_data, "operator": request.user},
            )
            # A report that arrived while the form was open still wins over the form.
            record_dose_fill(request=req, actor=request.user)
            messages.success(request, _("Geste enregistré."))
            return redirect("staff:report", pk=pk)
        except RecordError as exc:
            form.add_error(None, exc)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(request, "staff/record.html", {"form": form, "req": req, "dose": dose})


@allow("staff:report")
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft and sign; once signed the report is shown as signed (with its dose) and only
    addenda can be added: any other post is refused by the service."""
    req = selectors.get_request_for_user(request.user, pk)
    if not hasattr(req, "record"):
        raise Http404
    signed = Report.objects.filter(request=req).first()
    if signed is not None:
        return _signed_report(request, req, signed)
    # The equipment's dose notes (skin follow-up advice, cumulative dose) start the draft's
    # dose paragraph: the radiologist signs them with the text (pathway cannot import dicom).
    dose_note = report_dose_text(req)
    draft = report_draft(req) + ("\n" + dose_note if dose_note else "")
    form = ReportForm(request.POST or None, initial={"text": draft})
    if request.method == "POST" and form.is_valid():
        try:
            report_sign(request=req, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Compte rendu signé et publié."))
            return redirect("staff:request_detail", pk=pk)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "staff/report.html",
        {
            "form": form,
            "req": req,
            "technique": technique_text(req),
            "record": req.record,
            "dose_note": dose_note,
        },
    )


def _signed_report(request: HttpRequest, req: Any, signed: Report) -> HttpResponse:
    if request.method == "POST" and "addendum" not in request.POST:
        try:
            report_update(report=signed, actor=request.user)
        except TransitionError as exc:
            messages.error(request, str(exc))
        return redirect("staff:report", pk=req.pk)
    form = AddendumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_addendum_add(
                report=signed, actor=request.user, text=form.cleaned_data["addendum"]
            )
            messages.success(request, _("Addendum signé et publié."))
            return redirect("staff:report", pk=req.pk)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "staff/report.html",
        {
            "req": req,
            "signed": signed,
            "dose": dose_lines(signed),
            "addenda": signed.addenda.select_related("author"),
            "addendum_form": form,
        },
    )


@allow("staff:prescription")
def prescription(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    """A draft prescription: formulary lines added or removed, then signed by a radiologist;
    the allergy refusal and the proposed alternative are shown on the line's form."""
    req = selectors.get_request_for_user(request.user, pk)
    pres = get_object_or_404(req.prescriptions.select_related("signed_by"), pk=item)
    form = PrescriptionItemForm(request.POST or None if "add" in request.POST else None)
    if request.method == "POST":
        try:
            if "add" in request.POST and form.is_valid():
                d = form.cleaned_data
                prescription_item_add(
                    prescription=pres,
                    formulary=d["formulary"],
                    dose=d["dose"] if d["dose"] is not None else d["formulary"].dose,
                    route=d["route"] or "",
                    override_reason=d["override_reason"] or "",
                    actor=request.user,
                )
                messages.success(request, _("Produit ajouté."))
                return redirect("staff:prescription", pk=pk, item=item)
            if "remove" in request.POST:
                line = get_object_or_404(pres.items, pk=request.POST.get("remove"))
                prescription_item_remove(item=line, actor=request.user)
                messages.success(request, _("Produit retiré."))
                return redirect("staff:prescription", pk=pk, item=item)
            if "sign" in request.POST:
                prescription_sign(prescription=pres, actor=request.user)
                messages.success(request, _("Ordonnance signée."))
                return redirect("staff:request_detail", pk=pk)
        except PrescriptionError as exc:
            if hasattr(exc, "error_dict"):
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "staff/prescription.html",
        {
            "req": req,
            "pres": pres,
            "items": pres.items.select_related("formulary"),
            "form": form,
            "allergic": contrast_allergy(req.patient),
        },
    )
