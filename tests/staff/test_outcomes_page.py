"""The outcomes page and its CSV (issue 13, point 6): radiologists and administrators only (the
role table), responders at 48-72 h and one month per procedure, level and operator, a chart,
period filters; the CSV holds aggregated rows only and is audited; the query count is the same
for one followed-up request as for twenty."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.pathway.models import FollowUp, Report, RequestState
from tests.conftest import client_for
from tests.factories import make_patient, make_user
from tests.pathway.factories import make_request, record

pytestmark = pytest.mark.django_db
PAGE, CSV = reverse("staff:outcomes"), reverse("staff:outcomes_csv")


def _followed(
    code: str,
    before: int,
    h48: int | None,
    month: int | None,
    *,
    operator,  # type: ignore[no-untyped-def]
    levels: str = "L4-L5",
    performed: datetime | None = None,
    last: str = "Test",
) -> FollowUp:
    patient = make_patient("Jeanne", last)
    req = make_request(patient, code, state=RequestState.FOLLOWED_UP, pain_nrs=before)
    record(req, operator, levels=levels)
    performed = performed or timezone.now() - timedelta(days=40)
    Report.objects.create(
        request=req,
        text="t",
        signed_by=operator,
        signed_at=performed,
        performed_at=performed,
        operator=operator,
    )
    return FollowUp.objects.create(
        request=req,
        due_at=performed + timedelta(hours=48),
        answered_at=performed + timedelta(hours=50) if h48 is not None else None,
        pain_now=h48,
        month_due_at=performed + timedelta(days=30),
        month_answered_at=performed + timedelta(days=31) if month is not None else None,
        pain_month=month,
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("radiologist", 200),
        ("administrator", 200),
        ("technologist", 403),
        ("receptionist", 403),
    ],
)
def test_access_by_role(staff_users, role, status):  # type: ignore[no-untyped-def]
    client = client_for(staff_users[role])
    assert client.get(PAGE).status_code == status
    assert client.get(CSV).status_code == status


def test_patient_and_anonymous_are_refused(alice_client, client):  # type: ignore[no-untyped-def]
    assert alice_client.get(PAGE).status_code == 403
    assert alice_client.get(CSV).status_code == 403
    assert client.get(CSV).status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action__startswith="outcomes.").exists()


def test_radiologist_navigation_links_the_page(radiologist):  # type: ignore[no-untyped-def]
    assert f'href="{PAGE}"' in client_for(radiologist).get(reverse("staff:dashboard")).text


def test_page_shows_responders_per_group_and_is_audited(radiologist):  # type: ignore[no-untyped-def]
    _followed("facet_infiltration", 10, 7, 5, operator=radiologist, last="Zorglub")  # 30 %, 50 %
    _followed("facet_infiltration", 10, 8, 9, operator=radiologist)  # 20 %, 10 %
    _followed("facet_infiltration", 0, 2, 0, operator=radiologist)  # no pain before: apart
    client = client_for(radiologist)
    html = client.get(PAGE).text
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    # 48-72 h: n=2, one >= 30 %, none >= 50 %; one month: n=2, one >= 50 %; one apart each.
    assert "<td>2</td><td>10,0 → 7,5</td><td>50 %</td><td>0 %</td><td>1</td>" in html
    assert "<td>2</td><td>10,0 → 7,0</td><td>50 %</td><td>50 %</td><td>1</td>" in html
    assert "Zorglub" not in html  # no patient on the page
    event = AuditEvent.objects.get(action="outcomes.read")
    assert event.actor == radiologist and event.details == {
        "start": "",
        "end": "",
        "by": "procedure",
    }


def test_group_by_level_and_operator(radiologist):  # type: ignore[no-untyped-def]
    other = make_user("radio2", "radiologist", first_name="Marc", last_name="Petit")
    _followed("facet_infiltration", 8, 4, 2, operator=radiologist, levels="L4-L5")
    _followed("epidural_infiltration", 8, 4, 2, operator=other, levels="l5 - s1")
    client = client_for(radiologist)
    by_level = client.get(PAGE, {"by": "level"}).text
    assert '<th scope="row">L4-L5</th>' in by_level and '<th scope="row">L5-S1</th>' in by_level
    by_operator = client.get(PAGE, {"by": "operator"}).text
    assert "Dr Marc Petit" in by_operator and "Dr Hélène Durand" in by_operator


def test_period_filter(radiologist):  # type: ignore[no-untyped-def]
    may = timezone.make_aware(datetime(2026, 5, 10, 9, 0))
    june = timezone.make_aware(datetime(2026, 6, 10, 9, 0))
    _followed("facet_infiltration", 8, 4, 2, operator=radiologist, performed=may)
    _followed("epidural_infiltration", 8, 4, 2, operator=radiologist, performed=june)
    client = client_for(radiologist)
    html = client.get(PAGE, {"start": "2026-06-01", "end": "2026-06-30"}).text
    assert "1 geste suivi sur la période." in html
    assert "Infiltration épidurale" in html or "épidurale" in html
    assert "Infiltration articulaire postérieure" not in html
    bad = client.get(PAGE, {"start": "2026-07-01", "end": "2026-06-01"})
    assert bad.status_code == 200 and "doit précéder" in bad.text


def test_csv_holds_aggregated_rows_only_and_is_audited(radiologist):  # type: ignore[no-untyped-def]
    _followed("facet_infiltration", 10, 5, 8, operator=radiologist, last="Zorglub")
    _followed("facet_infiltration", 6, 3, None, operator=radiologist, last="Zorglub")
    response = client_for(radiologist).get(CSV, {"start": "2020-01-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert "Zorglub" not in text and "Jeanne" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) == {
        "dimension",
        "group",
        "timepoint",
        "n",
        "baseline_zero_excluded",
        "mean_pain_before",
        "mean_pain_after",
        "responders_30",
        "percent_30",
        "responders_50",
        "percent_50",
    }
    # Three dimensions x one group each x two time points: six rows, no per-request row.
    assert len(rows) == 6
    assert {r["dimension"] for r in rows} == {"procedure", "level", "operator"}
    facet = {r["timepoint"]: r for r in rows if r["dimension"] == "procedure"}
    assert (facet["48-72h"]["n"], facet["48-72h"]["responders_50"]) == ("2", "2")
    assert facet["48-72h"]["percent_50"] == "100.0"
    assert facet["48-72h"]["mean_pain_before"] == "8.00"
    assert (facet["1month"]["n"], facet["1month"]["responders_30"]) == ("1", "0")
    assert facet["1month"]["percent_30"] == "0.0"
    operator = next(r for r in rows if r["dimension"] == "operator")
    assert operator["group"] == "Dr Hélène Durand"
    event = AuditEvent.objects.get(action="outcomes.exported")
    assert event.actor == radiologist
    assert event.details == {"start": "2020-01-01", "end": "", "by": "procedure", "rows": 6}


def test_csv_cell_cannot_run_as_a_formula(radiologist):  # type: ignore[no-untyped-def]
    _followed("facet_infiltration", 8, 4, 2, operator=radiologist, levels="=HYPERLINK(1)")
    text = client_for(radiologist).get(CSV).content.decode()
    assert "'=HYPERLINK(1)" in text


def test_query_count_is_flat(radiologist, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = client_for(radiologist)
    _followed("facet_infiltration", 8, 4, 2, operator=radiologist)
    client.get(PAGE)  # warm the session
    counts = {}
    for url in (PAGE, CSV):
        with CaptureQueriesContext(connection) as one:
            assert client.get(url).status_code == 200
        counts[url] = len(one)
    for i in range(19):
        op = radiologist if i % 2 else make_user(f"r{i}", "radiologist", last_name=f"R{i}")
        code = ("facet_infiltration", "epidural_infiltration", "bone_biopsy")[i % 3]
        _followed(code, 5 + i % 5, i % 6, i % 4, operator=op, levels=f"L{i % 5}-L{i % 5 + 1}")
    for url in (PAGE, CSV):
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_patient_record_shows_pain_before_48h_and_one_month(radiologist):  # type: ignore[no-untyped-def]
    fu = _followed("facet_infiltration", 9, 4, 2, operator=radiologist)
    html = client_for(radiologist).get(reverse("staff:patient", args=[fu.request.patient_id])).text
    assert "<td>9</td><td>4</td><td>2</td>" in html
