"""Texts of the safety check: each finding code with its severity, rule id, source, and a short
French (for nurses and radiologists) and English explanation. The detail of one finding (its
facts) is rendered by ``details.py``; policy rules carry their own texts in the policy file
(``policies/*.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "FINDING_SPECS",
    "PARIS",
    "PROCEDURE_LABELS",
    "FindingSpec",
    "finding_text",
]

PARIS = ZoneInfo("Europe/Paris")

SRC_SIR = "SIR 2019: Patel et al., J Vasc Interv Radiol 2019;30(8):1168-84"
SRC_CENTRE = "Centre prerequisites, seed 000_351e02449f6d8582.txt"
SRC_CENTRE_SIR = f"{SRC_CENTRE}; {SRC_SIR}"
SRC_DOC = "docs/domain/safety-check.md"
SRC_PROJECT = "geste project decision (geste.rules.safety docstring)"

PROCEDURE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "epidural_infiltration": ("infiltration épidurale", "epidural infiltration"),
        "foraminal_infiltration": ("infiltration foraminale", "foraminal infiltration"),
        "facet_infiltration": ("infiltration articulaire postérieure", "facet joint infiltration"),
        "discal_infiltration": ("infiltration discale", "discal infiltration"),
        "intrathecal_injection": ("injection intrathécale", "intrathecal injection"),
        "bone_biopsy": ("biopsie osseuse", "bone biopsy"),
        "vertebroplasty_benign": (
            "vertébroplastie (ostéoporose, traumatisme)",
            "vertebroplasty (osteoporotic or traumatic)",
        ),
        "vertebroplasty_tumoral": ("vertébroplastie tumorale", "tumoral vertebroplasty"),
        "tumor_ablation": ("ablation tumorale", "tumour ablation"),
        "peripheral_joint_infiltration": (
            "infiltration articulaire périphérique",
            "peripheral joint infiltration",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class FindingSpec:
    code: str
    severity: str  # no_go | review | info
    rule_id: str
    source: str
    text_fr: str
    text_en: str


def _spec(code: str, severity: str, rule_id: str, source: str, fr: str, en: str) -> FindingSpec:
    return FindingSpec(code, severity, rule_id, source, fr, en)


# In the order of the rule table of safety-check.md; this is also the order of findings.
FINDING_SPECS: Mapping[str, FindingSpec] = MappingProxyType(
    {
        s.code: s
        for s in (
            _spec(
                "procedure_not_performed",
                "no_go",
                "S01",
                f"{SRC_CENTRE} (voie foraminale contre-indiquée); centre settings",
                "Ce geste n'est pas pratiqué dans le centre.",
                "This procedure is not performed at this centre.",
            ),
            _spec(
                "indication_not_validated",
                "no_go",
                "S02",
                SRC_CENTRE,
                "Indication pas encore validée par un radiologue.",
                "The indication has not been validated by a radiologist.",
            ),
            _spec(
                "hemostasis_missing",
                "no_go",
                "S03",
                SRC_CENTRE_SIR,
                "Bilan d'hémostase obligatoire et absent.",
                "A blood clotting test is required and none is recorded.",
            ),
            _spec(
                "hemostasis_stale",
                "no_go",
                "S04",
                f"{SRC_SIR}; {SRC_DOC}",
                "Bilan d'hémostase non valable pour la date du geste.",
                "The blood clotting test is not valid for the procedure date.",
            ),
            _spec(
                "hemostasis_incomplete",
                "info",
                "S05",
                SRC_PROJECT,
                "Bilan d'hémostase incomplet : valeur manquante à vérifier.",
                "Incomplete blood clotting test: a missing value must be checked.",
            ),
            _spec(
                "platelets_low",
                "no_go",
                "S06",
                SRC_SIR,
                "Plaquettes trop basses pour ce geste.",
                "Platelet count too low for this procedure.",
            ),
            _spec(
                "inr_high",
                "no_go",
                "S07",
                SRC_SIR,
                "INR trop élevé pour ce geste.",
                "INR too high for this procedure.",
            ),
            _spec(
                "aptt_high",
                "review",
                "S08",
                SRC_SIR,
                "TCA allongé (ratio élevé) : avis du radiologue.",
                "Prolonged aPTT (high ratio): radiologist's opinion needed.",
            ),
            _spec(
                "medication_hold",
                "no_go",
                "S09",
                SRC_SIR,
                "Délai d'arrêt du traitement non respecté avant ce geste.",
                "The drug has not been stopped long enough before this procedure.",
            ),
            _spec(
                "antiplatelet_review",
                "review",
                "S10",
                SRC_SIR,
                "Aspirine avant un geste à haut risque hémorragique : arrêt de 3 à 5 jours "
                "à décider au cas par cas.",
                "Aspirin before a high bleeding-risk procedure: a 3 to 5 day hold to decide "
                "case by case.",
            ),
            _spec(
                "medication_unknown",
                "review",
                "S11",
                SRC_DOC,
                "Médicament absent de la table : à vérifier par le radiologue.",
                "Drug not in the table: the radiologist must check it.",
            ),
            _spec(
                "pregnancy",
                "review",
                "S12",
                SRC_CENTRE,
                "Patiente enceinte : précautions et décision du radiologue.",
                "Pregnant patient: precautions and radiologist's decision.",
            ),
            _spec(
                "pregnancy_unknown",
                "review",
                "S13",
                SRC_CENTRE,
                "Femme en âge de procréer : grossesse non renseignée, à vérifier.",
                "Woman of childbearing age: pregnancy status unknown, to check.",
            ),
            _spec(
                "fever",
                "no_go",
                "S14",
                SRC_CENTRE,
                "Fièvre : pas de geste aujourd'hui.",
                "Fever: no procedure today.",
            ),
            _spec(
                "infection",
                "review",
                "S15",
                SRC_CENTRE,
                "Infection en cours : avis du radiologue.",
                "Current infection: radiologist's opinion needed.",
            ),
            _spec(
                "skin_lesion",
                "review",
                "S16",
                SRC_CENTRE,
                "Lésion cutanée au point de ponction.",
                "Skin lesion at the puncture site.",
            ),
            _spec(
                "allergy_contrast",
                "review",
                "S17",
                SRC_CENTRE,
                "Allergie déclarée aux produits de contraste iodés.",
                "Declared allergy to iodinated contrast media.",
            ),
            _spec(
                "allergy_corticosteroid",
                "review",
                "S17",
                SRC_CENTRE,
                "Allergie déclarée aux corticoïdes.",
                "Declared allergy to corticosteroids.",
            ),
            _spec(
                "allergy_local_anaesthetic",
                "review",
                "S17",
                SRC_CENTRE,
                "Allergie déclarée aux anesthésiques locaux.",
                "Declared allergy to local anaesthetics.",
            ),
            _spec(
                "allergy_latex",
                "review",
                "S17",
                SRC_CENTRE,
                "Allergie déclarée au latex.",
                "Declared latex allergy.",
            ),
            _spec(
                "allergy_other",
                "review",
                "S17",
                SRC_CENTRE,
                "Autre allergie déclarée : à préciser avec le patient.",
                "Other declared allergy: to clarify with the patient.",
            ),
            _spec(
                "medication_continued",
                "info",
                "S18",
                SRC_SIR,
                "Geste à faible risque hémorragique : traitement poursuivi.",
                "Low bleeding-risk procedure: treatment continued.",
            ),
            _spec(
                "nsaid_no_hold",
                "info",
                "S19",
                f"{SRC_SIR}; {SRC_DOC}",
                "Anti-inflammatoire (AINS) : pas d'arrêt nécessaire.",
                "Anti-inflammatory drug (NSAID): no hold needed.",
            ),
        )
    }
)


def finding_text(code: str, lang: str = "fr") -> str:
    """The short explanation of a finding code (KeyError if the code is unknown)."""
    spec = FINDING_SPECS[code]
    return spec.text_en if lang == "en" else spec.text_fr
