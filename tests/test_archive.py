"""A packaged skill (.skill/.zip): read with the download rules, validated like a folder, sent as its parts."""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skill_factory import make_skill

from skills_mcp.errors import UploadAborted
from skills_mcp.limits import MAX_UPLOAD_BYTES
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.parts import FolderScan
from skills_mcp.skill.validation import SkillCheck, check_folder

URL = "http://x/v1/skills/s/versions"
FIXED = {"Content-Type": "multipart/form-data; boundary=one-boundary-for-both"}
EVALS = "evaluation fixtures (skill-creator leaves a root evals/ out too)"

FILES: dict[str, bytes | str] = {
    "scripts/fill.py": "print('fill')\n",
    "reference/forms.md": "# Forms\n" * 200,
    "assets/blob.bin": bytes(range(256)) * 8 + b"\r\n--\r\n",
    "assets/empty.txt": b"",
    "docs/naïve résumé.md": "é",
    "docs/evals/case.md": "kept: only a root evals/ is left out",
    "evals/evals.json": "[]",
    "node_modules/left-pad/index.js": "module.exports = 1\n",
    "tools/env/pyvenv.cfg": "home = /usr\n",
    "tools/env/lib/site.py": "x\n",
    ".env": "ANTHROPIC_API_KEY=secret\n",
    ".env.example": "ANTHROPIC_API_KEY=\n",
    "build/out.log": "noise\n",
    ".skillignore": "*.log\n!.env.example\n",
}


