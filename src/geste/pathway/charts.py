"""Outcomes per procedure type, and an inline SVG bar chart drawn on the server (no JS)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from geste.pathway.models import FollowUp


@dataclass
class Outcome:
    code: str
    label: str
    n: int
    pain_before: float
    pain_after: float
    responders_30: float  # share of patients with >= 30 % improvement
    responders_50: float


def outcomes() -> list[Outcome]:
    """Pain before (request) and after (follow-up), per procedure type: one query."""
    rows: dict[str, list[tuple[int, int, str]]] = {}  # filtered non-null below
    for before, after, code, label in FollowUp.objects.filter(
        answered_at__isnull=False, pain_now__isnull=False, request__pain_nrs__isnull=False
    ).values_list(
        "request__pain_nrs", "pain_now", "request__procedure__code", "request__procedure__label_fr"
    ):
        if before is not None and after is not None:
            rows.setdefault(code, []).append((before, after, label))
    out = []
    for code, items in sorted(rows.items()):
        n = len(items)
        gains = [(b - a) / b if b else 0.0 for b, a, _ in items]
        out.append(
            Outcome(
                code=code,
                label=items[0][2],
                n=n,
                pain_before=sum(b for b, _, _ in items) / n,
                pain_after=sum(a for _, a, _ in items) / n,
                responders_30=sum(g >= 0.3 for g in gains) / n,
                responders_50=sum(g >= 0.5 for g in gains) / n,
            )
        )
    return out


def pain_svg(data: list[Outcome], *, title: str, before: str, after: str) -> str:
    """Grouped horizontal bars (pain 0-10 before/after), accessible (role=img, title)."""
    row_h, left, width = 34, 230, 300
    h = 40 + row_h * len(data)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="pain-t" '
        f'viewBox="0 0 {left + width + 60} {h}" width="100%">',
        f'<title id="pain-t">{escape(title)}</title>',
        f'<rect x="{left}" y="6" width="12" height="12" fill="#8a5a00"/>'
        f'<text x="{left + 16}" y="17" font-size="12">{escape(before)}</text>',
        f'<rect x="{left + 120}" y="6" width="12" height="12" fill="#1a6b3c"/>'
        f'<text x="{left + 136}" y="17" font-size="12">{escape(after)}</text>',
    ]
    for i, o in enumerate(data):
        y = 30 + i * row_h
        wb, wa = width * o.pain_before / 10, width * o.pain_after / 10
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{escape(o.label)} (n={o.n})</text>"
            f'<rect x="{left}" y="{y}" width="{wb:.1f}" height="12" fill="#8a5a00"/>'
            f'<text x="{left + wb + 4:.1f}" y="{y + 10}" font-size="11">{o.pain_before:.1f}</text>'
            f'<rect x="{left}" y="{y + 14}" width="{wa:.1f}" height="12" fill="#1a6b3c"/>'
            f'<text x="{left + wa + 4:.1f}" y="{y + 24}" font-size="11">{o.pain_after:.1f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
