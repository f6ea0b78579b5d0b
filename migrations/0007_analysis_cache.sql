-- Tranche journal, schema version 7: each trade's analysis, kept so that the
-- statistics need not read and analyse every event of the journal again.
--
-- `analysis_cache` holds one row per trade at most: `figures`, the trade's
-- details (its row in `trade`, but its notes) and its analysis, as the
-- program encodes them (src/analysis/kept.rs), and `basis`, a fingerprint of
-- what they were computed under: the program's analysis and the journal's
-- rule settings and playbooks. A row whose basis is not the program's
-- current one is not used.
--
-- A row stands only for the trade as it was when the row was written: the
-- triggers below delete it whenever the trade's row or any of its events
-- changes, or the trade is deleted or added under its id, by whichever
-- program writes the journal. (Tags are not kept here.) A later migration
-- that gives a trade another table its analysis reads must add a trigger
-- for it.

CREATE TABLE analysis_cache (
    trade_id INTEGER PRIMARY KEY,
    basis    INTEGER NOT NULL,
    figures  BLOB NOT NULL
) STRICT;

CREATE TRIGGER analysis_cache_event_insert AFTER INSERT ON event
BEGIN
    DELETE FROM analysis_cache WHERE trade_id = NEW.trade_id;
END;

CREATE TRIGGER analysis_cache_event_update AFTER UPDATE ON event
BEGIN
    DELETE FROM analysis_cache WHERE trade_id IN (OLD.trade_id, NEW.trade_id);
END;

CREATE TRIGGER analysis_cache_event_delete AFTER DELETE ON event
BEGIN
    DELETE FROM analysis_cache WHERE trade_id = OLD.trade_id;
END;

CREATE TRIGGER analysis_cache_trade_insert AFTER INSERT ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id = NEW.id;
END;

CREATE TRIGGER analysis_cache_trade_update AFTER UPDATE ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id IN (OLD.id, NEW.id);
END;

CREATE TRIGGER analysis_cache_trade_delete AFTER DELETE ON trade
BEGIN
    DELETE FROM analysis_cache WHERE trade_id = OLD.id;
END;
