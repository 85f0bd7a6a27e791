"""The MCP surface: the server and its tools, and the streamable HTTP transport."""
