"""Public booking, "Prendre rendez-vous" (issue 4, point 3).

Step 1: a procedure from a plain-language list. Step 2: a consultation slot; a visitor who is
not logged in creates the patient account (identity, e-mail, password) on the same page. The
booking creates the request and moves it to consultation_booked (in appointment_book)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from geste.audit.services import log_action
from geste.clinic.models import Procedure, Role, User
from geste.pathway.booking import appointment_book, earliest_slots
from geste.pathway.services import request_for_consultation
from geste.patients.models import Patient
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import SignupForm, slot_value
from geste.scheduling.models import AppointmentKind
from geste.scheduling.selectors import SlotOption, resolve_slot

SLOTS_SHOWN = 12


def _visitor_patient(request: HttpRequest) -> Patient | None:
    user = request.user
    if not user.is_authenticated:
        return None
    if getattr(user, "role", None) != Role.PATIENT:
        raise PermissionDenied
    return Patient.objects.filter(user=user).first()


def book_start(request: HttpRequest) -> HttpResponse:
    _visitor_patient(request)  # staff are sent away (403): they book from the planner
    procedures = Procedure.objects.filter(enabled=True)
    code = request.GET.get("acte")
    if code and procedures.filter(code=code).exists():
        return redirect("portal:book_slot", code=code)
    return render(request, "portal/book_start.html", {"procedures": procedures})


def _options(procedure: Procedure, patient: Patient | None, after: datetime | None) -> list[Any]:
    return earliest_slots(
        procedure=procedure,
        patient=patient,
        kind=AppointmentKind.CONSULTATION,
        not_before=after,
        limit=SLOTS_SHOWN,
    )


@require_http_methods(["GET", "POST"])
def book_slot(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(Procedure, code=code, enabled=True)
    patient = _visitor_patient(request)
    after = None
    if request.GET.get("apres"):
        try:
            after = datetime.fromisoformat(request.GET["apres"])
        except ValueError:
            raise Http404 from None
        if after.tzinfo is None:
            raise Http404
    form = SignupForm(request.POST or None) if patient is None else None
    slot_error = ""
    chosen = request.POST.get("slot", "")
    if request.method == "POST":
        try:
            slot = resolve_slot(chosen)
        except BookingError as exc:
            slot, slot_error = None, str(exc)
        if form is not None and not form.is_valid():
            pass
        elif slot is not None:
            try:
                appointment = _book(request, procedure, patient, form, slot)
            except BookingError as exc:
                slot_error = str(exc)
            else:
                messages.success(
                    request,
                    _("Votre consultation est réservée le %(when)s.")
                    % {"when": timezone.localtime(appointment.start).strftime("%d/%m/%Y à %H:%M")},
                )
                return redirect("portal:my_appointments")
    options = _options(procedure, patient, after)
    return render(
        request,
        "portal/book_slot.html",
        {
            "procedure": procedure,
            "options": [(slot_value(o.start, o.room.pk, o.radiologist.pk), o) for o in options],
            "chosen": chosen,
            "slot_error": slot_error,
            "form": form,
            "video": request.POST.get("video") == "on",
            "next_after": options[-1].start.isoformat() if options else "",
        },
    )


def _book(
    request: HttpRequest,
    procedure: Procedure,
    patient: Patient | None,
    form: SignupForm | None,
    slot: SlotOption,
) -> Any:
    with transaction.atomic():
        # All or nothing: an account is only created together with its booking.
        new_user = None
        if patient is None:
            assert form is not None
            new_user, patient = _create_account(form)
        actor: Any = new_user or request.user
        req = request_for_consultation(patient=patient, procedure=procedure, actor=actor)
        appointment = appointment_book(
            patient=patient,
            kind=AppointmentKind.CONSULTATION,
            procedure=procedure,
            start=slot.start,
            room=slot.room,
            radiologist=slot.radiologist,
            actor=actor,
            request=req,
            video=request.POST.get("video") == "on",
        )
    if new_user is not None:
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
    return appointment


def _create_account(form: SignupForm) -> tuple[User, Patient]:
    data = form.cleaned_data
    user = User.objects.create_user(
        username=data["email"],
        email=data["email"],
        password=data["password1"],
        first_name=data["first_names"],
        last_name=data["last_name"],
        role=Role.PATIENT,
    )
    patient = Patient.objects.create(
        user=user,
        last_name=data["last_name"],
        birth_name=data.get("birth_name") or data["last_name"],
        first_names=data["first_names"],
        birth_date=data["birth_date"],
        sex=data["sex"],
        phone=data.get("phone", ""),
        email=data["email"],
    )
    log_action(actor=user, action="patient.signed_up", obj=patient, patient=patient)
    return user, patient
