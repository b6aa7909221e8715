"""The contract examples (docs/contracts/examples), through the engine and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from geste.rules.case import parse_case
from geste.rules.cli import check_main, triage_main
from geste.rules.explain import FINDING_SPECS
from geste.rules.policy import load_policy
from geste.rules.safety import check
from geste.rules.triage import triage

from .factory import EXAMPLES

SRC = Path(__file__).resolve().parents[2] / "src"
TODAY = date(2026, 3, 10)


def _jsonl(name: str) -> list[dict[str, object]]:
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


CHECK_CASES = _jsonl("check-cases.jsonl")
CHECK_EXPECTED = _jsonl("check-expected.jsonl")
TRIAGE_CASES = _jsonl("triage-cases.jsonl")
TRIAGE_EXPECTED = _jsonl("triage-expected.jsonl")


def _assert_check_line(out: dict[str, object], expected: dict[str, object]) -> None:
    assert list(out) == ["id", "verdict", "bleeding_risk", "findings", "earliest_safe_at"]
    assert out["id"] == expected["id"]
    assert out["verdict"] == expected["verdict"]
    assert out["bleeding_risk"] == expected["bleeding_risk"]
    findings = out["findings"]
    assert isinstance(findings, list)
    non_info = {f["code"] for f in findings if f["severity"] != "info"}
    assert non_info == set(expected["codes"])  # type: ignore[arg-type]
    for f in findings:
        assert list(f) == ["code", "severity", "detail", "rule", "source"]
        assert f["detail"] and f["source"]
        assert FINDING_SPECS[f["code"]].rule == f["rule"]
    if "earliest_safe_at" in expected:
        assert out["earliest_safe_at"] == expected["earliest_safe_at"]


def _assert_triage_line(out: dict[str, object], expected: dict[str, object]) -> None:
    assert list(out) == [
        "id",
        "decision",
        "rules",
        "review_on",
        "group_lesions",
        "missing_inputs",
    ]
    for key, value in expected.items():
        assert out[key] == value, key
    assert out["rules"]
    assert isinstance(out["missing_inputs"], list)


def test_examples_are_there() -> None:
    assert len(CHECK_CASES) == len(CHECK_EXPECTED) >= 5
    assert len(TRIAGE_CASES) == len(TRIAGE_EXPECTED) >= 5


@pytest.mark.parametrize(("obj", "expected"), list(zip(CHECK_CASES, CHECK_EXPECTED, strict=True)))
def test_check_examples_engine(obj: dict[str, object], expected: dict[str, object]) -> None:
    _assert_check_line(check(parse_case(obj)).to_json(), expected)


@pytest.mark.parametrize(("obj", "expected"), list(zip(TRIAGE_CASES, TRIAGE_EXPECTED, strict=True)))
def test_triage_examples_engine(obj: dict[str, object], expected: dict[str, object]) -> None:
    policy = load_policy("covid19-aphp-2020")
    _assert_triage_line(triage(parse_case(obj), policy, TODAY).to_json(), expected)


def test_check_examples_cli(capsys: pytest.CaptureFixture[str]) -> None:
    rc = check_main([str(EXAMPLES / "check-cases.jsonl")])
    out, err = capsys.readouterr()
    assert (rc, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == len(CHECK_EXPECTED)
    for got, expected in zip(lines, CHECK_EXPECTED, strict=True):
        _assert_check_line(got, expected)


def test_triage_examples_cli(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "triage-cases.jsonl")
    rc = triage_main(["--policy", "covid19-aphp-2020", "--today", "2026-03-10", path])
    out, err = capsys.readouterr()
    assert (rc, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    for got, expected in zip(lines, TRIAGE_EXPECTED, strict=True):
        _assert_triage_line(got, expected)


def test_triage_examples_cli_as_array(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(TRIAGE_CASES, indent=2), encoding="utf-8")
    rc = triage_main(["--policy", "covid19-aphp-2020", "--today", "2026-03-10", str(path)])
    out, _ = capsys.readouterr()
    assert rc == 0
    lines = [json.loads(line) for line in out.splitlines()]
    for got, expected in zip(lines, TRIAGE_EXPECTED, strict=True):
        _assert_triage_line(got, expected)


def _module_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "geste.rules.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=60,
    )


def test_check_examples_subprocess() -> None:
    proc = _module_cli("check", str(EXAMPLES / "check-cases.jsonl"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    lines = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    for got, expected in zip(lines, CHECK_EXPECTED, strict=True):
        _assert_check_line(got, expected)


def test_triage_examples_subprocess_stdin() -> None:
    data = (EXAMPLES / "triage-cases.jsonl").read_bytes()
    proc = _module_cli(
        "triage", "--policy", "covid19-aphp-2020", "--today", "2026-03-10", "-", stdin=data
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    for got, expected in zip(lines, TRIAGE_EXPECTED, strict=True):
        _assert_triage_line(got, expected)


def test_subprocess_bad_input_exit_2() -> None:
    proc = _module_cli("check", "-", stdin=b'{"id": "c-7", "procedure": "x"}\n')
    assert proc.returncode == 2
    assert proc.stdout == b""
    err = proc.stderr.decode("utf-8")
    assert err.count("\n") == 1
    assert 'line 1 (id "c-7"): procedure:' in err
