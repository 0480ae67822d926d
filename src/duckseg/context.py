"""What report/, export/ and the other consumers of snapshots may ask of a workspace.

They receive this small view rather than the Workspace class itself, so nothing
below the api/ facade imports it (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from duckseg.config import Config
from duckseg.lang.resolve import ResolvedSegment, Resolver
from duckseg.lang.spec import Segment
from duckseg.lang.time import Clock, TimeContext
from duckseg.state.snapshots import SnapshotStore
from duckseg.state.store import Store
from duckseg.types import Catalog


class WorkspaceContext(Protocol):
    """Folders, configuration, clock, stores, a connection factory and a resolver."""

    @property
    def root(self) -> Path: ...

    @property
    def config(self) -> Config: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def store(self) -> Store: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A cursor with the lake bound; the caller closes it."""
        ...

    def read_catalog(self, con: duckdb.DuckDBPyConnection) -> Catalog: ...

    def resolver(self, catalog: Catalog, extra: Sequence[Segment] = ()) -> Resolver: ...

    def resolve(
        self, segments: Sequence[Segment], con: duckdb.DuckDBPyConnection
    ) -> list[ResolvedSegment]: ...

    def segment_files(self) -> dict[str, Path]: ...

    def load(self, name_or_path: str) -> Segment: ...

    def definition_hash(self, segment: Segment, extra: Sequence[Segment] = ()) -> str: ...

    def time_context(self, as_of: datetime | date | str | None = None) -> TimeContext: ...
