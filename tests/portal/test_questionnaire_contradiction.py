"""A drug listed under "no anticoagulant" is a contradiction: nothing is recorded, she is asked
to correct it (the questionnaire's rows can be hidden once "no" is ticked, so a value typed
before would otherwise be sent unseen)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from geste.patients.models import Declaration

pytestmark = pytest.mark.django_db


def _answers(anticoagulant: str, **rows: str) -> dict[str, str]:
    return {
        "pregnant": "no",
        "takes_anticoagulant": anticoagulant,
        "fever": "no",
        "current_infection": "no",
        "skin_lesion_at_site": "no",
        "med-TOTAL_FORMS": "3",
        "med-INITIAL_FORMS": "0",
        **rows,
    }


def _yesterday() -> str:
    return (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def test_a_drug_under_no_is_refused_and_nothing_is_recorded(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    r = alice_client.post(
        reverse("portal:questionnaire"),
        _answers("no", **{"med-0-other_drug": "Xarelto", "med-0-last_dose_at": _yesterday()}),
    )
    assert r.status_code == 200
    assert "corrigez la réponse" in str(r.context["form"].errors["takes_anticoagulant"])
    assert not Declaration.objects.filter(patient=alice).exists()
    # The row is shown again with what she typed.
    assert b'value="Xarelto"' in r.content


def test_no_without_drug_and_yes_with_drug_are_recorded(alice, alice_client) -> None:  # type: ignore[no-untyped-def]
    r = alice_client.post(reverse("portal:questionnaire"), _answers("no"))
    assert r.status_code == 302
    r = alice_client.post(
        reverse("portal:questionnaire"),
        _answers("yes", **{"med-0-other_drug": "Xarelto", "med-0-last_dose_at": _yesterday()}),
    )
    assert r.status_code == 302
    latest = Declaration.objects.filter(patient=alice).order_by("-pk").first()
    assert latest is not None
    assert [m.drug for m in latest.medications.all()] == ["Xarelto"]
