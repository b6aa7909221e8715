"""Worklists and dashboards stay at a constant number of queries with 1,000 appointments."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import client_for
from tests.pathway.bulk import fill_day

pytestmark = pytest.mark.django_db
NOW = datetime.fromisoformat("2026-03-10T06:00:00+01:00")

PAGES = [
    ("pathway:reception", "receptionist"),
    ("pathway:tech_worklist", "technologist"),
    ("pathway:dashboard", "radiologist"),
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
    assert page.status_code == 200
    assert page.content.decode().count("CHARGE") >= 1000
    assert len(big.captured_queries) == len(small.captured_queries)
