"""Staff pages of the pathway: intake, consultation, labs, the day, record, report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.audit.services import log_action
from geste.clinic.models import Role
from geste.crisis.inputs import REQUEST_INPUTS, TriageInputsForm, inputs_for, triage_inputs_set
from geste.crisis.selectors import active_policy, last_answer
from geste.dicom.services import dose_prefill
from geste.documents.models import Document, DocumentKind
from geste.pathway import selectors
from geste.pathway.booking import earliest_slots
from geste.pathway.forms import (
    ConsultationForm,
    DecisionForm,
    IntakeForm,
    KeyImageForm,
    ReasonForm,
)
from geste.pathway.models import Consultation, ReportLink, RequestState
from geste.pathway.report_links import report_link_create, report_link_revoke
from geste.pathway.services import (
    TransitionError,
    consultation_record,
    request_cancel,
    request_create,
    request_postpone,
    request_refuse,
    request_validate,
)
from geste.patients.forms import LabResultForm
from geste.patients.selectors import lab_results
from geste.patients.services import lab_result_record
from geste.scheduling.forms import slot_value
from geste.staff.roles import BOOKING_ROLES, allow
from geste.web.pages import questionnaire_page, render_pdf


def _intake_inputs() -> list[str]:
    """At intake the procedure is not chosen yet: every input the active policy reads for
    some procedure (only those of the chosen procedure are kept)."""
    policy = active_policy()
    if policy is None:
        return []
    read = {name for fields in policy.reads.values() for name in fields}
    return [name for name in REQUEST_INPUTS if name in read]


@allow("staff:intake")
def intake(request: HttpRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None, request.FILES or None)
    names = _intake_inputs()
    triage_form = TriageInputsForm(request.POST or None, names=names, prefix="tri")
    if request.method == "POST" and form.is_valid() and triage_form.is_valid():
        d = form.cleaned_data
        req = request_create(
            patient=d["patient"],
            procedure=d["procedure"],
            actor=request.user,
            region=d["region"],
            referring_physician=d["referring_physician"],
            referring_email=d["referring_email"],
            referral_letter=d["referral_letter"],
            pain_nrs=d["pain_nrs"],
        )
        kept = set(inputs_for(active_policy(), req.procedure.code))
        values = {k: v for k, v in triage_form.values().items() if k in kept}
        if values:
            triage_inputs_set(request=req, values=values, actor=request.user)
        messages.success(request, _("Demande enregistrée."))
        return redirect("staff:request_detail", pk=req.pk)
    return render(request, "staff/intake.html", {"form": form, "triage_form": triage_form})


@allow("staff:request_detail")
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    log_action(actor=request.user, action="request.read", obj=req, request=request)
    consultation = Consultation.objects.filter(request=req).first()
    initial = (
        {
            "history": consultation.history,
            "indication": consultation.indication,
            "benefit_risk": consultation.benefit_risk,
            "pain_nrs": req.pain_nrs,
        }
        if consultation
        else {"pain_nrs": req.pain_nrs}
    )
    slots = []
    if req.state == RequestState.VALIDATED:
        slots = earliest_slots(
            procedure=req.procedure,
            patient=req.patient,
            kind="procedure",
            limit=5,
            request=req,
            actor=request.user,
        )
    return render(
        request,
        "staff/request_detail.html",
        {
            "req": req,
            "consultation": consultation,
            # Distinct id prefixes: several forms share field names on this page.
            "consultation_form": ConsultationForm(initial=initial, auto_id="cons_%s"),
            "decision_form": DecisionForm(auto_id="dec_%s"),
            "reason_form": ReasonForm(auto_id="why_%s"),
            "image_form": KeyImageForm(auto_id="img_%s"),
            "labs": lab_results(req.patient),
            "transitions": req.transitions.select_related("actor"),
            "prescriptions": req.prescriptions.all(),
            "dose": dose_prefill(req),  # the equipment's dose report, with its source
            "slots": [(slot_value(o.start, o.room.pk, o.radiologist.pk), o) for o in slots],
            "can_book": getattr(request.user, "role", "") in BOOKING_ROLES,
            "is_clinician": getattr(request.user, "role", "")
            in (Role.RADIOLOGIST, Role.ADMINISTRATOR),
            **_triage_context(req),
        },
    )


def _triage_context(req: Any) -> dict[str, Any]:
    """The triage inputs section: the active policy's inputs for this procedure, and the
    last answer of a crisis discussion."""
    names = inputs_for(active_policy(), req.procedure.code)
    return {
        "triage_form": TriageInputsForm(
            initial=TriageInputsForm.initial_of(req, names), names=names, prefix="tri"
        )
        if names
        else None,
        "triage_answer": last_answer(req),
    }


@require_POST
@allow("staff:consultation")
def consultation_save(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = ConsultationForm(request.POST)
    if form.is_valid():
        try:
            consultation_record(request=req, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Consultation enregistrée."))
        except TransitionError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("Complétez la consultation (tous les champs)."))
    return redirect("staff:request_detail", pk=pk)


@require_POST
@allow("staff:decide")
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez une décision ; un refus demande un motif."))
        return redirect("staff:request_detail", pk=pk)
    try:
        if form.cleaned_data["decision"] == "validate":
            request_validate(request=req, actor=request.user)
            messages.success(request, _("Indication validée ; ordonnances prêtes."))
        else:
            request_refuse(request=req, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Refus enregistré."))
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("staff:request_detail", pk=pk)


@require_POST
@allow("staff:postpone_or_cancel")
def postpone_or_cancel(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    if what not in ("postpone", "cancel"):
        raise Http404
    req = selectors.get_request_for_user(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif."))
        return redirect("staff:request_detail", pk=pk)
    service = request_postpone if what == "postpone" else request_cancel
    try:
        service(request=req, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("C'est noté."))
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("staff:request_detail", pk=pk)


@allow("staff:staff_questionnaire")
def staff_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    return questionnaire_page(
        request,
        patient=req.patient,
        proc_request=req,
        done_url=reverse("staff:request_detail", kwargs={"pk": pk}),
        staff=True,
    )


@allow("staff:lab_entry")
def lab_entry(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = LabResultForm(
        request.POST or None, request.FILES or None, not_after=selectors.scheduled_at(req)
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "document" or v}
        lab_result_record(patient=req.patient, actor=request.user, values=values)
        messages.success(request, _("Résultat enregistré."))
        return redirect("staff:request_detail", pk=pk)
    return render(request, "staff/lab_entry.html", {"form": form, "req": req})


@require_POST
@allow("staff:link_create")
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    if not hasattr(req, "report"):
        raise Http404
    link, token = report_link_create(report=req.report, actor=request.user)
    url = request.build_absolute_uri(reverse("portal:shared_report", kwargs={"token": token}))
    return render(request, "staff/link_created.html", {"req": req, "url": url, "link": link})


@require_POST
@allow("staff:link_revoke")
def link_revoke(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    link = get_object_or_404(ReportLink, pk=link_id, report__request=req)
    report_link_revoke(link=link, actor=request.user)
    messages.success(request, _("Lien révoqué : il ne s'ouvre plus."))
    return redirect("staff:request_detail", pk=pk)


@require_POST
@allow("staff:image_upload")
def image_upload(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = KeyImageForm(request.POST, request.FILES)
    if form.is_valid():
        f = form.cleaned_data["file"]
        doc = Document.objects.create(
            patient=req.patient,
            request=req,
            kind=DocumentKind.KEY_IMAGE,
            title=form.cleaned_data["title"],
            file=f,
            content_type="image/png" if f.image.format == "PNG" else "image/jpeg",
            created_by=request.user,  # type: ignore[misc]
        )
        log_action(actor=request.user, action="document.attached", obj=doc, patient=req.patient)
        messages.success(request, _("Image ajoutée au dossier du patient."))
    else:
        messages.error(request, _("Image refusée : PNG ou JPEG seulement."))
    return redirect("staff:request_detail", pk=pk)


@allow("staff:staff_pdf", by="kind")
def staff_pdf(request: HttpRequest, pk: int, kind: str, item: int = 0) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    return render_pdf(request, req, kind, item)
