-- Tranche journal, schema version 4: money in the account's currency, stops
-- a statement does not reveal, and what each statement said of itself.
--
-- - `trade.rate`: units of the trade's currency per unit of the price
--   currency, as the broker applied it (RULES.md, "Money in the account's
--   currency"); '1' when both are the same. A decimal as TEXT, like the others.
-- - `trade.stops_known`: 0 when the stop in force at the initial entry is not
--   known (a statement that shows only the stop at the close); the trade then
--   has no R and its stop rules are not judged.
-- - `statement_check`: where an imported file states its own total (MT4
--   Closed Trade P/L, MT5 Total Net Profit), that figure beside the journal's
--   for the same trades, as at the import. `excluded` is the part of the
--   statement's figure that is not trades (archive summary rows), so that
--   `statement - excluded` is the figure compared. `statement_check_trade`
--   names the trades, so that the review can compare them as they are now.

ALTER TABLE trade ADD COLUMN rate TEXT NOT NULL DEFAULT '1';
ALTER TABLE trade ADD COLUMN stops_known INTEGER NOT NULL DEFAULT 1
    CHECK (stops_known IN (0, 1));

CREATE TABLE statement_check (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    file        TEXT NOT NULL,
    format      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    label       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    statement   TEXT NOT NULL,
    excluded    TEXT NOT NULL,
    journal     TEXT NOT NULL
) STRICT;

CREATE TABLE statement_check_trade (
    check_id INTEGER NOT NULL REFERENCES statement_check (id) ON DELETE CASCADE,
    trade_id INTEGER NOT NULL,
    PRIMARY KEY (check_id, trade_id)
) STRICT, WITHOUT ROWID;
