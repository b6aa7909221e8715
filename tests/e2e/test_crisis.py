"""The whole crisis cycle in a real browser (issue 11, "Done means"): an intrathecal injection
whose chemotherapy input is unknown shown "à compléter" and never deferred in bulk; an
infiltration discussed and maintained; a joint injection discussed and deferred, its patient
told; a request without a referrer address handled as a telephone task; the end of the crisis
with an open discussion carried into the plan; the plan accepted in the background."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from geste.crisis.models import CrisisJob, Discussion, RecoveryItem, RunStatus
from geste.pathway.models import RequestState
from geste.scheduling.models import Appointment, AppointmentStatus
from tests.crisis import factories as f
from tests.e2e.conftest import PHONE, screenshot
from tests.factories import make_patient

pytestmark = pytest.mark.django_db(transaction=True)


def _next_weekday(days: int) -> datetime:
    """The `days`-th working day from today at 10:00: distinct for distinct `days` (two
    calendar offsets landing on one weekend used to give the same Monday, and the same room
    twice at once)."""
    day, counted = timezone.localdate(), 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return datetime.combine(day, time(10, 0), tzinfo=f.PARIS)


def _login(page: Any, url: str, username: str, password: str) -> None:
    page.goto(url + "/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("networkidle")


def _link_for(email: str, name: str) -> str:
    """The secure link e-mailed to a referrer about one patient's request."""
    for message in mail.outbox:
        if email in message.to:
            path = message.body.split("http://127.0.0.1:8000")[1].split()[0]
            discussion = Discussion.objects.get(request__patient__last_name=name)
            if discussion.addressed_email == email:
                return path
    raise AssertionError(f"no link for {name}")


def _bulk(page: Any, label: str) -> None:
    """Bulk confirmation: the page states the counts, then the job runs in the background."""
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state("networkidle")
    assert "Appliquer" in page.inner_text("h1")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    assert "Traitement terminé" in page.inner_text("main")
    page.get_by_role("link", name="Voir le résultat").click()
    page.wait_for_load_state("networkidle")


