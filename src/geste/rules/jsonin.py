"""Strict JSON for case files and request bodies (``docs/contracts/README.md``, bad input).

Python's ``json`` accepts what the contract refuses: a duplicate key (the last one silently
wins), ``NaN``/``Infinity``, and nesting as deep as the interpreter's stack (then a
``RecursionError``, a traceback). ``loads`` refuses all of them with a ``JsonInputError``
naming the line, the case (index in an array) and the field, as ``CaseError`` does.

Nesting is counted from the case: the case object is level 1 (the array around the cases of a
file or a body is level 0); more than ``MAX_DEPTH`` levels is refused. A valid case is at most
three levels deep, so ``parse_case`` refuses any deep value anyway; the depth is looked at only
to name the problem (``deep_path``), or when the decoder gives up (``RecursionError``).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "JsonInputError", "deep_path", "loads"]

MAX_DEPTH = 32


class JsonInputError(ValueError):
    """Input that is not strict JSON. ``line`` is 1-based within the text given to ``loads``;
    ``index`` is the case's index when the text is an array; ``field`` a dotted path."""

    def __init__(
        self, message: str, *, line: int = 1, index: int | None = None, field: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.index = index
        self.field = field


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Duplicate(k)
            seen.add(k)
    return d


_decode = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant).decode


def loads(text: str, *, array: bool = False) -> Any:
    """Decode strict JSON, or raise ``JsonInputError``. ``array``: the text is an array of
    cases (its level does not count), else one case."""
    try:
        return _decode(text)
    except _Duplicate as exc:
        where = _locate(text, array)
        if where is not None:
            raise where from None
        raise JsonInputError(f"duplicate key {json.dumps(exc.key)}", field=exc.key) from None
    except RecursionError:
        where = _locate(text, array)
        if where is not None:
            raise where from None
        raise JsonInputError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    except ValueError as exc:  # NaN, Infinity, an integer of more than 4,300 digits
        raise JsonInputError(f"not valid JSON: {exc}") from None


def _join(path: list[str | int]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else p
    # a path 32 levels deep is mostly noise: its start finds the place
    return out if len(out) <= 60 else out[:57] + "..."


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,\n]', re.DOTALL)


def _locate(text: str, root_array: bool) -> JsonInputError | None:
    """The first duplicate key or over-deep container of a (syntactically valid) JSON text,
    found by a flat scan of its tokens: no recursion, whatever the depth."""
    # Frames: [kind, keys seen, current key or index, expecting a key]
    stack: list[list[Any]] = []
    line = 1
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok == "\n":
            line += 1
            continue
        top = stack[-1] if stack else None
        if tok in "{[":
            depth = len(stack) + (0 if root_array else 1)
            index, path = _where(stack, root_array)
            if depth > MAX_DEPTH:
                return JsonInputError(
                    f"nesting deeper than {MAX_DEPTH} levels",
                    line=line,
                    index=index,
                    field=_join(path) or "case",
                )
            stack.append(["obj", set(), None, True] if tok == "{" else ["arr", None, 0, False])
        elif tok in "}]":
            if stack:
                stack.pop()
        elif tok == ",":
            if top is not None:
                if top[0] == "obj":
                    top[3] = True
                else:
                    top[2] += 1
        elif tok == ":":
            if top is not None:
                top[3] = False
        elif top is not None and top[0] == "obj" and top[3]:  # a key
            key = json.loads(tok)
            top[2] = key
            if key in top[1]:
                index, path = _where(stack, root_array)
                return JsonInputError(
                    f"duplicate key {json.dumps(key, ensure_ascii=False)}",
                    line=line,
                    index=index,
                    field=_join(path),
                )
            top[1].add(key)
    return None


def _where(stack: list[list[Any]], root_array: bool) -> tuple[int | None, list[str | int]]:
    """The case index (array root) and the path within the case of the current position."""
    path: list[str | int] = [frame[2] for frame in stack]
    if root_array and path:
        first = path[0]
        return (first if isinstance(first, int) else None), path[1:]
    return None, path


def deep_path(obj: object) -> str | None:
    """The path of the first container nested deeper than ``MAX_DEPTH`` levels in a decoded
    case (the case itself is level 1), or None. Iterative: any depth is safe."""
    todo: list[tuple[object, int, list[str | int]]] = [(obj, 1, [])]
    while todo:
        value, depth, path = todo.pop()
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth > MAX_DEPTH:
            return _join(path) or "case"
        for k, v in items:
            if isinstance(v, dict | list):
                todo.append((v, depth + 1, [*path, k]))
    return None
