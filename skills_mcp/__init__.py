"""skills-mcp: publish local Agent Skills to the Anthropic Skills API from any MCP client."""

__version__ = "0.1.0"
