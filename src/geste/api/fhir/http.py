"""FHIR HTTP plumbing: JSON responses, OperationOutcome errors, bearer authentication."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from geste.api.auth import StaffBearer
from geste.api.fhir import messages
from geste.api.fhir.roles import allowed
from geste.api.fhir.validation import InvalidResource, checked

FHIR_JSON = "application/fhir+json"
logger = logging.getLogger(__name__)


class FhirError(Exception):
    """Answered as an OperationOutcome with `status` and a text in the client's language."""

    def __init__(
        self, status: int, code: str, *, issue: str = "processing", **params: object
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.issue, self.params = status, code, issue, params


def respond(resource: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(checked(resource), ensure_ascii=False),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(request: HttpRequest | None, error: FhirError) -> HttpResponse:
    lang = messages.language(request)
    body = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": error.issue,
                "details": {
                    "coding": [{"system": "urn:geste:fhir:error", "code": error.code}],
                    "text": messages.text(error.code, lang, **error.params),
                },
            }
        ],
    }
    response = respond(body, error.status)
    response["Content-Language"] = lang
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="geste-fhir"'
    return response


def authenticate(request: HttpRequest) -> Any:
    """The staff user of a bearer token (`geste api-token`), or FhirError 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = StaffBearer().authenticate(request, token.strip())
    if user is None:
        raise FhirError(401, "unauthenticated", issue="login")
    return user


def require(user: Any, resource_type: str, verb: str) -> None:
    if not allowed(getattr(user, "role", ""), resource_type, verb):
        raise FhirError(403, "forbidden", issue="forbidden", resource=resource_type)


def fhir_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turns FhirError into an OperationOutcome; refuses non-JSON `_format`/Accept."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            fmt = request.GET.get("_format", "")
            if fmt and "json" not in fmt:
                raise FhirError(406, "not_acceptable", issue="not-supported")
            return view(request, *args, **kwargs)
        except FhirError as error:
            return outcome(request, error)
        except InvalidResource as exc:
            # A mapping bug: nothing invalid leaves the server; the log names the element.
            logger.error("FHIR resource failed validation: %s", exc)
            return outcome(request, FhirError(500, "internal", issue="exception"))

    return wrapper


def read_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError(400, "invalid_resource", issue="structure", detail="JSON") from exc
