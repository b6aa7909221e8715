"""`POST /api/v1/check` and `POST /api/v1/triage`: the rules engine over HTTP.

Same JSON in and out as the CLI (docs/contracts/README.md): the body is one case or an array
of cases; the answer is one result or an array of results, in input order. Bad input (the
contract's list, duplicate keys, duplicate case ids and nesting deeper than 32 levels
included) is a 422 naming the case and the field, and nothing is evaluated; never a 500.

`case.schema.json` beside this module is the packaged copy of docs/contracts/case.schema.json
(docs/ is not installed); a test keeps the two identical.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router, Schema

from geste import PARIS
from geste.api.auth import api_auth
from geste.api.errors import ERRORS
from geste.audit.services import log_action
from geste.clinic.selectors import safety_settings
from geste.rules.case import Case, CaseError, parse_case, text_of
from geste.rules.jsonin import MAX_DEPTH, JsonInputError, deep_path, loads
from geste.rules.policy import PolicyError, available_policies, load_policy
from geste.rules.safety import check
from geste.rules.triage import triage

router = Router(tags=["rules"])
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
    rule: str
    source: str


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
    missing_inputs: list[str]


class CheckParams(Schema):
    at: datetime | None = None
    lang: Literal["fr", "en"] = "fr"


class TriageParams(Schema):
    policy: str = "covid19-aphp-2020"
    today: date | None = None


def _error(loc: list[Any], msg: str) -> JsonResponse:
    return JsonResponse({"detail": [{"loc": loc, "msg": msg}]}, status=422)


def _loc(field: str) -> list[Any]:
    """``medications[0].drug`` -> ["medications", 0, "drug"]."""
    out: list[Any] = []
    for part in field.replace("]", "").replace("[", ".").split("."):
        if part:
            out.append(int(part) if part.isdigit() else part)
    return out


def _label(index: int | None, item: object) -> str:
    label = "case" if index is None else f"case {index}"
    if isinstance(item, dict):
        with contextlib.suppress(CaseError):  # only an id the schema accepts is echoed
            case_id = text_of(item.get("id"), "id", 64)
            label += f" (id {json.dumps(case_id, ensure_ascii=False)})"
    return label


def _parse_body(request: HttpRequest) -> tuple[list[Case], bool] | JsonResponse:
    try:
        text = (request.body or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(["body"], f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    many = text.lstrip().startswith("[")
    try:
        body = loads(text, array=many)
    except JsonInputError as exc:
        loc: list[Any] = ["body"]
        if exc.index is not None:
            loc.append(exc.index)
        loc.extend(_loc(exc.field))
        where = "" if exc.index is None else f"case {exc.index}: "
        field = f"{exc.field}: " if exc.field else ""
        return _error(loc, f"{where}{field}{exc.message}")
    items = body if many else [body]
    cases = []
    for index, item in enumerate(items):
        try:
            cases.append(parse_case(item))
        except CaseError as exc:
            place = ["body", index] if many else ["body"]
            label = _label(index if many else None, item)
            deep = deep_path(item)  # a valid case is never deep: name that problem first
            if deep is not None:
                msg = f"nesting deeper than {MAX_DEPTH} levels"
                return _error([*place, *_loc(deep.rstrip("."))], f"{label}: {deep}: {msg}")
            return _error([*place, *_loc(exc.field)], f"{label}: {exc.field}: {exc.message}")
    seen: dict[str, int] = {}
    for index, case in enumerate(cases):
        first = seen.setdefault(case.id, index)
        if first != index:
            return _error(
                ["body", index, "id"],
                f"{_label(index, items[index])}: id: duplicate case id (first: case {first})",
            )
    return cases, many


def _aware(value: datetime | None, name: str) -> datetime | JsonResponse | None:
    if value is not None and value.tzinfo is None:
        return _error(["query", name], "datetime must carry a UTC offset")
    if value is not None and not 1900 <= value.year <= 2100:
        return _error(["query", name], "datetime out of range: needs a year between 1900 and 2100")
    return value


@router.post(
    "/check",
    response={200: CheckOut | list[CheckOut], **ERRORS},
    auth=api_auth("POST /api/v1/check"),
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
    response={200: TriageOut | list[TriageOut], **ERRORS},
    auth=api_auth("POST /api/v1/triage"),
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
    if params.today is not None and not 1900 <= params.today.year <= 2100:
        return _error(["query", "today"], "date out of range: needs a year between 1900 and 2100")
    parsed = _parse_body(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    cases, many = parsed
    today = params.today or datetime.now(PARIS).date()  # the rules engine's: centre-wide
    results = [triage(case, policy, today).to_json() for case in cases]
    log_action(
        actor=request.user,
        action="rules.triage",
        details={"cases": len(cases), "policy": policy.id, "version": policy.version},
    )
    return results if many else results[0]
