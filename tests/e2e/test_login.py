"""Each role logs in through a real browser, lands on its page, with no console error."""

from __future__ import annotations

from typing import Any

import pytest

from geste.clinic.models import Role, User
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("role", "heading"),
    [
        (Role.RECEPTIONIST, "Bonjour Nadia Benali"),
        (Role.TECHNOLOGIST, "Bonjour Thomas Girard"),
        (Role.RADIOLOGIST, "Bonjour Dr Hélène Durand"),
        (Role.ADMINISTRATOR, "Bonjour Claire Fontaine"),
        (Role.PATIENT, "Bonjour Alice"),
    ],
)
def test_role_logs_in_in_the_browser(
    page: Any,
    live_server: Any,
    staff_users: dict[str, User],
    alice: Any,
    password: str,
    role: str,
    heading: str,
) -> None:
    user = alice.user if role == Role.PATIENT else staff_users[role]
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_label("Identifiant").fill(user.username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, f"home-{role}")
    assert page.console_errors == []


def test_landing_page_in_the_browser(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/")
    assert "Gestes guidés par l'image" in page.get_by_role("heading", level=1).inner_text()
    assert "Infiltration épidurale" in page.locator("ul.catalogue").inner_text()
    # keyboard users reach the content first
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    screenshot(page, "landing")
    assert page.console_errors == []
