"""The procedure record is complete and consistent, or refused naming the field (issue 10,
point 7). The service (`services_day.procedure_record_create`) calls `record_check`; the form
shows the same errors on its fields.

- the contrast confirmation the catalogue names for the procedure (epidurography for an
  epidural, arthrography for a facet or joint injection), or a written reason for none;
- contrast and drug chosen from the centre formulary, with a dose within its maximum; the
  infiltrations always carry a corticosteroid; never gadolinium intrathecally; an iodinated
  product for a patient who declared the allergy only if the signed prescription kept it with
  a written reason;
- fluoroscopy time and dose-area product both given and consistent (both zero only without
  fluoroscopy), the reference air kerma when known;
- asepsis ticked by the operator (never pre-ticked).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from geste.clinic.models import ContrastConfirmation
from geste.pathway.formulary import (
    CONTRAST_KINDS,
    FormularyKind,
    PrescriptionItem,
    particulate_forbidden,
)
from geste.pathway.models import ProcedureRequest
from geste.pathway.prescriptions import (
    MIN_REASON,
    PARTICULATE_REFUSED,
    STEROID_PROCEDURES,
    contrast_allergy,
)
from geste.rules.case import default_region

_CONFIRMATIONS = {ContrastConfirmation.ARTHROGRAPHY, ContrastConfirmation.EPIDUROGRAPHY}


class RecordError(ValidationError):
    """The record refused; `message_dict` maps each field to what is wrong with it."""


def _dose_errors(item: Any, dose: float | None, field: str, errors: dict[str, str]) -> None:
    if dose is None or dose <= 0:
        errors[field] = _("Indiquez la dose.")
    elif dose > item.max_dose:
        errors[field] = _("Au-delà du maximum du formulaire (%(max)g %(unit)s).") % {
            "max": item.max_dose,
            "unit": item.unit,
        }


def _contrast_errors(request: ProcedureRequest, v: dict[str, Any], errors: dict[str, str]) -> None:
    expected = request.procedure.contrast_confirmation
    done = v.get("confirmation") or ""
    reason = (v.get("confirmation_none_reason") or "").strip()
    if done and done not in _CONFIRMATIONS:
        errors["confirmation"] = _("Contrôle inconnu.")
    elif expected in _CONFIRMATIONS and done and done != expected:
        errors["confirmation"] = _("Pour ce geste, le contrôle attendu est : %(c)s.") % {
            "c": ContrastConfirmation(expected).label
        }
    elif expected in _CONFIRMATIONS and not done and len(reason) < MIN_REASON:
        errors["confirmation_none_reason"] = _(
            "Sans %(c)s, écrivez pourquoi (au moins %(n)s caractères)."
        ) % {"c": str(ContrastConfirmation(expected).label).lower(), "n": MIN_REASON}
    item = v.get("contrast_item")
    if item is None:
        if done:
            errors["contrast_item"] = _("Indiquez le produit de contraste du formulaire.")
        return
    if item.kind not in CONTRAST_KINDS:
        errors["contrast_item"] = _("Ce produit n'est pas un produit de contraste.")
        return
    if item.kind == FormularyKind.GADOLINIUM and request.procedure.code == "intrathecal_injection":
        errors["contrast_item"] = _("Jamais de gadolinium par voie intrathécale.")
    if item.kind == FormularyKind.IODINATED and contrast_allergy(request.patient):
        kept = PrescriptionItem.objects.filter(
            prescription__request=request,
            prescription__signed_at__isnull=False,
            formulary=item,
        ).exclude(override_reason="")
        if not kept.exists():
            errors["contrast_item"] = _(
                "Allergie aux produits iodés déclarée : produit iodé non prescrit avec motif ; "
                "utilisez l'alternative (gadolinium)."
            )
    _dose_errors(item, v.get("contrast_volume_ml"), "contrast_volume_ml", errors)


def _drug_errors(request: ProcedureRequest, v: dict[str, Any], errors: dict[str, str]) -> None:
    item = v.get("drug_item")
    if item is None:
        if request.procedure.code in STEROID_PROCEDURES:
            errors["drug_item"] = _("Indiquez le corticoïde injecté (formulaire du centre).")
        return
    if item.kind in CONTRAST_KINDS:
        errors["drug_item"] = _("Le contraste se saisit dans son propre champ.")
        return
    if request.procedure.code in STEROID_PROCEDURES and item.kind != FormularyKind.CORTICOSTEROID:
        errors["drug_item"] = _("Pour une infiltration, le produit injecté est un corticoïde.")
        return
    code = request.procedure.code
    if particulate_forbidden(item, code, request.region or default_region(code)):
        errors["drug_item"] = str(PARTICULATE_REFUSED)
        return
    _dose_errors(item, v.get("drug_dose_mg"), "drug_dose_mg", errors)


def _dose_record_errors(v: dict[str, Any], errors: dict[str, str]) -> None:
    seconds, dap, rak = (
        v.get("fluoroscopy_s"),
        v.get("dap_mgy_cm2"),
        v.get("reference_air_kerma_mgy"),
    )
    if seconds is None:
        errors["fluoroscopy_s"] = _("Indiquez le temps de scopie.")
    if dap is None:
        errors["dap_mgy_cm2"] = _("Indiquez le produit dose-surface.")
    if seconds is None or dap is None:
        return
    if seconds > 0 and dap <= 0:
        errors["dap_mgy_cm2"] = _("Scopie sans dose : vérifiez le produit dose-surface.")
    elif dap > 0 and seconds == 0:
        errors["fluoroscopy_s"] = _("Dose sans scopie : vérifiez le temps de scopie.")
    if rak is not None and rak > 0 and seconds == 0:
        errors["reference_air_kerma_mgy"] = _("Kerma sans scopie : vérifiez les valeurs.")


def record_check(request: ProcedureRequest, values: dict[str, Any]) -> dict[str, Any]:
    """The values to store, or RecordError naming each wrong field."""
    v = dict(values)
    errors: dict[str, str] = {}
    for field, message in (
        ("route", _("Indiquez la voie d'abord.")),
        ("levels", _("Indiquez le ou les niveaux.")),
        ("side", _("Indiquez le côté.")),
    ):
        if not str(v.get(field) or "").strip():
            errors[field] = message
    if v.get("asepsis") is not True:
        errors["asepsis"] = _("Cochez l'asepsie chirurgicale (jamais cochée d'avance).")
    _contrast_errors(request, v, errors)
    _drug_errors(request, v, errors)
    _dose_record_errors(v, errors)
    if errors:
        raise RecordError({k: [m] for k, m in errors.items()})
    # The names printed in the report come from the formulary.
    v["contrast_product"] = v["contrast_item"].product if v.get("contrast_item") else ""
    v["drug"] = v["drug_item"].product if v.get("drug_item") else ""
    if not v.get("drug_item"):
        v["drug_dose_mg"] = None
    if not v.get("contrast_item"):
        v["contrast_volume_ml"] = None
    return v
