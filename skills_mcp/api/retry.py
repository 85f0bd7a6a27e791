"""When to try a request again, and how long to wait first. Pure functions, so they are easy to test."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from skills_mcp.config import RetryPolicy

# The API refused the request without acting on it (rate limit, overload, a gateway in front of it).
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504, 529})


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """`x-should-retry` wins over the status, as in the official SDK."""
    verdict = headers.get("x-should-retry", "").strip().lower()
    if verdict in ("true", "false"):
        return verdict == "true"
    return status in RETRY_STATUSES


def server_delay(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The wait the server asked for, in seconds: `retry-after-ms`, then `retry-after` (seconds or a date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def backoff(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Exponential with jitter: about 0.5, 1, 2, 4, 8, 8 ... seconds, each up to a quarter shorter."""
    jitter = 1 - 0.25 * (rng.random() if rng else random.random())  # noqa: S311 (jitter, not cryptography)
    return float(min(policy.base_delay * 2.0 ** (attempt - 1), policy.max_delay) * jitter)


def next_delay(
    attempt: int, headers: Mapping[str, str], policy: RetryPolicy, rng: random.Random | None = None
) -> float:
    asked = server_delay(headers)
    if asked is not None and asked > 0:
        return asked
    return backoff(attempt, policy, rng)
