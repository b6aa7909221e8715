"""Rate limits on a shared cache: password reset, sign-up and the API (issue 12, point 2).

A fixed-window counter in Django's cache (the database cache by default, so every worker
process counts together; Redis with GESTE_CACHE_URL). Logins are not counted here: django-axes
locks an account per username and address pair.

Our own ~60 lines rather than django-ratelimit: that library refuses the database cache
(its check E003: no atomic increment). Under a race two requests may read the same count, so
a limit can be passed by a request or two; it still stops a flood, which is its purpose.

On PostgreSQL's database cache the count is one statement (an upsert that returns the new
count: atomic, no race) instead of Django's add-then-increment (11 statements and two
transactions per API request); its commit does not wait for the disk, a counter lost in a
crash being harmless.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"5/h"` -> (5, 3600). A malformed rate is an error at start-up (settings read it)."""
    count, _sep, unit = rate.partition("/")
    if not count.isdigit() or unit not in _UNITS:
        raise ValueError(f"a rate is N/s, N/m, N/h or N/d, got {rate!r}")
    return int(count), _UNITS[unit]


def hit(scope: str, key: str, rate: str) -> int | None:
    """Count one request of `key` in `scope`. None if allowed, else seconds until the window
    ends (for Retry-After)."""
    limit, window = parse_rate(rate)
    now = time.time()
    bucket = int(now // window)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]  # no address in the cache
    cache_key = f"geste:rl:{scope}:{digest}:{bucket}"
    cache = caches["default"]
    count = _pg_count(cache, cache_key, window + 5)
    if count is None:
        count = _count(cache, cache_key, window + 5)
    if count <= limit:
        return None
    return max(1, math.ceil((bucket + 1) * window - now))


def _count(cache: Any, key: str, timeout: int) -> int:
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _pg_count(cache: Any, key: str, timeout: int) -> int | None:
    """The window's new count in one statement (PostgreSQL's database cache), else None."""
    if not isinstance(cache, DatabaseCache):
        return None
    connection = connections[router.db_for_write(cache.cache_model_class)]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(cache._table)  # type: ignore[attr-defined]
    now = datetime.now(UTC).replace(microsecond=0)
    expires = datetime.fromtimestamp(int(time.time()) + timeout, tz=UTC)
    # In autocommit this statement is its own transaction: its commit may skip the wait for
    # the disk (set_config(..., true) lasts for this transaction only). Never inside a caller's
    # transaction, whose commit must stay durable.
    quick = (
        ""
        if connection.in_atomic_block
        else "WITH q AS (SELECT set_config('synchronous_commit', 'off', true)) "
    )
    sql = (
        quick + f"INSERT INTO {table} (cache_key, value, expires) "
        f"SELECT %s, '1', %s {'FROM q ' if quick else ''}"
        "ON CONFLICT (cache_key) DO UPDATE SET "
        f"value = CASE WHEN {table}.expires <= %s OR {table}.value !~ '^[0-9]{{1,15}}$' THEN '1' "
        f"ELSE ({table}.value::bigint + 1)::text END, "
        f"expires = CASE WHEN {table}.expires <= %s THEN EXCLUDED.expires "
        f"ELSE {table}.expires END "
        "RETURNING value::bigint"
    )
    full_key = cache.make_and_validate_key(key)
    with connection.cursor() as cursor:
        cursor.execute(sql, [full_key, expires, now, now])
        count = int(cursor.fetchone()[0])
        if count == 1:  # a new window for this key: drop expired entries, as a cull would
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608
    return count


def client_key(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def api_key(request: HttpRequest) -> str:
    """A bearer token, else the session's user, else the address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + header
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "ip:" + client_key(request)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = _("Trop de requêtes. Réessayez dans %(s)d s.") % {"s": retry_after}
    if request.path_info.startswith("/fhir/"):  # FHIR clients read an OperationOutcome
        coding = [{"system": "urn:geste:fhir:error", "code": "throttled"}]
        issue = {
            "severity": "error",
            "code": "throttled",
            "details": {"coding": coding, "text": message},
        }
        body = {"resourceType": "OperationOutcome", "issue": [issue]}
        response: HttpResponse = JsonResponse(
            body, status=429, content_type="application/fhir+json"
        )
    elif request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request, "geste/auth/rate_limited.html", {"retry_after": retry_after}, status=429
        )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(
    scope: str, *, rate_setting: str, key: Callable[[HttpRequest], str] = client_key
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorator for a view: POSTs beyond `settings.<rate_setting>` get 429.

    For the public sign-up (the lead's view):
    `@rate_limited("signup", rate_setting="GESTE_RATE_SIGNUP")`.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST":
                retry = hit(scope, key(request), getattr(settings, rate_setting))
                if retry is not None:
                    return too_many(request, retry)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RateLimitMiddleware:
    """Limits that need no change to the views: password-reset requests (POST, per address) and
    every API and FHIR request (per token, user or address)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = request.path_info
        retry: int | None = None
        if path.startswith(("/api/", "/fhir/")):
            retry = hit("api", api_key(request), settings.GESTE_RATE_API)
        elif request.method == "POST" and _url_name(path) == "password_reset":
            retry = hit("password_reset", client_key(request), settings.GESTE_RATE_PASSWORD_RESET)
        if retry is not None:
            return too_many(request, retry)
        return self.get_response(request)


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None
