-- Tranche journal, schema version 12: the statistics of the whole journal,
-- kept, so that `tranche report` need not add up every trade again while
-- nothing has changed.
--
-- `kept_stats` holds one row at most: `stats`, the statistics of every
-- trade, with no filter and each time read as it was recorded, but without
-- the per-trade curves a report does not print, as the program encodes
-- them (src/analysis/kept.rs), and `basis`, a fingerprint of what they were
-- computed under: the program's analysis and statistics, and the journal's
-- rule settings and playbooks (as for `analysis_cache`, version 7). A row
-- whose basis is not the program's current one is not used.
--
-- The row stands only for the trades and tags as they were when it was
-- written: the triggers below delete it whenever a trade or a tag is added,
-- changed or deleted, by whichever program writes the journal. A later
-- migration that gives the statistics another table they read must add a
-- trigger for it.

CREATE TABLE kept_stats (
    basis INTEGER NOT NULL,
    stats BLOB NOT NULL
) STRICT;

CREATE TRIGGER kept_stats_trade_insert AFTER INSERT ON trade
BEGIN
    DELETE FROM kept_stats;
END;

CREATE TRIGGER kept_stats_trade_update AFTER UPDATE ON trade
BEGIN
    DELETE FROM kept_stats;
END;

CREATE TRIGGER kept_stats_trade_delete AFTER DELETE ON trade
BEGIN
    DELETE FROM kept_stats;
END;

CREATE TRIGGER kept_stats_tag_insert AFTER INSERT ON trade_tag
BEGIN
    DELETE FROM kept_stats;
END;

CREATE TRIGGER kept_stats_tag_update AFTER UPDATE ON trade_tag
BEGIN
    DELETE FROM kept_stats;
END;

CREATE TRIGGER kept_stats_tag_delete AFTER DELETE ON trade_tag
BEGIN
    DELETE FROM kept_stats;
END;
