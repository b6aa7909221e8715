"""The audit page shows each event's label and details (the reasons of overrides included)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from geste.audit.services import log_action
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_audit_page_shows_labels_and_details(admin_user, radiologist, alice):
    log_action(
        actor=radiologist,
        action="appointment.moved",
        patient=alice,
        details={"reason": "demande du patient", "to": {"room": 3}},
    )
    html = client_for(admin_user).get(reverse("staff:audit")).content.decode()
    assert "Rendez-vous déplacé" in html
    assert "demande du patient" in html
    assert "&quot;room&quot;: 3" in html
    # Filter by the start of the action code.
    filtered = client_for(admin_user).get(reverse("staff:audit"), {"action": "auth."})
    assert "demande du patient" not in filtered.content.decode()


def test_audit_page_query_count_is_flat(
    admin_user, radiologist, alice, django_assert_max_num_queries
):
    for i in range(60):
        log_action(actor=radiologist, action="patient.read", patient=alice, details={"n": i})
    client = client_for(admin_user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("staff:audit")).status_code == 200
