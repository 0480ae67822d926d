"""Refresh gives the snapshots of a full build, whatever happened since the last one.

A hypothesis state machine lands contacts (partial upserts) and events (also dated
before the last build and after as_of), edits definitions drawn from the reference
strategies (references and a static segment included), changes the static list, and
refreshes at an as_of that moves forward, stays, or goes back. After every refresh
each segment's snapshot must hold exactly the members a full build computes at that
as_of. `make fuzz` runs many more sequences.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from duckseg import Workspace
from duckseg.compiler import compile_build
from duckseg.lang.time import TimeContext, parse_duration
from tests.reference import strategies as refs

FUZZ = os.environ.get("DUCKSEG_FUZZ") == "1"
EXAMPLES = int(os.environ.get("DUCKSEG_EXAMPLES", "150" if FUZZ else "8"))
ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "list of text": pa.list_(pa.string()),
}
STEPS = (
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
)
SEED_TS = datetime(2020, 1, 1)  # one event of every name, so every name is known to the lake


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pa.Table:
    arrays = {"contact_id": pa.array([r["contact_id"] for r in rows], pa.string())}
    for name, kind in columns.items():
        arrays[name] = pa.array([_naive_utc(r.get(name)) for r in rows], ARROW_TYPES[kind])
    return pa.table(arrays)


def full_build(ws: Workspace, names: list[str], as_of: datetime) -> dict[str, set[Any]]:
    """Members of every segment at as_of, computed from scratch (what build --all runs)."""
    con = ws.connect()
    try:
        resolved = ws.resolve([ws.load(n) for n in names], con)
        trees = {r.segment.name: r.tree for r in resolved if r.tree is not None}
        build = compile_build(trees, ws.time_context(as_of))
        return {
            n: {row[0] for row in con.execute(build.standalone(n).sql("duckdb")).fetchall()}
            for n in trees
        }
    finally:
        con.close()


class RefreshMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="duckseg-refresh-"))
        self.files = 0
        self.as_of = refs.AS_OF
        self.times: list[datetime] = []  # of the landed events

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- setting up ------------------------------------------------------------------
    @initialize(world=refs.worlds(max_contacts=12, max_events=40), family=refs.segment_families())
    def start(self, world: Any, family: tuple[dict[str, dict[str, Any]], str]) -> None:
        self.zone = world.zone
        root = self.tmp / "ws"
        self.ws = Workspace.init(root)
        (root / "duckseg.toml").write_text(f'[time]\nzone = "{world.zone}"\n', encoding="utf-8")
        self.ws = Workspace.open(root)
        self.ids = sorted(world.contacts)
        # c_seed (no attributes) makes the first landing create every attribute column.
        contacts = [{"contact_id": cid, **attrs} for cid, attrs in world.contacts.items()]
        contacts.append({"contact_id": "c_seed"})
        self._land("contacts", _table(contacts, refs.ATTR_TYPES))
        seeds = [{"contact_id": "c_seed", "event": e, "ts": SEED_TS} for e in refs.EVENT_NAMES]
        self._land_events([*seeds, *world.events])
        static = sorted(world.static_members[refs.STATIC_SEGMENT]) or ["c_seed"]
        self._static("create", static)
        self.definitions = family[0]
        for name, body in self.definitions.items():
            if name != refs.STATIC_SEGMENT:
                self._write(name, body)

    def _land(self, kind: str, table: pa.Table) -> None:
        self.files += 1
        path = self.tmp / f"{kind}-{self.files}.parquet"
        pq.write_table(table, path)
        self.ws.ingest(kind, [path], allow_repeat=True)  # a drawn batch may repeat one

    def _land_events(self, events: list[dict[str, Any]]) -> None:
        self.times.extend(e["ts"].astimezone(UTC) for e in events if e["ts"].tzinfo)
        table = _table(events, refs.PROP_TYPES)
        table = table.append_column("event", pa.array([e["event"] for e in events], pa.string()))
        ts = [_naive_utc(e["ts"]) for e in events]
        self._land("events", table.append_column("ts", pa.array(ts, pa.timestamp("us"))))

    def _static(self, change: str, ids: list[str]) -> None:
        self.files += 1
        path = self.tmp / f"static-{self.files}.csv"
        path.write_text("contact_id\n" + "".join(f"{i}\n" for i in ids), encoding="utf-8")
        self.ws.static_change(refs.STATIC_SEGMENT, change, path)

    def _write(self, name: str, body: dict[str, Any]) -> None:
        text = yaml.safe_dump({k: v for k, v in body.items() if k != "name"}, sort_keys=False)
        (self.ws.root / "segments" / f"{name}.yaml").write_text(text, encoding="utf-8")

    def _dynamic(self) -> list[str]:
        return sorted(n for n in self.definitions if n != refs.STATIC_SEGMENT)

    # -- what may happen -------------------------------------------------------------
    @rule(data=st.data())
    def land_contacts(self, data: st.DataObject) -> None:
        """An upsert of some columns for old and new contacts (NULLs included)."""
        columns = data.draw(st.lists(st.sampled_from(sorted(refs.ATTR_TYPES)), unique=True))
        pool = [*self.ids, "c_new", "c_late"]
        ids = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
        rows = [{"contact_id": cid, **data.draw(refs._attributes(self.zone))} for cid in ids]
        self._land("contacts", _table(rows, {c: refs.ATTR_TYPES[c] for c in columns}))
        self.ids = sorted(set(self.ids) | set(ids))

    @rule(data=st.data())
    def land_events(self, data: st.DataObject) -> None:
        """New events, dated anywhere: before the last build, between, after as_of."""
        moments = st.one_of(
            refs._instants(self.zone),
            st.integers(-10 * 86400, 10 * 86400).map(lambda s: self.as_of + timedelta(seconds=s)),
        )
        event = st.fixed_dictionaries(
            {
                "contact_id": st.sampled_from([*self.ids, "c_seed", "c_ev"]),
                "event": st.sampled_from(refs.EVENT_NAMES),
                "ts": moments,
            },
            optional=refs._PROPERTIES,
        )
        self._land_events(data.draw(st.lists(event, min_size=1, max_size=6)))

    @rule(data=st.data())
    def edit_definition(self, data: st.DataObject) -> None:
        names = self._dynamic()
        name = data.draw(st.sampled_from(names))
        earlier = [refs.STATIC_SEGMENT, *names[: names.index(name)]]
        body = data.draw(refs.definitions(references=earlier, name=name, depth=2))
        self.definitions[name] = body
        self._write(name, body)

    @rule(data=st.data())
    def change_static(self, data: st.DataObject) -> None:
        ids = data.draw(st.lists(st.sampled_from([*self.ids, "c_seed"]), min_size=1, max_size=3))
        self._static(data.draw(st.sampled_from(("add", "remove"))), ids)

    @rule(
        step=st.sampled_from(
            (
                timedelta(0),
                timedelta(microseconds=1),
                timedelta(hours=1),
                timedelta(hours=13),
                timedelta(days=1),
                timedelta(days=8),
                timedelta(days=-1),
            )
        ),
        jump=st.integers(0, 3).flatmap(lambda k: refs._instants("UTC") if k == 0 else st.none()),
        full=st.sampled_from((False, False, False, False, True)),
    )
    def refresh_anywhere(self, step: timedelta, jump: datetime | None, full: bool) -> None:
        self.refresh(jump if jump is not None else self.as_of + step, full)

    @rule(
        start=st.none() | refs._instants("UTC"), steps=st.lists(st.sampled_from(STEPS), max_size=4)
    )
    def refresh_later(self, start: datetime | None, steps: list[timedelta]) -> None:
        """Time moves on with nothing landed in between: where reuse happens, and where
        windows slide and relative times move past the instants the world clusters on."""
        self.refresh(start or self.as_of, False)
        for step in steps:
            self.refresh(self.as_of + step, False)

    @rule(data=st.data(), window=st.sampled_from(refs._DURATIONS))
    def refresh_as_an_event_leaves(self, data: st.DataObject, window: str) -> None:
        """Just before and just after an event leaves a `within` window, nothing landed
        in between; only instants after the latest refresh, where reuse is possible."""
        duration = parse_duration(window)
        leaving = [
            moment
            for moment in (
                TimeContext.create(t, self.zone).shift(t, duration, 1) for t in self.times
            )
            if moment > self.as_of
        ]
        if not leaving:
            return
        moment = data.draw(st.sampled_from(sorted(leaving)))
        self.refresh(moment, False)
        self.refresh(moment + timedelta(microseconds=1), False)

    def refresh(self, as_of: datetime, full: bool) -> None:
        self.as_of = as_of
        result = self.ws.refresh(self.as_of, full=full)
        expected = full_build(self.ws, self._dynamic(), self.as_of)
        assert {r.snapshot.segment for r in result.segments} == set(expected)
        for r in result.segments:
            got = set(r.snapshot.to_arrow().column("contact_id").to_pylist())
            want = expected[r.snapshot.segment]
            assert got == want, (
                f"{r.snapshot.segment} ({r.action.value}: {r.reason}) at {self.as_of}: "
                f"definition {self.definitions[r.snapshot.segment]}, "
                f"missing {sorted(want - got)}, extra {sorted(got - want)}"
            )


RefreshMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=30 if FUZZ else 10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestRefreshMatchesFullBuild = RefreshMachine.TestCase
