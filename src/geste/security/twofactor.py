"""Two-factor authentication: TOTP (an authenticator app) with recovery codes.

Devices, tokens and throttling are django-otp's; enrolment, the QR code, recovery codes and the
account page are django-two-factor-auth's views (mounted by `urls.py` here, with audit events
added). The password step stays the project's own login page: after it the session is
authenticated but not *verified*, and `TwoFactorMiddleware` lets such a session reach only the
code page (a user with a device) or enrolment (staff without one, when GESTE_STAFF_2FA is
`required`). This is django-otp's own pattern (`OTPMiddleware`, `user.is_verified()`).
"""

from __future__ import annotations

from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor import views as tf_views
from two_factor.utils import get_otpauth_url

from geste.audit.actions import AuditAction
from geste.audit.services import log_action
from geste.clinic.models import STAFF_ROLES

REQUIRED = "required"
OPTIONAL = "optional"


def staff_must_enrol(user: Any) -> bool:
    return getattr(user, "role", None) in STAFF_ROLES and settings.GESTE_STAFF_2FA == REQUIRED


# Whether the session's user has a confirmed device, worked out at login (user_logged_in) and
# kept in the session, so that the gate does not query the device tables on every request.
SESSION_HAS_DEVICE = "geste_2fa_device"


def has_device(user: Any) -> bool:
    return django_otp.user_has_device(user, confirmed=True)


def session_has_device(request: HttpRequest) -> bool:
    known = request.session.get(SESSION_HAS_DEVICE)
    if known is None:
        known = request.session[SESSION_HAS_DEVICE] = has_device(request.user)
    return bool(known)


class LoginCodeForm(forms.Form):
    """One field for either a 6-digit code from the app or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.device: TOTPDevice | StaticDevice | None = None

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        # An app's code is digits only; recovery codes (django-otp StaticToken) have letters.
        model = TOTPDevice if code.isdigit() else StaticDevice
        device = model.objects.filter(user=self.user, confirmed=True).first()
        if device is None:
            raise forms.ValidationError(_("Code incorrect."), code="invalid")
        allowed, _extra = device.verify_is_allowed()
        if not allowed:
            # django-otp's throttling: each failure doubles the wait before the next try.
            raise forms.ValidationError(
                _("Trop d'essais. Patientez un moment avant de réessayer."), code="throttled"
            )
        if not device.verify_token(code):
            raise forms.ValidationError(_("Code incorrect."), code="invalid")
        self.device = device
        return code


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@never_cache
@login_required
def login_code(request: HttpRequest) -> HttpResponseBase:
    """Second step of the login: the code from the app, or a recovery code."""
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(_safe_next(request))
    if not has_device(user):
        return redirect(
            reverse("two_factor:setup") if staff_must_enrol(user) else _safe_next(request)
        )
    form = LoginCodeForm(user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            assert form.device is not None
            django_otp.login(request, form.device)
            log_action(
                actor=user,  # type: ignore[arg-type]
                action=AuditAction.AUTH_SECOND_FACTOR_PASSED,
                request=request,
                details={"method": "recovery" if isinstance(form.device, StaticDevice) else "totp"},
            )
            return redirect(_safe_next(request))
        log_action(actor=user, action=AuditAction.AUTH_SECOND_FACTOR_FAILED, request=request)  # type: ignore[arg-type]
    context = {"form": form, "next": request.GET.get(REDIRECT_FIELD_NAME, "")}
    return render(request, "geste/auth/login_code.html", context)


class SetupView(tf_views.SetupView):
    """Enrolment (QR code, then a first code from the app); audited."""

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form, **kwargs)
        if "otpauth_url" in context:
            # The name the app shows: ours, not the host name (no sites framework here).
            context["issuer"] = settings.OTP_TOTP_ISSUER
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), context["secret_key"], settings.OTP_TOTP_ISSUER
            )
        return context

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response = super().done(form_list, **kwargs)
        self.request.session[SESSION_HAS_DEVICE] = True
        log_action(
            actor=self.request.user,
            action=AuditAction.AUTH_TWO_FACTOR_ENABLED,
            request=self.request,
            details={"method": "totp"},
        )
        return response


class QRGeneratorView(tf_views.QRGeneratorView):
    def get_issuer(self) -> str:
        return str(settings.OTP_TOTP_ISSUER)


class BackupTokensView(tf_views.BackupTokensView):
    """Recovery codes: shown once generated, each valid once; audited (never the codes)."""

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        log_action(
            actor=self.request.user,
            action=AuditAction.AUTH_RECOVERY_CODES,
            request=self.request,
            details={"count": self.number_of_tokens},
        )
        return response


@method_decorator(login_required, name="dispatch")
class DisableView(tf_views.DisableView):
    """Patients may drop their second factor; staff may not while it is required."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if staff_must_enrol(request.user):
            messages.error(
                request,
                _("La double authentification est obligatoire pour l'équipe."),
            )
            return redirect("two_factor:profile")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        self.request.session[SESSION_HAS_DEVICE] = False
        log_action(
            actor=self.request.user,
            action=AuditAction.AUTH_TWO_FACTOR_DISABLED,
            request=self.request,
        )
        return response
