"""A small shop for export tests: twelve contacts, a few purchases, two segments.

    gold    tier is Gold: c01..c08
    buyers  performed purchase in the last 30 days:
            {c04, c09} as of 2026-05-15, {c01, c02, c03} as of 2026-06-30

c03 and c07 are opted out, c12's consent is unknown, c05 has no email, phone
or name (nothing an ad platform can match), and c08 and c10 unsubscribed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from duckseg import FixedClock, Workspace

NOW = datetime(2026, 7, 1, tzinfo=UTC)
EARLY, LATE = "2026-05-15T00:00:00Z", "2026-06-30T00:00:00Z"
IDS = [f"c{n:02d}" for n in range(1, 13)]
OPTED_OUT = {"c03", "c07"}
NO_IDENTIFIER = {"c05"}
UNSUBSCRIBED = {"c08", "c10"}
GOLD = IDS[:8]
CONSENT_WITH_EVENTS = (
    "[consent]\n"
    'exclude_when = { any = [ { attr = "opted_out", op = "is_true" }, '
    '{ performed = "unsubscribe" } ] }\n'
)


def email(cid: str) -> str:
    return f"user{int(cid[1:])}@example.com"


def sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def contacts_table(emails: dict[str, str] | None = None) -> pa.Table:
    rows = []
    for n, cid in enumerate(IDS, start=1):
        bare = cid in NO_IDENTIFIER
        rows.append(
            {
                "contact_id": cid,
                "first_name": None if bare else "Ann",
                "last_name": None if bare else "Lee",
                "email": None if bare else (emails or {}).get(cid, email(cid)),
                "phone": None if bare else f"(650) 555-{1200 + n}",
                "city": "San Francisco",
                "country": "US",
                "tier": "Gold" if cid in GOLD else "Silver",
                "opted_out": None if cid == "c12" else cid in OPTED_OUT,
                "date_of_birth": date(1990, 1, n),
                "gender": "f" if n % 2 else "m",
            }
        )
    return pa.Table.from_pylist(rows)


def events_table() -> pa.Table:
    def at(day: str) -> datetime:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)

    rows = [
        *(
            {"contact_id": c, "event": "purchase", "ts": at("2026-06-20")}
            for c in ("c01", "c02", "c03")
        ),
        *({"contact_id": c, "event": "purchase", "ts": at("2026-05-01")} for c in ("c04", "c09")),
        *({"contact_id": c, "event": "unsubscribe", "ts": at("2026-06-01")} for c in UNSUBSCRIBED),
    ]
    return pa.Table.from_pylist(rows)


def make_shop(root: Path, config: str = "") -> Workspace:
    """The shop, landed, with both segments defined (nothing built yet)."""
    ws = Workspace.init(root, clock=FixedClock(NOW))
    if config:
        (root / "duckseg.toml").write_text(config, encoding="utf-8")
        ws = Workspace.open(root, clock=FixedClock(NOW))
    land_contacts(ws, contacts_table())
    pq.write_table(events_table(), root.parent / "events.parquet")
    ws.ingest("events", [root.parent / "events.parquet"])
    (root / "segments" / "gold.yaml").write_text(
        "description: Gold tier\nwhere: {attr: tier, op: is, value: Gold}\n", encoding="utf-8"
    )
    (root / "segments" / "buyers.yaml").write_text(
        "where: {performed: purchase, within: 30d}\n", encoding="utf-8"
    )
    return ws


def land_contacts(ws: Workspace, table: pa.Table) -> None:
    path = ws.root.parent / "contacts.parquet"
    pq.write_table(table, path)
    ws.ingest("contacts", [path])


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def column(rows: Sequence[Sequence[str]], name: str) -> list[str]:
    """One column of a CSV read with `read_csv` (header row first)."""
    index = list(rows[0]).index(name)
    return [row[index] for row in rows[1:]]


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """`duckseg ARGS` in this process: exit code, stdout and stderr."""
    from duckseg.cli import main

    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["duckseg", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
