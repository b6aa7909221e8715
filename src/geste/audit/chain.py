"""The audit trail's hash chain: each event seals itself and the event before it.

An event's `chain_hash` is sha256 over a canonical JSON serialisation of its content and the
previous event's `chain_hash` (`prev_hash`); the first event follows `GENESIS`. Changing,
deleting or inserting an event in the middle breaks the link at that point, which
`verify_chain()` (`geste audit verify`) finds. Removing events from the end is not detectable
by the chain alone: keep a copy of the last hash outside the database (see the README).

The id is not hashed (it is given by the database at insert, and nothing may update the row
afterwards); the chain's order is the id order, which the lock in `log_action()` keeps equal to
the order the hashes were computed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
# pg_advisory_xact_lock key for "append to the audit chain" (ASCII "audit").
CHAIN_LOCK_KEY = 0x6175646974


def canonical_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """What the JSON column gives back: tuples become lists, keys become strings."""
    return json.loads(json.dumps(details or {})) if details else {}


def canonical_ip(ip: str | None) -> str | None:
    # PostgreSQL's inet type rewrites IPv6 addresses; store the compressed form it would give.
    return str(ipaddress.ip_address(ip)) if ip else None


def event_hash(
    *,
    prev_hash: str,
    at: dt.datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    patient_id: int | None,
    ip: str | None,
    details: dict[str, Any],
) -> str:
    payload = {
        "v": 1,
        "prev": prev_hash,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "patient": patient_id,
        "ip": ip,
        "details": details,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# The columns read back to recompute a hash, in the order event_hash_of_row() expects.
ROW_FIELDS = (
    "id",
    "prev_hash",
    "chain_hash",
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "details",
)


def event_hash_of_row(row: tuple[Any, ...]) -> str:
    _id, prev, _hash, at, actor_id, action, otype, oid, patient_id, ip, details = row
    return event_hash(
        prev_hash=prev,
        at=at,
        actor_id=actor_id,
        action=action,
        object_type=otype,
        object_id=oid,
        patient_id=patient_id,
        ip=ip,
        details=details or {},
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None = None  # id of the first event whose link does not hold
    reason: str = ""
    last_hash: str = GENESIS  # the head of the intact chain: worth keeping outside the database

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_rows(rows: Iterable[tuple[Any, ...]]) -> ChainReport:
    """Walk events in id order; stop at the first link that does not hold."""
    expected_prev = GENESIS
    checked = 0
    for row in rows:
        event_id, prev, stored = row[0], row[1], row[2]
        if prev != expected_prev:
            return ChainReport(
                checked,
                event_id,
                "previous hash does not match (an event before it changed or vanished)",
            )
        if event_hash_of_row(row) != stored:
            return ChainReport(checked, event_id, "content does not match its hash")
        expected_prev = stored
        checked += 1
    return ChainReport(checked, last_hash=expected_prev)
