"""The floor for cold start: a bare MCPServer with one tool, as small as an mcp 2.x server gets."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("minimal")


@server.tool()
def ping(text: str) -> str:
    """Echo."""
    return text


if __name__ == "__main__":
    server.run()
