"""Authorisation helpers: roles as TextChoices, one fetch-and-authorise helper per object kind.

"Missing" and "not yours" both give 404, so that ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from geste.clinic.models import STAFF_ROLES, Role

F = TypeVar("F", bound=Callable[..., HttpResponse])


def has_role(user: Any, roles: Iterable[str]) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in set(roles)


def role_required(*roles: str) -> Callable[[F], F]:
    """Anonymous users go to the login page; a logged-in user without the role gets 403."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(user, "role", None) not in allowed or not user.is_active:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


staff_required = role_required(*STAFF_ROLES)
patient_required = role_required(Role.PATIENT)
clinician_required = role_required(Role.RADIOLOGIST, Role.ADMINISTRATOR)
