"""Patient pages of the pathway (mon-espace/...) and the referring physician's secure link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.access import patient_required
from geste.documents.models import Document
from geste.pathway import selectors
from geste.pathway.forms import FollowUpForm, MonthPainForm
from geste.pathway.models import FollowUp, ProcedureRequest, RequestState
from geste.pathway.outcomes import patient_pain_svg
from geste.pathway.services import TransitionError
from geste.pathway.services_after import followup_answer, followup_month_answer, month_open
from geste.patients.access import own_patient
from geste.web.pages import questionnaire_page, render_pdf

_OPEN = (
    RequestState.REQUESTED,
    RequestState.CONSULTATION_BOOKED,
    RequestState.CONSULTATION_DONE,
    RequestState.VALIDATED,
    RequestState.PROCEDURE_BOOKED,
    RequestState.CHECKED_IN,
)


@patient_required
def questionnaire(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    open_request = (
        ProcedureRequest.objects.filter(patient=patient, state__in=_OPEN)
        .order_by("created_at")
        .first()
    )
    return questionnaire_page(
        request,
        patient=patient,
        proc_request=open_request,
        done_url=reverse("portal:home"),
        staff=False,
    )


@patient_required
def my_results(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    reqs = selectors.patient_requests(patient)
    log_action(actor=request.user, action="results.read", patient=patient, request=request)
    now = timezone.now()
    # Her own pain curve per procedure followed up (before, 48-72 h, one month): drawn from
    # her requests only, which `patient_requests` scopes to her.
    curves = {
        r.pk: mark_safe(  # noqa: S308 - built from numbers and escaped text only
            patient_pain_svg(
                r.pain_nrs,
                r.followup.pain_now,
                r.followup.pain_month,
                title=_("Votre douleur : avant le geste, à 48-72 h et à un mois"),
                labels=(_("Avant"), _("48-72 h"), _("Un mois")),
                svg_id=f"pain-{r.pk}",
            )
        )
        for r in reqs
        if getattr(r, "followup", None) is not None
        and (r.followup.pain_now is not None or r.followup.pain_month is not None)
    }
    months_open = {
        r.pk: r.followup.pk
        for r in reqs
        if getattr(r, "followup", None) is not None and month_open(r.followup, now=now)
    }
    rows = [(r, curves.get(r.pk), months_open.get(r.pk)) for r in reqs]
    return render(request, "portal/my_results.html", {"rows": rows, "now": now})


@patient_required
def my_pdf(request: HttpRequest, pk: int, kind: str, item: int = 0) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    return render_pdf(request, req, kind, item)


@patient_required
def my_image(request: HttpRequest, pk: int) -> HttpResponse:
    patient = own_patient(request.user)
    doc = get_object_or_404(Document, pk=pk, patient=patient)
    log_action(actor=request.user, action="document.downloaded", obj=doc, request=request)
    with doc.file.open("rb") as f:  # key images are small: read whole
        resp = HttpResponse(f.read(), content_type=doc.content_type)
    resp["Cache-Control"] = "no-store"
    return resp


@patient_required
def followup(request: HttpRequest, pk: int) -> HttpResponse:
    patient = own_patient(request.user)
    fu = get_object_or_404(
        FollowUp.objects.select_related("request"), pk=pk, request__patient=patient
    )
    if fu.answered_at is not None:
        messages.info(request, _("Vous avez déjà répondu. Merci."))
        return redirect("portal:my_results")
    form = FollowUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fu = followup_answer(followup=fu, actor=request.user, **form.cleaned_data)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("portal:my_results")
        if fu.alert:
            messages.warning(
                request,
                _(
                    "Votre réponse a été transmise au radiologue de garde, qui vous "
                    "rappellera ; en cas d'urgence, appelez le 15."
                ),
            )
        else:
            messages.success(request, _("Merci pour vos réponses."))
        return redirect("portal:my_results")
    return render(request, "portal/followup.html", {"form": form, "fu": fu})


@patient_required
def followup_month(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-month pain measure, reached from the message's link (after login): hers only."""
    patient = own_patient(request.user)
    fu = get_object_or_404(
        FollowUp.objects.select_related("request"), pk=pk, request__patient=patient
    )
    if fu.month_answered_at is not None:
        messages.info(request, _("Vous avez déjà répondu. Merci."))
        return redirect("portal:my_results")
    if not month_open(fu):
        messages.info(request, _("Ce questionnaire n'est pas ouvert."))
        return redirect("portal:my_results")
    form = MonthPainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            followup_month_answer(
                followup=fu, actor=request.user, pain_month=form.cleaned_data["pain_month"]
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect("portal:my_results")
        messages.success(request, _("Merci pour votre réponse."))
        return redirect("portal:my_results")
    return render(request, "portal/followup_month.html", {"form": form, "fu": fu})
