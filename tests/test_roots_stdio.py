"""Client roots: with no --allow-dir, the folders the client names are the allowed ones, decoded exactly once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
from conftest import server_command, write_skill
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientRequestContext
from mcp.client.stdio import stdio_client
from mcp.types import ListRootsResult, Root


def _validate_with_roots(tmp_path: Path, uris: list[str], paths: list[Path]) -> list[Any]:
    """Ask a real server (no --allow-dir, roots from this client) to validate each path in turn."""

    async def roots(_context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=uri) for uri in uris])  # type: ignore[arg-type]

    async def session() -> list[Any]:
        params = StdioServerParameters(command=server_command(), args=["--local", "--data-dir", str(tmp_path / "data")])
        with (tmp_path / "stderr.log").open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), list_roots_callback=roots) as client:
                return [await client.call_tool("validate_skill", {"path": str(p)}) for p in paths]

    return anyio.run(session)


def test_a_percent_encoded_root_is_decoded_once(tmp_path: Path) -> None:
    named = tmp_path / "pct%41"  # the root file:///.../pct%2541 names this folder, '%41' literally
    never_named = tmp_path / "pctA"  # what a second decoding would make of it
    inside, outside = write_skill(named), write_skill(never_named)
    uri = named.as_uri()
    assert uri.endswith("/pct%2541")

    allowed, refused = _validate_with_roots(tmp_path, [uri], [inside, outside])
    assert allowed.structured_content["ok"] is True, allowed.structured_content
    assert refused.structured_content["ok"] is False
    (problem,) = refused.structured_content["problems"]
    assert problem["message"] == f"{outside} is outside the folders this server may read ({named})."


def test_roots_with_spaces_and_unicode_are_allowed(tmp_path: Path) -> None:
    named = tmp_path / "my skills é"
    skill = write_skill(named)
    (result,) = _validate_with_roots(tmp_path, [named.as_uri()], [skill])
    assert result.structured_content["ok"] is True, result.structured_content
