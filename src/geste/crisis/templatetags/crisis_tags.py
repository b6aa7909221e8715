"""`{% patient_crisis_notice patient as deferrals %}`: the portal's crisis notice."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def patient_crisis_notice(patient: Any) -> list[Any]:
    if patient is None or getattr(patient, "pk", None) is None:
        return []
    from geste.crisis.selectors import patient_deferrals

    return list(patient_deferrals(patient))
