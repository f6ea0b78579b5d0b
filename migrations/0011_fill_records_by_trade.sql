-- Tranche journal, schema version 11: imported fills are recorded by the
-- trade that took them, one row per trade and import, instead of one row
-- per fill.
--
-- An import of 100,000 fills spent a fifth of its time writing their
-- 100,000 rows into a table ordered by key. A trade's fills are now one row
-- of `fill_record`, appended with the trade: `fills` is a JSON object of the
-- fills' keys, each with the event it became (`{"x:E1": 0, "x:E2": 1}`;
-- the opening part of a fill split by a flip under `o:` and its key, as in
-- version 3). A trade continued by a later import gets a row of its own for
-- the new fills.
--
-- What version 3 says still holds: records outlive the trade they went
-- into, and only those of trades the journal holds count. Where two trades
-- the journal holds recorded one fill (a trade deleted, its fills imported
-- again into a new trade, and then the delete undone), the fill is the
-- newer trade's: the one with the larger id, as the replaced row of
-- version 3 made it.
--
-- The view `imported_fill` shows the records as rows, as the table did.

CREATE TABLE fill_record (
    trade_id INTEGER NOT NULL,
    account  TEXT NOT NULL,
    fills    TEXT NOT NULL CHECK (json_valid(fills) AND json_type(fills) = 'object')
) STRICT;

INSERT INTO fill_record (trade_id, account, fills)
SELECT trade_id, account, json_group_object(key, seq)
FROM imported_fill
GROUP BY trade_id, account
ORDER BY trade_id, account;

DROP TABLE imported_fill;

CREATE VIEW imported_fill (account, key, trade_id, seq) AS
SELECT record.account, fill.key, record.trade_id, fill.value
FROM fill_record AS record, json_each(record.fills) AS fill;
