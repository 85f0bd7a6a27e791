"""The MCP server: every tool of tools.py and as_code.py, in the mode the settings name.

Apart from tools.py so that as_code.py (which reuses tools.py's helpers) is not imported back by it.
"""

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from mcp.server.mcpserver import MCPServer

from skills_mcp import __version__
from skills_mcp.api.wire import Wire
from skills_mcp.config import Settings
from skills_mcp.server import as_code
from skills_mcp.server.tools import INSTRUCTIONS, TOOLS, AppState, _in_mode


def build_server(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> MCPServer:
    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[AppState]:
        state = AppState(settings, transport)
        try:
            yield state
        finally:
            if state.client is not None:
                await state.client.aclose()
            elif transport is not None:
                await transport.aclose()

    server = MCPServer("skills-publisher-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan)
    for tool, title, hints in TOOLS + as_code.TOOLS:
        described = _in_mode(tool, Wire.of(settings.beta))  # the description as clients show it: dedented
        server.add_tool(
            described, title=title, description=inspect.cleandoc(described.__doc__ or ""), annotations=hints
        )
    return server
