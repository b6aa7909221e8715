"""case_from_request(): the one adapter from the database to the rules engine."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from geste import PARIS
from geste.clinic.models import CentreSettings
from geste.pathway.adapters import (
    UNSPECIFIED_DRUG,
    case_chunks,
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
    # rules revision 2: a missing answer is unknown (None), never "no"
    assert case.patient.pregnant is None and case.fever is None
    assert case.current_infection is None and case.skin_lesion_at_site is None
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


# ------------------------------------------------------------------ the batch form (rows)


def test_datetimes_read_back_aware_and_equal(alice, radiologist):
    """Rows come from the driver without Django's converters: the instants must survive."""
    req = make_request(alice, validated_by=radiologist)
    book(req, T, radiologist)
    declare(
        alice,
        T - timedelta(days=1),
        request=req,
        meds=[("Kardegic", T - timedelta(hours=12), "prophylactic")],
    )
    lab(alice, T - timedelta(days=2, minutes=7), platelets_g_l=150.0)
    req.pregnancy_checked_at = T - timedelta(minutes=20)
    req.pregnancy_checked_answer = False
    req.save()
    (case,) = cases_for_request_ids([req.pk])
    assert case.scheduled_at == T and case.scheduled_at.utcoffset() is not None
    assert [(m.drug, m.last_dose_at, m.dose) for m in case.medications] == [
        ("Kardegic", T - timedelta(hours=12), "prophylactic")
    ]
    assert case.hemostasis is not None
    assert case.hemostasis.sampled_at == T - timedelta(days=2, minutes=7)
    assert case.patient.pregnant is False  # the day's answer, read from the row
    assert case.indication_validated is True
    assert parse_case(case_to_json(case)) == case


def test_chunks_give_state_and_active_procedure_appointments(radiologist):
    p = make_patient("Chu", "Nk", sex="F")
    booked = make_request(p, state=RequestState.PROCEDURE_BOOKED, validated_by=radiologist)
    book(booked, T - timedelta(days=2), radiologist, status=AppointmentStatus.CANCELLED)
    book(booked, T, radiologist)
    book(booked, T + timedelta(hours=3), radiologist, kind="consultation")
    waiting = make_request(p)
    chunks = list(case_chunks(ProcedureRequest.objects.all(), chunk_size=1))
    assert [len(c) for c in chunks] == [1, 1]
    first, second = chunks[0][0], chunks[1][0]
    assert (first.case.id, first.state) == (str(booked.pk), RequestState.PROCEDURE_BOOKED)
    # The cancelled appointment and the consultation are not the request's schedule.
    assert [(a[0], a[1]) for a in first.appointments] == [(T, AppointmentStatus.BOOKED)]
    assert first.appointments[0][2] == T + timedelta(minutes=30)
    assert first.case.scheduled_at == T
    assert (second.case.id, second.state, second.appointments) == (
        str(waiting.pk),
        RequestState.REQUESTED,
        (),
    )


def test_patient_history_read_once_but_filtered_per_request(
    radiologist, django_assert_max_num_queries
):
    """One patient's requests in different chunks with different reference times: the
    history is read once, and each request still sees only what was fresh for it."""
    p = make_patient("Una", "Fois", sex="M")
    soon = make_request(p, validated_by=radiologist, state=RequestState.PROCEDURE_BOOKED)
    book(soon, T, radiologist)
    later = make_request(p, "facet_infiltration", validated_by=radiologist)
    book(later, T + timedelta(days=30), radiologist)
    declare(p, T - timedelta(days=1), fever=True)  # fresh for `soon` only
    lab(p, T - timedelta(days=1), platelets_g_l=90.0)
    lab(p, T + timedelta(days=20), platelets_g_l=250.0)  # after `soon`, before `later`
    others = [make_request(make_patient(f"O{i}", "Autre")) for i in range(3)]
    qs = ProcedureRequest.objects.order_by("pk")
    # settings + ids, per chunk rows + appointments, then the histories: questionnaires,
    # medications, labs for the first patient; no medication query for the three others.
    with django_assert_max_num_queries(2 + 5 * 2 + 3 + 3 * 2):
        cases = {c.case.id: c.case for chunk in case_chunks(qs, chunk_size=1) for c in chunk}
    assert len(cases) == 5
    assert cases[str(soon.pk)].fever is True
    assert cases[str(later.pk)].fever is None  # the answer is 31 days old by then: unknown
    assert cases[str(soon.pk)].hemostasis.platelets_g_l == 90.0  # type: ignore[union-attr]
    assert cases[str(later.pk)].hemostasis.platelets_g_l == 250.0  # type: ignore[union-attr]
    assert [cases[str(r.pk)] for r in (soon, later, *others)] == [
        case_from_request(r) for r in (soon, later, *others)
    ]


def test_patient_read_again_in_later_chunk_costs_no_query(radiologist, django_assert_num_queries):
    p = make_patient("Deux", "Fois")
    reqs = [make_request(p, "facet_infiltration") for _ in range(4)]
    declare(p, T - timedelta(days=1), meds=[("Xarelto", T - timedelta(days=1), "")])
    lab(p, T - timedelta(days=1))
    # settings + ids + 2 chunks x (rows + appointments) + one read of the history (3).
    with django_assert_num_queries(2 + 2 * 2 + 3):
        chunks = list(case_chunks(ProcedureRequest.objects.all(), chunk_size=2))
    assert [c.case.id for chunk in chunks for c in chunk] == [str(r.pk) for r in reqs]


def test_rows_read_without_history_or_ids(alice):
    bare = make_request(alice)
    (case,) = cases_for_request_ids([bare.pk, 999_999])  # a missing id is skipped
    assert case.medications == () and case.hemostasis is None and case.patient.pregnant is None
    assert list(case_chunks(ProcedureRequest.objects.none())) == []


def test_list_of_instances_keeps_given_order_and_in_memory_values(alice):
    first, second = make_request(alice), make_request(alice, "bone_biopsy")
    second.severe_pain = True  # not saved: the instance's values are the ones used
    cases = list(cases_from_requests([second, first]))
    assert [c.id for c in cases] == [str(second.pk), str(first.pk)]
    assert cases[0].severe_pain is True
