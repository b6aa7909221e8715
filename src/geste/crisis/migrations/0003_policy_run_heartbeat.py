"""A what-if run's heartbeat: a run whose worker died is seen as stalled and can be restarted."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crisis", "0002_decision_missing_inputs_discussion_answers_jobs")]

    operations = [
        migrations.AddField(
            model_name="policyrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
