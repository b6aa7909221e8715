"""Loads the procedure catalogue (the ten codes of the case contract) and the centre settings
with the SIR 2019 defaults of docs/domain/safety-check.md (data in geste.clinic.catalogue)."""

from django.db import migrations

from geste.clinic.catalogue import ensure_reference_data


def load(apps, schema_editor):
    ensure_reference_data(apps)


def unload(apps, schema_editor):
    apps.get_model("clinic", "DrugHoldInterval").objects.all().delete()
    apps.get_model("clinic", "CentreSettings").objects.all().delete()
    apps.get_model("clinic", "Procedure").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial_clinic")]
    operations = [migrations.RunPython(load, unload)]
