"""Fill the English catalogue from JSON files of translations, and list what is missing.

    python tools/po_fill.py missing            # writes the untranslated msgids as JSON to stdout
    python tools/po_fill.py fill A.json [...]  # fills msgstr from {msgid: str | [singular, plural]}

Works on src/geste/locale/en/LC_MESSAGES/django.po; run `make messages` afterwards (or before,
to extract the strings) and compile with compilemessages.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parents[1] / "src/geste/locale/en/LC_MESSAGES/django.po"


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def parse(text: str) -> list[dict]:
    entries = []
    for block in text.split("\n\n"):
        entry: dict = {"raw": block, "fields": {}}
        current = None
        for line in block.splitlines():
            m = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line)
            if m:
                current = m.group(1)
                entry["fields"][current] = [m.group(2)]
            elif line.startswith('"') and current:
                entry["fields"][current].append(line)
        entries.append(entry)
    return entries


def main() -> None:
    text = PO.read_text(encoding="utf-8")
    entries = parse(text)
    if sys.argv[1] == "missing":
        out = {}
        for e in entries:
            f = e["fields"]
            if "msgid" not in f:
                continue
            msgid = _unquote(f["msgid"])
            if not msgid:
                continue
            strs = [_unquote(v) for k, v in f.items() if k.startswith("msgstr")]
            fuzzy = "#, fuzzy" in e["raw"]
            if fuzzy or not all(strs):
                out[msgid] = [msgid, _unquote(f["msgid_plural"])] if "msgid_plural" in f else ""
        json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
        return
    tr: dict = {}
    for name in sys.argv[2:]:
        tr.update(json.loads(Path(name).read_text(encoding="utf-8")))
    blocks = []
    filled = 0
    for e in entries:
        f = e["fields"]
        raw = e["raw"]
        msgid = _unquote(f["msgid"]) if "msgid" in f else ""
        if msgid and msgid in tr:
            value = tr[msgid]
            keep = [
                line
                for line in raw.splitlines()
                if line.startswith("#") and "fuzzy" not in line
            ]
            keep.append("msgid " + _quote(msgid))
            if "msgid_plural" in f:
                plural = _unquote(f["msgid_plural"])
                keep.append("msgid_plural " + _quote(plural))
                one, many = (value, value) if isinstance(value, str) else value
                keep += ["msgstr[0] " + _quote(one), "msgstr[1] " + _quote(many)]
            else:
                keep.append("msgstr " + _quote(value if isinstance(value, str) else value[0]))
            raw = "\n".join(keep)
            filled += 1
        blocks.append(raw)
    PO.write_text("\n\n".join(blocks), encoding="utf-8")
    sys.stderr.write(f"filled {filled} entries\n")


if __name__ == "__main__":
    main()
