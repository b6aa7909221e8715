"""The audit actions registry: every action the code records is registered, and only those."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from geste.audit.actions import AuditAction, action_label
from geste.audit.services import log_action
from geste.pathway.models import RequestState

SRC = Path(__file__).resolve().parents[2] / "src" / "geste"
ACTION = re.compile(r"^[a-z_0-9]+\.[a-z_0-9]+$")


def _literal_actions() -> dict[str, str]:
    """Every string literal given as `action=` to a call anywhere in src/geste (log_action,
    request_transition and any wrapper) or assigned to a variable named `action` first,
    with where it was found."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                values = [k.value for k in node.keywords if k.arg == "action"]
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "action" for t in targets):
                    values = [node.value] if node.value is not None else []
            for value in values:
                for sub in ast.walk(value):
                    literal = isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                    if literal and ACTION.match(sub.value):
                        found.setdefault(sub.value, f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_the_scan_finds_the_actions_the_code_records() -> None:
    found = _literal_actions()
    # A broken scan finding nothing would let every check below pass: these are known sites.
    assert {"request.validated", "patient.read", "appointment.booked"} <= set(found)
    assert len(found) > 40


def test_every_literal_action_in_the_source_is_registered() -> None:
    missing = {a: where for a, where in _literal_actions().items() if a not in AuditAction.values}
    assert missing == {}, f"add these to geste.audit.actions.AuditAction: {missing}"


def test_every_request_state_has_its_transition_action() -> None:
    # request_transition() without a named action records `request.<new state>`.
    missing = [s for s in RequestState.values if f"request.{s}" not in AuditAction.values]
    assert missing == []


def test_an_unregistered_action_is_refused_and_nothing_is_written(alice: object) -> None:
    from geste.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    with pytest.raises(ValueError, match=r"unregistered audit action 'patient\.raed'"):
        log_action(actor=None, action="patient.raed", obj=alice)  # type: ignore[arg-type]
    assert AuditEvent.objects.count() == before


def test_actions_have_french_and_english_labels(alice: object) -> None:
    event = log_action(actor=None, action=AuditAction.PATIENT_READ, obj=alice)  # type: ignore[arg-type]
    with translation.override("fr"):
        assert event.action_label == "Dossier patient consulté"
    with translation.override("en"):
        assert action_label("patient.read") == "Patient record read"
    assert action_label("old.renamed") == "old.renamed"
