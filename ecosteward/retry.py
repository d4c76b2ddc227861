"""The one backoff policy: capped exponential delays (重试退避).

Used by the NATS connect loop, the outbox relay, redelivery of failed events and the Keycloak
account sync. Each caller keeps its own numbers (first delay, cap); the formula lives here.
"""

from __future__ import annotations

_MAX_EXPONENT = 62  # beyond this every sane cap is reached; keeps 2**n small


def backoff_delay(attempt: int, *, first: float, cap: float) -> float:
    """Seconds to wait before retry number ``attempt`` (0, 1, 2, ...): ``first · 2^attempt``, at most ``cap``."""
    return min(cap, first * 2.0 ** min(max(attempt, 0), _MAX_EXPONENT))
