"""Referring-physician report links (issue 12, point 10): revocable, a limited number of reads,
expiry shown, each access listed on the request page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.pathway.models import Report, ReportLink, RequestState
from geste.pathway.report_links import (
    REPORT_LINK_MAX_READS,
    report_link_create,
    report_link_resolve,
    report_link_revoke,
)
from tests.conftest import client_for
from tests.pathway.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(alice, radiologist):  # type: ignore[no-untyped-def]
    req = make_request(alice, state=RequestState.REPORTED, validated_by=radiologist)
    return Report.objects.create(
        request=req, text="t", signed_by=radiologist, signed_at=timezone.now()
    )


def _open(token: str) -> int:
    return Client().get(reverse("portal:shared_report", args=[token])).status_code


def test_a_link_opens_at_most_max_reads_times(report, radiologist):
    link, token = report_link_create(report=report, actor=radiologist)
    assert link.max_reads == REPORT_LINK_MAX_READS
    ReportLink.objects.filter(pk=link.pk).update(max_reads=3)
    assert [_open(token) for _ in range(5)] == [200, 200, 200, 404, 404]
    link.refresh_from_db()
    assert link.reads == 3
    refused = AuditEvent.objects.filter(action="report.link_refused", details__link=link.pk)
    assert [e.details["reason"] for e in refused] == ["used_up", "used_up"]


def test_a_revoked_link_no_longer_opens_and_the_refusal_is_audited(report, radiologist):
    link, token = report_link_create(report=report, actor=radiologist)
    assert _open(token) == 200
    report_link_revoke(link=link, actor=radiologist)
    report_link_revoke(link=link, actor=radiologist)  # idempotent: one event
    assert _open(token) == 404
    assert AuditEvent.objects.filter(action="report.link_revoked").count() == 1
    assert AuditEvent.objects.get(action="report.link_refused").details["reason"] == "revoked"


def test_an_expired_link_is_refused(report, radiologist):
    link, token = report_link_create(report=report, actor=radiologist)
    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        assert report_link_resolve(token) is None
    assert AuditEvent.objects.get(action="report.link_refused").details["reason"] == "expired"


def test_an_unknown_token_is_404_and_leaves_no_event(report):
    assert _open("not-a-token") == 404
    assert not AuditEvent.objects.filter(action="report.link_refused").exists()


def test_staff_revoke_from_the_request_page_which_lists_expiry_reads_and_accesses(
    report, radiologist, receptionist
):
    req = report.request
    rad = client_for(radiologist)
    created = rad.post(reverse("staff:link_create", args=[req.pk]))
    assert created.status_code == 200
    body = created.content.decode()
    link = ReportLink.objects.get(report=report)
    assert timezone.localtime(link.expires_at).strftime("%d/%m/%Y") in body
    token = re.search(r'value="http://testserver/lien/([^/"]+)/"', body)[1]
    assert _open(token) == 200
    page = rad.get(reverse("staff:request_detail", args=[req.pk])).content.decode()
    assert f"ouvert 1 fois sur {REPORT_LINK_MAX_READS}" in page
    assert "— ouvert" in page  # the access, listed
    revoke = reverse("staff:link_revoke", args=[req.pk, link.pk])
    # reception may not revoke (nor create) links: reports are not theirs to see
    assert client_for(receptionist).post(revoke).status_code == 403
    assert rad.post(revoke).status_code == 302
    assert _open(token) == 404
    page = rad.get(reverse("staff:request_detail", args=[req.pk])).content.decode()
    assert "révoqué le" in page and "refusé (revoked)" in page
    # a link of another request cannot be revoked through this one
    other = make_request(req.patient, state=RequestState.REPORTED, validated_by=radiologist)
    assert rad.post(reverse("staff:link_revoke", args=[other.pk, link.pk])).status_code == 404
