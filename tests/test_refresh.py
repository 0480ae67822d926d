"""refresh: what it reuses, what it rebuilds and why, always the members of a full build."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from duckseg import DefinitionError, FixedClock, Segment, Workspace
from duckseg.api.refresh import Action, RefreshResult, audience_order, refresh_audiences
from duckseg.cli import app
from duckseg.lang.invariance import reads_events, time_invariant
from duckseg.lang.resolve import Resolver
from duckseg.types import Catalog, ValueType

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "ws", clock=FixedClock(T0))
    land_contacts(ws, {"contact_id": ["a", "b", "c"], "city": ["Pune", "Pune", "Delhi"]})
    land_events(ws, [("a", "purchase", "2026-02-27 10:00"), ("b", "login", "2026-02-01 10:00")])
    return ws


def land_contacts(ws: Workspace, columns: dict[str, list[Any]]) -> None:
    path = ws.root.parent / f"contacts-{len(list(ws.root.parent.glob('*.parquet')))}.parquet"
    pq.write_table(pa.table(columns), path)
    ws.ingest("contacts", [path])


def land_events(ws: Workspace, rows: list[tuple[str, str, str]]) -> None:
    path = ws.root.parent / f"events-{len(list(ws.root.parent.glob('*.parquet')))}.parquet"
    table = pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "ts": pa.array([datetime.fromisoformat(r[2]) for r in rows], pa.timestamp("us")),
        }
    )
    pq.write_table(table, path)
    ws.ingest("events", [path])


def define(ws: Workspace, name: str, where: Any) -> None:
    text = yaml.safe_dump({"where": where})
    (ws.root / "segments" / f"{name}.yaml").write_text(text, encoding="utf-8")


def by_name(result: RefreshResult) -> dict[str, tuple[Action, str, set[Any]]]:
    return {
        r.snapshot.segment: (
            r.action,
            r.reason,
            set(r.snapshot.to_arrow().column("contact_id").to_pylist()),
        )
        for r in result.segments
    }


def full(ws: Workspace, name: str, as_of: datetime) -> set[Any]:
    return set(ws.preview(name, as_of=as_of, limit=100).sample["contact_id"].to_list())


def test_reuse_for_attributes_and_rebuild_for_windows(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    define(ws, "recent", {"performed": "purchase", "within": "7d"})
    first = by_name(ws.refresh(T0))
    assert first["pune"][:2] == (Action.BUILT, "never built")
    assert first["recent"][2] == {"a"}
    again = by_name(ws.refresh(T0))
    assert {v[0] for v in again.values()} == {Action.CURRENT}
    # A week on, nothing landed: the purchase of 27 February leaves the window.
    later = by_name(ws.refresh(at("2026-03-08 12:00")))
    assert later["pune"][:2] == (Action.REUSED, "nothing it reads changed")
    assert later["pune"][2] == {"a", "b"}
    assert later["recent"][:3] == (Action.PATCHED, "events leave a window", set())
    assert len(ws.snapshots.history("pune")) == 2


def test_a_window_nobody_leaves_is_reused(ws: Workspace) -> None:
    define(ws, "recent", {"performed": "purchase", "within": "7d"})
    define(ws, "quiet", {"not_performed": "login", "within": "1mo"})
    define(ws, "lately", {"last_performed": "purchase", "within": "3d"})
    ws.refresh(T0)
    # The purchase of 27 February stays within 7 days until 6 March, within 3 days
    # until 2 March 10:00; the login of 1 February left the month on 1 March 10:00.
    day = by_name(ws.refresh(at("2026-03-02 09:00")))
    assert day["recent"][:3] == (Action.REUSED, "nothing it reads changed", {"a"})
    assert day["quiet"][:3] == (Action.REUSED, "nothing it reads changed", {"a", "b", "c"})
    assert day["lately"][:3] == (Action.REUSED, "nothing it reads changed", {"a"})
    later = by_name(ws.refresh(at("2026-03-02 10:00:01")))
    assert later["lately"][:3] == (Action.PATCHED, "events leave a window", set())
    assert later["recent"][0] is Action.REUSED
    for name in ("recent", "quiet", "lately"):
        assert later[name][2] == full(ws, name, at("2026-03-02 10:00:01"))


def test_a_landing_rebuilds_everything(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    ws.refresh(T0)
    land_contacts(ws, {"contact_id": ["c"], "city": ["Pune"]})
    after = by_name(ws.refresh(at("2026-03-02 12:00")))
    assert after["pune"] == (Action.BUILT, "data landed", {"a", "b", "c"})


def test_events_older_than_the_last_build_count(ws: Workspace) -> None:
    define(ws, "buyers", {"performed": "purchase"})
    assert by_name(ws.refresh(T0))["buyers"][2] == {"a"}
    land_events(ws, [("c", "purchase", "2025-01-01 00:00")])
    assert by_name(ws.refresh(T0))["buyers"] == (Action.PATCHED, "data landed", {"a", "c"})


def test_a_landing_of_events_reevaluates_only_the_contacts_it_names(ws: Workspace) -> None:
    define(ws, "buyers", {"performed": "purchase"})
    define(ws, "quiet", {"not_performed": "purchase"})
    ws.refresh(T0)
    land_events(ws, [("c", "purchase", "2026-02-20 00:00"), ("c", "login", "2026-02-21 00:00")])
    result = ws.refresh(T0)
    after = by_name(result)
    assert after["buyers"] == (Action.PATCHED, "data landed", {"a", "c"})
    assert after["quiet"] == (Action.PATCHED, "data landed", {"b"})
    assert result.reevaluated() == 1  # c alone: a and b kept what they were
    rows = {r["segment"]: r for r in result.to_dict()["segments"]}
    assert rows["buyers"]["reevaluated"] == 1
    assert (rows["buyers"]["entered"], rows["quiet"]["exited"]) == (1, 1)
    for name in ("buyers", "quiet"):
        assert after[name][2] == full(ws, name, T0)
    # The change feed has the move, as a build's would.
    moved = {(c["segment"], c["change"]) for c in ws.changes().records() if c["contact_id"] == "c"}
    assert {("buyers", "entered"), ("quiet", "exited")} <= moved
    # The snapshot records what a build records.
    patched = {r.snapshot.segment: r.snapshot.info for r in result.segments}
    for name in ("buyers", "quiet"):
        built = ws.build(name, as_of=T0).info
        assert (patched[name].definition_hash, patched[name].compiled_sql) == (
            built.definition_hash,
            built.compiled_sql,
        )


def test_a_patch_of_too_many_contacts_is_a_build(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from duckseg.api import patch

    define(ws, "buyers", {"performed": "purchase"})
    ws.refresh(T0)
    monkeypatch.setattr(patch, "FEW_AFFECTED", 0)
    monkeypatch.setattr(patch, "MOST_AFFECTED", 0.3)  # 1 of 3 contacts is more
    land_events(ws, [("c", "purchase", "2026-02-20 00:00")])
    after = by_name(ws.refresh(T0))
    assert after["buyers"] == (Action.BUILT, "data landed; many contacts changed", {"a", "c"})


def test_a_contacts_landing_builds_the_segments_whole(ws: Workspace) -> None:
    define(ws, "buyers", {"performed": "purchase"})
    define(ws, "top", {"attr": "city", "op": "is", "value": "Pune"})
    ws.refresh(T0)
    land_contacts(ws, {"contact_id": ["d"], "city": ["Pune"]})
    land_events(ws, [("d", "purchase", "2026-02-20 00:00")])
    after = by_name(ws.refresh(T0))
    assert after["buyers"] == (Action.BUILT, "data landed", {"a", "d"})
    assert after["top"] == (Action.BUILT, "data landed", {"a", "b", "d"})


def test_landings_since_a_basis_are_known_only_when_they_sort_as_counted(ws: Workspace) -> None:
    from duckseg.state.refresh_state import Basis, lake_version, landed_since

    count, newest = lake_version(ws.store)
    assert count == 2 and newest is not None
    land_events(ws, [("c", "purchase", "2026-02-20 00:00")])
    since = landed_since(ws.store, Basis(count, "fp", newest))
    assert since is not None and [one.kind for one in since] == ["events"]
    assert landed_since(ws.store, Basis(3, "fp", None)) is None  # kept before last_landing was
    assert landed_since(ws.store, Basis(count + 1, "fp", newest)) is None  # a clock set back
    assert landed_since(ws.store, Basis(0, "fp", None)) is not None  # nothing landed then


def test_events_dated_between_two_as_of_values_rebuild(ws: Workspace) -> None:
    # An event landed ahead of its time: it counts only once as_of reaches it.
    land_events(ws, [("c", "purchase", "2026-03-05 00:00")])
    define(ws, "buyers", {"performed": "purchase"})
    assert by_name(ws.refresh(T0))["buyers"][2] == {"a"}
    assert by_name(ws.refresh(at("2026-03-04 00:00")))["buyers"][0] is Action.REUSED
    later = by_name(ws.refresh(at("2026-03-06 00:00")))
    assert later["buyers"] == (
        Action.PATCHED,
        "events dated since the latest snapshot",
        {"a", "c"},
    )


def test_editing_a_referenced_segment_rebuilds_its_users(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    define(ws, "pune_buyers", {"all": [{"in_segment": "pune"}, {"performed": "purchase"}]})
    ws.refresh(T0)
    define(ws, "pune", {"attr": "city", "op": "is_not", "value": "Pune"})
    after = by_name(ws.refresh(at("2026-03-02 00:00")))
    assert after["pune"][:2] == (Action.BUILT, "definition changed")
    assert after["pune_buyers"] == (Action.BUILT, "definition changed", set())


def test_a_static_list_change_rebuilds_its_users(ws: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "picked.csv"
    csv.write_text("contact_id\nb\n", encoding="utf-8")
    ws.static_change("picked", "create", csv)
    define(ws, "in_picked", {"in_segment": "picked"})
    assert by_name(ws.refresh(T0))["in_picked"][2] == {"b"}
    csv.write_text("contact_id\nc\n", encoding="utf-8")
    ws.static_change("picked", "add", csv)
    after = by_name(ws.refresh(at("2026-03-02 00:00")))
    assert after["in_picked"] == (Action.BUILT, "definition changed", {"b", "c"})


def test_an_earlier_as_of_is_a_backtest(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    ws.refresh(T0)
    back = by_name(ws.refresh(at("2026-01-01 00:00")))
    assert back["pune"][:2] == (Action.BUILT, "as_of before the latest snapshot")
    latest = ws.snapshots.latest("pune")
    assert latest is not None and latest.as_of == T0


def test_full_forgets_and_rebuilds(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    ws.refresh(T0)
    result = by_name(ws.refresh(T0, full=True))
    assert result["pune"][:2] == (Action.BUILT, "latest snapshot not written by refresh")


def test_relative_times_on_attributes_re_evaluate_the_contacts_they_pass(ws: Workspace) -> None:
    signups = [datetime(2026, 2, 27), datetime(2026, 1, 1), datetime(2026, 3, 9)]
    land_contacts(ws, {"contact_id": ["a", "b", "c"], "signup": signups})
    land_contacts(ws, {"contact_id": ["d"], "day": [datetime(2026, 2, 25).date()]})
    define(ws, "new", {"attr": "signup", "op": "within_last", "value": "7d"})
    define(ws, "after", {"attr": "signup", "op": "after", "value": "now-7d"})
    define(ws, "day", {"attr": "day", "op": "before", "value": "now-10d"})
    ws.refresh(T0)
    assert by_name(ws.refresh(at("2026-03-02 00:00")))["new"][0] is Action.REUSED
    result = ws.refresh(at("2026-03-10 00:00"))
    later = by_name(result)
    assert later["new"] == (Action.PATCHED, "attributes crossed a relative time", {"c"})
    assert later["after"][:3] == (Action.PATCHED, "attributes crossed a relative time", {"c"})
    assert later["day"] == (Action.PATCHED, "attributes crossed a relative time", {"d"})
    # a left both windows, c entered, d passed a date edge; b was long before all of them.
    assert result.reevaluated() == 3
    for name in ("new", "after", "day"):
        assert later[name][2] == full(ws, name, at("2026-03-10 00:00"))


def test_a_relative_time_on_a_trait_is_built_on_every_refresh(ws: Workspace) -> None:
    define_trait(ws, "last_buy", {"of": "purchase", "value": {"fn": "last_time"}})
    define(ws, "lapsed", {"trait": "last_buy", "op": "before", "value": "now-3d"})
    ws.refresh(T0)
    later = by_name(ws.refresh(at("2026-03-02 12:00")))
    assert later["lapsed"] == (Action.BUILT, "depends on the time", {"a"})


def resolved(where: Any) -> Any:
    catalog = Catalog(
        {"city": ValueType.TEXT, "signup": ValueType.TIMESTAMP},
        {"amount": ValueType.FLOAT},
        frozenset({"purchase"}),
    )
    resolver = Resolver(catalog, "UTC", lambda _: None, [])
    tree = resolver.resolve(Segment.from_dict({"name": "t", "where": where})).tree
    assert tree is not None
    return tree


@pytest.mark.parametrize(
    ("where", "invariant", "events"),
    [
        ({"attr": "city", "op": "is", "value": "Pune"}, True, False),
        ({"attr": "signup", "op": "after", "value": "2026-01-01"}, True, False),
        ({"attr": "signup", "op": "after", "value": "now-7d"}, False, False),
        ({"attr": "signup", "op": "within_last", "value": "7d"}, False, False),
        ({"performed": "purchase"}, True, True),
        ({"performed": "purchase", "within": {"after": "2026-01-01"}}, True, True),
        ({"performed": "purchase", "within": "30d"}, False, True),
        ({"performed": "purchase", "within": {"after": "now-30d"}}, False, True),
        ({"not_performed": "purchase", "where": {"prop": "amount", "op": "gt", "value": 5}}, 1, 1),
        ({"last_performed": "purchase", "before": "2026-01-01"}, True, True),
        ({"last_performed": "purchase", "within": "7d"}, False, True),
        ({"not": {"all": [{"attr": "city", "op": "is_set"}, {"performed": "purchase"}]}}, 1, 1),
        ({"sequence": [{"performed": "purchase"}, {"performed": "purchase"}]}, True, True),
        (
            {"sequence": [{"performed": "purchase"}, {"performed": "purchase"}], "within": "7d"},
            0,
            1,
        ),
        ({"stopped_performing": "purchase", "recent": "7d", "prior": "30d"}, False, True),
        ({"performed_regularly": "purchase", "every": "1mo", "periods": 3}, False, True),
    ],
)
def test_which_definitions_cannot_change_with_time(
    where: Any, invariant: bool, events: bool
) -> None:
    tree = resolved(where)
    assert time_invariant(tree) is bool(invariant)
    assert reads_events(tree) is bool(events)


def test_slides_name_the_values_each_edge_is_compared_with() -> None:
    from duckseg.lang.invariance import Slide, sliding_windows
    from duckseg.lang.time import Duration, Unit

    week, day = Duration(7, Unit.DAY), Duration(1, Unit.DAY)
    assert sliding_windows(resolved({"attr": "signup", "op": "within_last", "value": "7d"})) == [
        Slide(None, "signup", ValueType.TIMESTAMP, ((-1, week),)),
        Slide(None, "signup", ValueType.TIMESTAMP, ()),
    ]
    where = {"performed": "purchase", "within": {"after": "now+1d"}}
    assert sliding_windows(resolved(where)) == [
        Slide(("purchase",), "ts", ValueType.TIMESTAMP, ((1, day),))
    ]


def test_audiences_follow_segments_excluded_ones_first(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = ws.root / "audiences"
    folder.mkdir()
    (folder / "a.yaml").write_text("include: [x]\nexclude_audiences: [c]\n", encoding="utf-8")
    (folder / "b.yaml").write_text("include: [x]\n", encoding="utf-8")
    (folder / "c.yaml").write_text("include: [x]\nexclude_audiences: [b]\n", encoding="utf-8")
    assert audience_order(folder) == ["b", "c", "a"]
    calls: list[tuple[str, datetime]] = []

    def audience_build(name: str, as_of: datetime) -> str:
        calls.append((name, as_of))
        return name

    monkeypatch.setattr(ws, "audience_build", audience_build, raising=False)
    assert refresh_audiences(ws, T0) == ["b", "c", "a"]
    assert calls == [("b", T0), ("c", T0), ("a", T0)]


def test_cli_refresh_json_and_a_bad_definition(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    runner = CliRunner()
    args = ["refresh", "-w", str(ws.root), "--as-of", "2026-03-01T12:00:00Z", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["as_of"] == "2026-03-01T12:00:00Z"
    (seg,) = doc["segments"]
    assert seg["segment"] == "pune" and seg["count"] == 2 and seg["action"] == "built"
    again = json.loads(runner.invoke(app, args).stdout)
    assert again["segments"][0]["action"] == "current"
    define(ws, "broken", {"attr": "no_such_attribute", "op": "is_set"})
    bad = runner.invoke(app, args)
    assert isinstance(bad.exception, DefinitionError)
    assert "segments/broken.yaml" in str(bad.exception)
    assert len(ws.snapshots.history("pune")) == 1


def test_refresh_builds_audiences_after_the_segments(ws: Workspace) -> None:
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    (ws.root / "audiences").mkdir()
    (ws.root / "audiences" / "push.yaml").write_text(
        "include: [pune]\nconsent: false\n", encoding="utf-8"
    )
    result = ws.refresh(T0)
    (audience,) = result.audiences
    assert audience.count == 2 and audience.as_of == T0
    assert result.to_dict()["audiences"][0]["audience"] == "push"


def define_trait(ws: Workspace, name: str, body: Any) -> None:
    (ws.root / "traits").mkdir(exist_ok=True)
    text = yaml.safe_dump(body)
    (ws.root / "traits" / f"{name}.yaml").write_text(text, encoding="utf-8")


def test_a_trait_counts_events_dated_since_the_latest_snapshot(ws: Workspace) -> None:
    land_events(ws, [("c", "purchase", "2026-03-05 00:00")])
    define_trait(ws, "buys", {"of": "purchase", "value": {"fn": "count"}})
    define(ws, "buyer", {"trait": "buys", "op": "gte", "value": 1})
    define(ws, "top", {"trait": "buys", "op": "top_percent", "value": 50})
    ws.refresh(T0)
    assert by_name(ws.refresh(at("2026-03-04 00:00")))["buyer"][:3] == (
        Action.REUSED,
        "nothing it reads changed",
        {"a"},
    )
    later = by_name(ws.refresh(at("2026-03-06 00:00")))
    # A percentile ranks every contact: built; the plain test re-evaluates the contacts.
    assert later["top"][:2] == (Action.BUILT, "events dated since the latest snapshot")
    assert later["buyer"][:2] == (Action.PATCHED, "events dated since the latest snapshot")
    for name in ("buyer", "top"):
        assert later[name][2] == full(ws, name, at("2026-03-06 00:00"))
    assert later["buyer"][2] == {"a", "c"}


def test_a_trait_window_slides(ws: Workspace) -> None:
    define_trait(ws, "week_buys", {"of": "purchase", "within": "7d", "value": {"fn": "count"}})
    define(ws, "weekly", {"trait": "week_buys", "op": "gt", "value": 0})
    assert by_name(ws.refresh(T0))["weekly"][2] == {"a"}
    # The purchase of 27 February 10:00 leaves the week on 6 March 10:00.
    assert by_name(ws.refresh(at("2026-03-06 09:00")))["weekly"][0] is Action.REUSED
    later = by_name(ws.refresh(at("2026-03-06 11:00")))
    assert later["weekly"] == (Action.PATCHED, "events leave a window", set())


def test_a_trait_edit_rebuilds_exactly_the_segments_reading_it(ws: Workspace) -> None:
    define_trait(ws, "buys", {"of": "purchase", "value": {"fn": "count"}})
    define_trait(ws, "logins", {"of": "login", "value": {"fn": "count"}})
    define(ws, "buyer", {"trait": "buys", "op": "gte", "value": 1})
    define(ws, "pune_buyer", {"all": [{"in_segment": "buyer"}, {"attr": "city", "op": "is_set"}]})
    define(ws, "logged_in", {"trait": "logins", "op": "gte", "value": 1})
    define(ws, "pune", {"attr": "city", "op": "is", "value": "Pune"})
    ws.refresh(T0)
    define_trait(ws, "buys", {"of": ["purchase", "login"], "value": {"fn": "count"}})
    after = by_name(ws.refresh(at("2026-03-01 13:00")))
    assert after["buyer"] == (Action.BUILT, "definition changed", {"a", "b"})
    assert after["pune_buyer"] == (Action.BUILT, "definition changed", {"a", "b"})
    assert after["logged_in"][:3] == (Action.REUSED, "nothing it reads changed", {"b"})
    assert after["pune"][0] is Action.REUSED


def test_sequences_are_reused_until_an_event_leaves_their_window(ws: Workspace) -> None:
    land_events(ws, [("b", "purchase", "2026-02-02 10:00")])
    steps = [{"performed": "login"}, {"performed": "purchase", "then_within": "2d"}]
    define(ws, "ever", {"sequence": steps})
    define(ws, "month", {"sequence": steps, "within": "30d"})
    assert by_name(ws.refresh(T0))["month"][2] == {"b"}
    # The login of 1 February 10:00 leaves 30 days on 3 March 10:00.
    day = by_name(ws.refresh(at("2026-03-03 09:00")))
    assert day["ever"][:3] == (Action.REUSED, "nothing it reads changed", {"b"})
    assert day["month"][:3] == (Action.REUSED, "nothing it reads changed", {"b"})
    later = by_name(ws.refresh(at("2026-03-03 11:00")))
    assert later["ever"][0] is Action.REUSED
    assert later["month"] == (Action.PATCHED, "events leave a window", set())


def test_lifecycle_periods_slide_with_time(ws: Workspace) -> None:
    define(ws, "stopped", {"stopped_performing": "purchase", "recent": "7d", "prior": "30d"})
    define(ws, "regular", {"performed_regularly": "login", "every": "1mo", "periods": 1})
    assert by_name(ws.refresh(T0))["stopped"][2] == set()
    day = by_name(ws.refresh(at("2026-03-01 12:30")))
    assert day["stopped"][0] is day["regular"][0] is Action.REUSED
    # 6 March 10:00: the purchase of 27 February moves from the recent week to the prior
    # stretch; the login of 1 February has left the month on 1 March 10:00.
    later = by_name(ws.refresh(at("2026-03-06 10:00:01")))
    assert later["stopped"] == (Action.PATCHED, "events leave a window", {"a"})
    assert later["regular"][:2] == (Action.REUSED, "nothing it reads changed")
    assert later["regular"][2] == full(ws, "regular", at("2026-03-06 10:00:01")) == set()


def test_a_calendar_window_start_that_moves_back_lets_events_in(ws: Workspace) -> None:
    # 28 March 12:00 - 1mo is 28 February 12:00, but 29 March 01:00 - 1mo is clamped to
    # 28 February 01:00: the start moves back and the event of 06:00 enters the window.
    land_events(ws, [("c", "purchase", "2026-02-28 06:00")])
    define(ws, "month", {"performed": "purchase", "within": "1mo"})
    assert by_name(ws.refresh(at("2026-03-28 12:00")))["month"][2] == set()
    later = by_name(ws.refresh(at("2026-03-29 01:00")))
    assert later["month"] == (Action.PATCHED, "events leave a window", {"c"})


def test_a_reused_snapshot_records_the_sql_of_a_full_build(ws: Workspace) -> None:
    # Two segments that walk every contact share the build's member flags; the one that
    # reads a trait still records its own query, runnable alone, as a reused snapshot does.
    define_trait(ws, "buys", {"of": "purchase", "value": {"fn": "count"}})
    define(ws, "quiet", {"not_performed": "login"})
    buyer = {"any": [{"trait": "buys", "op": "gte", "value": 1}, {"not_performed": "purchase"}]}
    define(ws, "buyer", buyer)
    ws.refresh(T0)
    later = at("2026-03-01 13:00")
    reused = by_name(ws.refresh(later))
    recorded = {n: ws.snapshots.latest(n) for n in ("quiet", "buyer")}
    built = {s.segment: s for s in ws.build_all(as_of=later)}
    con = ws.connect()
    try:
        for name, info in recorded.items():
            assert reused[name][0] is Action.REUSED
            assert info is not None
            sql = built[name].info.compiled_sql
            assert "member_flags" not in sql
            assert info.compiled_sql == sql
            assert {r[0] for r in con.execute(sql).fetchall()} == reused[name][2]
    finally:
        con.close()
