"""Authorisation helpers: roles as TextChoices, one fetch-and-authorise helper per object kind.

"Missing" and "not yours" both give 404, so that ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

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


def get_patient_for_user(user: Any, patient_id: int) -> Any:
    """A patient record the user may see: staff see all, a patient only their own."""
    from geste.patients.models import Patient

    if not getattr(user, "is_authenticated", False):
        raise Http404
    try:
        patient = Patient.objects.get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if user.role in STAFF_ROLES:
        return patient
    if user.role == Role.PATIENT and patient.user_id == user.pk:
        return patient
    raise Http404


def own_patient(user: Any) -> Any:
    """The Patient record of a logged-in patient (404 if the account has none)."""
    from geste.patients.models import Patient

    try:
        return Patient.objects.get(user=user)
    except Patient.DoesNotExist:
        raise Http404 from None
