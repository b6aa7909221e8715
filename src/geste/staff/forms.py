from django import forms

from geste.clinic.models import CentreSettings

# Every editable setting but the profile name (fixed: sir2019), listed from the model so that
# a threshold added there appears here without a second list to keep in step.
_EDITABLE = [
    f.name
    for f in CentreSettings._meta.get_fields()
    if getattr(f, "editable", False) and not f.auto_created and f.name != "profile"
]


class CentreSettingsForm(forms.ModelForm):
    class Meta:
        model = CentreSettings
        fields = _EDITABLE
