-- Tranche journal, schema version 2: the fills imported from broker files.
--
-- Each imported fill is remembered by its key within its account: 'x:<execution
-- id>' when the broker gives one, else 'f:<fingerprint>:<n>' (see
-- src/import/group.rs). Importing a file again finds its fills here and adds
-- nothing; a later file that overlaps adds only the fills not found.
--
-- A fill points at the trade it became part of (deleting the trade forgets its
-- fills) and at the event it became: `seq` is the event's position in the trade
-- when the fill was imported. Events the user adds by hand later can move it, so
-- `seq` is not a foreign key; an event with no fill pointing at it was added by
-- hand. Trades with imported fills are the ones an import may extend.

CREATE TABLE imported_fill (
    account  TEXT NOT NULL,
    key      TEXT NOT NULL,
    trade_id INTEGER NOT NULL REFERENCES trade (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL CHECK (seq >= 0),
    symbol   TEXT NOT NULL,
    PRIMARY KEY (account, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX imported_fill_trade ON imported_fill (trade_id);
