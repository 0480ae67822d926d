"""The read-only HTTP API: every endpoint, its errors, token auth, hostile requests, and
that no request changes a file. Through httpx's ASGI transport, plus one real uvicorn."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
import uvicorn
from fastapi import FastAPI

from duckseg import Workspace
from duckseg.config import load_config
from duckseg.serve.app import create_app
from duckseg.serve.run import is_loopback, token_for
from duckseg.state.snapshots import PendingSnapshot

TOKEN = "t0ken-for-tests"


def call(app: FastAPI, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def ws(sample_ws: Workspace) -> Workspace:
    sample_ws.build_many(["vip", "vip_arabic", "gold_oman", "at_risk"], as_of="2026-06-30")
    members = pa.table(
        {"contact_id": ["c00005", "c00010"], "arm": ["a", "holdout"], "agent": ["ravi", None]}
    )
    at = datetime(2026, 6, 30, tzinfo=UTC)
    pending = PendingSnapshot("audience:diwali", "audience", at, "h", "--", "duckdb", members)
    with sample_ws.store.writer():
        sample_ws.snapshots.commit([pending], at)
    return sample_ws


@pytest.fixture
def app(ws: Workspace) -> FastAPI:
    return create_app(ws, None)


def test_segments_and_members(app: FastAPI, ws: Workspace) -> None:
    listed = call(app, "GET", "/segments").json()
    assert {r["segment"] for r in listed} == set(ws.segment_files())
    one = call(app, "GET", "/segments/vip").json()
    assert one["count"] == ws.snapshots.latest("vip").count and one["snapshot_id"]  # type: ignore[union-attr]
    everyone = ws.snapshot("vip").to_polars()["contact_id"].to_list()
    page = call(app, "GET", "/segments/vip/members", params={"limit": 5}).json()
    assert [m["contact_id"] for m in page["members"]] == everyone[:5]
    nxt = call(
        app, "GET", "/segments/vip/members", params={"limit": 5, "after": page["next_after"]}
    )
    assert [m["contact_id"] for m in nxt.json()["members"]] == everyone[5:10]
    last = call(app, "GET", "/segments/vip/members", params={"limit": 10_000}).json()
    assert len(last["members"]) == len(everyone) and last["next_after"] is None


def test_contact_explain_audience_changes(app: FastAPI, ws: Workspace) -> None:
    got = call(app, "GET", "/contacts/c00005").json()
    # The sample has trait files: the answer says when their values are from.
    assert got.pop("traits_as_of") == got["as_of"]
    assert got == json.loads(json.dumps(ws.contact("c00005").to_dict()))
    assert {s["segment"] for s in got["segments"]} >= {"vip"}
    assert got["audiences"] == [
        {"audience": "diwali", "arm": "a", "agent": "ravi", "since": "2026-06-30T00:00:00Z"}
    ]
    why = call(app, "GET", "/contacts/c00005/explain/vip_arabic", params={"as_of": "2026-06-30"})
    assert why.json() == ws.explain("vip_arabic", "c00005", as_of="2026-06-30").to_dict()
    aud = call(app, "GET", "/audiences/diwali/members").json()
    assert [(m["contact_id"], m["arm"]) for m in aud["members"]] == [
        ("c00005", "a"),
        ("c00010", "holdout"),
    ]
    feed = call(app, "GET", "/changes", params={"since": 3, "limit": 4}).json()
    assert [c["seq"] for c in feed["changes"]] == [4, 5, 6, 7]


def test_preview_counts_without_writing(app: FastAPI, ws: Workspace) -> None:
    body = {"where": {"attr": "city", "op": "is", "value": "Pune"}}
    answer = call(app, "POST", "/preview", json=body, params={"limit": 2}).json()
    assert answer["count"] == ws.preview(ws.load("vip").__class__.from_dict(body)).count
    assert len(answer["sample"]) == 2 and "Pune" in answer["description"]
    bad = call(app, "POST", "/preview", json={"where": {"attr": "nope", "op": "is", "value": 1}})
    assert bad.status_code == 400 and "nope" in bad.json()["error"]
    assert bad.json()["path"].startswith("where")


def test_openapi_describes_every_endpoint(app: FastAPI) -> None:
    assert call(app, "GET", "/docs").status_code == 200
    paths = call(app, "GET", "/openapi.json").json()["paths"]
    assert set(paths) == {
        "/segments",
        "/segments/{name}",
        "/segments/{name}/members",
        "/audiences/{name}/members",
        "/contacts/{contact}",
        "/contacts/{contact}/explain/{name}",
        "/changes",
        "/preview",
    }


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/segments/nope", 404),
        ("GET", "/segments/..%2F..%2Fduckseg.toml", 404),
        ("GET", "/segments/%2Fetc%2Fpasswd/members", 404),
        ("GET", "/contacts/c00005/explain/..%2Fsegments%2Fvip.yaml", 404),
        ("GET", "/contacts/c00005/explain/vip.yaml", 404),
        ("GET", "/contacts/nobody", 404),
        ("GET", "/contacts/" + "x" * 300, 400),
        ("GET", "/audiences/..%2Fvip/members", 404),
        ("GET", "/segments/vip/members?limit=0", 400),
        ("GET", "/segments/vip/members?limit=abc", 400),
        ("GET", "/changes?since=-1", 400),
        ("GET", "/nowhere", 404),
        ("DELETE", "/segments/vip", 405),
        ("POST", "/segments", 405),
    ],
)
def test_errors_are_json_with_error_and_path(
    app: FastAPI, method: str, url: str, status: int
) -> None:
    answer = call(app, method, url)
    assert answer.status_code == status, answer.text
    assert set(answer.json()) == {"error", "path"}


def test_unknown_contact_suggests_a_close_one(app: FastAPI) -> None:
    answer = call(app, "GET", "/contacts/c00005x")
    assert answer.status_code == 404 and "did you mean c00005?" in answer.json()["error"]


def test_token_is_required_when_configured(ws: Workspace) -> None:
    app = create_app(ws, TOKEN)
    assert call(app, "GET", "/segments").status_code == 401
    assert call(app, "GET", "/docs").status_code == 401
    wrong = call(app, "GET", "/segments", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and set(wrong.json()) == {"error", "path"}
    right = call(app, "GET", "/segments", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


def test_token_comes_from_the_config_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "duckseg.toml").write_text('[serve]\ntoken = "from-file"\n', encoding="utf-8")
    config = load_config(tmp_path / "duckseg.toml")
    monkeypatch.delenv("DUCKSEG_TOKEN", raising=False)
    assert token_for(config) == "from-file"
    monkeypatch.setenv("DUCKSEG_TOKEN", "from-env")
    assert token_for(config) == "from-env"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")


def test_hostile_bodies_are_refused_or_bounded(ws: Workspace) -> None:
    app = create_app(ws, None, preview_timeout=0.05)
    huge = call(
        app,
        "POST",
        "/preview",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 400 and "over 64 KiB" in huge.json()["error"]
    deep: dict[str, Any] = {"attr": "city", "op": "is", "value": "Pune"}
    for _ in range(30):
        deep = {"not": deep}
    assert call(app, "POST", "/preview", json={"where": deep}).status_code == 400
    wide = {"where": {"any": [{"attr": "city", "op": "is", "value": str(i)} for i in range(300)]}}
    assert "too large" in call(app, "POST", "/preview", json=wide).json()["error"]
    assert (
        call(
            app,
            "POST",
            "/preview",
            content=b"not json",
            headers={"content-type": "application/json"},
        ).status_code
        == 400
    )
    # Within the bounds but slower than the preview time limit: answered, not waited for.
    slow = {
        "where": {
            "all": [
                {"performed": "purchase", "where": {"prop": "amount", "op": "gt", "value": i}}
                for i in range(40)
            ]
        }
    }
    answer = call(app, "POST", "/preview", json=slow)
    assert answer.status_code == 503 and "longer than" in answer.json()["error"]


def _fingerprint(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_no_request_changes_a_file(app: FastAPI, ws: Workspace) -> None:
    before = _fingerprint(ws.root)
    for method, url, body in [
        ("GET", "/segments", None),
        ("GET", "/segments/vip", None),
        ("GET", "/segments/vip/members?limit=3", None),
        ("GET", "/contacts/c00005", None),
        ("GET", "/contacts/c00005/explain/at_risk", None),
        ("GET", "/audiences/diwali/members", None),
        ("GET", "/changes", None),
        ("POST", "/preview", {"where": {"performed": "purchase", "within": "30d"}}),
        ("POST", "/preview", {"name": "vip", "where": {"attr": "city", "op": "is", "value": "X"}}),
        ("GET", "/contacts/nobody", None),
        ("PUT", "/segments/vip", None),
    ]:
        call(app, method, url, json=body)
    assert _fingerprint(ws.root) == before


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_real_server_answers_over_http(live: str, ws: Workspace) -> None:
    with httpx.Client(base_url=live, timeout=30) as client:
        got = client.get("/contacts/c00005")
        assert got.status_code == 200 and got.json()["contact_id"] == "c00005"
        assert client.get("/segments/nope").status_code == 404


def test_cli_refuses_a_public_host_without_a_token(ws: Workspace) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "duckseg", "serve", "--host", "0.0.0.0", "-w", str(ws.root)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2 and "without a token" in proc.stderr
