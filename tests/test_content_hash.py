"""The content hash: one definition, the same for a folder, its packed archive and a version's content zip."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest
from conftest import write_skill

from skills_mcp.emulator.store import VersionRecord, zip_version
from skills_mcp.errors import UploadAborted
from skills_mcp.skill.content_hash import FileDigest, archive_digests, content_hash, package_digests
from skills_mcp.skill.packaging import Package
from skills_mcp.skill.unpack import UnsafeArchive
from skills_mcp.skill.validation import check_folder


def package_of(path: Path) -> Package:
    check = check_folder(str(path), [path.parent])
    assert check.ok and check.scan is not None, check.problems
    return check.package()


def zipped(entries: dict[str, bytes], **info: object) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zi = zipfile.ZipInfo(name)
            for key, value in info.items():
                setattr(zi, key, value)
            zf.writestr(zi, data)
    buffer.seek(0)
    return buffer


def test_the_definition_written_out_by_hand() -> None:
    a = FileDigest("SKILL.md", 3, hashlib.sha256(b"abc").hexdigest())
    b = FileDigest("scripts/x.py", 0, hashlib.sha256(b"").hexdigest())
    lines = sorted([f"{a.path}\0{a.size}\0{a.sha256}\n", f"{b.path}\0{b.size}\0{b.sha256}\n"])
    expected = "sha256:" + hashlib.sha256("".join(lines).encode()).hexdigest()
    assert content_hash([b, a]) == content_hash([a, b]) == expected


def test_the_hash_changes_with_a_byte_a_name_or_a_size() -> None:
    base = [FileDigest("SKILL.md", 3, "a" * 64)]
    assert content_hash(base) != content_hash([FileDigest("SKILL.md", 3, "b" * 64)])
    assert content_hash(base) != content_hash([FileDigest("skill.md", 3, "a" * 64)])
    assert content_hash(base) != content_hash([FileDigest("SKILL.md", 4, "a" * 64)])
    assert content_hash(base) != content_hash([*base, FileDigest("x", 0, "a" * 64)])


def test_a_folder_hashes_like_the_version_the_emulator_stores_from_it(tmp_path: Path) -> None:
    folder = write_skill(tmp_path, files={"scripts/fill.py": "print(1)\n", "ref/a b.txt": b"\x00\xff" * 100})
    (folder / ".env").write_text("SECRET=1\n")  # left out of the upload, so out of the hash
    package = package_of(folder)
    local = package_digests(package)
    assert [d.path for d in local] == ["SKILL.md", "ref/a b.txt", "scripts/fill.py"]
    assert local[1] == FileDigest("ref/a b.txt", 200, hashlib.sha256(b"\x00\xff" * 100).hexdigest())
    stored = {d.path: (folder / d.path).read_bytes() for d in local}
    record = VersionRecord("v", "s", "1", "pdf-tools", "d", "pdf-tools", "t", stored, 1)
    remote = archive_digests(io.BytesIO(zip_version(record)))
    assert remote == local
    assert content_hash(remote) == content_hash(local)


def test_a_packed_archive_hashes_like_its_folder(tmp_path: Path) -> None:
    folder = write_skill(tmp_path / "src", files={"scripts/fill.py": "print(1)\n"})
    archive = tmp_path / "pdf-tools.skill"
    with zipfile.ZipFile(archive, "w") as zf:
        for rel in ("SKILL.md", "scripts/fill.py"):
            zf.write(folder / rel, f"pdf-tools/{rel}")
    assert content_hash(package_digests(package_of(archive))) == content_hash(package_digests(package_of(folder)))


def test_the_folder_name_and_entry_order_do_not_count() -> None:
    one = archive_digests(zipped({"a/SKILL.md": b"x", "a/b/c": b"y"}))
    other = archive_digests(zipped({"zz/b/c": b"y", "zz/": b"", "zz/SKILL.md": b"x"}))
    assert one == other


def test_a_file_changed_after_validation_is_refused(tmp_path: Path) -> None:
    folder = write_skill(tmp_path)
    package = package_of(folder)
    (folder / "SKILL.md").write_bytes((folder / "SKILL.md").read_bytes() + b"more")
    with pytest.raises(UploadAborted, match=r"SKILL\.md"):
        package_digests(package)


@pytest.mark.parametrize(
    ("entries", "info", "reason"),
    [
        ({"a/SKILL.md": b"x", "a/../evil": b"y"}, {}, "'..'"),
        ({"a/SKILL.md": b"x", "b/other": b"y"}, {}, "not inside"),
        ({"a/SKILL.md": b"x"}, {"external_attr": (stat.S_IFLNK | 0o777) << 16}, "symbolic link"),
        ({"SKILL.md": b"x"}, {}, "where the folder"),
    ],
)
def test_what_unpack_refuses_is_refused(entries: dict[str, bytes], info: dict[str, object], reason: str) -> None:
    with pytest.raises(UnsafeArchive, match=reason):
        archive_digests(zipped(entries, **info))


def test_limits_count_real_bytes_and_entries() -> None:
    archive = zipped({"a/SKILL.md": b"x" * 1000, "a/b": b"y"})
    with pytest.raises(UnsafeArchive, match="more than the 500"):
        archive_digests(archive, max_bytes=500)
    with pytest.raises(UnsafeArchive, match="entries"):
        archive_digests(zipped({"a/SKILL.md": b"x", "a/b": b"y", "a/c": b"z"}), max_entries=2)


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(UnsafeArchive, match="not a zip"):
        archive_digests(io.BytesIO(b"PK but no zip at all"))
