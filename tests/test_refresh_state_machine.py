"""Refresh gives the snapshots of a full build, whatever happened since the last one.

A hypothesis state machine lands contacts (partial upserts) and events (also dated
before the last build, on the lifecycle periods of the current as_of and after it),
edits definitions drawn from the reference strategies with every construct of the
language (references at any depth, the static segment, sequences, lifecycle
conditions, traits, percentiles of attributes and traits), edits the trait files,
changes the static list, and refreshes at an as_of that moves forward by a
microsecond, an hour, a day or more, stays, or goes back, and just as an event crosses
a window's or a period's boundary. After every refresh each segment's snapshot must
hold exactly the members a full build computes at that as_of.

DUCKSEG_FUZZ=1 (`make fuzz`) runs many more and longer sequences, `make fuzz-refresh`
more still; DUCKSEG_REFRESH_EXAMPLES and DUCKSEG_REFRESH_STEPS set their number and length.
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
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from duckseg import Workspace
from duckseg.compiler import compile_build
from duckseg.lang.time import Duration, TimeContext, parse_duration
from tests.reference import strategies as refs

FUZZ = os.environ.get("DUCKSEG_FUZZ") == "1"
EXAMPLES = int(
    os.environ.get(
        "DUCKSEG_REFRESH_EXAMPLES", os.environ.get("DUCKSEG_EXAMPLES", "150" if FUZZ else "10")
    )
)
STEP_COUNT = int(os.environ.get("DUCKSEG_REFRESH_STEPS", "30" if FUZZ else "15"))
EXTENSIONS = refs.ALL_EXTENSIONS
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
    timedelta(hours=1),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
)
SEED_TS = datetime(2020, 1, 1)  # one event of every name, so every name is known to the lake
# Lengths counted back from as_of that a definition may draw: windows, lifecycle
# periods (k of them) and the stretch before a recent one (`recent` then `prior`).
LENGTHS = sorted({*refs._DURATIONS, *refs._EVERY, *refs._SPANS})


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pa.Table:
    arrays = {"contact_id": pa.array([r["contact_id"] for r in rows], pa.string())}
    for name, kind in columns.items():
        arrays[name] = pa.array([_naive_utc(r.get(name)) for r in rows], ARROW_TYPES[kind])
    return pa.table(arrays)


CONSTRUCTS = frozenset(
    {
        "sequence",
        "performed_regularly",
        "stopped_performing",
        "restarted_performing",
        "trait",
        "in_segment",
        "not_in_segment",
    }
)


def constructs(value: Any) -> set[str]:
    """The constructs of the language a definition uses, for the statistics of a run
    (`--hypothesis-show-statistics`): which of them were reused, not only rebuilt."""
    found: set[str] = set()
    if isinstance(value, dict):
        found |= CONSTRUCTS & set(value)
        if value.get("op") in ("top_percent", "bottom_percent"):
            found.add("percentile")
        for item in value.values():
            found |= constructs(item)
    elif isinstance(value, list):
        for item in value:
            found |= constructs(item)
    return found


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
    @initialize(
        world=refs.worlds(max_contacts=12, max_events=40, extensions=EXTENSIONS),
        family=refs.segment_families(extensions=EXTENSIONS),
    )
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
        (root / "traits").mkdir(exist_ok=True)
        self.traits: dict[str, dict[str, Any]] = {}
        for name, body in world.traits.items():
            self._write_trait(name, body)
        self.definitions = family[0]
        for name, body in self.definitions.items():
            if name != refs.STATIC_SEGMENT:
                self._write(name, body)
        # A first refresh records what later ones may reuse.
        self.refresh(self.as_of, False)

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

    def _write_trait(self, name: str, body: dict[str, Any]) -> None:
        self.traits[name] = body
        text = yaml.safe_dump(body, sort_keys=False)
        (self.ws.root / "traits" / f"{name}.yaml").write_text(text, encoding="utf-8")

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
        """New events, dated anywhere: long before the last build, between, after as_of,
        on the edges of windows and lifecycle periods."""
        moments = st.one_of(
            refs._instants(self.zone, extended=True),
            st.integers(-10 * 86400, 10 * 86400).map(lambda s: self.as_of + timedelta(seconds=s)),
            st.integers(1, 400 * 86400).map(lambda s: self.as_of - timedelta(seconds=s)),
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

    @rule(
        data=st.data(),
        length=st.sampled_from(LENGTHS),
        periods=st.lists(st.integers(0, 5), min_size=1, max_size=5, unique=True),
        offset=st.sampled_from((timedelta(0), timedelta(microseconds=1), timedelta(hours=-6))),
    )
    def land_regular_events(
        self, data: st.DataObject, length: str, periods: list[int], offset: timedelta
    ) -> None:
        """One event a period back from the current as_of (`as_of - k·D`, on a boundary or
        just inside the older period): contacts that performed regularly, stopped or
        restarted, as as_of moves on and the periods slide."""
        duration = parse_duration(length)
        ctx = TimeContext.create(self.as_of, self.zone)
        cid = data.draw(st.sampled_from([*self.ids, "c_ev"]))
        name = data.draw(st.sampled_from(refs.EVENT_NAMES))
        events = [
            {
                "contact_id": cid,
                "event": name,
                "ts": ctx.back(Duration(duration.amount * k, duration.unit)) - offset,
                **data.draw(st.fixed_dictionaries({}, optional=refs._PROPERTIES)),
            }
            for k in periods
        ]
        self._land_events(events)

    @rule(data=st.data())
    def edit_definition(self, data: st.DataObject) -> None:
        names = self._dynamic()
        name = data.draw(st.sampled_from(names))
        earlier = [refs.STATIC_SEGMENT, *names[: names.index(name)]]
        body = data.draw(
            refs.definitions(references=earlier, name=name, depth=2, extensions=EXTENSIONS)
        )
        self.definitions[name] = body
        self._write(name, body)

    @rule(data=st.data(), name=st.sampled_from(sorted(refs.TRAIT_TYPES)))
    def edit_trait(self, data: st.DataObject, name: str) -> None:
        """A trait file changes (of the same type, so that every segment stays valid):
        every segment reading it, directly or through a reference, must follow."""
        self._write_trait(name, data.draw(refs.trait_definitions(refs.TRAIT_TYPES[name])))

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

    @rule(
        data=st.data(),
        chain=st.lists(
            st.tuples(st.sampled_from(LENGTHS), st.integers(1, 4)), min_size=1, max_size=2
        ),
    )
    def refresh_as_an_event_crosses(
        self, data: st.DataObject, chain: list[tuple[str, int]]
    ) -> None:
        """Just before and just after an event crosses a boundary `as_of - k·D (- D2)`:
        leaves a `within` window, moves from one lifecycle period to the next, leaves a
        trait's window; nothing landed in between. Only instants after the latest refresh,
        where reuse is possible."""
        steps = [parse_duration(length) for length, _ in chain]
        durations = [Duration(d.amount * k, d.unit) for d, (_, k) in zip(steps, chain, strict=True)]
        crossing = set()
        for t in self.times:
            ctx = TimeContext.create(t, self.zone)
            moment = t
            for duration in reversed(durations):
                moment = ctx.shift(moment, duration, 1)
            if moment > self.as_of:
                crossing.add(moment)
        if not crossing:
            return
        moment = data.draw(st.sampled_from(sorted(crossing)))
        for at in (moment - timedelta(microseconds=1), moment, moment + timedelta(microseconds=1)):
            if at >= self.as_of:
                self.refresh(at, False)

    def refresh(self, as_of: datetime, full: bool) -> None:
        self.as_of = as_of
        result = self.ws.refresh(self.as_of, full=full)
        for r in result.segments:
            event(f"refresh: {r.action.value}, {r.reason}")
            for construct in constructs(self.definitions[r.snapshot.segment]):
                event(f"{r.action.value}: {construct}")
        expected = full_build(self.ws, self._dynamic(), self.as_of)
        assert {r.snapshot.segment for r in result.segments} == set(expected)
        for r in result.segments:
            got = set(r.snapshot.to_arrow().column("contact_id").to_pylist())
            want = expected[r.snapshot.segment]
            assert got == want, (
                f"{r.snapshot.segment} ({r.action.value}: {r.reason}) at {self.as_of}: "
                f"definition {self.definitions[r.snapshot.segment]}, traits {self.traits}, "
                f"missing {sorted(want - got)}, extra {sorted(got - want)}"
            )


RefreshMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEP_COUNT,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestRefreshMatchesFullBuild = RefreshMachine.TestCase
