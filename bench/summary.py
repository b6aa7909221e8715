"""`make bench`'s runner and final table: every headline figure, its goal, met or not.

    .venv/bin/python bench/summary.py --run rules.py [ARGS...]   # run one bench script
    .venv/bin/python bench/summary.py                            # print the table

`--run` runs a bench script with its arguments, its output shown and kept in
var/bench/<name>.log, its wall time and exit status in var/bench/<name>.run.json; it always
exits 0, so that one failing script does not stop the others (the table says it failed).

The table reads the figures each script recorded (bench/_report.py: var/bench/<name>.json).
For a script that recorded none, it shows the lines of its log that state a goal, as printed,
with "met" or "NOT met" when the line says so. Figures are noisy on a shared machine: the
load average at each figure is printed beside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _report import DIR, load

ROOT = Path(__file__).resolve().parents[1]
# The order of `make bench` (and of the table).
SCRIPTS = (
    *("rules", "slots", "booking", "whatif", "worklist", "recovery", "crisis_jobs", "dicom"),
    "fhir",
)
NOT_MET = re.compile(r"NOT met|not met|MISSED|BELOW|\bmissed\b")
MET = re.compile(r"\bmet\b|\bmeets\b")


def run(argv: list[str]) -> int:
    script, *args = argv
    name = Path(script).stem
    DIR.mkdir(parents=True, exist_ok=True)
    log = DIR / f"{name}.log"
    print(f"\n=== bench/{script} {' '.join(args)}   (load average {load()})", flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / script), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            out.write(line)
        code = proc.wait()
    seconds = time.perf_counter() - started
    (DIR / f"{name}.run.json").write_text(
        json.dumps({"script": script, "args": args, "exit": code, "seconds": seconds}), "utf-8"
    )
    print(f"=== bench/{script}: {seconds:.0f} s, exit {code}", flush=True)
    return 0


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _value(f: dict[str, Any]) -> str:
    v = f.get("value")
    if v is None:
        return f.get("note") or "-"
    unit = f.get("unit") or ""
    if isinstance(v, float) and abs(v) < 100:
        text = f"{v:,.2f}".rstrip("0").rstrip(".") if v % 1 else f"{v:,.0f}"
    else:
        text = f"{v:,.0f}"
    return f"{text} {unit}".strip()


def _status(met: Any) -> str:
    return {True: "met", False: "NOT met"}.get(met, "-")


def table() -> int:
    names = [*SCRIPTS]
    for path in sorted(DIR.glob("*.json")):
        stem = path.name.split(".")[0]
        if stem not in names:
            names.append(stem)
    rows: list[tuple[str, str, str, str, str, str]] = []
    total = 0.0
    missed = 0
    absent = 0
    for name in names:
        ran = _read(DIR / f"{name}.run.json")
        data = _read(DIR / f"{name}.json") or {}
        figures = data.get("figures", [])
        log = DIR / f"{name}.log"
        if ran is None and not figures:
            rows.append((name, "(not run)", "", "", "", ""))
            absent += 1
            continue
        if ran is not None:
            total += ran["seconds"]
            if ran["exit"] != 0:
                rows.append((name, f"FAILED (exit {ran['exit']}, see {log})", "", "", "", ""))
                absent += 1
        for f in figures:
            load1 = f"{f['load'][0]:.1f}" if f.get("load") else ""
            rows.append((name, f["figure"], _value(f), f.get("goal", ""), _status(f["met"]), load1))
            missed += f["met"] is False
        if not figures and log.exists():
            goals = [ln.strip() for ln in log.read_text("utf-8").splitlines() if "goal" in ln]
            for line in goals or ["(no figure recorded, no line names a goal)"]:
                met = False if NOT_MET.search(line) else (True if MET.search(line) else None)
                rows.append((name, line[:90], "(as printed)", "", _status(met), ""))
                missed += met is False
    widths = [
        max(len(r[i]) for r in [*rows, ("script", "figure", "value", "goal", "", "")])
        for i in range(6)
    ]
    head = ("script", "figure", "value", "goal", "status", "load")
    print(f"\nmake bench summary ({os.cpu_count()} CPUs; load average now {load()})")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    runs = [_read(DIR / f"{n}.run.json") for n in names]
    timing = ", ".join(
        f"{Path(r['script']).stem} {r['seconds']:.0f} s" for r in runs if r is not None
    )
    print(f"\nrun time {total / 60:.1f} min ({timing})")
    print(
        f"{missed} figure(s) not met; {absent} script(s) failed or not run"
        if missed or absent
        else "every goal met"
    )
    return 0


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--run":
        return run(sys.argv[2:])
    return table()


if __name__ == "__main__":
    sys.exit(main())
