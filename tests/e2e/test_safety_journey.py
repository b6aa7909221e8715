"""Issue 10's journey in a real browser: a patient on apixaban with an iodinated-contrast allergy.

She reads when to take her last dose; she cannot move her epidural inside the hold (the page
says from when it is possible); her prescription has no iodinated contrast; the record cannot
be saved without its confirmation, drug and dose; her signed report shows the dose.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from geste import PARIS
from geste.pathway import booking
from geste.pathway.models import ProcedureRequest, RequestState
from geste.pathway.services import request_validate
from geste.scheduling.forms import slot_value
from geste.scheduling.models import Appointment, AppointmentKind
from tests.e2e.test_journey_pathway import _click, _field, _login, _look
from tests.pathway.factories import declare, make_request
from tests.scheduling.conftest import build_centre

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 3, 9, 7, 0, tzinfo=PARIS)  # Monday
LAST_DOSE = datetime(2026, 3, 9, 0, 0, tzinfo=PARIS)
BOOKED_AT = datetime(2026, 3, 13, 10, 0, tzinfo=PARIS)  # Friday, a safe time
UNSAFE = LAST_DOSE + timedelta(hours=60)  # Wednesday 11 March 12:00: inside the 72 h hold


def test_apixaban_and_contrast_allergy(
    page: Any, live_server: Any, radiologist: Any, alice: Any, password: str
) -> None:
    url = live_server.url
    with time_machine.travel(NOW, tick=True) as clock:
        centre = build_centre(radiologist)
        req = make_request(alice, state=RequestState.CONSULTATION_DONE)
        declare(
            alice,
            NOW - timedelta(hours=1),
            request=req,
            meds=[("Eliquis", LAST_DOSE, "")],
            allergies=["iodinated_contrast"],
            allergy_details="urticaire géante après un scanner injecté",
        )
        request_validate(request=req, actor=radiologist)
        appointment = booking.appointment_book(
            patient=alice,
            kind=AppointmentKind.PROCEDURE,
            procedure=req.procedure,
            start=BOOKED_AT,
            room=centre.room1,
            radiologist=radiologist,
            actor=radiologist,
            request=req,
        )

        # 1. She reads her instructions: the last dose of Eliquis, 72 h before the procedure.
        _login(page, url, alice.user.username, password)
        page.goto(url + reverse("portal:prepare"))
        text = page.inner_text("main")
        assert "Dernière prise d'Eliquis au plus tard le mardi 10 mars" in text, text
        _look(page, "safety-01-prepare")

        # 2. A move inside the hold is refused, and the page says from when it is possible.
        page.goto(url + reverse("portal:my_move", args=[appointment.pk]))
        first = page.locator("input[name=slot]").first
        offered = first.get_attribute("value") or ""
        assert datetime.fromisoformat(offered.split("|")[0]) >= LAST_DOSE + timedelta(hours=72)
        # A stale or tampered page posts a time inside the hold: the server judges the new time.
        first.evaluate(
            "(el, v) => { el.value = v; el.checked = true; }",
            slot_value(UNSAFE, centre.room1.pk, radiologist.pk),
        )
        _click(page, "button", "Déplacer")
        assert "pas de geste avant le jeudi 12 mars 2026 à 00h00" in page.inner_text("main")
        _look(page, "safety-02-move-refused")
        appointment.refresh_from_db()
        assert appointment.start == BOOKED_AT

        # 3. Her prescription proposes gadolinium, no iodinated contrast.
        _login(page, url, radiologist.username, password)
        text = ""
        for item in req.prescriptions.order_by("pk"):
            page.goto(url + reverse("staff:prescription", args=[req.pk, item.pk]))
            text += page.locator("main table").first.inner_text()  # the prescribed lines
            if page.locator("[data-allergy=iodinated]").count():
                _look(page, "safety-03-prescription")
        assert "Dotarem" in text or "Gadovist" in text
        assert "Omnipaque" not in text and "Iopamiron" not in text

        # 4. Procedure day, after the time-out: the record needs confirmation, drug and dose.
        clock.move_to(BOOKED_AT + timedelta(minutes=5))
        ProcedureRequest.objects.filter(pk=req.pk).update(state=RequestState.READY)
        _login(page, url, radiologist.username, password)  # days later: a new staff session
        page.goto(url + reverse("staff:record", args=[req.pk]))
        for label, value in (
            ("Voie d'abord", "interlamaire"),
            ("Niveau(x)", "L4-L5"),
            ("Temps de scopie (s)", "35"),
            ("Produit dose-surface (mGy·cm²)", "412"),
        ):
            _field(page, label).fill(value)
        page.get_by_label("Côté").select_option("median")
        page.get_by_label("Asepsie chirurgicale respectée").check()
        _click(page, "button", "Enregistrer le geste")
        refused = page.inner_text("main")
        assert "Geste enregistré" not in refused
        # Each missing piece is named on its field: the confirmation, then the drug.
        assert "Sans épidurographie, écrivez pourquoi" in refused
        assert "Indiquez le corticoïde injecté" in refused
        _look(page, "safety-04-record-refused")
        page.get_by_label("Contrôle par contraste", exact=True).select_option("epidurography")
        page.get_by_label("Produit de contraste").select_option(index=1)
        _field(page, "Volume de contraste (mL)").fill("1")
        page.get_by_label("Produit injecté").select_option(index=1)
        _field(page, "Dose (mg)").fill("8")
        _click(page, "button", "Enregistrer le geste")
        assert page.get_by_text("Geste enregistré").is_visible(), page.inner_text("main")
        _look(page, "safety-05-record")

        # 5. The signed report carries the dose, whatever the free text says.
        page.get_by_label("Conclusion").fill("Infiltration épidurale réalisée sans incident.")
        _click(page, "button", "Signer et publier")
        assert page.get_by_text("Compte rendu signé et publié").is_visible()
        _login(page, url, alice.user.username, password)
        page.goto(url + reverse("portal:my_results"))
        assert "412 mGy·cm²" in page.inner_text("main")
        _look(page, "safety-06-report")
        assert Appointment.objects.filter(request=req).count() == 1
