"""``geste check`` and ``geste triage`` (see ``docs/contracts/README.md``).

The lead's ``geste`` entry point dispatches here before importing Django, so this module
imports only the standard library and ``geste.rules``. Also runnable as
``python -m geste.rules.cli check|triage ...``.

Input: a JSON array of cases (first non-blank character ``[``) or JSON Lines; ``-`` = stdin.
Every case is validated before anything is written: on bad input, exit status 2, nothing on
stdout, one line on stderr naming the case (line number for JSON Lines, index for an array,
and the id when known) and the field. Output: one compact JSON object per case, same order.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, NoReturn

from .case import Case, CaseError, parse_case, parse_date, parse_datetime
from .explain import PARIS

if TYPE_CHECKING:
    from .safety import CheckResult
    from .triage import TriageResult

__all__ = ["check_line", "check_main", "main", "read_cases", "triage_line", "triage_main"]

_str = encode_basestring  # JSON string with ensure_ascii=False, as json.dumps writes it
_BATCH = 2000


class _Fail(Exception):
    """Bad input: one line for stderr, exit status 2."""


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors on one line and never calls sys.exit."""

    def error(self, message: str) -> NoReturn:
        raise _Fail(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# NaN and Infinity are not JSON (Python's parser accepts them by default).
_decode = json.JSONDecoder(parse_constant=_refuse_constant).decode


def check_line(result: CheckResult, lang: str) -> str:
    """``json.dumps(result.to_json(lang), ensure_ascii=False, separators=(",", ":"))``,
    written by hand (three times faster). Codes, severities and verdicts are plain ASCII."""
    findings = ",".join(
        f'{{"code":"{f.code}","severity":"{f.severity}","detail":{_str(f.detail(lang))}}}'
        for f in result.findings
    )
    e = result.earliest_safe_at
    earliest = "null" if e is None else f'"{e.astimezone(PARIS).isoformat()}"'
    return (
        f'{{"id":{_str(result.id)},"verdict":"{result.verdict}","bleeding_risk":'
        f'"{result.bleeding_risk}","findings":[{findings}],"earliest_safe_at":{earliest}}}'
    )


def triage_line(result: TriageResult) -> str:
    """``json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"))``, by hand."""
    rules = ",".join(_str(r) for r in result.rules)
    review = "null" if result.review_on is None else f'"{result.review_on.isoformat()}"'
    group = "true" if result.group_lesions else "false"
    return (
        f'{{"id":{_str(result.id)},"decision":"{result.decision}","rules":[{rules}],'
        f'"review_on":{review},"group_lesions":{group}}}'
    )


def _read_text(path: str) -> str:
    try:
        if path == "-":
            if not hasattr(sys.stdin, "buffer"):  # a text stream substituted by a caller
                return sys.stdin.read()
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise _Fail(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _json_error(exc: ValueError, line_offset: int = 0) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno + line_offset}: not valid JSON: {exc.msg} (column {exc.colno})"
    return f"line {1 + line_offset}: not valid JSON: {exc}"


def _where(place: str, obj: object) -> str:
    if isinstance(obj, dict):
        cid = obj.get("id")
        if type(cid) is str and 1 <= len(cid) <= 64:
            return f"{place} (id {json.dumps(cid, ensure_ascii=False)})"
    return place


def read_cases(path: str) -> list[Case]:
    """All cases of a file (array or JSON Lines), validated; raises ``_Fail`` on the first
    problem."""
    text = _read_text(path)
    items: list[tuple[str, object]] = []
    if text.lstrip().startswith("["):
        try:
            array = _decode(text)
        except ValueError as exc:
            raise _Fail(_json_error(exc)) from None
        if not isinstance(array, list):  # pragma: no cover - starts with "["
            raise _Fail("line 1: a case file is a JSON array or JSON Lines")
        items = [(f"index {i}", obj) for i, obj in enumerate(array)]
    else:
        for n, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                obj = _decode(line)
            except ValueError as exc:
                raise _Fail(_json_error(exc, n - 1)) from None
            items.append((f"line {n}", obj))
    cases: list[Case] = []
    append = cases.append
    for place, obj in items:
        try:
            append(parse_case(obj))
        except CaseError as exc:
            raise _Fail(f"{_where(place, obj)}: {exc.field}: {exc.message}") from None
    return cases


def _ensure_utf8_stdout() -> None:
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper) and out.encoding.lower().replace("-", "") != "utf8":
        out.reconfigure(encoding="utf-8")


def _write(lines: list[str]) -> None:
    _ensure_utf8_stdout()
    write = sys.stdout.write
    for start in range(0, len(lines), _BATCH):
        write("\n".join(lines[start : start + _BATCH]) + "\n")
    sys.stdout.flush()


def _run(prog: str, argv: list[str], body: Any) -> int:
    try:
        body(argv)
    except _Exit as exc:
        return exc.status
    except _Fail as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
        return 2
    return 0


def _check(argv: list[str]) -> None:
    parser = _Parser(prog="geste check", description="Pre-procedure safety check of cases.")
    parser.add_argument("--at", metavar="DATETIME", help="scheduled_at of cases that have none")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="language of details")
    parser.add_argument("file", metavar="FILE", help="JSON array or JSON Lines of cases; - = stdin")
    args = parser.parse_args(argv)
    at: datetime
    if args.at is None:
        at = datetime.now(UTC)
    else:
        try:
            at = parse_datetime(args.at, "--at")
        except CaseError as exc:
            raise _Fail(f"--at: {exc.message}") from None
    from .safety import check  # after argument errors: keeps --help and errors instant

    cases = read_cases(args.file)
    lang = args.lang
    _write([check_line(check(case, at=at), lang) for case in cases])


def _triage(argv: list[str]) -> None:
    parser = _Parser(prog="geste triage", description="Crisis triage of cases by a policy.")
    parser.add_argument("--policy", required=True, metavar="ID", help="policy id or file")
    parser.add_argument("--today", metavar="DATE", help="triage date (default: today, Paris)")
    parser.add_argument("file", metavar="FILE", help="JSON array or JSON Lines of cases; - = stdin")
    args = parser.parse_args(argv)
    today: date
    if args.today is None:
        today = datetime.now(PARIS).date()
    else:
        try:
            today = parse_date(args.today, "--today")
        except CaseError as exc:
            raise _Fail(f"--today: {exc.message}") from None
    from .policy import PolicyError, load_policy
    from .triage import triage

    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        if exc.field == "policy":
            raise _Fail(f"--policy: {exc.message}") from None
        raise _Fail(f"--policy {args.policy}: {exc.field}: {exc.message}") from None
    cases = read_cases(args.file)
    _write([triage_line(triage(case, policy, today)) for case in cases])


def check_main(argv: list[str]) -> int:
    """``geste check [--at DATETIME] [--lang fr|en] FILE``; returns the exit status."""
    return _run("geste check", argv, _check)


def triage_main(argv: list[str]) -> int:
    """``geste triage --policy ID [--today DATE] FILE``; returns the exit status."""
    return _run("geste triage", argv, _triage)


def main(argv: list[str] | None = None) -> int:
    """``python -m geste.rules.cli check|triage ...``"""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "check":
        return check_main(args[1:])
    if args and args[0] == "triage":
        return triage_main(args[1:])
    sys.stderr.write("usage: python -m geste.rules.cli {check,triage} ...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
