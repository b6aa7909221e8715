"""Clinical outcomes (issue 13, point 6; radiologists and administrators): pain responders at
48-72 h and at one month per procedure, level and operator, a chart drawn on the server, and a
CSV export of the aggregated rows (no patient, no request: one row per group and time point).
Reading and exporting are audited (`outcomes.read`, `outcomes.exported`, with the filters)."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.pathway.forms import OutcomesFilterForm
from geste.pathway.outcomes import DIMENSIONS, Group, measures, responders, responders_svg
from geste.staff.roles import allow


def _filters(request: HttpRequest) -> tuple[OutcomesFilterForm, date | None, date | None, str]:
    form = OutcomesFilterForm(request.GET or None)
    start = end = None
    by = "procedure"
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        by = form.cleaned_data["by"] or "procedure"
    return form, start, end, by


def _details(start: date | None, end: date | None, by: str) -> dict[str, Any]:
    return {
        "start": start.isoformat() if start else "",
        "end": end.isoformat() if end else "",
        "by": by,
    }


def _unknown(dimension: str) -> str:
    return str(_("non renseigné")) if dimension != "operator" else str(_("opérateur inconnu"))


@allow("staff:outcomes")
def outcomes(request: HttpRequest) -> HttpResponse:
    form, start, end, by = _filters(request)
    data = measures(start=start, end=end)
    groups = responders(data, by)
    svg = responders_svg(
        groups,
        title=_("Répondeurs (baisse d'au moins 30 % de la douleur) à 48-72 h et à un mois"),
        h48=_("48-72 h"),
        month=_("Un mois"),
        unknown=_unknown(by),
        svg_id="responders",
    )
    log_action(
        actor=request.user,
        action="outcomes.read",
        request=request,
        details=_details(start, end, by),
    )
    query = request.GET.urlencode()
    return render(
        request,
        "staff/outcomes.html",
        {
            "form": form,
            "groups": groups,
            "by": by,
            "unknown": _unknown(by),
            "followed": len(data),
            # The SVG is built from numbers and escaped text only (outcomes.responders_svg).
            "svg": mark_safe(svg),  # noqa: S308
            "query": query,
        },
    )


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting like a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _share(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def _mean(mean: float | None) -> str:
    return "" if mean is None else f"{mean:.2f}"


@allow("staff:outcomes_csv")
def outcomes_csv(request: HttpRequest) -> HttpResponse:
    """Every dimension, both time points, one row per group: counts and shares only."""
    _form, start, end, by = _filters(request)
    data = measures(start=start, end=end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "resultats-cliniques.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            "dimension",
            "group",
            "timepoint",
            "n",
            "baseline_zero_excluded",
            "mean_pain_before",
            "mean_pain_after",
            "responders_30",
            "percent_30",
            "responders_50",
            "percent_50",
        ]
    )
    rows = 0
    for dimension in DIMENSIONS:
        group: Group
        for group in responders(data, dimension):
            for label, tp in (("48-72h", group.h48), ("1month", group.month)):
                writer.writerow(
                    [
                        dimension,
                        _cell(group.label or _unknown(dimension)),
                        label,
                        tp.n,
                        tp.zero_baseline,
                        _mean(tp.mean_before),
                        _mean(tp.mean_after),
                        tp.r30,
                        _share(tp.share30),
                        tp.r50,
                        _share(tp.share50),
                    ]
                )
                rows += 1
    log_action(
        actor=request.user,
        action="outcomes.exported",
        request=request,
        details={**_details(start, end, by), "rows": rows},
    )
    return response
