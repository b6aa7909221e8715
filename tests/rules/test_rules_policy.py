"""Policy files: the shipped policy's content, the loader's refusals, and a second policy."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from geste.rules.cli import triage_main
from geste.rules.policy import (
    POLICY_DIR,
    PolicyError,
    available_policies,
    load_policy,
    parse_policy,
)
from geste.rules.triage import triage

from .factory import make

RAW: dict[str, Any] = json.loads(
    (POLICY_DIR / "covid19-aphp-2020.json").read_text(encoding="utf-8")
)


def test_shipped_policy() -> None:
    assert "covid19-aphp-2020" in available_policies()
    policy = load_policy("covid19-aphp-2020")
    assert policy.id == "covid19-aphp-2020"
    assert policy.version
    assert policy.source_seed == "001_32d1955359fc1fcf.txt"
    assert "AP-HP" in policy.source_citation
    assert dict(policy.parameters) == {"defer_review_days": 28, "contraindicated_review_days": 14}
    ids = [r.id for r in policy.rules]
    assert ids == [
        "R1",
        "R2a",
        "R2b",
        "R3a",
        "R3b",
        "R4a",
        "R4b",
        "R5a",
        "R5b",
        "R6a",
        "R6b",
        "R6c",
        "R7",
        "R8a",
        "R8b",
        # revision 2 (rules 2 and 8 read clinicians_confirmed): new ids, the old ones keep
        # their meaning
        "R2c",
        "R2d",
        "R8c",
        "R8d",
    ]
    assert policy.version == "2.0.0"
    for rule in policy.rules:
        assert rule.source_section.startswith("3. Recommandations")
        assert "«" in rule.source_section  # quotes the source
        assert rule.text("fr") and rule.text("en") and rule.text("fr") != rule.text("en")
    assert policy.rule("R7").effect == "group_lesions"
    assert load_policy("covid19-aphp-2020") is policy  # cached
    assert policy.title("en").startswith("COVID-19")


def test_load_by_path(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(RAW), encoding="utf-8")
    assert load_policy(path).rules == load_policy(str(path)).rules


def _broken(mutate: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    return raw


def _rule(raw: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in raw["rules"] if r["id"] == rid)


BROKEN: list[tuple[str, Any, str]] = [
    ("not an object", lambda r: r.clear(), "id"),
    ("unknown top-level key", lambda r: r.update(author="me"), "author"),
    ("missing rules", lambda r: r.pop("rules"), "rules"),
    ("bad id", lambda r: r.update(id="covid 19!"), "id"),
    ("title without en", lambda r: r["title"].pop("en"), "title.en"),
    ("source without citation", lambda r: r["source"].pop("citation"), "source.citation"),
    ("unknown parameter", lambda r: r["parameters"].update(x=1), "parameters.x"),
    (
        "parameter out of range",
        lambda r: r["parameters"].update(defer_review_days=0),
        "parameters.defer_review_days",
    ),
    ("empty rules", lambda r: r.update(rules=[]), "rules"),
    ("unknown rule key", lambda r: r["rules"][2].update(note="x"), "rules[2].note"),
    ("duplicate rule id", lambda r: r["rules"][3].update(id="R1"), "rules[3].id"),
    ("unknown decision", lambda r: r["rules"][0].update(decision="cancel"), "rules[0].decision"),
    ("unknown effect", lambda r: _rule(r, "R7").update(effect="merge"), "rules[12].effect"),
    ("decision and effect", lambda r: r["rules"][0].update(effect="group_lesions"), "rules[0]"),
    ("effect without when", lambda r: _rule(r, "R7").pop("when"), "rules[12].when"),
    (
        "unknown procedure",
        lambda r: r["rules"][0]["procedures"].append("knee"),
        "rules[0].procedures[3]",
    ),
    (
        "duplicate procedure",
        lambda r: r["rules"][3]["procedures"].append("intrathecal_injection"),
        "rules[3].procedures[1]",
    ),
    ("priority as text", lambda r: r["rules"][0].update(priority="high"), "rules[0].priority"),
    (
        "missing source section",
        lambda r: r["rules"][1].pop("source_section"),
        "rules[1].source_section",
    ),
    ("missing text", lambda r: r["rules"][1].pop("text"), "rules[1].text"),
    (
        "unknown condition field",
        lambda r: r["rules"][0]["when"]["any"][0].update(field="covid"),
        "rules[0].when.any[0].field",
    ),
    (
        "unknown operator",
        lambda r: (
            r["rules"][3]["when"].update(eq=None, is_=True) or r["rules"][3]["when"].pop("eq")
        ),
        "rules[3].when.is_",
    ),
    ("two operators", lambda r: r["rules"][3]["when"].update(ne=False), "rules[3].when"),
    ("wrong value type", lambda r: r["rules"][3]["when"].update(eq="yes"), "rules[3].when.eq"),
    (
        "null on a non-nullable field",
        lambda r: r["rules"][3]["when"].update(eq=None),
        "rules[3].when.eq",
    ),
    (
        "unknown enum value",
        lambda r: r["rules"][1]["when"]["all"][1].update({"in": ["failed", "bad"]}),
        "rules[1].when.all[1].in[1]",
    ),
    (
        "gt on a boolean",
        lambda r: r["rules"][3].update(when={"field": "fever", "gt": 1}),
        "rules[3].when.gt",
    ),
    ("gt with a string", lambda r: _rule(r, "R7")["when"].update(gt="1"), "rules[12].when.gt"),
    ("empty any", lambda r: r["rules"][0]["when"].update(any=[]), "rules[0].when.any"),
    ("unknown combinator", lambda r: r["rules"][0].update(when={"xor": []}), "rules[0].when.xor"),
    (
        "key beside all",
        lambda r: r["rules"][1]["when"].update(field="fever"),
        "rules[1].when.field",
    ),
    ("condition not an object", lambda r: r["rules"][0].update(when=True), "rules[0].when"),
    ("no catch-all for a procedure", lambda r: r["rules"].remove(_rule(r, "R4b")), "rules"),
]


@pytest.mark.parametrize(("mutate", "place"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_invalid_policies_are_refused_with_the_place(mutate: Any, place: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(_broken(mutate))
    assert err.value.place == place
    assert err.value.message


def test_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(bad)
    assert err.value.field == "file"
    dup = tmp_path / "dup.json"
    dup.write_text('{"id": "a", "id": "b"}', encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policy(dup)
    assert "duplicate key" in err.value.message
    with pytest.raises(PolicyError) as err:
        load_policy(tmp_path / "missing.json")
    assert err.value.field == "file"
    with pytest.raises(PolicyError) as err:
        load_policy("no-such-policy")
    assert err.value.field == "policy"
    assert "covid19-aphp-2020" in err.value.message


# A second policy, written only as data: the same engine runs it.
HEATWAVE: dict[str, Any] = {
    "id": "heatwave-test",
    "version": "0.1",
    "title": {"fr": "Canicule (test)", "en": "Heatwave (test)"},
    "source": {"citation": "test policy"},
    "parameters": {"defer_review_days": 7, "contraindicated_review_days": 3},
    "rules": [
        {
            "id": "H1",
            "priority": 0,
            "procedures": "all",
            "source_section": "test",
            "when": {
                "all": [
                    {"field": "patient.age", "ge": 80},
                    {"not": {"field": "procedure", "eq": "bone_biopsy"}},
                ]
            },
            "decision": "contraindicated",
            "text": {"fr": "80 ans et plus", "en": "aged 80 or more"},
        },
        {
            "id": "H2",
            "priority": 5,
            "procedures": ["bone_biopsy", "tumor_ablation"],
            "source_section": "test",
            "when": {"field": "pain_nrs", "gt": 6},
            "decision": "maintain",
            "text": {"fr": "douleur > 6", "en": "pain > 6"},
        },
        {
            "id": "H3",
            "priority": 9,
            "procedures": "all",
            "source_section": "test",
            "decision": "defer",
            "text": {"fr": "sinon reporter", "en": "otherwise defer"},
        },
        {
            "id": "H4",
            "priority": 1,
            "procedures": "all",
            "source_section": "test",
            "when": {"field": "allergies_placeholder_never", "eq": True},
            "effect": "group_lesions",
            "text": {"fr": "x", "en": "x"},
        },
    ],
}


def _heatwave() -> dict[str, Any]:
    raw = copy.deepcopy(HEATWAVE)
    raw["rules"][3]["when"] = {"field": "patient.sex", "in": ["F", "X"]}
    return raw


def test_unknown_field_in_the_second_policy_is_refused() -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(HEATWAVE)
    assert err.value.field == "rules[3].when.field"


def test_second_policy_runs_on_the_same_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = parse_policy(_heatwave())
    today = date(2026, 7, 1)
    old = triage(make(procedure="epidural_infiltration", patient={"age": 85}), policy, today)
    assert (old.decision, old.rules, old.review_on) == (
        "contraindicated",
        ("H1",),
        date(2026, 7, 4),
    )
    biopsy = triage(make(procedure="bone_biopsy", patient={"age": 85}, pain_nrs=7), policy, today)
    assert (biopsy.decision, biopsy.rules) == ("maintain", ("H2",))
    unknown_pain = triage(make(procedure="tumor_ablation"), policy, today)
    assert (unknown_pain.decision, unknown_pain.review_on) == ("defer", date(2026, 7, 8))
    woman = triage(make(procedure="facet_infiltration", patient={"sex": "F"}), policy, today)
    assert (woman.decision, woman.rules, woman.group_lesions) == ("defer", ("H3", "H4"), True)

    path = tmp_path / "heatwave.json"
    path.write_text(json.dumps(_heatwave()), encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"id": "a", "procedure": "bone_biopsy", "patient": {"age": 90, "sex": "M"}})
        + "\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    rc = triage_main(["--policy", str(path), "--today", "2026-07-01", str(cases)])
    assert rc == 0
    assert json.loads(capsys.readouterr().out) == {
        "id": "a",
        "decision": "defer",
        "rules": ["H3"],
        "review_on": "2026-07-08",
        "group_lesions": False,
        "missing_inputs": [],
    }


def test_operators() -> None:
    def decide(when: dict[str, Any], **fields: Any) -> str:
        raw = copy.deepcopy(HEATWAVE)
        raw["rules"] = [
            {**HEATWAVE["rules"][0], "when": when, "procedures": "all"},
            HEATWAVE["rules"][2],
        ]
        return triage(make(**fields), parse_policy(raw), date(2026, 1, 1)).decision

    yes, no = "contraindicated", "defer"
    assert decide({"field": "pain_nrs", "ge": 5}, pain_nrs=5) == yes
    assert decide({"field": "pain_nrs", "lt": 5}, pain_nrs=5) == no
    assert decide({"field": "pain_nrs", "le": 5}, pain_nrs=5) == yes
    assert decide({"field": "pain_nrs", "lt": 5}) == no  # null never compares
    assert decide({"field": "pain_nrs", "eq": None}) == yes
    assert decide({"field": "clinicians_confirmed", "ne": None}, clinicians_confirmed=False) == yes
    assert (
        decide({"field": "clinicians_confirmed", "in": [True, None]}, clinicians_confirmed=False)
        == no
    )
    assert (
        decide({"field": "clinicians_confirmed", "in": [False]}, clinicians_confirmed=False) == yes
    )
    assert decide({"field": "clinicians_confirmed", "not_in": [False]}) == yes
    assert decide({"field": "region", "not_in": ["lumbar"]}, region="cervical") == yes
    assert (
        decide(
            {"field": "patient.creatinine_clearance_ml_min", "gt": 50.5},
            patient={"creatinine_clearance_ml_min": 51},
        )
        == yes
    )
    assert decide({"not": {"field": "fever", "eq": True}}) == yes
    assert (
        decide(
            {
                "any": [
                    {"field": "fever", "eq": True},
                    {"field": "lesion_count", "ge": 2},
                    {"field": "pain_nrs", "eq": 3},
                    {"field": "severe_pain", "eq": True},
                ]
            },
            severe_pain=True,
        )
        == yes
    )
    assert (
        decide(
            {
                "all": [
                    {"field": "fever", "eq": False},
                    {"field": "lesion_count", "eq": 1},
                    {"field": "severe_pain", "eq": True},
                ]
            },
            severe_pain=True,
        )
        == yes
    )
    assert (
        decide(
            {
                "all": [
                    {"field": "fever", "eq": False},
                    {"field": "lesion_count", "eq": 1},
                    {"field": "severe_pain", "eq": True},
                ]
            }
        )
        == no
    )


@pytest.mark.parametrize(
    ("when", "fields", "decision"),
    [
        ({"field": "fever", "eq": True}, {}, "defer"),
        ({"field": "fever", "eq": False}, {}, "contraindicated"),
        ({"field": "fever", "ne": True}, {}, "contraindicated"),
        ({"field": "fever", "ne": False}, {}, "defer"),
        ({"field": "fever", "in": [False]}, {}, "contraindicated"),
        ({"field": "fever", "in": [True]}, {}, "defer"),
        ({"field": "fever", "not_in": [False]}, {}, "defer"),
        ({"not": {"field": "fever", "eq": False}}, {}, "defer"),
        ({"field": "level3_analgesics", "eq": "not_tried"}, {}, "contraindicated"),
        ({"field": "level3_analgesics", "in": ["failed"]}, {}, "defer"),
        ({"field": "level3_analgesics", "in": ["not_tried", "failed"]}, {}, "contraindicated"),
        ({"field": "level3_analgesics", "not_in": ["not_tried"]}, {}, "defer"),
        ({"field": "fever", "eq": False}, {"fever": True}, "defer"),
        (
            {"field": "level3_analgesics", "eq": "failed"},
            {"level3_analgesics": "failed"},
            "contraindicated",
        ),
    ],
)
def test_conditions_read_an_unknown_input_as_false(
    when: dict[str, Any], fields: dict[str, Any], decision: str
) -> None:
    """Revision 2: an unknown (null) clinical input reads exactly as false (not_tried),
    whatever the operator, so a `not` or `ne` cannot turn unknown into true."""
    raw = copy.deepcopy(HEATWAVE)
    raw["rules"] = [
        {**HEATWAVE["rules"][0], "when": when, "procedures": "all"},
        HEATWAVE["rules"][2],
    ]
    case = make(**{"fever": None, "level3_analgesics": None, **fields})
    assert triage(case, parse_policy(raw), date(2026, 1, 1)).decision == decision


@pytest.mark.parametrize("field", ["fever", "severe_pain", "level3_analgesics"])
def test_a_condition_cannot_test_a_clinical_input_for_null(field: str) -> None:
    raw = copy.deepcopy(HEATWAVE)
    raw["rules"][0]["when"] = {"field": field, "eq": None}
    with pytest.raises(PolicyError) as err:
        parse_policy(raw)
    assert err.value.field == "rules[0].when.eq"
