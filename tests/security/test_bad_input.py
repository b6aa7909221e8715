"""No 5xx on bad input (issue 12, point 8): NUL characters, impossible dates, deep or huge
bodies and wrong types are a 4xx naming the field, and nothing is written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from geste.api.models import ApiToken
from geste.audit.models import AuditEvent
from geste.scheduling.models import Appointment
from tests.conftest import client_for
from tests.pathway.factories import make_request, room

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user) -> Client:  # type: ignore[no-untyped-def]
    return client_for(admin_user)


@pytest.fixture
def api(receptionist, settings):  # type: ignore[no-untyped-def]
    settings.GESTE_RATE_API = "100000/m"
    token = ApiToken.issue(receptionist)[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _detail(response) -> list:  # type: ignore[no-untyped-def]
    return response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/equipe/planning/?jour=%00", "jour"),
        ("/equipe/patients/?q=ab%00c", "q"),
        ("/equipe/audit/?action=%00", "action"),
        ("/prendre-rendez-vous/?acte=%00", "acte"),
    ],
)
def test_nul_in_a_query_string_is_400_naming_the_parameter(admin, url, field):
    response = admin.get(url)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_nul_in_the_path_is_400(admin):
    assert admin.get("/lien/abc%00def/").status_code == 400


def test_nul_in_a_form_field_is_400_and_nothing_is_written(admin, alice):
    before = AuditEvent.objects.count()
    response = admin.post(reverse("staff:staff_book"), {"slot": "2026\x00", "patient": alice.pk})
    assert response.status_code == 400
    assert "slot" in response.content.decode()
    assert AuditEvent.objects.count() == before and not Appointment.objects.exists()


@pytest.mark.parametrize(
    "url", ["/equipe/planning/?jour=9999-12-31", "/equipe/agenda/?jour=0001-01-01"]
)
def test_impossible_dates_in_pages_are_4xx(admin, radiologist, url):
    client = client_for(radiologist) if "agenda" in url else admin
    response = client.get(url)
    assert response.status_code == 422
    assert "jour" in response.content.decode()


def test_api_nul_in_a_query_parameter(api):
    response = api.get(
        "/api/v1/slots?procedure=a%00b&kind=consultation&start=2026-03-10&end=2026-03-10"
    )
    assert response.status_code == 400
    assert _detail(response)[0]["loc"] == ["query", "procedure"]


def test_api_nul_in_a_json_field_names_the_field_and_books_nothing(api, alice):
    body = {
        "patient": alice.pk,
        "kind": "consultation",
        "procedure": "x\u0000",
        "start": "2026-03-10T09:00:00+01:00",
        "room": 1,
        "radiologist": 1,
    }
    response = api.post("/api/v1/appointments", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert _detail(response)[0]["loc"] == ["body", "procedure"]
    assert not Appointment.objects.exists()


def test_an_escaped_backslash_before_u0000_is_not_a_nul(api):
    body = json.dumps({"id": "a\\u0000", "procedure": "nope"})  # the text \u0000, no NUL
    response = api.post("/api/v1/appointments", body, content_type="application/json")
    assert response.status_code == 422  # the schema's answer, not the NUL guard's


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=9999-12-31&end=9999-12-31", "start"),
        ("start=2026-03-10&end=0001-01-01", "end"),
    ],
)
def test_api_dates_out_of_range_are_422(api, query, field):
    response = api.get(f"/api/v1/slots?procedure=facet_infiltration&kind=consultation&{query}")
    assert response.status_code == 422
    assert _detail(response)[0]["loc"] == ["query", field]


def test_api_booking_in_year_9999_is_422(api, alice, radiologist):
    body = {
        "patient": alice.pk,
        "kind": "consultation",
        "procedure": "facet_infiltration",
        "start": "9999-12-31T09:00:00+01:00",
        "room": room().pk,
        "radiologist": radiologist.pk,
    }
    response = api.post("/api/v1/appointments", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "start" in json.dumps(_detail(response))
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("patient", "abc"),
        ("patient", 10**30),
        ("room", -1),
        ("video", {"a": 1}),
        ("start", "demain"),
    ],
)
def test_api_wrong_types_are_422_naming_the_field(api, alice, radiologist, field, value):
    body = {
        "patient": alice.pk,
        "kind": "consultation",
        "procedure": "facet_infiltration",
        "start": (timezone.now() + timedelta(days=3)).isoformat(),
        "room": room().pk,
        "radiologist": radiologist.pk,
        field: value,
    }
    response = api.post("/api/v1/appointments", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert field in json.dumps(_detail(response))
    assert not Appointment.objects.exists()


def test_api_huge_ids_in_the_path_are_422(api):
    assert api.delete(f"/api/v1/appointments/{10**30}?reason=x").status_code == 422


def test_deeply_nested_json_is_422_not_500(radiologist, settings):
    settings.GESTE_RATE_API = "100000/m"
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(radiologist)[1]}")
    deep = "[" * 5000 + "]" * 5000
    for path in ("/api/v1/check", "/api/v1/triage", "/api/v1/appointments"):
        response = client.post(path, deep, content_type="application/json")
        assert 400 <= response.status_code < 500, (path, response.status_code)
    obj = '{"a":' * 5000 + "1" + "}" * 5000
    assert client.post("/api/v1/check", obj, content_type="application/json").status_code == 422


def test_a_body_over_the_limit_is_413_before_it_is_read(api, admin, settings):
    big = b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api.post("/api/v1/check", big, content_type="application/json")
    assert response.status_code == 413
    assert _detail(response)[0]["loc"] == ["body"]
    page = admin.post(
        reverse("staff:staff_book"), big, content_type="application/x-www-form-urlencoded"
    )
    assert page.status_code == 413


def _pages() -> list[tuple[str, dict]]:
    out = []

    def walk(patterns, ns=None):  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or ns)
            elif p.name and ns in ("staff", "crisis"):
                out.append((f"{ns}:{p.name}", list(p.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns)
    return out


BAD_QUERIES = [
    {"jour": "2026-02-30"},
    {"jour": "99999-01-01"},
    {"page": "abc"},
    {"page": "-1"},
    {"page": str(10**30)},
    {"patient": "abc"},
    {"patient": str(10**30)},
    {"q": "'" * 300},
    {"decision": "nonsense"},
    {"vue": "semaine", "jour": "2026-13-01"},
    {"apres": "not-a-date"},
]
BAD_FORMS = [
    {"slot": "x|y|z"},
    {"slot": "2026-03-10T09:00:00+01:00|abc|" + str(10**30)},
    {"entry": "abc", "action": "remove"},
    {"entry": str(10**30)},
    {"proposed": "nonsense"},
    {"remove": "abc"},
    {"reason": "x" * 100000},
]


def test_no_staff_page_answers_5xx_to_wrong_types(admin_user, radiologist, alice):
    req = make_request(alice, validated_by=radiologist)
    clients = []
    for user in (admin_user, radiologist):
        client = Client(raise_request_exception=False)  # count every 5xx, not the first
        client.force_login(user)
        clients.append(client)
    failures, cases = [], 0
    for name, params in _pages():
        kwargs = {
            p: (
                "compte-rendu"
                if p == "kind"
                else "postpone"
                if p == "what"
                else req.pk
                if p == "pk"
                else 1
            )
            for p in params
        }
        url = reverse(name, kwargs=kwargs)
        for client in clients:
            for query in BAD_QUERIES:
                cases += 1
                status = client.get(url, query).status_code
                if status >= 500:
                    failures.append(("GET", url, query, status))
            for form in BAD_FORMS:
                cases += 1
                status = client.post(url, form).status_code
                if status >= 500:
                    failures.append(("POST", url, form, status))
    print(f"\nbad input: {cases} page cases, {len(failures)} answered 5xx")
    assert not failures, failures
