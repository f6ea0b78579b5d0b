-- Tranche journal, schema version 3: imported fills outlive the trade they went
-- into, and are recorded without a second index.
--
-- A fill is still remembered by its key within its account, and points at its
-- trade and event (see 0002). What changes:
--
-- - `trade_id` is no longer a foreign key, so deleting a trade keeps its fills.
--   A fill whose trade is gone does not count as imported: importing it again
--   brings the trade back ("delete and re-import" redoes a trade), and the new
--   trade takes the fill over. Undoing the delete restores the trade under its
--   old id, and with it its fills count again, so a later import of the same
--   file adds nothing. (If the trade was re-imported before the delete was
--   undone, its fills belong to the re-imported trade, and the restored one is
--   a copy with no imported fills.)
-- - The index on `trade_id` is gone: nothing looks fills up by their trade any
--   more. An import reads the table in key order, which the primary key gives,
--   and writes its new fills in that order too, so that they go in at the end
--   of the tree or near where they belong.
-- - `symbol` is gone: the trades an import may continue are found by the
--   account and symbol of the trades themselves, as grouping matches them.

CREATE TABLE imported_fill_v3 (
    account  TEXT NOT NULL,
    key      TEXT NOT NULL,
    trade_id INTEGER NOT NULL,
    seq      INTEGER NOT NULL CHECK (seq >= 0),
    PRIMARY KEY (account, key)
) STRICT, WITHOUT ROWID;

INSERT INTO imported_fill_v3 (account, key, trade_id, seq)
SELECT account, key, trade_id, seq FROM imported_fill ORDER BY account, key;

DROP TABLE imported_fill;

ALTER TABLE imported_fill_v3 RENAME TO imported_fill;
