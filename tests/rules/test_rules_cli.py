"""geste check / geste triage: formats, options, and refusals (exit 2, nothing on stdout)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from geste.rules.cli import check_main, main, triage_main

from .factory import HEMO_OK, case_json

Capsys = pytest.CaptureFixture[str]


def _write(tmp_path: Path, text: str, name: str = "cases.jsonl") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _jsonl(*objs: Any) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)


def test_output_is_compact_ordered_utf8(tmp_path: Path, capsys: Capsys) -> None:
    cases = [
        case_json(id="b", procedure="epidural_infiltration"),
        case_json(id="a", allergies=["latex"]),
        case_json(id="c"),
    ]
    assert check_main([_write(tmp_path, _jsonl(*cases))]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["b", "a", "c"]
    assert lines[0] == (
        '{"id":"b","verdict":"no_go","bleeding_risk":"high","findings":[{"code":'
        '"hemostasis_missing","severity":"no_go","detail":"Bilan d\'hémostase obligatoire et '
        'absent (geste à haut risque hémorragique).","rule":"S03","source":"SIR 2019, '
        'laboratory values; seed 000, Précautions particulières"}],"earliest_safe_at":null}'
    )
    # the hand-written line is exactly json.dumps of to_json()
    from geste.rules.case import parse_case
    from geste.rules.safety import check

    for case, line in zip(cases, lines, strict=True):
        expected = check(parse_case(case)).to_json()
        assert line == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    assert out.endswith("\n")


def test_lang_en(tmp_path: Path, capsys: Capsys) -> None:
    path = _write(tmp_path, _jsonl(case_json(fever=True)))
    assert check_main(["--lang", "en", path]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["findings"][0]["detail"] == "Fever: no procedure today."


def test_json_array_and_blank_lines(tmp_path: Path, capsys: Capsys) -> None:
    cases = [case_json(id="x"), case_json(id="y")]
    assert check_main([_write(tmp_path, "\n  " + json.dumps(cases, indent=1), "c.json")]) == 0
    array_out = capsys.readouterr().out
    assert check_main([_write(tmp_path, "\n" + _jsonl(cases[0]) + "\n\n" + _jsonl(cases[1]))]) == 0
    assert capsys.readouterr().out == array_out


def test_empty_input(tmp_path: Path, capsys: Capsys) -> None:
    assert check_main([_write(tmp_path, "")]) == 0
    assert capsys.readouterr() == ("", "")
    assert check_main([_write(tmp_path, "[]")]) == 0
    assert capsys.readouterr() == ("", "")


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    data = _jsonl(case_json(id="s")).encode("utf-8")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert check_main(["-"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "s"


def test_at_option(tmp_path: Path, capsys: Capsys) -> None:
    obj = case_json(
        procedure="epidural_infiltration",
        hemostasis=HEMO_OK,
        medications=[{"drug": "heparin", "last_dose_at": "2026-03-10T03:00:00+01:00"}],
    )
    del obj["scheduled_at"]
    path = _write(tmp_path, _jsonl(obj))
    assert check_main(["--at", "2026-03-10T09:00:00+01:00", path]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "go"
    assert check_main(["--at", "2026-03-10T07:59:59Z", path]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["verdict"] == "no_go"
    assert line["earliest_safe_at"] == "2026-03-10T09:00:00+01:00"


def test_triage_default_today_and_policy_path(tmp_path: Path, capsys: Capsys) -> None:
    path = _write(tmp_path, _jsonl(case_json(procedure="bone_biopsy")))
    assert triage_main(["--policy", "covid19-aphp-2020", path]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["decision"] == "defer" and line["review_on"]


def test_help_exits_0(capsys: Capsys) -> None:
    assert check_main(["--help"]) == 0
    assert "FILE" in capsys.readouterr().out
    assert triage_main(["--help"]) == 0


def test_module_dispatch(tmp_path: Path, capsys: Capsys) -> None:
    path = _write(tmp_path, _jsonl(case_json()))
    assert main(["check", path]) == 0
    assert main(["triage", "--policy", "covid19-aphp-2020", path]) == 0
    capsys.readouterr()
    assert main(["frobnicate"]) == 2
    assert main([]) == 2


GOOD = case_json(id="ok-1")

# (name, file content, extra argv, words expected on the one stderr line)
REFUSED: list[tuple[str, str, list[str], list[str]]] = [
    ("not JSON", _jsonl(GOOD) + "{oops\n", [], ["line 2", "not valid JSON"]),
    ("NaN is not JSON", '{"id": NaN}\n', [], ["line 1", "not valid JSON"]),
    ("array not JSON", '[\n {"id": "a"},\n oops]', [], ["line 3", "not valid JSON"]),
    ("a case not an object", _jsonl(GOOD, [1, 2]), [], ["line 2", "case: must be a JSON object"]),
    (
        "wrong type",
        _jsonl(GOOD, GOOD, case_json(id="c-7", patient={"age": "old"})),
        [],
        ['line 3 (id "c-7"): patient.age: must be an integer between 0 and 120'],
    ),
    (
        "unknown field",
        _jsonl(case_json(id="u", weight=3)),
        [],
        ['line 1 (id "u"): weight: unknown field'],
    ),
    (
        "unknown procedure",
        _jsonl(case_json(id="p", procedure="knee")),
        [],
        ['(id "p"): procedure: must be one of'],
    ),
    (
        "missing required field",
        _jsonl({"id": "m", "procedure": "bone_biopsy"}),
        [],
        ['line 1 (id "m"): patient: required field missing'],
    ),
    (
        "naive datetime",
        _jsonl(case_json(id="n", scheduled_at="2026-03-10T09:00:00")),
        [],
        ['(id "n"): scheduled_at: date-time without a UTC offset'],
    ),
    (
        "array index and id",
        json.dumps([GOOD, case_json(id="i-2", fever="no")]),
        [],
        ['index 1 (id "i-2"): fever: must be true, false or null'],
    ),
    # revision 2 of the contract: duplicate keys, duplicate ids, years, nesting
    (
        "duplicate key",
        '{"id": "d", "procedure": "bone_biopsy", "patient": {"age": 3, "age": 4, "sex": "M"}}\n',
        [],
        ["line 1: patient.age: duplicate key"],
    ),
    (
        "duplicate key in an array, line and index",
        "[\n" + json.dumps(GOOD) + ',\n{"id": "x",\n "id": "y"}]',
        [],
        ["line 4 (index 1): id: duplicate key"],
    ),
    (
        "duplicate case id",
        _jsonl(GOOD, case_json(id="ok-2"), case_json(id="ok-1")),
        [],
        ['line 3 (id "ok-1"): id: duplicate case id (first at line 1)'],
    ),
    (
        "duplicate case id in an array",
        json.dumps([GOOD, GOOD]),
        [],
        ['index 1 (id "ok-1"): id: duplicate case id (first at index 0)'],
    ),
    (
        "year 1899",
        _jsonl(case_json(id="y", scheduled_at="1899-12-31T12:00:00Z")),
        [],
        ['line 1 (id "y"): scheduled_at: date-time out of range', "1900 and 2100"],
    ),
    (
        "year 2101 in a medication",
        _jsonl(case_json(id="y", medications=[{"drug": "a", "last_dose_at": "2101-01-01T00:00Z"}])),
        [],
        ['(id "y"): medications[0].last_dose_at: date-time out of range'],
    ),
    (
        "33 levels",
        _jsonl({**GOOD, "x": json.loads("[" * 32 + "]" * 32)}),
        [],
        ['line 1 (id "ok-1"): x[0]', "nesting deeper than 32 levels"],
    ),
    (
        "5,000 levels in JSON Lines",
        '{"id": "deep", "x": ' + "[" * 5000 + "]" * 5000 + "}\n",
        [],
        ["line 1: x[0][0]", "nesting deeper than 32 levels"],
    ),
    (
        "5,000 levels in an array",
        "[" + json.dumps(GOOD) + ', {"x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}]",
        [],
        ["line 1 (index 1): x.a.a", "nesting deeper than 32 levels"],
    ),
    ("lone surrogate id", '{"id": "\\ud800"}\n', [], ["line 1: id: must be valid Unicode"]),
    ("--at year 1", _jsonl(GOOD), ["--at", "0001-01-01T00:00:00+01:00"], ["--at:", "1900"]),
    ("bad id is not echoed", _jsonl(case_json(id=3)), [], ["line 1: id: must be a string"]),
    ("--at without offset", _jsonl(GOOD), ["--at", "2026-03-10T09:00:00"], ["--at:", "offset"]),
    ("--at garbage", _jsonl(GOOD), ["--at", "tomorrow"], ["--at:"]),
    ("--lang", _jsonl(GOOD), ["--lang", "de"], ["invalid choice"]),
]


@pytest.mark.parametrize(
    ("content", "argv", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_check_refuses_bad_input(
    tmp_path: Path, capsys: Capsys, content: str, argv: list[str], words: list[str]
) -> None:
    path = _write(tmp_path, content)
    assert check_main([*argv, path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("geste check: ")
    assert err.count("\n") == 1 and err.endswith("\n")
    for w in words:
        assert w in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--policy", "nope"], ["--policy: unknown policy 'nope'", "covid19-aphp-2020"]),
        (["--policy", "covid19-aphp-2020", "--today", "10/03/2026"], ["--today:", "YYYY-MM-DD"]),
        (["--policy", "covid19-aphp-2020", "--today", "2026-02-30"], ["--today:", "invalid date"]),
        (["--today", "2026-03-10"], ["required", "--policy"]),
        (["--policy", "covid19-aphp-2020", "--today", "9999-12-31"], ["--today:", "2100"]),
    ],
)
def test_triage_refuses_bad_options(
    tmp_path: Path, capsys: Capsys, argv: list[str], words: list[str]
) -> None:
    path = _write(tmp_path, _jsonl(GOOD))
    assert triage_main([*argv, path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("geste triage: ") and err.count("\n") == 1
    for w in words:
        assert w in err


def test_triage_refuses_a_bad_case(tmp_path: Path, capsys: Capsys) -> None:
    path = _write(tmp_path, _jsonl(GOOD, case_json(id="t-9", lesion_count=0)))
    assert triage_main(["--policy", "covid19-aphp-2020", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        'geste triage: line 2 (id "t-9"): lesion_count: must be an integer between 1 and 50\n'
    )


def test_invalid_policy_file_is_refused(tmp_path: Path, capsys: Capsys) -> None:
    policy = _write(tmp_path, '{"id": "x"}', "p.json")
    assert triage_main(["--policy", policy, _write(tmp_path, _jsonl(GOOD))]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "version: required key missing" in err and err.count("\n") == 1


def test_missing_file_and_bad_encoding(tmp_path: Path, capsys: Capsys) -> None:
    assert check_main([str(tmp_path / "none.jsonl")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "cannot read" in err
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes('{"id": "é"}'.encode("latin-1"))
    assert check_main([str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "UTF-8" in err


def test_a_field_named_with_a_newline_is_still_one_line_on_stderr(
    tmp_path: Path, capsys: Capsys
) -> None:
    """Found by the property test: an unknown field called "\\n" printed two lines."""
    assert check_main([_write(tmp_path, '[{"\\n": 1, "é\\t": 2}]', "cases.json")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "\\n: unknown field" in err
