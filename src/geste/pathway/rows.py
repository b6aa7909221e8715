"""Raw reads for the adapter's batch path: rows as the database driver gives them.

At 100,000 requests Django's per-value converters and model instances cost more than the
triage itself; these helpers keep Django's SQL but skip that work (see `pathway.adapters`).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Lookup, QuerySet

Row = tuple[Any, ...]


def fetch_rows(qs: QuerySet[Any]) -> list[Row]:
    """The rows of a values_list queryset as the driver gives them: the SQL is Django's, but
    not its per-value converters (they cost more than the triage at 100,000 requests). Both
    drivers give dates and booleans as Python values (Django registers SQLite converters by
    declared type); datetimes come naive from SQLite (`aware_utc`), JSON as text (`json_list`)."""
    try:
        sql, params = qs.query.get_compiler(qs.db).as_sql()
    except EmptyResultSet:
        return []
    connection = connections[qs.db]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            fast_timestamps(cursor.cursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def fast_timestamps(cursor: Any) -> None:
    """Django loads each timestamptz through a Python subclass of psycopg's loader (to set
    its time zone), four times slower than psycopg's C loader. The session's time zone is
    Django's (UTC): the C loader gives the same instants. For this cursor only."""
    from psycopg import adapters
    from psycopg.pq import Format

    oid = adapters.types["timestamptz"].oid
    cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))


class AmongIds(Lookup[Any]):
    """`column IN (ids)`; one array parameter on PostgreSQL (psycopg parses placeholders in
    Python: 5,000 of them cost more than the query). Used as an expression, not registered:
    `filter(AmongIds(F("request_id"), ids))`."""

    lookup_name = "among_ids"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lhs, params = self.process_lhs(compiler, connection)
        ids = [int(i) for i in self.rhs]
        if connection.vendor == "postgresql":
            # Typed as the column: a smallint[] against a bigint column is not hashed and
            # the scan turns quadratic (a second instead of 10 ms for 5,000 ids).
            array_type = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{array_type}[])", (*params, ids)
        if not ids:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", (*params, *ids)


def aware_utc(value: Any) -> Any:
    """A datetime column as Django returns it: aware (SQLite stores UTC without offset)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


_JSON_LISTS: dict[str, list[Any]] = {}


def json_list(value: Any) -> Any:
    if type(value) is not str:
        return value
    found = _JSON_LISTS.get(value)
    if found is None:
        found = json.loads(value)
        if len(_JSON_LISTS) < 256:  # a handful of distinct allergy lists in practice
            _JSON_LISTS[value] = found
    return found
