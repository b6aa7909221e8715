"""The pre-procedure questionnaire (patients.forms.DeclarationForm) and its answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geste.api.fhir.mappers.common import instant, ref
from geste.patients.forms import ALLERGY_CHOICES
from geste.patients.models import Declaration

QUESTIONNAIRE_ID = "pre-procedure"
CANONICAL = "urn:geste:questionnaire:pre-procedure"
BOOLEANS = ("takes_anticoagulant", "fever", "current_infection", "skin_lesion_at_site")
TEXTS = ("allergy_details", "infection_details")
LABELS = {
    "pregnant": "Êtes-vous enceinte, ou pourriez-vous l'être ?",
    "takes_anticoagulant": "Prenez-vous un anticoagulant ou un antiagrégant ?",
    "allergies": "Allergies connues",
    "allergy_details": "Précisions sur les allergies",
    "fever": "Avez-vous de la fièvre en ce moment ?",
    "current_infection": "Avez-vous une infection en cours ?",
    "infection_details": "Laquelle ?",
    "skin_lesion_at_site": "Plaie ou lésion de la peau à l'endroit de la piqûre ?",
    "creatinine_clearance_ml_min": "Clairance de la créatinine (mL/min)",
    "medications": "Médicaments anticoagulants ou antiagrégants",
    "medications.drug": "Médicament",
    "medications.last_dose_at": "Dernière prise",
    "medications.dose": "Dose",
}
PREGNANCY_SYSTEM = "urn:geste:answer:pregnancy"
ALLERGY_SYSTEM = "urn:geste:answer:allergy"
DOSE_SYSTEM = "urn:geste:answer:dose"


def _options(system: str, codes: list[str]) -> list[dict[str, Any]]:
    return [{"valueCoding": {"system": system, "code": c}} for c in codes]


def questionnaire() -> dict[str, Any]:
    def item(link: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {"linkId": link, "text": LABELS[link], "type": kind, **extra}

    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": CANONICAL,
        "name": "PreProcedureQuestionnaire",
        "title": "Questionnaire avant le geste",
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            item(
                "pregnant",
                "choice",
                required=True,
                answerOption=_options(PREGNANCY_SYSTEM, ["yes", "no", "unknown"]),
            ),
            *(item(k, "boolean", required=True) for k in BOOLEANS),
            item(
                "allergies",
                "choice",
                repeats=True,
                answerOption=_options(ALLERGY_SYSTEM, [c for c, _ in ALLERGY_CHOICES]),
            ),
            *(item(k, "string") for k in TEXTS),
            item("creatinine_clearance_ml_min", "decimal"),
            item(
                "medications",
                "group",
                repeats=True,
                item=[
                    item("medications.drug", "string", required=True),
                    item("medications.last_dose_at", "dateTime", required=True),
                    item(
                        "medications.dose",
                        "choice",
                        answerOption=_options(DOSE_SYSTEM, ["prophylactic", "therapeutic"]),
                    ),
                ],
            ),
        ],
    }


def _answer(link: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link, "text": LABELS[link], "answer": [value]}


def response(d: Declaration) -> dict[str, Any]:
    pregnant = "unknown" if d.pregnant is None else ("yes" if d.pregnant else "no")
    items = [_answer("pregnant", {"valueCoding": {"system": PREGNANCY_SYSTEM, "code": pregnant}})]
    items += [_answer(k, {"valueBoolean": bool(getattr(d, k))}) for k in BOOLEANS]
    if d.allergies:
        items.append(
            {
                "linkId": "allergies",
                "text": LABELS["allergies"],
                "answer": [
                    {"valueCoding": {"system": ALLERGY_SYSTEM, "code": a}} for a in d.allergies
                ],
            }
        )
    items += [_answer(k, {"valueString": getattr(d, k)}) for k in TEXTS if getattr(d, k)]
    if d.creatinine_clearance_ml_min is not None:
        items.append(
            _answer("creatinine_clearance_ml_min", {"valueDecimal": d.creatinine_clearance_ml_min})
        )
    for med in d.medications.all():
        group = [
            _answer("medications.drug", {"valueString": med.drug}),
            _answer("medications.last_dose_at", {"valueDateTime": instant(med.last_dose_at)}),
        ]
        if med.dose:
            group.append(
                _answer(
                    "medications.dose", {"valueCoding": {"system": DOSE_SYSTEM, "code": med.dose}}
                )
            )
        items.append({"linkId": "medications", "text": LABELS["medications"], "item": group})
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(d.pk),
        "questionnaire": CANONICAL,
        "status": "completed",
        "subject": ref("Patient", d.patient_id),
        "authored": instant(d.answered_at),
        "item": items,
    }
    if d.request_id:
        out["basedOn"] = [ref("ServiceRequest", d.request_id)]
    return out


def answers_from(model: Any) -> tuple[dict[str, Any], list[tuple[str, datetime, str]]]:
    """Declaration fields and medications from an R4B QuestionnaireResponse model.

    Raises KeyError naming the linkId of a required answer that is missing.
    """
    found: dict[str, Any] = {}
    meds: list[tuple[str, datetime, str]] = []
    for item in model.item or []:
        if item.linkId == "medications":
            sub = {i.linkId: (i.answer or [None])[0] for i in item.item or []}
            drug, at, dose = (
                sub.get("medications.drug"),
                sub.get("medications.last_dose_at"),
                sub.get("medications.dose"),
            )
            if drug is None or at is None:
                raise KeyError("medications")
            meds.append(
                (drug.valueString or "", at.valueDateTime, dose.valueCoding.code if dose else "")
            )
            continue
        found[item.linkId] = item.answer or []
    answers: dict[str, Any] = {}
    pregnancy = found.get("pregnant")
    if not pregnancy:
        raise KeyError("pregnant")
    code = pregnancy[0].valueCoding.code if pregnancy[0].valueCoding else None
    answers["pregnant"] = {"yes": True, "no": False}.get(code or "")
    for k in BOOLEANS:
        if not found.get(k) or found[k][0].valueBoolean is None:
            raise KeyError(k)
        answers[k] = bool(found[k][0].valueBoolean)
    answers["allergies"] = [a.valueCoding.code for a in found.get("allergies", []) if a.valueCoding]
    for k in TEXTS:
        answers[k] = (found[k][0].valueString or "")[:200] if found.get(k) else ""
    clearance = found.get("creatinine_clearance_ml_min")
    answers["creatinine_clearance_ml_min"] = (
        float(clearance[0].valueDecimal)
        if clearance and clearance[0].valueDecimal is not None
        else None
    )
    return answers, meds
