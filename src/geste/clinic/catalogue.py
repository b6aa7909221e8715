"""The procedure catalogue and the default centre settings (SIR 2019), as data.

Loaded by the data migration `0002_load_catalogue_and_settings` (revision 2 of the rules:
`0003_rules_revision_2` adds the new rows and thresholds to an existing centre);
`ensure_reference_data()` re-applies it idempotently (tests whose database was flushed call it).
"""

from __future__ import annotations

from typing import Any

from geste.rules.settings import DEFAULT_HOLDS

CATALOGUE = [
    # code, fr, en, plain fr, plain en, modality, alt, minutes, contrast, spine, enabled
    (
        "epidural_infiltration",
        "Infiltration épidurale",
        "Epidural infiltration",
        "Injection dans le canal rachidien, pour une douleur de sciatique ou de cruralgie",
        "Injection into the spinal canal, for sciatica or femoral nerve pain",
        "fluoroscopy",
        "",
        30,
        "epidurography",
        True,
        True,
    ),
    (
        "foraminal_infiltration",
        "Infiltration foraminale",
        "Foraminal infiltration",
        "Injection au contact d'une racine nerveuse, à sa sortie de la colonne",
        "Injection next to a nerve root where it leaves the spine",
        "fluoroscopy",
        "",
        30,
        "none",
        True,
        False,
    ),
    (
        "facet_infiltration",
        "Infiltration articulaire postérieure",
        "Facet joint infiltration",
        "Injection dans les petites articulations à l'arrière de la colonne",
        "Injection into the small joints at the back of the spine",
        "fluoroscopy",
        "",
        30,
        "arthrography",
        True,
        True,
    ),
    (
        "discal_infiltration",
        "Infiltration discale",
        "Discal infiltration",
        "Injection dans un disque entre deux vertèbres",
        "Injection into a disc between two vertebrae",
        "fluoroscopy",
        "",
        30,
        "none",
        True,
        True,
    ),
    (
        "intrathecal_injection",
        "Injection intrathécale",
        "Intrathecal injection",
        "Injection d'un traitement dans le liquide qui entoure la moelle épinière",
        "Injection of a treatment into the fluid around the spinal cord",
        "fluoroscopy",
        "",
        30,
        "none",
        True,
        True,
    ),
    (
        "bone_biopsy",
        "Biopsie osseuse",
        "Bone biopsy",
        "Prélèvement d'un petit fragment d'os pour l'analyser",
        "Taking a small piece of bone to be analysed",
        "fluoroscopy",
        "ct",
        60,
        "none",
        True,
        True,
    ),
    (
        "vertebroplasty_benign",
        "Vertébroplastie (fracture ostéoporotique ou traumatique)",
        "Vertebroplasty (osteoporotic or traumatic fracture)",
        "Consolidation d'une vertèbre tassée par injection de ciment",
        "Strengthening a collapsed vertebra with bone cement",
        "fluoroscopy",
        "",
        90,
        "none",
        True,
        True,
    ),
    (
        "vertebroplasty_tumoral",
        "Vertébroplastie ou cimentoplastie (lésion tumorale)",
        "Vertebroplasty or cementoplasty (tumour)",
        "Consolidation d'un os fragilisé par une lésion, par injection de ciment",
        "Strengthening a bone weakened by a lesion with bone cement",
        "fluoroscopy",
        "",
        90,
        "none",
        True,
        True,
    ),
    (
        "tumor_ablation",
        "Ablation tumorale percutanée",
        "Percutaneous tumour ablation",
        "Destruction d'une lésion osseuse par le froid ou la chaleur, à travers la peau",
        "Destroying a bone lesion with cold or heat, through the skin",
        "fluoroscopy",
        "ct",
        120,
        "none",
        True,
        True,
    ),
    (
        "peripheral_joint_infiltration",
        "Infiltration articulaire périphérique",
        "Peripheral joint infiltration",
        "Injection dans une articulation (épaule, hanche, genou...), "
        "sous radioscopie ou échographie",
        "Injection into a joint (shoulder, hip, knee...), under fluoroscopy or ultrasound",
        "fluoroscopy",
        "ultrasound",
        20,
        "arthrography",
        False,
        True,
    ),
]

FORAMINAL_REASON_FR = (
    "Non réalisée au centre : avec les corticoïdes disponibles en France, la voie foraminale "
    "est contre-indiquée."
)
FORAMINAL_REASON_EN = (
    "Not performed at this centre: with the corticosteroids available in France, the "
    "foraminal route is contraindicated."
)

# SIR 2019 hold intervals before a high-risk procedure (hours; ASRA 2018 for subcutaneous
# calcium heparin): the rules engine's defaults, (key, hours, hours if CrCl low, CrCl threshold).
HOLDS = [
    (key, rule.hours, rule.hours_low_crcl, rule.crcl_threshold)
    for key, rule in DEFAULT_HOLDS.items()
]


def ensure_reference_data(apps: Any = None) -> None:
    """Create what is missing of the catalogue, the settings row and its hold table."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps

    Procedure = apps.get_model("clinic", "Procedure")
    CentreSettings = apps.get_model("clinic", "CentreSettings")
    DrugHoldInterval = apps.get_model("clinic", "DrugHoldInterval")
    for order, row in enumerate(CATALOGUE):
        code, fr, en, pfr, pen, modality, alt, minutes, contrast, spine, enabled = row
        Procedure.objects.update_or_create(
            code=code,
            defaults={
                "label_fr": fr,
                "label_en": en,
                "plain_fr": pfr,
                "plain_en": pen,
                "modality": modality,
                "alt_modality": alt,
                "duration_min": minutes,
                "contrast_confirmation": contrast,
                "spine": spine,
                "enabled": enabled,
                "sort_order": order,
                "consultation_required": True,
                "disabled_reason_fr": "" if enabled else FORAMINAL_REASON_FR,
                "disabled_reason_en": "" if enabled else FORAMINAL_REASON_EN,
            },
        )
    centre = CentreSettings.objects.order_by("pk").first() or CentreSettings.objects.create()
    for drug, hours, low, threshold in HOLDS:
        DrugHoldInterval.objects.get_or_create(
            settings=centre,
            drug=drug,
            defaults={"hours": hours, "hours_low_crcl": low, "crcl_threshold": threshold},
        )
