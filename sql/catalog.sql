-- The workspace catalog (state/catalog.duckdb). It is the source of truth for
-- which files under lake/ and state/ are live: a file is written first and
-- registered here in one transaction, so a crash leaves at most an orphan
-- file, which the next writer removes.

CREATE TABLE IF NOT EXISTS landings (
    landing_id       VARCHAR PRIMARY KEY,
    kind             VARCHAR NOT NULL,      -- contacts | events
    landed_at        TIMESTAMP NOT NULL,    -- UTC
    sources          VARCHAR[] NOT NULL,    -- input paths as given
    rows_read        BIGINT NOT NULL,
    rows_landed      BIGINT NOT NULL,
    rows_rejected    BIGINT NOT NULL,
    duplicates       BIGINT NOT NULL,       -- events skipped for an event_id already landed
    contacts_created BIGINT NOT NULL        -- contacts created by events with an unknown contact_id
);

CREATE TABLE IF NOT EXISTS lake_files (
    path       VARCHAR PRIMARY KEY,         -- relative to the workspace root
    kind       VARCHAR NOT NULL,            -- contacts | events | rejects
    landing_id VARCHAR NOT NULL,
    rows       BIGINT NOT NULL
);

-- Every event name ever landed: definitions are checked against it without scanning events.
CREATE TABLE IF NOT EXISTS event_names (
    event VARCHAR PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id     VARCHAR PRIMARY KEY,
    segment         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,       -- dynamic | static
    as_of           TIMESTAMP NOT NULL,     -- UTC
    built_at        TIMESTAMP NOT NULL,     -- UTC
    definition_hash VARCHAR NOT NULL,
    compiled_sql    VARCHAR NOT NULL,
    engine          VARCHAR NOT NULL,       -- duckdb | spark | static
    member_count    BIGINT NOT NULL,
    path            VARCHAR NOT NULL,       -- Parquet file of contact_id, relative to the root
    seq             BIGINT NOT NULL         -- commit order: breaks ties between equal as_of and built_at
);

CREATE TABLE IF NOT EXISTS exports (
    export_id   VARCHAR PRIMARY KEY,
    segment     VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    snapshot_id VARCHAR NOT NULL,
    exported_at TIMESTAMP NOT NULL,
    out_dir     VARCHAR NOT NULL,
    rows        BIGINT NOT NULL
);

-- One row per export (in `exports` above): the rows it sent, kept so that the
-- next `export --changes` of the same segment to the same format can send only
-- what changed. For ad-platform formats the file holds contact_id and the
-- upload columns as written (hashed); for csv / parquet, the member contact_ids.
CREATE TABLE IF NOT EXISTS export_state (
    export_id         VARCHAR PRIMARY KEY,  -- exports.export_id
    segment           VARCHAR NOT NULL,
    format            VARCHAR NOT NULL,
    path              VARCHAR NOT NULL,     -- Parquet file under state/exports/, relative to the root
    rows              BIGINT NOT NULL,      -- rows in that file: the audience as exported
    changes           BOOLEAN NOT NULL,     -- the export wrote adds / removes only
    include_opted_out BOOLEAN NOT NULL,     -- [consent] exclude_when was not applied
    seq               BIGINT NOT NULL       -- commit order: the greatest is the last export
);

-- Snapshots whose file was found missing by `duckseg doctor --repair`: moved out of
-- `snapshots` so that history, diffs and builds go on without them, kept here for the record.
CREATE TABLE IF NOT EXISTS lost_snapshots (
    snapshot_id     VARCHAR PRIMARY KEY,
    segment         VARCHAR NOT NULL,
    as_of           TIMESTAMP NOT NULL,
    path            VARCHAR NOT NULL,
    lost_at         TIMESTAMP NOT NULL      -- UTC, when doctor marked it
);

-- Lake files a landing replaced while a reader may still be reading them (snapshot
-- isolation): no longer live, removed by a later writer once no reader holds state/.readers.
CREATE TABLE IF NOT EXISTS retired_files (
    path       VARCHAR PRIMARY KEY,         -- relative to the workspace root
    retired_at TIMESTAMP NOT NULL           -- UTC
);

-- The SHA-256 of every input file a landing read, registered with it: content
-- that has landed before is refused unless the landing allows repeats.
CREATE TABLE IF NOT EXISTS landed_files (
    sha256     VARCHAR NOT NULL,            -- lower hex of the file's bytes
    landing_id VARCHAR NOT NULL,            -- landings.landing_id
    source     VARCHAR NOT NULL             -- the input path as given
);

-- The change feed (docs/memberships.md): who entered and exited each segment, appended in
-- the same transaction as the snapshot that made the change. seq orders the whole workspace.
CREATE TABLE IF NOT EXISTS changes (
    seq         BIGINT PRIMARY KEY,
    segment     VARCHAR NOT NULL,       -- audience:NAME for audiences
    contact_id  VARCHAR NOT NULL,       -- as text; typed as the lake types it when read
    change      VARCHAR NOT NULL,       -- entered | exited
    as_of       TIMESTAMP NOT NULL,     -- UTC
    snapshot_id VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,     -- UTC
    arm         VARCHAR                 -- audiences only
);

-- Named feed consumers: the last seq each has fully received.
CREATE TABLE IF NOT EXISTS feed_consumers (
    consumer   VARCHAR PRIMARY KEY,
    last_seq   BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL       -- UTC
);

-- Current members of every segment with the as_of since which each has been one: what
-- `duckseg contact` and GET /contacts/{id} read instead of every snapshot file.
CREATE TABLE IF NOT EXISTS member_index (
    segment    VARCHAR NOT NULL,
    contact_id VARCHAR NOT NULL,        -- as text
    since      TIMESTAMP NOT NULL,      -- UTC: first snapshot of the unbroken run holding it
    arm        VARCHAR,                 -- audiences only
    agent      VARCHAR
);
-- Builds change the index by their entries and exits only. No ART index on contact_id:
-- DuckDB removes deleted keys from an ART at commit, one by one (an audience's 174k rows
-- rewritten took 27 s to commit at SF10, 0.02 s without it), while a contact's rows are
-- one scan of this table, and `duckseg serve` answers from memory (docs/memberships.md).
DROP INDEX IF EXISTS member_index_contact;

-- Per segment, the snapshot member_index reflects (its latest when the index is current).
CREATE TABLE IF NOT EXISTS member_index_state (
    segment     VARCHAR PRIMARY KEY,
    snapshot_id VARCHAR NOT NULL
);
