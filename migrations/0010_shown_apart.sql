-- Tranche journal, schema version 10: what `trades --json` shows beside a
-- trade's kept analysis (version 8) moves into a table of its own.
--
-- Added to its row of `analysis_cache`, it made the row twice as long, so
-- that the first `trades --json` after an import rewrote every page of that
-- table; rows of their own are appended in trade id order instead.
--
-- `analysis_shown` holds at most one row per trade: `shown` as version 8
-- described it, computed under `basis`. It is used only beside the trade's
-- row of `analysis_cache` under the same basis. The triggers on `trade`
-- delete both rows whenever the trade is added, changed or deleted.

CREATE TABLE analysis_shown (
    trade_id INTEGER PRIMARY KEY,
    basis    INTEGER NOT NULL,
    shown    BLOB NOT NULL
) STRICT;

INSERT INTO analysis_shown (trade_id, basis, shown)
SELECT trade_id, basis, shown FROM analysis_cache
WHERE shown IS NOT NULL
ORDER BY trade_id;

ALTER TABLE analysis_cache DROP COLUMN shown;

DROP TRIGGER analysis_cache_trade_insert;
DROP TRIGGER analysis_cache_trade_update;
DROP TRIGGER analysis_cache_trade_delete;

CREATE TRIGGER analysis_cache_trade_insert AFTER INSERT ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id = NEW.id;
    DELETE FROM analysis_shown WHERE trade_id = NEW.id;
END;

CREATE TRIGGER analysis_cache_trade_update AFTER UPDATE ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id IN (OLD.id, NEW.id);
    DELETE FROM analysis_shown WHERE trade_id IN (OLD.id, NEW.id);
END;

CREATE TRIGGER analysis_cache_trade_delete AFTER DELETE ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id = OLD.id;
    DELETE FROM analysis_shown WHERE trade_id = OLD.id;
END;
