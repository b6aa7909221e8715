"""The pure rooms (geste.rules, geste.planning) load nothing from Django, nor from another geste
package: each module is imported in a fresh interpreter and sys.modules checked after it.

Ruff's TID251 (pyproject.toml) bans the same imports statically; this catches what a static
check cannot see (an import made by a third-party module, or done at run time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PURE = ["rules", "planning"]
# Django and the packages of its world that geste uses; pydantic comes with django-ninja.
FORBIDDEN = {
    "django",
    "ninja",
    "pydantic",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "whitenoise",
    "dj_database_url",
    "psycopg",
}

# Run in the child: import each module in turn and name the first one that loads something
# forbidden, with what it loaded.
CHILD = """
import importlib, json, sys
package, modules, forbidden = sys.argv[1], json.loads(sys.argv[2]), set(json.loads(sys.argv[3]))
for name in modules:
    importlib.import_module(name)
    bad = sorted({m.split(".")[0] for m in sys.modules} & forbidden)
    other = sorted(
        m for m in sys.modules
        if m.startswith("geste.") and m != package and not m.startswith(package + ".")
    )
    if bad or other:
        sys.exit(f"{name} loaded {bad + other}")
print(len(modules))
"""


def _modules(package: str) -> list[str]:
    """Every module of the package, found on disk (nothing imported here)."""
    names = []
    for path in (SRC / "geste" / package).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


@pytest.mark.parametrize("package", PURE)
def test_pure_package_loads_no_django(package: str) -> None:
    modules = _modules(package)
    assert len(modules) > 3, modules  # the walk found the package's modules
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            f"geste.{package}",
            json.dumps(modules),
            json.dumps(sorted(FORBIDDEN)),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(len(modules))


@pytest.mark.parametrize("package", PURE)
def test_pure_sources_do_not_mention_django(package: str) -> None:
    for path in (SRC / "geste" / package).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path
