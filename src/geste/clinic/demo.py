"""The demo centre's reference data: one site in Paris, its rooms and staff. Deterministic.
`geste.demo.load_demo` calls it first, then each room's own `demo.load()`."""

from __future__ import annotations

import random
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from geste.clinic.models import Cabin, Modality, Role, Room, Site, User

DEMO_PASSWORD = "geste-demo"  # noqa: S105 - demo data only
SEED = 20260310

STAFF: list[tuple[str, str, str, str, str]] = [
    # username, role, first name, last name, RPPS
    ("admin", Role.ADMINISTRATOR, "Claire", "Fontaine", ""),
    ("accueil1", Role.RECEPTIONIST, "Nadia", "Benali", ""),
    ("accueil2", Role.RECEPTIONIST, "Julien", "Marchand", ""),
    ("radio1", Role.RADIOLOGIST, "Hélène", "Durand", "10101010101"),
    ("radio2", Role.RADIOLOGIST, "Marc", "Lefort", "10101010102"),
    ("radio3", Role.RADIOLOGIST, "Sophie", "Nguyen", "10101010103"),
    ("radio4", Role.RADIOLOGIST, "Karim", "Haddad", "10101010104"),
    ("manip1", Role.TECHNOLOGIST, "Thomas", "Girard", ""),
    ("manip2", Role.TECHNOLOGIST, "Camille", "Roux", ""),
    ("manip3", Role.TECHNOLOGIST, "Inès", "Morel", ""),
    ("manip4", Role.TECHNOLOGIST, "Lucas", "Petit", ""),
    ("manip5", Role.TECHNOLOGIST, "Léa", "Fournier", ""),
    ("manip6", Role.TECHNOLOGIST, "Hugo", "Lambert", ""),
]

CABINS = ["Cabine 1", "Cabine 2", "Cabine 3", "Cabine 4"]

ROOMS = [
    ("Salle 1", Modality.FLUOROSCOPY),
    ("Salle 2", Modality.FLUOROSCOPY),
    ("Salle écho", Modality.ULTRASOUND),
]


def _write(progress: IO[str] | None, message: str) -> None:
    if progress is not None:
        progress.write(message + "\n")
        progress.flush()


@transaction.atomic
def load_reference(*, patients: int = 300, progress: IO[str] | None = None) -> dict[str, Any]:
    rng = random.Random(SEED)
    site, _ = Site.objects.get_or_create(
        name="Centre d'imagerie interventionnelle Paris Bastille",
        defaults={"address": "12 rue de la Roquette\n75011 Paris", "phone": "01 43 00 00 00"},
    )
    for name, modality in ROOMS:
        Room.objects.get_or_create(site=site, name=name, defaults={"modality": modality})
    for name in CABINS:
        Cabin.objects.get_or_create(site=site, name=name)
    password = make_password(DEMO_PASSWORD)
    for username, role, first, last, rpps in STAFF:
        User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "rpps": rpps,
                "email": f"{username}@geste.local",
                "password": password,
                "is_staff": role == Role.ADMINISTRATOR,
                "is_superuser": role == Role.ADMINISTRATOR,
            },
        )
    _write(progress, f"  staff: {len(STAFF)} accounts, {len(ROOMS)} rooms, {len(CABINS)} cabins")
    return {"site": site, "rng": rng, "patients": patients}
