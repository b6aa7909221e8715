"""The layout holds: no room imports another inside a function body (the way cycles used to be
dodged), and page views live only in the front rooms (staff, portal, api)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "geste"
# Django must be set up before models are imported (the CLI), and AppConfig.ready() is Django's
# idiom for connecting receivers: the only places a function may import a room.
ALLOWED = {"cli.py", "apps.py"}
DOMAIN_ROOMS = ("clinic", "patients", "scheduling", "pathway", "crisis", "documents", "audit")


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and (
                (node.module or "").startswith("geste") or node.level > 0
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.module}")
            elif isinstance(node, ast.Import) and any(
                a.name.startswith("geste") for a in node.names
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_room_is_imported_inside_a_function() -> None:
    offending = [
        hit for path in _sources() if path.name not in ALLOWED for hit in _function_imports(path)
    ]
    assert offending == []


@pytest.mark.parametrize("room", DOMAIN_ROOMS)
def test_domain_rooms_hold_no_page_views_urls_or_templates(room: str) -> None:
    base = PACKAGE / room
    assert not list(base.glob("views*.py")), "page views belong in staff/ or portal/"
    assert not (base / "urls.py").exists()
    assert not (base / "templates").exists()
