"""Forms of crisis mode (labels in French; the template ties labels and errors to fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from geste.crisis.discussions import Answer
from geste.crisis.inputs import TriageInputsForm, inputs_for
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


class AnswerForm(TriageInputsForm):
    """The referring clinicians' answer: "must it be done now?" and the questions of the
    request's rule (the inputs the policy reads for its procedure, three-state)."""

    def __init__(self, *args: Any, names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, names=names, **kwargs)
        confirmed = forms.TypedChoiceField(
            label=_("Les cliniciens référents confirment-ils l'indication pendant la crise ?"),
            choices=[
                ("yes", _("Oui, le geste doit être fait maintenant")),
                ("no", _("Non, il peut attendre")),
            ],
            coerce=lambda v: v == "yes",
            widget=forms.RadioSelect,
        )
        self.fields = {"clinicians_confirmed": confirmed, **self.fields}  # type: ignore[assignment]

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in super().values().items() if k != "clinicians_confirmed"}


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


def answer_form(discussion: Any, data: Any = None) -> AnswerForm:
    """The answer form of one discussion: the questions of its request's rule, with the
    request's current values."""
    req = discussion.request
    names = inputs_for(load_policy(discussion.policy_id), req.procedure.code)
    return AnswerForm(data, names=names, initial=TriageInputsForm.initial_of(req, names))


def answer_of(form: AnswerForm) -> Answer:
    # "Inconnu" in an answer leaves what the request knows (an answer adds facts).
    given = {k: v for k, v in form.values().items() if v is not None}
    return Answer(
        clinicians_confirmed=bool(form.cleaned_data["clinicians_confirmed"]), inputs=given
    )
