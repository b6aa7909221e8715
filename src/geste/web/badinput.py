"""Bad input is a 4xx naming the field, never a 500 (issue 12, point 8).

Checked once here, before any view, for every page, the JSON API and FHIR:
- a body larger than Django's DATA_UPLOAD_MAX_MEMORY_SIZE (multipart uploads:
  MULTIPART_MAX_BYTES) is refused with 413 from its Content-Length, before it is read;
- a NUL character in the path, a query parameter, a form field or a JSON string of the API is
  refused with 400 (PostgreSQL cannot store NUL in text; no field of ours needs it);
- a date in a query parameter or form field outside years 1900-2100 is refused with 422:
  the calendar arithmetic behind every page (a week, a day after) would overflow at year 9999,
  and no appointment, birth or lab date of this centre lies outside that span.
Wrong types and unknown values are the views' and the schemas' (a 4xx naming the field).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

# Above the uploads' own per-file cap (documents/uploads.py): a request of several files.
MULTIPART_MAX_BYTES = 25 * 1024 * 1024
YEARS = (1900, 2100)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


class BadInput(Exception):
    def __init__(self, status: int, loc: list[Any], message: str) -> None:
        super().__init__(message)
        self.status, self.loc, self.message = status, loc, message


def _machine(request: HttpRequest) -> bool:
    return request.path_info.startswith(("/api/", "/fhir/"))


def _respond(request: HttpRequest, exc: BadInput) -> HttpResponse:
    field = ".".join(str(part) for part in exc.loc)
    if request.path_info.startswith("/fhir/"):
        return JsonResponse(
            {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "too-long" if exc.status == 413 else "invalid",
                        "diagnostics": f"{field}: {exc.message}",
                        "expression": [field],
                    }
                ],
            },
            status=exc.status,
            content_type="application/fhir+json",
        )
    if _machine(request):
        response: HttpResponse = JsonResponse(
            {"detail": [{"loc": exc.loc, "msg": exc.message, "type": "value_error"}]},
            status=exc.status,
        )
    else:
        response = render(
            request,
            "geste/errors/bad_input.html",
            {"message": f"{field} : {exc.message}"},
            status=exc.status,
        )
    if exc.status == 413:
        response["Connection"] = "close"  # the unread body is not worth reading
    return response


def _check_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadInput(400, ["header", "Content-Length"], _("n'est pas un nombre")) from None
    multipart = request.content_type == "multipart/form-data"
    limit = MULTIPART_MAX_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise BadInput(
            413,
            ["body"],
            _("trop volumineux (%(size)d octets, au plus %(limit)d)")
            % {"size": length, "limit": limit},
        )


def _check_text(where: str, name: str, value: str) -> None:
    if "\x00" in name or "\x00" in value:
        raise BadInput(400, [where, name.replace("\x00", "")], _("caractère nul interdit"))
    match = _ISO_DATE.match(value)
    if match is None:
        return
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return  # not a date after all: the view says what it expected
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise BadInput(
            422,
            [where, name],
            _("date hors limites : l'année doit être entre %(a)d et %(b)d")
            % {"a": YEARS[0], "b": YEARS[1]},
        )


def _nul_path(data: Any) -> list[Any] | None:
    """Where the first NUL character sits in parsed JSON (iteratively: any depth)."""
    stack: list[tuple[list[Any], Any]] = [([], data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return loc
        elif isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return [*loc, key.replace("\x00", "")]
                stack.append(([*loc, key], item))
        elif isinstance(value, list):
            stack.extend(([*loc, index], item) for index, item in enumerate(value))
    return None


def _check_json(request: HttpRequest) -> None:
    body = request.body
    if b"\x00" not in body and not _unescaped(body):
        return
    loc: list[Any] = ["body"]
    try:
        found = _nul_path(json.loads(body))
    except (ValueError, RecursionError):
        found = None  # malformed or too deep: NUL is still named, at the body
    if found is not None:
        loc.extend(found)
    raise BadInput(400, loc, _("caractère nul interdit"))


def _unescaped(body: bytes) -> bool:
    """True if some `\\u0000` in the raw JSON is an escape (odd run of backslashes before u)."""
    for match in _JSON_NUL.finditer(body):
        start, run = match.start(), 0
        while start - run - 1 >= 0 and body[start - run - 1] == 0x5C:
            run += 1
        if run % 2 == 0:
            return True
    return False


def check_request(request: HttpRequest) -> None:
    """Raise BadInput for the first problem found."""
    if "\x00" in request.path_info:
        raise BadInput(400, ["path"], _("caractère nul interdit"))
    _check_size(request)
    for name, values in request.GET.lists():
        for value in values:
            _check_text("query", name, value)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                post = request.POST
            except MultiPartParserError:
                raise BadInput(400, ["body"], _("formulaire illisible")) from None
            for name, values in post.lists():
                for value in values:
                    _check_text("form", name, value)
        elif _machine(request) and request.body:
            _check_json(request)


class BadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except BadInput as exc:
            return _respond(request, exc)
        return self.get_response(request)
