"""Crisis demo data and the SVG chart geometry."""

from __future__ import annotations

from datetime import date

import pytest

from geste.crisis import demo
from geste.crisis.charts import Bar, Series, bar_chart, line_chart
from geste.pathway.models import ProcedureRequest
from geste.patients.models import Patient


@pytest.mark.django_db
def test_demo_load_is_idempotent():
    Patient.objects.bulk_create(
        [
            Patient(
                last_name=f"N{i}",
                birth_name=f"N{i}",
                first_names="P",
                birth_date=date(1950, 1, 1),
                sex="F",
            )
            for i in range(120)
        ]
    )
    demo.load(context={})
    demo.load(context={})
    assert ProcedureRequest.objects.filter(referring_email=demo.REFERRER[1]).count() == len(
        demo.CASES
    )


def test_line_chart_geometry():
    chart = line_chart(
        "t",
        [Series("a", [(date(2026, 3, 1), 0), (date(2026, 3, 5), 10)], "actual")],
        [(date(2026, 3, 3), "x")],
    )
    assert not chart.empty
    assert chart.series[0].polyline == "48.0,204.0 624.0,47.3"
    assert [label for _y, label in chart.y_ticks] == [0, 3, 6, 9, 12]
    assert chart.markers == [(336.0, "x")]


def test_bar_chart_scales_to_the_tallest():
    chart = bar_chart("t", [Bar("a", 5, "plan"), Bar("b", 10, "fcfs")])
    assert chart.bars[1].height == 188.0 and chart.bars[0].height == 94.0
    assert bar_chart("t", [Bar("a", 0, "plan")]).empty
