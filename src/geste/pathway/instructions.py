"""What the patient must do before the procedure (issue 10, point 3): one service,
`instructions_for(request)`, read by the patient's "Préparer mon geste" page, the convocation
PDF and the staff request page, so all three say the same thing.

Computed, never stored: each reading asks the engine with the request's current appointment
and latest questionnaire, so a move or a new questionnaire changes them at once. A service that
may change them (booking.appointment_book/appointment_move, `questionnaire_submit` below)
compares the fingerprint before and after and, when it differs, tells the patient after commit
with a minimal message (no drug, no procedure): "vos consignes ont changé, connectez-vous".

Last dose of a held drug: the engine's own hold interval. The case is asked with the drug taken
AT the appointment's start; the engine then holds it and its `earliest_safe_at` is start +
interval, so the last allowed dose is start - interval (the same interval as the guard, CrCl,
dose and centre settings included).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from geste import PARIS
from geste.audit.services import log_action
from geste.clinic.messages import message_send
from geste.clinic.models import MessageKind
from geste.clinic.selectors import safety_settings, site_zone
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRequest, RequestState
from geste.patients.models import Declaration, Patient
from geste.patients.services import declaration_submit
from geste.rules.case import Medication
from geste.rules.drugs import drug_class, normalise_drug
from geste.rules.safety import bleeding_risk, check
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

logger = logging.getLogger(__name__)

_WAITING = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
_ANTITHROMBOTIC = frozenset(
    {"vka", "heparin", "lmwh", "fondaparinux", "doac", "antiplatelet", "aspirin"}
)


@dataclass(frozen=True)
class DrugStop:
    drug: str  # as the patient declared it
    last_dose_by: datetime  # aware, in the site's zone
    sentence: str


@dataclass(frozen=True)
class Instructions:
    request_id: int
    appointment_start: datetime | None
    stops: tuple[DrugStop, ...]
    blood_test: tuple[date, date] | None  # from, until (inclusive), dates at the site
    lines: tuple[str, ...]  # every instruction, in reading order (French sentences)
    place: str = ""  # the site's name and address

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256("\n".join(self.lines).encode()).hexdigest()


def _when(moment: datetime, zone: tzinfo = PARIS) -> str:
    local = moment.astimezone(zone)
    hour = f"{local.hour} h" if local.minute == 0 else f"{local.hour} h {local.minute:02d}"
    return _("%(day)s à %(hour)s") % {"day": date_format(local, "l j F"), "hour": hour}


def _of(drug: str) -> str:
    """French elision: "d'Eliquis", "de Kardégic" (each form its own message: English has
    neither)."""
    if drug[:1].lower() in "aeiouyhéèêàâîô":
        return _("d'%(drug)s") % {"drug": drug}
    return _("de %(drug)s") % {"drug": drug}


def _appointment(request: ProcedureRequest) -> Appointment | None:
    return (
        Appointment.objects.filter(
            request=request, kind=AppointmentKind.PROCEDURE, status__in=_WAITING
        )
        .select_related("room__site")
        .order_by("start")
        .first()
    )


def _stops(
    case: Any, start: datetime, zone: tzinfo = PARIS, settings_: Any = None
) -> tuple[DrugStop, ...]:
    """Per declared drug the engine holds: the last dose allowed (start - its interval)."""
    probe = replace(
        case,
        scheduled_at=start,
        medications=tuple(
            Medication(m.drug, start, m.dose) for m in case.medications if normalise_drug(m.drug)
        ),
    )
    result = check(probe, settings_ or safety_settings(), start)
    stops: list[DrugStop] = []
    for finding in result.findings:
        if finding.code != "medication_hold":
            continue
        for drug, _inn, _hours, last, safe_at in finding.args:
            by = (start - (safe_at - last)).astimezone(zone)
            sentence = _("Dernière prise %(of_drug)s au plus tard le %(when)s.") % {
                "of_drug": _of(drug),
                "when": _when(by, zone),
            }
            stops.append(DrugStop(drug, by, sentence))
    return tuple(sorted(stops, key=lambda s: (s.last_dose_by, s.drug)))


def instructions_for(request: ProcedureRequest) -> Instructions:
    """The preparation of one request, from its current appointment and questionnaire."""
    appointment = _appointment(request)
    start = appointment.start if appointment is not None else None
    # Times and days as they are at the appointment's site (its zone; the default's otherwise).
    zone = site_zone(appointment.room.site.time_zone) if appointment is not None else PARIS
    case = case_from_request(request, at=start)
    lines: list[str] = []
    stops: tuple[DrugStop, ...] = ()
    # The centre's settings (two queries), read once: the holds and the blood test's days.
    centre = safety_settings() if start is not None else None
    if start is None:
        lines.append(
            _(
                "Vos consignes précises (traitements, prise de sang) seront données ici "
                "dès que la date du geste sera fixée."
            )
        )
    else:
        lines.append(_("Rendez-vous le %(when)s.") % {"when": _when(start, zone)})
        stops = _stops(case, start, zone, centre)
        lines.extend(s.sentence for s in stops)
    held = {s.drug for s in stops}
    high = bleeding_risk(case) == "high"
    others = [
        m.drug
        for m in case.medications
        if m.drug not in held and drug_class(m.drug) in _ANTITHROMBOTIC | {None}
    ]
    if others and high:
        lines.append(
            _(
                "Pour %(drugs)s : n'arrêtez rien sans l'avis du radiologue ; "
                "appelez le centre pour savoir quoi faire."
            )
            % {"drugs": ", ".join(sorted(set(others)))}
        )
    elif others:
        lines.append(_("Continuez vos autres traitements, sauf avis contraire du radiologue."))
    blood: tuple[date, date] | None = None
    vka = any(drug_class(m.drug) == "vka" for m in case.medications)
    if (high or vka) and start is not None:
        day = start.astimezone(zone).date()
        if vka:
            blood = (day - timedelta(days=1), day)
            lines.append(
                _(
                    "Prise de sang (INR%(plt)s) la veille ou le matin du geste, "
                    "le %(from)s ou le %(until)s."
                )
                % {
                    "plt": _(", plaquettes") if high else "",
                    "from": date_format(blood[0], "l j F"),
                    "until": date_format(blood[1], "l j F"),
                }
            )
        else:
            assert centre is not None  # read with the start
            first = day - timedelta(days=centre.hemostasis_max_age_days)
            blood = (max(first, timezone.localdate()), day - timedelta(days=1))
            lines.append(
                _("Prise de sang (plaquettes, INR) à faire entre le %(from)s et le %(until)s.")
                % {
                    "from": date_format(blood[0], "l j F"),
                    "until": date_format(blood[1], "l j F"),
                }
            )
        lines.append(
            _(
                "Le résultat de la prise de sang doit être disponible le jour du geste : "
                "apportez-le ou faites-le envoyer au centre."
            )
        )
    lines.extend(
        [
            _(
                "Apportez : votre pièce d'identité, votre carte Vitale, l'ordonnance du geste, "
                "la liste de vos médicaments et vos examens d'imagerie récents."
            ),
            _("Venez accompagné(e) : vous ne devrez pas conduire après le geste."),
            _("Si vous êtes enceinte ou pourriez l'être, prévenez le centre avant le geste."),
            _("En cas de fièvre ou d'infection avant le geste, appelez le centre%(phone)s."),
        ]
    )
    phone = appointment.room.site.phone if appointment is not None else ""
    lines[-1] = lines[-1] % {"phone": f" ({phone})" if phone else ""}
    return Instructions(
        request_id=request.pk,
        appointment_start=start,
        stops=stops,
        blood_test=blood,
        lines=tuple(lines),
        place=(
            f"{appointment.room.site.name}, {appointment.room.site.address}"
            if appointment is not None
            else ""
        ),
    )


# The requests whose instructions "Préparer mon geste" shows: still ahead of their procedure.
UPCOMING = (RequestState.VALIDATED, RequestState.PROCEDURE_BOOKED, RequestState.CHECKED_IN)


def upcoming_requests(patient: Patient) -> list[ProcedureRequest]:
    """The patient's requests still ahead of their procedure (what "Préparer mon geste" shows)."""
    return list(
        ProcedureRequest.objects.filter(patient=patient, state__in=UPCOMING)
        .select_related("patient", "procedure")
        .order_by("pk")
    )


