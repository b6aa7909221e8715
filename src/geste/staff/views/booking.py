"""Reception pages: book a new appointment for a patient (with the radiologist's or the
administrator's override), and the waiting list (reordering needs a logged reason)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from geste.clinic.models import Room, User
from geste.clinic.selectors import site_zone
from geste.pathway import selectors
from geste.pathway.booking import OVERRIDE_ROLES, appointment_book, earliest_slots
from geste.pathway.models import RequestState
from geste.pathway.services import request_for_consultation
from geste.patients.models import Patient
from geste.scheduling import capacity
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import (
    OverrideBookForm,
    StaffBookForm,
    slot_value,
)
from geste.scheduling.models import Appointment, AppointmentKind
from geste.scheduling.selectors import SlotOption, resolve_slot, search_patients
from geste.staff.roles import allow

SLOTS_SHOWN = 12


def _patient(request: HttpRequest) -> Patient | None:
    raw = request.GET.get("patient", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    patient = Patient.objects.filter(pk=int(raw)).first()
    if patient is None:
        raise Http404
    return patient


def _slot_parts(slot: SlotOption) -> tuple[Any, Room, User]:
    return slot.start, slot.room, slot.radiologist


def _book(
    request: HttpRequest,
    patient: Patient,
    what: dict[str, Any],
    *,
    start: Any,
    room: Room,
    radiologist: User,
    override_reason: str = "",
) -> Appointment:
    kind = what["kind"]
    with transaction.atomic():  # the new request exists only with its booking
        return appointment_book(
            patient=patient,
            kind=kind,
            procedure=what["procedure"],
            start=start,
            room=room,
            radiologist=radiologist,
            actor=request.user,
            # A consultation books the patient's open request for this act (or a new one);
            # a procedure's request is the validated one the guard finds.
            request=request_for_consultation(
                patient=patient, procedure=what["procedure"], actor=request.user
            )
            if kind == AppointmentKind.CONSULTATION
            else None,
            video=bool(what["video"]) and kind == AppointmentKind.CONSULTATION,
            override_reason=override_reason,
        )


@allow("staff:staff_book")
@require_http_methods(["GET", "POST"])
def staff_book(request: HttpRequest) -> HttpResponse:
    """Search a patient, choose the act and the kind, pick a slot (or force one), book."""
    patient = _patient(request)
    query = request.GET.get("q", "").strip()
    form = StaffBookForm(request.GET if "procedure" in request.GET else None)
    can_override = getattr(request.user, "role", None) in OVERRIDE_ROLES
    override_form = None
    slot_error = ""
    what = form.cleaned_data if patient is not None and form.is_valid() else None
    if what is not None and can_override:
        override_form = OverrideBookForm(
            request.POST if request.POST.get("action") == "override" else None,
            prefix="force",
        )
    if request.method == "POST":
        if what is None or patient is None:
            raise Http404
        try:
            if request.POST.get("action") == "override":
                if override_form is None:
                    raise Http404
                if not override_form.is_valid():
                    raise BookingError("")
                data = override_form.cleaned_data
                appointment = _book(
                    request,
                    patient,
                    what,
                    start=override_form.start(),
                    room=data["room"],
                    radiologist=data["radiologist"],
                    override_reason=data["reason"],
                )
            else:
                start, room, radiologist = _slot_parts(resolve_slot(request.POST.get("slot", "")))
                appointment = _book(
                    request, patient, what, start=start, room=room, radiologist=radiologist
                )
        except BookingError as exc:
            message = str(exc)
            if override_form is not None and request.POST.get("action") == "override":
                if message:
                    override_form.add_error(None, message)
            else:
                slot_error = message
        else:
            # The room's site's local time, and its local day on the planner.
            local = appointment.start.astimezone(site_zone(appointment.room.site.time_zone))
            messages.success(
                request,
                _("Rendez-vous enregistré le %(when)s.")
                % {"when": local.strftime("%d/%m/%Y à %H:%M")},
            )
            return redirect(f"{reverse('staff:planner')}?jour={local.date().isoformat()}")
    options: list[Any] = []
    if what is not None:
        after = what.get("after")
        options = earliest_slots(
            procedure=what["procedure"],
            patient=patient,
            kind=what["kind"],
            not_before=capacity.local_at(after, time.min) if after else None,
            limit=SLOTS_SHOWN,
            actor=request.user,
        )
    context = {
        "patient": patient,
        "query": query,
        "found": search_patients(query) if query and patient is None else [],
        "form": form,
        "what": what,
        "options": [(slot_value(o.start, o.room.pk, o.radiologist.pk), o) for o in options],
        "chosen": request.POST.get("slot", ""),
        "slot_error": slot_error,
        "override_form": override_form,
        "legend": _("Premiers créneaux libres"),
    }
    return render(request, "staff/staff_book.html", context)


@require_POST
@allow("staff:procedure_book")
def procedure_book(request: HttpRequest, pk: int) -> HttpResponse:
    req = selectors.get_request_for_user(request.user, pk)
    back = redirect("staff:request_detail", pk=pk)
    if req.state != RequestState.VALIDATED:
        messages.error(request, _("Le geste ne peut être programmé qu'après validation."))
        return back
    try:
        slot = resolve_slot(request.POST.get("slot", ""))
        room = slot.room
        appointment = appointment_book(
            patient=req.patient,
            kind=AppointmentKind.PROCEDURE,
            procedure=req.procedure,
            start=slot.start,
            room=slot.room,
            radiologist=slot.radiologist,
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
            "when": appointment.start.astimezone(site_zone(room.site.time_zone)).strftime(
                "%d/%m/%Y à %H:%M"
            ),
            "room": room.name,
        },
    )
    return back
