"""The patient's "Mes rendez-vous": list, move, cancel (cut-off), calendar file, offers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from geste.clinic.access import patient_required
from geste.clinic.models import CentreSettings
from geste.pathway.booking import appointment_cancel, appointment_move, earliest_slots
from geste.pathway.crisis_gate import crisis_refusal
from geste.pathway.offers import offer_accept, offer_decline
from geste.pathway.records import Consultation
from geste.pathway.waitlist import pending_offers, waitlist_join, waitlist_leave
from geste.patients.access import own_patient
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import CancelForm, slot_value
from geste.scheduling.ics import appointment_ics
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from geste.scheduling.selectors import patient_appointments, resolve_slot


def _own_appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    """The patient's own appointment; anybody else's is a 404."""
    patient = own_patient(request.user)
    appointment = (
        Appointment.objects.select_related("procedure", "room__site", "radiologist", "request")
        .filter(pk=appointment_id, patient=patient)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def _changeable(appointment: Appointment, cutoff_hours: int) -> bool:
    return (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.start - timezone.now() >= (timedelta(hours=cutoff_hours))
    )


# Held and still ahead: what "À venir" lists; everything else is the history.
_HELD = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


@patient_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    patient = own_patient(request.user)
    cutoff = CentreSettings.current().patient_change_cutoff_hours
    now = timezone.now()
    appointments = list(patient_appointments(patient))
    # One query each for every row (no query per appointment): her waiting-list entries and
    # the requests whose consultation has been recorded (shown as done once recorded).
    waiting: dict[int | None, WaitlistEntry] = {
        e.request_id: e
        for e in WaitlistEntry.objects.filter(patient=patient, status=WaitlistStatus.WAITING)
    }
    consulted = set(
        Consultation.objects.filter(request__patient=patient).values_list("request_id", flat=True)
    )
    upcoming: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for a in appointments:
        done = a.status == AppointmentStatus.DONE or (
            a.kind == AppointmentKind.CONSULTATION and a.request_id in consulted
        )
        row = {
            "a": a,
            "done": done,
            "changeable": _changeable(a, cutoff),
            "waiting": waiting.get(a.request_id) if a.kind == AppointmentKind.PROCEDURE else None,
        }
        row["can_wait"] = (
            a.kind == AppointmentKind.PROCEDURE
            and a.status == AppointmentStatus.BOOKED
            and a.start > now
            and a.request_id is not None
            and row["waiting"] is None
        )
        if a.status in _HELD and a.end > now and not done:
            upcoming.append(row)
        else:
            history.append(row)
    return render(
        request,
        "portal/my_appointments.html",
        {
            "upcoming": upcoming[::-1],
            "past": history,
            "cutoff": cutoff,
            "offers": pending_offers(patient),
        },
    )


@patient_required
def my_move(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    cutoff = CentreSettings.current().patient_change_cutoff_hours
    if not _changeable(appointment, cutoff):
        messages.error(
            request,
            _("Moins de %(h)s heures avant le rendez-vous : appelez le secrétariat.")
            % {"h": cutoff},
        )
        return redirect("portal:my_appointments")
    error = ""
    chosen = request.POST.get("slot", "")
    if request.method == "POST":
        try:
            slot = resolve_slot(chosen)
            appointment_move(
                appointment=appointment,
                start=slot.start,
                room=slot.room,
                radiologist=slot.radiologist,
                actor=request.user,
                reason="patient",
            )
        except BookingError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Votre rendez-vous a été déplacé."))
            return redirect("portal:my_appointments")
    earliest = timezone.now() + timedelta(hours=cutoff)
    options = earliest_slots(
        procedure=appointment.procedure,
        patient=appointment.patient,
        kind=appointment.kind,
        request=appointment.request,
        not_before=earliest,
        limit=12,
        actor=request.user,
    )
    crisis_notice = ""
    if not options and appointment.kind == AppointmentKind.PROCEDURE:
        crisis_notice = crisis_refusal(appointment.request, request.user)
    return render(
        request,
        "portal/my_move.html",
        {
            "a": appointment,
            "crisis_notice": crisis_notice,
            "options": [(slot_value(o.start, o.room.pk, o.radiologist.pk), o) for o in options],
            "chosen": chosen,
            "slot_error": error,
        },
    )


@patient_required
def my_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    cutoff = CentreSettings.current().patient_change_cutoff_hours
    if not _changeable(appointment, cutoff):
        messages.error(
            request,
            _("Moins de %(h)s heures avant le rendez-vous : appelez le secrétariat.")
            % {"h": cutoff},
        )
        return redirect("portal:my_appointments")
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_cancel(
                appointment=appointment, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Votre rendez-vous est annulé."))
            return redirect("portal:my_appointments")
    return render(request, "portal/my_cancel.html", {"a": appointment, "form": form})


@patient_required
def my_ics(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    response = HttpResponse(appointment_ics(appointment), content_type="text/calendar")
    response["Content-Disposition"] = 'attachment; filename="rendez-vous.ics"'
    return response


@patient_required
@require_POST
def my_waitlist_join(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _own_appointment(request, appointment_id)
    if appointment.request is None:
        raise Http404
    try:
        waitlist_join(request=appointment.request, actor=request.user)
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("C'est noté : nous vous proposerons un créneau plus proche s'il se libère.")
        )
    return redirect("portal:my_appointments")


@patient_required
@require_POST
def my_offer(request: HttpRequest, offer_id: int) -> HttpResponse:
    patient = own_patient(request.user)
    offer = WaitlistOffer.objects.filter(pk=offer_id, entry__patient=patient).first()
    if offer is None:
        raise Http404
    if request.POST.get("answer") == "accept":
        try:
            offer_accept(offer=offer, actor=request.user)
        except BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Votre rendez-vous est avancé."))
    else:
        offer_decline(offer=offer, actor=request.user)
        messages.success(request, _("Proposition refusée. Votre rendez-vous est inchangé."))
    return redirect("portal:my_appointments")


@patient_required
@require_POST
def my_waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    patient = own_patient(request.user)
    entry = WaitlistEntry.objects.filter(
        pk=entry_id, patient=patient, status=WaitlistStatus.WAITING
    ).first()
    if entry is None:
        raise Http404
    waitlist_leave(entry=entry, actor=request.user)
    messages.success(
        request, _("Vous êtes retiré de la liste d'attente. Votre rendez-vous est inchangé.")
    )
    return redirect("portal:my_appointments")
