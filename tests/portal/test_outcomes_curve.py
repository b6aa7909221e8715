"""The patient's own pain curve on "Mes résultats" (issue 13, point 6): before, 48-72 h and one
month, an SVG with a table of the same values; hers only, never another patient's; the page's
query count does not grow with her requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.pathway.models import FollowUp, Report, RequestState
from tests.pathway.factories import make_request

pytestmark = pytest.mark.django_db
RESULTS = reverse("portal:my_results")


def _followed(patient, radiologist, before, h48, month, *, days_ago=40):  # type: ignore[no-untyped-def]
    req = make_request(
        patient, "facet_infiltration", state=RequestState.FOLLOWED_UP, pain_nrs=before
    )
    performed = timezone.now() - timedelta(days=days_ago)
    Report.objects.create(
        request=req, text="t", signed_by=radiologist, signed_at=performed, performed_at=performed
    )
    FollowUp.objects.create(
        request=req,
        due_at=performed + timedelta(hours=48),
        answered_at=performed + timedelta(hours=50) if h48 is not None else None,
        pain_now=h48,
        month_due_at=performed + timedelta(days=30),
        month_answered_at=performed + timedelta(days=31) if month is not None else None,
        pain_month=month,
    )
    return req


def test_she_sees_her_curve_and_its_table(alice, alice_client, radiologist):  # type: ignore[no-untyped-def]
    req = _followed(alice, radiologist, 8, 4, 2)
    html = alice_client.get(RESULTS).text
    assert f'aria-labelledby="pain-{req.pk}-t"' in html and 'role="img"' in html
    assert "<tbody><tr><td>8</td><td>4</td><td>2</td></tr></tbody>" in html
    assert AuditEvent.objects.filter(action="results.read", patient=alice).exists()


def test_never_another_patients_curve(alice, bob, alice_client, bob_client, radiologist):  # type: ignore[no-untyped-def]
    mine = _followed(alice, radiologist, 8, 4, 2)
    theirs = _followed(bob, radiologist, 9, 1, 7)
    html = alice_client.get(RESULTS).text
    assert f"pain-{mine.pk}-t" in html
    assert f"pain-{theirs.pk}-t" not in html
    assert "<td>9</td><td>1</td><td>7</td>" not in html
    bob_html = bob_client.get(RESULTS).text
    assert f"pain-{theirs.pk}-t" in bob_html and f"pain-{mine.pk}-t" not in bob_html


def test_unknown_values_show_a_dash_and_the_open_questionnaire(alice, alice_client, radiologist):  # type: ignore[no-untyped-def]
    req = _followed(alice, radiologist, 7, 3, None, days_ago=32)  # one month due 2 days ago
    html = alice_client.get(RESULTS).text
    assert "<td>7</td><td>3</td><td>—</td>" in html
    assert reverse("portal:followup_month", args=[req.followup.pk]) in html


def test_no_curve_before_any_follow_up_answer(alice, alice_client, radiologist):  # type: ignore[no-untyped-def]
    req = _followed(alice, radiologist, 7, None, None, days_ago=1)
    assert f"pain-{req.pk}-t" not in alice_client.get(RESULTS).text


def test_query_count_does_not_grow_with_her_requests(
    alice, alice_client, radiologist, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    _followed(alice, radiologist, 8, 4, 2)
    alice_client.get(RESULTS)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert alice_client.get(RESULTS).status_code == 200
    for i in range(19):
        _followed(alice, radiologist, 5 + i % 5, i % 6, i % 4 if i % 3 else None, days_ago=31 + i)
    with django_assert_max_num_queries(len(one)):
        assert alice_client.get(RESULTS).status_code == 200
