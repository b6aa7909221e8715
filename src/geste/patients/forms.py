"""The pre-procedure questionnaire and lab result forms (ranges are the case contract's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geste.patients.uploads import validate_upload
from geste.rules.drugs import DRUG_CHOICES

YES_NO = [("no", _("Non")), ("yes", _("Oui"))]
PREGNANCY = [("no", _("Non")), ("yes", _("Oui")), ("unknown", _("Je ne sais pas"))]
ALLERGY_CHOICES = [
    ("iodinated_contrast", _("Produit de contraste iodé")),
    ("corticosteroid", _("Corticoïdes")),
    ("local_anaesthetic", _("Anesthésique local")),
    ("latex", _("Latex")),
    ("other", _("Autre allergie")),
]
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _yes(value: str) -> bool:
    return value == "yes"


class DeclarationForm(forms.Form):
    pregnant = forms.ChoiceField(
        label=_("Êtes-vous enceinte, ou pourriez-vous l'être ?"),
        choices=PREGNANCY,
        widget=forms.RadioSelect,
    )
    takes_anticoagulant = forms.ChoiceField(
        label=_("Prenez-vous un anticoagulant ou un antiagrégant (fluidifiant du sang) ?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    allergies = forms.MultipleChoiceField(
        label=_("Allergies connues"),
        choices=ALLERGY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    allergy_details = forms.CharField(label=_("Précisions sur les allergies"), required=False)
    fever = forms.ChoiceField(
        label=_("Avez-vous de la fièvre en ce moment ?"), choices=YES_NO, widget=forms.RadioSelect
    )
    current_infection = forms.ChoiceField(
        label=_("Avez-vous une infection en cours (pulmonaire, urinaire, dentaire...) ?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    infection_details = forms.CharField(label=_("Laquelle ?"), required=False)
    skin_lesion_at_site = forms.ChoiceField(
        label=_("Avez-vous une plaie ou une lésion de la peau à l'endroit de la piqûre ?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    creatinine_clearance_ml_min = forms.FloatField(
        label=_("Clairance de la créatinine (mL/min), si vous la connaissez"),
        required=False,
        min_value=0,
        max_value=300,
    )

    def __init__(self, *args: Any, asks_pregnancy: bool = True, **kwargs: Any) -> None:
        """`asks_pregnancy`: False where the engine does not ask (sex M, or outside the
        centre's childbearing ages): the question is then not shown at all. Where it is asked,
        it is never pre-set (no initial value, even from an earlier questionnaire)."""
        super().__init__(*args, **kwargs)
        if asks_pregnancy:
            self.initial.pop("pregnant", None)
        else:
            del self.fields["pregnant"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("current_infection") == "yes" and not data.get("infection_details"):
            self.add_error("infection_details", _("Précisez l'infection."))
        return data

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "pregnant": None if d.get("pregnant", "unknown") == "unknown" else _yes(d["pregnant"]),
            "takes_anticoagulant": _yes(d["takes_anticoagulant"]),
            "allergies": list(d["allergies"]),
            "allergy_details": d["allergy_details"],
            "fever": _yes(d["fever"]),
            "current_infection": _yes(d["current_infection"]),
            "infection_details": d["infection_details"],
            "skin_lesion_at_site": _yes(d["skin_lesion_at_site"]),
            "creatinine_clearance_ml_min": d["creatinine_clearance_ml_min"],
        }


class MedicationForm(forms.Form):
    drug = forms.ChoiceField(
        label=_("Médicament"), choices=[("", "—"), *DRUG_CHOICES], required=False
    )
    other_drug = forms.CharField(label=_("Autre (nom exact)"), required=False, max_length=80)
    last_dose_at = forms.DateTimeField(
        label=_("Dernière prise"), required=False, widget=DATETIME_WIDGET
    )
    dose = forms.ChoiceField(
        label=_("Dose"),
        required=False,
        choices=[
            ("", _("Je ne sais pas")),
            ("prophylactic", _("Préventive")),
            ("therapeutic", _("Curative")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = data.get("drug") or (data.get("other_drug") or "").strip()
        data["name"] = name
        if name and not data.get("last_dose_at"):
            self.add_error("last_dose_at", _("Indiquez la date et l'heure de la dernière prise."))
        return data

    def clean_last_dose_at(self) -> Any:
        at = self.cleaned_data.get("last_dose_at")
        if at is not None and at > timezone.now():
            raise ValidationError(_("La dernière prise ne peut pas être dans le futur."))
        return at


MedicationFormSet = forms.formset_factory(MedicationForm, extra=3, max_num=6)


class LabResultForm(forms.Form):
    """Hemostasis values; bounds are those of the case contract (plausible values only)."""

    sampled_at = forms.DateTimeField(label=_("Prélevé le"), widget=DATETIME_WIDGET)
    platelets_g_l = forms.FloatField(
        label=_("Plaquettes (G/L)"),
        required=False,
        min_value=0,
        max_value=2000,
        help_text=_("Valeurs habituelles : 150 à 400 G/L."),
    )
    inr = forms.FloatField(
        label=_("INR"),
        required=False,
        min_value=0.5,
        max_value=15,
        help_text=_("Sans traitement : environ 1."),
    )
    aptt_ratio = forms.FloatField(
        label=_("TCA (ratio patient/témoin)"),
        required=False,
        min_value=0.3,
        max_value=10,
        help_text=_("Normal : inférieur à 1,2."),
    )
    document = forms.FileField(
        label=_("Compte rendu du laboratoire (PDF ou image)"), required=False
    )

    def clean_document(self) -> Any:
        return validate_upload(self.cleaned_data.get("document"))

    def __init__(self, *args: Any, not_after: datetime | None = None, **kwargs: Any) -> None:
        """`not_after`: the procedure's start; a sample taken after it is not its blood test."""
        super().__init__(*args, **kwargs)
        self.not_after = not_after

    def clean_sampled_at(self) -> Any:
        at = self.cleaned_data.get("sampled_at")
        if at is not None and at > timezone.now():
            raise ValidationError(_("Le prélèvement ne peut pas être dans le futur."))
        if at is not None and self.not_after is not None and at > self.not_after:
            raise ValidationError(
                _("Le prélèvement ne peut pas être postérieur au geste (%(when)s).")
                % {"when": timezone.localtime(self.not_after).strftime("%d/%m/%Y %H:%M")}
            )
        return at

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = [data.get(k) for k in ("platelets_g_l", "inr", "aptt_ratio")]
        if all(v is None for v in values) and not data.get("document"):
            raise ValidationError(_("Saisissez au moins une valeur ou joignez le document."))
        return data
