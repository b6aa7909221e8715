"""The duty roster and the pages of follow-up alerts (issue 13, point 3); the services are in
pathway/alerts.py. Kept out of models.py like records.py and formulary.py (re-exported there)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DutyShift(models.Model):
    """One radiologist on duty from `start` to `end`; among overlapping shifts `order` says who
    is paged first (lowest first). Edited in the admin (pathway/alerts.py pages from it)."""

    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        limit_choices_to={"role": "radiologist"},
        verbose_name=_("radiologue"),
    )
    start = models.DateTimeField(_("début"), db_index=True)
    end = models.DateTimeField(_("fin"), db_index=True)
    order = models.PositiveSmallIntegerField(_("ordre d'appel"), default=1)
    # The User has no phone: the number the radiologist answers on during this shift.
    phone = models.CharField(_("téléphone de garde"), max_length=20, blank=True)

    class Meta:
        app_label = "pathway"
        ordering = ("start", "order")
        verbose_name = _("garde")
        verbose_name_plural = _("gardes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="duty_shift_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.radiologist} {self.start:%Y-%m-%d %H:%M} -> {self.end:%Y-%m-%d %H:%M}"


class AlertPage(models.Model):
    """One page of a follow-up alert to one radiologist (e-mail and SMS), and its
    acknowledgement; an unacknowledged page escalates to the next on duty."""

    followup = models.ForeignKey("pathway.FollowUp", on_delete=models.CASCADE, related_name="pages")
    radiologist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Who took the alert (the radiologist paged or another one): shown on the dashboard.
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pris en charge par"),
    )

    class Meta:
        app_label = "pathway"
        ordering = ("sent_at", "pk")
        verbose_name = _("appel d'alerte")
        verbose_name_plural = _("appels d'alerte")

    def __str__(self) -> str:
        return f"page of follow-up #{self.followup_id} to {self.radiologist_id}"
