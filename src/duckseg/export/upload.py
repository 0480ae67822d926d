"""Ad-platform exports: members streamed from DuckDB into the platform's upload files.

Members (minus the contacts `[consent] exclude_when` keeps out) are read with
their identity attributes in Arrow record batches, turned into the platform's
rows one batch at a time, and written both to the upload files and to the
export's audience file (contact_id plus the upload columns as written), which
the next `--changes` export compares against. A changes export compares the
two audience files in DuckDB and writes the rows that are new (`adds`) and the
rows that are gone (`removes`) as two sets of files: a contact whose
identifiers changed is removed with its old hashes and added with its new
ones, so the platform can match both. Rows are compared as the platform sees
them, not by contact id, and a remove never carries a hash that a current row
still sends (contacts sharing an email stay in the audience).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from duckseg import db as database
from duckseg.compiler.sqlbuild import CONTACTS, KEY
from duckseg.config import IdentityConfig
from duckseg.export.base import PlatformSpec
from duckseg.export.writer import CsvParts, PlatformRows, WrittenFile

MEMBERS = "snapshot_members"
EXCLUDED = "consent_excluded"
CURRENT, PREVIOUS = "current_rows", "previous_rows"
BATCH_ROWS = 20_000


def _col(name: str, table: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def identity_columns(identity: IdentityConfig, attributes: Mapping[str, object]) -> list[str]:
    """The attributes `[identity]` names that the contacts have, each once."""
    names = [str(v) for v in identity.model_dump().values()]
    return [n for n in dict.fromkeys(names) if n in attributes and n != KEY]


def members_query(columns: Sequence[str], exclude: bool) -> exp.Select:
    """Snapshot members with `columns`; without those in `consent_excluded` when `exclude`."""
    m, c, x = "m", "c", "x"
    query = (
        exp.select(
            exp.alias_(_col(KEY, m), KEY, quoted=True),
            *(exp.alias_(_col(name, c), name, quoted=True) for name in columns),
        )
        .from_(exp.to_table(MEMBERS).as_(m))
        .join(exp.to_table(CONTACTS).as_(c), on=_col(KEY, c).eq(_col(KEY, m)), join_type="left")
    )
    if exclude:
        query = query.join(
            exp.to_table(EXCLUDED).as_(x), on=_col(KEY, x).eq(_col(KEY, m)), join_type="left"
        ).where(_col(KEY, x).is_(exp.null()))
    return query.order_by(_col(KEY, m))


@dataclass(frozen=True)
class PartsTarget:
    """Where and how a full export writes its upload files."""

    out_dir: Path
    stem: str
    max_rows: int | None
    max_bytes: int | None


def write_audience(
    con: duckdb.DuckDBPyConnection,
    query: exp.Select,
    spec: PlatformSpec,
    identity: IdentityConfig,
    audience_path: Path,
    upload: PartsTarget | None,
    *,
    prehashed: bool = False,
) -> tuple[tuple[str, ...], PlatformRows, int, tuple[WrittenFile, ...]]:
    """Stream `query`'s contacts into the audience Parquet file and, for a full
    export, into the upload files at `upload`. Returns the headers, the row
    builder (with its skip and drop counts), the audience rows and the files."""
    reader = con.sql(query.sql("duckdb")).to_arrow_reader(BATCH_ROWS)
    rows_of = PlatformRows(spec, identity, prehashed=prehashed)
    headers = rows_of.headers(reader.schema.names)
    key_type = reader.schema.field(KEY).type
    schema = pa.schema([pa.field(KEY, key_type), *(pa.field(h, pa.string()) for h in headers)])
    parts = (
        None
        if upload is None
        else CsvParts(upload.out_dir, upload.stem, headers, upload.max_rows, upload.max_bytes)
    )
    audience = 0
    try:
        with pq.ParquetWriter(audience_path, schema, compression="zstd") as sink:
            for batch in reader:
                ids, rows = rows_of.convert(batch, headers)
                if parts is not None:
                    parts.write_many(rows)
                columns = list(zip(*rows, strict=True)) if rows else [() for _ in headers]
                arrays = [pa.array(ids, key_type), *(pa.array(c, pa.string()) for c in columns)]
                sink.write_batch(pa.record_batch(arrays, schema=schema))
                audience += len(rows)
        files = parts.close() if parts is not None else ()
    except BaseException:
        if parts is not None:
            parts.discard()
        raise
    return headers, rows_of, audience, files


def write_changes(
    current: Path,
    previous: Path | None,
    headers: Sequence[str],
    target: PartsTarget,
    spec: PlatformSpec | None = None,
) -> tuple[dict[str, int], list[dict[str, object]]]:
    """The adds and removes files (`<stem>-adds-part-0001.csv`, `<stem>-removes-...`).
    Returns the rows of each change and the manifest entries, each with its change."""
    counts: dict[str, int] = {}
    entries: list[dict[str, object]] = []
    for change, rows in change_rows(current, previous, headers, spec):
        stem = f"{target.stem}-{change}s"
        parts = CsvParts(target.out_dir, stem, headers, target.max_rows, target.max_bytes)
        try:
            parts.write_many(rows)
            written = parts.close()
        except BaseException:
            parts.discard()
            raise
        counts[change] = sum(f.rows for f in written)
        entries += [{**f.as_dict(), "change": change} for f in written]
    return counts, entries


def change_headers(spec: PlatformSpec, current: Path, previous: Path | None) -> tuple[str, ...]:
    """The upload columns of either audience file, in the platform's order."""
    names = set(pq.read_schema(current).names)
    if previous is not None:
        names |= set(pq.read_schema(previous).names)
    return tuple(h for h in spec.headers if h in names)


