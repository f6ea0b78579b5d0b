//! What each imported statement said of itself: where a file states its own
//! total, a committed import keeps that figure beside the journal's figure
//! for the same trades, and names those trades (see
//! `migrations/0004_money_and_stops.sql`).
//!
//! A check names the journal's trades that hold the fills of the file's
//! trades its total covers (as the importer finds them): the trades the
//! journal's figure at the import was summed over, so that summing them
//! again later gives the same figure until one of them is changed or
//! deleted. The trade ids are not foreign keys: a check outlives the
//! trades it names, and shows what remains of them.

pub use crate::domain::imported::StatementCheck;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Transaction;

use super::{Journal, StorageError, decimal, text};
use crate::domain::TradeId;
use crate::domain::imported::{CheckRecord, Reconciliation};

/// Writes an import's check of its statement's total, as committed `at`.
pub(super) fn write_check(
    tx: &Transaction<'_>,
    check: &CheckRecord<'_>,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let Reconciliation {
        label,
        currency,
        statement,
        excluded,
        journal,
    } = check.reconciliation;
    tx.prepare_cached(
        "INSERT INTO statement_check \
         (file, format, imported_at, label, currency, statement, excluded, journal) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        check.file,
        check.format,
        at.to_rfc3339_opts(SecondsFormat::Secs, true),
        label,
        currency,
        statement.to_string(),
        excluded.to_string(),
        journal.to_string(),
    ])?;
    let check_id = tx.last_insert_rowid();
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO statement_check_trade (check_id, trade_id) VALUES (?1, ?2)",
    )?;
    for id in check.trades {
        insert.execute([check_id, id.0])?;
    }
    Ok(())
}

impl Journal {
    /// Every statement check kept with an import, in the order the imports
    /// were committed, each with the trades it names.
    pub fn statement_checks(&self) -> Result<Vec<StatementCheck>, StorageError> {
        let mut checks = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, file, format, imported_at, label, currency, statement, excluded, journal \
             FROM statement_check ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let at = text(row, 3)?;
            let imported_at = DateTime::parse_from_rfc3339(at)
                .map_err(|_| StorageError::Corrupt {
                    what: "statement check time",
                    value: at.to_owned(),
                })?
                .with_timezone(&Utc);
            checks.push(StatementCheck {
                id: row.get(0)?,
                file: row.get(1)?,
                format: row.get(2)?,
                imported_at,
                reconciliation: Reconciliation {
                    label: row.get(4)?,
                    currency: row.get(5)?,
                    statement: decimal("statement check figure", text(row, 6)?)?,
                    excluded: decimal("statement check excluded", text(row, 7)?)?,
                    journal: decimal("statement check journal figure", text(row, 8)?)?,
                },
                trades: Vec::new(),
            });
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT check_id, trade_id FROM statement_check_trade ORDER BY check_id, trade_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut at = 0;
        while let Some(row) = rows.next()? {
            let check_id: i64 = row.get(0)?;
            while checks.get(at).is_some_and(|c| c.id < check_id) {
                at += 1;
            }
            match checks.get_mut(at) {
                Some(check) if check.id == check_id => check.trades.push(TradeId(row.get(1)?)),
                // The foreign key keeps a check's trades with their check.
                _ => {
                    return Err(StorageError::Corrupt {
                        what: "trade of a missing statement check",
                        value: check_id.to_string(),
                    });
                }
            }
        }
        Ok(checks)
    }
}
