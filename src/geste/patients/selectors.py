"""Reads of declarations and lab results."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from geste.clinic.models import CentreSettings
from geste.patients.models import Declaration, LabResult, Patient
from geste.rules.drugs import DRUG_CHOICES


def fresh_declaration(patient: Patient, *, before: datetime) -> Declaration | None:
    """The latest questionnaire still valid for a procedure at `before` (centre setting)."""
    days = CentreSettings.current().questionnaire_max_age_days
    return (
        Declaration.objects.filter(patient=patient, answered_at__gte=before - timedelta(days=days))
        .prefetch_related("medications")
        .order_by("-answered_at")
        .first()
    )


def lab_results(patient: Patient) -> list[LabResult]:
    return list(LabResult.objects.filter(patient=patient).order_by("-sampled_at")[:20])


def asks_pregnancy(patient: Patient, day: date, *, centre: CentreSettings | None = None) -> bool:
    """Where the engine asks (safety-check.md, decision 11): sex F or X, aged within the
    centre's childbearing ages (inclusive) on `day`. `centre`: the settings, read once by a
    caller that asks for many patients."""
    return asks_pregnancy_of(patient.sex, patient.birth_date, day, centre=centre)


def asks_pregnancy_of(
    sex: str, birth_date: date, day: date, *, centre: CentreSettings | None = None
) -> bool:
    """`asks_pregnancy` from a row's sex and birth date (a worklist of a thousand patients
    reads rows, not Patient instances)."""
    if sex == "M":
        return False
    s = centre or CentreSettings.current()
    age = day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    return s.childbearing_age_min <= age <= s.childbearing_age_max


def latest_declaration(patient: Patient) -> Declaration | None:
    """The last questionnaire, whatever its age (to prefill a new one; history is kept)."""
    return (
        Declaration.objects.filter(patient=patient)
        .prefetch_related("medications")
        .order_by("-answered_at", "-pk")
        .first()
    )


def declaration_initial(decl: Declaration | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The last answers as initial values of a new questionnaire (pregnancy left out: it is
    never pre-set)."""
    if decl is None:
        return {}, []

    def yn(value: bool | None) -> str:
        return "yes" if value else "no"

    answers = {
        "takes_anticoagulant": yn(decl.takes_anticoagulant),
        "allergies": list(decl.allergies or []),
        "allergy_details": decl.allergy_details,
        "fever": yn(decl.fever),
        "current_infection": yn(decl.current_infection),
        "infection_details": decl.infection_details,
        "skin_lesion_at_site": yn(decl.skin_lesion_at_site),
        "creatinine_clearance_ml_min": decl.creatinine_clearance_ml_min,
    }
    meds = []
    known = {value for value, _label in DRUG_CHOICES}
    for m in decl.medications.all():
        row: dict[str, Any] = {"last_dose_at": m.last_dose_at, "dose": m.dose}
        if m.drug in known:
            row["drug"] = m.drug
        else:
            row["other_drug"] = m.drug
        meds.append(row)
    return answers, meds


def lab_duplicates(patient: Patient) -> list[LabResult]:
    """Results entered more than once for the same sample (same sampling minute)."""
    seen: dict[datetime, LabResult] = {}
    dupes: list[LabResult] = []
    for lab in LabResult.objects.filter(patient=patient).order_by("sampled_at", "pk"):
        key = lab.sampled_at.replace(second=0, microsecond=0)
        if key in seen:
            dupes.append(lab)
        else:
            seen[key] = lab
    return dupes
