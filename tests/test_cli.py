"""The command line end to end: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from duckseg.cli import app

DUCKSEG = [sys.executable, "-m", "duckseg"]
AS_OF = "2026-06-30T18:00:00Z"

CONTACTS_CSV = """contact_id,city,total_spent,email,phone,country,opted_out
c1,Pune,12000,a@x.com,+91 98200 00001,IN,false
c2,Mumbai,50,B@X.com,(212) 555-0123,US,true
c3,,,c@x.com,,,
c4,Pune,20000,d@x.com,,IN,false
"""

EVENTS_CSV = """contact_id,event,ts,amount,event_id
c1,purchase,2026-01-01T10:00:00Z,100,e1
c2,purchase,2026-06-01T10:00:00+05:30,20,e2
c4,purchase,2026-06-20T10:00:00Z,5,e3
c5,login,2026-06-02 10:00:00,,e4
"""


def run(*args: str, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*DUCKSEG, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    if ok:
        assert proc.returncode == 0, (
            f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    run("init", str(root))
    (tmp_path / "contacts.csv").write_text(CONTACTS_CSV, encoding="utf-8")
    (tmp_path / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    run("ingest", "contacts", str(tmp_path / "contacts.csv"), "-w", str(root))
    run("ingest", "events", str(tmp_path / "events.csv"), "-w", str(root))
    (root / "segments" / "loyal.yaml").write_text(
        "description: Big spenders without a recent purchase\nowner: growth\n"
        "where:\n  all:\n    - {attr: total_spent, op: gt, value: 1000}\n"
        "    - not_performed: purchase\n      within: 90d\n",
        encoding="utf-8",
    )
    (root / "segments" / "pune.yaml").write_text(
        "where: {attr: city, op: is, value: Pune}\n", encoding="utf-8"
    )
    return root


def test_init_writes_layout_and_commented_defaults(tmp_path: Path) -> None:
    run("init", str(tmp_path / "new"))
    for folder in ("segments", "lake/contacts", "lake/events", "state", "reports", "exports"):
        assert (tmp_path / "new" / folder).is_dir()
    config = (tmp_path / "new" / "duckseg.toml").read_text(encoding="utf-8")
    assert '# zone = "UTC"' in config and "# [identity]" in config


def cli_verbs() -> list[tuple[tuple[str, ...], Any]]:
    """Every verb of the typer app, subcommands of groups included, as (path, command)."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(path: tuple[str, ...], command: Any) -> None:
        if hasattr(command, "commands"):  # a group (typer's own click classes)
            for name, sub in sorted(command.commands.items()):
                walk((*path, name), sub)
        else:
            found.append((path, command))

    walk((), typer.main.get_command(app))
    return found


VERBS = cli_verbs()


def test_the_verbs_of_the_contract_exist() -> None:
    names = {path[0] for path, _ in VERBS}
    assert {"init", "ingest", "check", "compile", "preview", "build", "list", "delete"} <= names
    assert {"diff", "static", "report", "export", "demo", "attributes", "audience"} <= names


@pytest.mark.parametrize(("path", "command"), VERBS, ids=[" ".join(p) for p, _ in VERBS])
def test_every_verb_has_help_and_is_listed(path: tuple[str, ...], command: Any) -> None:
    assert command.help, f"duckseg {' '.join(path)} has no help text"
    group_help = CliRunner().invoke(app, [*path[:-1], "--help"], env={"COLUMNS": "200"})
    assert group_help.exit_code == 0 and f" {path[-1]} " in group_help.output
    own = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert own.exit_code == 0, own.output
    options = {o for p in command.params for o in getattr(p, "opts", [])}
    assert "--json" in options, f"duckseg {' '.join(path)} prints results: it takes --json"


