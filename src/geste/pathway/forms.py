"""Forms of the pathway pages; bounds are the contract's or physically plausible ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geste.clinic.models import Procedure
from geste.pathway.models import ProcedureRecord, Region
from geste.patients.models import Patient
from geste.patients.uploads import JPEG, PNG, validate_upload

ADVERSE_EVENTS = [
    ("fever", _("Fièvre")),
    ("weakness_numbness", _("Faiblesse ou engourdissement nouveau d'un membre")),
    ("severe_headache", _("Mal de tête violent")),
    ("allergy", _("Réaction allergique (boutons, démangeaisons)")),
    ("hematoma", _("Hématome au point de piqûre")),
    ("site_pain", _("Chaleur, douleur ou tension au point de piqûre")),
    ("flushing", _("Bouffées de chaleur au visage ou au thorax")),
    ("infection", _("Rougeur ou écoulement au point de piqûre")),
    ("radicular_pain", _("Douleur dans la jambe ou le bras plus forte qu'avant")),
]


class IntakeForm(forms.Form):
    patient = forms.ModelChoiceField(label=_("Patient"), queryset=Patient.objects.all())
    procedure = forms.ModelChoiceField(
        label=_("Geste demandé"), queryset=Procedure.objects.order_by("sort_order")
    )
    region = forms.ChoiceField(
        label=_("Région"), choices=[("", _("Selon le geste")), *Region.choices], required=False
    )
    referring_physician = forms.CharField(label=_("Médecin adresseur"), max_length=150)
    referring_email = forms.EmailField(label=_("E-mail du médecin adresseur"), required=False)
    referral_letter = forms.FileField(label=_("Courrier d'adressage (PDF ou image)"))
    pain_nrs = forms.IntegerField(
        label=_("Douleur actuelle (0-10)"), min_value=0, max_value=10, required=False
    )

    def clean_referral_letter(self) -> Any:
        # By content, size-capped, name sanitised (patients.uploads, every upload form).
        return validate_upload(self.cleaned_data["referral_letter"])


class ConsultationForm(forms.Form):
    history = forms.CharField(
        label=_("Antécédents et histoire"), widget=forms.Textarea(attrs={"rows": 4})
    )
    indication = forms.CharField(label=_("Indication"), widget=forms.Textarea(attrs={"rows": 3}))
    benefit_risk = forms.CharField(
        label=_("Balance bénéfice/risque"), widget=forms.Textarea(attrs={"rows": 3})
    )
    pain_nrs = forms.IntegerField(
        label=_("Douleur avant le geste (0-10)"), min_value=0, max_value=10, required=False
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=[("validate", _("Valider l'indication")), ("refuse", _("Refuser"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Motif du refus"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Indiquez le motif du refus."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), widget=forms.Textarea(attrs={"rows": 2}))


class PregnancyCheckForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Grossesse possible ?"),
        choices=[("no", _("Non")), ("yes", _("Oui")), ("unknown", _("Ne sait pas"))],
    )


class ProcedureRecordForm(forms.ModelForm):
    class Meta:
        model = ProcedureRecord
        fields = [
            "route",
            "levels",
            "side",
            "asepsis",
            "contrast_product",
            "contrast_volume_ml",
            "contrast_lot",
            "confirmation",
            "drug",
            "drug_dose_mg",
            "drug_lot",
            "fluoroscopy_s",
            "dap_mgy_cm2",
            "immediate_events",
        ]
        widgets = {
            "confirmation": forms.Select(
                choices=[
                    ("", _("Aucun")),
                    ("arthrography", _("Arthrographie")),
                    ("epidurography", _("Épidurographie")),
                ]
            ),
            "immediate_events": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contrast_product") and data.get("contrast_volume_ml") is None:
            self.add_error("contrast_volume_ml", _("Indiquez le volume injecté."))
        if data.get("drug") and data.get("drug_dose_mg") is None:
            self.add_error("drug_dose_mg", _("Indiquez la dose."))
        return data


class ReportForm(forms.Form):
    text = forms.CharField(label=_("Compte rendu"), widget=forms.Textarea(attrs={"rows": 12}))
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 3}))


class KeyImageForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=120)
    file = forms.ImageField(label=_("Image (PNG ou JPEG)"))

    def clean_file(self) -> Any:
        f = validate_upload(self.cleaned_data["file"], allowed=(PNG, JPEG))
        fmt = getattr(getattr(f, "image", None), "format", "")
        if fmt not in {"PNG", "JPEG"}:
            raise ValidationError(_("Formats acceptés : PNG, JPEG."))
        return f


class FollowUpForm(forms.Form):
    pain_now = forms.IntegerField(
        label=_("Votre douleur aujourd'hui, de 0 (aucune) à 10 (maximale)"),
        min_value=0,
        max_value=10,
    )
    adverse_events = forms.MultipleChoiceField(
        label=_("Depuis le geste, avez-vous eu :"),
        choices=ADVERSE_EVENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Autre chose à signaler"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
