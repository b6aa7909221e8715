"""Outcomes (issue 13, point 6): pain responders at 48-72 h and at one month, per procedure, per
vertebral level and per operator, and the SVG charts drawn from them on the server (no JS).

Pain is the numeric rating scale (NRS, 0-10): before the procedure (`ProcedureRequest.pain_nrs`,
asked at the request or the consultation), at 48-72 h (`FollowUp.pain_now`) and at one month
(`FollowUp.pain_month`). A responder has a relative reduction of at least 30 % (or 50 %):
`(before - after) / before`, in integer arithmetic so that exactly 30 % or 50 % counts.

Choices, written down:
- baseline missing: the request is not counted at all (unknown is not false);
- value missing at a time point: not counted at that time point;
- baseline 0: the relative reduction is undefined (no pain to reduce), so the request is left
  out of `n` and of the shares and counted apart (`zero_baseline`), shown beside them;
- pain that rises: a negative reduction, a non-responder;
- a share with `n == 0` is None ("—"), not 0 %.

`measures` reads everything in one query; `responders` groups in memory (pure), so a page or an
export costs the same number of queries whatever the number of requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import get_language

from geste.pathway.models import FollowUp

DIMENSIONS = ("procedure", "level", "operator")
TIMEPOINTS = ("h48", "month")


@dataclass(frozen=True)
class Measure:
    """One followed-up request's pain values and what it is grouped by (no patient data)."""

    procedure_code: str
    procedure_label: str
    level: str  # normalised vertebral level(s) of the procedure record, "" when unknown
    operator_id: int | None
    operator_name: str
    before: int | None
    h48: int | None
    month: int | None


@dataclass(frozen=True)
class Timepoint:
    n: int  # baseline above 0 and a value at this time point
    zero_baseline: int  # a value, but no pain before: left out of n (see above)
    mean_before: float | None
    mean_after: float | None
    r30: int
    r50: int

    @property
    def share30(self) -> float | None:
        return self.r30 / self.n if self.n else None

    @property
    def share50(self) -> float | None:
        return self.r50 / self.n if self.n else None


@dataclass(frozen=True)
class Group:
    dimension: str
    key: str
    label: str
    h48: Timepoint
    month: Timepoint


def reduced_by(before: int, after: int, percent: int) -> bool:
    """At least `percent` % less pain than before (before > 0; exact in integers)."""
    return (before - after) * 100 >= percent * before


def timepoint(pairs: Iterable[tuple[int, int]]) -> Timepoint:
    """Counts and shares from (before, after) pairs whose baseline and value are both known."""
    pairs = list(pairs)
    kept = [(b, a) for b, a in pairs if b > 0]
    n = len(kept)
    return Timepoint(
        n=n,
        zero_baseline=len(pairs) - n,
        mean_before=sum(b for b, _ in kept) / n if n else None,
        mean_after=sum(a for _, a in kept) / n if n else None,
        r30=sum(reduced_by(b, a, 30) for b, a in kept),
        r50=sum(reduced_by(b, a, 50) for b, a in kept),
    )


def _key(m: Measure, dimension: str) -> tuple[str, str]:
    """(key, label) of a measure in one dimension."""
    if dimension == "procedure":
        return m.procedure_code, m.procedure_label
    if dimension == "level":
        return m.level, m.level
    return str(m.operator_id or ""), m.operator_name


def responders(measures: Iterable[Measure], dimension: str) -> list[Group]:
    """One group per procedure, level or operator, sorted by label (unknown last)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    groups: dict[str, tuple[str, list[Measure]]] = {}
    for m in measures:
        if m.before is None:
            continue
        key, label = _key(m, dimension)
        groups.setdefault(key, (label, []))[1].append(m)
    out = [
        Group(
            dimension=dimension,
            key=key,
            label=label,
            h48=timepoint(
                (m.before, m.h48) for m in ms if m.before is not None and m.h48 is not None
            ),
            month=timepoint(
                (m.before, m.month) for m in ms if m.before is not None and m.month is not None
            ),
        )
        for key, (label, ms) in groups.items()
    ]
    return sorted(out, key=lambda g: (g.key == "", g.label.lower(), g.key))


def normalise_level(levels: str | None) -> str:
    """'l4 - l5 ' -> 'L4-L5': the same level typed two ways is one group."""
    text = re.sub(r"\s+", "", (levels or "").upper()).replace("\u2013", "-").replace("/", "-")
    return text[:40]


def _operator_name(first: str | None, last: str | None, username: str | None) -> str:
    full = f"{first or ''} {last or ''}".strip()
    return f"Dr {full}" if full else (username or "")


def period_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Local midnight of `start`, and of the day after `end` (the end day is included)."""
    lo = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)) if end else None
    return lo, hi


