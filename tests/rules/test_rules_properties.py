"""Properties of the engine (hypothesis): red flags never make a verdict safer; each case's
result depends only on that case; output order is input order; determinism."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geste.rules.case import ALLERGIES, LEVEL3_ANALGESICS, PROCEDURES, REGIONS, parse_case
from geste.rules.cli import check_line, check_main, triage_line, triage_main
from geste.rules.drugs import INN_CLASS, normalise_drug
from geste.rules.policy import load_policy
from geste.rules.safety import bleeding_risk, check
from geste.rules.triage import triage

from .factory import ORDER, SCHED

T0 = datetime.fromisoformat(SCHED)
DRUGS = [
    "apixaban",
    "Xarelto",
    "Pradaxa",
    "edoxaban",
    "warfarin",
    "Sintrom",
    "Préviscan",
    "Lovenox",
    "Innohep",
    "Arixtra",
    "heparin",
    "Plavix",
    "Brilique",
    "Efient",
    "Kardégic",
    "Advil",
    "Voltarène",
    "paracétamol",
]
BOOLS = [
    "indication_validated",
    "severe_pain",
    "fever",
    "respiratory_signs",
    "neutropenia",
    "current_infection",
    "skin_lesion_at_site",
    "acute_arthritis",
    "crystal_arthritis",
    "threatening_lesion",
    "local_tumor_control_needed",
    "bedrest_decline_risk",
    "urgent_diagnosis_needed",
    "intrathecal_chemotherapy",
]


def _iso_before(hours: float) -> str:
    return (T0 - timedelta(hours=hours)).isoformat()


@st.composite
def case_objs(draw: st.DrawFn, case_id: str = "h") -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": case_id,
        "procedure": draw(st.sampled_from(PROCEDURES)),
        "scheduled_at": SCHED,
        "patient": {
            "age": draw(st.integers(0, 120)),
            "sex": draw(st.sampled_from(["F", "M", "X"])),
            "pregnant": draw(st.sampled_from([None, None, False, True])),
            "creatinine_clearance_ml_min": draw(st.one_of(st.none(), st.floats(0, 300))),
        },
        "level3_analgesics": draw(st.sampled_from([*LEVEL3_ANALGESICS, None])),
        "clinicians_confirmed": draw(st.sampled_from([None, True, False])),
        "lesion_count": draw(st.integers(1, 50)),
        "pain_nrs": draw(st.one_of(st.none(), st.integers(0, 10))),
        "allergies": draw(st.lists(st.sampled_from(ALLERGIES), unique=True, max_size=3)),
    }
    if draw(st.booleans()):
        obj["region"] = draw(st.sampled_from(REGIONS))
    obj["indication_validated"] = draw(st.booleans())
    for flag in BOOLS[1:]:
        value = draw(st.sampled_from([False, True, None, "absent"]))  # revision 2: unknown
        if value != "absent":
            obj[flag] = value
    obj["medications"] = [
        {
            "drug": draw(st.sampled_from(DRUGS)),
            "last_dose_at": _iso_before(draw(st.floats(-24, 24 * 10))),
            "dose": draw(st.sampled_from([None, "prophylactic", "therapeutic"])),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    if draw(st.booleans()):
        obj["hemostasis"] = {
            "sampled_at": _iso_before(draw(st.floats(-5, 24 * 40))),
            "platelets_g_l": draw(st.one_of(st.none(), st.floats(0, 2000))),
            "inr": draw(st.one_of(st.none(), st.floats(0.5, 15))),
            "aptt_ratio": draw(st.one_of(st.none(), st.floats(0.3, 10))),
        }
    return obj


def verdict(obj: dict[str, Any]) -> int:
    return ORDER[check(parse_case(obj)).verdict]


def _required(obj: dict[str, Any]) -> bool:
    case = parse_case(obj)
    vka = any(INN_CLASS.get(normalise_drug(m.drug) or "") == "vka" for m in case.medications)
    return bleeding_risk(case) == "high" or vka


@settings(deadline=None)
@given(case_objs(), st.data())
def test_red_flags_never_make_the_verdict_safer(obj: dict[str, Any], data: st.DataObject) -> None:
    base = verdict(obj)
    worse: list[dict[str, Any]] = []

    def variant(**changes: Any) -> dict[str, Any]:
        v = copy.deepcopy(obj)
        v.update(changes)
        return v

    worse.append(variant(fever=True))
    worse.append(variant(current_infection=True, skin_lesion_at_site=True))
    worse.append(variant(indication_validated=False))
    worse.append(variant(patient={**obj["patient"], "pregnant": True}))
    missing = [a for a in ALLERGIES if a not in obj["allergies"]]
    if missing:
        worse.append(variant(allergies=[*obj["allergies"], data.draw(st.sampled_from(missing))]))
    worse.append(
        variant(medications=[*obj["medications"], {"drug": "mystery", "last_dose_at": SCHED}])
    )
    if obj["medications"]:
        i = data.draw(st.integers(0, len(obj["medications"]) - 1))
        meds = copy.deepcopy(obj["medications"])
        last = datetime.fromisoformat(meds[i]["last_dose_at"])
        meds[i]["last_dose_at"] = (last + timedelta(hours=data.draw(st.floats(0, 200)))).isoformat()
        worse.append(variant(medications=meds))
    hemo = obj.get("hemostasis")
    if hemo is not None and _required(obj):
        # Not when the test is optional: a low count in an optional test is itself a finding.
        worse.append(variant(hemostasis=None))
    if hemo is not None and hemo["platelets_g_l"] is not None:
        lower = data.draw(st.floats(0, hemo["platelets_g_l"]))
        worse.append(variant(hemostasis={**hemo, "platelets_g_l": lower}))
    if hemo is not None and hemo["inr"] is not None:
        higher = data.draw(st.floats(hemo["inr"], 15))
        worse.append(variant(hemostasis={**hemo, "inr": higher}))
    for w in worse:
        assert verdict(w) >= base, w


@settings(deadline=None)
@given(case_objs())
def test_deterministic(obj: dict[str, Any]) -> None:
    a, b = check(parse_case(obj)), check(parse_case(copy.deepcopy(obj)))
    assert a == b and a.to_json() == b.to_json() and a.to_json("en") == b.to_json("en")
    policy = load_policy("covid19-aphp-2020")
    today = date(2026, 3, 10)
    assert triage(parse_case(obj), policy, today) == triage(parse_case(obj), policy, today)


def _cli(main: Any, argv: list[str], objs: list[dict[str, Any]]) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([*argv, str(path)]) == 0
    return buf.getvalue().splitlines()


CHECK_ARGV = ["--at", "2026-03-10T09:00:00+01:00"]
TRIAGE_ARGV = ["--policy", "covid19-aphp-2020", "--today", "2026-03-10"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=8, unique=True), st.data())
def test_file_results_are_per_case_and_in_order(ids: list[int], data: st.DataObject) -> None:
    objs = [data.draw(case_objs(f"c-{i}")) for i in ids]
    for main, argv in ((check_main, CHECK_ARGV), (triage_main, TRIAGE_ARGV)):
        together = _cli(main, argv, objs)
        assert [json.loads(line)["id"] for line in together] == [o["id"] for o in objs]
        alone = [_cli(main, argv, [o])[0] for o in objs]
        assert together == alone
        reversed_out = _cli(main, argv, objs[::-1])
        assert reversed_out == together[::-1]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@settings(deadline=None)
@given(case_objs(), st.text(min_size=1, max_size=64), st.sampled_from(["fr", "en"]))
def test_cli_lines_are_exactly_the_json_of_to_json(
    obj: dict[str, Any], case_id: str, lang: str
) -> None:
    obj = {**obj, "id": case_id}
    case = parse_case(obj)
    result = check(case)
    assert check_line(result, lang) == _dumps(result.to_json(lang))
    decided = triage(case, load_policy("covid19-aphp-2020"), date(2026, 3, 10))
    assert triage_line(decided) == _dumps(decided.to_json())


_KNOWN_AS_FALSE = {"level3_analgesics": "not_tried"}


@settings(deadline=None)
@given(case_objs())
def test_unknown_inputs_decide_as_false(obj: dict[str, Any]) -> None:
    """Revision 2: an unknown clinical input (null or absent) decides as false / not_tried;
    triage only adds which of them could change the decision."""
    known = dict(obj)
    for flag in [*BOOLS[1:], "level3_analgesics"]:  # every clinical input (not the indication)
        if known.get(flag) is None:
            known[flag] = _KNOWN_AS_FALSE.get(flag, False)
    a, b = check(parse_case(obj)), check(parse_case(known))
    assert (a.verdict, [f.code for f in a.findings]) == (b.verdict, [f.code for f in b.findings])
    policy = load_policy("covid19-aphp-2020")
    today = date(2026, 3, 10)
    t, k = triage(parse_case(obj), policy, today), triage(parse_case(known), policy, today)
    assert (t.decision, t.rules, t.review_on, t.group_lesions) == (
        k.decision,
        k.rules,
        k.review_on,
        k.group_lesions,
    )
    assert k.missing_inputs == ()
    assert all(obj.get(name) is None for name in t.missing_inputs)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON.map(lambda v: json.dumps(v) + "\n"), st.text(max_size=200)))
def test_any_input_is_exit_0_or_2_never_a_traceback(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.jsonl"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        for main, argv in ((check_main, CHECK_ARGV), (triage_main, TRIAGE_ARGV)):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = main([*argv, str(path)])
            assert status in (0, 2)
            if status == 2:
                assert out.getvalue() == "" and err.getvalue().count("\n") == 1
            else:
                assert err.getvalue() == ""
