"""The command line: the parser and the subcommands, on the same core as the MCP tools."""
