"""Admin of the pathway's reference data: the centre formulary, the duty roster (and the
alert pages, read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from geste.pathway.formulary import REVIEW_NOTE, FormularyItem
from geste.pathway.models import AlertPage, DutyShift


@admin.register(FormularyItem)
class FormularyItemAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "inn",
        "kind",
        "strength",
        "dose",
        "max_dose",
        "unit",
        "particulate",
        "active",
    )
    list_filter = ("kind", "particulate", "active")
    list_editable = ("active",)
    search_fields = ("product", "inn")
    fieldsets = (
        (
            _("Produit"),
            {
                "fields": (
                    "kind",
                    "product",
                    "inn",
                    "strength",
                    "route",
                    "particulate",
                    "active",
                    "sort_order",
                ),
                "description": REVIEW_NOTE,
            },
        ),
        (
            _("Doses (par geste)"),
            {
                "fields": ("dose", "max_dose", "unit", "default_for", "note"),
                "description": _(
                    "Source : formulaire du centre, à faire valider par le pharmacien du "
                    "centre. La dose usuelle est proposée sur l'ordonnance ; au-delà du "
                    "maximum, l'ordonnance et le compte rendu du geste sont refusés."
                ),
            },
        ),
    )


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    """The duty roster: who is paged for a follow-up alert, and in which order."""

    list_display = ("radiologist", "start", "end", "order", "phone")
    list_filter = ("radiologist",)
    date_hierarchy = "start"
    ordering = ("-start", "order")


@admin.register(AlertPage)
class AlertPageAdmin(admin.ModelAdmin):
    """Pages are written by pathway/alerts.py only: read here."""

    list_display = ("followup", "radiologist", "sent_at", "acknowledged_at")
    readonly_fields = ("followup", "radiologist", "sent_at", "acknowledged_at")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
