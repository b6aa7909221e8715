import django.db.models.deletion
from django.db import migrations, models

import geste.clinic.models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_sent_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="site",
            name="time_zone",
            field=models.CharField(
                default="Europe/Paris",
                max_length=64,
                validators=[geste.clinic.models.validate_time_zone],
                verbose_name="fuseau horaire",
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="holiday_region",
            field=models.CharField(
                blank=True,
                choices=geste.clinic.models.HOLIDAY_REGIONS,
                default="",
                help_text=(
                    "Vide : France métropolitaine. 57 : Alsace-Moselle "
                    "(Vendredi saint, 26 décembre)."
                ),
                max_length=10,
                verbose_name="région des jours fériés",
            ),
        ),
        migrations.CreateModel(
            name="Cabin",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=40, verbose_name="nom")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cabins",
                        to="clinic.site",
                    ),
                ),
            ],
            options={
                "verbose_name": "cabine",
                "verbose_name_plural": "cabines",
                "ordering": ["site", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("site", "name"), name="cabin_name_unique_per_site"
                    )
                ],
            },
        ),
    ]
