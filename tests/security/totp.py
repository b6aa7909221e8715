"""RFC 6238 TOTP written out in the tests, independent of the library under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def totp(key: bytes, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_b32(secret: str, **kwargs: float) -> str:
    return totp(base64.b32decode(secret), **kwargs)  # type: ignore[arg-type]
