"""One check for every uploaded file (lab report, referral letter, key images): the size is
capped (`GESTE_UPLOAD_MAX_MB`, 10 MB by default) and the type is read from the CONTENT, never
from the name: a PDF starts with `%PDF-`, a PNG with its 8-byte signature, a JPEG with FF D8 FF.
A PDF that carries JavaScript or an automatic action (`/JS`, `/JavaScript`, `/OpenAction`,
`/Launch`, `/AA`) is refused: a document for reading has no reason to run anything. The stored
name is sanitised (ASCII letters, digits, - and _; the extension the content says).

No library does this small, exact job better than these few lines (python-magic needs the
system's libmagic); the PDF scan is a byte search over the whole file, which also finds the
keywords written with `#xx` escapes once they are decoded.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PDF, PNG, JPEG = "pdf", "png", "jpeg"
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_EXTENSION = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}
_ACTIVE = re.compile(rb"/(JS|JavaScript|OpenAction|Launch|AA|RichMedia|EmbeddedFile)\b")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def max_bytes() -> int:
    return int(getattr(settings, "GESTE_UPLOAD_MAX_MB", 10)) * 1024 * 1024


def sniff(head: bytes) -> str | None:
    """The type the first bytes say, or None."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _read(upload: Any) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return bytes(data)


def pdf_is_active(data: bytes) -> bool:
    """JavaScript or an automatic action anywhere in the PDF (names with #xx escapes too)."""
    decoded = _NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), data)
    return bool(_ACTIVE.search(decoded))


def validate_upload(upload: Any, *, allowed: tuple[str, ...] = (PDF, PNG, JPEG)) -> Any:
    """Check an uploaded file; returns it renamed safely, or raises ValidationError (French)."""
    if upload is None:
        return upload
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("Le fichier dépasse %(mb)s Mo.") % {"mb": limit // (1024 * 1024)}, code="too_big"
        )
    data = _read(upload)
    if len(data) > limit:
        raise ValidationError(
            _("Le fichier dépasse %(mb)s Mo.") % {"mb": limit // (1024 * 1024)}, code="too_big"
        )
    kind = sniff(data[:16])
    if kind is None or kind not in allowed:
        names = ", ".join(k.upper() for k in allowed)
        raise ValidationError(
            _("Ce fichier n'est pas un %(types)s valide (son contenu a été vérifié, pas son nom).")
            % {"types": names},
            code="type",
        )
    if kind == PDF and pdf_is_active(data):
        raise ValidationError(
            _("Ce PDF contient du code ou une action automatique : il est refusé."), code="active"
        )
    stem = (upload.name or "document").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:80] or "document"
    upload.name = clean + _EXTENSION[kind]
    return upload
