"""Bounds on what one request may cost: body size, definition size, preview time and how
many previews run at once (docs/memberships.md)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024  # bytes
MAX_NODES = 200  # mappings and lists in a definition
MAX_DEPTH = 16
PREVIEW_WORKERS = 2


class LimitError(Exception):
    """A request over a bound: answered 400."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_definition(definition: Any) -> None:
    """Refuse a definition too big or too deep to be a real one before anything compiles it."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(definition, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            nodes += 1
            if nodes > MAX_NODES or depth > MAX_DEPTH:
                raise LimitError(
                    f"definition too large: at most {MAX_NODES} groups and lists, "
                    f"{MAX_DEPTH} levels deep"
                )
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


class PreviewGate:
    """Previews run on a small pool of their own, each answered within `timeout` seconds:
    an expensive definition ties up one worker, never the whole server."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.pool = ThreadPoolExecutor(PREVIEW_WORKERS, thread_name_prefix="preview")
        self.slots = threading.BoundedSemaphore(PREVIEW_WORKERS)

    def run(self, job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if not self.slots.acquire(blocking=False):
            raise LimitError("too many previews running; try again shortly", status=503)
        future = self.pool.submit(job)
        future.add_done_callback(lambda _: self.slots.release())
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            raise LimitError(
                f"preview took longer than {self.timeout:g} s; narrow the definition", status=503
            ) from exc


class BodyLimit:
    """ASGI middleware: a request body over MAX_BODY bytes is refused with 400, whether or
    not it says its length up front."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(scope, send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise LimitError(f"request body over {self.limit // 1024} KiB")
            return message

        try:
            await self.app(scope, counted, send)
        except LimitError:
            await _refuse(scope, send, self.limit)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": f"request body over {limit // 1024} KiB", "path": scope.get("path", "")}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def plain(value: Any) -> Any:
    """Values as JSON: instants in ISO-8601 UTC with Z, dates ISO, decimals and non-finite
    floats made valid JSON."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=UTC)
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
