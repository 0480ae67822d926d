"""The read-only HTTP JSON API (docs/memberships.md): FastAPI routes over a workspace.

Every route reads; none writes (POST /preview evaluates a definition and keeps nothing).
Names in paths are checked against the workspace before anything opens a file, errors are
JSON `{"error", "path"}` with 400 or 404, and with a token configured every request needs
`Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import polars as pl
import pyarrow.parquet as pq
from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from duckseg.config import Config
from duckseg.errors import BadInputError, DefinitionError, DucksegError
from duckseg.lang.spec import Segment
from duckseg.serve.limits import BodyLimit, LimitError, PreviewGate, check_definition, plain
from duckseg.serve.reload import ContactLookup
from duckseg.state.snapshots import SnapshotInfo, SnapshotStore
from duckseg.state.store import Store

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")
MAX_ID = 256
MAX_PAGE = 10_000


class Result(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class Source(Protocol):
    """What the API reads of a workspace (duckseg.Workspace is one)."""

    @property
    def root(self) -> Path: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    @property
    def store(self) -> Store: ...

    def as_of(self, value: datetime | date | str | None = None) -> datetime: ...

    @property
    def config(self) -> Config: ...

    def segment_files(self) -> dict[str, Path]: ...

    def list_segments(self) -> list[dict[str, Any]]: ...

    def contact(self, contact_id: Any, as_of: datetime | date | str | None = None) -> Result: ...

    def traits(
        self, as_of: datetime | date | str | None = None, names: Sequence[str] | None = None
    ) -> pl.DataFrame: ...

    def explain(
        self, segment: Any, contact_id: Any, as_of: datetime | date | str | None = None
    ) -> Result: ...

    def changes(
        self,
        since: int | None = None,
        consumer: str | None = None,
        segments: Any = (),
        limit: int | None = None,
        advance: bool = True,
    ) -> Result: ...

    def preview(
        self,
        segment: Any,
        as_of: datetime | date | str | None = None,
        limit: int = 10,
        against_latest: bool = False,
    ) -> Result: ...


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str, path: str) -> JSONResponse:
    return JSONResponse({"error": message, "path": path}, status_code=status)


def create_app(
    ws: Source,
    token: str | None,
    preview_timeout: float = 10.0,
    traits_max_age_s: float | None = None,
) -> FastAPI:
    """The API over `ws`; trait values held for contact lookups are computed again when
    older than `traits_max_age_s` (default: `[serve] traits_max_age` of its duckseg.toml)."""
    app = FastAPI(
        title="duckseg",
        description="Read-only API over a duckseg workspace: segments, members, contacts, "
        "explanations, the change feed and previews of definitions.",
        version="1",
    )
    gate = PreviewGate(preview_timeout)
    max_age = ws.config.serve.max_age_s() if traits_max_age_s is None else traits_max_age_s
    lookup = ContactLookup(ws.store, ws, max_age)
    app.state.lookup = lookup  # `duckseg serve` loads it before the first request
    app.add_middleware(BodyLimit)
    if token is not None:
        app.add_middleware(Bearer, token=token)  # added last: it runs first

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, str(exc), request.url.path)

    @app.exception_handler(LimitError)
    async def limited(request: Request, exc: LimitError) -> JSONResponse:
        return _error(exc.status, str(exc), request.url.path)

    @app.exception_handler(BadInputError)
    async def bad_input(request: Request, exc: BadInputError) -> JSONResponse:
        first = exc.problems[0]
        # A contact named in the path that does not exist is not found; the rest is bad input.
        status = 404 if first.source == "contact" else 400
        return JSONResponse(
            {
                "error": "; ".join(
                    p.message + (f" ({p.hint})" if p.hint else "") for p in exc.problems
                ),
                "path": first.path or request.url.path,
            },
            status_code=status,
        )

    @app.exception_handler(DucksegError)
    async def failed(request: Request, exc: DucksegError) -> JSONResponse:
        return _error(500, str(exc), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ()))
        return _error(400, f"{where}: {problem.get('msg', 'invalid')}", request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), request.url.path)

    def segment_name(name: str) -> str:
        if not NAME.fullmatch(name) or name not in ws.segment_files():
            raise ApiError(404, f"unknown segment {name[:200]}")
        return name

    def contact_id(value: str) -> str:
        if not value or len(value) > MAX_ID:
            raise ApiError(400, f"a contact id is 1 to {MAX_ID} characters")
        return value

    def latest(name: str) -> SnapshotInfo:
        info = ws.snapshots.latest(name)
        if info is None:
            raise ApiError(404, f"{name} has no snapshot yet")
        return info

    @app.get("/segments", summary="Every segment: latest count, delta, build time, owner")
    def segments() -> Any:
        # Audience snapshots share the store; they are listed under /audiences.
        return plain([r for r in ws.list_segments() if not r["segment"].startswith("audience:")])

    @app.get("/segments/{name}", summary="One segment and its latest snapshot")
    def segment(name: str) -> Any:
        name = segment_name(name)
        (row,) = [r for r in ws.list_segments() if r["segment"] == name]
        info = ws.snapshots.latest(name)
        row["snapshot_id"] = info.snapshot_id if info else None
        return plain(row)

    @app.get("/segments/{name}/members", summary="Members of the latest snapshot, in pages")
    def members(
        name: str,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        after: Annotated[str | None, Query(max_length=MAX_ID)] = None,
    ) -> Any:
        info = latest(segment_name(name))
        return _page(ws.root, info, limit, after, "segment", name)

    @app.get("/audiences/{name}/members", summary="Members of an audience: arm and agent")
    def audience_members(
        name: str,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        after: Annotated[str | None, Query(max_length=MAX_ID)] = None,
    ) -> Any:
        if not NAME.fullmatch(name):
            raise ApiError(404, f"unknown audience {name[:200]}")
        info = ws.snapshots.latest(f"audience:{name}")
        if info is None:
            raise ApiError(404, f"unknown audience {name} (or never built)")
        return _page(ws.root, info, limit, after, "audience", name)

    @app.get(
        "/contacts/{contact}",
        summary="A contact: attributes, segments since when, audiences",
        response_class=JSONResponse,
    )
    async def contact(contact: str) -> Response:
        # On the event loop, from memory; what needs the catalog or DuckDB runs in threads.
        wanted = contact_id(contact)
        view = lookup.fresh()
        if view is None:
            view = await run_in_threadpool(lookup.refresh)
        answer = view.answer(wanted, ws.as_of())
        if answer is None:
            try:
                found = await run_in_threadpool(lambda: ws.contact(wanted).to_dict())
            except DefinitionError as exc:
                # A trait file with a problem: each named with its file, as `duckseg check` does.
                first = exc.problems[0]
                return _error(400, "; ".join(map(str, exc.problems)), first.path or first.source)
            answer = _traits_stated(plain(found))
        return _json(answer)

    @app.get("/contacts/{contact}/explain/{name}", summary="Why a contact is or is not a member")
    def explain(
        contact: str, name: str, as_of: Annotated[str | None, Query(max_length=64)] = None
    ) -> Any:
        return plain(ws.explain(segment_name(name), contact_id(contact), as_of).to_dict())

    @app.get("/changes", summary="Change feed rows after a seq")
    def changes(
        since: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
    ) -> Any:
        return plain(ws.changes(since=since, limit=limit, advance=False).to_dict())

    @app.post("/preview", summary="Count and sample a definition; writes nothing")
    def preview(
        definition: Annotated[
            dict[str, Any], Body(description="a segment definition, as its YAML")
        ],
        limit: Annotated[int, Query(ge=0, le=100)] = 10,
        as_of: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Any:
        check_definition(definition)
        seg = Segment.from_dict(definition, source="POST /preview", default_name="preview")
        result = gate.run(lambda: ws.preview(seg, as_of=as_of, limit=limit).to_dict())
        return plain(result)

    return app


class Bearer:
    """ASGI middleware: with a token configured, a request without `Authorization: Bearer
    <token>` is answered 401 before anything else runs (plain ASGI: no per-request task)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers") or []
            given = next((v for k, v in headers if k == b"authorization"), b"")
            if not hmac.compare_digest(given, self.expected):
                path = Request(scope).url.path
                await _error(401, "missing or wrong bearer token", path)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _traits_stated(answer: dict[str, Any]) -> dict[str, Any]:
    """A contact view with traits says when they are valued at, as the in-memory lookup's
    answers do: ws.contact values them at the request's as_of."""
    if not answer["traits"]:
        return answer
    stated: dict[str, Any] = {}
    for key, value in answer.items():
        stated[key] = value
        if key == "traits":
            stated["traits_as_of"] = answer["as_of"]
    return stated


def _json(value: Any) -> Response:
    """A response serialised here, as JSONResponse would, without FastAPI's encoder pass."""
    body = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), media_type="application/json")


def _page(
    root: Path, info: SnapshotInfo, limit: int, after: str | None, kind: str, name: str
) -> dict[str, Any]:
    table = pq.read_table(root / info.path)
    ids = table.column("contact_id").to_pylist()
    start = 0
    if after is not None:
        # Snapshot files are sorted by contact_id: resume after the given one.
        keys = [str(i) for i in ids]
        start = next((i for i, k in enumerate(keys) if _after(k, after, ids[i])), len(ids))
    rows = table.slice(start, limit).to_pylist()
    last = rows[-1]["contact_id"] if rows and start + limit < len(ids) else None
    page: dict[str, Any] = plain(
        {
            kind: name,
            "snapshot_id": info.snapshot_id,
            "as_of": info.as_of,
            "count": info.count,
            "members": rows,
            "next_after": last,
        }
    )
    return page


def _after(key: str, after: str, typed: Any) -> bool:
    if isinstance(typed, int) and after.lstrip("-").isdigit():
        return typed > int(after)
    return key > after
