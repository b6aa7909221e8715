"""Panels shared by the staff pages where decisions are made (issue 10, points 3 and 5):
`{% flags_panel req %}` (the patient's answers, in her own words) on the consultation and
validation page and on the time-out; `{% instructions_panel req %}` (what the patient was told
to do, the same service as her "Préparer mon geste") on the request page. A tag each, so that a
page includes a panel with one line and no view has to prepare its data."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from geste.pathway.clearances import ClearanceCategory
from geste.pathway.instructions import instructions_for
from geste.pathway.models import ProcedureRequest
from geste.patients.forms import ALLERGY_CHOICES
from geste.patients.selectors import asks_pregnancy, lab_duplicates, latest_declaration

register = template.Library()
_ALLERGY_LABELS = dict(ALLERGY_CHOICES)


def _pregnancy(req: ProcedureRequest, decl: Any) -> dict[str, Any]:
    if req.pregnancy_checked_at is not None:
        return {"answer": req.pregnancy_checked_answer, "at": req.pregnancy_checked_at, "day": True}
    if decl is None:
        return {"answer": None, "at": None, "day": False}
    return {"answer": decl.pregnant, "at": decl.answered_at, "day": False}


@register.inclusion_tag("staff/_flags.html")
def flags_panel(req: ProcedureRequest) -> dict[str, Any]:
    decl = latest_declaration(req.patient)
    found = instructions_for(req)
    day = timezone.localtime(found.appointment_start or timezone.now())
    stop_by = {s.drug: s.last_dose_by for s in found.stops}
    meds = (
        [
            (m.drug, m.last_dose_at, m.get_dose_display(), stop_by.get(m.drug))
            for m in decl.medications.all()
        ]
        if decl is not None
        else []
    )
    return {
        "req": req,
        "decl": decl,
        "meds": meds,
        "allergies": [_ALLERGY_LABELS.get(a, a) for a in (decl.allergies if decl else [])],
        "asks_pregnancy": asks_pregnancy(req.patient, day.date()),
        "pregnancy": _pregnancy(req, decl),
        "duplicates": lab_duplicates(req.patient),
    }


@register.inclusion_tag("geste/_instructions_panel.html")
def instructions_panel(req: ProcedureRequest) -> dict[str, Any]:
    return {"found": instructions_for(req), "req": req}


@register.simple_tag
def clearance_categories() -> list[tuple[str, str]]:
    """The categories a review finding is cleared under (pathway.clearances)."""
    return [(value, str(label)) for value, label in ClearanceCategory.choices]
