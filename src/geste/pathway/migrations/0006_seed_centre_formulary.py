"""Seed the centre formulary (iodinated and gadolinium contrast, corticosteroids, local
anaesthetics) with conservative doses, to be reviewed by the centre's pharmacist."""

from django.db import migrations

from geste.pathway.formulary import seed_formulary


def seed(apps, schema_editor):
    seed_formulary(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("pathway", "0005_formulary_signed_prescriptions_records_addenda_checklist"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
