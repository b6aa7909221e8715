"""Responders (pathway/outcomes.py): the computation and its boundaries, the grouping per
procedure, level and operator, the one-query read, and the charts.

Choices under test: exactly 30 % (or 50 %) less pain counts; no pain before (0/10) has no
relative reduction, so it is left out of n and the shares and counted apart; a missing baseline
or value is not counted (unknown is not false); pain that rises is a non-responder; a share over
no one is None, not 0 %."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from geste.pathway.models import FollowUp, Report, RequestState
from geste.pathway.outcomes import (
    Measure,
    measures,
    normalise_level,
    patient_pain_svg,
    reduced_by,
    responders,
    responders_svg,
    timepoint,
)
from tests.factories import make_patient, make_user
from tests.pathway.factories import make_request, record

SVG = "{http://www.w3.org/2000/svg}"


def _m(before, h48=None, month=None, *, code="facet", level="L4-L5", op=1):  # type: ignore[no-untyped-def]
    return Measure(
        procedure_code=code,
        procedure_label=code.title(),
        level=level,
        operator_id=op,
        operator_name=f"Dr {op}",
        before=before,
        h48=h48,
        month=month,
    )


@pytest.mark.parametrize(
    ("before", "after", "r30", "r50"),
    [
        (10, 7, True, False),  # exactly 30 %
        (10, 8, False, False),  # 20 %
        (10, 5, True, True),  # exactly 50 %
        (3, 2, True, False),  # 33 %
        (7, 5, False, False),  # 28.6 %
        (7, 4, True, False),  # 42.9 %
        (1, 0, True, True),  # 100 %
        (4, 6, False, False),  # worse
        (5, 5, False, False),  # unchanged
    ],
)
def test_reduction_boundaries(before, after, r30, r50):  # type: ignore[no-untyped-def]
    assert reduced_by(before, after, 30) is r30
    assert reduced_by(before, after, 50) is r50


def test_timepoint_counts_zero_baseline_apart():
    tp = timepoint([(10, 7), (10, 5), (0, 0), (0, 3), (4, 6)])
    assert (tp.n, tp.zero_baseline, tp.r30, tp.r50) == (3, 2, 2, 1)
    assert tp.share30 == pytest.approx(2 / 3) and tp.share50 == pytest.approx(1 / 3)
    assert tp.mean_before == pytest.approx(8) and tp.mean_after == pytest.approx(6)


def test_timepoint_over_no_one_is_unknown_not_zero():
    tp = timepoint([(0, 2)])
    assert (tp.n, tp.zero_baseline) == (0, 1)
    assert tp.share30 is None and tp.share50 is None and tp.mean_before is None


def test_groups_per_procedure_level_and_operator():
    data = [
        _m(8, 4, 2, code="facet", level="L4-L5", op=1),  # 50 % then 75 %
        _m(10, 8, 7, code="facet", level="L5-S1", op=2),  # 20 % then exactly 30 %
        _m(6, 3, None, code="epidural", level="L4-L5", op=1),  # month not answered
        _m(None, 2, 1, code="epidural", level="L4-L5", op=1),  # no baseline: not counted
        _m(0, 0, 0, code="epidural", level="", op=None),  # no pain before: apart
    ]
    by_proc = {g.key: g for g in responders(data, "procedure")}
    assert (by_proc["facet"].h48.n, by_proc["facet"].h48.r30, by_proc["facet"].h48.r50) == (
        2,
        1,
        1,
    )
    assert (by_proc["facet"].month.n, by_proc["facet"].month.r30) == (2, 2)
    assert by_proc["facet"].month.r50 == 1
    epi = by_proc["epidural"]
    assert (epi.h48.n, epi.h48.zero_baseline, epi.h48.r50) == (1, 1, 1)
    assert (epi.month.n, epi.month.zero_baseline, epi.month.share30) == (0, 1, None)

    by_level = {g.key: g for g in responders(data, "level")}
    assert set(by_level) == {"L4-L5", "L5-S1", ""}
    assert by_level["L4-L5"].h48.n == 2 and by_level["L5-S1"].month.r30 == 1
    assert [g.key for g in responders(data, "level")][-1] == ""  # unknown last

    by_op = {g.key: g for g in responders(data, "operator")}
    assert by_op["1"].label == "Dr 1" and by_op["1"].h48.n == 2 and by_op["2"].h48.n == 1
    with pytest.raises(ValueError, match="nope"):
        responders(data, "nope")


def test_level_typed_two_ways_is_one_group():
    assert normalise_level(" l4 - l5 ") == "L4-L5"
    assert normalise_level("L4\u2013L5") == "L4-L5"
    assert normalise_level(None) == "" and normalise_level("") == ""


def _followed(
    code: str,
    before: int | None,
    h48: int | None,
    month: int | None,
    *,
    operator,  # type: ignore[no-untyped-def]
    levels: str = "L4-L5",
    performed: datetime | None = None,
) -> FollowUp:
    req = make_request(make_patient(), code, state=RequestState.FOLLOWED_UP, pain_nrs=before)
    record(req, operator, levels=levels)
    performed = performed or timezone.now() - timedelta(days=40)
    Report.objects.create(
        request=req,
        text="t",
        signed_by=operator,
        signed_at=performed,
        performed_at=performed,
        operator=operator,
    )
    return FollowUp.objects.create(
        request=req,
        due_at=performed + timedelta(hours=48),
        answered_at=performed + timedelta(hours=50) if h48 is not None else None,
        pain_now=h48,
        month_due_at=performed + timedelta(days=30),
        month_answered_at=performed + timedelta(days=31) if month is not None else None,
        pain_month=month,
    )


@pytest.mark.django_db
def test_measures_read_in_one_query_and_filter_by_period(django_assert_num_queries):
    rad = make_user("rad_outcomes", "radiologist", first_name="Léa", last_name="Roux")
    may = timezone.make_aware(datetime(2026, 5, 10, 9, 0))
    june = timezone.make_aware(datetime(2026, 6, 30, 23, 30))  # late evening, local time
    _followed("facet_infiltration", 8, 4, 2, operator=rad, levels="l4 - l5", performed=may)
    _followed("epidural_infiltration", 6, 3, None, operator=rad, performed=june)
    with django_assert_num_queries(1):
        data = measures()
    assert len(data) == 2
    facet = next(m for m in data if m.procedure_code == "facet_infiltration")
    assert (facet.before, facet.h48, facet.month, facet.level) == (8, 4, 2, "L4-L5")
    assert facet.operator_name == "Dr Léa Roux" and facet.operator_id == rad.pk
    # The end day is included whole (local time); the start bound excludes earlier days.
    assert [m.procedure_code for m in measures(start=date(2026, 6, 1), end=date(2026, 6, 30))] == [
        "epidural_infiltration"
    ]
    assert [m.procedure_code for m in measures(end=date(2026, 5, 10))] == ["facet_infiltration"]
    assert measures(start=date(2026, 7, 1)) == []


def test_responders_svg_is_valid_accessible_and_proportional():
    data = [_m(10, 5, 10, code="a<b>&c"), _m(10, 9, 7, code="b")]
    groups = responders(data, "procedure")
    svg = responders_svg(
        groups, title="Répondeurs", h48="48-72 h", month="Un mois", unknown="?", svg_id="r"
    )
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output): well-formed, escaped
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Répondeurs"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    names = [
        (t.find(f"{SVG}title").text, t.find(f"{SVG}title").tail)
        for t in root.iter(f"{SVG}text")
        if t.find(f"{SVG}title") is not None
    ]
    assert names == [("A<B>&C", "A<B>&C"), ("B", "B")]
    assert "100 % (n=1)" in texts and "0 % (n=1)" in texts
    bars = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("height") == "13"]
    assert bars == [300.0, 0.0, 0.0, 300.0]  # a<b>&c: 50 % then worse; b: 10 % then 30 %
    assert "<script" not in svg


def test_patient_curve_marks_known_values_and_leaves_gaps():
    svg = patient_pain_svg(
        8, None, 3, title="Votre douleur", labels=("Avant", "48-72 h", "Un mois"), svg_id="p"
    )
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "p-t"
    assert len(list(root.iter(f"{SVG}circle"))) == 2  # before and one month; 48 h unknown
    # No segment drawn through the unknown point (only the three grid lines).
    assert len(list(root.iter(f"{SVG}line"))) == 3
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"8", "3", "Avant", "48-72 h", "Un mois"} <= set(texts)


def test_responders_svg_shortens_a_long_name_and_keeps_it_whole_in_its_title():
    name = "Vertébroplastie (fracture ostéoporotique ou traumatique)"
    groups = responders([_m(8, 4, 2, code="v")], "procedure")
    groups = [type(groups[0])(**{**groups[0].__dict__, "label": name})]
    svg = responders_svg(groups, title="t", h48="a", month="b", unknown="?", svg_id="r")
    label = next(t for t in ElementTree.fromstring(svg).iter(f"{SVG}text") if len(t))  # noqa: S314
    assert label.find(f"{SVG}title").text == name
    assert len(label.find(f"{SVG}title").tail) == 36 and label.find(f"{SVG}title").tail.endswith(
        "…"
    )


def test_charts_carry_no_inline_style():
    """The Content Security Policy (style-src 'self') refuses inline styles in the page."""
    curve = patient_pain_svg(8, 4, 2, title="t", labels=("a", "b", "c"), svg_id="p")
    bars = responders_svg(
        responders([_m(8, 4, 2)], "procedure"),
        title="t",
        h48="a",
        month="b",
        unknown="?",
        svg_id="r",
    )
    assert "style=" not in curve and "<style" not in curve
    assert "style=" not in bars and "<style" not in bars