def test_ingest_reports_rejects_and_strict_lands_nothing(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "contact_id,event,ts\nc1,login,2026-06-01T00:00:00Z\nc1,login,not a time\n",
        encoding="utf-8",
    )
    strict = run("ingest", "events", str(bad), "--strict", "-w", str(ws), ok=False)
    assert strict.returncode == 2
    assert "bad.csv" in strict.stderr and "row 2" in strict.stderr
    before = run_json("preview", "pune", "-w", str(ws), "--as-of", AS_OF)
    report = run_json("ingest", "events", str(bad), "-w", str(ws))
    assert report["rows_read"] == 2 and report["rows_landed"] == 1 and report["rows_rejected"] == 1
    assert Path(report["rejects_path"]).exists()
    assert run_json("preview", "pune", "-w", str(ws), "--as-of", AS_OF)["count"] == before["count"]


def test_preview_build_list_diff(ws: Path) -> None:
    pv = run_json("preview", "loyal", "-w", str(ws), "--as-of", AS_OF)
    assert set(pv) >= {"segment", "count", "as_of", "sample"}
    assert pv["count"] == 1 and pv["sample"][0]["contact_id"] == "c1"
    assert pv["as_of"] == AS_OF
    assert not list((ws / "state" / "snapshots").glob("**/*.parquet")), "preview must write nothing"

    built = run_json("build", "--all", "-w", str(ws), "--as-of", AS_OF)
    assert {b["segment"] for b in built} == {"loyal", "pune"}
    for b in built:
        assert set(b) == {"segment", "snapshot_id", "count", "entered", "exited", "as_of"}
    loyal = next(b for b in built if b["segment"] == "loyal")
    assert (loyal["count"], loyal["entered"], loyal["exited"]) == (1, 1, 0)

    # A later as_of: c4's purchase of 20 June falls out of the 90-day window by mid-September.
    later = run_json("build", "loyal", "-w", str(ws), "--as-of", "2026-09-30")
    assert (later[0]["count"], later[0]["entered"], later[0]["exited"]) == (2, 1, 0)
    diff = run_json("diff", "loyal", "-w", str(ws))
    assert diff["entered"] == ["c4"] and diff["exited"] == []

    listing = {row["segment"]: row for row in run_json("list", "-w", str(ws))}
    assert listing["loyal"]["count"] == 2 and listing["loyal"]["delta"] == 1
    assert listing["loyal"]["owner"] == "growth"
    assert listing["loyal"]["definition_changed"] is False
    (ws / "segments" / "loyal.yaml").write_text(
        "where: {attr: total_spent, op: gt, value: 5}\n", encoding="utf-8"
    )
    assert {r["segment"]: r for r in run_json("list", "-w", str(ws))}["loyal"][
        "definition_changed"
    ] is True


def test_backtest_slots_into_history(ws: Path) -> None:
    run("build", "loyal", "-w", str(ws), "--as-of", AS_OF)
    back = run_json("build", "loyal", "-w", str(ws), "--as-of", "2026-01-02")
    # On 2 January c1 had just purchased and c4's purchase (20 June) had not happened yet:
    # c4 is the member. It is the first snapshot in as_of order, so everyone in it entered.
    assert (back[0]["count"], back[0]["entered"], back[0]["exited"]) == (1, 1, 0)
    # The latest is still the one with the greatest as_of; the backtest is the one before it.
    latest = run_json("diff", "loyal", "-w", str(ws))
    assert (latest["entered"], latest["exited"]) == (["c1"], ["c4"])


def test_definition_errors_exit_2_with_file_and_path(ws: Path) -> None:
    (ws / "segments" / "bad.yaml").write_text(
        "where:\n  all:\n    - {attr: city, op: is, value: Pune}\n    - {attr: total_spent, op: gt, value: ten}\n",
        encoding="utf-8",
    )
    proc = run("check", "-w", str(ws), ok=False)
    assert proc.returncode == 2
    assert (
        'segments/bad.yaml: where.all[1].value: expected a number for attribute total_spent, got "ten"'
        in proc.stderr
    )
    build = run("build", "bad", "-w", str(ws), ok=False)
    assert build.returncode == 2
    assert not list((ws / "state" / "snapshots").glob("**/*.parquet"))


