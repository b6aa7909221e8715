"""The centre formulary: the products a radiologist may prescribe and record (issue 10, point 4).

Imported by `pathway.models` so that Django registers the models in the `pathway` app. Seeded
by the data migration `0005_seed_centre_formulary` from `SEED` below; the centre's pharmacist
reviews and edits it in the admin (the doses are conservative defaults, see README).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

REVIEW_NOTE = _("Formulaire du centre, à faire valider par le pharmacien du centre.")


class FormularyKind(models.TextChoices):
    IODINATED = "iodinated", _("Produit de contraste iodé")
    GADOLINIUM = "gadolinium", _("Produit de contraste gadoliné")
    CORTICOSTEROID = "corticosteroid", _("Corticoïde")
    LOCAL_ANAESTHETIC = "local_anaesthetic", _("Anesthésique local")


CONTRAST_KINDS = frozenset({FormularyKind.IODINATED, FormularyKind.GADOLINIUM})


class FormularyItem(models.Model):
    kind = models.CharField(_("classe"), max_length=20, choices=FormularyKind.choices)
    product = models.CharField(_("produit (nom commercial)"), max_length=80)
    inn = models.CharField(_("DCI"), max_length=80)
    strength = models.CharField(_("concentration"), max_length=60, blank=True)
    dose = models.FloatField(_("dose usuelle"), validators=[MinValueValidator(0)])
    max_dose = models.FloatField(_("dose maximale par geste"), validators=[MinValueValidator(0)])
    unit = models.CharField(
        _("unité"), max_length=4, choices=[("mg", "mg"), ("mL", "mL")], default="mg"
    )
    route = models.CharField(_("voie"), max_length=80)
    # Procedure codes (catalogue) for which this product is the proposed default.
    default_for = models.CharField(
        _("proposé par défaut pour (codes d'actes)"),
        max_length=300,
        blank=True,
    )
    # Particulate corticosteroid suspensions (methylprednisolone acetate, triamcinolone):
    # never by the foraminal route nor into the cervical epidural space (embolic infarction
    # of the cord; ANSM 2011 warning on particulate corticosteroids in the spine).
    particulate = models.BooleanField(_("suspension particulaire"), default=False)
    active = models.BooleanField(_("disponible"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("remarque"), max_length=200, blank=True)

    class Meta:
        app_label = "pathway"
        verbose_name = _("produit du formulaire")
        verbose_name_plural = _("formulaire du centre")
        ordering = ["kind", "sort_order", "product"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_dose__gte=models.F("dose")),
                name="formulary_max_dose_at_least_dose",
            )
        ]

    def __str__(self) -> str:
        strength = f" {self.strength}" if self.strength else ""
        return f"{self.product} ({self.inn}){strength}"

    def defaults_for(self, code: str) -> bool:
        return code in {c.strip() for c in self.default_for.split(",") if c.strip()}


class PrescriptionItem(models.Model):
    """One formulary line of a prescription: product, dose and route, editable until signed."""

    prescription = models.ForeignKey(
        "pathway.Prescription", on_delete=models.CASCADE, related_name="items"
    )
    formulary = models.ForeignKey(FormularyItem, on_delete=models.PROTECT, related_name="+")
    dose = models.FloatField(_("dose"), validators=[MinValueValidator(0)])
    unit = models.CharField(_("unité"), max_length=4)
    route = models.CharField(_("voie"), max_length=80)
    # An iodinated line for a patient who declared an iodinated-contrast allergy: the
    # radiologist's written reason (audited).
    override_reason = models.TextField(_("motif de maintien malgré l'allergie"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        app_label = "pathway"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.formulary.product} {self.dose:g} {self.unit}"


# Conservative usual and maximum doses per procedure; source: centre formulary, to be reviewed
# by the centre's pharmacist. Dexamethasone (non-particulate) for epidural, foraminal and
# discal injections: the French practice since the ANSM's 2011 warning on particulate
# corticosteroids in the spine.
# kind, product, INN, strength, dose, max, unit, route, default_for, note
SEED: list[tuple[str, str, str, str, float, float, str, str, str, str]] = [
    (
        "iodinated",
        "Omnipaque 300",
        "iohexol",
        "300 mg d'iode/mL",
        3,
        10,
        "mL",
        "péridurale, intra-articulaire, intrathécale",
        "epidural_infiltration,facet_infiltration,discal_infiltration,"
        "intrathecal_injection,peripheral_joint_infiltration,vertebroplasty_benign,"
        "vertebroplasty_tumoral",
        "",
    ),
    (
        "iodinated",
        "Iopamiron 300",
        "iopamidol",
        "300 mg d'iode/mL",
        3,
        10,
        "mL",
        "péridurale, intra-articulaire, intrathécale",
        "",
        "",
    ),
    (
        "gadolinium",
        "Dotarem",
        "acide gadotérique",
        "0,5 mmol/mL",
        1,
        2,
        "mL",
        "péridurale, intra-articulaire",
        "epidural_infiltration,facet_infiltration,discal_infiltration,"
        "peripheral_joint_infiltration",
        "Alternative en cas d'allergie aux produits iodés ; jamais par voie intrathécale.",
    ),
    (
        "gadolinium",
        "Gadovist",
        "gadobutrol",
        "1 mmol/mL",
        0.5,
        1,
        "mL",
        "péridurale, intra-articulaire",
        "",
        "Alternative en cas d'allergie aux produits iodés ; jamais par voie intrathécale.",
    ),
    (
        "corticosteroid",
        "Dexaméthasone 4 mg/mL",
        "dexaméthasone",
        "4 mg/mL",
        8,
        10,
        "mg",
        "péridurale, foraminale, intradiscale",
        "epidural_infiltration,foraminal_infiltration,discal_infiltration",
        "Non particulaire.",
    ),
    (
        "corticosteroid",
        "Depo-Medrol 40 mg/mL",
        "méthylprednisolone (acétate)",
        "40 mg/mL",
        40,
        80,
        "mg",
        "intra-articulaire (articulaires postérieures, périphériques)",
        "facet_infiltration,peripheral_joint_infiltration",
        "Particulaire : jamais par voie foraminale ni péridurale cervicale.",
    ),
    (
        "corticosteroid",
        "Kenacort retard 40 mg/mL",
        "triamcinolone (acétonide)",
        "40 mg/mL",
        40,
        40,
        "mg",
        "intra-articulaire",
        "",
        "Particulaire : jamais par voie foraminale ni péridurale cervicale.",
    ),
    (
        "local_anaesthetic",
        "Xylocaïne 1 %",
        "lidocaïne",
        "10 mg/mL",
        50,
        100,
        "mg",
        "sous-cutanée (anesthésie locale)",
        "epidural_infiltration,foraminal_infiltration,facet_infiltration,"
        "discal_infiltration,intrathecal_injection,bone_biopsy,vertebroplasty_benign,"
        "vertebroplasty_tumoral,tumor_ablation,peripheral_joint_infiltration",
        "",
    ),
    (
        "local_anaesthetic",
        "Naropeine 2 mg/mL",
        "ropivacaïne",
        "2 mg/mL",
        10,
        20,
        "mg",
        "sous-cutanée, intra-articulaire",
        "",
        "",
    ),
]


PARTICULATE_INNS = ("méthylprednisolone (acétate)", "triamcinolone (acétonide)")


def particulate_forbidden(item: FormularyItem, procedure_code: str, region: str) -> bool:
    """A particulate corticosteroid where it must never go: foraminal, cervical epidural."""
    if not item.particulate:
        return False
    return procedure_code == "foraminal_infiltration" or (
        procedure_code == "epidural_infiltration" and region == "cervical"
    )


def seed_formulary(apps: object = None) -> None:
    """Create the seed rows that are missing (by product); never overwrite the centre's edits."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    model = apps.get_model("pathway", "FormularyItem")  # type: ignore[attr-defined]
    particulate_known = any(f.name == "particulate" for f in model._meta.get_fields())
    for order, row in enumerate(SEED):
        kind, product, inn, strength, dose, max_dose, unit, route, default_for, note = row
        model.objects.get_or_create(
            product=product,
            defaults={
                "kind": kind,
                "inn": inn,
                "strength": strength,
                "dose": dose,
                "max_dose": max_dose,
                "unit": unit,
                "route": route,
                "default_for": default_for,
                "note": note,
                "sort_order": order,
                # The historical model of migration 0006 has no such field (added in 0009).
                **({"particulate": inn in PARTICULATE_INNS} if particulate_known else {}),
            },
        )
