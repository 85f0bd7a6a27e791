"""Unpacking a downloaded skill zip: a faithful round trip, and every hostile archive refused with nothing written."""

from __future__ import annotations

import io
import os
import stat
import struct
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, BinaryIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skills_mcp.errors import SkillsMcpError
from skills_mcp.skill.unpack import (
    MAX_DEPTH,
    DestinationExists,
    ReplaceFailed,
    UnpackedFile,
    UnsafeArchive,
    unpack_skill_zip,
)

NAME = "pdf-tools"


def build_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def files_zip(files: dict[str, bytes], name: str = NAME) -> io.BytesIO:
    return io.BytesIO(build_zip([(f"{name}/{path}", data) for path, data in files.items()]))


def tree(root: Path) -> dict[str, bytes | None]:
    """Everything under root, hidden entries included: files with their bytes, folders as None."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(root.rglob("*"))
    }


def patch_headers(data: bytes, *, local: tuple[int, str, int], central: tuple[int, str, int]) -> bytes:
    """Overwrite one field in every local header and every central-directory record.

    Each field is (offset inside the header, struct format, new value).
    """
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        pos = zf.start_dir
    for info in infos:
        offset, fmt, value = local
        struct.pack_into(fmt, out, info.header_offset + offset, value)
        assert out[pos : pos + 4] == b"PK\x01\x02"
        offset, fmt, value = central
        struct.pack_into(fmt, out, pos + offset, value)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, pos + 28)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(out)


@pytest.fixture
def destination(tmp_path: Path) -> Path:
    """A destination folder next to a bystander file, so an escape to its parent would be seen."""
    (tmp_path / "bystander.txt").write_bytes(b"untouched")
    dest = tmp_path / "dest"
    dest.mkdir()
    return dest.resolve()


def assert_refused(archive: BinaryIO | Path, destination: Path, match: str, **kwargs: Any) -> UnsafeArchive:
    """The archive is refused and the whole tmp_path tree, destination's parent included, is as it was."""
    before = tree(destination.parent)
    with pytest.raises(UnsafeArchive, match=match) as caught:
        unpack_skill_zip(archive, NAME, destination, **kwargs)
    assert tree(destination.parent) == before
    assert "Nothing was written" in str(caught.value)
    return caught.value


# --- the happy path ---------------------------------------------------------------------------------------------


def test_round_trip_nested_empty_and_non_ascii(destination: Path) -> None:
    files = {
        "SKILL.md": b"---\nname: pdf-tools\n---\n# PDF\n",
        "scripts/run.py": b"print('hi')\n",
        "scripts/lib/deep/util.py": bytes(range(256)) * 10,
        "empty.txt": b"",
        "donn\u00e9es/\u00e9t\u00e9.txt": "caf\u00e9".encode(),
        "\u65e5\u672c/\u8aac\u660e.md": b"\xe6\x97\xa5",
    }
    result = unpack_skill_zip(files_zip(files), NAME, destination)

    assert result == sorted((UnpackedFile(p, len(b)) for p, b in files.items()), key=lambda f: f.path)
    skill = destination / NAME
    assert {k: v for k, v in tree(skill).items() if v is not None} == files
    # Nothing else: no staging folder left beside it.
    assert sorted(p.name for p in destination.iterdir()) == [NAME]


def test_directory_entries_are_accepted_and_created(destination: Path) -> None:
    data = build_zip([(f"{NAME}/", b""), (f"{NAME}/empty/", b""), (f"{NAME}/SKILL.md", b"x")])
    result = unpack_skill_zip(io.BytesIO(data), NAME, destination)
    assert result == [UnpackedFile("SKILL.md", 1)]
    assert (destination / NAME / "empty").is_dir()


def test_archive_given_as_a_path(destination: Path, tmp_path: Path) -> None:
    zip_path = tmp_path / "skill.zip"
    zip_path.write_bytes(files_zip({"SKILL.md": b"hello"}).getvalue())
    assert unpack_skill_zip(zip_path, NAME, destination) == [UnpackedFile("SKILL.md", 5)]
    assert (destination / NAME / "SKILL.md").read_bytes() == b"hello"


