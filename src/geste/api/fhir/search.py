"""Search parameters and searchset Bundles (paged with `_count` and `_offset` links)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.dateparse import parse_date, parse_datetime

from geste import PARIS
from geste.api.fhir.http import FhirError
from geste.scheduling.capacity import local_at

DEFAULT_COUNT = 20
MAX_COUNT = 200
PREFIXES = ("ge", "gt", "le", "lt", "eq")


def paging(params: QueryDict) -> tuple[int, int]:
    try:
        count = int(params.get("_count", DEFAULT_COUNT))
        offset = int(params.get("_offset", 0))
    except ValueError as exc:
        raise FhirError(400, "bad_param", issue="invalid", param="_count/_offset") from exc
    if not 0 <= count <= MAX_COUNT or offset < 0:
        raise FhirError(400, "bad_param", issue="invalid", param="_count/_offset")
    return count, offset


def reference_id(value: str, resource_type: str, param: str) -> int:
    """`123` or `Patient/123` as an integer id."""
    raw = value.rsplit("/", 1)[-1] if value.startswith(f"{resource_type}/") else value
    if not raw.isdigit():
        raise FhirError(400, "bad_param", issue="invalid", param=param)
    return int(raw)


def day_or_instant(value: str, param: str) -> tuple[str, date | datetime]:
    """A date search value: (prefix, a bare date, or an aware datetime). A date-time without
    an offset (FHIR requires one) is read in the centre's default zone: it names no site."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    raw = value[2:] if value[:2] in PREFIXES else value
    day: date | None = parse_date(raw) if "T" not in raw else None
    if day is not None:
        return prefix, day
    moment = parse_datetime(raw)  # (which reads a bare date as a naive midnight too)
    if moment is None:
        raise FhirError(400, "bad_param", issue="invalid", param=param)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return prefix, moment


def instant_bound(value: str, param: str) -> tuple[str, datetime]:
    """A date search value: (prefix, aware datetime); a bare date is its midnight in the
    centre's default zone (a window for the slot engine, which reads each room's own hours)."""
    prefix, found = day_or_instant(value, param)
    if isinstance(found, datetime):
        return prefix, found
    return prefix, local_at(found, time.min)


def bundle(
    request: HttpRequest,
    resources: list[dict[str, Any]],
    *,
    count: int,
    offset: int,
    total: int | None,
    has_more: bool,
    bundle_type: str = "searchset",
) -> dict[str, Any]:
    base = request.build_absolute_uri(request.path)

    def page(at: int) -> str:
        query = request.GET.copy()
        query["_count"] = str(count)
        query["_offset"] = str(at)
        return f"{base}?{query.urlencode()}"

    links = [{"relation": "self", "url": page(offset)}]
    if has_more:
        links.append({"relation": "next", "url": page(offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": page(max(0, offset - count))})
    root = request.build_absolute_uri("/fhir/R4/")
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "link": links,
        "entry": [
            {
                **({"fullUrl": f"{root}{r['resourceType']}/{r['id']}"} if "id" in r else {}),
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
    if total is not None:
        out["total"] = total
    if not out["entry"]:
        del out["entry"]
    return out
