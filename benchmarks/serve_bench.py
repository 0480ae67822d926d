"""GET /contacts/{id} under concurrent load, against a real `duckseg serve` process.

    python -m benchmarks.serve_bench [--sf 1] [--requests 2000] [--concurrency 20]
        [--client httpx|stdlib] [--reuse] [--traits] [--copy-from DIR] [--root DIR]

Lands the generated input into a fresh workspace, builds the 50 benchmark definitions
twice (the first build fills the member index, the second moves it forward: both builds'
commits are timed), starts `duckseg serve` on 127.0.0.1 and sends GET /contacts/{id} for
random contacts over `--concurrency` keep-alive connections with httpx (or, with
`--client stdlib`, http.client in as many threads). Writes
benchmarks/results/serve_sf<SF>.json (serve_sf<SF>_stdlib.json for the stdlib client); the
numbers are copied into RESULTS.md by hand.

`--copy-from DIR` serves a copy of a workspace built by an earlier run instead (its
catalog, snapshots and definitions copied into `--root`, its lake linked, never written).

`--traits` puts the four trait files of traits_bench.py in the served workspace, so the
server holds every contact's trait values. It times computing them (the trait query alone,
and a whole view load with them) in this process before the server starts, and how long
the server takes to listen (its first load computes them); measures the load as above;
then, with the stdlib client, edits a trait file and keeps the load going until answers
carry a new `traits_as_of`: the recompute as the server does it, under load, and the
latencies meanwhile. Results go to serve_sf<SF>[_stdlib]_traits.json.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from benchmarks import generate, report, scale_bench
from benchmarks.common import AS_OF, RESULTS_DIR, sf_dir, sf_label
from benchmarks.traits_bench import TRAITS
from duckseg import Workspace
from duckseg.serve.lookup import load
from duckseg.serve.traits import TraitValues

READY_S = 900.0  # at SF10 the first load computes every trait before the server listens


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, proc: subprocess.Popen[bytes], limit_s: float = READY_S) -> None:
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


def _load_stdlib(
    url: str, ids: list[str], concurrency: int, until: threading.Event | None = None
) -> tuple[list[float], float, int]:
    """The same load from `concurrency` threads, each with one keep-alive connection of the
    standard library's http.client: a client that costs far less CPU per request than
    httpx, so on a small machine the latencies are more the server's than the client's.
    With `until`, the ids are asked for round and round until it is set."""
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    latencies: list[float] = []
    failures = 0
    position = 0
    lock = threading.Lock()

    def next_id() -> str | None:
        nonlocal position
        with lock:
            if until.is_set() if until is not None else position >= len(ids):
                return None
            position += 1
            return ids[(position - 1) % len(ids)]

    def worker() -> None:
        nonlocal failures
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while (cid := next_id()) is not None:
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


def _traits_as_of(url: str, contact_id: str) -> str:
    answer = httpx.get(f"{url}/contacts/{quote(contact_id, safe='')}", timeout=60)
    answer.raise_for_status()
    return str(answer.json()["traits_as_of"])


def _recompute_under_load(
    url: str, ids: list[str], concurrency: int, trait_file: Path
) -> dict[str, Any]:
    """Edit a trait file (its text, not what it computes) and keep the stdlib load going
    until answers carry a new `traits_as_of`: how long the server's recompute takes under
    that load, and the latencies meanwhile (the earlier view answers them)."""
    before = _traits_as_of(url, ids[0])
    done = threading.Event()
    seen: dict[str, float] = {}

    def watch() -> None:
        while not done.is_set():
            if _traits_as_of(url, ids[0]) != before:
                seen["new"] = time.perf_counter()
                done.set()
                return
            if time.perf_counter() - edited > READY_S:
                done.set()  # never swapped in: reported as not done
                return
            time.sleep(0.05)

    with trait_file.open("a", encoding="utf-8") as out:
        out.write("# edited by serve_bench: the same trait, new text\n")
    edited = time.perf_counter()
    watcher = threading.Thread(target=watch)
    watcher.start()
    latencies, wall, failures = _load_stdlib(url, ids, concurrency, until=done)
    watcher.join()
    return {
        "recompute_under_load_s": round(seen["new"] - edited, 2) if "new" in seen else None,
        "requests": len(latencies),
        "failures": failures,
        "throughput_rps": round(len(latencies) / wall, 1),
        **_percentiles(latencies),
    }


def _percentiles(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * _quantile(latencies, 0.95), 1),
        "p99_ms": round(1000 * _quantile(latencies, 0.99), 1),
        "max_ms": round(1000 * max(latencies), 1),
    }


def _copy_workspace(source: Path, root: Path) -> None:
    """What the server reads and may write beside (catalog, snapshots, definitions,
    config) copied; the lake linked: serving reads it and never writes it."""
    here, there = root.resolve(), source.resolve()
    if here == there or there in here.parents or here in there.parents:
        raise SystemExit("--root must be a folder of its own, neither in --copy-from nor above")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in ("duckseg.toml", "segments", "state"):
        if (source / name).is_dir():
            shutil.copytree(source / name, root / name)
        elif (source / name).exists():
            shutil.copy2(source / name, root / name)
    (root / "lake").symlink_to((source / "lake").resolve(), target_is_directory=True)


def _with_traits(ws: Workspace) -> dict[str, Any]:
    """The four trait files written; computing their values timed, as the server's loads
    do it: the trait query alone, then a whole view (contacts, member index, traits)."""
    folder = ws.root / "traits"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    for name, text in TRAITS.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    values = TraitValues.compute(ws)
    compute_s = time.perf_counter() - started
    started = time.perf_counter()
    view = load(ws.store, ws)
    load_s = time.perf_counter() - started
    assert view.servable and view.traits is not None, "the view does not hold the traits"
    return {
        "traits": list(values.names),
        "traits_compute_s": round(compute_s, 2),
        "view_load_with_traits_s": round(load_s, 2),
    }


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
    parser.add_argument(
        "--copy-from", type=Path, help="serve a copy of this built workspace (lake linked)"
    )
    parser.add_argument("--root", type=Path, help="where the served workspace goes")
    parser.add_argument("--traits", action="store_true", help="serve with four trait files")
    args = parser.parse_args(argv)

    root = args.root or sf_dir(args.sf) / "serve-workspace"
    previous = RESULTS_DIR / f"serve_sf{sf_label(args.sf)}.json"
    built: dict[str, Any] = {}
    if args.copy_from is not None:
        _copy_workspace(args.copy_from, root)
        ws = Workspace.open(root)
        latest = [r for r in ws.list_segments() if r.get("count") is not None]
        built = {"segments": len(latest), "copied_from": args.copy_from.name}
    elif args.reuse and previous.exists():
        ws = Workspace.open(root)
        earlier = json.loads(previous.read_text(encoding="utf-8"))
        built = {
            k: earlier[k]
            for k in ("segments", "members_indexed", "build_all_first_s", "build_all_second_s")
        }
    else:
        ws, _, _ = scale_bench.land_once(generate.generate(args.sf), root)
        started = time.perf_counter()
        first = ws.build_all(as_of=AS_OF)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        ws.build_all(as_of=AS_OF + timedelta(days=1))
        second_s = time.perf_counter() - started
        built = {
            "segments": len(first),
            "members_indexed": sum(s.count for s in first),
            "build_all_first_s": round(first_s, 2),
            "build_all_second_s": round(second_s, 2),
        }
    feed_rows = ws.changes(advance=False).rows.num_rows
    traits = _with_traits(ws) if args.traits else {}

    con = ws.connect()
    try:
        every = [str(r[0]) for r in con.execute("SELECT contact_id FROM contacts").fetchall()]
    finally:
        con.close()
    ids = random.Random(7).choices(every, k=args.requests)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (root.parent / f"{root.name}.serve.log").open("w", encoding="utf-8")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "duckseg", "serve", "--port", str(port), "-w", str(root)],
        stdout=log,
        stderr=log,
    )
    during: dict[str, Any] = {}
    try:
        _wait_ready(url, proc)
        ready_s = time.perf_counter() - started
        if args.client == "stdlib":
            _load_stdlib(url, ids[:100], args.concurrency)  # warm-up
            latencies, wall, failures = _load_stdlib(url, ids, args.concurrency)
            if args.traits:
                edited = root / "traits" / f"{next(iter(TRAITS))}.yaml"
                during = _recompute_under_load(url, ids, args.concurrency, edited)
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
        **built,
        "feed_rows": feed_rows,
        **traits,
        "server_ready_s": round(ready_s, 2),
        "requests": len(latencies),
        "concurrency": args.concurrency,
        "client": args.client,
        "failures": failures,
        "throughput_rps": round(len(latencies) / wall, 1),
        **_percentiles(latencies),
    }
    if during:
        result["during_recompute"] = during
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    suffix = ("_stdlib" if args.client == "stdlib" else "") + ("_traits" if args.traits else "")
    out = RESULTS_DIR / f"serve_sf{sf_label(args.sf)}{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if failures == 0 and during.get("failures", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