def test_unknown_segment_and_bad_config(ws: Path) -> None:
    proc = run("preview", "loyl", "-w", str(ws), ok=False)
    assert proc.returncode == 2 and "unknown segment loyl (did you mean loyal?)" in proc.stderr
    (ws / "duckseg.toml").write_text('[time]\nzone = "UTC"\nzon = "x"\n', encoding="utf-8")
    proc = run("list", "-w", str(ws), ok=False)
    assert (
        proc.returncode == 2
        and "duckseg.toml: time.zon: unknown key 'zon' (did you mean zone?)" in proc.stderr
    )


def test_compile_prints_commented_sql(ws: Path) -> None:
    sql = run("compile", "loyal", "-w", str(ws), "--as-of", AS_OF).stdout
    assert "/* members of loyal:" in sql and "/* contacts who: performed purchase" in sql
    assert "CAST('2026-04-01 18:00:00' AS TIMESTAMP)" in sql
    assert run("compile", "loyal", "-w", str(ws), "--dialect", "oracle", ok=False).returncode == 2


def test_preview_a_file_and_against_latest(ws: Path, tmp_path: Path) -> None:
    run("build", "pune", "-w", str(ws), "--as-of", AS_OF)
    edited = tmp_path / "pune.yaml"
    edited.write_text("where: {attr: city, op: is, value: [Pune, Mumbai]}\n", encoding="utf-8")
    pv = run_json("preview", str(edited), "-w", str(ws), "--as-of", AS_OF, "--against-latest")
    assert pv["count"] == 3
    assert (
        pv["against_latest"]["entered_ids"] == ["c2"] and pv["against_latest"]["exited_ids"] == []
    )


def test_static_segments_end_to_end(ws: Path, tmp_path: Path) -> None:
    upload = tmp_path / "upload.csv"
    upload.write_text("email\n A@X.com\nnobody@x.com\n", encoding="utf-8")
    created = run_json(
        "static", "create", "uploaded", "--csv", str(upload), "--key", "email", "-w", str(ws)
    )
    assert created["count"] == 1 and created["unmatched"] == [
        {"row": 2, "value": "nobody@x.com", "reason": "no contact with this email"}
    ]
    phones = tmp_path / "phones.csv"
    phones.write_text("phone,country\n(212) 555-0123,US\n12,US\n", encoding="utf-8")
    added = run_json(
        "static", "add", "uploaded", "--csv", str(phones), "--key", "phone", "-w", str(ws)
    )
    assert (added["count"], added["entered"]) == (2, 1)
    assert added["unmatched"][0]["row"] == 2
    ids = tmp_path / "ids.csv"
    ids.write_text("contact_id\nc1\n", encoding="utf-8")
    removed = run_json("static", "remove", "uploaded", "--csv", str(ids), "-w", str(ws))
    assert (removed["count"], removed["exited"]) == (1, 1)
    # A dynamic segment referencing the static one resolves to its stored members.
    (ws / "segments" / "uploaded_in_pune.yaml").write_text(
        "where:\n  any:\n    - {in_segment: uploaded}\n    - {in_segment: pune}\n", encoding="utf-8"
    )
    pv = run_json("preview", "uploaded_in_pune", "-w", str(ws), "--as-of", AS_OF)
    assert {r["contact_id"] for r in pv["sample"]} == {"c1", "c2", "c4"}
    assert (
        run("static", "create", "uploaded", "--csv", str(ids), "-w", str(ws), ok=False).returncode
        == 2
    )


def test_delete_keeps_or_removes_history(ws: Path) -> None:
    run("build", "--all", "-w", str(ws), "--as-of", AS_OF)
    assert run_json("delete", "pune", "-w", str(ws))["snapshots_removed"] == 1
    assert not (ws / "segments" / "pune.yaml").exists()
    assert run_json("delete", "loyal", "--keep-history", "-w", str(ws))["snapshots_removed"] == 0
    assert list((ws / "state" / "snapshots" / "loyal").glob("*.parquet"))


def test_attributes_profile(ws: Path) -> None:
    rows = {r["name"]: r for r in run_json("attributes", "-w", str(ws))}
    assert rows["city"]["type"] == "text" and rows["city"]["fill_rate"] == 0.6
    events = {r["name"]: r for r in run_json("attributes", "--events", "-w", str(ws))}
    assert events["event"]["top_values"][0] == {"value": "purchase", "count": 3}
