"""The rules engine over HTTP: same JSON as the CLI, 422 naming the field, staff only."""

import json
from pathlib import Path

import pytest
from django.test import Client

from geste.audit.models import AuditEvent
from geste.rules.explain import FINDING_SPECS

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
        for f in result["findings"]:  # revision 2: every finding carries rule and source
            assert list(f) == ["code", "severity", "detail", "rule", "source"]
            assert f["rule"] == FINDING_SPECS[f["code"]].rule and f["source"]
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
        assert isinstance(result["missing_inputs"], list)


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


def test_same_answer_as_the_cli(staff: Client, capsys: pytest.CaptureFixture[str]) -> None:
    from geste.rules.cli import check_main, triage_main

    check_main([str(EXAMPLES / "check-cases.jsonl")])
    cli = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    http = _post(staff, "/api/v1/check", _jsonl("check-cases.jsonl")).json()  # type: ignore[attr-defined]
    assert http == cli
    triage_main(
        [
            "--policy",
            "covid19-aphp-2020",
            "--today",
            "2026-03-10",
            str(EXAMPLES / "triage-cases.jsonl"),
        ]
    )
    cli = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    path = "/api/v1/triage?policy=covid19-aphp-2020&today=2026-03-10"
    http = _post(staff, path, _jsonl("triage-cases.jsonl")).json()  # type: ignore[attr-defined]
    assert http == cli
    assert http[4]["missing_inputs"] == ["fever", "respiratory_signs", "neutropenia"]


def _raw(client: Client, path: str, text: str) -> object:
    return client.post(path, text, content_type="application/json")


GOOD = '{"id": "g", "procedure": "bone_biopsy", "patient": {"age": 40, "sex": "M"}}'


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        (
            '{"id": "g", "procedure": "bone_biopsy", "patient": {"age": 4, "age": 5, "sex": "M"}}',
            ["body", "patient", "age"],
            "duplicate key",
        ),
        (f'[{GOOD}, {{"id": "h", "id": "i"}}]', ["body", 1, "id"], "duplicate key"),
        (f"[{GOOD}, {GOOD}]", ["body", 1, "id"], "duplicate case id"),
        ('{"id": "d", "x": ' + "[" * 5000 + "]" * 5000 + "}", ["body", "x", 0, 0], "nesting"),
        ("[" * 5000 + "]" * 5000, ["body", 0, 0], "nesting"),
        ('{"id": "d", "x": ' + "[" * 40 + "]" * 40 + "}", ["body", "x", 0], "nesting"),
        (
            GOOD[:-1] + ', "scheduled_at": "2101-01-01T00:00:00+01:00"}',
            ["body", "scheduled_at"],
            "1900 and 2100",
        ),
        (
            GOOD[:-1] + ', "medications": [{"drug": "a", "last_dose_at": "0001-01-01T00:00Z"}]}',
            ["body", "medications", 0, "last_dose_at"],
            "1900 and 2100",
        ),
        ('{"id": "\\ud800", "procedure": "bone_biopsy"}', ["body", "id"], "Unicode"),
        ('{"a": NaN}', ["body"], "not valid JSON"),
    ],
)
def test_bad_input_of_revision_2_is_422_never_500(
    staff: Client, body: str, loc: list[object], words: str
) -> None:
    for path in ("/api/v1/check", "/api/v1/triage?today=2026-03-10"):
        response = _raw(staff, path, body)
        assert response.status_code == 422, response.content  # type: ignore[attr-defined]
        detail = response.json()["detail"][0]  # type: ignore[attr-defined]
        assert detail["loc"][: len(loc)] == loc
        assert words in detail["msg"]
    assert not AuditEvent.objects.filter(action__startswith="rules.").exists()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/check?at=0001-01-01T00:00:00%2B01:00", "at"),
        ("/api/v1/check?at=9999-12-31T23:00:00-12:00", "at"),
        ("/api/v1/triage?today=9999-12-31", "today"),
        ("/api/v1/triage?today=1899-12-31", "today"),
    ],
)
def test_query_dates_out_of_range_are_422(staff: Client, path: str, name: str) -> None:
    response = _raw(staff, path, GOOD)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["detail"][0]["loc"] == ["query", name]  # type: ignore[attr-defined]


def test_unknown_inputs_over_http(staff: Client) -> None:
    case = {
        "id": "u",
        "procedure": "intrathecal_injection",
        "patient": {"age": 60, "sex": "M"},
        "intrathecal_chemotherapy": None,
    }
    result = _post(staff, "/api/v1/triage?today=2026-03-10", case).json()  # type: ignore[attr-defined]
    assert result["decision"] == "defer"
    assert result["missing_inputs"] == ["intrathecal_chemotherapy"]


def test_centre_renal_threshold_feeds_the_engine(staff: Client) -> None:
    from geste.clinic.models import CentreSettings

    case = {
        "id": "r",
        "procedure": "epidural_infiltration",
        "scheduled_at": "2026-03-10T09:00:00+01:00",
        "patient": {"age": 60, "sex": "M", "creatinine_clearance_ml_min": 20},
        "indication_validated": True,
        "medications": [{"drug": "Xarelto", "last_dose_at": "2026-03-01T08:00:00+01:00"}],
        "hemostasis": {"sampled_at": "2026-03-09T08:00:00+01:00", "platelets_g_l": 200, "inr": 1},
    }
    result = _post(staff, "/api/v1/check", case).json()  # type: ignore[attr-defined]
    assert result["verdict"] == "go"
    CentreSettings.objects.update(renal_review_crcl_below=25)
    result = _post(staff, "/api/v1/check", case).json()  # type: ignore[attr-defined]
    assert [f["code"] for f in result["findings"]] == ["renal_review"]
    assert result["findings"][0]["rule"] == "S21"
