"""Every staff page that shows a day reads it in a constant number of queries (issue 16): the
same count with one appointment as with thirty, for each role's page, the default view and
"Tout afficher". And its rows, escaped once in Python (pathway.worklists), still print a name
with HTML in it as text."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from geste.clinic.models import Cabin, Site
from geste.pathway.models import CabinAssignment, ProcedureRequest, RequestState
from geste.patients.models import Patient
from tests.conftest import client_for
from tests.pathway.bulk import fill_day

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T06:00:00+01:00")
DAY = NOW.date().isoformat()

# label, who opens it, url name, query string
PAGES = [
    ("reception", "receptionist", "staff:reception", ""),
    ("reception, all", "receptionist", "staff:reception", "?tout=1"),
    ("worklist", "technologist", "staff:tech_worklist", ""),
    ("worklist, all", "technologist", "staff:tech_worklist", "?tout=1"),
    ("dashboard", "radiologist", "staff:dashboard", ""),
    ("dashboard, all", "radiologist", "staff:dashboard", "?tout=1"),
    ("radiologist home", "radiologist", "staff:home", ""),
    ("planner day", "receptionist", "staff:planner", f"?jour={DAY}"),
    ("planner week", "receptionist", "staff:planner", f"?jour={DAY}&vue=semaine"),
    ("agenda", "radiologist", "staff:agenda", f"?jour={DAY}"),
]
# The most any day page needs (the dashboard: its lists, the engine's inputs for every
# request, the session, the second factor and the audit event of the read).
BOUND = 25


def _arrive(n: int) -> None:
    """The first n booked requests have arrived; the first of them is in a cabin."""
    ids = list(
        ProcedureRequest.objects.filter(state=RequestState.PROCEDURE_BOOKED)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    ProcedureRequest.objects.filter(pk__in=ids).update(state=RequestState.CHECKED_IN)
    if ids and not CabinAssignment.objects.exists():
        cabin = Cabin.objects.create(site=Site.objects.get(), name="Cabine 1")
        Cabin.objects.create(site=cabin.site, name="Cabine 2")
        CabinAssignment.objects.create(cabin=cabin, request_id=ids[0], assigned_at=timezone.now())


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("label", "who", "name", "query"), PAGES, ids=[p[0] for p in PAGES])
def test_day_page_queries_do_not_grow(
    label, who, name, query, staff_users, radiologist, django_assert_max_num_queries
):
    users = {
        "receptionist": staff_users["receptionist"],
        "technologist": staff_users["technologist"],
    }
    client = client_for(users.get(who, radiologist))
    url = reverse(name) + query
    fill_day(NOW.date(), 1, radiologist)
    _arrive(1)
    assert client.get(url).status_code == 200  # the session's first request writes it
    with django_assert_max_num_queries(BOUND) as one:
        assert client.get(url).status_code == 200
    fill_day(NOW.date(), 29, radiologist)
    _arrive(5)
    with django_assert_max_num_queries(BOUND) as thirty:
        page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count("CHARGE") >= 30  # every row is there, all read at once
    assert len(thirty.captured_queries) == len(one.captured_queries)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("label", "who", "name", "query"), PAGES, ids=[p[0] for p in PAGES])
def test_day_page_prints_html_in_a_name_as_text(label, who, name, query, staff_users, radiologist):
    fill_day(NOW.date(), 2, radiologist)
    Patient.objects.filter(last_name="Charge0").update(
        last_name="O'Hara <b>", first_names='Zoé & "Lou"'
    )
    users = {
        "receptionist": staff_users["receptionist"],
        "technologist": staff_users["technologist"],
    }
    body = client_for(users.get(who, radiologist)).get(reverse(name) + query).content.decode()
    assert "O&#x27;HARA &lt;B&gt; Zoé &amp; &quot;Lou&quot;" in body
    assert "<B>" not in body and "<b>" not in body
