"""Schemathesis against the OpenAPI document of /api/v1/ (issue 12, point 8): generated
requests for every operation, bounded (MAX_EXAMPLES per operation) and deterministic
(derandomize), on whichever database the suite runs on. No 5xx, and every status the API
answers is declared in the document.

A receptionist's bearer token drives the operations reception may use (the brief's persona);
the rules endpoints refuse reception (403, declared; tests/test_access_matrix.py), so they are
fuzzed with a radiologist's token, whose bodies they really read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from geste.api.models import ApiToken
from geste.api.routes import api
from geste.clinic.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = 25
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
# The rules bodies (the whole case schema, oneOf one case or an array) make the boundary
# "coverage" phase enumerate ~800 cases per operation: fuzz them with the bounded phase only.
rules_schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
rules_schema.config.phases.coverage.enabled = False
RULES = "^/api/v1/(check|triage)$"
# Bodies of /check and /triage are a JSON Schema with formats and oneOf; the case schema is
# large, so generation is slower than the health check likes.
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
SEEN: Counter[tuple[str, int]] = Counter()


@pytest.fixture
def tokens(settings: Any, centre_catalogue: None) -> dict[str, str]:
    settings.GESTE_RATE_API = "1000000/m"  # the fuzzer is not a flood to stop
    return {
        role: ApiToken.issue(make_user(f"fuzz-{role}", role))[1]
        for role in (Role.RECEPTIONIST, Role.RADIOLOGIST)
    }


@pytest.fixture
def centre_catalogue(radiologist: Any) -> None:
    """A radiologist to book with; the procedure catalogue is reference data."""


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler without closing "old" connections at each request, as Django's
    own test client does: on PostgreSQL that would close the test's open transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _run(case: Any, app: WSGIHandler, token: str) -> None:
    response = case.call(app=app, headers={"Authorization": f"Bearer {token}"})
    SEEN[(f"{case.method} {case.path}", response.status_code)] += 1
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance])


@schema.exclude(path_regex=RULES).parametrize()
@FUZZ
def test_api_as_a_receptionist(case: Any, app: WSGIHandler, tokens: dict[str, str]) -> None:
    _run(case, app, tokens[Role.RECEPTIONIST])


@rules_schema.include(path_regex=RULES).parametrize()
@FUZZ
def test_rules_api_as_a_radiologist(case: Any, app: WSGIHandler, tokens: dict[str, str]) -> None:
    _run(case, app, tokens[Role.RADIOLOGIST])


def test_zz_figures(capsys: Any) -> None:
    """Prints what the fuzzing above ran (the last test of this module, by its name)."""
    with capsys.disabled():
        total = sum(SEEN.values())
        errors = sum(n for (_op, status), n in SEEN.items() if status >= 500)
        print(f"\nschemathesis: {total} requests, 5xx: {errors}")
        for (operation, status), n in sorted(SEEN.items()):
            print(f"  {operation} -> {status}: {n}")