def fingerprints(patient: Patient, request_id: int | None = None) -> dict[int, str]:
    """The fingerprint of each upcoming request of the patient; with `request_id`, of that
    request alone (if upcoming): a change to one request's appointment changes only its own
    instructions (instructions_for reads the request's appointment, not its siblings')."""
    requests = upcoming_requests(patient)
    if request_id is not None:
        requests = [r for r in requests if r.pk == request_id]
    return {r.pk: instructions_for(r).fingerprint for r in requests}


def booking_dates(request_id: int) -> bool:
    """Does booking a procedure for this request give its instructions their first date? True
    when the request has no waiting procedure appointment yet: its instructions (if shown)
    say "no date yet" and, once booked, name the date; the caller then knows they change
    without computing them (the first line differs), and computes them only otherwise."""
    return not Appointment.objects.filter(
        request_id=request_id, kind=AppointmentKind.PROCEDURE, status__in=_WAITING
    ).exists()


def is_upcoming(request_id: int) -> bool:
    """Are the request's instructions shown (one query)?"""
    return ProcedureRequest.objects.filter(pk=request_id, state__in=UPCOMING).exists()


# ------------------------------------------------------------------------- telling the patient


def changed_message() -> str:
    """The whole message: no drug, no procedure, no date (issue 10; DESIGN.md)."""
    url = settings.SITE_URL.rstrip("/") + reverse("portal:prepare")
    return _(
        "Vos consignes de préparation ont changé. "
        "Connectez-vous à votre espace pour les lire : %(url)s"
    ) % {"url": url}


