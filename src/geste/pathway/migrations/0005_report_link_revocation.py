"""Report links: revocable by staff and limited in reads (issue 12, point 10)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pathway", "0004_triage_inputs_unknown_is_null"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="reportlink",
            name="max_reads",
            field=models.PositiveSmallIntegerField(default=10, verbose_name="lectures permises"),
        ),
        migrations.AddField(
            model_name="reportlink",
            name="reads",
            field=models.PositiveIntegerField(default=0, verbose_name="lectures"),
        ),
        migrations.AddField(
            model_name="reportlink",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="révoqué le"),
        ),
        migrations.AddField(
            model_name="reportlink",
            name="revoked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
