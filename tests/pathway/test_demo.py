"""The pathway demo: requests in every state, each dashboard shows something."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from geste.clinic.models import User
from geste.demo import load_demo
from geste.pathway.models import ProcedureRequest, RequestState
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_demo_covers_every_state_and_pages_render():
    load_demo(patients=80, progress=io.StringIO())
    states = set(ProcedureRequest.objects.values_list("state", flat=True))
    assert states == set(RequestState.values)
    dr = client_for(User.objects.get(username="radio1"))
    dash = dr.get(reverse("staff:dashboard")).content.decode()
    assert "Aucune alerte." not in dash and "no_go" in dash
    assert "<svg" in dr.get(reverse("staff:outcomes")).content.decode()
    alice = client_for(User.objects.get(username="patient1"))
    assert (
        "Répondre au questionnaire de suivi"
        in alice.get(reverse("portal:my_results")).content.decode()
    )
    # Outcomes at one month (issue 13, point 6): figures per procedure, and Bob's own curve.
    by_level = dr.get(reverse("staff:outcomes"), {"by": "level"}).content.decode()
    assert '<th scope="row">L5-S1</th>' in by_level
    bob = client_for(User.objects.get(username="patient2"))
    results = bob.get(reverse("portal:my_results")).content.decode()
    assert 'role="img"' in results and "Répondre au questionnaire à un mois" in results
    for name, user in [("staff:reception", "accueil1"), ("staff:tech_worklist", "manip1")]:
        assert client_for(User.objects.get(username=user)).get(reverse(name)).status_code == 200
