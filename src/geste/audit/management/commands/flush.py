"""`flush`, able to empty the audit trail in the test suite only.

The audit triggers refuse DELETE and TRUNCATE, so Django's flush (which the test runner calls
between transactional tests) cannot empty the audit table. Under GESTE_TESTING the triggers are
lifted for the flush and put back; anywhere else flush stays refused on the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from geste.audit import triggers


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "TESTING", False):
            super().handle(**options)
            return
        connection = connections[options["database"]]
        triggers.uninstall(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
