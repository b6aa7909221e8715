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
    for name, user in [("staff:reception", "accueil1"), ("staff:tech_worklist", "manip1")]:
        assert client_for(User.objects.get(username=user)).get(reverse(name)).status_code == 200
