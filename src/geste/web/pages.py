"""Helpers shared by the pathway views: the questionnaire page and PDF responses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import Role
from geste.documents.pdf import discharge_pdf, prescription_pdf, report_pdf
from geste.pathway.adapters import case_from_request
from geste.pathway.instructions import questionnaire_submit
from geste.pathway.models import ProcedureRequest, RequestState
from geste.pathway.texts import discharge_paragraphs
from geste.patients.forms import DeclarationForm, MedicationFormSet
from geste.patients.selectors import asks_pregnancy, declaration_initial, latest_declaration


def pdf_response(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{name}"'
    resp["Cache-Control"] = "no-store"
    return resp


def questionnaire_page(
    request: HttpRequest, *, patient: Any, proc_request: Any, done_url: str, staff: bool
) -> HttpResponse:
    """The pre-procedure questionnaire (pathway.md step 4), for the patient or staff.

    Reopened, it shows the last answers (pregnancy excepted: never pre-set); sending it makes a
    new dated version, the earlier ones kept. Pregnancy is asked where the engine asks."""
    pregnancy = asks_pregnancy(patient, timezone.localdate())
    last = latest_declaration(patient)
    if request.method == "POST":
        form = DeclarationForm(request.POST, asks_pregnancy=pregnancy)
        meds = MedicationFormSet(request.POST, prefix="med")
        if form.is_valid() and meds.is_valid():
            listed = [
                (m["name"], m["last_dose_at"], m.get("dose") or "")
                for m in meds.cleaned_data
                if m and m.get("name")
            ]
            if form.cleaned_data["takes_anticoagulant"] == "yes" and not listed:
                form.add_error(
                    "takes_anticoagulant",
                    _("Choisissez le médicament dans la liste et la date de la dernière prise."),
                )
            elif form.cleaned_data["takes_anticoagulant"] == "no" and listed:
                # A drug listed under a "no" is a contradiction nobody may settle for her: the
                # rows are shown again (they hold a value) and she corrects one or the other.
                form.add_error(
                    "takes_anticoagulant",
                    _(
                        "Vous avez répondu non, mais un médicament est indiqué : corrigez la "
                        "réponse ou effacez la ligne du médicament."
                    ),
                )
            else:
                questionnaire_submit(
                    patient=patient,
                    actor=request.user,
                    answers=form.answers(),
                    medications=listed,
                    request=proc_request,
                )
                messages.success(request, _("Questionnaire enregistré. Merci."))
                return redirect(done_url)
    else:
        answers, listed_before = declaration_initial(last)
        form = DeclarationForm(initial=answers, asks_pregnancy=pregnancy)
        meds = MedicationFormSet(prefix="med", initial=listed_before)
        log_action(actor=request.user, action="declaration.form_opened", patient=patient)
    return render(
        request,
        "geste/questionnaire.html",
        {
            "form": form,
            "meds": meds,
            "patient": patient,
            "proc_request": proc_request,
            "staff": staff,
            "last": last,
        },
    )


def render_pdf(request: HttpRequest, req: object, kind: str, item: int) -> HttpResponse:
    """The PDFs of a request (authorised by the caller); every download audited."""
    assert isinstance(req, ProcedureRequest)
    if kind == "ordonnance":
        p = get_object_or_404(req.prescriptions.select_related("prescriber"), pk=item)
        if p.signed_at is None and getattr(request.user, "role", "") == Role.PATIENT:
            raise Http404  # a draft is the radiologist's until signed
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
