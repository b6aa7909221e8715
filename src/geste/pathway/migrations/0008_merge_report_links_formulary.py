"""Joins the report-link revocation (issue 12) and the formulary branch (written in parallel)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pathway", "0005_report_link_revocation"),
        ("pathway", "0006_seed_centre_formulary"),
    ]

    operations = []
