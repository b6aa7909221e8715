"""The demo centre: one site in Paris, its rooms, staff and patients. Deterministic.

Later rooms (scheduling, pathway, crisis) extend it with their own `demo.load()`; they are
called in order after the reference data, each inside its own transaction.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from importlib import import_module
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from geste.clinic.models import Modality, Role, Room, Site, User
from geste.patients.models import Patient

DEMO_PASSWORD = "geste-demo"  # noqa: S105 - demo data only
SEED = 20260310
EXTENSIONS = ("geste.scheduling.demo", "geste.pathway.demo", "geste.crisis.demo")

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

ROOMS = [
    ("Salle 1", Modality.FLUOROSCOPY),
    ("Salle 2", Modality.FLUOROSCOPY),
    ("Salle écho", Modality.ULTRASOUND),
]


def demo_loaded() -> bool:
    return User.objects.filter(username="admin").exists()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _write(progress: IO[str] | None, message: str) -> None:
    if progress is not None:
        progress.write(message + "\n")
        progress.flush()


def _fake_patients(count: int, rng: random.Random) -> list[Patient]:
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(SEED)
    patients = []
    for i in range(count):
        sex = "F" if rng.random() < 0.55 else "M"
        first = fake.first_name_female() if sex == "F" else fake.first_name_male()
        last = fake.last_name()
        birth_name = fake.last_name() if sex == "F" and rng.random() < 0.4 else last
        # Interventional spine patients are mostly adults, many elderly.
        age = min(98, max(19, int(rng.gauss(62, 15))))
        birth = date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        phone = "06 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
        patients.append(
            Patient(
                last_name=last,
                birth_name=birth_name,
                first_names=first,
                birth_date=birth,
                sex=sex,
                phone=phone,
                email=f"{_ascii(first)}.{_ascii(last)}.{i}@example.org".replace(" ", ""),
            )
        )
    return patients


@transaction.atomic
def load_reference(*, patients: int = 300, progress: IO[str] | None = None) -> dict[str, Any]:
    rng = random.Random(SEED)
    site, _ = Site.objects.get_or_create(
        name="Centre d'imagerie interventionnelle Paris Bastille",
        defaults={"address": "12 rue de la Roquette\n75011 Paris", "phone": "01 43 00 00 00"},
    )
    for name, modality in ROOMS:
        Room.objects.get_or_create(site=site, name=name, defaults={"modality": modality})
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
    _write(progress, f"  staff: {len(STAFF)} accounts, {len(ROOMS)} rooms")
    existing = Patient.objects.count()
    if existing < patients:
        Patient.objects.bulk_create(_fake_patients(patients - existing, rng), batch_size=500)
    personas = [
        ("patient1", "Alice", "Moreau", "Moreau", date(1968, 4, 12), "F"),
        ("patient2", "Bob", "Lefèvre", "Lefèvre", date(1955, 11, 3), "M"),
    ]
    for username, first, last, birth_name, born, sex in personas:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.PATIENT,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "password": password,
            },
        )
        if created:
            Patient.objects.create(
                user=user,
                last_name=last,
                birth_name=birth_name,
                first_names=first,
                birth_date=born,
                sex=sex,
                phone="06 12 34 56 78",
                email=f"{username}@example.org",
            )
    _write(progress, f"  patients: {Patient.objects.count()}")
    return {"site": site, "rng": rng}


def load_demo(*, patients: int = 300, progress: IO[str] | None = None) -> None:
    context = load_reference(patients=patients, progress=progress)
    for module_name in EXTENSIONS:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        with transaction.atomic():
            module.load(context=context, progress=progress)
    _write(progress, "Demo centre ready.")
