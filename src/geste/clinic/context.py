"""Navigation per role, for the base template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from geste.clinic.models import Role

# (url name, label); a later issue's page is added here when its app registers it.
NAV: dict[str, list[tuple[str, Any]]] = {
    Role.PATIENT: [
        ("portal:home", _("Mon espace")),
        ("scheduling:my_appointments", _("Mes rendez-vous")),
        ("pathway:questionnaire", _("Mon questionnaire")),
        ("pathway:my_results", _("Mes résultats")),
    ],
    Role.RECEPTIONIST: [
        ("staff:home", _("Accueil")),
        ("pathway:reception", _("Arrivées du jour")),
        ("scheduling:planner", _("Planning")),
        ("scheduling:staff_book", _("Nouveau rendez-vous")),
        ("scheduling:waitlist", _("Liste d'attente")),
        ("pathway:intake", _("Nouvelle demande")),
        ("staff:patients", _("Patients")),
    ],
    Role.TECHNOLOGIST: [
        ("staff:home", _("Accueil")),
        ("pathway:tech_worklist", _("Liste de travail")),
    ],
    Role.RADIOLOGIST: [
        ("pathway:dashboard", _("Tableau de bord")),
        ("scheduling:agenda", _("Mon agenda")),
        ("staff:patients", _("Patients")),
        ("crisis:home", _("Mode crise")),
    ],
    Role.ADMINISTRATOR: [
        ("staff:home", _("Tableau de bord")),
        ("staff:patients", _("Patients")),
        ("scheduling:planner", _("Planning")),
        ("scheduling:waitlist", _("Liste d'attente")),
        ("pathway:outcomes", _("Résultats cliniques")),
        ("crisis:home", _("Mode crise")),
        ("staff:settings", _("Paramètres")),
        ("staff:audit", _("Journal d'audit")),
    ],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for name, label in NAV.get(getattr(user, "role", ""), []):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path == url})
    if getattr(user, "role", None) == Role.ADMINISTRATOR:
        items.append({"url": reverse("admin:index"), "label": _("Administration"), "active": False})
    return {"nav_items": items}
