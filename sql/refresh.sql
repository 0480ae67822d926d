-- What `duckseg refresh` and `duckseg watch` keep in the catalog (docs/refresh.md).

-- Per snapshot written by refresh: the lake and the resolved definition it was
-- computed from. A later refresh reuses the snapshot only when both are unchanged.
CREATE TABLE IF NOT EXISTS refresh_basis (
    snapshot_id  VARCHAR PRIMARY KEY,   -- snapshots.snapshot_id
    lake_version BIGINT NOT NULL,       -- landings committed when it was computed
    fingerprint  VARCHAR NOT NULL,      -- SHA-256 of the resolved definition, references inlined
    last_landing VARCHAR                -- the newest of those landings (landing ids sort in commit order)
);
-- Catalogs written before last_landing was kept: their rows have none, and are rebuilt once.
ALTER TABLE refresh_basis ADD COLUMN IF NOT EXISTS last_landing VARCHAR;

-- Every inbox file that `watch` landed, registered in the landing's own transaction,
-- so a restart after a kill moves such a file instead of landing it again.
CREATE TABLE IF NOT EXISTS inbox_files (
    name       VARCHAR NOT NULL,        -- contacts/NAME or events/NAME inside the inbox
    sha256     VARCHAR NOT NULL,        -- of the file's content
    landing_id VARCHAR NOT NULL,        -- landings.landing_id
    PRIMARY KEY (name, sha256)
);
