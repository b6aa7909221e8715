"""Outcomes per procedure type and the SVG chart drawn from them."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from geste.pathway.charts import Outcome, outcomes, pain_svg
from geste.pathway.models import FollowUp, RequestState
from tests.conftest import client_for
from tests.factories import make_patient
from tests.pathway.factories import make_request

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def _followed(code: str, before: int, after: int | None) -> None:
    req = make_request(make_patient(), code, state=RequestState.FOLLOWED_UP, pain_nrs=before)
    FollowUp.objects.create(
        request=req,
        due_at=timezone.now() - timedelta(days=1),
        answered_at=timezone.now() if after is not None else None,
        pain_now=after,
    )


def test_outcomes_means_and_responders():
    _followed("facet_infiltration", 8, 2)  # -75 %
    _followed("facet_infiltration", 10, 6)  # -40 %
    _followed("facet_infiltration", 5, 5)  # 0 %
    _followed("facet_infiltration", 6, None)  # not answered: not counted
    _followed("epidural_infiltration", 4, 3)  # -25 %
    by_code = {o.code: o for o in outcomes()}
    facet = by_code["facet_infiltration"]
    assert facet.n == 3
    assert facet.pain_before == pytest.approx(23 / 3)
    assert facet.pain_after == pytest.approx(13 / 3)
    assert facet.responders_30 == pytest.approx(2 / 3)
    assert facet.responders_50 == pytest.approx(1 / 3)
    epi = by_code["epidural_infiltration"]
    assert (epi.n, epi.responders_30, epi.responders_50) == (1, 0.0, 0.0)


def test_svg_is_valid_accessible_and_proportional():
    data = [
        Outcome("a", "Geste <A> & co", 4, 8.0, 2.0, 0.75, 0.5),
        Outcome("b", "Geste B", 2, 5.0, 5.0, 0.0, 0.0),
    ]
    svg = pain_svg(data, title="Douleur avant/après", before="Avant", after="Après")
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output) well-formed: escaped
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Douleur avant/après"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Geste <A> & co (n=4)" in texts and "Geste B (n=2)" in texts
    assert {"8.0", "2.0", "5.0"} <= set(texts)
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("height") == "12"]
    # Two legend squares, then before/after bars per row, width proportional to pain (0-10).
    bars = widths[2:]
    assert bars == [pytest.approx(300 * 0.8), pytest.approx(300 * 0.2), 150.0, 150.0]
    assert not re.search(r"<script", svg)


def test_outcomes_page_shows_the_chart(radiologist):
    _followed("facet_infiltration", 8, 2)
    page = client_for(radiologist).get("/equipe/resultats-cliniques/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert "<td>100 %</td><td>100 %</td>" in html  # one patient, 8 -> 2: a responder
