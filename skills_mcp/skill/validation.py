"""Everything checked before a request is sent, with every problem reported at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skills_mcp.errors import UploadAborted
from skills_mcp.limits import MAX_FILES, MAX_SKILL_MD_BYTES, MAX_UPLOAD_BYTES
from skills_mcp.problems import Problem, shown
from skills_mcp.skill import skill_md
from skills_mcp.skill.folder import scan_folder
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.parts import FolderScan, SkillFile
from skills_mcp.skill.paths import display_name, resolve_allowed, wire_name_problem
from skills_mcp.skill.reopen import Opener


@dataclass
class SkillCheck:
    """The outcome of validating a folder. `scan` is present whenever the folder could be walked."""

    folder_name: str
    root: Path | None
    scan: FolderScan | None
    frontmatter: dict[str, Any] | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def package(self) -> Package:
        """The upload of a folder that passed: call only when `ok`."""
        assert self.scan is not None
        return Package(self.folder_name, self.scan.files, self.scan.archive, self.frontmatter or {})


def check_folder(raw_path: str, allowed: Sequence[Path]) -> SkillCheck:
    """Validate a skill folder: location, SKILL.md and its frontmatter, contents and size."""
    root, problems = resolve_allowed(raw_path, allowed)
    if root is None:
        return SkillCheck("", None, None, None, problems)
    name = display_name(raw_path)
    bad_name = wire_name_problem(name)
    if bad_name is not None:  # every file is sent as <folder name>/<path>
        problems.append(
            Problem("path", f"the folder name '{shown(name)}' {bad_name}.", "rename the folder to the skill's name.")
        )
        name = shown(name)
    try:
        root.stat()
    except FileNotFoundError:
        return SkillCheck(
            name, root, None, None, [Problem("path", f"{shown(str(root))} does not exist.", "check the path.")]
        )
    except OSError as exc:  # a name too long, a loop of links, no permission on a parent ...
        problem = Problem("path", f"{shown(str(root))} cannot be read: {exc.strerror or exc}.", "check the path.")
        return SkillCheck(name, root, None, None, [problem])
    if root.is_file() and root.suffix.lower() in (".skill", ".zip"):
        return _check_archive(root)  # its own name does not matter: the folder inside it names the skill
    if not root.is_dir():
        return SkillCheck(
            name,
            root,
            None,
            None,
            [
                Problem(
                    "path",
                    f"{shown(str(root))} is a file, not a folder (nor a .skill or .zip archive).",
                    "pass the skill folder that holds SKILL.md, or a .skill/.zip archive of it.",
                )
            ],
        )

    scan = scan_folder(root)
    return _check_contents(name, root, scan, problems, lambda: [p.name for p in root.iterdir()])


def _check_archive(path: Path) -> SkillCheck:
    """A .skill/.zip archive, validated as the folder inside it would be; its top folder names it."""
    from skills_mcp.skill.archive import scan_archive  # deferred: zipfile and the unpack rules only for an archive

    found = scan_archive(path)
    problems: list[Problem] = []
    name = found.name
    bad_name = wire_name_problem(name) if name else None
    if bad_name is not None:
        fix = "rename the skill folder to the skill's name, and pack it again."
        problems.append(Problem("path", f"the archive's folder name '{shown(name)}' {bad_name}.", fix))
        name = shown(name)
    if found.scan.archive is None:  # not read as a skill archive at all
        return SkillCheck(name, path, None, None, problems + found.scan.problems)
    return _check_contents(name, path, found.scan, problems, lambda: found.top_names)


def _check_contents(
    name: str, root: Path, scan: FolderScan, problems: list[Problem], top_names: Callable[[], list[str]]
) -> SkillCheck:
    """What a folder and an archive share: SKILL.md and its frontmatter, the file count and the size."""
    problems += scan.problems
    frontmatter: dict[str, Any] | None = None
    skill_file = next((f for f in scan.files if f.relpath == skill_md.SKILL_MD), None)
    if skill_file is None:
        missing = _missing_skill_md(root, scan, top_names)
        problems += [missing] if missing else []
    else:
        raw, found = _read_skill_md(skill_file, scan)
        problems += found
        if raw is not None:
            frontmatter, found = skill_md.check_skill_md(raw, name)
            problems += found
    if scan.too_many:
        problems.append(
            Problem(
                "folder",
                f"holds more than {MAX_FILES:,} files to upload, the most one upload may hold.",
                "list generated or bulky folders in .skillignore, or pack many small files into an archive.",
            )
        )
    if scan.total_bytes > MAX_UPLOAD_BYTES:  # with too many files, of those found before the walk stopped
        largest = sorted(scan.files, key=lambda f: f.size, reverse=True)[:3]
        problems.append(
            Problem(
                "folder",
                f"holds {scan.total_bytes:,} bytes ({_mb(scan.total_bytes)}) to upload; the Skills API limit is "
                f"{MAX_UPLOAD_BYTES:,} bytes in all. "
                f"Largest: {', '.join(f'{f.relpath} ({_mb(f.size)})' for f in largest)}.",
                "remove large files or list them in .skillignore.",
            )
        )
    return SkillCheck(name, root, scan, frontmatter, problems)


def _read_skill_md(file: SkillFile, scan: FolderScan) -> tuple[bytes | None, list[Problem]]:
    """SKILL.md's bytes, read only when its size (known from the walk) is within the cap."""
    if file.size > MAX_SKILL_MD_BYTES:
        return None, [
            Problem(
                skill_md.SKILL_MD,
                f"is {file.size:,} bytes; the limit is {MAX_SKILL_MD_BYTES:,} (the skills guide asks for under "
                "500 lines).",
                "keep SKILL.md short and move reference material into other files of the skill that it points to.",
            )
        ]
    try:
        if scan.archive is not None:
            from skills_mcp.skill.archive import ArchiveOpener

            return ArchiveOpener(scan.archive).read_all(file), []
        opener = Opener(file.root)
        try:
            return opener.read_all(file.relpath, file.real, file.identity), []
        finally:
            opener.close()
    except UploadAborted as exc:  # changed or replaced since the walk, a moment ago
        return None, [Problem(skill_md.SKILL_MD, f"could not be read: {exc}", "check it, and try again.")]


def _missing_skill_md(root: Path, scan: FolderScan, top_names: Callable[[], list[str]]) -> Problem | None:
    """Why there is no SKILL.md to upload, unless the scan already said so (a bad symlink, say)."""
    if any(p.where == skill_md.SKILL_MD for p in scan.problems):
        return None
    skipped = next((s for s in scan.skipped if s.relpath == skill_md.SKILL_MD), None)
    if skipped is not None:
        fix = (
            "remove that line from .skillignore."
            if skipped.reason.startswith(".skillignore")
            else ("make SKILL.md a regular file.")
        )
        return Problem(skill_md.SKILL_MD, f"is left out ({skipped.reason}).", fix)
    near = [n for n in top_names() if n.lower() == "skill.md" and n != skill_md.SKILL_MD]
    if near:
        return Problem(
            skill_md.SKILL_MD,
            f"is missing; found '{near[0]}', but the name must be exactly SKILL.md.",
            f"rename '{near[0]}' to SKILL.md.",
        )
    return Problem(
        skill_md.SKILL_MD,
        f"is missing from {shown(str(root))}; it must sit at the top of the skill folder"
        + (" (in the archive, <name>/SKILL.md)." if scan.archive is not None else "."),
        "pass the folder that directly contains SKILL.md, or create it with name and description frontmatter.",
    )


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
