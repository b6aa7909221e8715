from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pathway", "0010_cabin_assignments"),
        ("pathway", "0010_duty_roster_and_alert_pages"),
    ]

    operations = []
