"""Every page and every API verb x every role, against THE role table (geste.web.access).

The pages are walked from the URL resolver and the API's operations from its OpenAPI
document, so a new page or endpoint missing from the table fails here. For each, every
persona (anonymous, patient A, each staff role) sends a GET and an empty POST; the API is
called with a bearer token and with the browser session. Patient B never sees anything of
patient A: every A-object URL answers 404 to B.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from geste.api.fhir.roles import FHIR_PERMISSIONS
from geste.api.models import ApiToken
from geste.api.routes import api
from geste.audit.models import AuditEvent
from geste.clinic.models import Role
from geste.documents.models import Document, DocumentKind
from geste.pathway.models import FollowUp, Prescription, Report, RequestState
from geste.patients.models import LabResult
from geste.scheduling.models import Appointment, AppointmentStatus
from geste.web.access import API, PAGES, PUBLIC, SIGNED_IN, VISITORS, roles_for
from tests.conftest import client_for
from tests.factories import make_user
from tests.pathway.factories import book, make_request, room

pytestmark = pytest.mark.django_db
ANON, A, B, REC, TECH, RAD, ADM = "anon", "A", "B", "rec", "tech", "rad", "adm"
ROLE = {
    REC: Role.RECEPTIONIST,
    TECH: Role.TECHNOLOGIST,
    RAD: Role.RADIOLOGIST,
    ADM: Role.ADMINISTRATOR,
}
PERSONAS = (ANON, A, REC, TECH, RAD, ADM)
LOGIN = 302
PDF = b"%PDF-1.4\n%fake letter\n"
# Never POSTed: it would end the persona's session for the rest of the walk.
NO_POST = {"logout"}


@pytest.fixture
def world(alice, bob, staff_users, radiologist, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.GESTE_RATE_API = "100000/m"
    req = make_request(alice, state=RequestState.REPORTED, validated_by=radiologist)
    req.referral_letter.save("courrier.pdf", ContentFile(PDF))
    lab = LabResult.objects.create(patient=alice, sampled_at=timezone.now(), inr=1.0)
    lab.document.save("bilan.pdf", ContentFile(PDF))
    pres = Prescription.objects.create(
        request=req,
        kind="products",
        lines=["x"],
        prescriber=radiologist,
        signed_at=timezone.now(),
        signed_by=radiologist,
    )
    Report.objects.create(request=req, text="t", signed_by=radiologist, signed_at=timezone.now())
    fu = FollowUp.objects.create(request=req, due_at=timezone.now() + timedelta(hours=1))
    doc = Document(
        patient=alice,
        request=req,
        kind=DocumentKind.KEY_IMAGE,
        title="i",
        content_type="image/png",
        created_by=radiologist,
    )
    doc.file.save("x.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    # django-otp's admin "config" page needs a real device to render (a missing one is a 404)
    device = TOTPDevice.objects.create(user=make_user("otp", Role.RECEPTIONIST), name="t")
    clients = {ANON: Client(), A: client_for(alice.user), B: client_for(bob.user)}
    tokens = {}
    for key, role in ROLE.items():
        clients[key] = client_for(staff_users[role])
        tokens[key] = ApiToken.issue(staff_users[role])[1]
    return {
        "req": req,
        "pres": pres,
        "fu": fu,
        "doc": doc,
        "lab": lab,
        "clients": clients,
        "tokens": tokens,
        "alice": alice,
        "radiologist": radiologist,
        "device": device,
    }


# ----------------------------------------------------------------------------- pages


def _walk(patterns: list[Any], namespace: str | None = None) -> list[tuple[str, URLPattern]]:
    out = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace if namespace is None else f"{namespace}:{p.namespace}"
            out += _walk(p.url_patterns, ns if p.namespace else namespace)
        elif p.name:  # the unnamed one is the debug static-file server
            out.append((f"{namespace}:{p.name}" if namespace else p.name, p))
    return out


def _url(name: str, pattern: URLPattern, w: dict[str, Any]) -> str:
    pk = {
        "staff:lab_document": w["lab"].pk,
        "staff:alert_clear": w["fu"].pk,
        "portal:my_image": w["doc"].pk,
        "portal:followup": w["fu"].pk,
    }.get(name, w["device"].pk if "totpdevice" in name else w["req"].pk)
    values: dict[str, Any] = {
        "pk": pk,
        "patient_id": w["alice"].pk,
        "request_id": w["req"].pk,
        "appointment_id": 1,
        "kind": "compte-rendu",
        "item": w["pres"].pk,
        "what": "postpone",
        "token": "not-a-token",
        "uidb64": "x",
        "code": "epidural_infiltration",
        "resource_type": "Patient",
        "rid": "1",
        "operation": "find",
        "app_label": "clinic",
        "object_id": str(w["device"].pk) if "totpdevice" in name else "1",
        "content_type_id": 1,
        "url": "x",
    }
    kwargs = {k: values.get(k, 1) for k in pattern.pattern.regex.groupindex}
    return reverse(name, kwargs=kwargs)


def _key(name: str) -> str:
    return (
        "staff:staff_pdf:compte-rendu"
        if name in ("staff:staff_pdf", "staff:staff_pdf_item")
        else name
    )


def _expect_allowed(roles: frozenset[str], who: str) -> bool:
    if roles is PUBLIC:
        return True
    if who == ANON:
        return "-" in roles
    if roles is SIGNED_IN:
        return True
    role = Role.PATIENT if who in (A, B) else ROLE[who]
    return role in roles


def test_every_page_is_in_the_table_and_the_table_names_only_pages():
    names = {name for name, _p in _walk(get_resolver().url_patterns)}
    missing = sorted(n for n in names if n != "api:*" and _missing(n))
    assert not missing, f"pages missing from geste.web.access.PAGES: {missing}"
    stale = sorted(
        k
        for k in PAGES
        if not k.endswith(":*") and k not in names and k.rsplit(":", 1)[0] not in names
    )
    assert not stale, f"keys of PAGES that name no page: {stale}"


def _missing(name: str) -> bool:
    if name.startswith("api:") and name not in PAGES:
        return False  # API operations: checked per verb against API below
    try:
        roles_for(name)
    except KeyError:
        return True
    return False


def _page_status(client: Client, method: str, url: str) -> int:
    return (client.get(url) if method == "GET" else client.post(url)).status_code


def test_every_page_for_every_role(world, capsys):
    checked = 0
    failures = []
    for name, pattern in _walk(get_resolver().url_patterns):
        if name.startswith(("api:", "fhir:")) and name not in PAGES:
            continue  # the JSON API and FHIR: per verb, below
        if name.startswith("fhir:"):
            continue
        url = _url(name, pattern, world)
        roles = roles_for(_key(name))
        admin = name.startswith("admin:")
        for who in PERSONAS:
            client = world["clients"][who]
            got = {"GET": _page_status(client, "GET", url)}
            if name not in NO_POST and not admin:
                got["POST"] = _page_status(client, "POST", url)
            checked += 1
            statuses = set(got.values())
            if any(s >= 500 for s in statuses):
                failures.append((who, name, url, got, "5xx"))
            elif admin:
                # the admin hides itself (404) from every logged-in non-administrator
                if who == ADM:
                    ok = got["GET"] == 200 if name == "admin:index" else True
                else:
                    ok = got["GET"] == (LOGIN if who == ANON else 404)
                if not ok:
                    failures.append((who, name, url, got, "admin"))
            elif _expect_allowed(roles, who):
                if 403 in statuses:
                    failures.append((who, name, url, got, "refused but allowed"))
            elif who == ANON:
                if not statuses <= {LOGIN, 405} or LOGIN not in statuses:
                    failures.append((who, name, url, got, "anonymous not sent to login"))
            elif not statuses <= {403, 405} or 403 not in statuses:
                failures.append((who, name, url, got, "allowed but refused by table"))
    with capsys.disabled():
        print(f"\naccess matrix: {checked} page x persona pairs checked (GET and POST)")
    assert not failures, "\n".join(map(str, failures))
    assert checked > 6 * 150


# ------------------------------------------------------------------------------- API


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_api_operation_is_in_the_table():
    keys = {f"{m} {p}" for m, p in _operations()}
    assert keys == set(API), (sorted(keys - set(API)), sorted(set(API) - keys))


def _call(client: Client, method: str, path: str, w: dict[str, Any], token: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    url = path.replace("{appointment_id}", "999999")
    if method == "GET":
        day = timezone.localdate() + timedelta(days=1)
        query = {"procedure": "epidural_infiltration", "kind": "consultation"}
        query |= {"start": day.isoformat(), "end": day.isoformat(), "patient": w["alice"].pk}
        return client.get(url, query if "slots" in path else {}, **headers)
    if method == "DELETE":
        return client.delete(url, **headers)
    return client.post(url, "{}", content_type="application/json", **headers)


def test_every_api_verb_for_every_role_by_token_and_by_session(world, capsys):
    checked, failures = 0, []
    for method, path in _operations():
        roles = API[f"{method} {path}"]
        for who in PERSONAS:
            ways = {"session": (world["clients"][who], None)}
            if who in ROLE:
                ways["token"] = (Client(), world["tokens"][who])
            for way, (client, token) in ways.items():
                status = _call(client, method, path, world, token).status_code
                checked += 1
                if who in (ANON, A):
                    expected_ok = status == 401
                elif ROLE[who] in roles:
                    expected_ok = status not in (401, 403) and status < 500
                else:
                    expected_ok = status == 403
                if not expected_ok:
                    failures.append((who, way, method, path, status))
    with capsys.disabled():
        print(f"\naccess matrix: {checked} API verb x persona x credential pairs checked")
    assert not failures, failures


def _valid_booking(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "patient": w["alice"].pk,
        "kind": "consultation",
        "procedure": "epidural_infiltration",
        "start": (timezone.now() + timedelta(days=2)).isoformat(),
        "room": room().pk,
        "radiologist": w["radiologist"].pk,
    }


def test_a_technologist_cannot_book_or_cancel_through_the_api_with_his_session(world):
    tech = world["clients"][TECH]
    response = tech.post(
        "/api/v1/appointments", _valid_booking(world), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Appointment.objects.exists()
    appointment = book(world["req"], timezone.now() + timedelta(days=3), world["radiologist"])
    response = tech.delete(
        f"/api/v1/appointments/{appointment.pk}?reason=x", content_type="application/json"
    )
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status != AppointmentStatus.CANCELLED


def test_slot_search_does_not_tell_a_technologist_whether_a_patient_exists(world):
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    base = f"/api/v1/slots?procedure=epidural_infiltration&kind=procedure&start={day}&end={day}"
    answers = []
    for patient in (world["alice"].pk, 987654):
        for client, headers in (
            (world["clients"][TECH], {}),
            (Client(), {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][TECH]}"}),
        ):
            response = client.get(f"{base}&patient={patient}", **headers)
            answers.append((response.status_code, response.content))
    assert len(set(answers)) == 1 and answers[0][0] == 403
    # a booking role is told (it may see the patient list anyway), and the read is audited
    rec = world["clients"][REC]
    assert rec.get(f"{base}&patient=987654").status_code == 422
    assert rec.get(f"{base}&patient={world['alice'].pk}").status_code == 200
    assert AuditEvent.objects.filter(
        action="patient.read", patient=world["alice"], details__via="api.slots"
    ).exists()


# ------------------------------------------------------------------------------ FHIR


def test_fhir_search_and_read_follow_its_role_table(world):
    checked = 0
    for resource, verbs in FHIR_PERMISSIONS.items():
        for who in ROLE:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][who]}"}
            for verb, url in (
                ("search", f"/fhir/R4/{resource}"),
                ("read", f"/fhir/R4/{resource}/1"),
            ):
                if verb not in verbs and resource != "Binary":
                    continue
                status = Client().get(url, **headers).status_code
                checked += 1
                if ROLE[who] in verbs.get(verb, frozenset()):
                    assert status not in (401, 403) and status < 500, (who, url, status)
                else:
                    assert status == 403, (who, url, status)
    assert checked >= len(FHIR_PERMISSIONS) * 4


# ------------------------------------------------------------- one patient, not another


def test_patient_b_sees_nothing_of_a(world):
    b = world["clients"][B]
    results = b.get(reverse("portal:my_results")).content.decode()
    assert reverse("portal:my_pdf", args=[world["req"].pk, "compte-rendu"]) not in results
    assert b.get(reverse("portal:my_image", args=[world["doc"].pk])).status_code == 404
    for kind in ("compte-rendu", "sortie"):
        assert b.get(reverse("portal:my_pdf", args=[world["req"].pk, kind])).status_code == 404
    assert b.get(reverse("portal:followup", args=[world["fu"].pk])).status_code == 404


def test_reception_is_refused_reports_and_questionnaire_details(world):
    rec, pk = world["clients"][REC], world["req"].pk
    assert rec.get(reverse("staff:staff_pdf", args=[pk, "compte-rendu"])).status_code == 403
    assert rec.get(reverse("staff:staff_questionnaire", args=[pk])).status_code == 403
    # administrative documents stay open to reception
    item = reverse("staff:staff_pdf_item", args=[pk, "ordonnance", world["pres"].pk])
    assert rec.get(item).status_code == 200
    assert rec.get(reverse("staff:referral_letter", args=[pk])).status_code == 200
    page = rec.get(reverse("staff:request_detail", args=[pk])).content.decode()
    assert reverse("staff:staff_pdf", args=[pk, "compte-rendu"]) not in page
    assert reverse("staff:staff_questionnaire", args=[pk]) not in page


def test_staff_downloads_of_letter_and_lab_report_are_audited(world):
    letter = world["clients"][REC].get(reverse("staff:referral_letter", args=[world["req"].pk]))
    assert letter["Content-Type"] == "application/pdf"
    assert "no-store" in letter["Cache-Control"]
    assert letter.content == PDF
    lab = world["clients"][TECH].get(reverse("staff:lab_document", args=[world["lab"].pk]))
    assert lab.content == PDF
    kinds = sorted(
        e.details["kind"]
        for e in AuditEvent.objects.filter(
            action="document.downloaded", patient=world["req"].patient
        )
    )
    assert kinds == ["lab_result", "referral_letter"]
    # Nothing to serve: 404, not an empty 200.
    world["req"].referral_letter = ""
    world["req"].save()
    response = world["clients"][REC].get(reverse("staff:referral_letter", args=[world["req"].pk]))
    assert response.status_code == 404


def test_visitors_marker_is_not_a_role():
    assert "-" not in Role.values and "+" not in Role.values and "*" not in Role.values
    assert VISITORS & set(Role.values) == {Role.PATIENT}
