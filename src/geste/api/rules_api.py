"""`POST /api/v1/check` and `POST /api/v1/triage`: the rules engine over HTTP.

Same JSON in and out as the CLI (docs/contracts/README.md): the body is one case or an array
of cases; the answer is one result or an array of results, in input order. A bad case is a 422
naming the case and the field, and nothing is evaluated.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Schema

from geste.audit.services import log_action
from geste.clinic.selectors import safety_settings
from geste.rules.case import Case, CaseError, parse_case
from geste.rules.policy import PolicyError, available_policies, load_policy
from geste.rules.safety import check
from geste.rules.triage import triage

router = Router(tags=["rules"])
PARIS = ZoneInfo("Europe/Paris")
CASE_SCHEMA: dict[str, Any] = json.loads(
    (Path(__file__).with_name("case.schema.json")).read_text(encoding="utf-8")
)
CASE_SCHEMA.pop("$schema", None)
CASE_SCHEMA.pop("$id", None)
BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [CASE_SCHEMA, {"type": "array", "items": CASE_SCHEMA}]}
            }
        },
    }
}


class FindingOut(Schema):
    code: str
    severity: Literal["no_go", "review", "info"]
    detail: str


class CheckOut(Schema):
    id: str
    verdict: Literal["go", "review", "no_go"]
    bleeding_risk: Literal["high", "low"]
    findings: list[FindingOut]
    earliest_safe_at: str | None


class TriageOut(Schema):
    id: str
    decision: Literal["maintain", "defer", "discuss", "contraindicated"]
    rules: list[str]
    review_on: str | None
    group_lesions: bool


class CheckParams(Schema):
    at: datetime | None = None
    lang: Literal["fr", "en"] = "fr"


class TriageParams(Schema):
    policy: str = "covid19-aphp-2020"
    today: date | None = None


def _error(loc: list[Any], msg: str) -> JsonResponse:
    return JsonResponse({"detail": [{"loc": loc, "msg": msg}]}, status=422)


def _parse_body(request: HttpRequest) -> tuple[list[Case], bool] | JsonResponse:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return _error(["body"], f"not JSON: {exc}")
    many = isinstance(body, list)
    items = body if many else [body]
    cases = []
    for index, item in enumerate(items):
        try:
            cases.append(parse_case(item))
        except CaseError as exc:
            loc: list[Any] = ["body"]
            if many:
                loc.append(index)
            loc.extend(exc.field.replace("]", "").replace("[", ".").split("."))
            case_id = item.get("id") if isinstance(item, dict) else None
            label = f"case {index}" + (f" (id {case_id!r})" if case_id else "")
            return _error(loc, f"{label}: {exc.field}: {exc.message}")
    return cases, many


def _aware(value: datetime | None, name: str) -> datetime | JsonResponse | None:
    if value is not None and value.tzinfo is None:
        return _error(["query", name], "datetime must carry a UTC offset")
    return value


@router.post(
    "/check",
    response={200: CheckOut | list[CheckOut]},
    openapi_extra=BODY_DOC,
    summary="Pre-procedure safety check (time-out) of one case or an array of cases",
)
def check_cases(request: HttpRequest, params: Query[CheckParams]) -> Any:
    at = _aware(params.at, "at")
    if isinstance(at, JsonResponse):
        return at
    parsed = _parse_body(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    cases, many = parsed
    settings = safety_settings()
    results = [check(case, settings, at).to_json(params.lang) for case in cases]
    log_action(actor=request.user, action="rules.check", details={"cases": len(cases)})
    return results if many else results[0]


@router.post(
    "/triage",
    response={200: TriageOut | list[TriageOut]},
    openapi_extra=BODY_DOC,
    summary="Crisis triage of one case or an array of cases under a policy",
)
def triage_cases(request: HttpRequest, params: Query[TriageParams]) -> Any:
    # Only shipped policies by id: load_policy() also reads paths, never offered over HTTP.
    try:
        if params.policy not in available_policies():
            raise PolicyError("policy", "unknown")
        policy = load_policy(params.policy)
    except PolicyError:
        return _error(
            ["query", "policy"],
            f"unknown policy {params.policy!r}; available: {', '.join(available_policies())}",
        )
    parsed = _parse_body(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    cases, many = parsed
    today = params.today or datetime.now(PARIS).date()
    results = [triage(case, policy, today).to_json() for case in cases]
    log_action(
        actor=request.user,
        action="rules.triage",
        details={"cases": len(cases), "policy": policy.id, "version": policy.version},
    )
    return results if many else results[0]
