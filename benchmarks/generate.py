"""Synthetic raw input at a scale factor, generated with DuckDB SQL.

SF1 is 100,000 contacts and 5,000,000 events; SF10 is ten times that. The
output is the "raw input" every approach starts from:

    benchmarks/data/sf<SF>/raw/contacts.parquet
    benchmarks/data/sf<SF>/raw/events/events-<n>.parquet   (time-ordered, as an export)
    benchmarks/data/sf<SF>/raw/meta.json                    (seed, rows, seconds)

The SQL lives in benchmarks/sql/: `macros.sql` (deterministic random draws),
`tables.sql` (event mix, festival windows), `contacts.sql`, `events.sql`.
The same seed gives the same rows.

    python -m benchmarks.generate --sf 1 [--seed 42] [--force]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from benchmarks.common import (
    AS_OF_NAIVE,
    CONTACTS_PER_SF,
    EVENTS_PER_SF,
    SQL_DIR,
    read_sql,
    sf_dir,
    sf_label,
)

PERM_PRIME = 1_000_003  # maps activity rank -> contact number; coprime with any n_contacts
ACTIVE_SHARE = 0.75  # contacts that produce events at all
DEFAULT_SEED = 42


@dataclass(frozen=True)
class RawData:
    sf: float
    root: Path
    contacts: Path
    events: list[Path]
    meta: dict[str, object]


def raw_paths(sf: float) -> tuple[Path, Path, Path]:
    raw = sf_dir(sf) / "raw"
    return raw, raw / "contacts.parquet", raw / "events"


def load(sf: float) -> RawData | None:
    raw, contacts, events = raw_paths(sf)
    meta_path = raw / "meta.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return RawData(sf, raw, contacts, sorted(events.glob("*.parquet")), meta)


def generate(
    sf: float, seed: int = DEFAULT_SEED, force: bool = False, threads: int | None = None
) -> RawData:
    """The raw input for `sf`, generated unless it already exists with the same seed."""
    existing = load(sf)
    if existing is not None and existing.meta.get("seed") == seed and not force:
        return existing
    raw, contacts_path, events_dir = raw_paths(sf)
    if raw.exists():
        shutil.rmtree(raw)
    events_dir.mkdir(parents=True)
    n_contacts = round(CONTACTS_PER_SF * sf)
    n_events = round(EVENTS_PER_SF * sf)

    spill = sf_dir(sf) / "tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"temp_directory": str(spill)})
    try:
        con.execute("SET TimeZone = 'UTC'")
        if threads:
            con.execute("SET threads = ?", [threads])
        con.execute("SET VARIABLE seed = ?", [seed])
        con.execute("SET VARIABLE n_contacts = ?", [n_contacts])
        con.execute("SET VARIABLE n_active = ?", [int(n_contacts * ACTIVE_SHARE)])
        con.execute("SET VARIABLE n_events = ?", [n_events])
        con.execute("SET VARIABLE perm_prime = ?", [PERM_PRIME])
        con.execute("SET VARIABLE perm_inverse = ?", [pow(PERM_PRIME, -1, n_contacts)])
        con.execute("SET VARIABLE as_of = ?::TIMESTAMP", [AS_OF_NAIVE])
        for statement in read_sql(SQL_DIR / "macros.sql") + read_sql(SQL_DIR / "tables.sql"):
            con.execute(statement)

        started = time.perf_counter()
        contacts_sql = (SQL_DIR / "contacts.sql").read_text(encoding="utf-8")
        con.sql(contacts_sql).write_parquet(str(contacts_path))
        contacts_s = time.perf_counter() - started

        started = time.perf_counter()
        events_sql = (SQL_DIR / "events.sql").read_text(encoding="utf-8")
        con.sql(events_sql).create_view("generated_events")
        # Raw exports arrive in time order (events.sql sorts by ts), in files of ~100 MB.
        con.execute(
            "COPY generated_events TO ? (FORMAT parquet, FILE_SIZE_BYTES '100MB', "
            "FILENAME_PATTERN 'events-{i}')",
            [str(events_dir)],
        )
        events_s = time.perf_counter() - started
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)

    meta = {
        "sf": sf_label(sf),
        "seed": seed,
        "contacts": n_contacts,
        "events": n_events,
        "as_of": AS_OF_NAIVE.isoformat() + "Z",
        "generate_contacts_s": round(contacts_s, 2),
        "generate_events_s": round(events_s, 2),
    }
    (raw / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    data = load(sf)
    assert data is not None
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", type=float, default=1.0, help="scale factor (0.1, 1, 10, ...)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args()
    data = generate(args.sf, args.seed, args.force)
    print(json.dumps(data.meta, indent=2))


if __name__ == "__main__":
    main()
