"""Revision 2 of the rules (docs/domain/safety-check.md): the renal_review threshold, the
low-risk INR limit 2.0 -> 3.0 (SIR 2019), hold keys restricted to those the engine knows, and
the subcutaneous calcium heparin rows (ASRA 2018) added to an existing centre.

A centre still on the old SIR default (2.0) moves to the new one; a value it chose itself is
kept. Values are frozen here, not imported, so that this migration never changes later."""

import django.core.validators
from django.db import migrations, models

NEW_HOLDS = [("heparin_calcium_prophylactic", 6.0), ("heparin_calcium_therapeutic", 24.0)]


def forward(apps, schema_editor):
    CentreSettings = apps.get_model("clinic", "CentreSettings")
    DrugHoldInterval = apps.get_model("clinic", "DrugHoldInterval")
    CentreSettings.objects.filter(inr_max_low_risk=2.0).update(inr_max_low_risk=3.0)
    for centre in CentreSettings.objects.all():
        for drug, hours in NEW_HOLDS:
            DrugHoldInterval.objects.get_or_create(
                settings=centre, drug=drug, defaults={"hours": hours}
            )


def backward(apps, schema_editor):
    DrugHoldInterval = apps.get_model("clinic", "DrugHoldInterval")
    DrugHoldInterval.objects.filter(drug__in=[d for d, _ in NEW_HOLDS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0002_load_catalogue_and_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="centresettings",
            name="renal_review_crcl_below",
            field=models.FloatField(
                default=15,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(300),
                ],
                verbose_name="clairance sous laquelle un anticoagulant rénal est revu (mL/min)",
            ),
        ),
        migrations.AlterField(
            model_name="centresettings",
            name="inr_max_low_risk",
            field=models.FloatField(
                default=3.0,
                validators=[
                    django.core.validators.MinValueValidator(1.0),
                    django.core.validators.MaxValueValidator(5.0),
                ],
                verbose_name="INR maximal, risque faible",
            ),
        ),
        migrations.AlterField(
            model_name="drugholdinterval",
            name="drug",
            field=models.CharField(
                choices=[
                    ("warfarin", "warfarine"),
                    ("acenocoumarol", "acénocoumarol"),
                    ("heparin", "héparine non fractionnée intraveineuse"),
                    (
                        "heparin_calcium_prophylactic",
                        "héparine calcique sous-cutanée, dose préventive",
                    ),
                    (
                        "heparin_calcium_therapeutic",
                        "héparine calcique sous-cutanée, dose curative ou inconnue",
                    ),
                    ("lmwh_prophylactic", "HBPM, dose préventive"),
                    ("lmwh_therapeutic", "HBPM, dose curative ou inconnue"),
                    ("fondaparinux", "fondaparinux"),
                    ("apixaban", "apixaban"),
                    ("rivaroxaban", "rivaroxaban"),
                    ("dabigatran", "dabigatran"),
                    ("edoxaban", "édoxaban"),
                    ("clopidogrel", "clopidogrel"),
                    ("ticagrelor", "ticagrélor"),
                    ("prasugrel", "prasugrel"),
                ],
                max_length=40,
                verbose_name="médicament (clé DCI)",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
