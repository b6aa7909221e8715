"""PDF documents (reportlab, pure pip): prescriptions, report, discharge sheet.

Built on demand from records that do not change once signed (prescriptions, report and its
addenda), so the same PDF comes out every time. A draft prescription says so in its title.
Duck-typed on the pathway's records (this layer sits below pathway).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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


def _num(x: float | None) -> str:
    """French number: 410 (not 410,0), 412,5; a dash when unknown."""
    if x is None:
        return "—"
    if float(x).is_integer():
        return str(int(x))
    return f"{x:g}".replace(".", ",")


def _signer(user: Any, when: Any, *, box: bool = False) -> list[Any]:
    out: list[Any] = [
        Spacer(1, 0.6 * cm),
        _p(_("%(name)s — RPPS %(rpps)s") % {"name": user.display_name, "rpps": user.rpps or "—"}),
        _p(_("Le %(d)s") % {"d": timezone.localtime(when).strftime("%d/%m/%Y")}),
    ]
    if box:
        area = Table(
            [[_p(_("Signature :"))]], colWidths=[8 * cm], rowHeights=[2.5 * cm], hAlign="LEFT"
        )
        area.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        out += [Spacer(1, 0.3 * cm), area]
    return out


def _facts(rows: list[tuple[str, str]]) -> Table:
    t = Table([[_p(k), _p(v)] for k, v in rows], colWidths=[5 * cm, 12 * cm], hAlign="LEFT")
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def _build(story: list[Any], title: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, title=title, author="geste", leftMargin=2 * cm, rightMargin=2 * cm
    )
    doc.build(story)
    return buf.getvalue()


def _item_line(item: Any) -> str:
    f = item.formulary
    strength = f" {f.strength}" if f.strength and f.strength not in f.product else ""
    return _("%(product)s (%(inn)s)%(strength)s — %(dose)s %(unit)s, voie : %(route)s") % {
        "product": f.product,
        "inn": f.inn,
        "strength": strength,
        "dose": _num(item.dose),
        "unit": item.unit,
        "route": item.route,
    }


def prescription_pdf(prescription: Any) -> bytes:
    """Prescriber, RPPS, date and a signature area; "à réaliser avant le ..." on a blood test;
    a draft (not signed yet) is marked as such."""
    req = prescription.request
    title = str(_("Ordonnance"))
    story = [*_header(req.patient), _p(f"{title} — {prescription.get_kind_display()}", "Title")]
    if prescription.signed_at is None:
        story.append(_p(_("BROUILLON — non signée, ne pas délivrer."), "Heading3"))
    story += [_p(f"• {_item_line(item)}") for item in prescription.items.all()]
    story += [_p(f"• {line}") for line in prescription.lines]
    before = prescription.perform_before
    if before is not None:
        story += [
            Spacer(1, 0.3 * cm),
            _p(
                _("À réaliser avant le %(d)s ; résultat à apporter le jour du geste.")
                % {"d": before.strftime("%d/%m/%Y")}
            ),
        ]
    signer = prescription.signed_by or prescription.prescriber
    story += _signer(signer, prescription.signed_at or prescription.created_at, box=True)
    return _build(story, title)


def report_pdf(report: Any) -> bytes:
    """The report with its structured parts: date, operator, referring physician, technique,
    the dose (always), then the addenda in version order."""
    req = report.request
    title = str(_("Compte rendu"))
    performed = report.performed_at or report.signed_at
    operator = report.operator or report.signed_by
    story = [*_header(req.patient), _p(f"{title} — {req.procedure.label_fr}", "Title")]
    story.append(
        _facts(
            [
                (_("Date du geste"), timezone.localtime(performed).strftime("%d/%m/%Y")),
                (
                    _("Opérateur"),
                    f"{operator.display_name} — RPPS {operator.rpps or '—'}",
                ),
                (_("Médecin adresseur"), req.referring_physician or "—"),
            ]
        )
    )
    if report.technique:
        story += [_p(_("Technique"), "Heading4"), _p(report.technique)]
    story += [_p(_("Compte rendu"), "Heading4"), _p(report.text)]
    if report.conclusion:
        story += [Spacer(1, 0.3 * cm), _p(_("Conclusion"), "Heading4"), _p(report.conclusion)]
    dose = [
        _("Produit dose-surface : %(v)s mGy·cm²") % {"v": _num(report.dap_mgy_cm2)},
        _("Temps de scopie : %(v)s s") % {"v": _num(report.fluoroscopy_s)},
    ]
    if report.reference_air_kerma_mgy is not None:
        dose.append(
            _("Kerma dans l'air au point de référence : %(v)s mGy")
            % {"v": _num(report.reference_air_kerma_mgy)}
        )
    story += [_p(_("Dose délivrée"), "Heading4"), *[_p(line) for line in dose]]
    story += _signer(report.signed_by, report.signed_at)
    for add in report.addenda.order_by("version"):
        story += [
            Spacer(1, 0.4 * cm),
            _p(
                _("Addendum (version %(v)s) du %(d)s — %(who)s")
                % {
                    "v": add.version,
                    "d": timezone.localtime(add.signed_at).strftime("%d/%m/%Y %H:%M"),
                    "who": add.author.display_name,
                },
                "Heading4",
            ),
            _p(add.text),
        ]
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
