"""Test data builders: the personas of DESIGN.md and plain helpers to make more."""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

from geste.clinic.models import Role, User
from geste.patients.models import Patient

PASSWORD = "correct-horse-battery"
_seq = count(1)


def make_user(username: str | None = None, role: str = Role.PATIENT, **extra: Any) -> User:
    username = username or f"user{next(_seq)}"
    if role == Role.RADIOLOGIST:
        extra.setdefault("rpps", f"{10000000000 + next(_seq)}")
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=role,
        email=f"{username}@example.org",
        is_staff=role == Role.ADMINISTRATOR,
        is_superuser=role == Role.ADMINISTRATOR,
        **extra,
    )
    return user


def make_patient(
    first: str = "Jeanne",
    last: str = "Test",
    *,
    user: User | None = None,
    sex: str = "F",
    birth_date: date = date(1970, 1, 1),
    **extra: Any,
) -> Patient:
    return Patient.objects.create(
        user=user,
        first_names=first,
        last_name=last,
        birth_name=extra.pop("birth_name", last),
        birth_date=birth_date,
        sex=sex,
        email=extra.pop("email", f"{first.lower()}.{last.lower()}@example.org"),
        phone=extra.pop("phone", "06 00 00 00 00"),
        **extra,
    )


def make_patient_with_account(username: str, first: str, last: str, **extra: Any) -> Patient:
    user = make_user(username, Role.PATIENT, first_name=first, last_name=last)
    return make_patient(first, last, user=user, **extra)
