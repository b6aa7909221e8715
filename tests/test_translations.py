"""English is complete: every translatable string of the product has an English translation."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import geste

PACKAGE = Path(geste.__file__).resolve().parent
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry of a .po file (plural forms folded)."""
    entries = []
    for block in po_text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                line = line[6:]
            elif line.startswith("msgid_plural "):
                current = None
            elif line.startswith("msgstr"):
                current = msgstr
                line = line.split(" ", 1)[1]
            elif not line.startswith('"'):
                continue
            if current is not None and line.startswith('"'):
                current.append(line[1:-1])
        text_id = "".join(msgid)
        if text_id:
            entries.append((text_id, "".join(msgstr), fuzzy))
    return entries


def test_english_catalogue_has_no_missing_or_fuzzy_entry() -> None:
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext")
def test_catalogue_covers_every_marked_string(tmp_path: Path) -> None:
    """Re-extract the strings into a scratch copy and compare with the committed catalogue."""
    copy = tmp_path / "geste"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "en",
            "--no-obsolete",
            "--no-location",
            "-i",
            "test_settings.py",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "geste.test_settings", "PATH": "/usr/bin:/bin"},
    )
    fresh = {msgid for msgid, _, _ in _entries((copy / PO.relative_to(PACKAGE)).read_text())}
    committed = {msgid for msgid, msgstr, _ in _entries(PO.read_text()) if msgstr}
    assert sorted(fresh - committed) == []
