"""Seal the audit trail: a hash chain over every event, and triggers refusing UPDATE/DELETE.

Events recorded before this migration are chained in id order first, then the triggers are
created (after them, nothing may rewrite a row).
"""

import django.utils.timezone
from django.db import migrations, models

from geste.audit import chain, triggers


def chain_existing_events(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    prev = chain.GENESIS
    batch = []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        event.ip = chain.canonical_ip(event.ip)
        event.details = chain.canonical_details(event.details)
        event.prev_hash = prev
        event.chain_hash = chain.event_hash(
            prev_hash=prev,
            at=event.at,
            actor_id=event.actor_id,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            patient_id=event.patient_id,
            ip=event.ip,
            details=event.details,
        )
        prev = event.chain_hash
        batch.append(event)
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_update(batch, ["ip", "details", "prev_hash", "chain_hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["ip", "details", "prev_hash", "chain_hash"])


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


def uninstall_triggers(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial_audit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="date"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="empreinte précédente"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="empreinte"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