def test_crisis_cycle(
    page: Any, live_server: Any, radiologist: Any, alice: Any, bob: Any, password: str
):
    rooms = f.centre(radiologist)
    alice.email, bob.email = "alice@example.org", "bob@example.org"
    alice.save(update_fields=["email"])
    bob.save(update_fields=["email"])
    # An intrathecal injection whose chemotherapy input nobody has given.
    intrathecal = f.request(
        "intrathecal_injection",
        patient=make_patient("Irene", "Intra"),
        intrathecal_chemotherapy=None,
    )
    # A facet infiltration with disabling pain despite level 3: to discuss; kept.
    infiltration = f.request(
        "facet_infiltration",
        patient=alice,
        severe_pain=True,
        level3_analgesics="failed",
        referring_email="martin@example.org",
    )
    f.book_procedure(infiltration, rooms["fluoro"], radiologist, _next_weekday(3))
    # A joint injection for acute arthritis: to discuss; the clinician says it can wait.
    joint = f.request(
        "peripheral_joint_infiltration",
        patient=bob,
        acute_arthritis=True,
        referring_physician="Dr Roux",
        referring_email="roux@example.org",
    )
    f.book_procedure(joint, rooms["fluoro"], radiologist, _next_weekday(4))
    # An epidural to discuss whose referrer has no e-mail: a telephone task.
    phone = f.request(
        "epidural_infiltration",
        patient=make_patient("Paul", "Phone"),
        severe_pain=True,
        level3_analgesics="not_tolerated",
        referring_physician="Dr Sans Adresse",
        referring_email="",
    )
    # A tumoral vertebroplasty whose discussion is still open at the end of the crisis.
    tumoral = f.request(
        "vertebroplasty_tumoral",
        patient=make_patient("Marcel", "Dupuis"),
        lesion_count=2,
        referring_email="onco@example.org",
    )
    # A facet infiltration without a reason to keep it: deferred in bulk.
    plain = f.request("facet_infiltration", patient=make_patient("Denis", "Defer"))
    url = live_server.url

    _login(page, url, radiologist.username, password)
    page.goto(url + "/crise/")
    page.get_by_label("Politique de tri").first.select_option("covid19-aphp-2020")
    page.get_by_role("button", name="Déclencher").click()
    assert "Mode crise actif" in page.inner_text("main")
    page.get_by_role("button", name="Lancer la simulation").click()
    page.wait_for_load_state("networkidle")
    main = page.inner_text("main")
    assert "6 demandes triées" in main
    assert "Source :" in main  # each decision beside its rule's text and source
    screenshot(page, "crisis-whatif")

    # The intrathecal injection is "à compléter", and the bulk deferral leaves it out.
    page.get_by_role("link", name="Reporter (2)").click()
    row = page.locator("tr", has_text="INTRA Irene")
    assert "À compléter" in row.inner_text()
    _bulk(page, "Confirmer les 1 « Reporter »")
    intrathecal.refresh_from_db()
    plain.refresh_from_db()
    assert intrathecal.state == RequestState.VALIDATED
    assert plain.state == RequestState.DEFERRED
    page.goto(url + "/crise/a-completer/")
    assert "INTRA Irene" in page.inner_text("main")
    screenshot(page, "crisis-to-complete")

    mail.outbox.clear()
    page.goto(url + "/crise/")
    run_link = page.locator("table a").first
    run_link.click()
    _bulk(page, "Confirmer les 4 « Discuter »")
    assert Discussion.objects.count() == 4

    # The infiltration: the referrer answers through the link, it is maintained.
    # on a phone: the answer page must fit 390 px (checked on every page by the watched browser)
    referrer = page.context.browser.new_context(locale="fr-FR", viewport=PHONE).new_page()
    referrer.goto(url + _link_for("martin@example.org", "Moreau"))
    assert "MOREAU" in referrer.inner_text("main")
    referrer.get_by_label("Oui, le geste doit être fait maintenant").check()
    screenshot(referrer, "crisis-answer-infiltration")
    referrer.get_by_role("button", name="Envoyer ma réponse").click()
    assert "Merci" in referrer.inner_text("h1")
    infiltration.refresh_from_db()
    assert infiltration.state == RequestState.PROCEDURE_BOOKED
    assert infiltration.clinicians_confirmed is True
    # Used once: the link now says so.
    referrer.goto(url + _link_for("martin@example.org", "Moreau"))
    assert "n'est plus valable" in referrer.inner_text("main")

    # The joint injection: "it can wait": deferred, appointment released, Bob told.
    referrer.goto(url + _link_for("roux@example.org", "Lefèvre"))
    referrer.get_by_label("Non, il peut attendre").check()
    referrer.get_by_role("button", name="Envoyer ma réponse").click()
    joint.refresh_from_db()
    assert joint.state == RequestState.DEFERRED
    assert not Appointment.objects.filter(request=joint, status=AppointmentStatus.BOOKED).exists()
    told = [m for m in mail.outbox if "bob@example.org" in m.to]
    assert len(told) == 1 and "Lefèvre" not in told[0].body

    # The referrer without an address: a telephone task on the crisis home.
    page.goto(url + "/crise/")
    assert "Appels à passer" in page.inner_text("main")
    page.goto(url + "/crise/discussions/?telephone=1")
    page.get_by_role("link", name="PHONE Paul").click()
    assert "À appeler" in page.inner_text("main")
    page.get_by_label("Oui, le geste doit être fait maintenant").check()
    screenshot(page, "crisis-telephone-task")
    page.get_by_role("button", name="Enregistrer la réponse").click()
    page.wait_for_load_state("networkidle")
    phone.refresh_from_db()
    assert phone.state == RequestState.VALIDATED
    # The answer shows on the request page.
    page.goto(url + f"/equipe/demandes/{phone.pk}/")
    assert "indication confirmée" in page.inner_text("#triage-inputs")

    # End of the crisis: confirmation; the tumoral discussion closes, its link says so.
    page.goto(url + "/crise/")
    page.get_by_role("button", name="Terminer la crise").click()
    assert "Terminer la crise ?" in page.inner_text("h1")
    screenshot(page, "crisis-end-confirm")
    page.get_by_role("button", name="Confirmer la fin de la crise").click()
    page.wait_for_load_state("networkidle")
    referrer.goto(url + _link_for("onco@example.org", "Dupuis"))
    assert "La crise sanitaire est terminée" in referrer.inner_text("main")
    tumoral.refresh_from_db()
    assert tumoral.state == RequestState.IN_DISCUSSION

    # The recovery plan, built then accepted in the background.
    page.get_by_role("button", name="Préparer le plan de reprise").click()
    page.get_by_role("button", name="Préparer le plan").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name="Voir le résultat").click()
    page.wait_for_load_state("networkidle")
    assert "Attente par priorité, en jours" in page.inner_text("main")
    assert "CP-SAT" not in page.inner_text("main")
    assert RecoveryItem.objects.filter(request=tumoral).exists()  # carried into the plan
    screenshot(page, "crisis-plan")
    mail.outbox.clear()
    page.get_by_role("button", name="Accepter le plan et prendre les rendez-vous").click()
    page.get_by_role("button", name="Confirmer : prendre les rendez-vous").click()
    page.wait_for_load_state("networkidle")
    assert "rendez-vous pris" in page.inner_text("main")
    screenshot(page, "crisis-plan-accepted")
    job = CrisisJob.objects.get(kind="plan_accept")
    assert job.status == RunStatus.DONE and job.result["booked"] >= 3
    for req in (plain, joint, tumoral):
        req.refresh_from_db()
        assert req.state == RequestState.PROCEDURE_BOOKED, req
    assert [m for m in mail.outbox if "bob@example.org" in m.to]  # told of the new date
    page.goto(url + "/crise/tableau-de-bord/")
    assert page.locator("svg.chart").count() == 4  # backlog, over time, per category, waiting
    screenshot(page, "crisis-dashboard")
    assert page.console_errors == []
