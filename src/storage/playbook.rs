//! The setups' playbooks, in the `playbook` table
//! (`migrations/0006_playbooks.sql`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Journal, StorageError};
use crate::domain::{MarketCondition, Playbook};

impl Journal {
    /// Every playbook in the journal, by setup name (none in a journal
    /// opened read-only before its upgrade to playbooks).
    pub fn playbooks(&self) -> Result<Vec<Playbook>, StorageError> {
        let has_table: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'playbook')",
            [],
            |row| row.get(0),
        )?;
        if !has_table {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT setup, weights, max_adds, conditions, target_r FROM playbook \
             ORDER BY setup COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<u32>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut playbooks = Vec::new();
        for row in rows {
            let (setup, weights, max_adds, conditions, target_r) = row?;
            let weights = weights
                .map(|json| {
                    serde_json::from_str::<BTreeMap<String, u32>>(&json).map_err(|_| {
                        StorageError::Corrupt {
                            what: "playbook weights",
                            value: json.clone(),
                        }
                    })
                })
                .transpose()?;
            let conditions = conditions
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| {
                    c.parse::<MarketCondition>()
                        .map_err(|_| StorageError::Corrupt {
                            what: "playbook condition",
                            value: c.to_owned(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let target_r = target_r
                .map(|text| {
                    text.parse::<Decimal>().map_err(|_| StorageError::Corrupt {
                        what: "playbook target",
                        value: text.clone(),
                    })
                })
                .transpose()?;
            playbooks.push(Playbook {
                setup,
                weights,
                max_adds,
                conditions,
                target_r,
            });
        }
        Ok(playbooks)
    }

    /// Replaces every playbook with `playbooks`, all or nothing.
    pub fn set_playbooks(&mut self, playbooks: &[Playbook]) -> Result<(), StorageError> {
        let tx = self.conn.transaction()?;
        write_playbooks(&tx, playbooks)?;
        tx.commit()?;
        Ok(())
    }
}

/// Replaces every playbook with `playbooks` inside the caller's transaction.
pub(super) fn write_playbooks(
    tx: &rusqlite::Transaction<'_>,
    playbooks: &[Playbook],
) -> Result<(), StorageError> {
    tx.execute("DELETE FROM playbook", [])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO playbook (setup, weights, max_adds, conditions, target_r) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for playbook in playbooks {
        // A map of rule ids to whole numbers always serializes.
        let weights = playbook
            .weights
            .as_ref()
            .map(|w| serde_json::to_string(w).unwrap_or_default());
        let conditions: Vec<&str> = playbook.conditions.iter().map(|c| c.as_str()).collect();
        insert.execute(rusqlite::params![
            playbook.setup.trim(),
            weights,
            playbook.max_adds,
            conditions.join(","),
            playbook.target_r.map(|t| t.normalize().to_string()),
        ])?;
    }
    Ok(())
}
