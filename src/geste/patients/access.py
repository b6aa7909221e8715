"""Fetch and authorise a patient record in one step (DESIGN.md, house style 3): "missing" and
"not yours" both give 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from geste.clinic.models import STAFF_ROLES, Role
from geste.patients.models import Patient


def get_patient_for_user(user: Any, patient_id: int) -> Any:
    """A patient record the user may see: staff see all, a patient only their own."""
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
    try:
        return Patient.objects.get(user=user)
    except Patient.DoesNotExist:
        raise Http404 from None
