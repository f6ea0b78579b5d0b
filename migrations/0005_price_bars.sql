-- Tranche journal, schema version 5: price bars.
--
-- - `bar_series`: one instrument's bars of one length (in seconds). Prices of
--   its bars are whole numbers of 10^-scale (exact for every price its files
--   gave). `source` says where the bars came from (a file's name, or
--   'sample data'); `bars`, `first` and `last` (bar starts, Unix seconds)
--   are kept up to date by each import so that nothing needs to count bars.
-- - `bar`: one bar, keyed by its series and its start (Unix seconds, UTC).
--   WITHOUT ROWID, so that the key is the table: a trade's bars are one range
--   of it, and a bar costs about 30 bytes. Importing a bar that is already
--   there adds nothing.

CREATE TABLE bar_series (
    id      INTEGER PRIMARY KEY,
    symbol  TEXT NOT NULL COLLATE NOCASE,
    length  INTEGER NOT NULL CHECK (length > 0),
    scale   INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 12),
    source  TEXT NOT NULL DEFAULT '',
    bars    INTEGER NOT NULL DEFAULT 0,
    first   INTEGER,
    last    INTEGER,
    UNIQUE (symbol, length)
);

CREATE TABLE bar (
    series_id INTEGER NOT NULL,
    start     INTEGER NOT NULL,
    open      INTEGER NOT NULL,
    high      INTEGER NOT NULL,
    low       INTEGER NOT NULL,
    close     INTEGER NOT NULL,
    PRIMARY KEY (series_id, start)
) WITHOUT ROWID;
