"""Webhook delivery against a real HTTP server on 127.0.0.1 that fails, times out and
answers out of order: every row arrives at least once and the cursor never skips one."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from duckseg import Workspace
from duckseg.api.deliver import DeliveryError, Retry, deliver
from duckseg.state import feed

SECRET = b"s3cret"
FAST = Retry(attempts=4, first=0.01, longest=0.05, timeout=0.5)


class Hook:
    """What the server does with each request, in order; it records every body it read."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def next(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"


@pytest.fixture
def server() -> Iterator[tuple[str, Hook]]:
    hook = Hook([])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            action = hook.next()
            if action == "slow":  # answered after the client gave up: it will retry
                time.sleep(1.0)
            with hook.lock:
                hook.received.append(
                    {
                        "body": json.loads(body),
                        "raw": body,
                        "key": self.headers["Idempotency-Key"],
                        "signature": self.headers.get("X-Duckseg-Signature"),
                        "action": action,
                    }
                )
            code = {"ok": 200, "slow": 200, "500": 500, "503": 503, "400": 400}[action]
            payload = b'{"error": "no"}' if code >= 400 else b"{}"
            try:
                self.send_response(code)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", hook
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fed(sample_ws: Workspace) -> Workspace:
    sample_ws.build_many(["gold_oman", "new_signups_7d"], as_of="2026-06-30")  # 63 rows
    return sample_ws


def _all_seqs(ws: Workspace) -> list[int]:
    return [int(r["seq"]) for r in ws.changes(advance=False).records()]


def test_every_row_arrives_signed_despite_failures_timeouts_and_late_answers(
    fed: Workspace, server: tuple[str, Hook]
) -> None:
    url, hook = server
    hook.script = ["500", "ok", "slow", "ok", "503", "503", "ok"]
    waits: list[float] = []
    result = deliver(fed, "crm", url, batch_size=7, secret=SECRET, retry=FAST, sleep=waits.append)
    seqs = _all_seqs(fed)
    got = {c["seq"] for r in hook.received for c in r["body"]["changes"]}
    assert got == set(seqs)  # every row at least once
    assert result.last_seq == seqs[-1] == feed.consumer_position(fed.store, "crm")
    assert result.retries == 4 and waits == [0.01, 0.01, 0.01, 0.02]
    for r in hook.received:
        body = r["body"]
        assert r["key"] == f"crm:{body['first_seq']}-{body['last_seq']}"
        assert [c["seq"] for c in body["changes"]] == list(
            range(body["first_seq"], body["last_seq"] + 1)
        )
        expected = "sha256=" + hmac.new(SECRET, r["raw"], hashlib.sha256).hexdigest()
        assert r["signature"] == expected
    # The slow answer reached the server before its retry did, or after: the same key twice.
    keys = [r["key"] for r in hook.received]
    assert len(keys) > len(set(keys))
    # Nothing pending: a second run sends nothing.
    before = len(hook.received)
    assert deliver(fed, "crm", url, secret=SECRET, retry=FAST, sleep=waits.append).rows == 0
    assert len(hook.received) == before


def test_a_4xx_stops_at_that_batch_and_the_next_run_resumes_there(
    fed: Workspace, server: tuple[str, Hook]
) -> None:
    url, hook = server
    hook.script = ["ok", "400"]
    with pytest.raises(DeliveryError, match=r"batch 6-10 refused by .*HTTP 400"):
        deliver(fed, "crm", url, batch_size=5, retry=FAST, sleep=lambda _: None)
    assert feed.consumer_position(fed.store, "crm") == 5
    assert [r["action"] for r in hook.received] == ["ok", "400"]  # no retry of a 4xx
    deliver(fed, "crm", url, batch_size=5, retry=FAST, sleep=lambda _: None)
    firsts = [r["body"]["first_seq"] for r in hook.received]
    assert (
        firsts[:3] == [1, 6, 6] and feed.consumer_position(fed.store, "crm") == _all_seqs(fed)[-1]
    )


def test_retries_are_bounded(fed: Workspace, server: tuple[str, Hook]) -> None:
    url, hook = server
    hook.script = ["503"] * 10
    waits: list[float] = []
    with pytest.raises(DeliveryError, match=r"batch 1-3 not delivered .* after 4 attempts"):
        deliver(fed, "crm", url, batch_size=3, retry=FAST, sleep=waits.append)
    assert len(hook.received) == 4 and waits == [0.01, 0.02, 0.04]
    assert feed.consumer_position(fed.store, "crm") == 0
    assert Retry(first=0.5, longest=30).wait(10) == 30  # the backoff has a ceiling


def test_a_refused_connection_is_retried_then_reported(fed: Workspace) -> None:
    with pytest.raises(DeliveryError, match="could not connect"):
        deliver(fed, "crm", "http://127.0.0.1:9/x", retry=FAST, sleep=lambda _: None)
    assert feed.consumer_position(fed.store, "crm") == 0


def test_cli_deliver_exit_codes(fed: Workspace, server: tuple[str, Hook], tmp_path: Path) -> None:
    url, hook = server
    base = [sys.executable, "-m", "duckseg", "deliver", "-w", str(fed.root), "--consumer", "c"]

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(
            [*base, *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **(env or {})},
        )

    missing = run("--webhook", url, "--secret-env", "NO_SUCH_VARIABLE_SET")
    assert missing.returncode == 2 and "NO_SUCH_VARIABLE_SET is not set" in missing.stderr
    assert run("--webhook", "ftp://x").returncode == 2
    hook.script = ["400"]
    refused = run("--webhook", url, "--batch", "4", "--attempts", "2", "--timeout", "1")
    assert refused.returncode == 1 and "batch 1-4 refused" in refused.stderr
    ok = run("--webhook", url, "--secret-env", "HOOK_SECRET", "--json", env={"HOOK_SECRET": "k"})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["last_seq"] == _all_seqs(fed)[-1]
    last = hook.received[-1]
    assert last["signature"] == "sha256=" + hmac.new(b"k", last["raw"], hashlib.sha256).hexdigest()
