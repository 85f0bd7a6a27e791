"""The package's layout as issue 14 asks for it: no import circle, and the client never imports the
"did it land?" logic that sits above it. Read from the source (every import counts, deferred or not)."""

from __future__ import annotations

import ast
from pathlib import Path

import skills_mcp

PACKAGE = Path(skills_mcp.__file__).parent


def imports() -> dict[str, set[str]]:
    """Each module of the package, and the modules of the package it imports anywhere in its source."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found: set[str] = set()
        package = ".".join(parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""  # `from .x` / `from ..x`
                module = ".".join(filter(None, [base, node.module or ""]))
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.startswith("skills_mcp"))
        graph[name] = found
    return {name: {m for m in found if m in graph and m != name} for name, found in graph.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every module from which an import path leads back to itself, with that path."""
    found = []
    for start in sorted(graph):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    found.append([*path, start])
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return found


def test_no_module_of_the_publish_path_imports_itself_in_a_circle() -> None:
    """The publish path: everything but the emulator, a model of the API's side with a layout of its own."""
    graph = {name: found for name, found in imports().items() if not name.startswith("skills_mcp.emulator")}
    assert circles({name: found & graph.keys() for name, found in graph.items()}) == []


def test_the_client_never_imports_what_sits_above_it() -> None:
    below = imports()["skills_mcp.api.client"]
    assert not below & {"skills_mcp.api.landed", "skills_mcp.api.upload"}
    assert not any(m.startswith(("skills_mcp.workflows", "skills_mcp.server", "skills_mcp.cli")) for m in below)


def test_the_emulator_has_no_import_circle_either() -> None:
    """The README's layout promise covers the whole package: the emulator's routes see its state through a
    protocol, and the request record lives with the form reader that fills it."""
    graph = imports()
    emulator = {name: found for name, found in graph.items() if name.startswith("skills_mcp.emulator")}
    assert circles({name: found & emulator.keys() for name, found in emulator.items()}) == []
