"""Forms of the pathway pages; bounds are the contract's or physically plausible ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from geste.clinic.models import Procedure
from geste.pathway.formulary import FormularyItem, FormularyKind
from geste.pathway.models import ProcedureRecord, Region
from geste.pathway.record_checks import RecordError, record_check
from geste.pathway.records import ChecklistItem
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
    """The record, drug and contrast from the formulary; the service (`record_check`) is the
    guard, this form shows its errors on the fields. Asepsis is never pre-ticked."""

    asepsis = forms.BooleanField(label=_("Asepsie chirurgicale respectée"), required=False)
    contrast_item = forms.ModelChoiceField(
        label=_("Produit de contraste"),
        queryset=FormularyItem.objects.filter(
            active=True, kind__in=[FormularyKind.IODINATED, FormularyKind.GADOLINIUM]
        ),
        required=False,
        empty_label=_("Aucun"),
    )
    drug_item = forms.ModelChoiceField(
        label=_("Produit injecté (corticoïde, anesthésique)"),
        queryset=FormularyItem.objects.filter(
            active=True,
            kind__in=[FormularyKind.CORTICOSTEROID, FormularyKind.LOCAL_ANAESTHETIC],
        ),
        required=False,
        empty_label=_("Aucun"),
    )
    fluoroscopy_s = forms.IntegerField(
        label=_("Temps de scopie (s)"), min_value=0, max_value=7200, required=False
    )
    dap_mgy_cm2 = forms.FloatField(
        label=_("Produit dose-surface (mGy·cm²)"), min_value=0, max_value=500000, required=False
    )

    class Meta:
        model = ProcedureRecord
        fields = [
            "route",
            "levels",
            "side",
            "asepsis",
            "confirmation",
            "confirmation_none_reason",
            "contrast_item",
            "contrast_volume_ml",
            "contrast_lot",
            "drug_item",
            "drug_dose_mg",
            "drug_lot",
            "fluoroscopy_s",
            "dap_mgy_cm2",
            "reference_air_kerma_mgy",
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
            "confirmation_none_reason": forms.Textarea(attrs={"rows": 2}),
            "immediate_events": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, proc_request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proc_request = proc_request
        if proc_request is not None:
            expected = proc_request.procedure.contrast_confirmation
            if expected and expected != "none":
                self.fields["confirmation"].help_text = _(
                    "Attendu pour ce geste : %(c)s (sinon, écrivez pourquoi)."
                ) % {"c": proc_request.procedure.get_contrast_confirmation_display()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.proc_request is not None and not self.errors:
            try:
                record_check(self.proc_request, data)
            except RecordError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return data


class ReportForm(forms.Form):
    text = forms.CharField(label=_("Compte rendu"), widget=forms.Textarea(attrs={"rows": 12}))
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 3}))


class AddendumForm(forms.Form):
    addendum = forms.CharField(
        label=_("Addendum (correction ou complément, signé et daté)"),
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PrescriptionItemForm(forms.Form):
    formulary = forms.ModelChoiceField(
        label=_("Produit (formulaire du centre)"),
        queryset=FormularyItem.objects.filter(active=True),
    )
    dose = forms.FloatField(label=_("Dose"), min_value=0, required=False)
    route = forms.CharField(label=_("Voie"), max_length=80, required=False)
    override_reason = forms.CharField(
        label=_("Motif si allergie déclarée (produit iodé maintenu)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ChecklistForm(forms.Form):
    """The HAS checklist: every item answered oui / non, nothing pre-selected."""

    def __init__(self, *args: Any, proc_request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels: dict[str, Any] = dict(ChecklistItem.choices)
        if proc_request is not None:
            p = proc_request.patient
            labels[ChecklistItem.IDENTITY] = _(
                "Identité : %(name)s, né(e) le %(born)s (nom et date de naissance demandés "
                "au patient)"
            ) % {"name": p.display_name, "born": p.birth_date.strftime("%d/%m/%Y")}
            labels[ChecklistItem.PROCEDURE] = _("Geste : %(p)s") % {
                "p": proc_request.procedure.label_fr
            }
        for item in ChecklistItem.values:
            self.fields[f"check_{item}"] = forms.TypedChoiceField(
                label=labels[item],
                choices=[("yes", _("Oui")), ("no", _("Non"))],
                coerce=lambda v: v == "yes",
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, bool | None]:
        return {i: self.cleaned_data.get(f"check_{i}") for i in ChecklistItem.values}


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


class MonthPainForm(forms.Form):
    """The one-month pain measure (issue 13, point 6): one question, the same scale as before
    the procedure."""

    pain_month = forms.IntegerField(
        label=_("Votre douleur aujourd'hui, de 0 (aucune) à 10 (maximale)"),
        min_value=0,
        max_value=10,
    )


class OutcomesFilterForm(forms.Form):
    """The outcomes page's filters: the period of the procedures (inclusive) and the grouping."""

    start = forms.DateField(
        label=_("Gestes du"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("au"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(
        label=_("Regrouper par"),
        required=False,
        choices=[
            ("procedure", _("type de geste")),
            ("level", _("niveau")),
            ("operator", _("opérateur")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError(_("La date de début doit précéder la date de fin."))
        return data
