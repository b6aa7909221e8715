"""geste.rules is pure: importing it (and running the CLI) loads nothing from Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def test_rules_import_nothing_from_django() -> None:
    code = (
        "import geste.rules.case, geste.rules.safety, geste.rules.triage, geste.rules.policy, "
        "geste.rules.settings, geste.rules.drugs, geste.rules.explain, geste.rules.cli, sys\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "bad = sorted(top & {'django', 'ninja', 'pydantic'})\n"
        "other = sorted(m for m in sys.modules if m.startswith('geste.') "
        "and not m.startswith('geste.rules'))\n"
        "assert not bad and not other, (bad, other)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr.decode()


def test_sources_do_not_mention_django() -> None:
    for path in (SRC / "geste" / "rules").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path
