"""The Skills API's routes: auth, the Host check, the beta and GA shapes, one handler per endpoint.

Handlers are plain functions: the app runs them in a worker thread, as they read and write the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from skills_mcp.loopback import LOOPBACK_NAMES

from .database import Store
from .store import EmulatorError, SkillRecord, VersionRecord, bad_request, zip_version
from .zip_upload import expand, is_zip_upload

BETA = "skills-2025-10-02"


class Backend(Protocol):
    """What the handlers need of the emulator's state (app.EmulatorState)."""

    api_keys: set[str]
    page_cap: int | None
    store: Store


@dataclass
class Call:
    """One parsed request, as handlers see it."""

    state: Backend
    beta: bool
    query: QueryParams
    params: dict[str, str]
    fields: dict[str, str]
    files: list[tuple[str, bytes]]  # the files[] parts: (filename, bytes)


Handler = Callable[[Call], Response]


def route(state: Backend, request: Request, fields: dict[str, str], files: list[tuple[str, bytes]]) -> Response:
    headers = request.headers
    if not headers.get("anthropic-version"):
        raise bad_request("anthropic-version: header is required")
    _authenticate(state, headers.get("authorization"), headers.get("x-api-key"))
    betas = {b.strip() for b in headers.get("anthropic-beta", "").split(",")}
    path = request.url.path
    for pattern, handlers in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        handler = handlers.get(request.method)
        if handler is None:
            raise EmulatorError(405, "invalid_request_error", f"Method {request.method} not allowed on {path}")
        return handler(Call(state, BETA in betas, request.query_params, match.groupdict(), fields, files))
    raise EmulatorError(404, "not_found_error", f"Not found: {path}")


def host_name(host: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed: set[str]) -> bool:
    name = host_name(host)
    return bool(name) and (name in LOOPBACK_NAMES or name in allowed or host.strip().lower() in allowed)


def _authenticate(state: Backend, authorization: str | None, x_api_key: str | None) -> None:
    key = None
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            key = token.strip()
    key = key or x_api_key or None
    if key is None:
        raise EmulatorError(401, "authentication_error", "x-api-key header or Authorization: Bearer token is required")
    if state.api_keys and key not in state.api_keys:
        raise EmulatorError(401, "authentication_error", "invalid x-api-key")


def error_response(status: int, type: str, message: str, request_id: str) -> JSONResponse:
    body = {"type": "error", "error": {"type": type, "message": message}, "request_id": request_id}
    return JSONResponse(body, status_code=status, headers={"request-id": request_id})


DAMAGED = "damaged"  # a damaged skill's latest version: not null, so a client looks, and is told what broke


def skill_json(skill: SkillRecord, beta: bool) -> dict[str, Any]:
    """The GA fields always; under the beta header the beta-era ones too (§4.3), because the SDK's beta type
    (`BetaSkill`) declares the GA fields. `source` is the object both SDK types declare, not §4.3's plain
    string, which the SDK cannot read (docs/emulator.md)."""
    latest = skill.latest
    damaged = DAMAGED if skill.damage is not None else None
    head: dict[str, Any] = {}
    if beta:
        head = {"display_title": skill.display_title, "latest_version": latest.version if latest else damaged}
    head |= {
        "display_name": skill.display_title or skill.name,
        "latest_version_id": latest.id if latest else damaged,
        "source": {"type": skill.source},
    }
    return {
        "id": skill.id,
        "type": "skill",
        **head,
        "created_at": skill.created_at,
        "updated_at": skill.updated_at,
    }


def version_json(version: VersionRecord, beta: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": version.id, "type": "skill_version", "skill_id": version.skill_id}
    if beta:
        body["version"] = version.version
    body |= {"name": version.name, "description": version.description}
    if beta:
        body["directory"] = version.directory
    body["created_at"] = version.created_at
    return body


# ---- handlers ----------------------------------------------------------------------------------


def _limit(call: Call) -> int:
    raw = call.query.get("limit", "20")
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request(f"limit: must be an integer, not {raw!r}.") from None
    cap = call.state.page_cap
    return min(limit, cap) if cap is not None and limit >= 1 else limit


def create_skill(call: Call) -> Response:
    names = ("display_title", "display_name") if call.beta else ("display_name", "display_title")
    title = next((call.fields[n] for n in names if call.fields.get(n)), None)
    skill = call.state.store.create_skill(expand(call.files), title, unique_title=call.beta)
    return JSONResponse(skill_json(skill, call.beta))


def list_skills(call: Call) -> Response:
    skills, next_page = call.state.store.list_skills(_limit(call), call.query.get("page"), call.query.get("source"))
    return JSONResponse({"data": [skill_json(s, call.beta) for s in skills], "next_page": next_page})


def get_skill(call: Call) -> Response:
    return JSONResponse(skill_json(call.state.store.get_skill(call.params["skill_id"]), call.beta))


def delete_skill(call: Call) -> Response:
    call.state.store.delete_skill(call.params["skill_id"])
    return JSONResponse({"id": call.params["skill_id"], "type": "skill_deleted"})


def create_version(call: Call) -> Response:
    files = call.files
    if is_zip_upload(files):
        call.state.store.get_skill(call.params["skill_id"])  # a missing skill is a 404 first, as for files[] parts
        files = expand(files)
    version = call.state.store.create_version(call.params["skill_id"], files)
    return JSONResponse(version_json(version, call.beta))


def list_versions(call: Call) -> Response:
    versions, next_page = call.state.store.list_versions(call.params["skill_id"], _limit(call), call.query.get("page"))
    body: dict[str, Any] = {"data": [version_json(v, call.beta) for v in versions]}
    if call.beta:
        body["has_more"] = next_page is not None
    body["next_page"] = next_page
    return JSONResponse(body)


def get_version(call: Call) -> Response:
    version = call.state.store.get_version(
        call.params["skill_id"], call.params["version"], by_epoch=call.beta, allow_latest=True
    )
    return JSONResponse(version_json(version, call.beta))


def delete_version(call: Call) -> Response:
    version = call.state.store.delete_version(call.params["skill_id"], call.params["version"], by_epoch=call.beta)
    return JSONResponse({"id": version.version if call.beta else version.id, "type": "skill_version_deleted"})


def version_content(call: Call) -> Response:
    version = call.state.store.get_version(
        call.params["skill_id"], call.params["version"], by_epoch=call.beta, allow_latest=False
    )
    return Response(
        zip_version(version),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{version.name}.zip"'},
    )


_SEG = "[^/]+"
_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile("/v1/skills"), {"GET": list_skills, "POST": create_skill}),
    (re.compile(f"/v1/skills/(?P<skill_id>{_SEG})"), {"GET": get_skill, "DELETE": delete_skill}),
    (re.compile(f"/v1/skills/(?P<skill_id>{_SEG})/versions"), {"GET": list_versions, "POST": create_version}),
    (
        re.compile(f"/v1/skills/(?P<skill_id>{_SEG})/versions/(?P<version>{_SEG})"),
        {"GET": get_version, "DELETE": delete_version},
    ),
    (
        re.compile(f"/v1/skills/(?P<skill_id>{_SEG})/versions/(?P<version>{_SEG})/content"),
        {"GET": version_content},
    ),
]
