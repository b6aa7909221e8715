"""Lists that show patients' names beside their procedures leave an audit event per read
(issue 12, point 5): planner, arrivals, technologist's worklist, agenda, dashboard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geste.audit.models import AuditEvent
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "who"),
    [
        ("staff:planner", "receptionist"),
        ("staff:reception", "receptionist"),
        ("staff:tech_worklist", "technologist"),
        ("staff:agenda", "radiologist"),
        ("staff:dashboard", "radiologist"),
    ],
)
def test_each_list_read_is_audited(name, who, staff_users):
    user = staff_users[who]
    response = client_for(user).get(reverse(name), {"jour": "2026-03-10"})
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="worklist.read").latest("pk")
    assert event.actor_id == user.pk
    assert event.details["page"] == name
    assert event.details["jour"] == "2026-03-10"