def pack(folder: Path, archive: Path, *, folders: bool = False, method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Zip `folder` as skill-creator's package_skill.py does: entries `<name>/<path>`, relative to its parent.

    `folders`: also write folder entries, as `zip -r` does.
    """
    with zipfile.ZipFile(archive, "w", method) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() or folders:
                zf.write(path, path.relative_to(folder.parent).as_posix())
    return archive


def write_zip(archive: Path, entries: dict[str, bytes | str], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(archive, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return archive


def check(path: Path) -> SkillCheck:
    return check_folder(str(path), [path.parent])


def messages(result: SkillCheck) -> list[str]:
    return [str(p) for p in result.problems]


def package_of(result: SkillCheck) -> Package:
    assert result.ok and result.scan is not None, messages(result)
    return result.package()


def body(package: Package) -> bytes:
    request = httpx2.Request("POST", URL, files=package.multipart_files(), headers=FIXED)
    data = request.read()
    assert int(request.headers["content-length"]) == len(data)
    return data


def listing(scan: FolderScan | None) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    assert scan is not None
    return [(f.relpath, f.size) for f in scan.files], [(s.relpath, s.reason) for s in scan.skipped]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_skill(tmp_path / "src", "pdf-tools", FILES)


# ------------------------------------------------------------------------------- the same as a folder


@pytest.mark.parametrize("folders", [False, True], ids=["package_skill-style", "zip-r-style"])
@pytest.mark.parametrize("suffix", [".skill", ".zip", ".SKILL"])
def test_an_archive_validates_and_leaves_out_exactly_as_its_folder(
    folder: Path, tmp_path: Path, suffix: str, folders: bool
) -> None:
    archive = check(pack(folder, tmp_path / f"pdf-tools{suffix}", folders=folders))
    unpacked = check(folder)
    assert archive.ok, messages(archive)
    assert archive.folder_name == "pdf-tools" and archive.root == tmp_path / f"pdf-tools{suffix}"
    assert archive.frontmatter == unpacked.frontmatter
    assert listing(archive.scan) == listing(unpacked.scan)
    files, skipped = listing(archive.scan)
    assert "docs/evals/case.md" in [f for f, _ in files]
    assert ("evals/", EVALS) in skipped and ("tools/env/", "Python virtualenv") in skipped


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_the_wire_is_the_unpacked_folders_byte_for_byte(folder: Path, tmp_path: Path, method: int) -> None:
    archive = package_of(check(pack(folder, tmp_path / "pdf-tools.skill", method=method)))
    unpacked = package_of(check(folder))
    assert archive.filenames() == unpacked.filenames()
    assert body(archive) == body(unpacked)
    assert body(archive) == body(archive)  # a retry streams the entries again from the start


def test_skillignore_in_the_archive_can_re_include_evals(tmp_path: Path) -> None:
    folder = make_skill(tmp_path / "src", "pdf-tools", {".skillignore": "!evals/\n", "evals/evals.json": "[]"})
    files, _ = listing(check(pack(folder, tmp_path / "pdf-tools.skill")).scan)
    assert [f for f, _ in files] == ["SKILL.md", "evals/evals.json"]


def test_the_archive_name_does_not_matter_its_top_folder_does(folder: Path, tmp_path: Path) -> None:
    result = check(pack(folder, tmp_path / "pdf-tools-1.2-final.zip"))
    assert result.ok and result.folder_name == "pdf-tools"
    assert "pdf-tools/SKILL.md" in package_of(result).filenames()


def test_the_archive_file_name_may_hold_what_a_folder_name_may_not(folder: Path, tmp_path: Path) -> None:
    result = check(pack(folder, tmp_path / 'pdf-tools "final".skill'))
    assert result.ok, messages(result)


def test_a_top_folder_name_the_upload_would_change_is_a_problem(tmp_path: Path) -> None:
    result = check(write_zip(tmp_path / "x.skill", {'pdf"tools/SKILL.md': "---\nname: x\n---\n"}))
    assert messages(result)[0].startswith("path: the archive's folder name 'pdf\"tools' holds a '\"'"), messages(result)


def test_the_skill_md_name_must_equal_the_top_folder(tmp_path: Path) -> None:
    folder = make_skill(tmp_path / "src", "pdf-tools")
    folder.rename(tmp_path / "src" / "pdf-toolz")
    result = check(pack(tmp_path / "src" / "pdf-toolz", tmp_path / "pdf-tools.skill"))
    assert any(
        p.startswith("SKILL.md: name:") and "'pdf-tools'" in p and "'pdf-toolz'" in p for p in messages(result)
    ), messages(result)


def test_problems_name_the_entries_inside(tmp_path: Path) -> None:
    skill_md = (make_skill(tmp_path / "src", "pdf-tools") / "SKILL.md").read_text()
    archive = write_zip(
        tmp_path / "pdf-tools.skill",
        {
            "pdf-tools/SKILL.md": skill_md,
            'pdf-tools/docs/say "hi".md': "x",
            "pdf-tools/big.bin": b"\0" * (MAX_UPLOAD_BYTES + 1),
        },
    )
    result = check(archive)
    shown = messages(result)
    assert any(p.startswith('docs/say "hi".md: the file name holds a') for p in shown), shown
    assert any(p.startswith("folder: holds 30,000,") and "big.bin" in p for p in shown), shown


def test_a_missing_skill_md_says_where_it_belongs(tmp_path: Path) -> None:
    result = check(write_zip(tmp_path / "x.skill", {"pdf-tools/skill.md": "---\n", "pdf-tools/a.txt": "a"}))
    assert messages(result) == [
        "SKILL.md: is missing; found 'skill.md', but the name must be exactly SKILL.md. "
        "Fix: rename 'skill.md' to SKILL.md."
    ]
    result = check(write_zip(tmp_path / "y.skill", {"pdf-tools/a.txt": "a"}))
    assert len(result.problems) == 1 and "(in the archive, <name>/SKILL.md)" in result.problems[0].message


# --------------------------------------------------------------------------- refused like a download


def symlink_entry(zf: zipfile.ZipFile, name: str, target: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    zf.writestr(info, target)


def central_records(data: bytes | bytearray) -> list[int]:
    """Where each central-directory record starts (its uncompressed size is at +24, its name at +46)."""
    found = []
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        found.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return found


def declared_size(archive: Path, size: int) -> None:
    """Rewrite every central-directory entry's uncompressed size: a bomb's claim, without its bytes."""
    data = bytearray(archive.read_bytes())
    for at in central_records(data):
        struct.pack_into("<I", data, at + 24, size)
    archive.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param({"pdf-tools/../evil.txt": "x"}, "entry pdf-tools/../evil.txt: has a '..' segment", id="dotdot"),
        pytest.param({"/pdf-tools/x.txt": "x"}, "entry /pdf-tools/x.txt: is an absolute path", id="absolute"),
        pytest.param({"pdf-tools/a\\b.txt": "x"}, "has a backslash in its name", id="backslash"),
        pytest.param({"pdf-tools/c:x": "x"}, "has a colon in its name", id="colon"),
        pytest.param({"other/x.txt": "x"}, "entry other/x.txt: is not inside the skill's folder", id="two-tops"),
    ],
)
def test_unsafe_entries_are_refused_naming_them(tmp_path: Path, entries: dict[str, str], expected: str) -> None:
    archive = write_zip(tmp_path / "pdf-tools.skill", {"pdf-tools/SKILL.md": "---\n", **entries})
    result = check(archive)
    assert len(result.problems) == 1 and expected in str(result.problems[0]), messages(result)
    assert "the rules that guard downloads" in result.problems[0].message and result.scan is None


def test_a_symlink_entry_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "pdf-tools.skill"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pdf-tools/SKILL.md", "---\n")
        symlink_entry(zf, "pdf-tools/passwd", "/etc/passwd")
    assert messages(check(archive)) == [
        "entry pdf-tools/passwd: is a symbolic link; archives are read with the rules that guard downloads. "
        "Fix: pack the skill folder again (skill-creator's package_skill.py), or pass the folder itself."
    ]


def test_a_bomb_is_refused_by_its_declared_size_before_any_byte_is_read(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "pdf-tools.skill", {"pdf-tools/SKILL.md": "---\n", "pdf-tools/a": "a"})
    declared_size(archive, 0xFFFFFFF0)
    [problem] = check(archive).problems
    assert "it would unpack to" in problem.message and "more than the 100000000 allowed" in problem.message


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param({"SKILL.md": "---\n"}, "holds 'SKILL.md' at its top", id="files-at-the-top"),
        pytest.param({}, "is empty", id="empty"),
    ],
)
def test_an_archive_without_its_top_folder_says_how_to_pack_it(
    tmp_path: Path, entries: dict[str, str], expected: str
) -> None:
    [problem] = check(write_zip(tmp_path / "pdf-tools.zip", entries)).problems
    assert problem.where == "path" and expected in problem.message and "zip -r" in problem.fix


def test_a_damaged_entry_is_found_while_validating(tmp_path: Path) -> None:
    """A bad CRC-32 or a size its header does not match: named now, and nothing is sent."""
    skill_md = (make_skill(tmp_path / "src", "pdf-tools") / "SKILL.md").read_text()
    entries = {"pdf-tools/SKILL.md": skill_md, "pdf-tools/z.txt": "validated text"}
    archive = write_zip(tmp_path / "pdf-tools.skill", entries, method=zipfile.ZIP_STORED)
    data = bytearray(archive.read_bytes())
    data[data.index(b"validated text")] ^= 0xFF
    archive.write_bytes(bytes(data))
    [problem] = check(archive).problems
    assert problem.where == "z.txt" and problem.message.startswith("is damaged in the archive (Bad CRC-32")

    write_zip(archive, entries)  # deflated: the stream ends where it ends, whatever the header says
    data = bytearray(archive.read_bytes())
    at = next(i for i in central_records(data) if data[i + 46 : i + 46 + 15] == b"pdf-tools/z.txt")
    struct.pack_into("<I", data, at + 24, len("validated text") + 5)  # its uncompressed size
    archive.write_bytes(bytes(data))
    [problem] = check(archive).problems
    assert (
        problem.where == "z.txt"
        and problem.message == "is damaged in the archive: it holds 14 bytes where its header says 19."
    )


def test_a_zip_version_from_the_future_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "pdf-tools.skill", {"pdf-tools/SKILL.md": "---\n"})
    data = bytearray(archive.read_bytes())
    struct.pack_into("<H", data, data.index(b"PK\x01\x02") + 6, 99)  # version needed to extract: 9.9
    archive.write_bytes(bytes(data))
    [problem] = check(archive).problems
    assert "is not a zip archive, or a damaged one (zip file version 9.9)" in problem.message


def test_not_a_zip_is_a_clear_problem(tmp_path: Path) -> None:
    fake = tmp_path / "pdf-tools.skill"
    fake.write_bytes(b"not a zip at all")
    [problem] = check(fake).problems
    assert problem.where == "path" and "is not a zip archive, or a damaged one" in problem.message


def test_an_archive_outside_the_allowed_folders_is_refused(folder: Path, tmp_path: Path) -> None:
    archive = pack(folder, tmp_path / "pdf-tools.skill")
    result = check_folder(str(archive), [tmp_path / "src"])
    assert "is outside the folders this server may read" in messages(result)[0]


# ------------------------------------------------------------------ what was validated is what is sent


def test_an_archive_replaced_after_validation_stops_the_upload(folder: Path, tmp_path: Path) -> None:
    archive = pack(folder, tmp_path / "pdf-tools.skill")
    package = package_of(check(archive))
    (folder / "scripts" / "fill.py").write_text("print('evil')\n")
    pack(folder, tmp_path / "new.skill").replace(archive)  # a new file (inode) in its place
    request = httpx2.Request("POST", URL, files=package.multipart_files())
    with pytest.raises(UploadAborted, match="the archive was changed or replaced after it was validated"):
        request.read()


def test_an_entry_rewritten_in_place_is_caught_by_its_crc_as_it_streams(tmp_path: Path) -> None:
    """Same file, same size, same modification time: only the bytes of one entry differ."""
    skill_md = (make_skill(tmp_path / "src", "pdf-tools") / "SKILL.md").read_text()
    archive = write_zip(
        tmp_path / "pdf-tools.skill",
        {"pdf-tools/SKILL.md": skill_md, "pdf-tools/z.txt": "validated text"},
        method=zipfile.ZIP_STORED,
    )
    package = package_of(check(archive))
    before = archive.stat()
    data = archive.read_bytes()
    with open(archive, "r+b") as f:  # the same inode
        f.seek(data.index(b"validated text"))
        f.write(b"tampered! text")
    os.utime(archive, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert archive.stat().st_size == before.st_size and archive.stat().st_ino == before.st_ino
    request = httpx2.Request("POST", URL, files=package.multipart_files())
    with pytest.raises(UploadAborted, match=r"z\.txt in the archive is not what was validated .*stopped"):
        request.read()


def test_an_entry_whose_crc_changed_in_the_directory_is_refused_before_it_is_read(tmp_path: Path) -> None:
    skill_md = (make_skill(tmp_path / "src", "pdf-tools") / "SKILL.md").read_text()
    archive = write_zip(tmp_path / "pdf-tools.skill", {"pdf-tools/SKILL.md": skill_md, "pdf-tools/z.txt": "aaaa"})
    package = package_of(check(archive))
    before = archive.stat()
    rewritten = tmp_path / "rewritten.skill"
    write_zip(rewritten, {"pdf-tools/SKILL.md": skill_md, "pdf-tools/z.txt": "bbbb"})
    assert rewritten.stat().st_size == before.st_size
    with open(archive, "r+b") as f:  # same inode, size and time; other bytes and CRC
        f.write(rewritten.read_bytes())
    os.utime(archive, ns=(before.st_atime_ns, before.st_mtime_ns))
    request = httpx2.Request("POST", URL, files=package.multipart_files())
    with pytest.raises(UploadAborted, match=r"z\.txt changed in the archive after it was validated"):
        request.read()


# ------------------------------------------------------------------------------ a property, both ways

SEGMENTS = ["a", "b", "evals", "docs", "node_modules", ".env", ".git", "__pycache__", "x.pyc", "pyvenv.cfg",
            "id_rsa", "notes.log", "é", "with space", ".skillignore", "SKILL.md"]  # fmt: skip
TREE = st.dictionaries(
    st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map("/".join),
    st.binary(max_size=40),
    max_size=12,
)
SKILLIGNORE = st.sampled_from(["", "*.log\n", "!evals/\n", "!.env\n", "docs/\n!docs/a\n", "b\n"])


@settings(max_examples=60, deadline=None)
@given(tree=TREE, skillignore=SKILLIGNORE)
def test_any_tree_reads_the_same_from_its_archive_and_sends_the_same_bytes(
    tmp_path_factory: pytest.TempPathFactory, tree: dict[str, bytes], skillignore: str
) -> None:
    """Whatever the tree, its archive is left out, validated and sent exactly as the folder is."""
    # A path may not be both a file and a folder (`a` and `a/b`): keep the first of each clash.
    files: dict[str, bytes | str] = {}
    for path, data in tree.items():
        clash = any(path.startswith(f + "/") or f.startswith(path + "/") for f in files)
        if not clash and path.partition("/")[0] != "SKILL.md":
            files[path] = data
    if skillignore and not any(f.startswith(".skillignore/") for f in files):
        files[".skillignore"] = skillignore
    base = tmp_path_factory.mktemp("tree")
    folder = make_skill(base / "src", "pdf-tools", files)
    archive = check(pack(folder, base / "pdf-tools.skill"))
    unpacked = check(folder)
    assert listing(archive.scan) == listing(unpacked.scan)
    assert messages(archive) == messages(unpacked)
    if unpacked.ok:
        assert body(package_of(archive)) == body(package_of(unpacked))
