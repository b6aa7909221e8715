"""Prescriptions written on validation (pathway.md step 3): the hemostasis blood test when the
safety check will require it, and the products of the procedure."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.pathway.adapters import case_from_request
from geste.pathway.models import Prescription, ProcedureRequest
from geste.pathway.records import PrescriptionKind
from geste.rules.case import default_region
from geste.rules.drugs import INN_CLASS, normalise_drug
from geste.rules.safety import is_high_risk

_VKA = frozenset(inn for inn, cls in INN_CLASS.items() if cls == "vka")
_CONTRAST = {"arthrography", "epidurography"}


def hemostasis_required(request: ProcedureRequest) -> bool:
    """Same rule as the engine's hemostasis_missing: every high-risk procedure, and any
    procedure for a patient on a vitamin K antagonist."""
    code = request.procedure.code
    if is_high_risk(code, request.region or default_region(code)):
        return True
    case = case_from_request(request)
    return any(normalise_drug(m.drug) in _VKA for m in case.medications)


def _products(request: ProcedureRequest) -> list[str]:
    proc = request.procedure
    lines = [str(_("Lidocaïne 1 % (anesthésie locale), 1 flacon"))]
    if proc.contrast_confirmation in _CONTRAST or proc.spine:
        lines.append(str(_("Produit de contraste iodé non ionique pour contrôle, 1 flacon")))
    if proc.code.endswith("infiltration") or proc.code == "intrathecal_injection":
        lines.append(str(_("Corticoïde injectable (selon le protocole du centre), 1 ampoule")))
    if proc.code.startswith("vertebroplasty"):
        lines.append(str(_("Kit de cimentoplastie (ciment acrylique), 1 unité")))
    if proc.code in {"bone_biopsy", "tumor_ablation"}:
        lines.append(str(_("Matériel de biopsie/ablation selon le protocole, 1 unité")))
    lines.append(str(_("Pansements stériles, 1 boîte")))
    return lines


def prescriptions_write(*, request: ProcedureRequest, actor: Any) -> list[Prescription]:
    out = []
    if hemostasis_required(request):
        out.append(
            Prescription.objects.create(
                request=request,
                kind=PrescriptionKind.BLOOD_TEST,
                prescriber=actor,
                lines=[
                    str(_("Numération plaquettaire")),
                    str(_("TP / INR")),
                    str(_("TCA (ratio patient/témoin)")),
                    str(_("À réaliser dans les jours précédant le geste ; résultat à apporter.")),
                ],
            )
        )
    out.append(
        Prescription.objects.create(
            request=request,
            kind=PrescriptionKind.PRODUCTS,
            prescriber=actor,
            lines=_products(request),
        )
    )
    for p in out:
        log_action(
            actor=actor,
            action="prescription.written",
            obj=p,
            patient=request.patient,
            details={"kind": p.kind},
        )
    return out
