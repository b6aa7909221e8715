"""Django's admin is for administrators only: everyone else gets a 404 there."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from geste.clinic.models import Role


class AdminOnlyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/"):
            user = request.user
            if user.is_authenticated and getattr(user, "role", None) != Role.ADMINISTRATOR:
                raise Http404
        return self.get_response(request)
