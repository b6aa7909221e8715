"""tools/ensure-system-deps.sh, run by `make test`: without root it stops at once, with one line
naming the command to run, and never reaches apt-get."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "ensure-system-deps.sh"


def test_not_root_stops_with_one_line_naming_the_command() -> None:
    # A world-readable copy, so that an unprivileged user can run it wherever the clone lives;
    # a fake apt-get and sudo first on PATH tell on any call.
    work = Path(tempfile.mkdtemp(prefix="geste-deps-"))
    try:
        work.chmod(0o755)
        (work / "tools").mkdir(mode=0o755)
        shutil.copy(SCRIPT, work / "tools" / SCRIPT.name)
        (work / "bin").mkdir(mode=0o755)
        for name in ("apt-get", "sudo"):
            fake = work / "bin" / name
            fake.write_text(f"#!/bin/sh\necho 'CALLED {name}'\n")
            fake.chmod(0o755)
        env = [
            f"PATH={work / 'bin'}:/usr/bin:/bin",
            "GESTE_ASSUME_MISSING=chromium dcmtk gettext",
        ]
        cmd = ["env", *env, "bash", str(work / "tools" / SCRIPT.name), "test"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        proc = subprocess.run(cmd, cwd="/", capture_output=True, text=True, check=False, timeout=60)
    finally:
        shutil.rmtree(work)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "missing chromium dcmtk gettext: "
        "run 'sudo apt-get update && sudo apt-get install -y chromium dcmtk gettext'"
    ]
