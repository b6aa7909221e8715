"""Security middleware: the second factor's gate, idle staff sessions, no-store, policy headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from geste.audit.actions import AuditAction
from geste.audit.services import log_action
from geste.clinic.models import STAFF_ROLES
from geste.security.twofactor import session_has_device, staff_must_enrol

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class TwoFactorMiddleware:
    """A session past the password but not the second factor reaches only the code page (users
    with a device) or enrolment (staff without one while GESTE_STAFF_2FA is `required`).

    Goes after django_otp's OTPMiddleware, which gives `request.user.is_verified()`.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[union-attr,attr-defined]
            return self.get_response(request)
        path = request.path_info
        if path.startswith(_always_open()):
            return self.get_response(request)
        if session_has_device(request):
            target = reverse("two_factor:login_code")
        elif staff_must_enrol(user):
            if path.startswith(reverse("two_factor:profile")):
                return self.get_response(request)
            target = reverse("two_factor:setup")
        else:
            return self.get_response(request)
        if path == target:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD") or path.startswith("/api/"):
            return HttpResponseForbidden()
        return redirect(f"{target}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}")


def _always_open() -> tuple[str, ...]:
    return (reverse("logout"), settings.STATIC_URL or "/static/", "/i18n/")


class StaffIdleTimeoutMiddleware:
    """A staff session ends after GESTE_STAFF_IDLE_MINUTES without a request (a workstation
    left open in a shared room). Patients keep the normal session length."""

    SESSION_KEY = "geste_last_seen"
    # Write the session at most once a minute, not on every request.
    RESOLUTION = 60

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and getattr(user, "role", None) in STAFF_ROLES:
            now = int(time.time())
            last = request.session.get(self.SESSION_KEY)
            if last is not None and now - int(last) > settings.GESTE_STAFF_IDLE_MINUTES * 60:
                log_action(actor=user, action=AuditAction.AUTH_SESSION_EXPIRED, request=request)
                logout(request)
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": _("Session expirée.")}, status=401)
                messages.info(request, _("Votre session a expiré après une période d'inactivité."))
                return redirect_to_login(request.get_full_path())
            if last is None or now - int(last) >= self.RESOLUTION:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """`Cache-Control: no-store` on every response Django makes, and a Permissions-Policy.

    no-store: pages and files carry patient data (results, reports, the day's list); the
    simplest rule that cannot miss one is every dynamic response. Static files are served by
    WhiteNoise above this middleware and keep their long cache.
    """

    PERMISSIONS_POLICY = (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "browsing-topics=(), display-capture=()"
    )

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        return response
