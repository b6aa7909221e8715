"""The rules engine over HTTP: same JSON as the CLI, 422 naming the field, staff only."""

import json
from pathlib import Path

import pytest
from django.test import Client

from geste.audit.models import AuditEvent

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "examples"
SHARED_SCHEMA = EXAMPLES.parent / "case.schema.json"

pytestmark = pytest.mark.django_db


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (EXAMPLES / name).read_text().splitlines() if line]


@pytest.fixture
def staff(radiologist: object) -> Client:
    client = Client()
    client.force_login(radiologist)  # type: ignore[arg-type]
    return client


def _post(client: Client, path: str, body: object) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_check_examples_over_http(staff: Client) -> None:
    cases = _jsonl("check-cases.jsonl")
    expected = _jsonl("check-expected.jsonl")
    response = _post(staff, "/api/v1/check", cases)
    assert response.status_code == 200  # type: ignore[attr-defined]
    results = response.json()  # type: ignore[attr-defined]
    assert [r["id"] for r in results] == [c["id"] for c in cases]
    for result, want in zip(results, expected, strict=True):
        assert result["verdict"] == want["verdict"]
        assert result["bleeding_risk"] == want["bleeding_risk"]
        codes = {f["code"] for f in result["findings"] if f["severity"] != "info"}
        assert codes == set(want["codes"])
        if "earliest_safe_at" in want:
            assert result["earliest_safe_at"] == want["earliest_safe_at"]
    assert AuditEvent.objects.filter(action="rules.check").count() == 1


def test_triage_examples_over_http(staff: Client) -> None:
    cases = _jsonl("triage-cases.jsonl")
    expected = _jsonl("triage-expected.jsonl")
    response = _post(staff, "/api/v1/triage?policy=covid19-aphp-2020&today=2026-03-10", cases)
    assert response.status_code == 200  # type: ignore[attr-defined]
    for result, want in zip(response.json(), expected, strict=True):  # type: ignore[attr-defined]
        assert result["id"] == want["id"]
        assert result["decision"] == want["decision"]
        assert result["review_on"] == want["review_on"]
        assert result["group_lesions"] == want["group_lesions"]
        assert result["rules"]


def test_single_case_in_single_result_out(staff: Client) -> None:
    case = _jsonl("check-cases.jsonl")[0]
    response = _post(staff, "/api/v1/check", case)
    assert response.json()["id"] == case["id"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c["patient"].update(age="old"), "patient.age"),
        (lambda c: c.update(colour="blue"), "colour"),
        (lambda c: c.update(procedure="acupuncture"), "procedure"),
        (lambda c: c.update(scheduled_at="2026-03-10T09:00:00"), "scheduled_at"),
        (lambda c: c.pop("patient"), "patient"),
    ],
)
def test_bad_case_is_422_naming_the_field(staff: Client, mutate: object, field: str) -> None:
    cases = _jsonl("check-cases.jsonl")
    mutate(cases[1])  # type: ignore[operator]
    response = _post(staff, "/api/v1/check", cases)
    assert response.status_code == 422  # type: ignore[attr-defined]
    detail = response.json()["detail"][0]  # type: ignore[attr-defined]
    assert field in detail["msg"]
    assert detail["loc"][:2] == ["body", 1]
    assert "ex-check-2" in detail["msg"]
    assert not AuditEvent.objects.filter(action="rules.check").exists()


def test_not_json_and_unknown_policy_are_422(staff: Client) -> None:
    response = staff.post("/api/v1/check", "{nope", content_type="application/json")
    assert response.status_code == 422
    response = _post(staff, "/api/v1/triage?policy=/etc/passwd", _jsonl("triage-cases.jsonl"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "policy"]


def test_naive_at_is_refused(staff: Client) -> None:
    response = _post(staff, "/api/v1/check?at=2026-03-10T09:00:00", _jsonl("check-cases.jsonl"))
    assert response.status_code == 422


def test_rules_api_requires_staff(alice_client: Client) -> None:
    body = _jsonl("check-cases.jsonl")
    assert _post(Client(), "/api/v1/check", body).status_code == 401  # type: ignore[attr-defined]
    assert _post(alice_client, "/api/v1/check", body).status_code == 401  # type: ignore[attr-defined]


def test_centre_settings_feed_the_engine(staff: Client) -> None:
    from geste.clinic.models import CentreSettings, DrugHoldInterval

    centre = CentreSettings.current()
    DrugHoldInterval.objects.filter(settings=centre, drug="apixaban").update(hours=12)
    case = _jsonl("check-cases.jsonl")[2]  # apixaban 25 h before: held 48 h by default
    result = _post(staff, "/api/v1/check", case).json()  # type: ignore[attr-defined]
    assert "medication_hold" not in {f["code"] for f in result["findings"]}


def test_openapi_documents_the_rules_endpoints(staff: Client) -> None:
    schema = staff.get("/api/v1/openapi.json").json()
    assert "/api/v1/check" in schema["paths"]
    assert "/api/v1/triage" in schema["paths"]


def test_vendored_case_schema_is_the_contract() -> None:
    from geste.api import rules_api

    vendored = Path(rules_api.__file__).with_name("case.schema.json").read_text()
    assert json.loads(vendored) == json.loads(SHARED_SCHEMA.read_text())
