"""The error answers every operation of /api/v1/ may give, declared in its OpenAPI entry
(issue 12, point 8: every status the API returns is declared; schemathesis checks it)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    detail: Any


# 400 bad input (NUL, date out of range: geste.web.badinput), 401 no or bad credentials,
# 403 role not allowed (geste.web.access), 413 body too large, 422 invalid field, 429 rate.
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 413, 422, 429), ErrorOut)
