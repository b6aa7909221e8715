"""The patient's "Préparer mon geste": what to do before each procedure, and the convocation
PDF that says the same (pathway.instructions, the one service both read)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from geste.audit.services import log_action
from geste.clinic.access import patient_required
from geste.documents.pdf import convocation_pdf
from geste.pathway.instructions import instructions_for, upcoming_requests
from geste.patients.access import own_patient
from geste.web.pages import pdf_response


@patient_required
def prepare(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    items = [(r, instructions_for(r)) for r in upcoming_requests(patient)]
    log_action(
        actor=request.user,
        action="instructions.read",
        patient=patient,
        request=request,
        details={"requests": [r.pk for r, _i in items]},
    )
    return render(request, "portal/prepare.html", {"items": items})


@patient_required
def convocation(request: HttpRequest, pk: int) -> HttpResponse:
    patient = own_patient(request.user)
    req = next((r for r in upcoming_requests(patient) if r.pk == pk), None)
    if req is None:  # not hers, or no longer ahead: the same 404
        raise Http404
    found = instructions_for(req)
    data = convocation_pdf(
        patient=patient,
        when=found.appointment_start,
        place=found.place,
        lines=found.lines,
    )
    log_action(
        actor=request.user,
        action="document.downloaded",
        obj=req,
        request=request,
        details={"kind": "convocation"},
    )
    return pdf_response(data, f"convocation-{req.pk}.pdf")