def measures(*, start: date | None = None, end: date | None = None) -> list[Measure]:
    """Every follow-up's pain values, procedures performed from `start` to `end` (local days,
    inclusive; the report's procedure date), in one query."""
    qs = FollowUp.objects.all()
    lo, hi = period_bounds(start, end)
    if lo is not None:
        qs = qs.filter(request__report__performed_at__gte=lo)
    if hi is not None:
        qs = qs.filter(request__report__performed_at__lt=hi)
    rows = qs.order_by("pk").values_list(
        "request__procedure__code",
        "request__procedure__label_fr",
        "request__procedure__label_en",
        "request__record__levels",
        "request__record__operator_id",
        "request__record__operator__first_name",
        "request__record__operator__last_name",
        "request__record__operator__username",
        "request__pain_nrs",
        "pain_now",
        "pain_month",
    )
    english = (get_language() or "fr").startswith("en")
    return [
        Measure(
            procedure_code=code,
            procedure_label=(label_en if english and label_en else label_fr),
            level=normalise_level(levels),
            operator_id=operator_id,
            operator_name=_operator_name(first, last, username),
            before=before,
            h48=h48,
            month=month,
        )
        for (
            code,
            label_fr,
            label_en,
            levels,
            operator_id,
            first,
            last,
            username,
            before,
            h48,
            month,
        ) in rows
    ]


# -- charts ------------------------------------------------------------------------------------

_H48, _MONTH = "#8a5a00", "#1a6b3c"
_LABEL_MAX = 36  # characters of a group's name that fit left of the bars (the table has all)


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)} %"


def responders_svg(
    groups: Sequence[Group], *, title: str, h48: str, month: str, unknown: str, svg_id: str
) -> str:
    """Horizontal bars: the share of responders (>= 30 %) at 48-72 h and at one month per
    group, each bar labelled with its value and n; accessible (role=img, title, desc)."""
    row_h, left, width = 38, 240, 300
    h = 44 + row_h * len(groups)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{svg_id}-t" '
        f'viewBox="0 0 {left + width + 110} {h}" width="100%">',
        f'<title id="{svg_id}-t">{escape(title)}</title>',
        f'<rect x="{left}" y="6" width="12" height="12" fill="{_H48}"/>'
        f'<text x="{left + 16}" y="17" font-size="12">{escape(h48)}</text>',
        f'<rect x="{left + 130}" y="6" width="12" height="12" fill="{_MONTH}"/>'
        f'<text x="{left + 146}" y="17" font-size="12">{escape(month)}</text>',
    ]
    for i, g in enumerate(groups):
        y = 32 + i * row_h
        label = g.label or unknown
        short = label if len(label) <= _LABEL_MAX else label[: _LABEL_MAX - 1].rstrip() + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + 16}" font-size="12" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        for j, (tp, colour) in enumerate(((g.h48, _H48), (g.month, _MONTH))):
            share = tp.share30
            w = width * (share or 0)
            yy = y + j * 15
            parts.append(
                f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="13" fill="{colour}"/>'
                f'<text x="{left + w + 4:.1f}" y="{yy + 11}" font-size="11">'
                f"{escape(_pct(share))} (n={tp.n})</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def patient_pain_svg(
    before: int | None,
    h48: int | None,
    month: int | None,
    *,
    title: str,
    labels: tuple[str, str, str],
    svg_id: str,
) -> str:
    """One patient's pain at three time points, a line through the known values (0-10 scale);
    a missing value is a gap. The page shows the same values in a table beside it."""
    left, top, width, height = 36, 26, 300, 150
    xs = [left + 30 + k * (width - 60) / 2 for k in range(3)]
    values = [before, h48, month]

    def y(v: int) -> float:
        return top + height * (10 - v) / 10

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{svg_id}-t" '
        f'viewBox="0 0 {left + width + 20} {top + height + 40}" width="100%">',
        f'<title id="{svg_id}-t">{escape(title)}</title>',
    ]
    for tick in (0, 5, 10):
        parts.append(
            f'<line x1="{left}" x2="{left + width}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#bbb" stroke-width="1"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'font-size="11" text-anchor="end">{tick}</text>'
        )
    points: list[tuple[float, int | None]] = list(zip(xs, values, strict=True))
    for (x1, v1), (x2, v2) in pairwise(points):
        if v1 is not None and v2 is not None:
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y(v1):.1f}" x2="{x2:.1f}" y2="{y(v2):.1f}" '
                f'stroke="{_MONTH}" stroke-width="2"/>'
            )
    for (x, v), label in zip(points, labels, strict=True):
        parts.append(
            f'<text x="{x:.1f}" y="{top + height + 20}" font-size="12" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
        if v is not None:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="5" fill="{_MONTH}"/>'
                f'<text x="{x:.1f}" y="{y(v) - 9:.1f}" font-size="12" text-anchor="middle">'
                f"{v}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