def notify_changed(patient_id: int) -> None:
    """E-mail and SMS, recorded as sent messages; called only after commit."""
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        return
    message_send(
        patient_or_address=patient,
        kind=MessageKind.INSTRUCTIONS_CHANGED,
        subject=_("Vos consignes ont changé"),
        body=changed_message(),
    )


def tell_if_changed(
    *, patient: Patient, before: dict[int, str], actor: Any, notify: bool = True
) -> bool:
    """Compare with `before` (fingerprints taken before the change); if any differ, audit it
    and tell the patient after commit. Call inside the change's transaction. `notify=False`:
    the caller puts the news in its own message (a booking tells once per action)."""
    after = fingerprints(patient)
    changed = sorted(pk for pk, fp in after.items() if before.get(pk) != fp)
    return tell_changed(patient=patient, changed=changed, actor=actor, notify=notify)


def tell_changed(*, patient: Patient, changed: list[int], actor: Any, notify: bool = True) -> bool:
    """Audit and tell (see tell_if_changed) that the instructions of the requests `changed`
    changed; False, and nothing done, when the list is empty."""
    if not changed:
        return False
    log_action(
        actor=actor,
        action="instructions.changed",
        obj=patient,
        patient=patient,
        details={"requests": changed},
    )
    if notify:
        patient_id = patient.pk
        transaction.on_commit(lambda: notify_changed(patient_id))
    return True


def questionnaire_submit(
    *,
    patient: Patient,
    actor: Any,
    answers: dict[str, Any],
    medications: list[tuple[str, datetime, str]],
    request: Any = None,
) -> Declaration:
    """The questionnaire, as `patients.services.declaration_submit`, and the patient told when
    it changes her instructions. Every page and API that takes a questionnaire calls this."""
    with transaction.atomic():
        before = fingerprints(patient)
        declaration = declaration_submit(
            patient=patient,
            actor=actor,
            answers=answers,
            medications=medications,
            request=request,
        )
        tell_if_changed(patient=patient, before=before, actor=actor)
    return declaration
