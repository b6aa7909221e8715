"""Forms of the booking pages (labels in French, validated server-side)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from geste.clinic.models import Procedure, Role, Room, User
from geste.clinic.selectors import site_zone
from geste.patients.models import Patient, Sex
from geste.scheduling import capacity
from geste.scheduling.models import AppointmentKind


def slot_value(start: datetime, room_id: int, radiologist_id: int) -> str:
    return f"{start.isoformat()}|{room_id}|{radiologist_id}"


def parse_slot(value: str) -> tuple[datetime, int, int] | None:
    try:
        start, room, rad = value.split("|")
        when = datetime.fromisoformat(start)
        if when.tzinfo is None:
            return None
        return when, int(room), int(rad)
    except ValueError:
        return None


class SignupForm(forms.Form):
    """Identity, e-mail and password of a new patient, filled in while booking."""

    last_name = forms.CharField(label=_("Nom d'usage"), max_length=100)
    birth_name = forms.CharField(
        label=_("Nom de naissance"),
        max_length=100,
        required=False,
        help_text=_("Si différent du nom d'usage."),
    )
    first_names = forms.CharField(label=_("Prénoms"), max_length=150)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices)
    phone = forms.CharField(
        label=_("Téléphone portable"),
        max_length=20,
        required=False,
        help_text=_("Pour le SMS de rappel."),
    )
    email = forms.EmailField(label=_("Adresse e-mail"))
    password1 = forms.CharField(
        label=_("Mot de passe"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Au moins 8 caractères, pas uniquement des chiffres."),
    )
    password2 = forms.CharField(
        label=_("Mot de passe (confirmation)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        # A known address is NOT an error here: saying so would tell anyone that this person
        # is a patient of the centre (health data). The page answers as for a new address and
        # the address's owner gets a message instead (portal/views/booking.py).
        email: str = self.cleaned_data["email"].strip().lower()
        return email

    def address_known(self) -> bool:
        """Does an account already use the cleaned e-mail address?"""
        email = self.cleaned_data["email"]
        return (
            User.objects.filter(username__iexact=email).exists()
            or User.objects.filter(email__iexact=email).exists()
        )

    def clean_birth_date(self) -> date:
        born: date = self.cleaned_data["birth_date"]
        if born >= date.today() or born.year < 1900:  # noqa: DTZ011 - a calendar date
            raise forms.ValidationError(_("Date de naissance invalide."))
        return born

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data.get("phone", "").strip()
        if phone:
            Patient._meta.get_field("phone").run_validators(phone)
        return phone

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif p1:
            probe = User(
                username=data.get("email", ""),
                email=data.get("email", ""),
                first_name=data.get("first_names", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StaffMoveForm(forms.Form):
    """Reception moves an appointment to a date, a time, a room and a radiologist."""

    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        label=_("Heure"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    room = forms.ModelChoiceField(label=_("Salle"), queryset=Room.objects.filter(active=True))
    radiologist = forms.ModelChoiceField(
        label=_("Radiologue"),
        queryset=User.objects.filter(role=Role.RADIOLOGIST, is_active=True),
    )
    reason = forms.CharField(label=_("Motif"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["radiologist"]
        field.label_from_instance = lambda user: user.display_name  # type: ignore[attr-defined]

    def start(self) -> datetime:
        """The date and time typed, in the chosen room's site's time zone."""
        zone = site_zone(self.cleaned_data["room"].site.time_zone)
        return capacity.local_at(self.cleaned_data["day"], self.cleaned_data["time"], zone)


class StaffBookForm(forms.Form):
    """Reception: what to book for the chosen patient (sent by GET: it only searches)."""

    procedure = forms.ModelChoiceField(
        label=_("Acte"),
        queryset=Procedure.objects.filter(enabled=True),
        to_field_name="code",
    )
    kind = forms.ChoiceField(
        label=_("Type de rendez-vous"),
        choices=AppointmentKind.choices,
        initial=AppointmentKind.CONSULTATION,
        widget=forms.RadioSelect,
    )
    video = forms.BooleanField(label=_("Téléconsultation (consultation seulement)"), required=False)
    after = forms.DateField(
        label=_("À partir du"),
        required=False,
        help_text=_("Vide : les premiers créneaux libres."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure"]
        field.label_from_instance = lambda p: p.label  # type: ignore[attr-defined]


class OverrideBookForm(StaffMoveForm):
    """Radiologist or administrator: book at a chosen time even over an appointment."""

    reason = forms.CharField(
        label=_("Motif du forçage"),
        max_length=300,
        help_text=_("Obligatoire ; conservé dans le journal d'audit."),
    )


class WaitlistReorderForm(forms.Form):
    priority = forms.IntegerField(
        label=_("Nouvelle priorité"),
        min_value=0,
        max_value=999,
        help_text=_("La plus petite passe en premier (10 urgent, 50 douleur sévère, 100 autre)."),
    )
    reason = forms.CharField(label=_("Motif du changement"), max_length=300)
