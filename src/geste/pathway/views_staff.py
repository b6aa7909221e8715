"""Staff pages of the pathway: intake, consultation, labs, the day, record, report."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.audit.services import log_action
from geste.clinic.access import clinician_required, role_required, staff_required
from geste.clinic.models import Role
from geste.documents.models import Document, DocumentKind
from geste.documents.pdf import discharge_pdf, prescription_pdf, report_pdf
from geste.pathway import selectors, worklists
from geste.pathway.adapters import case_from_request
from geste.pathway.forms import (
    ConsultationForm,
    DecisionForm,
    IntakeForm,
    KeyImageForm,
    PregnancyCheckForm,
    ProcedureRecordForm,
    ReasonForm,
    ReportForm,
)
from geste.pathway.models import Consultation, RequestState
from geste.pathway.services import (
    TransitionError,
    consultation_record,
    request_cancel,
    request_create,
    request_postpone,
    request_refuse,
    request_validate,
)
from geste.pathway.services_after import report_link_create, report_sign
from geste.pathway.services_day import (
    pregnancy_check_record,
    procedure_record_create,
    request_check_in,
    timeout_evaluate,
    timeout_record,
)
from geste.pathway.texts import discharge_paragraphs, report_draft
from geste.pathway.views_booking import BOOKING_ROLES
from geste.pathway.views_common import pdf_response, questionnaire_page
from geste.patients.forms import LabResultForm
from geste.patients.selectors import lab_results
from geste.patients.services import lab_result_record
from geste.rules.explain import finding_text
from geste.scheduling.forms import slot_value
from geste.scheduling.selectors import earliest_slots

reception_required = role_required(Role.RECEPTIONIST, Role.ADMINISTRATOR)
floor_required = role_required(Role.RECEPTIONIST, Role.TECHNOLOGIST, Role.ADMINISTRATOR)
tech_required = role_required(Role.TECHNOLOGIST, Role.RADIOLOGIST, Role.ADMINISTRATOR)


@reception_required
def intake(request: HttpRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
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
        messages.success(request, _("Demande enregistrée."))
        return redirect("pathway:request_detail", pk=req.pk)
    return render(request, "pathway/intake.html", {"form": form})


@staff_required
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
            procedure=req.procedure, patient=req.patient, kind="procedure", limit=5, request=req
        )
    return render(
        request,
        "pathway/request_detail.html",
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
            "slots": [(slot_value(o.start, o.room.pk, o.radiologist.pk), o) for o in slots],
            "can_book": getattr(request.user, "role", "") in BOOKING_ROLES,
            "is_clinician": getattr(request.user, "role", "")
            in (Role.RADIOLOGIST, Role.ADMINISTRATOR),
        },
    )


@require_POST
@clinician_required
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
    return redirect("pathway:request_detail", pk=pk)


@require_POST
@clinician_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez une décision ; un refus demande un motif."))
        return redirect("pathway:request_detail", pk=pk)
    try:
        if form.cleaned_data["decision"] == "validate":
            request_validate(request=req, actor=request.user)
            messages.success(request, _("Indication validée ; ordonnances prêtes."))
        else:
            request_refuse(request=req, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Refus enregistré."))
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("pathway:request_detail", pk=pk)


@require_POST
@role_required(Role.RADIOLOGIST, Role.ADMINISTRATOR, Role.RECEPTIONIST)
def postpone_or_cancel(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    if what not in ("postpone", "cancel"):
        raise Http404
    req = selectors.get_request_for_user(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez le motif."))
        return redirect("pathway:request_detail", pk=pk)
    service = request_postpone if what == "postpone" else request_cancel
    try:
        service(request=req, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("C'est noté."))
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("pathway:request_detail", pk=pk)


@staff_required
def staff_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    return questionnaire_page(
        request,
        patient=req.patient,
        proc_request=req,
        done_url=reverse("pathway:request_detail", kwargs={"pk": pk}),
        staff=True,
    )


@staff_required
def lab_entry(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = LabResultForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "document" or v}
        lab_result_record(patient=req.patient, actor=request.user, values=values)
        messages.success(request, _("Résultat enregistré."))
        return redirect("pathway:request_detail", pk=pk)
    return render(request, "pathway/lab_entry.html", {"form": form, "req": req})


@floor_required
def reception(request: HttpRequest) -> HttpResponse:
    day = worklists.split(
        worklists.day_rows(selectors.today()), show_all=request.GET.get("tout") == "1"
    )
    check_in_url = worklists.url_maker("pathway:check_in")
    for r in day.expected:
        r["check_in"] = check_in_url(r["request_id"]) if r["request_id"] else ""
    return render(request, "pathway/reception.html", {"day": day})


@require_POST
@floor_required
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    try:
        request_check_in(request=req, actor=request.user)
        messages.success(request, _("Arrivée enregistrée : %(n)s.") % {"n": req.patient})
    except TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("pathway:reception")


@tech_required
def tech_worklist(request: HttpRequest) -> HttpResponse:
    day = worklists.split(
        worklists.day_rows(selectors.today()), show_all=request.GET.get("tout") == "1"
    )
    pregnancy_url = worklists.url_maker("pathway:pregnancy_check")
    for r in (*day.arrived, *day.expected):
        ask = r["female"] and r["request_id"] and not r["pregnancy_at"]
        r["pregnancy_url"] = pregnancy_url(r["request_id"]) if ask else ""
    return render(request, "pathway/worklist.html", {"day": day})


@require_POST
@tech_required
def pregnancy_check(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    form = PregnancyCheckForm(request.POST)
    if form.is_valid():
        answer = {"yes": True, "no": False}.get(form.cleaned_data["answer"])
        pregnancy_check_record(request=req, actor=request.user, possibly_pregnant=answer)
        messages.success(request, _("Réponse enregistrée."))
    return redirect("pathway:tech_worklist")


@clinician_required
def timeout(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    at = selectors.scheduled_at(req) or timezone.now()
    q_ok = selectors.questionnaire_fresh(req, at)
    if request.method == "POST":
        if req.state != RequestState.CHECKED_IN:
            messages.error(request, _("Le patient doit être enregistré à l'accueil."))
            return redirect("pathway:timeout", pk=pk)
        clearances = {
            k[len("clear_") :]: str(v) for k, v in request.POST.items() if k.startswith("clear_")
        }
        t = timeout_record(
            request=req, actor=request.user, clearances=clearances, questionnaire_ok=q_ok
        )
        if t.outcome == "passed":
            messages.success(request, _("Vérification validée : le geste peut commencer."))
            return redirect("pathway:record", pk=pk)
        messages.error(request, _("Le geste ne peut pas commencer (voir ci-dessous)."))
        return redirect("pathway:timeout", pk=pk)
    log_action(actor=request.user, action="timeout.viewed", obj=req, request=request)
    result = timeout_evaluate(req)
    findings = [(f, finding_text(f.code), f.detail("fr")) for f in result.findings]
    return render(
        request,
        "pathway/timeout.html",
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


@role_required(Role.RADIOLOGIST, Role.ADMINISTRATOR)
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
            return redirect("pathway:report", pk=pk)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(request, "pathway/record.html", {"form": form, "req": req})


@role_required(Role.RADIOLOGIST)
def report(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    if not hasattr(req, "record"):
        raise Http404
    form = ReportForm(request.POST or None, initial={"text": report_draft(req)})
    if request.method == "POST" and form.is_valid():
        try:
            report_sign(request=req, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Compte rendu signé et publié."))
            return redirect("pathway:request_detail", pk=pk)
        except TransitionError as exc:
            messages.error(request, str(exc))
    return render(request, "pathway/report.html", {"form": form, "req": req})


@require_POST
@clinician_required
def link_create(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    if not hasattr(req, "report"):
        raise Http404
    link, token = report_link_create(report=req.report, actor=request.user)
    url = request.build_absolute_uri(reverse("pathway:shared_report", kwargs={"token": token}))
    return render(request, "pathway/link_created.html", {"req": req, "url": url, "link": link})


@require_POST
@staff_required
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
    return redirect("pathway:request_detail", pk=pk)


@staff_required
def staff_pdf(request: HttpRequest, pk: int, kind: str, item: int = 0) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    return render_pdf(request, req, kind, item)


def render_pdf(request: HttpRequest, req: object, kind: str, item: int) -> HttpResponse:
    """The PDFs of a request (authorised by the caller); every download audited."""
    from geste.pathway.models import ProcedureRequest

    assert isinstance(req, ProcedureRequest)
    if kind == "ordonnance":
        p = get_object_or_404(req.prescriptions.select_related("prescriber"), pk=item)
        data, name = prescription_pdf(p), f"ordonnance-{p.pk}.pdf"
    elif kind == "compte-rendu" and hasattr(req, "report"):
        data, name = report_pdf(req.report), f"compte-rendu-{req.pk}.pdf"
    elif kind == "sortie" and req.state in (
        RequestState.REPORTED,
        RequestState.FOLLOWED_UP,
        RequestState.PERFORMED,
    ):
        data = discharge_pdf(req, discharge_paragraphs(case_from_request(req)))
        name = f"conseils-sortie-{req.pk}.pdf"
    else:
        raise Http404
    log_action(
        actor=request.user,
        action="document.downloaded",
        obj=req,
        request=request,
        details={"kind": kind},
    )
    return pdf_response(data, name)
