-- Tranche journal, schema version 9: a trade's events move into its own row.
--
-- Events are only ever read and written with their trade, so a trade is now
-- one row to read or write instead of one per event. `trade.events` holds
-- them as one JSON array, in the trade's order: an entry or exit is
-- ["entry", time, quantity, price, fee], a stop or target ["stop", time,
-- price], every value a JSON string written as the `event` table held it
-- (no decimal is rounded). The view `event` shows them as rows, as the table
-- did, for reading the journal with SQL.
--
-- A change of a trade's events is now an UPDATE of its row: the trigger of
-- version 7 on `trade` forgets its kept analysis, as those on `event` did.

ALTER TABLE trade ADD COLUMN events TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(events) AND json_type(events) = 'array');

-- Moving the events changes no trade: the analyses kept for them stay.
DROP TRIGGER analysis_cache_trade_update;

UPDATE trade SET events = (
    SELECT json_group_array(
               CASE WHEN kind IN ('entry', 'exit')
                    THEN json_array(kind, at, qty, price, fee)
                    ELSE json_array(kind, at, price)
               END
               ORDER BY seq)
    FROM event
    WHERE event.trade_id = trade.id
)
WHERE EXISTS (SELECT 1 FROM event WHERE event.trade_id = trade.id);

CREATE TRIGGER analysis_cache_trade_update AFTER UPDATE ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id IN (OLD.id, NEW.id);
END;

-- Its triggers go with it.
DROP TABLE event;

CREATE VIEW event (trade_id, seq, kind, at, qty, price, fee) AS
SELECT trade.id,
       stored.key,
       stored.value ->> 0,
       stored.value ->> 1,
       CASE json_array_length(stored.value) WHEN 5 THEN stored.value ->> 2 END,
       CASE json_array_length(stored.value) WHEN 5 THEN stored.value ->> 3
            ELSE stored.value ->> 2 END,
       CASE json_array_length(stored.value) WHEN 5 THEN stored.value ->> 4 END
FROM trade, json_each(trade.events) AS stored;
