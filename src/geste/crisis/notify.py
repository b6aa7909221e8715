"""Messages of crisis mode. Called only from `transaction.on_commit`.

Patients get minimal content: a change, log in to see it (no procedure, no diagnosis, no name).
Referring clinicians get a secure link; the case itself is shown only behind the link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.clinic.sms import send_sms
from geste.crisis.models import Discussion
from geste.patients.models import Patient

logger = logging.getLogger(__name__)


def _url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def patient_change_message() -> str:
    return _(
        "Un changement concerne votre rendez-vous au centre d'imagerie. "
        "Connectez-vous à votre espace pour le consulter : %(url)s"
    ) % {"url": _url(reverse("login"))}


def notify_patient_change(patient_id: int) -> None:
    patient = Patient.objects.filter(pk=patient_id).first()
    if patient is None:
        return
    body = patient_change_message()
    if patient.email:
        send_mail(
            _("Changement concernant votre rendez-vous"),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [patient.email],
            fail_silently=True,
        )
    if patient.phone:
        try:
            send_sms(patient.phone, body)
        except Exception:  # a gateway failure must not undo the deferral
            logger.exception("crisis sms to patient %s failed", patient_id)


def notify_referrer(discussion_id: int, raw_token: str) -> None:
    discussion = Discussion.objects.filter(pk=discussion_id).first()
    if discussion is None or not discussion.addressed_email:
        return
    link = _url(reverse("portal:crisis_answer", args=[raw_token]))
    until = timezone.localtime(discussion.expires_at).strftime("%d/%m/%Y")
    body = _(
        "Bonjour,\n\nPendant la crise sanitaire, le centre d'imagerie interventionnelle revoit "
        "les gestes programmés. La demande d'un de vos patients doit être discutée avec vous.\n"
        "Merci de donner votre avis par ce lien sécurisé, valable jusqu'au %(until)s :\n"
        "%(link)s\n\nL'équipe de radiologie interventionnelle"
    ) % {"link": link, "until": until}
    send_mail(
        _("Avis demandé sur une demande de geste"),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [discussion.addressed_email],
        fail_silently=True,
    )
