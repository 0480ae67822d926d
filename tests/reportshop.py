"""A small shop for report tests: 300 contacts, random purchases, logins and email opens,
three segments each built at three as_of values."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from duckseg import FixedClock, Workspace

NOW = datetime(2026, 7, 20, tzinfo=UTC)
BUILDS = ("2026-04-30", "2026-05-31", "2026-06-15")
AS_OF = datetime(2026, 6, 15, tzinfo=UTC)
SEGMENTS = {
    "big_spenders": "description: Spent over 5k\nowner: growth\n"
    "where: {attr: total_spent, op: gt, value: 5000}\n",
    "pune": "where: {attr: city, op: is, value: Pune}\n",
    "lapsed": "description: Bought before, not in the last 30 days\nwhere:\n  all:\n"
    "    - performed: purchase\n    - not_performed: purchase\n      within: 30d\n",
}
CONFIG: dict[str, Any] = {
    "title": "Test report",
    "breakdowns": ["city", "plan", "tags", "opted_out"],
    "top_values": 4,
    "metrics": [
        {"name": "buyers_30d", "kind": "reach", "event": "purchase", "within": "30d"},
        {"name": "logins", "kind": "events_per_member", "event": "login", "within": "90d"},
        {"name": "revenue", "kind": "sum", "event": "purchase", "prop": "amount", "within": "90d"},
        {"name": "basket", "kind": "avg", "event": "purchase", "prop": "amount"},
        {
            "name": "big_orders",
            "kind": "reach",
            "event": ["purchase"],
            "where": {"prop": "amount", "op": "gt", "value": 300},
            "label": "Placed an order over 300",
        },
        {"name": "converted", "kind": "conversion", "event": "purchase", "days": 14},
    ],
}


def shop_tables(n: int = 300, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    rnd = random.Random(seed)
    cities = ["Pune", "Mumbai", "Delhi", "Bengaluru", "Chennai", "Kolkata", "Jaipur"]
    ids = [f"c{i:04d}" for i in range(n)]
    contacts = pa.table(
        {
            "contact_id": ids,
            "city": [
                rnd.choices(cities, [5, 4, 3, 3, 2, 1, 1])[0] if rnd.random() > 0.05 else None
                for _ in ids
            ],
            "plan": [rnd.choices(["free", "pro", "enterprise"], [6, 3, 1])[0] for _ in ids],
            "total_spent": [round(rnd.expovariate(1 / 3000), 2) for _ in ids],
            "email": [f"{i}@example.com" for i in ids],
            "tags": [
                rnd.sample(["vip", "beta", "newsletter", "wholesale"], rnd.randint(0, 2))
                for _ in ids
            ],
            "opted_out": [rnd.random() < 0.1 for _ in ids],
        }
    )
    rows: dict[str, list[Any]] = {
        "contact_id": [],
        "event": [],
        "ts": [],
        "amount": [],
        "channel": [],
    }
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for cid in ids:
        for _ in range(rnd.randint(0, 12)):
            event = rnd.choices(["purchase", "login", "email_open"], [2, 5, 3])[0]
            rows["contact_id"].append(cid)
            rows["event"].append(event)
            rows["ts"].append(start + timedelta(minutes=rnd.randint(0, 200 * 24 * 60)))
            rows["amount"].append(round(rnd.uniform(5, 400), 2) if event == "purchase" else None)
            rows["channel"].append(rnd.choice(["web", "app"]))
    return contacts, pa.table(rows)


def build_shop(root: Path) -> Workspace:
    """A small shop with three segments, each built at three as_of values."""
    contacts, events = shop_tables()
    root.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(contacts, root.parent / "contacts.parquet")
    pq.write_table(events, root.parent / "events.parquet")
    ws = Workspace.init(root, clock=FixedClock(NOW))
    ws.ingest("contacts", [root.parent / "contacts.parquet"])
    ws.ingest("events", [root.parent / "events.parquet"])
    for name, text in SEGMENTS.items():
        (root / "segments" / f"{name}.yaml").write_text(text, encoding="utf-8")
    for at in BUILDS:
        ws.build_all(as_of=at)
    return ws
