"""French texts we write ourselves: the report per procedure type, the discharge advice.

Restart advice after the procedure: SIR 2019 (Patel et al., JVIR 2019;30:1168-84): most
anticoagulants restart 24 h after the procedure if there is no bleeding; warfarin (and the
other vitamin K antagonists) the evening after (next day). The radiologist may say otherwise.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from geste.pathway.records import Consultation
from geste.rules.drugs import INN_CLASS, INN_LABELS_FR, normalise_drug

# Technique sentence per procedure type (our own words).
TECHNIQUE: dict[str, str] = {
    "epidural_infiltration": "Infiltration épidurale sous contrôle scopique.",
    "foraminal_infiltration": "Infiltration foraminale sous contrôle scopique.",
    "facet_infiltration": "Infiltration articulaire postérieure sous contrôle scopique.",
    "discal_infiltration": "Infiltration intradiscale sous contrôle scopique.",
    "intrathecal_injection": "Injection intrathécale après ponction lombaire sous scopie.",
    "bone_biopsy": "Biopsie osseuse percutanée sous guidage radiologique.",
    "vertebroplasty_benign": "Vertébroplastie percutanée (cimentoplastie) sous scopie.",
    "vertebroplasty_tumoral": "Cimentoplastie vertébrale d'une lésion tumorale sous scopie.",
    "tumor_ablation": "Ablation percutanée d'une lésion tumorale sous guidage radiologique.",
    "peripheral_joint_infiltration": "Infiltration articulaire périphérique sous guidage.",
}
CONFIRMATION = {
    "arthrography": "Contrôle de la position de l'aiguille par arthrographie.",
    "epidurography": "Contrôle de la position de l'aiguille par épidurographie.",
}


def _num(x: float | None) -> str:
    """French number: 410 (not 410,0), 1,5."""
    if x is None:
        return "—"
    if float(x).is_integer():
        return str(int(x))
    return formats.number_format(x, decimal_pos=None)


def technique_text(request: Any) -> str:
    """The technique, from the procedure record: how it was done, the confirmation (or why
    none), the products and doses (structured part of the report)."""
    rec = request.record
    lines = [
        TECHNIQUE.get(request.procedure.code, ""),
        _("Voie d'abord : %(route)s. Niveau(x) : %(levels)s. Côté : %(side)s.")
        % {"route": rec.route, "levels": rec.levels, "side": rec.get_side_display()},
        _("Asepsie chirurgicale."),
    ]
    if rec.confirmation in CONFIRMATION:
        lines.append(CONFIRMATION[rec.confirmation])
    elif rec.confirmation_none_reason:
        lines.append(
            _("Sans contrôle par contraste : %(why)s.")
            % {"why": rec.confirmation_none_reason.strip().rstrip(".")}
        )
    if rec.contrast_product:
        lines.append(
            _("Contraste : %(p)s, %(v)s mL (lot %(lot)s).")
            % {
                "p": rec.contrast_product,
                "v": _num(rec.contrast_volume_ml),
                "lot": rec.contrast_lot or "—",
            }
        )
    if rec.drug:
        lines.append(
            _("Produit injecté : %(d)s, %(mg)s mg (lot %(lot)s).")
            % {"d": rec.drug, "mg": _num(rec.drug_dose_mg), "lot": rec.drug_lot or "—"}
        )
    return "\n".join(x for x in lines if x)


def dose_lines(report: Any) -> list[str]:
    """The dose part of a signed report, from its structured fields (always shown)."""
    lines = [
        _("Produit dose-surface : %(dap)s mGy·cm²") % {"dap": _num(report.dap_mgy_cm2)},
        _("Temps de scopie : %(s)s s") % {"s": _num(report.fluoroscopy_s)},
    ]
    if report.reference_air_kerma_mgy is not None:
        lines.append(
            _("Kerma dans l'air au point de référence : %(k)s mGy")
            % {"k": _num(report.reference_air_kerma_mgy)}
        )
    return lines


def report_draft(request: Any) -> str:
    """The free text's starting point: indication and immediate events. The technique, the
    dose, the date and the operator are structured parts of the signed report
    (`services_after.report_sign`), printed apart whatever this text becomes."""
    rec = request.record
    proc = request.procedure
    consultation = Consultation.objects.filter(request=request).first()
    indication = (consultation.indication.strip().rstrip(".") if consultation else "") or (
        proc.label_fr
    )
    lines = [
        _("Indication : %(label)s.") % {"label": indication},
        _("Événements immédiats : %(e)s.") % {"e": rec.immediate_events or _("aucun")},
    ]
    return "\n".join(x for x in lines if x)


def restart_advice(case: Any) -> list[str]:
    """When to restart each declared anticoagulant or antiplatelet (SIR 2019, see above)."""
    out = []
    for m in case.medications:
        inn = normalise_drug(m.drug)
        cls = INN_CLASS.get(inn or "")
        name = INN_LABELS_FR.get(inn or "", m.drug)
        if cls == "vka":
            out.append(
                _("%(d)s : reprendre le soir du lendemain du geste, sauf avis contraire.")
                % {"d": name}
            )
        elif cls in {"heparin", "lmwh", "fondaparinux", "doac", "antiplatelet", "aspirin"}:
            out.append(
                _("%(d)s : reprendre 24 heures après le geste s'il n'y a pas de saignement.")
                % {"d": name}
            )
        elif cls is None:
            out.append(
                _("%(d)s : demandez au radiologue quand le reprendre avant de partir.")
                % {"d": m.drug}
            )
    return out


def discharge_paragraphs(case: Any) -> list[tuple[str, str]]:
    """(heading, text) pairs of the discharge sheet, in our own words."""
    paras = [
        (
            _("Les prochaines heures"),
            _(
                "Restez au calme aujourd'hui : repos relatif, sans effort ni port de charge. "
                "Ne conduisez pas vous-même en rentrant ; faites-vous accompagner."
            ),
        ),
        (
            _("Les 48 à 72 heures suivantes"),
            _(
                "L'effet du traitement est souvent retardé : il s'apprécie au bout de deux à "
                "trois jours. La douleur peut même augmenter un peu au début. Une sensation de "
                "chaleur, de tension ou une petite douleur au point de piqûre est possible. "
                "Des bouffées de chaleur au visage peuvent survenir avec certains corticoïdes."
            ),
        ),
        (
            _("Quand appeler sans attendre"),
            _(
                "Fièvre (plus de 38 °C), faiblesse ou engourdissement nouveau d'un membre, mal "
                "de tête violent, rougeur ou gonflement au point de piqûre : appelez le centre "
                "ou, la nuit et le week-end, le 15."
            ),
        ),
    ]
    advice = restart_advice(case)
    if advice:
        paras.append((_("Vos traitements anticoagulants ou antiagrégants"), " ".join(advice)))
    return paras
