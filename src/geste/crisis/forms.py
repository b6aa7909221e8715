"""Forms of crisis mode (labels in French; the template ties labels and errors to fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from geste.crisis.models import Decision
from geste.rules.policy import available_policies, load_policy


def _policy_choices() -> list[tuple[str, str]]:
    return [
        (pid, f"{load_policy(pid).title('fr')} (v{load_policy(pid).version})")
        for pid in available_policies()
    ]


class PolicyForm(forms.Form):
    policy = forms.ChoiceField(label=_("Politique de tri"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy"].choices = _policy_choices()  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    """Confirm the proposal, or choose another decision with a reason."""

    final = forms.ChoiceField(label=_("Décision retenue"), choices=Decision.choices)
    reason = forms.CharField(
        label=_("Motif (obligatoire si vous changez la décision)"),
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )

    def __init__(self, *args: Any, proposed: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposed = proposed
        self.fields["final"].initial = proposed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("final") and data["final"] != self.proposed and not data.get("reason"):
            self.add_error("reason", _("Indiquez le motif du changement de décision."))
        return data


class AnswerForm(forms.Form):
    """The referring clinicians' answer (crisis-triage.md rule 6)."""

    clinicians_confirmed = forms.TypedChoiceField(
        label=_("Les cliniciens référents confirment-ils l'indication pendant la crise ?"),
        choices=[
            ("yes", _("Oui, le geste doit être fait maintenant")),
            ("no", _("Non, il peut attendre")),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    threatening_lesion = forms.BooleanField(
        label=_("Lésion menaçante (risque neurologique ou fracturaire)"), required=False
    )
    severe_pain = forms.BooleanField(label=_("Douleur invalidante, très intense"), required=False)
    local_tumor_control_needed = forms.BooleanField(
        label=_("Contrôle tumoral local nécessaire"), required=False
    )


class MoveItemForm(forms.Form):
    day = forms.DateField(label=_("Jour"), widget=forms.DateInput(attrs={"type": "date"}))
    room = forms.ChoiceField(label=_("Salle"), choices=())
    radiologist = forms.ChoiceField(label=_("Radiologue"), choices=())

    def __init__(
        self,
        *args: Any,
        rooms: list[tuple[int, str]],
        radiologists: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = rooms  # type: ignore[attr-defined]
        self.fields["radiologist"].choices = radiologists  # type: ignore[attr-defined]
