"""Webhook signatures: HMAC-SHA256 with the endpoint's secret over ``<timestamp>.<body>``.

The timestamp is sent in ``X-MPDB-Timestamp`` and signed with the body, so a captured delivery
cannot be replayed later with a fresh timestamp; receivers refuse old ones (docs/api.md).
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-MPDB-Signature"
TIMESTAMP_HEADER = "X-MPDB-Timestamp"
EVENT_HEADER = "X-MPDB-Event"
DELIVERY_HEADER = "X-MPDB-Delivery"
#: how old a timestamp a receiver should accept (seconds), as docs/api.md recommends
TOLERANCE = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-MPDB-Signature`` value: ``sha256=`` and the hex HMAC of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str, body: bytes, timestamp: str, signature: str, *, now: float | None = None
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - sent_at) > TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature or "")
