"""Database triggers that refuse UPDATE, DELETE and TRUNCATE on the audit table.

The Python model refuses changes too, but raw SQL (a console, a script, an injected statement)
goes around Python; the trigger does not. A database owner can still drop the trigger: the
hash chain (`chain.py`) is what shows that such a change happened.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "audit_auditevent"

_POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION geste_audit_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only (% refused on {TABLE})', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    f"""
    CREATE TRIGGER geste_audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION geste_audit_append_only()
    """,
    f"""
    CREATE TRIGGER geste_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION geste_audit_append_only()
    """,
]
_POSTGRES_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS geste_audit_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS geste_audit_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS geste_audit_append_only()",
]
# SQLite has no TRUNCATE: "DELETE FROM t" without WHERE is the same statement, caught below.
_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER geste_audit_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused on {TABLE})'); END
    """,
    f"""
    CREATE TRIGGER geste_audit_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused on {TABLE})'); END
    """,
]
_SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS geste_audit_no_update",
    "DROP TRIGGER IF EXISTS geste_audit_no_delete",
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return _POSTGRES_INSTALL if install else _POSTGRES_UNINSTALL
    if vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_UNINSTALL
    raise NotImplementedError(f"no audit trigger for the {vendor} database")


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, install=True):
            cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, install=False):
            cursor.execute(sql)
