"""GET /contacts/{id} under concurrent load, against a real `duckseg serve` process.

    python -m benchmarks.serve_bench [--sf 1] [--requests 2000] [--concurrency 20]
        [--client httpx|stdlib] [--reuse]

Lands the generated input into a fresh workspace, builds the 50 benchmark definitions
twice (the first build fills the member index, the second moves it forward: both builds'
commits are timed), starts `duckseg serve` on 127.0.0.1 and sends GET /contacts/{id} for
random contacts over `--concurrency` keep-alive connections with httpx (or, with
`--client stdlib`, http.client in as many threads). Writes
benchmarks/results/serve_sf<SF>.json (serve_sf<SF>_stdlib.json for the stdlib client); the
numbers are copied into RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from benchmarks import generate, report, scale_bench
from benchmarks.common import AS_OF, RESULTS_DIR, sf_dir, sf_label
from duckseg import Workspace


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, proc: subprocess.Popen[bytes], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"duckseg serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "/segments", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("duckseg serve did not answer in time")


async def _load(url: str, ids: list[str], concurrency: int) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    failures = 0
    queue = list(ids)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                cid = queue.pop()
                started = time.perf_counter()
                try:
                    answer = await client.get(f"/contacts/{cid}")
                except httpx.TransportError:
                    failures += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, wall, failures


def _load_stdlib(url: str, ids: list[str], concurrency: int) -> tuple[list[float], float, int]:
    """The same load from `concurrency` threads, each with one keep-alive connection of the
    standard library's http.client: a client that costs far less CPU per request than
    httpx, so on a small machine the latencies are more the server's than the client's."""
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    latencies: list[float] = []
    failures = 0
    queue = list(ids)
    lock = threading.Lock()

    def worker() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    cid = queue.pop()
                started = time.perf_counter()
                try:
                    conn.request("GET", f"/contacts/{quote(cid, safe='')}")
                    answer = conn.getresponse()
                    answer.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
                    with lock:
                        failures += 1
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    failures += answer.status != 200
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started, failures


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--client",
        choices=["httpx", "stdlib"],
        default="httpx",
        help="httpx's async client, or http.client in threads (less client CPU per request)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="serve the workspace of an earlier run as it is"
    )
    args = parser.parse_args(argv)

    root = sf_dir(args.sf) / "serve-workspace"
    previous = RESULTS_DIR / f"serve_sf{sf_label(args.sf)}.json"
    if args.reuse and previous.exists():
        ws = Workspace.open(root)
        built = json.loads(previous.read_text(encoding="utf-8"))
        first_s, second_s = built["build_all_first_s"], built["build_all_second_s"]
        count, indexed = built["segments"], built["members_indexed"]
    else:
        ws, _, _ = scale_bench.land_once(generate.generate(args.sf), root)
        started = time.perf_counter()
        first = ws.build_all(as_of=AS_OF)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        ws.build_all(as_of=AS_OF + timedelta(days=1))
        second_s = time.perf_counter() - started
        count, indexed = len(first), sum(s.count for s in first)
    feed_rows = ws.changes(advance=False).rows.num_rows

    con = ws.connect()
    try:
        every = [str(r[0]) for r in con.execute("SELECT contact_id FROM contacts").fetchall()]
    finally:
        con.close()
    ids = random.Random(7).choices(every, k=args.requests)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (sf_dir(args.sf) / "serve.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckseg", "serve", "--port", str(port), "-w", str(root)],
        stdout=log,
        stderr=log,
    )
    try:
        _wait_ready(url, proc)
        if args.client == "stdlib":
            _load_stdlib(url, ids[:100], args.concurrency)  # warm-up
            latencies, wall, failures = _load_stdlib(url, ids, args.concurrency)
        else:
            asyncio.run(_load(url, ids[:100], args.concurrency))  # warm-up
            latencies, wall, failures = asyncio.run(_load(url, ids, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()

    result: dict[str, Any] = {
        "sf": sf_label(args.sf),
        "machine": report.machine(),
        "segments": count,
        "members_indexed": indexed,
        "feed_rows": feed_rows,
        "build_all_first_s": round(first_s, 2),
        "build_all_second_s": round(second_s, 2),
        "requests": len(latencies),
        "concurrency": args.concurrency,
        "client": args.client,
        "failures": failures,
        "throughput_rps": round(len(latencies) / wall, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * _quantile(latencies, 0.95), 1),
        "p99_ms": round(1000 * _quantile(latencies, 0.99), 1),
        "max_ms": round(1000 * max(latencies), 1),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "_stdlib" if args.client == "stdlib" else ""
    out = RESULTS_DIR / f"serve_sf{sf_label(args.sf)}{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
