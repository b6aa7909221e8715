"""``geste check`` and ``geste triage`` (see ``docs/contracts/README.md``).

The lead's ``geste`` entry point dispatches here before importing Django, so this module
imports only the standard library and ``geste.rules``. Also runnable as
``python -m geste.rules.cli check|triage ...``.

Input: a JSON array of cases (first non-blank character ``[``) or JSON Lines; ``-`` = stdin.
Every case is validated before anything is written: on bad input (the contract's list: not
JSON, a wrong type, an unknown field or procedure, a missing required field, a datetime without
offset or outside 1900-2100, a duplicate key, a duplicate case id in one file, nesting deeper
than 32 levels), exit status 2, nothing on stdout, one line on stderr naming the case (line
number for JSON Lines, index for an array, and the id when known) and the field; never a
traceback. Output: one compact JSON object per case, same order.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from datetime import UTC, date, datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, NoReturn

from geste import PARIS

from .case import Case, CaseError, parse_case, parse_date, parse_datetime, text_of
from .jsonin import MAX_DEPTH, JsonInputError, deep_path, loads

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


def check_line(result: CheckResult, lang: str) -> str:
    """``json.dumps(result.to_json(lang), ensure_ascii=False, separators=(",", ":"))``,
    written by hand (three times faster). Codes, severities and verdicts are plain ASCII."""
    findings = ",".join(
        f'{{"code":"{f.code}","severity":"{f.severity}","detail":{_str(f.detail(lang))},'
        f'"rule":"{f.rule}","source":{_str(f.source)}}}'
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
    missing = ",".join(f'"{m}"' for m in result.missing_inputs)  # field names: ASCII
    return (
        f'{{"id":{_str(result.id)},"decision":"{result.decision}","rules":[{rules}],'
        f'"review_on":{review},"group_lesions":{group},"missing_inputs":[{missing}]}}'
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


def _json_fail(exc: JsonInputError, line_offset: int = 0) -> _Fail:
    place = f"line {exc.line + line_offset}"
    if exc.index is not None:
        place += f" (index {exc.index})"
    field = f"{exc.field}: " if exc.field else ""
    return _Fail(f"{place}: {field}{exc.message}")


def _where(place: str, obj: object) -> str:
    if isinstance(obj, dict):
        try:  # only an id the schema accepts is echoed (never a lone surrogate)
            cid = text_of(obj.get("id"), "id", 64)
        except CaseError:
            return place
        return f"{place} (id {json.dumps(cid, ensure_ascii=False)})"
    return place


def read_cases(path: str) -> list[Case]:
    """All cases of a file (array or JSON Lines), validated; raises ``_Fail`` on the first
    problem."""
    text = _read_text(path)
    items: list[tuple[str, object]] = []
    if text.lstrip().startswith("["):
        try:
            array = loads(text, array=True)
        except JsonInputError as exc:
            raise _json_fail(exc) from None
        if not isinstance(array, list):  # pragma: no cover - starts with "["
            raise _Fail("line 1: a case file is a JSON array or JSON Lines")
        items = [(f"index {i}", obj) for i, obj in enumerate(array)]
    else:
        for n, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                obj = loads(line)
            except JsonInputError as exc:
                raise _json_fail(exc, n - 1) from None
            items.append((f"line {n}", obj))
    cases: list[Case] = []
    append = cases.append
    for place, obj in items:
        try:
            append(parse_case(obj))
        except CaseError as exc:
            deep = deep_path(obj)  # a valid case is never deep: name that problem first
            if deep is not None:
                msg = f"{deep}: nesting deeper than {MAX_DEPTH} levels"
                raise _Fail(f"{_where(place, obj)}: {msg}") from None
            raise _Fail(f"{_where(place, obj)}: {exc.field}: {exc.message}") from None
    if len(cases) > 1:
        seen: dict[str, int] = {}
        for i, case in enumerate(cases):
            first = seen.setdefault(case.id, i)
            if first != i:
                place, obj = items[i]
                raise _Fail(
                    f"{_where(place, obj)}: id: duplicate case id (first at {items[first][0]})"
                )
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


def _one_line(message: str) -> str:
    """The contract's one line on stderr, whatever the input named: a field called "\\n" or
    holding control characters is shown escaped (accents stay as they are)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _run(prog: str, argv: list[str], body: Any) -> int:
    try:
        body(argv)
    except _Exit as exc:
        return exc.status
    except _Fail as exc:
        sys.stderr.write(f"{prog}: {_one_line(str(exc))}\n")
        return 2
    except BrokenPipeError:  # the reader went away (| head): not an error of ours to report
        # Python flushes stdout again at exit: point it at nothing, or a second error prints.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
        return 1
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
