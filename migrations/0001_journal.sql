-- Tranche journal, schema version 1: trades, their events and tags, and settings.
--
-- Shipped migrations are never edited: a change to the schema is a new file
-- (0002_*.sql, ...) appended to the list in src/storage/mod.rs.
--
-- Conventions:
-- - Decimals (quantities, prices, fees, multipliers) are TEXT, written exactly
--   as rust_decimal prints them, so nothing is ever rounded through a float.
-- - A time is TEXT in RFC 3339 with the offset it was recorded in (the source
--   of truth), beside an INTEGER of Unix milliseconds in UTC for ordering and
--   range queries.
-- - Events of a trade are ordered by `seq`, the position in the trade's
--   time-ordered list, so that events at the same instant keep their order.

CREATE TABLE trade (
    -- AUTOINCREMENT: an id is never handed out twice, so a deleted trade can
    -- be restored under its old id without colliding with a newer one.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    symbol           TEXT NOT NULL CHECK (symbol <> ''),
    side             TEXT NOT NULL CHECK (side IN ('long', 'short')),
    multiplier       TEXT NOT NULL,
    currency         TEXT NOT NULL,
    account          TEXT NOT NULL,
    setup            TEXT NOT NULL,
    market_condition TEXT NOT NULL CHECK (market_condition IN ('trending', 'range', 'unknown')),
    notes            TEXT NOT NULL
) STRICT;

CREATE TABLE event (
    trade_id INTEGER NOT NULL REFERENCES trade (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL CHECK (seq >= 0),
    kind     TEXT NOT NULL CHECK (kind IN ('entry', 'exit', 'stop', 'target')),
    at       TEXT NOT NULL,
    at_utc   INTEGER NOT NULL,
    -- qty and fee are set for entries and exits, NULL for stops and targets.
    qty      TEXT CHECK ((qty IS NOT NULL) = (kind IN ('entry', 'exit'))),
    price    TEXT NOT NULL,
    fee      TEXT CHECK ((fee IS NOT NULL) = (kind IN ('entry', 'exit'))),
    PRIMARY KEY (trade_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE trade_tag (
    trade_id INTEGER NOT NULL REFERENCES trade (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    tag      TEXT NOT NULL,
    PRIMARY KEY (trade_id, position)
) STRICT, WITHOUT ROWID;

-- Journal settings: a key and a JSON value (rule weights, preferences).
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
