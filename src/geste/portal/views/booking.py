"""Public booking, "Prendre rendez-vous" (issue 4, point 3).

Step 1: a procedure from a plain-language list. Step 2: a consultation slot; a visitor who is
not logged in creates the patient account (identity, e-mail, password) on the same page. The
booking creates the request and moves it to consultation_booked (in appointment_book).

No account enumeration (issue 12, point 3): being a patient of a spine centre is health data,
so a visitor's sign-up ends on the same "check your e-mail" page whether the address is new or
already has an account. A new address gets its account, its booking and a confirmation
e-mail; a known one gets nothing booked and a message to the address's owner ("someone tried
to create an account with your address"). Both paths hash the password once, so the answer
takes the same time. The visitor is not logged in by the sign-up (a session cookie would tell
the two apart); the e-mail says to log in. Anonymous sign-up POSTs are rate-limited per
address (GESTE_RATE_SIGNUP) on the shared cache.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from geste.audit.services import log_action
from geste.clinic.messages import message_send, site_link
from geste.clinic.models import MessageKind, Procedure, Role, Site, User
from geste.clinic.selectors import site_zone
from geste.pathway.booking import appointment_book, earliest_slots
from geste.pathway.services import request_for_consultation
from geste.patients.models import Patient
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import SignupForm, slot_value
from geste.scheduling.models import Appointment, AppointmentKind
from geste.scheduling.selectors import SlotOption, resolve_slot
from geste.security.ratelimit import client_key, hit, too_many

SLOTS_SHOWN = 12


def centre_phone() -> str:
    """The centre's number for a patient who needs help choosing (the first site with one)."""
    return (
        Site.objects.exclude(phone="").order_by("pk").values_list("phone", flat=True).first() or ""
    )


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
    return render(
        request, "portal/book_start.html", {"procedures": procedures, "phone": centre_phone()}
    )


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
        if form is not None:
            retry = hit("signup", client_key(request), settings.GESTE_RATE_SIGNUP)
            if retry is not None:
                return too_many(request, retry)
        try:
            slot = resolve_slot(chosen)
        except BookingError as exc:
            slot, slot_error = None, str(exc)
        if form is not None and not form.is_valid():
            pass
        elif slot is not None and form is not None:
            try:
                _signup(request, procedure, form, slot)
            except BookingError as exc:
                slot_error = str(exc)
            else:
                return render(request, "portal/signup_check_email.html", {})
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
            "phone": centre_phone(),
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
            actor: Any = new_user
        else:
            actor = request.user
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
            # A new account's sign-up e-mail says it (and its login); one message, not two.
            tell_patient=new_user is None,
        )
    if new_user is not None:
        booked = appointment.pk
        transaction.on_commit(lambda: _mail_booked(booked))
    return appointment


def _signup(request: HttpRequest, procedure: Procedure, form: SignupForm, slot: SlotOption) -> None:
    """A visitor's sign-up: the same outcome for a new and a known address (module doc)."""
    email = form.cleaned_data["email"]
    if not form.address_known():
        try:
            _book(request, procedure, None, form, slot)
            return
        except IntegrityError:
            pass  # the address was taken between the check and the insert: a known address
    make_password(form.cleaned_data["password1"])  # the same work as a new account
    owner = User.objects.filter(email__iexact=email).first() or (
        User.objects.filter(username__iexact=email).first()
    )
    with transaction.atomic():
        log_action(
            actor=None,
            action="patient.signup_known_address",
            obj=owner,
            patient=Patient.objects.filter(user=owner).first() if owner else None,
            request=request,
        )
        transaction.on_commit(lambda: _mail_known_address(request, email))


def _login_url() -> str:
    # The site's own address (settings.SITE_URL), never the Host header of the visitor's request.
    return site_link(reverse("login"))


def _mail_booked(appointment_id: int) -> None:
    """A new account's one booking message: by e-mail only (an SMS to the number typed in
    would tell a visitor whether the address was new, see the module doc), recorded as a
    SentMessage like every message to a patient. The date and the centre's time; no
    procedure type in a message to a patient."""
    appointment = (
        Appointment.objects.select_related("patient", "room__site")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return
    local = appointment.start.astimezone(site_zone(appointment.room.site.time_zone))
    body = _(
        "Bonjour,\n\nVotre compte patient est créé et votre consultation est réservée le "
        "%(when)s.\nConnectez-vous pour la retrouver et préparer votre venue : %(url)s\n"
    ) % {"when": local.strftime("%d/%m/%Y à %H:%M"), "url": _login_url()}
    message_send(
        patient_or_address=appointment.patient,
        kind=MessageKind.BOOKED,
        subject=_("Votre compte et votre rendez-vous"),
        body=body,
        sms=False,
    )


def _mail_known_address(request: HttpRequest, email: str) -> None:
    body = _(
        "Bonjour,\n\nQuelqu'un a essayé de créer un compte patient avec votre adresse e-mail. "
        "Votre adresse a déjà un compte : aucun nouveau compte n'a été créé et rien n'a été "
        "réservé.\nSi c'était vous, connectez-vous : %(login)s\nou choisissez un nouveau mot "
        "de passe : %(reset)s\nSinon, vous pouvez ignorer ce message.\n"
    ) % {
        "login": _login_url(),
        "reset": site_link(reverse("password_reset")),
    }
    send_mail(_("Tentative de création de compte avec votre adresse"), body, None, [email])


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
