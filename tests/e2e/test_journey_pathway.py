"""Browser journey (shortened): questionnaire with fever; time-out blocks it, then passes a
clean case; procedure recorded; report signed; patient reads it; follow-up with a warning sign
raises the alert on the radiologist's dashboard. Screenshots of each page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from geste.pathway.models import RequestState
from tests.e2e.conftest import screenshot
from tests.pathway.factories import book, lab, make_request

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page: Any, url: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(url + "/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def _questionnaire(page: Any, url: str, fever: str) -> None:
    page.goto(url + "/mon-espace/questionnaire/")
    for name, value in (
        ("pregnant", "no"),
        ("takes_anticoagulant", "no"),
        ("fever", fever),
        ("current_infection", "no"),
        ("skin_lesion_at_site", "no"),
    ):
        page.locator(f"input[name={name}][value={value}]").check()
    screenshot(page, f"journey-questionnaire-{fever}")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_load_state("networkidle")


def test_pathway_journey(
    page: Any, live_server: Any, alice: Any, radiologist: Any, password: str
) -> None:
    req = make_request(alice, state=RequestState.CHECKED_IN, validated_by=radiologist)
    book(req, timezone.now() + timedelta(minutes=30), radiologist)
    lab(alice, timezone.now() - timedelta(days=2))
    url = live_server.url
    _login(page, url, alice.user.username, password)
    _questionnaire(page, url, "yes")

    _login(page, url, radiologist.username, password)
    page.goto(f"{url}/equipe/demandes/{req.pk}/time-out/")
    assert page.locator("[data-verdict=no_go]").count() == 1
    assert page.get_by_role("button", name="Valider la vérification et commencer").count() == 0
    screenshot(page, "journey-timeout-blocked")

    _login(page, url, alice.user.username, password)
    _questionnaire(page, url, "no")
    _login(page, url, radiologist.username, password)
    page.goto(f"{url}/equipe/demandes/{req.pk}/time-out/")
    assert page.locator("[data-verdict=go]").count() == 1
    screenshot(page, "journey-timeout-go")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider la vérification et commencer").click()
    page.wait_for_load_state("networkidle")
    for label, value in (
        ("Voie d'abord", "interlamaire"),
        ("Niveau(x)", "L4-L5"),
        ("Temps de scopie (s)", "35"),
        ("Produit dose-surface (mGy·cm²)", "410"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_label("Côté").select_option("median")
    screenshot(page, "journey-record")
    with page.expect_navigation():
        page.locator("main form").evaluate("f => f.requestSubmit()")
    screenshot(page, "journey-after-record")
    page.get_by_label("Conclusion").fill("Geste sans incident.")
    screenshot(page, "journey-report")
    with page.expect_navigation():
        page.locator("main form").evaluate("f => f.requestSubmit()")
    page.wait_for_load_state("networkidle")

    _login(page, url, alice.user.username, password)
    page.goto(url + "/mon-espace/resultats/")
    assert "410,0 mGy·cm²" in page.content()
    screenshot(page, "journey-my-results")
    page.get_by_role("link", name="Répondre au questionnaire de suivi").click()
    page.get_by_label("Votre douleur aujourd'hui", exact=False).fill("3")
    page.get_by_label("Faiblesse ou engourdissement nouveau d'un membre").check()
    screenshot(page, "journey-followup")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer", exact=True).click()
    page.wait_for_load_state("networkidle")

    _login(page, url, radiologist.username, password)
    page.goto(url + "/equipe/tableau-de-bord/")
    assert "Faiblesse ou engourdissement" in page.content()
    screenshot(page, "journey-dashboard-alert")
    assert not page.console_errors if hasattr(page, "console_errors") else True
