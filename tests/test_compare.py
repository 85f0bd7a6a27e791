"""compare_with_newest, cheap first: the lock entry, then name and description, then the content (issue 15 §1).

The real client in-process against the emulator on loopback; its request record shows what each step cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from conftest import API_KEY, Emulator, write_skill
from test_content_hash import package_of

from skills_mcp.api.upload import SkillsAPI
from skills_mcp.config import Settings
from skills_mcp.skill.content_hash import content_hash
from skills_mcp.skill.packaging import Package
from skills_mcp.workflows.compare import CompareFailed, Comparison, compare_with_newest
from skills_mcp.workflows.lockfile import LockEntry

T = TypeVar("T")
FILES = {"scripts/x.py": "print(1)\n", "data/a.txt": "a\n"}
DESCRIPTION = "Fill in PDF forms. Use when the user has a PDF form."


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)


def with_client(api: Emulator, work: Callable[[SkillsAPI], Awaitable[T]]) -> T:
    async def run() -> T:
        client = SkillsAPI(Settings(base_url=api.url))
        try:
            return await work(client)
        finally:
            await client.aclose()

    return anyio.run(run)


def uploaded(api: Emulator, folder: Path) -> str:
    """The folder as a skill of the emulator, stored directly: the skill id."""
    files = [(f"{folder.name}/{p.relative_to(folder).as_posix()}", p.read_bytes()) for p in sorted(folder.rglob("*"))
             if p.is_file()]  # fmt: skip
    return api.state.store.create_skill(files, None, unique_title=False).id


def compare(api: Emulator, skill_id: str, package: Package, **kwargs: Any) -> Comparison:
    async def work(client: SkillsAPI) -> Comparison:
        skill = await client.get_skill(skill_id)
        api.state.requests.clear()  # count only what the comparison asks
        description = kwargs.pop("description", DESCRIPTION)
        return await compare_with_newest(client, skill, package, package.folder_name, description, **kwargs)

    return with_client(api, work)


def lock_for(api: Emulator, skill_id: str, comparison: Comparison, version: str | None = None) -> LockEntry:
    latest = api.state.store.skills[skill_id].latest
    assert latest is not None
    return LockEntry(
        folder="pdf-tools",
        skill_id=skill_id,
        version=version or latest.id,
        content_hash=comparison.local_hash,
        name="pdf-tools",
        published_at="2026-12-01T00:00:00Z",
        files={d.path: d.sha256 for d in comparison.digests},
    )


def requests(api: Emulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in api.state.requests]


def test_same_content_is_unchanged_by_its_content(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    result = compare(api, skill_id, package_of(folder))
    assert result.unchanged and result.decided_by == "content"
    assert result.local_hash == content_hash(result.digests) and result.local_hash.startswith("sha256:")
    assert any(r.endswith("/content") for r in requests(api))  # the one step that downloads
    assert result.changes is not None and result.changes.modified == []


def test_a_current_lock_entry_decides_with_no_request(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    lock = lock_for(api, skill_id, compare(api, skill_id, package_of(folder)))

    same = compare(api, skill_id, package_of(folder), lock=lock)
    assert same.unchanged and same.decided_by == "lock" and requests(api) == []

    (folder / "scripts/x.py").write_text("print(2)\n")
    (folder / "data/b.txt").write_text("b\n")
    (folder / "data/a.txt").unlink()
    changed = compare(api, skill_id, package_of(folder), lock=lock)
    assert not changed.unchanged and changed.decided_by == "lock" and requests(api) == []
    assert changed.changes is not None
    assert (changed.changes.added, changed.changes.removed, changed.changes.modified) == (
        ["data/b.txt"], ["data/a.txt"], ["scripts/x.py"]
    )  # fmt: skip


def test_a_lock_entry_names_frontmatter_changes_with_one_small_read(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    lock = lock_for(api, skill_id, compare(api, skill_id, package_of(folder)))
    write_skill(tmp_path, files=FILES, frontmatter="name: pdf-tools\ndescription: Something else entirely.\n")

    result = compare(api, skill_id, package_of(folder), lock=lock, description="Something else entirely.")

    assert result.decided_by == "lock" and result.changes is not None
    assert result.changes.modified == ["SKILL.md"] and result.changes.frontmatter == ["description"]
    assert [r for r in requests(api) if r.endswith("/content")] == []


def test_a_stale_lock_entry_is_not_trusted(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    lock = lock_for(api, skill_id, compare(api, skill_id, package_of(folder)), version="skillver_01OlderOne")
    lock.content_hash = "sha256:" + "0" * 64  # a lie that only a stale entry could tell
    result = compare(api, skill_id, package_of(folder), lock=lock)
    assert result.unchanged and result.decided_by == "content"


def test_a_new_description_decides_without_a_download(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    write_skill(tmp_path, files=FILES, frontmatter="name: pdf-tools\ndescription: New words.\n")

    result = compare(api, skill_id, package_of(folder), description="New words.")

    assert not result.unchanged and result.decided_by == "frontmatter"
    assert result.changes is not None and result.changes.frontmatter == ["description"]
    assert result.changes.complete is False
    assert [r for r in requests(api) if r.endswith("/content")] == []
    assert result.version is not None and result.version.description == DESCRIPTION


def test_detail_names_files_and_every_frontmatter_key(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    write_skill(tmp_path, files={**FILES, "new.md": "n\n"},
                frontmatter="name: pdf-tools\ndescription: New words.\nlicense: MIT\n")  # fmt: skip

    result = compare(api, skill_id, package_of(folder), description="New words.", detail=True)

    assert not result.unchanged and result.decided_by == "frontmatter"
    assert result.changes is not None and result.changes.complete
    assert result.changes.frontmatter == ["description", "license"]
    assert (result.changes.added, result.changes.modified) == (["new.md"], ["SKILL.md"])


def test_whitespace_alone_in_the_description_goes_to_the_content(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    result = compare(
        api, skill_id, package_of(folder), description="  Fill in PDF forms.\nUse when the user has a PDF form."
    )
    assert result.decided_by == "content" and result.unchanged


def test_a_version_that_cannot_be_downloaded_is_an_error(api: Emulator, tmp_path: Path) -> None:
    from skills_mcp.emulator import Fault

    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    api.state.faults.push(Fault(status=403, method="GET", path_prefix=f"/v1/skills/{skill_id}/versions/"))
    with pytest.raises(CompareFailed, match="reading that version failed"):
        compare(api, skill_id, package_of(folder))


def test_a_skill_with_no_version_differs(api: Emulator, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    latest = api.state.store.skills[skill_id].latest
    assert latest is not None
    api.state.store.delete_version(skill_id, latest.id, by_epoch=False)
    result = compare(api, skill_id, package_of(folder))
    assert not result.unchanged and result.decided_by == "no-version"
    assert result.changes is not None and result.changes.added == ["SKILL.md", "data/a.txt", "scripts/x.py"]


def test_a_new_description_decides_without_reading_the_files(api: Emulator, tmp_path: Path) -> None:
    """Step 2 needs only SKILL.md's frontmatter, which validation already parsed: the files are not hashed."""
    folder = write_skill(tmp_path, files=FILES)
    skill_id = uploaded(api, folder)
    write_skill(tmp_path, files=FILES, frontmatter="name: pdf-tools\ndescription: New words.\n")
    package = package_of(folder)
    (folder / "scripts/x.py").unlink()  # a read of the files now would fail: the package no longer matches disk

    result = compare(api, skill_id, package, description="New words.")

    assert result.decided_by == "frontmatter" and result.local_hash is None and result.digests == []
