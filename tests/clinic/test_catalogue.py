import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from geste.clinic.models import CentreSettings, DrugHoldInterval, Procedure

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "contracts" / "case.schema.json"

pytestmark = pytest.mark.django_db


def test_catalogue_has_exactly_the_ten_contract_codes() -> None:
    schema = json.loads(SCHEMA.read_text())
    codes = set(schema["properties"]["procedure"]["enum"])
    assert set(Procedure.objects.values_list("code", flat=True)) == codes
    assert len(codes) == 10


def test_foraminal_route_is_kept_disabled_with_its_reason() -> None:
    foraminal = Procedure.objects.get(code="foraminal_infiltration")
    assert foraminal.enabled is False
    assert "contre-indiquée" in foraminal.disabled_reason_fr
    assert "contraindicated" in foraminal.disabled_reason_en
    assert Procedure.objects.filter(enabled=False).count() == 1


def test_contrast_confirmation_per_procedure() -> None:
    assert Procedure.objects.get(code="epidural_infiltration").contrast_confirmation == (
        "epidurography"
    )
    assert Procedure.objects.get(code="facet_infiltration").contrast_confirmation == (
        "arthrography"
    )


def test_centre_settings_defaults_are_the_sir2019_profile() -> None:
    centre = CentreSettings.current()
    assert centre.profile == "sir2019"
    assert centre.hemostasis_max_age_days == 30
    assert (centre.platelets_min_high_risk, centre.platelets_min_low_risk) == (50, 20)
    assert (centre.inr_max_high_risk, centre.inr_max_low_risk) == (1.5, 2.0)
    assert centre.aptt_ratio_max == 1.2
    holds = {h.drug: (h.hours, h.hours_low_crcl, h.crcl_threshold) for h in centre.holds.all()}
    assert holds["warfarin"] == (120, None, None)
    assert holds["apixaban"] == (48, 72, 50)
    assert holds["rivaroxaban"] == (48, 72, 30)
    assert holds["dabigatran"] == (48, 96, 50)
    assert holds["prasugrel"] == (168, None, None)
    assert len(holds) == 13


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inr_max_high_risk", 0.2),
        ("inr_max_low_risk", 9.0),
        ("platelets_min_high_risk", -5),
        ("hemostasis_max_age_days", 0),
        ("aptt_ratio_max", 0.5),
    ],
)
def test_centre_settings_refuse_insane_values(field: str, value: float) -> None:
    centre = CentreSettings.current()
    setattr(centre, field, value)
    with pytest.raises(ValidationError) as excinfo:
        centre.full_clean()
    assert field in excinfo.value.message_dict


def test_centre_settings_refuse_inconsistent_thresholds() -> None:
    centre = CentreSettings.current()
    centre.childbearing_age_min = 55
    with pytest.raises(ValidationError):
        centre.full_clean()


def test_hold_interval_cannot_be_negative() -> None:
    hold = DrugHoldInterval(settings=CentreSettings.current(), drug="x", hours=-1)
    with pytest.raises(ValidationError):
        hold.full_clean()