def test_unpacked_files_are_regular_and_not_executable(destination: Path) -> None:
    info = zipfile.ZipInfo(f"{NAME}/run.sh")
    info.external_attr = (stat.S_IFREG | 0o4777) << 16  # setuid + world-writable in the archive
    unpack_skill_zip(io.BytesIO(build_zip([(info, b"#!/bin/sh\n")])), NAME, destination)
    mode = (destination / NAME / "run.sh").lstat().st_mode
    assert stat.S_ISREG(mode)
    assert mode & (stat.S_ISUID | stat.S_IXUSR | stat.S_IWOTH) == 0


# --- hostile entry names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        (f"{NAME}/../../evil.txt", r"'\.\.' segment"),
        (f"{NAME}/../dest-sibling.txt", r"'\.\.' segment"),
        ("/etc/x", "absolute path"),
        (f"/{NAME}/x", "absolute path"),
        (f"{NAME}\\..\\x", "backslash"),
        ("C:/x", "drive letter"),
        (f"{NAME}/C:x", "drive letter"),
        ("other/x", "not inside the skill's folder"),
        ("x.txt", "not inside the skill's folder"),
        (f"{NAME}-evil/x", "not inside the skill's folder"),
        (f"{NAME}/a\nb", "NUL or control"),
    ],
)
def test_unsafe_entry_names_refused(destination: Path, entry: str, match: str) -> None:
    # A good entry first: refusal must come before anything is written, not when the bad one is reached.
    data = build_zip([(f"{NAME}/SKILL.md", b"ok"), (entry, b"evil")])
    error = assert_refused(io.BytesIO(data), destination, match)
    assert error.entry == entry
    assert not (destination.parent / "evil.txt").exists()


def test_nul_in_entry_name_refused(destination: Path) -> None:
    # zipfile cuts a name at NUL when writing, so the NUL is put into the bytes afterwards.
    data = build_zip([(f"{NAME}/SKILL.md", b"ok"), (f"{NAME}/evil.txt#.md", b"evil")])
    data = data.replace(b"evil.txt#.md", b"evil.txt\x00.md")
    # zipfile's own reading shows the truncated name: a check on `filename` alone would miss it.
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[1] == f"{NAME}/evil.txt"
    error = assert_refused(io.BytesIO(data), destination, "NUL or control")
    assert error.entry == f"{NAME}/evil.txt\x00.md"


