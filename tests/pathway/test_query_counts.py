"""Worklists and dashboards stay at a constant number of queries with 1,000 appointments,
both the default page (arrivals and the next patients) and "Tout afficher"."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from geste.pathway.worklists import SHOWN
from tests.conftest import client_for
from tests.pathway.bulk import fill_day

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T06:00:00+01:00")

PAGES = [
    ("staff:reception", "receptionist"),
    ("staff:tech_worklist", "technologist"),
    ("staff:dashboard", "radiologist"),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("name", "who"), PAGES)
def test_flat_queries(name, who, staff_users, radiologist, django_assert_max_num_queries):
    client = client_for(staff_users[who])
    fill_day(NOW.date(), 10, radiologist)
    with django_assert_max_num_queries(25) as small:
        assert client.get(reverse(name)).status_code == 200
    fill_day(NOW.date(), 990, radiologist)
    with django_assert_max_num_queries(25) as big:
        page = client.get(reverse(name))
    with django_assert_max_num_queries(25) as everything:
        full = client.get(reverse(name) + "?tout=1")
    assert page.status_code == full.status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(everything.captured_queries) == len(small.captured_queries)
    # The default page shows the next patients and says how many more there are.
    # (The fever cases, one in fifty, are also listed on the dashboard as points to clear.)
    shown = set(re.findall(r"CHARGE\d+", page.content.decode()))
    assert len(shown) == SHOWN or (name == "staff:dashboard" and len(shown) < 2 * SHOWN)
    assert f"Afficher les {1000 - SHOWN} " in page.content.decode()
    assert len(set(re.findall(r"CHARGE\d+", full.content.decode()))) == 1000
