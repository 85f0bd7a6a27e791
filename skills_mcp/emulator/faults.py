"""Scripted failures, so tests can show how a client behaves when the API misbehaves.

Only "answer with this status" exists today; a later kind (dropped connection, truncated body)
becomes one more field on `Fault` and one more branch where the app renders it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fault:
    """Answer `status` to the next `times` matching requests.

    `body` None gives the standard error body for the status. `after` True handles the request
    first (its side effects land) and then answers the fault instead: "5xx, but it happened".
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | dict[str, object] | None = None
    times: int = 1
    method: str | None = None
    path_prefix: str | None = None
    delay: float = 0.0
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and (
            self.path_prefix is None or path.startswith(self.path_prefix)
        )


@dataclass
class _Armed:
    fault: Fault
    left: int


class FaultQueue:
    """Faults in push order; the first one that matches is used. Tests push from their own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Armed] = []

    def push(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("Fault.times must be at least 1")
        with self._lock:
            self._queue.append(_Armed(fault, fault.times))

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, with one of its uses spent."""
        with self._lock:
            for armed in self._queue:
                if armed.fault.matches(method, path):
                    armed.left -= 1
                    if armed.left == 0:
                        self._queue.remove(armed)
                    return armed.fault
        return None

    def pending(self) -> list[tuple[Fault, int]]:
        """Faults not used up yet, with their remaining uses."""
        with self._lock:
            return [(armed.fault, armed.left) for armed in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
