"""An unexpected exception in a tool: a clear tool error saying it is a bug, the traceback on stderr only."""

from __future__ import annotations

import logging
import warnings
from types import SimpleNamespace

import anyio
import pytest
from conftest import API_KEY
from mcp.server.mcpserver.exceptions import ToolError

from skills_mcp.config import Settings
from skills_mcp.server.calls import AppState, tool_call


def context() -> SimpleNamespace:
    """The part of the SDK's request Context that `_tool_call` reads, around our real AppState."""
    state = AppState(Settings(base_url="http://127.0.0.1:9"))
    return SimpleNamespace(request_context=SimpleNamespace(lifespan_context=state))


def test_an_unexpected_exception_is_a_clear_tool_error(caplog: pytest.LogCaptureFixture) -> None:
    """Issue 10 §6: it used to reach the agent as a bare "Error executing tool ...: <whatever it said>"."""

    async def call() -> None:
        with tool_call(context()):  # type: ignore[arg-type]
            raise KeyError(f"internal detail {API_KEY}")

    with caplog.at_level(logging.ERROR, logger="skills_mcp.server.calls"), pytest.raises(ToolError) as raised:
        anyio.run(call)
    text = str(raised.value)
    assert text == (
        "skills-mcp failed unexpectedly (KeyError); nothing more was done. This is a bug in skills-mcp: please "
        "report it, with the traceback the server wrote to its log (stderr)."
    )
    assert API_KEY not in text
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [KeyError]  # the traceback: for the log only


def test_a_progress_note_leaves_the_warning_filters_of_other_tasks_alone() -> None:
    """Issue 14: `catch_warnings()` around the await swapped the process-wide filter list while other tasks ran."""
    from skills_mcp.server.calls import reporter

    seen: list[bool] = []

    async def info(message: str, *, logger_name: str | None = None) -> None:  # the SDK's Context.info, as called
        seen.append(warnings.filters is filters)

    filters = warnings.filters
    ctx = SimpleNamespace(info=info, request_context=context().request_context)
    anyio.run(reporter(ctx).say, "a note")  # type: ignore[arg-type]
    assert seen == [True]
