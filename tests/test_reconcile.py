"""The "did it land?" comparison: a stored archive against our files, by the names as they went on the wire."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import anyio
import httpx2
import pytest
from conftest import API_KEY, Emulator

from skills_mcp.api.models import SkillVersion
from skills_mcp.api.upload import SkillsAPI
from skills_mcp.config import Settings
from skills_mcp.emulator import Fault
from skills_mcp.skill.packaging import Package, wire_filename
from skills_mcp.skill.parts import SkillFile
from skills_mcp.skill.reopen import Identity, Root

# Names the multipart encoding alters (validation refuses them, so they are built here by hand).
ODD_NAMES = ['say "hi".txt', "two\nlines.txt", "cr\rlf.txt", "back\\slash.txt", "tab\there.txt", "100%.txt"]


def as_validated(path: Path, relpath: str) -> SkillFile:
    """`path` as validation records it, under the name `relpath`, its folder as the skill folder."""
    root = Root(str(path.parent), Identity.of(path.parent.stat()))
    return SkillFile(relpath, str(path), path.name, Identity.of(path.stat()), root)


def package_of(tmp_path: Path, names: list[str]) -> Package:
    files = []
    for i, name in enumerate(names):
        (tmp_path / f"f{i}").write_bytes(f"content of {name!r}\n".encode())
        files.append(as_validated(tmp_path / f"f{i}", name))
    skill_md = tmp_path / "SKILL.md"
    skill_md.write_text("---\nname: odd\ndescription: Odd names. Use in tests.\n---\n# Odd\n")
    return Package("odd", [as_validated(skill_md, "SKILL.md"), *files])


def sent_filenames(package: Package) -> list[str]:
    """The filename parameters as httpx2 writes them into the body, read as a quoted string (`\\x` is `x`)."""
    request = httpx2.Request("POST", "http://x/", files=package.multipart_files())
    quoted = re.findall(r'filename="((?:[^"\\]|\\.)*)"', request.read().decode())
    return [re.sub(r"\\(.)", r"\1", value) for value in quoted]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_wire_filename_is_what_the_encoder_sends(name: str, tmp_path: Path) -> None:
    package = package_of(tmp_path, [name])
    assert sent_filenames(package) == [wire_filename(n) for n in package.filenames()]


def test_a_stored_archive_matches_by_the_names_as_sent(tmp_path: Path) -> None:
    package = package_of(tmp_path, ODD_NAMES)
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w") as zf:  # what a server that keeps the names as received stores
        for name, file in zip(sent_filenames(package), package.files, strict=True):
            zf.writestr(name, Path(file.path).read_bytes())
    stored.seek(0)
    assert package.same_content(stored)

    changed = io.BytesIO()
    with zipfile.ZipFile(changed, "w") as zf:
        for name, file in zip(sent_filenames(package), package.files, strict=True):
            zf.writestr(name, Path(file.path).read_bytes() + b"!")
    changed.seek(0)
    assert not package.same_content(changed)


def test_a_lost_answer_for_odd_names_is_found_not_sent_again(
    api: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real client against the emulator: the version landed, its answer was lost; no duplicate."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    package = package_of(tmp_path, ['say "hi".txt', "two\nlines.txt"])
    skill_id = api.state.store.create_skill([("odd/SKILL.md", Path(package.files[0].path).read_bytes())], None,
                                            unique_title=False).id  # fmt: skip
    api.state.faults.push(Fault(kind="drop_after_body", method="POST", path_prefix=f"/v1/skills/{skill_id}/versions"))

    async def run() -> SkillVersion:
        client = SkillsAPI(Settings(base_url=api.url))
        try:
            return await client.create_skill_version(skill_id, package)
        finally:
            await client.aclose()

    version = anyio.run(run)
    versions = api.state.store.skills[skill_id].versions
    assert len(versions) == 2  # the first, and the one whose answer was lost: not sent again
    assert version.id == versions[-1].id
    received = [name for _field, name, _data in api.state.uploads()[-1].files]
    assert received == [wire_filename(n) for n in package.filenames()]  # as a real multipart parser reads them
