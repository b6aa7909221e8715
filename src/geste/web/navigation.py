"""Navigation per role, for the base template (a context processor)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from geste.clinic.models import Role

# (url name, label): every name must exist; a wrong one is an error, not a missing entry.
NAV: dict[str, list[tuple[str, Any]]] = {
    Role.PATIENT: [
        ("portal:home", _("Mon espace")),
        ("portal:my_appointments", _("Mes rendez-vous")),
        ("portal:questionnaire", _("Mon questionnaire")),
        ("portal:my_results", _("Mes résultats")),
    ],
    Role.RECEPTIONIST: [
        ("staff:home", _("Accueil")),
        ("staff:reception", _("Arrivées du jour")),
        ("staff:planner", _("Planning")),
        ("staff:staff_book", _("Nouveau rendez-vous")),
        ("staff:waitlist", _("Liste d'attente")),
        ("staff:intake", _("Nouvelle demande")),
        ("staff:patients", _("Patients")),
    ],
    Role.TECHNOLOGIST: [
        ("staff:home", _("Accueil")),
        ("staff:tech_worklist", _("Liste de travail")),
        ("staff:dose_unmatched", _("Dose : non rattachés")),
    ],
    Role.RADIOLOGIST: [
        ("staff:dashboard", _("Tableau de bord")),
        ("staff:agenda", _("Mon agenda")),
        ("staff:patients", _("Patients")),
        ("staff:outcomes", _("Résultats cliniques")),
        ("staff:dose", _("Dose")),
        ("staff:dose_unmatched", _("Dose : non rattachés")),
        ("crisis:home", _("Mode crise")),
    ],
    Role.ADMINISTRATOR: [
        ("staff:home", _("Tableau de bord")),
        ("staff:patients", _("Patients")),
        ("staff:planner", _("Planning")),
        ("staff:waitlist", _("Liste d'attente")),
        ("staff:outcomes", _("Résultats cliniques")),
        ("staff:dose", _("Dose")),
        ("crisis:home", _("Mode crise")),
        ("staff:settings", _("Paramètres")),
        ("staff:audit", _("Journal d'audit")),
        ("staff:messages", _("Messages envoyés")),
    ],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label in NAV.get(getattr(user, "role", ""), []):
        url = reverse(name)
        items.append({"url": url, "label": label, "active": request.path == url})
    if getattr(user, "role", None) == Role.ADMINISTRATOR:
        items.append({"url": reverse("admin:index"), "label": _("Administration"), "active": False})
    return {"nav_items": items}
