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
    assert (centre.inr_max_high_risk, centre.inr_max_low_risk) == (1.5, 3.0)  # revision 2
    assert centre.aptt_ratio_max == 1.2
    assert centre.renal_review_crcl_below == 15
    holds = {h.drug: (h.hours, h.hours_low_crcl, h.crcl_threshold) for h in centre.holds.all()}
    assert holds["warfarin"] == (120, None, None)
    assert holds["apixaban"] == (48, 72, 50)
    assert holds["rivaroxaban"] == (48, 72, 30)
    assert holds["dabigatran"] == (48, 96, 50)
    assert holds["prasugrel"] == (168, None, None)
    assert holds["heparin_calcium_prophylactic"] == (6, None, None)  # ASRA 2018, revision 2
    assert holds["heparin_calcium_therapeutic"] == (24, None, None)
    assert len(holds) == 15


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inr_max_high_risk", 0.2),
        ("inr_max_low_risk", 9.0),
        ("platelets_min_high_risk", -5),
        ("hemostasis_max_age_days", 0),
        ("aptt_ratio_max", 0.5),
        ("renal_review_crcl_below", -1),
        ("renal_review_crcl_below", 301),
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
    hold = DrugHoldInterval(settings=CentreSettings.current(), drug="apixaban", hours=-1)
    with pytest.raises(ValidationError):
        hold.full_clean()


def test_hold_keys_are_the_engines() -> None:
    """A hold row the engine does not know would be silently ignored: the model refuses it."""
    from geste.clinic.models import HoldKey
    from geste.rules.settings import HOLD_KEYS

    assert tuple(HoldKey.values) == HOLD_KEYS
    hold = DrugHoldInterval(settings=CentreSettings.current(), drug="Eliquis", hours=48)
    with pytest.raises(ValidationError) as excinfo:
        hold.full_clean(validate_unique=False)
    assert "drug" in excinfo.value.message_dict


def test_the_engine_reads_every_centre_setting() -> None:
    """safety_settings() carries each threshold and interval of the row to the engine."""
    from geste.clinic.selectors import safety_settings
    from geste.rules.settings import DEFAULT

    assert safety_settings() == DEFAULT  # the seeded row is the sir2019 profile
    centre = CentreSettings.current()
    centre.inr_max_low_risk = 2.5
    centre.renal_review_crcl_below = 20
    centre.childbearing_age_max = 55
    centre.save()
    centre.holds.filter(drug="heparin_calcium_prophylactic").update(hours=8)
    s = safety_settings()
    assert (s.inr_max_low_risk, s.renal_review_crcl_below, s.childbearing_age_max) == (2.5, 20, 55)
    assert s.holds["heparin_calcium_prophylactic"].hours == 8
    assert s.holds["heparin_calcium_therapeutic"].hours == 24


def test_revision_2_migration_moves_an_existing_centre() -> None:
    """0003: a centre on the old default INR 2.0 moves to 3.0, a chosen value is kept, and the
    subcutaneous calcium heparin rows are added where missing (never duplicated)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("geste.clinic.migrations.0003_rules_revision_2")
    centre = CentreSettings.current()
    CentreSettings.objects.filter(pk=centre.pk).update(inr_max_low_risk=2.0)
    centre.holds.filter(drug__startswith="heparin_calcium").delete()
    other = CentreSettings.objects.create(inr_max_low_risk=2.2)
    migration.forward(apps, None)
    migration.forward(apps, None)  # idempotent
    centre.refresh_from_db()
    other.refresh_from_db()
    assert (centre.inr_max_low_risk, other.inr_max_low_risk) == (3.0, 2.2)
    for row in (centre, other):
        hours = dict(
            row.holds.filter(drug__startswith="heparin_calcium").values_list("drug", "hours")
        )
        assert hours == {"heparin_calcium_prophylactic": 6, "heparin_calcium_therapeutic": 24}
