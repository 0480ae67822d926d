"""Delivering the change feed to a webhook (docs/memberships.md).

A consumer's pending rows are POSTed in batches of JSON
`{"consumer", "first_seq", "last_seq", "changes": [...]}` with an `Idempotency-Key`
of `CONSUMER:FIRST-LAST` (a retried batch keeps its key, so the receiver can drop a
repeat) and, with a secret, `X-Duckseg-Signature: sha256=<hex HMAC-SHA256 of the body>`.
Timeouts, connection failures and 5xx answers are retried with exponential backoff, a
bounded number of times; any other answer that is not 2xx stops the delivery. The
consumer's cursor moves past a batch only after a 2xx for it: delivery is at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from duckseg.api import changes
from duckseg.errors import DucksegError, InputError

if TYPE_CHECKING:
    from duckseg.api.workspace import Workspace

SIGNATURE_HEADER = "X-Duckseg-Signature"
MAX_BATCH = 10_000


class DeliveryError(DucksegError):
    """A batch was refused (4xx) or still failing after every retry; exit 1."""

    exit_code = 1


@dataclass(frozen=True)
class Retry:
    """Bounded exponential backoff: attempt n waits min(first * 2**(n-1), longest) seconds."""

    attempts: int = 6  # tries per batch, the first included
    first: float = 0.5
    longest: float = 30.0
    timeout: float = 10.0  # seconds per request

    def wait(self, attempt: int) -> float:
        return float(min(self.first * 2 ** (attempt - 1), self.longest))


@dataclass(frozen=True)
class Delivered:
    consumer: str
    batches: int
    rows: int
    last_seq: int  # the consumer's cursor after the delivery
    retries: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "consumer": self.consumer,
            "batches": self.batches,
            "rows": self.rows,
            "last_seq": self.last_seq,
            "retries": self.retries,
        }


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def check_url(url: str) -> str:
    parsed = httpx.URL(url) if url else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError.single("--webhook", f"not an http(s) URL: {url!r}")
    return url


def deliver(
    ws: Workspace,
    consumer: str,
    url: str,
    batch_size: int = 500,
    secret: bytes | None = None,
    segments: Sequence[str] = (),
    retry: Retry = Retry(),
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> Delivered:
    """POST every pending row of `consumer` to `url`, batch after batch, until none is left."""
    changes.check_consumer(consumer)
    check_url(url)
    if not 1 <= batch_size <= MAX_BATCH:
        raise InputError.single("--batch", f"expected 1 to {MAX_BATCH:,} rows, got {batch_size}")
    batches = rows = retries = 0
    with httpx.Client(timeout=retry.timeout, transport=transport) as client:
        while True:
            batch = changes.read(ws, segments, consumer=consumer, limit=batch_size)
            if batch.rows.num_rows == 0:
                return Delivered(consumer, batches, rows, batch.after, retries)
            retries += _post(client, url, batch, secret, retry, sleep)
            changes.acknowledge(ws, batch)
            batches += 1
            rows += batch.rows.num_rows


def _post(
    client: httpx.Client,
    url: str,
    batch: changes.FeedBatch,
    secret: bytes | None,
    retry: Retry,
    sleep: Callable[[float], None],
) -> int:
    """Send one batch until a 2xx; returns how many retries it took."""
    records = batch.records()
    first, last = records[0]["seq"], records[-1]["seq"]
    name = f"batch {first}-{last}"
    body = json.dumps(
        {"consumer": batch.consumer, "first_seq": first, "last_seq": last, "changes": records},
        default=str,
        separators=(",", ":"),
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"{batch.consumer}:{first}-{last}",
    }
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    why = ""
    for attempt in range(1, retry.attempts + 1):
        if attempt > 1:
            sleep(retry.wait(attempt - 1))
        try:
            answer = client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            why = "timed out"
            continue
        except httpx.TransportError as exc:
            why = f"could not connect: {exc}"
            continue
        if answer.is_success:
            return attempt - 1
        if answer.status_code >= 500:
            why = f"HTTP {answer.status_code}"
            continue
        raise DeliveryError(
            f"{name} refused by {url}: HTTP {answer.status_code} {answer.text[:200]!r}; "
            f"the consumer {batch.consumer} stays at seq {batch.after}"
        )
    raise DeliveryError(
        f"{name} not delivered to {url} after {retry.attempts} attempts (last: {why}); "
        f"the consumer {batch.consumer} stays at seq {batch.after}"
    )
