"""PDF documents (reportlab, pure pip): prescriptions, report, discharge sheet.

Built on demand from records that do not change once written (prescriptions, signed report),
so the same PDF comes out every time.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from geste.clinic.models import Site

_STYLES = getSampleStyleSheet()


def _p(text: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _STYLES[style])


def _header(patient: Any) -> list[Any]:
    site = Site.objects.order_by("pk").first()
    out: list[Any] = []
    if site is not None:
        out += [_p(site.name, "Heading3"), _p(site.address)]
        if site.phone:
            out.append(_p(_("Tél. %(p)s") % {"p": site.phone}))
    out += [
        Spacer(1, 0.4 * cm),
        _p(
            _("Patient(e) : %(name)s, né(e) le %(born)s")
            % {"name": patient.display_name, "born": patient.birth_date.strftime("%d/%m/%Y")}
        ),
        Spacer(1, 0.4 * cm),
    ]
    return out


def _signer(user: Any, when: Any) -> list[Any]:
    return [
        Spacer(1, 0.6 * cm),
        _p(_("%(name)s — RPPS %(rpps)s") % {"name": user.display_name, "rpps": user.rpps or "—"}),
        _p(_("Le %(d)s") % {"d": timezone.localtime(when).strftime("%d/%m/%Y")}),
    ]


def _build(story: list[Any], title: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=title, author="geste", leftMargin=2 * cm, rightMargin=2 * cm
    )
    doc.build(story)
    return buf.getvalue()


def prescription_pdf(prescription: Any) -> bytes:
    req = prescription.request
    title = str(_("Ordonnance"))
    story = [*_header(req.patient), _p(f"{title} — {prescription.get_kind_display()}", "Title")]
    story += [_p(f"• {line}") for line in prescription.lines]
    story += _signer(prescription.prescriber, prescription.created_at)
    return _build(story, title)


def report_pdf(report: Any) -> bytes:
    req = report.request
    title = str(_("Compte rendu"))
    story = [*_header(req.patient), _p(f"{title} — {req.procedure.label_fr}", "Title")]
    story.append(_p(report.text))
    if report.conclusion:
        story += [Spacer(1, 0.3 * cm), _p(_("Conclusion"), "Heading4"), _p(report.conclusion)]
    story += _signer(report.signed_by, report.signed_at)
    return _build(story, title)


def discharge_pdf(request: Any, paragraphs: list[tuple[str, str]]) -> bytes:
    title = str(_("Après votre geste : conseils de sortie"))
    story = [*_header(request.patient), _p(title, "Title")]
    for heading, text in paragraphs:
        story += [_p(heading, "Heading4"), _p(text)]
    return _build(story, title)


def convocation_pdf(
    *, patient: Any, when: Any, place: str, lines: list[str] | tuple[str, ...]
) -> bytes:
    """The convocation: the appointment and the preparation (pathway.instructions' sentences,
    given as plain text so that this room stays below the pathway)."""
    title = _("Convocation et préparation du geste")
    story = [*_header(patient), _p(title, "Heading2")]
    if when is not None:
        story.append(
            _p(
                _("Rendez-vous le %(d)s à %(h)s — %(place)s")
                % {
                    "d": timezone.localtime(when).strftime("%d/%m/%Y"),
                    "h": timezone.localtime(when).strftime("%H:%M"),
                    "place": place,
                }
            )
        )
    story += [Spacer(1, 0.3 * cm), _p(_("Ce que vous devez faire"), "Heading4")]
    story += [_p("• " + line) for line in lines]
    return _build(story, title)
