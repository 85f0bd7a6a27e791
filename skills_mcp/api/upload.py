"""Creates that never land twice: `SkillsAPI` is the client (`client.SkillsClient`) with its two creates
guarded by the "did it land?" check (`landed`).

Before a create goes out we note what exists (the skill's newest version, or the newest skills): a
`Snapshot`, known already (the skill as the caller just read it, or this process's last upload to it)
or read alongside the upload, whose last byte waits for the answer. When the outcome is unknown, the
client asks `landed` what appeared since that snapshot instead of sending again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
import httpx2

from skills_mcp.api import landed
from skills_mcp.api.answers import A
from skills_mcp.api.client import SkillsClient
from skills_mcp.api.models import Deleted, Skill, SkillVersion
from skills_mcp.config import Settings
from skills_mcp.errors import SkillsMcpError
from skills_mcp.reporting import QUIET, Reporter
from skills_mcp.skill.packaging import Package

S = TypeVar("S")


class Snapshot(Generic[S]):
    """What existed before an upload: known already, or read alongside the upload.

    A read alongside saves a round trip ahead of the upload. The upload then holds back its last byte
    until `get` has an answer, and the API cannot act on a body it has not received whole, so the
    answer is known to predate the upload.
    """

    def __init__(self, read: Callable[[], Awaitable[S]] | None) -> None:
        self._read = read
        self._done = anyio.Event()
        self._value: S | None = None
        self._error: SkillsMcpError | None = None

    @classmethod
    def known(cls, value: S) -> Snapshot[S]:
        snapshot = cls(None)
        snapshot._value = value
        snapshot._done.set()
        return snapshot

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    async def run(self) -> None:
        assert self._read is not None, "a known snapshot is never read"
        try:
            self._value = await self._read()
        except SkillsMcpError as exc:  # e.g. an unknown skill: the upload waiting on it fails with this
            self._error = exc
        finally:
            self._done.set()

    async def get(self) -> S:
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set whenever there is no error


class SkillsAPI(SkillsClient):
    """The client every surface uses: the endpoints, and creates whose lost answers are looked for."""

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        super().__init__(settings, transport=transport)
        # Each skill's newest version as this process last saw it: the snapshot for its next upload.
        self._newest_seen: dict[str, str | None] = {}

    async def create_skill_version(
        self, skill_id: str, package: Package, reporter: Reporter = QUIET, *, skill: Skill | None = None
    ) -> SkillVersion:
        """`skill`: the skill as just read, if the caller has it.

        What the newest version was before the upload is how an upload with a lost answer is told apart
        from an earlier, identical one. It comes from `skill`, else from this process's last upload to the
        skill (an older snapshot only widens the check, see `landed`), else from reading the skill
        alongside the upload (then an unknown skill stops the upload before its end).
        """

        async def read() -> str | None:
            return (await self.get_skill(skill_id)).latest

        if skill is not None:
            before = Snapshot.known(skill.latest)
        elif skill_id in self._newest_seen:
            before = Snapshot.known(self._newest_seen[skill_id])
        else:
            before = Snapshot(read)

        async def since_before() -> SkillVersion | None:
            return await landed.landed_version(self, skill_id, package, await before.get())

        path = self.versions_path(skill_id)
        version = await self._guarded(before, SkillVersion, path, package, {}, reporter, since_before)
        if version.ref:
            self._newest_seen[skill_id] = version.ref
        return version

    async def create_skill(
        self, package: Package, *, display_name: str | None = None, reporter: Reporter = QUIET
    ) -> Skill:
        """The title goes as the form field the mode names: `display_name`, or `display_title` under the beta."""

        async def read() -> set[str]:
            return await landed.newest_skills(self)

        before = Snapshot(read)

        async def since_before() -> Skill | None:
            return await landed.landed_skill(self, package, await before.get())

        data = {self.wire.title_field: display_name} if display_name else {}
        return await self._guarded(before, Skill, "/v1/skills", package, data, reporter, since_before)

    async def delete_skill(self, skill_id: str) -> Deleted:
        self._newest_seen.pop(skill_id, None)
        return await super().delete_skill(skill_id)

    async def delete_skill_version(self, skill_id: str, version: str) -> Deleted:
        self._newest_seen.pop(skill_id, None)
        return await super().delete_skill_version(skill_id, version)

    async def _guarded(
        self,
        snapshot: Snapshot[S],
        model: type[A],
        path: str,
        package: Package,
        data: dict[str, str],
        reporter: Reporter,
        since: Callable[[], Awaitable[A | None]],
    ) -> A:
        """Upload, with a snapshot not known yet read alongside; the body's last byte waits for it."""
        gate = None if snapshot.ready else snapshot.get
        error: Exception | None = None
        with self.budget():  # one deadline for the snapshot and the upload
            async with anyio.create_task_group() as tg:
                if gate is not None:
                    tg.start_soon(snapshot.run)
                try:
                    return await self.upload(model, path, package, data, reporter, gate=gate, landed=since)
                except Exception as exc:  # raised below as itself, not wrapped in the task group's ExceptionGroup
                    error = exc
                finally:
                    tg.cancel_scope.cancel()  # a failed upload may not have waited for the snapshot
        assert error is not None
        raise error
