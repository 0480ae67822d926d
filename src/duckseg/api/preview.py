"""`compile` and `preview`: a definition's SQL, and who it matches now; nothing is written."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import duckdb

from duckseg.api import build as builds
from duckseg.api.results import Preview
from duckseg.compiler import compile_build, to_sql
from duckseg.db import create_temp, parquet_scan
from duckseg.errors import DefinitionError, Problem
from duckseg.lang.describe import describe
from duckseg.lang.resolve import check_order

if TYPE_CHECKING:
    from duckseg.api.workspace import SegmentLike, Workspace


def compile_sql(
    ws: Workspace,
    segment: SegmentLike,
    dialect: str = "duckdb",
    as_of: datetime | date | str | None = None,
) -> str:
    """The SQL of one dynamic segment on its own, in `dialect`."""
    seg = ws.load(segment)
    con = ws.connect()
    try:
        (resolved,) = ws.resolve([seg], con)
    finally:
        con.close()
    ctx = ws.time_context(as_of)
    check_order([resolved], ctx)
    if resolved.tree is None:
        raise DefinitionError(
            [Problem(seg.source, "kind", f"{seg.name} is a static segment: it has no SQL")]
        )
    build = compile_build({seg.name: resolved.tree}, ctx, dialect)
    return to_sql(build.standalone(seg.name), dialect)


def preview(
    ws: Workspace,
    segment: SegmentLike,
    as_of: datetime | date | str | None = None,
    limit: int = 10,
    against_latest: bool = False,
) -> Preview:
    """Count and sample a definition's members; with `against_latest`, who would enter and
    leave compared with its latest snapshot."""
    seg = ws.load(segment)
    ctx = ws.time_context(as_of)
    con = ws.connect()
    try:
        (resolved,) = ws.resolve([seg], con)
        check_order([resolved], ctx)
        tree = builds.tree_of(resolved)
        build = compile_build({seg.name: tree}, ctx)
        query = build.standalone(seg.name)
        sql = to_sql(query)
        create_temp(con, "preview_members", query, kind="TABLE")
        count = _scalar(con, "SELECT count(*) FROM preview_members")
        sample = con.sql(
            "SELECT c.* FROM contacts c JOIN preview_members m USING (contact_id) ORDER BY c.contact_id LIMIT ?",
            params=[max(limit, 0)],
        ).pl()
        entered = exited = None
        latest = ws.snapshots.latest(seg.name) if against_latest else None
        if against_latest:
            if latest is None:
                entered = con.sql("SELECT contact_id FROM preview_members ORDER BY 1").pl()
                exited = entered.head(0)
            else:
                create_temp(con, "latest_members", parquet_scan([ws.snapshots.file(latest)]))
                entered = con.sql(
                    "SELECT contact_id FROM preview_members EXCEPT SELECT contact_id FROM latest_members ORDER BY 1"
                ).pl()
                exited = con.sql(
                    "SELECT contact_id FROM latest_members EXCEPT SELECT contact_id FROM preview_members ORDER BY 1"
                ).pl()
    finally:
        con.close()
    return Preview(
        seg.name,
        count,
        ctx.as_of,
        describe(tree),
        sample,
        sql,
        entered,
        exited,
        latest.snapshot_id if latest else None,
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    assert row is not None
    return int(row[0])
