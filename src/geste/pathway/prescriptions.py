"""Prescriptions the radiologist controls (pathway.md step 3; issue 10, point 4).

At validation `prescriptions_write` proposes drafts: the hemostasis blood test when the safety
check will require it ("à réaliser avant le ..."), and the products of the procedure chosen
from the centre formulary (`FormularyItem.default_for`), gadolinium instead of iodinated
contrast for a patient who declared an iodinated-contrast allergy. The radiologist edits the
formulary lines (`prescription_item_add`, `prescription_item_remove`) and signs
(`prescription_sign`); a signed prescription never changes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from geste import PARIS
from geste.audit.services import log_action
from geste.clinic.models import CentreSettings, Role
from geste.pathway.adapters import case_from_request
from geste.pathway.formulary import (
    FormularyItem,
    FormularyKind,
    PrescriptionItem,
    particulate_forbidden,
)
from geste.pathway.models import Prescription, ProcedureRequest
from geste.pathway.records import PrescriptionKind
from geste.patients.models import Declaration
from geste.rules.case import default_region
from geste.rules.drugs import INN_CLASS, normalise_drug
from geste.rules.safety import is_high_risk

_VKA = frozenset(inn for inn, cls in INN_CLASS.items() if cls == "vka")
MIN_REASON = 10  # characters of a written override reason
# Procedures whose record carries a corticosteroid (the infiltrations).
STEROID_PROCEDURES = frozenset(
    {
        "epidural_infiltration",
        "foraminal_infiltration",
        "facet_infiltration",
        "discal_infiltration",
        "peripheral_joint_infiltration",
    }
)


PARTICULATE_REFUSED = _l(
    "Corticoïde particulaire : jamais par voie foraminale ni péridurale cervicale ; "
    "prescrivez la dexaméthasone (non particulaire)."
)


class PrescriptionError(ValidationError):
    """A prescription change refused; `message_dict` names the field when there is one."""


def hemostasis_required(request: ProcedureRequest) -> bool:
    """Same rule as the engine's hemostasis_missing: every high-risk procedure, and any
    procedure for a patient on a vitamin K antagonist."""
    code = request.procedure.code
    if is_high_risk(code, request.region or default_region(code)):
        return True
    case = case_from_request(request)
    return any(normalise_drug(m.drug) in _VKA for m in case.medications)


def contrast_allergy(patient: Any) -> bool:
    """The patient's latest questionnaire declares an iodinated-contrast allergy."""
    last = Declaration.objects.filter(patient=patient).order_by("-answered_at", "-pk").first()
    return last is not None and "iodinated_contrast" in (last.allergies or [])


def alternatives(item: FormularyItem) -> list[FormularyItem]:
    """What to propose instead of an iodinated product: the active gadolinium products."""
    if item.kind != FormularyKind.IODINATED:
        return []
    return list(FormularyItem.objects.filter(kind=FormularyKind.GADOLINIUM, active=True))


def _refuse_iodinated(item: FormularyItem) -> PrescriptionError:
    names = ", ".join(str(a) for a in alternatives(item)) or _("aucune au formulaire")
    return PrescriptionError(
        {
            "override_reason": _(
                "Allergie aux produits de contraste iodés déclarée : ligne refusée. "
                "Alternative proposée : %(alt)s. Pour la maintenir, écrivez le motif "
                "(au moins %(n)s caractères)."
            )
            % {"alt": names, "n": MIN_REASON}
        }
    )


def _proposal(request: ProcedureRequest) -> list[FormularyItem]:
    """Default formulary lines for the procedure: local anaesthetic, contrast (gadolinium
    when allergic), corticosteroid."""
    code = request.procedure.code
    allergic = contrast_allergy(request.patient)
    out: list[FormularyItem] = []
    seen: set[str] = set()
    for item in FormularyItem.objects.filter(active=True):
        if not item.defaults_for(code) or item.kind in seen:
            continue
        if allergic and item.kind == FormularyKind.IODINATED:
            continue
        if not allergic and item.kind == FormularyKind.GADOLINIUM:
            continue
        seen.add(item.kind)
        out.append(item)
    return out


def _free_lines(request: ProcedureRequest) -> list[str]:
    code = request.procedure.code
    lines = []
    if code.startswith("vertebroplasty"):
        lines.append(str(_("Kit de cimentoplastie (ciment acrylique), 1 unité")))
    if code in {"bone_biopsy", "tumor_ablation"}:
        lines.append(str(_("Matériel de biopsie/ablation selon le protocole, 1 unité")))
    lines.append(str(_("Pansements stériles, 1 boîte")))
    return lines


def blood_test_default_date(now: Any = None) -> Any:
    """Without a booked procedure: the day the blood-test lead leaves (the earliest day a
    procedure needing it can be booked, see prerequisites)."""
    now = now or timezone.now()
    lead = CentreSettings.current().blood_test_lead_days
    # No procedure booked, so no site yet: the centre's default zone.
    return now.astimezone(PARIS).date() + timedelta(days=lead)


