"""How a long call tells its caller what is happening: progress in bytes, and notable events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from skills_mcp.terms import TOOL, Terms

log = logging.getLogger("skills_mcp")

Progress = Callable[[int, int], Awaitable[None]]


@dataclass
class Reporter:
    """`terms`: the words of the surface that asked, for what a result tells its reader to do next."""

    progress: Progress | None = None
    note: Callable[[str], Awaitable[None]] | None = None
    terms: Terms = TOOL

    async def say(self, message: str) -> None:
        """Logged to stderr always; sent to the client too when it listens."""
        log.info("%s", message)
        if self.note is not None:
            await self.note(message)


QUIET = Reporter()