def test_symlink_entry_refused(destination: Path) -> None:
    link = zipfile.ZipInfo(f"{NAME}/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = build_zip([(f"{NAME}/SKILL.md", b"ok"), (link, b"/etc/passwd")])
    assert_refused(io.BytesIO(data), destination, "symbolic link")


def test_device_or_fifo_entry_refused(destination: Path) -> None:
    fifo = zipfile.ZipInfo(f"{NAME}/pipe")
    fifo.create_system = 3
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    data = build_zip([(f"{NAME}/SKILL.md", b"ok"), (fifo, b"")])
    assert_refused(io.BytesIO(data), destination, "not a regular file")


def test_duplicates_after_normalisation_refused(destination: Path) -> None:
    data = build_zip([(f"{NAME}/SKILL.md", b"one"), (f"{NAME}/./SKILL.md", b"two")])
    assert_refused(io.BytesIO(data), destination, "more than once")


def test_exact_duplicate_refused(destination: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = build_zip([(f"{NAME}/SKILL.md", b"one"), (f"{NAME}/SKILL.md", b"two")])
    assert_refused(io.BytesIO(data), destination, "more than once")


def test_file_that_is_also_a_folder_refused(destination: Path) -> None:
    data = build_zip([(f"{NAME}/a", b"file"), (f"{NAME}/a/b", b"below it")])
    assert_refused(io.BytesIO(data), destination, "both a file and a folder")


def test_top_folder_as_a_file_refused(destination: Path) -> None:
    data = build_zip([(NAME, b"not a folder")])
    assert_refused(io.BytesIO(data), destination, "is a file where the folder")


def test_archive_without_files_refused(destination: Path) -> None:
    data = build_zip([(f"{NAME}/", b"")])
    assert_refused(io.BytesIO(data), destination, "holds no files")


def test_encrypted_entry_refused(destination: Path) -> None:
    data = build_zip([(f"{NAME}/SKILL.md", b"secret")])
    # General purpose flag bit 0: local header offset 6, central record offset 8.
    encrypted = patch_headers(data, local=(6, "<H", 0x1), central=(8, "<H", 0x1))
    assert zipfile.ZipFile(io.BytesIO(encrypted)).infolist()[0].flag_bits & 0x1
    assert_refused(io.BytesIO(encrypted), destination, "encrypted")


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04" + b"\x00" * 40])
def test_not_a_zip_refused(destination: Path, data: bytes) -> None:
    assert_refused(io.BytesIO(data), destination, "not a zip archive")


def test_a_zip_version_from_the_future_is_refused_not_a_crash(destination: Path) -> None:
    data = build_zip([(f"{NAME}/SKILL.md", b"x")])
    # "Version needed to extract": central record offset 6; zipfile raises NotImplementedError past 6.3.
    future = patch_headers(data, local=(4, "<H", 99), central=(6, "<H", 99))
    assert_refused(io.BytesIO(future), destination, "not a zip archive")


# --- size and count limits --------------------------------------------------------------------------------------


def test_too_many_entries_refused(destination: Path) -> None:
    archive = files_zip({f"f{i}.txt": b"x" for i in range(4)})
    assert_refused(archive, destination, "4 entries, more than the 3", max_entries=3)


def test_exactly_max_entries_accepted(destination: Path) -> None:
    archive = files_zip({f"f{i}.txt": b"x" for i in range(3)})
    assert len(unpack_skill_zip(archive, NAME, destination, max_entries=3)) == 3


def test_declared_size_over_limit_refused(destination: Path) -> None:
    archive = files_zip({"a.bin": b"a" * 600, "b.bin": b"b" * 600})
    assert_refused(archive, destination, "1200 bytes, more than the 1000", max_bytes=1000)


def test_zip_that_lies_about_its_sizes_refused(destination: Path) -> None:
    """A 5000-byte entry whose headers claim 500 bytes: the declared total passes, the content does not add up.

    Python's zipfile stops at the declared size, so the lie surfaces as a CRC mismatch rather than
    at the byte counter; either way the archive is refused and nothing is written.
    """
    data = build_zip([(f"{NAME}/SKILL.md", b"fine"), (f"{NAME}/bomb.bin", b"\x00" * 5000)])
    # Uncompressed size: local header offset 22, central record offset 24.
    lying = patch_headers(data, local=(22, "<I", 500), central=(24, "<I", 500))
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(lying)).infolist()) == 1000
    assert len(lying) < 1000  # highly compressible: small on the wire
    error = assert_refused(io.BytesIO(lying), destination, "damaged", max_bytes=1000)
    assert error.entry is not None


