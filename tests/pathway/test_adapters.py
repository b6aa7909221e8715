"""case_from_request(): the one adapter from the database to the rules engine."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from geste.clinic.models import CentreSettings
from geste.pathway.adapters import (
    UNSPECIFIED_DRUG,
    case_from_request,
    cases_for_request_ids,
    cases_from_requests,
)
from geste.pathway.models import ProcedureRequest, RequestState
from geste.rules.case import case_to_json, parse_case
from geste.rules.safety import check
from geste.scheduling.models import AppointmentStatus
from tests.factories import make_patient
from tests.pathway.factories import book, declare, lab, make_request

PARIS = ZoneInfo("Europe/Paris")
T = datetime(2026, 3, 10, 9, 0, tzinfo=PARIS)
pytestmark = pytest.mark.django_db


def test_clean_validated_case_is_go(alice, radiologist):
    req = make_request(alice, state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist)
    book(req, T, radiologist)
    declare(alice, T - timedelta(days=2), request=req, pregnant=False)
    lab(alice, T - timedelta(days=5))
    case = case_from_request(req)
    assert case.scheduled_at == T
    assert case.indication_validated is True
    assert case.patient.sex == "F" and case.patient.pregnant is False
    assert check(case).verdict == "go"
    assert parse_case(case_to_json(case)) == case


def test_age_on_the_procedure_day(radiologist):
    p = make_patient("Zoé", "Anniv", birth_date=datetime(1980, 3, 10).date(), sex="M")
    req = make_request(p)
    book(req, T, radiologist)
    assert case_from_request(req).patient.age == 46
    book(req, T - timedelta(days=1), radiologist, status=AppointmentStatus.CANCELLED)
    assert case_from_request(req, at=T - timedelta(days=1)).patient.age == 46


def test_stale_questionnaire_is_missing(radiologist):
    young = make_patient("Lou", "Jeune", birth_date=datetime(1995, 5, 1).date(), sex="F")
    req = make_request(young, validated_by=radiologist, state=RequestState.PROCEDURE_BOOKED)
    book(req, T, radiologist)
    declare(young, T - timedelta(days=8), request=req, pregnant=False, fever=True)
    case = case_from_request(req)
    assert case.patient.pregnant is None and case.fever is False
    assert "pregnancy_unknown" in check(case).codes
    s = CentreSettings.current()
    s.questionnaire_max_age_days = 10
    s.save()
    case = case_from_request(req)
    assert case.fever is True and case.patient.pregnant is False


def test_request_declaration_preferred_then_latest(alice, radiologist):
    req = make_request(alice)
    other = make_request(alice, "facet_infiltration")
    book(req, T, radiologist)
    declare(alice, T - timedelta(days=1), request=other, fever=True)
    declare(alice, T - timedelta(days=3), request=req, fever=False, allergies=["latex"])
    case = case_from_request(req)
    assert case.fever is False and case.allergies == ("latex",)
    # Another request without its own answers takes the latest of the patient.
    assert case_from_request(other, at=T).fever is True


def test_hemostasis_latest_at_or_before_schedule(alice, radiologist):
    req = make_request(alice)
    book(req, T, radiologist)
    lab(alice, T - timedelta(days=10), platelets_g_l=40.0)
    lab(alice, T - timedelta(days=2), platelets_g_l=200.0)
    lab(alice, T + timedelta(hours=2), platelets_g_l=10.0)
    case = case_from_request(req)
    assert case.hemostasis is not None and case.hemostasis.platelets_g_l == 200.0


def test_anticoagulant_yes_without_drug_is_reviewed(alice, radiologist):
    req = make_request(alice, validated_by=radiologist)
    book(req, T, radiologist)
    declare(alice, T - timedelta(days=1), request=req, takes_anticoagulant=True, pregnant=False)
    case = case_from_request(req)
    assert [m.drug for m in case.medications] == [UNSPECIFIED_DRUG]
    assert "medication_unknown" in check(case).codes


def test_medications_and_brand_names_reach_the_engine(alice, radiologist):
    req = make_request(alice, validated_by=radiologist)
    book(req, T, radiologist)
    declare(
        alice,
        T - timedelta(days=1),
        request=req,
        pregnant=False,
        meds=[("Eliquis", T - timedelta(hours=12), "")],
    )
    lab(alice, T - timedelta(days=1))
    result = check(case_from_request(req))
    assert result.verdict == "no_go"
    assert "medication_hold" in result.codes


def test_day_pregnancy_answer_overrides(alice, radiologist):
    req = make_request(alice, validated_by=radiologist)
    book(req, T, radiologist)
    declare(alice, T - timedelta(days=1), request=req, pregnant=None)
    req.pregnancy_checked_at = T - timedelta(minutes=20)
    req.pregnancy_checked_answer = False
    req.save()
    assert case_from_request(req).patient.pregnant is False


def test_no_appointment_uses_at(alice):
    req = make_request(alice)
    assert case_from_request(req, at=T).scheduled_at == T
    assert case_from_request(req).scheduled_at is None


def test_crisis_flags_and_region_default(alice):
    req = make_request(
        alice, "peripheral_joint_infiltration", severe_pain=True, pain_nrs=8, neutropenia=True
    )
    case = case_from_request(req)
    assert case.region == "peripheral"
    assert case.severe_pain and case.pain_nrs == 8 and case.neutropenia


def test_batch_matches_single_and_constant_queries(radiologist, django_assert_max_num_queries):
    reqs = []
    for i in range(30):
        p = make_patient(f"P{i}", "Batch", sex="F" if i % 2 else "M")
        r = make_request(p, validated_by=radiologist)
        book(r, T + timedelta(hours=i), radiologist)
        declare(p, T - timedelta(days=1), request=r, meds=[("Xarelto", T - timedelta(days=3), "")])
        lab(p, T - timedelta(days=2))
        reqs.append(r)
    with django_assert_max_num_queries(1 + 3 * 6):
        batch = list(cases_from_requests(ProcedureRequest.objects.all(), chunk_size=10))
    assert [c.id for c in batch] == [str(r.pk) for r in sorted(reqs, key=lambda r: r.pk)]
    assert batch == [case_from_request(r) for r in sorted(reqs, key=lambda r: r.pk)]


def test_rows_form_matches_model_form(radiologist, django_assert_max_num_queries):
    """cases_for_request_ids (rows, for the dashboard) builds the very same cases."""
    reqs = []
    for i in range(12):
        p = make_patient(f"R{i}", "Rows", sex="F" if i % 2 else "M")
        r = make_request(
            p,
            "vertebroplasty_tumoral" if i % 3 == 0 else "facet_infiltration",
            validated_by=radiologist if i % 4 else None,
            severe_pain=i % 2 == 0,
            pain_nrs=i % 11,
            lesion_count=1 + i % 3,
            neutropenia=i == 5,
        )
        book(r, T + timedelta(hours=i), radiologist)
        meds = [("Kardegic", T - timedelta(days=2), "")] if i % 5 == 0 else None
        declare(p, T - timedelta(days=1), request=r, meds=meds, fever=i == 7)
        if i % 2:
            lab(p, T - timedelta(days=2), platelets_g_l=40.0 + i)
        reqs.append(r)
    ids = [r.pk for r in reversed(reqs)]
    with django_assert_max_num_queries(6):
        rows = cases_for_request_ids(ids)
    assert [c.id for c in rows] == [str(pk) for pk in ids]
    assert rows == [case_from_request(r) for r in reversed(reqs)]
    assert cases_for_request_ids([]) == []
