"""Figures of the bench scripts, kept for `make bench`'s summary table (bench/summary.py).

Each script calls `record(...)` for each headline figure; it lands in var/bench/<name>.json
(one file per script, a figure recorded again replaces the previous value), with the machine's
load average at that moment, since the machine may be shared and figures noisy.

    from _report import record   # bench/ is the script's own folder, first on sys.path
    record("rules", "safety check, engine alone", 205_000, "cases/s", ">= 100,000", True)

Never raises: a bench that cannot write its figures still prints them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIR = Path(os.environ.get("GESTE_BENCH_DIR", ROOT / "var" / "bench"))


def load() -> tuple[float, float, float]:
    """The 1, 5 and 15-minute load averages (zeros where the system does not tell)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # pragma: no cover - not on Linux
        return (0.0, 0.0, 0.0)
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def record(
    name: str,
    figure: str,
    value: float | None,
    unit: str,
    goal: str,
    met: bool | None,
    note: str = "",
) -> None:
    """Keep one figure of script `name` (e.g. "rules"). `goal` is printed as given (">= 100,000",
    "<= 10 s", "" when the figure is informative only); `met` None means no goal."""
    entry: dict[str, Any] = {
        "figure": figure,
        "value": value,
        "unit": unit,
        "goal": goal,
        "met": met,
        "note": note,
        "load": load(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = DIR / f"{name}.json"
    try:
        DIR.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {"name": name, "figures": []}
        figures = [f for f in data.get("figures", []) if f.get("figure") != figure]
        data["figures"] = [*figures, entry]
        data["cpus"] = os.cpu_count()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), "utf-8")
        tmp.replace(path)
    except OSError as exc:  # pragma: no cover - read-only checkout
        print(f"(bench figures not saved: {exc})")
