import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0006_cabins_and_site_regions"),
        ("pathway", "0009_formulary_particulate_corticosteroids"),
    ]

    operations = [
        migrations.CreateModel(
            name="CabinAssignment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("assigned_at", models.DateTimeField(verbose_name="installé à")),
                (
                    "released_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="libéré à"),
                ),
                (
                    "cabin",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="assignments",
                        to="clinic.cabin",
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cabin_assignments",
                        to="pathway.procedurerequest",
                    ),
                ),
            ],
            options={
                "verbose_name": "occupation de cabine",
                "verbose_name_plural": "occupations de cabine",
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("released_at__isnull", True)),
                        fields=("cabin",),
                        name="cabin_one_patient_at_a_time",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("released_at__isnull", True)),
                        fields=("request",),
                        name="cabin_one_per_request",
                    ),
                ],
            },
        ),
    ]