def prescriptions_write(*, request: ProcedureRequest, actor: Any) -> list[Prescription]:
    """Draft prescriptions proposed at validation, for the radiologist to edit and sign."""
    out = []
    with transaction.atomic():
        if hemostasis_required(request):
            out.append(
                Prescription.objects.create(
                    request=request,
                    kind=PrescriptionKind.BLOOD_TEST,
                    prescriber=actor,
                    perform_before_default=blood_test_default_date(),
                    lines=[
                        str(_("Numération plaquettaire")),
                        str(_("TP / INR")),
                        str(_("TCA (ratio patient/témoin)")),
                    ],
                )
            )
        products = Prescription.objects.create(
            request=request,
            kind=PrescriptionKind.PRODUCTS,
            prescriber=actor,
            lines=_free_lines(request),
        )
        for item in _proposal(request):
            PrescriptionItem.objects.create(
                prescription=products,
                formulary=item,
                dose=item.dose,
                unit=item.unit,
                route=item.route,
                added_by=actor,
            )
        out.append(products)
        for p in out:
            log_action(
                actor=actor,
                action="prescription.written",
                obj=p,
                patient=request.patient,
                details={"kind": p.kind, "items": [i.formulary_id for i in p.items.all()]},
            )
    return out


def _editable(prescription: Prescription) -> None:
    if prescription.signed_at is not None:
        raise PrescriptionError(_("Ordonnance signée : elle ne se modifie plus."))


def _check_item(
    *, prescription: Prescription, item: FormularyItem, dose: float | None, reason: str
) -> None:
    if not item.active:
        raise PrescriptionError({"formulary": _("Ce produit n'est plus au formulaire.")})
    if dose is None or dose <= 0:
        raise PrescriptionError({"dose": _("Indiquez la dose.")})
    if dose > item.max_dose:
        raise PrescriptionError(
            {
                "dose": _("Dose au-delà du maximum du formulaire (%(max)g %(unit)s).")
                % {"max": item.max_dose, "unit": item.unit}
            }
        )
    req = prescription.request
    if particulate_forbidden(
        item, req.procedure.code, req.region or default_region(req.procedure.code)
    ):
        raise PrescriptionError({"formulary": PARTICULATE_REFUSED})
    if (
        item.kind == FormularyKind.IODINATED
        and contrast_allergy(prescription.request.patient)
        and len(reason.strip()) < MIN_REASON
    ):
        raise _refuse_iodinated(item)


def prescription_item_add(
    *,
    prescription: Prescription,
    formulary: FormularyItem,
    dose: float | None,
    actor: Any,
    route: str = "",
    override_reason: str = "",
) -> PrescriptionItem:
    """Add a formulary line to a draft. An iodinated product for a patient who declared an
    iodinated-contrast allergy is refused unless a reason is written (audited)."""
    _editable(prescription)
    if prescription.kind != PrescriptionKind.PRODUCTS:
        raise PrescriptionError(_("Les produits se prescrivent sur l'ordonnance des produits."))
    _check_item(prescription=prescription, item=formulary, dose=dose, reason=override_reason)
    assert dose is not None
    with transaction.atomic():
        line = PrescriptionItem.objects.create(
            prescription=prescription,
            formulary=formulary,
            dose=dose,
            unit=formulary.unit,
            route=route.strip() or formulary.route,
            override_reason=override_reason.strip(),
            added_by=actor,
        )
        log_action(
            actor=actor,
            action="prescription.item_added",
            obj=prescription,
            patient=prescription.request.patient,
            details={"formulary": formulary.pk, "dose": dose, "unit": formulary.unit},
        )
        if line.override_reason:
            log_action(
                actor=actor,
                action="prescription.allergy_overridden",
                obj=prescription,
                patient=prescription.request.patient,
                details={"formulary": formulary.pk},
            )
    return line


def prescription_item_remove(*, item: PrescriptionItem, actor: Any) -> None:
    _editable(item.prescription)
    with transaction.atomic():
        log_action(
            actor=actor,
            action="prescription.item_removed",
            obj=item.prescription,
            patient=item.prescription.request.patient,
            details={"formulary": item.formulary_id},
        )
        item.delete()


def prescription_sign(*, prescription: Prescription, actor: Any) -> Prescription:
    """A radiologist signs: every line is checked again (the allergy may have been declared
    since the line was written; a corticosteroid needs a name and a dose)."""
    _editable(prescription)
    if getattr(actor, "role", "") != Role.RADIOLOGIST:
        raise PrescriptionError(_("Seul un radiologue signe une ordonnance."))
    items = list(prescription.items.select_related("formulary"))
    for line in items:
        _check_item(
            prescription=prescription,
            item=line.formulary,
            dose=line.dose,
            reason=line.override_reason,
        )
    if (
        prescription.kind == PrescriptionKind.PRODUCTS
        and prescription.request.procedure.code in STEROID_PROCEDURES
        and not any(i.formulary.kind == FormularyKind.CORTICOSTEROID for i in items)
    ):
        raise PrescriptionError({"formulary": _("Ajoutez le corticoïde (nom et dose).")})
    if prescription.kind == PrescriptionKind.PRODUCTS and not items:
        raise PrescriptionError({"formulary": _("Ordonnance vide : ajoutez un produit.")})
    with transaction.atomic():
        prescription.signed_at = timezone.now()
        prescription.signed_by = actor
        prescription.prescriber = actor
        prescription.save(update_fields=["signed_at", "signed_by", "prescriber"])
        log_action(
            actor=actor,
            action="prescription.signed",
            obj=prescription,
            patient=prescription.request.patient,
            details={"kind": prescription.kind, "items": [i.formulary_id for i in items]},
        )
    return prescription
