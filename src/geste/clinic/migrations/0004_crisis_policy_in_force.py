"""The crisis policy in force moves to the centre's settings, where every room can read it
(booking sizes grouped sessions from it); an active crisis keeps its policy."""

from django.db import migrations, models


def forward(apps, schema_editor):
    CentreSettings = apps.get_model("clinic", "CentreSettings")
    CrisisPeriod = apps.get_model("crisis", "CrisisPeriod")
    active = CrisisPeriod.objects.filter(active=True).first()
    if active is not None:
        CentreSettings.objects.update(crisis_policy_id=active.policy_id)


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_rules_revision_2"),
        ("crisis", "0001_crisis_runs_discussions_recovery"),
    ]

    operations = [
        migrations.AddField(
            model_name="centresettings",
            name="crisis_policy_id",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=80,
                verbose_name="politique de crise en vigueur",
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
