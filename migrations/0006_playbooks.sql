-- Tranche journal: setup playbooks.
--
-- - `playbook`: how one setup is meant to be traded, one row per setup
--   (matched ignoring case). `weights` is a JSON object of the rules that
--   apply, by stable id, with the weight of each (NULL: every rule, with the
--   journal's weights). `max_adds` is the largest number of adds (NULL: no
--   limit); `conditions` the market conditions the setup may be traded in,
--   comma separated (empty: any); `target_r` the planned target in R, a
--   decimal as TEXT (NULL: none).

CREATE TABLE playbook (
    setup TEXT NOT NULL PRIMARY KEY COLLATE NOCASE CHECK (trim(setup) <> ''),
    weights TEXT,
    max_adds INTEGER CHECK (max_adds IS NULL OR max_adds >= 0),
    conditions TEXT NOT NULL DEFAULT '',
    target_r TEXT
);
