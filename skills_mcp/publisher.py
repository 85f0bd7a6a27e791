"""The publish path, free of MCP: folder → validation → package → API → version JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread

from .api_client import SkillsAPI
from .errors import InvalidSkill
from .packaging import Package, Progress
from .problems import Problem
from .validation import SkillCheck, check_folder, check_skill_id


async def create_skill_version(
    api: SkillsAPI, allowed: Sequence[Path], skill_id: str, path: str, *, on_progress: Progress | None = None
) -> dict[str, Any]:
    """Validate everything first; a refused publish sends nothing."""
    problems = check_skill_id(skill_id)
    check = await anyio.to_thread.run_sync(check_folder, path, allowed)  # file system work off the event loop
    package = _package(check, problems)
    return await api.create_skill_version(skill_id, package, on_progress=on_progress)


def _package(check: SkillCheck, earlier: list[Problem]) -> Package:
    problems = earlier + check.problems
    if problems or check.scan is None:
        raise InvalidSkill(problems)
    return Package(check.folder_name, check.scan.files)
