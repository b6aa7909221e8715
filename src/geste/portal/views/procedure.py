"""The patient books her procedure herself (issue 13, point 2): once the radiologist has
validated the indication, "Programmer mon geste" shows the earliest SAFE times (the guard's own
`earliest_slots`, with the request: drug holds and the blood test counted) and one click books
through `appointment_book`, which checks the guard again at that time and tells her (point 1).
She moves or cancels it from "Mes rendez-vous" like any other appointment; staff can still book.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.clinic.access import patient_required
from geste.clinic.models import CentreSettings
from geste.pathway.booking import appointment_book, earliest_slots
from geste.pathway.crisis_gate import crisis_refusal
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.access import own_patient
from geste.patients.models import Patient
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import slot_value
from geste.scheduling.models import AppointmentKind
from geste.scheduling.selectors import resolve_slot

SLOTS_SHOWN = 8


def to_book(patient: Patient) -> list[ProcedureRequest]:
    """The patient's validated requests still waiting for their procedure's time."""
    return list(
        ProcedureRequest.objects.filter(patient=patient, state=RequestState.VALIDATED)
        .select_related("procedure")
        .order_by("validated_at", "pk")
    )


@patient_required
def my_procedure(request: HttpRequest, pk: int) -> HttpResponse:
    patient = own_patient(request.user)
    req = (
        ProcedureRequest.objects.select_related("procedure").filter(pk=pk, patient=patient).first()
    )
    if req is None:
        raise Http404
    if req.state != RequestState.VALIDATED:
        messages.info(request, _("Ce geste est déjà programmé ou ne peut pas l'être en ligne."))
        return redirect("portal:my_appointments")
    error = ""
    if request.method == "POST":
        try:
            slot = resolve_slot(request.POST.get("slot", ""))
            appointment_book(
                patient=patient,
                kind=AppointmentKind.PROCEDURE,
                procedure=req.procedure,
                start=slot.start,
                room=slot.room,
                radiologist=slot.radiologist,
                actor=request.user,
                request=req,
            )
        except BookingError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("Votre geste est programmé. Une confirmation vous est envoyée.")
            )
            return redirect("portal:my_appointments")
    # Not inside the window in which she could no longer move it herself.
    cutoff = CentreSettings.current().patient_change_cutoff_hours
    options = earliest_slots(
        procedure=req.procedure,
        patient=patient,
        kind=AppointmentKind.PROCEDURE,
        request=req,
        not_before=timezone.now() + timedelta(hours=cutoff),
        limit=SLOTS_SHOWN,
        actor=request.user,
    )
    site = options[0].room.site if options else None
    # No time offered during a crisis for a geste the policy does not maintain: say why.
    crisis_notice = "" if options else crisis_refusal(req, request.user)
    return render(
        request,
        "portal/my_procedure.html",
        {
            "req": req,
            "options": [(slot_value(o.start, o.room.pk, o.radiologist.pk), o) for o in options],
            "slot_error": error,
            "site": site,
            "crisis_notice": crisis_notice,
        },
        status=400 if error else 200,
    )
