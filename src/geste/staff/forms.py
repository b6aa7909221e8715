from django import forms

from geste.clinic.models import CentreSettings


class CentreSettingsForm(forms.ModelForm):
    class Meta:
        model = CentreSettings
        exclude = ["profile"]
