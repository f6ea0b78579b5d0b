-- Tranche journal, schema version 8: what `trades --json` shows of a trade
-- beyond its kept analysis, kept beside it.
--
-- `shown`, when present, holds the violations' sentences (in the order of
-- the violations in `figures`) and the trade's disciplined twin, as the
-- program encodes them (src/analysis/kept.rs), computed under the row's
-- `basis`. It is NULL where the analysis was kept without them (an import,
-- `report`): `trades --json` then analyses the trade from its events, as
-- it does a trade with no row.
--
-- The triggers of version 7 delete the whole row when the trade or its
-- events change, `shown` with it.

ALTER TABLE analysis_cache ADD COLUMN shown BLOB;
