"""No double booking, enforced by PostgreSQL itself (btree_gist exclusion constraints).

A room, a radiologist and a patient each hold at most one active appointment at any instant
(half-open [start, end) ranges). Overridden appointments (override_reason set by a radiologist or
an administrator) are left out on purpose: they are the audited exception. SQLite has no
exclusion constraint: there the booking service's lock + re-check is the only guard (SQLite
serialises writers anyway: transaction_mode IMMEDIATE).
"""

from django.db import migrations

COLUMNS = {"room": "room_id", "radiologist": "radiologist_id", "patient": "patient_id"}
ACTIVE = "status IN ('booked', 'checked_in', 'done') AND override_reason = ''"


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in COLUMNS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_{name}_no_overlap "
            f"EXCLUDE USING gist ({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
            f"WHERE ({ACTIVE})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_{name}_no_overlap"
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_capacity_waitlist_reminders")]

    operations = [migrations.RunPython(add_constraints, drop_constraints)]
