"""Text of a PDF, read without reportlab (which wrote it): decode each content stream
(ASCII85 then Flate, as reportlab writes them, or Flate alone) and collect the strings shown
by Tj/TJ. Enough for the simple PDFs we build (standard fonts, WinAnsi encoding); not a
general PDF parser."""

from __future__ import annotations

import base64
import contextlib
import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_SHOW = re.compile(rb"\[(.*?)\]\s*TJ|(\((?:\\.|[^\\)])*\))\s*Tj", re.S)
_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)", re.S)
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    body = literal[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", body[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8))
            i += 1 + len(octal.group())
        else:
            out += _ESC.get(nxt, nxt)
            i += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    lines = []
    for raw in _STREAM.findall(data):
        content = raw.strip()
        if content.endswith(b"~>"):  # ASCII85, then Flate
            content = base64.a85decode(content[:-2].removeprefix(b"<~"))
        with contextlib.suppress(zlib.error):  # an uncompressed stream
            content = zlib.decompress(content)
        for array, single in _SHOW.findall(content):
            parts = _STRING.findall(array) if array else [single]
            lines.append(b"".join(_unescape(p) for p in parts).decode("cp1252"))
    return "\n".join(lines)
