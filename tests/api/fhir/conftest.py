"""FHIR tests: a small centre, a bearer-token client per role, and the two validators applied to
every FHIR resource a test receives (a test fails if any is invalid)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from geste.api.models import ApiToken
from tests.api.fhir.validators import TALLY, Medplum, in_process_errors, resources_in
from tests.scheduling.conftest import NOW, Centre, build_centre

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def centre(radiologist: Any) -> Iterator[Centre]:
    """The scheduling tests' centre, on Monday 9 March 2026 at 07:00 (Paris)."""
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield build_centre(radiologist)


@pytest.fixture(scope="session")
def medplum() -> Iterator[Medplum]:
    validator = Medplum()
    yield validator
    validator.close()


class FhirClient:
    """A Django test client speaking FHIR with a bearer token; records every resource seen."""

    def __init__(self, token: str | None, seen: list[dict[str, Any]], lang: str = "fr") -> None:
        headers = {"HTTP_ACCEPT_LANGUAGE": lang, "HTTP_ACCEPT": FHIR_JSON}
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        self.client = Client(**headers)
        self.seen = seen

    def _record(self, response: Any) -> Any:
        if response["Content-Type"].startswith(FHIR_JSON):
            self.seen.append(json.loads(response.content))
        return response

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self._record(self.client.get(f"/fhir/R4/{path}", params or {}, **extra))

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        return self._record(
            self.client.post(f"/fhir/R4/{path}", json.dumps(body), content_type=FHIR_JSON, **extra)
        )

    def put(self, path: str, body: Any, **extra: Any) -> Any:
        return self._record(
            self.client.put(f"/fhir/R4/{path}", json.dumps(body), content_type=FHIR_JSON, **extra)
        )


@pytest.fixture
def seen(medplum: Medplum) -> Iterator[list[dict[str, Any]]]:
    """Every FHIR body the test received; all validated by both validators at teardown."""
    bodies: list[dict[str, Any]] = []
    yield bodies
    problems = []
    for body in bodies:
        for resource in resources_in(body):
            errors = in_process_errors(resource) + medplum.errors(resource)
            TALLY.validated += 1
            if errors:
                problems.append((resource.get("resourceType"), resource.get("id"), errors))
    assert not problems, problems


def _client(user: Any, seen: list[dict[str, Any]], lang: str = "fr") -> FhirClient:
    _, raw = ApiToken.issue(user)
    return FhirClient(raw, seen, lang)


@pytest.fixture
def reception(receptionist: Any, seen: list[dict[str, Any]]) -> FhirClient:
    return _client(receptionist, seen)


@pytest.fixture
def radio_api(radiologist: Any, seen: list[dict[str, Any]]) -> FhirClient:
    return _client(radiologist, seen)


@pytest.fixture
def manip(technologist: Any, seen: list[dict[str, Any]]) -> FhirClient:
    return _client(technologist, seen)


@pytest.fixture
def anonymous(seen: list[dict[str, Any]]) -> FhirClient:
    return FhirClient(None, seen)


@pytest.fixture
def english(receptionist: Any, seen: list[dict[str, Any]]) -> FhirClient:
    return _client(receptionist, seen, "en-GB,en;q=0.9")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.validated or any(TALLY.caught_on_purpose.values()):
        terminalreporter.write_line(
            f"FHIR validators: {TALLY.validated} resources validated by both (fhir.resources "
            f"R4B + invariants, and Medplum); invalid resources caught on purpose: "
            f"{TALLY.caught_on_purpose}"
        )
