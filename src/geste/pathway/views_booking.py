"""Booking the procedure from the earliest slots proposed on the request page (pathway.md
step 3: "a prompt procedure appointment is offered"). The booking itself is scheduling's one
locked service, `appointment_book`; this view only turns the chosen option into its arguments.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.clinic.access import role_required
from geste.clinic.models import Role, Room, User
from geste.pathway import selectors
from geste.pathway.models import RequestState
from geste.scheduling.forms import parse_slot
from geste.scheduling.models import AppointmentKind
from geste.scheduling.services import BookingError, appointment_book

BOOKING_ROLES = (Role.RECEPTIONIST, Role.RADIOLOGIST, Role.ADMINISTRATOR)


@require_POST
@role_required(*BOOKING_ROLES)
def procedure_book(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    back = redirect("pathway:request_detail", pk=pk)
    if req.state != RequestState.VALIDATED:
        messages.error(request, _("Le geste ne peut être programmé qu'après validation."))
        return back
    parsed = parse_slot(request.POST.get("slot", ""))
    if parsed is None:
        messages.error(request, _("Choisissez un créneau."))
        return back
    start, room_id, radiologist_id = parsed
    room = Room.objects.filter(pk=room_id, active=True).first()
    radiologist = User.objects.filter(pk=radiologist_id, role=Role.RADIOLOGIST).first()
    if room is None or radiologist is None:
        messages.error(request, _("Ce créneau n'existe plus. Choisissez-en un autre."))
        return back
    try:
        appointment = appointment_book(
            patient=req.patient,
            kind=AppointmentKind.PROCEDURE,
            procedure=req.procedure,
            start=start,
            room=room,
            radiologist=radiologist,
            actor=request.user,
            request=req,
        )
    except BookingError as exc:
        messages.error(request, str(exc))
        return back
    messages.success(
        request,
        _("Geste programmé le %(when)s, %(room)s.")
        % {
            "when": timezone.localtime(appointment.start).strftime("%d/%m/%Y à %H:%M"),
            "room": room.name,
        },
    )
    return back