def _aligned(table: str, names: set[str], headers: Sequence[str]) -> exp.Select:
    """`table` as contact_id + `headers`, '' where the file lacks a column or a value."""
    return exp.select(
        exp.column(KEY, quoted=True),
        *(
            exp.alias_(
                exp.func("COALESCE", exp.column(h, quoted=True), exp.Literal.string("")),
                h,
                quoted=True,
            )
            if h in names
            else exp.alias_(exp.Literal.string(""), h, quoted=True)
            for h in headers
        ),
    ).from_(exp.to_table(table))


def _changed_rows(
    first: exp.Select, second: exp.Select, headers: Sequence[str], first_key: str = "f"
) -> exp.Select:
    """Distinct upload rows of `first` that `second` does not send, each with the smallest
    contact_id that sends it (for a stable order). Contact ids play no part in the test:
    the platform sees rows, not ids (docs/exports.md)."""
    f, s = first_key, "s"
    same = exp.and_(*(_col(h, s).eq(_col(h, f)) for h in headers)) if headers else exp.true()
    gone = exp.Exists(this=exp.select("1").from_(second.subquery(s)).where(same))
    return (
        exp.select(*(_col(h, f) for h in headers), exp.alias_(exp.func("MIN", _col(KEY, f)), KEY))
        .from_(first.subquery(f))
        .where(exp.Not(this=gone))
        .group_by(*(_col(h, f) for h in headers))
    )


def _still_sent(
    removed: exp.Select, current: exp.Select, headers: Sequence[str], spec: PlatformSpec | None
) -> exp.Select:
    """Removes stripped of whatever would match someone still in the audience (a household's
    shared email, one person's two ids): an identifier (email, phone, device id) that a
    current row sends in the same column is blanked; the other columns, which match only
    together (names, address, birth date), are blanked together when a current row sends
    the same combination. A row left with nothing to match on is not sent."""
    strong = [h for h in headers if spec is None or h in spec.identifiers]
    own = set() if spec is None else set(spec.contact_keys)
    weak = [h for h in headers if h not in strong and h not in own]
    r, c, b = "r", "c", "b"

    def blank_if(test: exp.Expr, h: str) -> exp.Expr:
        value = exp.Case(ifs=[exp.If(this=test, true=exp.Literal.string(""))], default=_col(h, r))
        return exp.alias_(value, h, quoted=True)

    others = current.subquery(c)
    columns = []
    for h in strong:
        sent = exp.select(_col(h, c)).from_(others).where(_col(h, c).neq(""))
        columns.append(blank_if(exp.In(this=_col(h, r), query=exp.Subquery(this=sent)), h))
    if weak:
        same = exp.and_(*(_col(h, c).eq(_col(h, r)) for h in weak))
        combination = exp.Exists(this=exp.select("1").from_(others).where(same))
        columns += [blank_if(combination, h) for h in weak]
    rest = [_col(h, r) for h in removed.named_selects if h in own or h == KEY]
    blanked = exp.select(*columns, *rest).from_(removed.subquery(r))
    matchable = [*strong, *weak]
    anything = exp.or_(*(_col(h, b).neq("") for h in matchable)) if matchable else exp.true()
    return exp.select(exp.Star()).from_(blanked.subquery(b)).where(anything)


def change_rows(
    current: Path,
    previous: Path | None,
    headers: Sequence[str],
    spec: PlatformSpec | None = None,
) -> Iterator[tuple[str, Iterator[list[str]]]]:
    """("add", rows) then ("remove", rows): upload rows new since / gone since the previous
    export (none: everything is new), values in `headers` order, ordered by the smallest
    contact_id sending each. Removes never match a current row (`_still_sent`; without a
    `spec`, every column counts as an identifier). Each row iterator must be drained
    before the next pair."""
    con = database.cursor()
    try:
        con.read_parquet(str(current)).create_view(CURRENT)
        have = {CURRENT: set(pq.read_schema(current).names)}
        if previous is None:
            empty = exp.select(exp.Star()).from_(exp.to_table(CURRENT)).where(exp.false())
            con.sql(empty.sql("duckdb")).create_view(PREVIOUS)
            have[PREVIOUS] = have[CURRENT]
        else:
            con.read_parquet(str(previous)).create_view(PREVIOUS)
            have[PREVIOUS] = set(pq.read_schema(previous).names)
        now = _aligned(CURRENT, have[CURRENT], headers)
        before = _aligned(PREVIOUS, have[PREVIOUS], headers)
        adds = _changed_rows(now, before, headers)
        removes = _changed_rows(before, now, headers)
        removes = _still_sent(removes, now, headers, spec)
        for change, diff in (("add", adds), ("remove", removes)):
            query = (
                exp.select(*(exp.column(h, quoted=True) for h in headers))
                .from_(diff.subquery("d"))
                .order_by(
                    exp.column(KEY, quoted=True), *(exp.column(h, quoted=True) for h in headers)
                )
            )
            reader = con.sql(query.sql("duckdb")).to_arrow_reader(BATCH_ROWS)
            yield change, _rows(reader, len(headers))
    finally:
        con.close()


def _rows(reader: pa.RecordBatchReader, width: int) -> Iterator[list[str]]:
    for batch in reader:
        columns = [batch.column(i).to_pylist() for i in range(width)]
        for values in zip(*columns, strict=True):
            yield ["" if v is None else str(v) for v in values]
