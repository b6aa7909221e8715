"""Public pages: landing, login, and the role-based home redirect."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from geste.clinic.models import Procedure, Role


def landing(request: HttpRequest) -> HttpResponse:
    procedures = Procedure.objects.all()
    return render(request, "geste/landing.html", {"procedures": procedures})


class LoginView(auth_views.LoginView):
    template_name = "geste/auth/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own home page."""
    if request.user.role == Role.PATIENT:  # type: ignore[union-attr]
        return redirect("portal:home")
    return redirect("staff:home")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "geste/errors/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "geste/errors/404.html", status=404)
