from skills_mcp.cli.main import main

main()
