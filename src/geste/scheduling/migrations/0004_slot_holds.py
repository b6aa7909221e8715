"""Slot holds: a time kept a few minutes for one holder and patient (FHIR's $hold), respected
by every booking check and slot search. They were FHIR's own (api 0002); api 0003 drops that
table, with nothing to carry over (holds last 5 minutes)."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0005_sent_messages'),
        ('patients', '0003_ins_identity_status_and_birthplace'),
        ('scheduling', '0003_no_overlap_exclusion_postgres'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SlotHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('consultation', 'Consultation'), ('procedure', 'Geste')], max_length=16)),
                ('start', models.DateTimeField()),
                ('end', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('status', models.CharField(choices=[('held', 'Retenu'), ('booked', 'Réservé'), ('released', 'Libéré')], default='held', max_length=10)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('holder', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('patient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='patients.patient')),
                ('procedure', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinic.procedure')),
                ('radiologist', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('room', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinic.room')),
            ],
            options={
                'verbose_name': 'créneau retenu',
                'verbose_name_plural': 'créneaux retenus',
                'indexes': [models.Index(fields=['status', 'start'], name='slot_hold_status_start_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('end__gt', models.F('start'))), name='slot_hold_end_after_start')],
            },
        ),
    ]
