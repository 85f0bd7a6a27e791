"""The retry rules: which answers are retried, and how long to wait first."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skills_mcp.api.retry import backoff, next_delay, server_delay, should_retry
from skills_mcp.config import RetryPolicy

POLICY = RetryPolicy()


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504, 529])
def test_transient_statuses_are_retried(status: int) -> None:
    assert should_retry(status, {})


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422, 500])
def test_other_statuses_are_not(status: int) -> None:
    assert not should_retry(status, {})


def test_x_should_retry_overrides_the_status() -> None:
    assert should_retry(400, {"x-should-retry": "true"})
    assert not should_retry(503, {"x-should-retry": "false"})
    assert should_retry(503, {"x-should-retry": "maybe"})  # not a verdict: the status decides


def test_server_delay_prefers_milliseconds() -> None:
    assert server_delay({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert server_delay({"retry-after": "2.5"}) == 2.5
    assert server_delay({"retry-after-ms": "junk", "retry-after": "3"}) == 3.0
    assert server_delay({}) is None
    assert server_delay({"retry-after": "soon"}) is None
    assert server_delay({"retry-after": "-4"}) == 0.0


def test_server_delay_reads_an_http_date() -> None:
    now = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert server_delay({"retry-after": later}, now=now.timestamp()) == pytest.approx(7.0)
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert server_delay({"retry-after": earlier}, now=now.timestamp()) == 0.0


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=2**32))
def test_backoff_grows_within_bounds(attempt: int, seed: int) -> None:
    delay = backoff(attempt, POLICY, random.Random(seed))
    ceiling = min(POLICY.base_delay * 2 ** (attempt - 1), POLICY.max_delay)
    assert 0.75 * ceiling <= delay <= ceiling


def test_server_delay_wins_over_backoff_and_zero_falls_back() -> None:
    rng = random.Random(1)
    assert next_delay(3, {"retry-after-ms": "250"}, POLICY, rng) == 0.25
    assert 0.375 <= next_delay(1, {"retry-after": "0"}, POLICY, rng) <= 0.5


def documented_retry_statuses() -> set[int]:
    """The statuses the docs promise to retry, read from the guarantees table of docs/reliability.md."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| Transient failures are retried |"))
    promise = row.split("|")[2].split(" and ")[0]
    return {int(n) for n in re.findall(r"\b\d{3}\b", promise)}


def test_exactly_the_statuses_the_docs_promise_are_retried() -> None:
    promised = documented_retry_statuses()
    assert promised, "the retry row of docs/reliability.md lists no statuses"
    assert {status for status in range(100, 600) if should_retry(status, {})} == promised
