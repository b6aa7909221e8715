"""Clearing a review finding at the time-out (issue 10, point 6): a category and a written
reason of at least `MIN_REASON` characters for each finding; a one-letter reason clears
nothing. What is kept ("<category>: <reason>") is stored with the time-out (who, when) by
`services_day.timeout_record`, whose audit event names the codes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_REASON = 10
PREFIX, CATEGORY_PREFIX = "clear_", "clearcat_"


class ClearanceCategory(models.TextChoices):
    CHECKED_RESOLVED = "checked_resolved", _("Vérifié avec le patient : résolu")
    BENEFIT_RISK = "benefit_risk", _("Bénéfice supérieur au risque, discuté avec le patient")
    SPECIALIST = "specialist_opinion", _("Avis du médecin prescripteur ou d'un spécialiste")
    PRECAUTION = "precaution_taken", _("Précaution prise (produit, technique, prémédication)")
    OTHER = "other", _("Autre (préciser)")


class ClearanceForm(forms.Form):
    """One category and one reason per finding named in the post (`clear_<code>`,
    `clearcat_<code>`); `clearances()` keeps only the complete ones."""

    def __init__(self, data: Any = None, *, codes: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(data)
        self.codes = tuple(codes)
        for code in self.codes:
            self.fields[CATEGORY_PREFIX + code] = forms.ChoiceField(
                label=_("Catégorie"), choices=[("", "—"), *ClearanceCategory.choices]
            )
            self.fields[PREFIX + code] = forms.CharField(
                label=_("Motif de levée"),
                min_length=MIN_REASON,
                max_length=500,
                error_messages={
                    "min_length": _("Motif trop court : au moins %(limit_value)d caractères.")
                },
            )

    @classmethod
    def from_post(cls, data: Any) -> ClearanceForm:
        codes = sorted({k[len(PREFIX) :] for k in data if k.startswith(PREFIX)})
        return cls(data, codes=codes)

    def clearances(self) -> dict[str, str]:
        """{code: "<category>: <reason>"} for the findings cleared completely."""
        self.is_valid()
        out = {}
        for code in self.codes:
            category = self.cleaned_data.get(CATEGORY_PREFIX + code)
            reason = self.cleaned_data.get(PREFIX + code)
            if category and reason:
                out[code] = f"{category}: {reason}"
        return out

    def problems(self) -> list[str]:
        self.is_valid()
        out: list[str] = []
        for code in self.codes:
            for name in (CATEGORY_PREFIX + code, PREFIX + code):
                errors = [str(e) for e in self.errors.get(name, [])]
                if errors:
                    out.append(f"{code} — {self.fields[name].label} : {' '.join(errors)}")
        return out
