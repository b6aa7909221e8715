"""Security middleware: the second factor's gate, idle staff sessions, no-store, policy headers."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse

from geste.security.twofactor import has_device, staff_must_enrol

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
        if has_device(user):
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
