"""Admin of the pathway's reference data: the centre formulary."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from geste.pathway.formulary import REVIEW_NOTE, FormularyItem


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
