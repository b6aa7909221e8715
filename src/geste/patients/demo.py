"""Demo patients: a deterministic list of fake French patients, and the two personas of the
README (patient1 Alice Moreau, patient2 Bob Lefèvre) with their portal accounts."""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from faker import Faker

from geste.clinic.demo import DEMO_PASSWORD, SEED
from geste.clinic.models import Role, User
from geste.patients.models import Patient


def _write(progress: IO[str] | None, message: str) -> None:
    if progress is not None:
        progress.write(message + "\n")
        progress.flush()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _fake_patients(count: int, rng: random.Random) -> list[Patient]:
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


def load(*, context: dict[str, Any], progress: IO[str] | None = None) -> None:
    rng: random.Random = context["rng"]
    patients: int = context["patients"]
    password = make_password(DEMO_PASSWORD)
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
