"""Dose alerts, as OpenREM does for fluoroscopy: per procedure and cumulative per patient.

- Per procedure: reference point air kerma (RAK) of the procedure's reports at or above
  `procedure_rak_gy` (default 3 Gy, ICRP 85) -> skin follow-up advice.
- Cumulative: the patient's dose-area product and RAK over `lookback_days` at or above
  `cumulative_dap_gy_cm2` / `cumulative_rak_gy` (defaults NCRP 168).
Settings and their sources are `DoseAlertSettings` (Django admin). An alert is stored once
per report and kind, shown to radiologists until acknowledged (`selectors.open_dose_alerts`)
and e-mailed to the procedure's radiologist on commit: the e-mail names no patient and no
procedure, only that an alert waits in geste. `report_dose_text()` gives the report's dose
section (French law asks that the report states the dose delivered, pathway.md step 9).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.dicom.models import AlertKind, DoseAlert, DoseAlertSettings, DoseReport

logger = logging.getLogger("geste.dicom")


def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def cumulative(patient_id: int, *, days: int, until: Any = None) -> dict[str, float]:
    """The patient's DAP (Gy·cm²) and RAK (Gy) over the last `days` days, every matched
    dose report counted once, by when it was performed (received, if the unit gave no date)."""
    end = until or timezone.now()
    start = end - timedelta(days=days)
    qs = DoseReport.objects.filter(request__patient_id=patient_id).filter(
        Q(performed_at__gte=start, performed_at__lte=end)
        | Q(performed_at__isnull=True, received_at__gte=start, received_at__lte=end)
    )
    agg = qs.aggregate(dap=Sum("dap_gy_cm2"), rak=Sum("rak_mgy"))
    return {"dap_gy_cm2": agg["dap"] or 0.0, "rak_gy": (agg["rak"] or 0.0) / 1000}


def dose_alerts_evaluate(*, report: DoseReport) -> list[DoseAlert]:
    """Raise the alerts this matched report triggers (inside the caller's transaction)."""
    if report.request_id is None:
        return []
    req = report.request
    assert req is not None
    cfg = DoseAlertSettings.current()
    procedure_rak_gy = (
        sum(
            r or 0.0
            for r in DoseReport.objects.filter(request=req).values_list("rak_mgy", flat=True)
        )
        / 1000
    )
    when = report.performed_at or report.received_at
    total = cumulative(req.patient_id, days=cfg.lookback_days, until=when)
    found: list[tuple[str, float, float, str, int | None]] = []
    if procedure_rak_gy >= cfg.procedure_rak_gy:
        found.append(
            (
                AlertKind.PROCEDURE_RAK,
                procedure_rak_gy,
                cfg.procedure_rak_gy,
                cfg.procedure_source,
                None,
            )
        )
    if total["rak_gy"] >= cfg.cumulative_rak_gy:
        found.append(
            (
                AlertKind.CUMULATIVE_RAK,
                total["rak_gy"],
                cfg.cumulative_rak_gy,
                cfg.cumulative_source,
                cfg.lookback_days,
            )
        )
    if total["dap_gy_cm2"] >= cfg.cumulative_dap_gy_cm2:
        found.append(
            (
                AlertKind.CUMULATIVE_DAP,
                total["dap_gy_cm2"],
                cfg.cumulative_dap_gy_cm2,
                cfg.cumulative_source,
                cfg.lookback_days,
            )
        )
    appt = report.appointment
    radiologist = appt.radiologist if appt is not None else req.validated_by
    alerts = []
    for kind, value, threshold, source, window in found:
        alert, created = DoseAlert.objects.get_or_create(
            report=report,
            kind=kind,
            defaults={
                "patient_id": req.patient_id,
                "value": value,
                "threshold": threshold,
                "source": source,
                "window_days": window,
                "radiologist": radiologist,
            },
        )
        if created:
            alerts.append(alert)
            log_action(
                actor=None,
                action="dicom.dose_alert_raised",
                obj=req,
                details={"kind": kind, "value": round(value, 3), "threshold": threshold},
            )
    if alerts and cfg.notify_by_email and radiologist is not None and radiologist.email:
        email = radiologist.email
        transaction.on_commit(lambda: _notify(email))
    return alerts


def _notify(email: str) -> None:
    body = _(
        "Bonjour,\n\nUne alerte de dose de rayonnement attend votre lecture dans geste "
        "(tableau de bord du radiologue) : %(url)s\n"
    ) % {"url": settings.SITE_URL.rstrip("/") + "/"}
    send_mail(
        _("Alerte de dose à lire"), body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True
    )


def dose_alert_acknowledge(*, alert: DoseAlert, actor: Any) -> DoseAlert:
    """A radiologist has read the alert (and acted: follow-up booked, patient told)."""
    with transaction.atomic():
        DoseAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=actor, acknowledged_at=timezone.now()
        )
        log_action(
            actor=actor,
            action="dicom.dose_alert_acknowledged",
            obj=alert.report.request,
            details={"kind": alert.kind},
        )
    alert.refresh_from_db()
    return alert


def report_dose_text(request: Any) -> str:
    """The report's dose section, from the dose reports matched to the request (French by
    default, like the report). Empty when no dose report is matched."""
    reports = list(DoseReport.objects.filter(request=request).order_by("received_at"))
    if not reports:
        return ""
    dap = sum(r.dap_gy_cm2 for r in reports)
    rak = [r.rak_mgy for r in reports if r.rak_mgy is not None]
    fluoro = [r.fluoro_time_s for r in reports if r.fluoro_time_s is not None]
    parts = [_("produit dose-surface %(v)s Gy·cm²") % {"v": _fmt(dap)}]
    if rak:
        parts.append(
            _("kerma dans l'air au point de référence %(v)s mGy") % {"v": _fmt(sum(rak), 1)}
        )
    if fluoro:
        seconds = round(sum(fluoro))
        parts.append(
            _("temps de scopie %(m)d min %(s)02d s") % {"m": seconds // 60, "s": seconds % 60}
        )
    units = sorted({f"{r.manufacturer} {r.model_name}".strip() or r.calling_ae for r in reports})
    lines = [
        _("Dose délivrée : %(parts)s (rapport de dose DICOM de l'équipement : %(units)s).")
        % {"parts": " ; ".join(parts), "units": ", ".join(units)}
    ]
    for alert in DoseAlert.objects.filter(report__request=request).order_by("kind"):
        if alert.kind == AlertKind.PROCEDURE_RAK:
            lines.append(
                _(
                    "Kerma au point de référence de %(v)s Gy, au-delà de %(t)s Gy : une "
                    "surveillance de la peau de la zone exposée est recommandée (%(src)s)."
                )
                % {"v": _fmt(alert.value), "t": _fmt(alert.threshold, 1), "src": alert.source}
            )
        else:
            unit = "Gy" if alert.kind == AlertKind.CUMULATIVE_RAK else "Gy·cm²"
            lines.append(
                _(
                    "Dose cumulée sur %(d)s jours au-delà du seuil du centre : %(v)s %(u)s "
                    "pour un seuil de %(t)s %(u)s (%(src)s)."
                )
                % {
                    "d": alert.window_days,
                    "v": _fmt(alert.value),
                    "t": _fmt(alert.threshold, 1),
                    "u": unit,
                    "src": alert.source,
                }
            )
    return "\n".join(str(line) for line in lines)