def test_byte_counter_stops_a_member_that_outgrows_its_declared_size(
    destination: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Declared sizes are only a claim: a decompressor that yields more must hit the running byte count.

    zipfile itself never yields past the declared size (see the test above), so the counter is exercised by
    handing back an oversized stream from ZipFile.open.
    """
    archive = files_zip({"SKILL.md": b"tiny", "bomb.bin": b"small"})
    real_open = zipfile.ZipFile.open

    def oversized_open(self: zipfile.ZipFile, info: zipfile.ZipInfo, *args: Any, **kwargs: Any) -> IO[bytes]:
        if info.filename.endswith("bomb.bin"):
            return io.BytesIO(b"\x00" * 5000)
        return real_open(self, info, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", oversized_open)
    error = assert_refused(archive, destination, "more than the 1000 bytes", max_bytes=1000)
    assert error.entry == f"{NAME}/bomb.bin"


def test_deep_archive_refused_before_anything_is_written(destination: Path) -> None:
    deep = f"{NAME}/" + "d/" * 1500 + "f.txt"
    error = assert_refused(files_zip({"SKILL.md": b"x", "d/" * 1500 + "f.txt": b"deep"}), destination,
                           f"is 1501 levels deep, more than the {MAX_DEPTH} allowed")  # fmt: skip
    assert error.entry == deep


def test_max_depth_accepted(destination: Path) -> None:
    path = "d/" * (MAX_DEPTH - 1) + "f.txt"
    unpack_skill_zip(files_zip({"SKILL.md": b"x", path: b"deep"}), NAME, destination)
    assert (destination / NAME / path).read_bytes() == b"deep"


# --- names and the destination ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "a/b", "a\\b", "../x", "a\x00b", "a\nb", "C:", ".ssh", "/etc", "pdf\u202etools", "PDF", "a" * 65],
)
def test_bad_skill_names_refused(destination: Path, name: str) -> None:
    before = tree(destination.parent)
    with pytest.raises(UnsafeArchive, match="skill name"):
        unpack_skill_zip(files_zip({"SKILL.md": b"x"}), name, destination)
    assert tree(destination.parent) == before


def test_existing_destination_without_overwrite(destination: Path) -> None:
    old = destination / NAME
    old.mkdir()
    (old / "SKILL.md").write_bytes(b"old")
    with pytest.raises(DestinationExists, match="pass overwrite=true to replace it") as caught:
        unpack_skill_zip(files_zip({"SKILL.md": b"new"}), NAME, destination)
    assert isinstance(caught.value, SkillsMcpError)
    assert str(old) in str(caught.value)
    assert tree(destination) == {NAME: None, f"{NAME}/SKILL.md": b"old"}


def test_overwrite_replaces_the_folder(destination: Path) -> None:
    old = destination / NAME
    (old / "scripts").mkdir(parents=True)
    (old / "SKILL.md").write_bytes(b"old")
    (old / "scripts" / "stale.py").write_bytes(b"gone soon")
    unpack_skill_zip(files_zip({"SKILL.md": b"new", "fresh.txt": b"f"}), NAME, destination, overwrite=True)
    assert tree(destination) == {NAME: None, f"{NAME}/SKILL.md": b"new", f"{NAME}/fresh.txt": b"f"}


def make_old(destination: Path) -> dict[str, bytes | None]:
    old = destination / NAME
    old.mkdir()
    (old / "SKILL.md").write_bytes(b"old")
    return tree(destination.parent)


def test_failed_unpack_with_overwrite_keeps_the_old_folder(destination: Path) -> None:
    before = make_old(destination)
    data = build_zip([(f"{NAME}/SKILL.md", b"new"), (f"{NAME}/bomb.bin", b"\x00" * 5000)])
    lying = patch_headers(data, local=(22, "<I", 100), central=(24, "<I", 100))  # fails mid-extraction
    with pytest.raises(UnsafeArchive):
        unpack_skill_zip(io.BytesIO(lying), NAME, destination, overwrite=True)
    assert tree(destination.parent) == before


def test_refused_archive_with_overwrite_keeps_the_old_folder(destination: Path) -> None:
    before = make_old(destination)
    with pytest.raises(UnsafeArchive):
        unpack_skill_zip(io.BytesIO(build_zip([("other/x", b"x")])), NAME, destination, overwrite=True)
    assert tree(destination.parent) == before


def test_failed_swap_puts_the_old_folder_back(destination: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = make_old(destination)
    real_rename = os.rename
    calls: list[str] = []

    def rename(src: Any, dst: Any) -> None:
        calls.append(f"{Path(src).name}->{Path(dst).name}")
        if len(calls) == 2:  # new folder into place
            raise OSError("simulated failure")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="simulated failure"):
        unpack_skill_zip(files_zip({"SKILL.md": b"new"}), NAME, destination, overwrite=True)
    assert len(calls) == 3  # aside, into place (failed), back
    assert tree(destination.parent) == before


def test_failed_restore_keeps_the_old_folder_and_says_where(destination: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_old(destination)
    real_rename = os.rename
    calls: list[int] = []

    def rename(src: Any, dst: Any) -> None:
        calls.append(1)
        if len(calls) >= 2:
            raise OSError("simulated failure")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(ReplaceFailed) as caught:
        unpack_skill_zip(files_zip({"SKILL.md": b"new"}), NAME, destination, overwrite=True)
    kept = caught.value.kept_at
    assert str(kept) in str(caught.value)
    assert (kept / "SKILL.md").read_bytes() == b"old"


# --- property: any safe tree round-trips ------------------------------------------------------------------------

segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12).filter(
    lambda s: s not in (".", "..")
)
relpath = st.lists(segment, min_size=1, max_size=4).map("/".join)


def no_file_is_a_folder(files: dict[str, bytes]) -> bool:
    return not any(other.startswith(path + "/") for path in files for other in files)


@given(st.dictionaries(relpath, st.binary(max_size=3000), min_size=1, max_size=8).filter(no_file_is_a_folder))
def test_safe_trees_round_trip(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        destination = Path(tmp).resolve()
        result = unpack_skill_zip(files_zip(files), NAME, destination)
        assert result == sorted((UnpackedFile(p, len(b)) for p, b in files.items()), key=lambda f: f.path)
        assert {k: v for k, v in tree(destination / NAME).items() if v is not None} == files
        assert [p.name for p in destination.iterdir()] == [NAME]
