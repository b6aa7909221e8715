"""FHIR's slot holds ($hold) move down to scheduling (scheduling 0004_slot_holds): a hold must
keep its time from every booking path, and the pages, the JSON API and the waiting list cannot
see the api app. Nothing is copied: a hold lasts 5 minutes, so the old table holds nothing worth
keeping (at worst, a client holding a slot while this runs is told 'hold_expired' at $book
and holds again)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_fhir_slot_holds_and_booking_identifiers'),
        ('scheduling', '0004_slot_holds'),
    ]

    operations = [
        migrations.DeleteModel(
            name='SlotHold',
        ),
    ]
