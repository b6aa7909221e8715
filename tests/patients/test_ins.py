"""INS (point 5 of issue 14): the NIR and its key (python-stdnum), Corsica, identity status."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from geste.patients.models import IdentityStatus, normalise_ins, validate_ins
from tests.factories import make_patient

# Check keys computed by hand: 97 - (first 13 digits mod 97), with 2A -> 19 and 2B -> 18.
VALID_PARIS = "255087505612304"
CORSICA_2A = "253072A07300443"
CORSICA_2B = "253072B07300470"


def test_key_of_the_fixtures_is_what_the_rule_says() -> None:
    assert 97 - int(VALID_PARIS[:13]) % 97 == int(VALID_PARIS[13:])
    assert 97 - int(CORSICA_2A[:5] + "19" + CORSICA_2A[7:13]) % 97 == int(CORSICA_2A[13:])


@pytest.mark.parametrize("number", [VALID_PARIS, CORSICA_2A, CORSICA_2B, "2 55 08 75 056 123 04"])
def test_valid_numbers_pass(number: str) -> None:
    validate_ins(number)


@pytest.mark.parametrize(
    "number",
    [
        "255087505612305",  # wrong key: the old regex accepted it
        "253072C07300443",  # no department 2C
        "25508750561237",  # 14 characters
        "355087505612304",  # first digit is the sex: 1 or 2 (key recomputed below)
    ],
)
def test_invalid_numbers_are_refused(number: str) -> None:
    if number.startswith("3"):
        number = number[:13] + f"{97 - int(number[:13]) % 97:02d}"
    with pytest.raises(ValidationError):
        validate_ins(number)


def test_corsican_numbers_were_refused_by_the_old_regex() -> None:
    import re

    assert re.fullmatch(r"^[12]\d{14}$", CORSICA_2A) is None  # what the regex did
    validate_ins(CORSICA_2A)  # what we do now


def test_normalise_strips_spaces_and_upper_cases() -> None:
    assert normalise_ins("2 53 07 2a 073 004 43") == CORSICA_2A


@pytest.mark.django_db
def test_full_clean_checks_sex_birthplace_and_qualified_status() -> None:
    patient = make_patient(sex="F", ins="", birthplace_insee="75056")
    patient.ins = "2 55 08 75 056 123 04"
    patient.identity_status = IdentityStatus.QUALIFIED
    patient.full_clean()
    assert patient.ins == VALID_PARIS  # stored compact

    patient.sex = "M"
    with pytest.raises(ValidationError) as err:
        patient.full_clean()
    assert "ins" in err.value.message_dict

    patient.sex, patient.birthplace_insee = "F", "69123"
    with pytest.raises(ValidationError) as err:
        patient.full_clean()
    assert "birthplace_insee" in err.value.message_dict

    patient.birthplace_insee, patient.ins = "75056", ""
    with pytest.raises(ValidationError) as err:
        patient.full_clean()
    assert "identity_status" in err.value.message_dict


@pytest.mark.django_db
def test_birthplace_code_accepts_corsica_and_abroad_only_in_cog_form() -> None:
    patient = make_patient()
    for good in ("2A004", "2B033", "99134", "75056"):
        patient.birthplace_insee = good
        patient.full_clean()
    patient.birthplace_insee = "2C004"
    with pytest.raises(ValidationError):
        patient.full_clean()
