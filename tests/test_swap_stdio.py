"""What was validated is what is sent: a file or folder swapped for a symlink mid-upload stops the upload.

The upload is stalled deterministically: the emulator sits behind a gate that holds the upload
request as soon as its first body bytes arrive, until the test has made its swap. The first file is
larger than everything the kernel and uvicorn can buffer between the two processes, so the files
after it cannot have been read before the gate opens.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import API_KEY, Emulator, McpSession, server_env, write_skill

from skills_mcp.emulator import EmulatorState, create_app, serve_in_thread

# What can be in flight while the gate holds: the sender's socket buffer (at most 4 MB, tcp_wmem),
# the receiver's (it grows only as the app reads, which uvicorn stops at 64 KB of unread body), and
# one 256 KB batch. The first file is far larger, so the files after it are read only after release.
FIRST_FILE_BYTES = 24_000_000
WAIT = 120  # a safety net only; every wait ends on an event


class UploadGate:
    """ASGI middleware: the first POST with a body is held after its first chunk until `release`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.holding = threading.Event()
        self.release = threading.Event()
        self._armed = True

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not self._armed:
            await self.app(scope, receive, send)
            return
        self._armed = False

        async def gated() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message.get("body") and not self.holding.is_set():
                self.holding.set()
                await asyncio.to_thread(self.release.wait, WAIT)
            return message

        await self.app(scope, gated, send)


@dataclass
class Gated:
    """An emulator of its own, whose next upload can be held, and a server allowed to read `allowed`."""

    api: Emulator
    session: McpSession
    allowed: Path
    app: Any
    gate: UploadGate | None = None


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gated]:
    allowed = tmp_path_factory.mktemp("swap-allowed")
    state = EmulatorState(api_keys={API_KEY})
    app = create_app(state)
    holder: list[Gated] = []

    async def switch(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await (holder[0].gate or app)(scope, receive, send)

    with serve_in_thread(switch) as url:
        emulator = Emulator(url, state)
        session = McpSession(["--allow-dir", str(allowed)], server_env(emulator), allowed.parent / "swap-stderr.log")
        try:
            holder.append(Gated(emulator, session, allowed, app))
            yield holder[0]
        finally:
            session.close()


def upload_with_swap(gated: Gated, folder: Path, swap: Callable[[], None]) -> tuple[str, bool, str]:
    """Publish `folder` as a new version, making `swap` while the upload is held; (message, is_error, skill id)."""
    gated.api.state.reset()
    skill_id = gated.api.state.store.create_skill([("pdf-tools/SKILL.md", (folder / "SKILL.md").read_bytes())],
                                                  None, unique_title=False).id  # fmt: skip
    gate = gated.gate = UploadGate(gated.app)
    try:
        with ThreadPoolExecutor(1) as pool:
            arguments = {"skill_id": skill_id, "path": str(folder)}
            call = pool.submit(gated.session.call, "create_skill_version", arguments)
            assert gate.holding.wait(WAIT), "the upload never reached the emulator"
            swap()
            gate.release.set()
            result = call.result(WAIT)
    finally:
        gate.release.set()
        gated.gate = None
    message = "\n".join(getattr(c, "text", "") for c in result.content)
    return message, bool(result.is_error), skill_id


def big_skill(parent: Path, name: str, last: dict[str, bytes | str]) -> Path:
    parent.mkdir()
    return write_skill(parent, files={"a-big.bin": b"\0" * FIRST_FILE_BYTES, **last})


def outside(parent: Path, name: str, content: bytes) -> Path:
    """A file outside every allowed folder, of the same size as the one it will stand in for."""
    path = parent.parent.parent / f"secret-{parent.name}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_a_file_swapped_for_a_symlink_mid_upload_stops_it(gated: Gated) -> None:
    api, allowed = gated.api, gated.allowed
    folder = big_skill(allowed / "file-swap", "pdf-tools", {"z-last.txt": "innocent!\n"})
    secret = outside(allowed / "file-swap", "stolen.txt", b"TOP SECRET\n"[:10])

    def swap() -> None:
        last = folder / "z-last.txt"
        last.unlink()
        last.symlink_to(secret)

    message, is_error, skill_id = upload_with_swap(gated, folder, swap)

    assert is_error, message
    assert "z-last.txt" in message and "replaced" in message and "nothing was stored" in message, message
    assert len(api.state.store.skills[skill_id].versions) == 1  # only the version the test made
    assert all(b"TOP SECRET" not in data for r in api.state.uploads() for _, _, data in r.files)


def test_a_folder_swapped_for_a_symlink_mid_upload_stops_it(gated: Gated) -> None:
    api, allowed = gated.api, gated.allowed
    folder = big_skill(allowed / "folder-swap", "pdf-tools", {"zz/notes.txt": "innocent!\n"})
    secret = outside(allowed / "folder-swap", "notes.txt", b"TOP SECRET")

    def swap() -> None:
        shutil.rmtree(folder / "zz")
        (folder / "zz").symlink_to(secret.parent, target_is_directory=True)

    message, is_error, skill_id = upload_with_swap(gated, folder, swap)

    assert is_error, message
    assert "zz/notes.txt" in message and "replaced" in message and "nothing was stored" in message, message
    assert len(api.state.store.skills[skill_id].versions) == 1
    assert all(b"TOP SECRET" not in data for r in api.state.uploads() for _, _, data in r.files)


def test_a_same_size_file_swapped_in_by_rename_stops_it(gated: Gated) -> None:
    """Not a link at all: another file of the same size renamed over the validated one (a new inode)."""
    api, allowed = gated.api, gated.allowed
    folder = big_skill(allowed / "rename-swap", "pdf-tools", {"z-last.txt": "innocent!\n"})

    def swap() -> None:
        other = folder / "other.tmp"
        other.write_bytes(b"TOP SECRET")
        os.replace(other, folder / "z-last.txt")

    message, is_error, skill_id = upload_with_swap(gated, folder, swap)

    assert is_error, message
    assert "z-last.txt" in message and "nothing was stored" in message, message
    assert len(api.state.store.skills[skill_id].versions) == 1


def test_links_inside_the_folder_still_upload(gated: Gated) -> None:
    """What validation resolved is what is read: in-folder links, to a file beside or in another folder."""
    api, allowed = gated.api, gated.allowed
    folder = big_skill(allowed / "links", "pdf-tools", {"shared/guide.md": "guide\n", "real.txt": "real\n"})
    (folder / "linked.txt").symlink_to("real.txt")
    (folder / "manual").mkdir()
    (folder / "manual" / "guide.md").symlink_to("../shared/guide.md")

    message, is_error, skill_id = upload_with_swap(gated, folder, lambda: None)

    assert not is_error, message
    sent = {name: data for _, name, data in api.state.uploads()[-1].files}
    assert sent["pdf-tools/linked.txt"] == b"real\n" and sent["pdf-tools/manual/guide.md"] == b"guide\n"
    assert len(api.state.store.skills[skill_id].versions) == 2
