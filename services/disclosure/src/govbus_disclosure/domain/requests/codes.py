"""申请编号 (a yearly serial without gaps) and 查询码 (the applicant's tracking code: an HMAC of
the request id, of which only a hash is stored).

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re


def request_number(year: int, serial: int) -> str:
    """申请编号: year and a serial without gaps, e.g. 2026-0001."""
    return f"{year}-{serial:04d}"


_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone


def tracking_code(key: bytes, request_id: str) -> str:
    """查询码: 20 characters (about 99 bits) from an HMAC of the request id under the
    service's secret key, in groups of four. Unpredictable without the key; the same for a
    retried submission, so the first reply can be repeated without storing the code."""
    digest = int.from_bytes(hmac.new(key, ("tracking/" + request_id).encode(),
                                     hashlib.sha256).digest(), "big")
    chars = []
    for _ in range(20):
        digest, index = divmod(digest, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[index])
    code = "".join(chars)
    return "-".join(code[i:i + 4] for i in range(0, 20, 4))


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def tracking_hash(code: str) -> str:
    """What is stored and looked up: the SHA-256 of the normalised code."""
    return hashlib.sha256(("govbus-disclosure-tracking/" + normalise_code(code)).encode()
                          ).hexdigest()
