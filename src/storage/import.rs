//! Committing an import: every imported fill is remembered by its key, so
//! that importing the same file again adds nothing and a later file that
//! overlaps an earlier one adds only its new fills.
//!
//! [`Journal::commit_import`] runs in one transaction, which it takes before
//! reading anything:
//!
//! 1. the keys of the file's fills are looked up in `imported_fill`; the fills
//!    the journal knows are left alone;
//! 2. the new fills are grouped ([`group_keyed`]) under the keys they have in
//!    the whole file, continuing the journal's open imported trades of the
//!    same account and symbol;
//! 3. new trades are written; a continued trade gets its new events, and its
//!    details, tags, notes and hand-made events stay. Trades the new fills do
//!    not touch are not written at all, so whatever the user changed in them
//!    stays as it is;
//! 4. each new fill is recorded with its key, its trade and the event it became.

use std::collections::{HashMap, HashSet};

use rusqlite::{Transaction, TransactionBehavior};
use rust_decimal::Decimal;

use super::{
    EVENTS_PER_INSERT, Journal, PROGRESS_EVERY, StorageError, insert_events_sql,
    write_events_and_tags,
};
use crate::domain::{DEFAULT_ACCOUNT, EventKind, Trade, TradeId};
use crate::import::group::{FillKey, GroupOptions, ImportedTrade, fill_keys, group_keyed};
use crate::import::{Fill, Import, Warning};

/// The most imported fills written by one INSERT statement.
const FILLS_PER_INSERT: usize = 64;

/// What an import added to the journal (or would add, for a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Fills the journal had not seen, now added.
    pub new_fills: usize,
    /// Fills skipped because an earlier import added them.
    pub known_fills: usize,
    /// Trades added.
    pub added: Vec<TradeId>,
    /// Open trades that new fills continued.
    pub extended: Vec<TradeId>,
    /// Warnings from grouping the new fills.
    pub warnings: Vec<Warning>,
}

/// The account a fill is recorded under (a blank account is the default one,
/// as in the trade it becomes part of).
fn account_of(fill: &Fill) -> &str {
    let account = fill.account.trim();
    if account.is_empty() {
        DEFAULT_ACCOUNT
    } else {
        account
    }
}

/// The position a trade leaves open: entries minus exits.
fn open_qty(trade: &Trade) -> Decimal {
    trade
        .events
        .iter()
        .map(|e| match e.kind {
            EventKind::Entry(f) => f.qty,
            EventKind::Exit(f) => -f.qty,
            _ => Decimal::ZERO,
        })
        .sum()
}

/// The INSERT of `rows` imported fills (1 to [`FILLS_PER_INSERT`]), 5 parameters each.
fn insert_fills_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=FILLS_PER_INSERT)
            .map(|n| {
                let values: Vec<String> = (0..n)
                    .map(|i| {
                        let p = i * 5;
                        format!("(?{}, ?{}, ?{}, ?{}, ?{})", p + 1, p + 2, p + 3, p + 4, p + 5)
                    })
                    .collect();
                // OR IGNORE: a fill split by a flip is part of two trades; it
                // is recorded once, with the trade it closes.
                format!(
                    "INSERT OR IGNORE INTO imported_fill (account, key, trade_id, seq, symbol) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    });
    &all[rows]
}

impl Journal {
    /// Commits an import in one transaction (see the module documentation):
    /// only the fills the journal has not seen are added, fills that continue
    /// an open imported trade extend it. `options` carries the user's
    /// multipliers; its open trades are ignored (the journal's are used).
    /// `progress(done, total)` is told how many trades were written. With
    /// `dry_run`, everything is done and then rolled back: the outcome says
    /// what the import would add.
    pub fn commit_import(
        &mut self,
        import: &Import,
        options: &GroupOptions,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome, StorageError> {
        let mut open_ids = Vec::new();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: i64 = tx
            .prepare_cached("SELECT count(*) FROM imported_fill")?
            .query_row([], |row| row.get(0))?;
        let mut outcome = ImportOutcome::default();
        let grouped: Vec<ImportedTrade>;
        // The file's trades continue none of the journal's (they were grouped
        // without them) unless a caller grouped them otherwise.
        let standalone = import.trades.iter().all(|t| t.continues.is_none());
        let trades: &[ImportedTrade] = if stored == 0 && standalone {
            // A journal with no imported fills: nothing is known and nothing
            // continues, so the file's own grouping is the one to write.
            outcome.known_fills = 0;
            &import.trades
        } else {
            let keys = fill_keys(&import.fills);
            let known = known_fills(&tx, stored, &import.fills, &keys)?;
            let known_count = known.iter().filter(|&&k| k).count();
            let mut new_fills = Vec::with_capacity(import.fills.len() - known_count);
            let mut new_keys = Vec::with_capacity(new_fills.capacity());
            for (i, (fill, key)) in import.fills.iter().zip(keys).enumerate() {
                if !known[i] {
                    new_fills.push(fill.clone());
                    new_keys.push(key);
                }
            }
            outcome.known_fills = import.fills.len() - new_fills.len();
            let (open_ids_found, open_trades) = open_imported_trades(&tx, &new_fills)?;
            if known_count == 0 && open_trades.is_empty() && standalone {
                &import.trades
            } else {
                open_ids = open_ids_found;
                let options = GroupOptions {
                    open_trades,
                    ..options.clone()
                };
                // A stop order the trade already has is not added again
                // (grouping leaves out a stop equal to one of the trade's).
                let (regrouped, warnings) =
                    group_keyed(&new_fills, new_keys, &import.stops, &options);
                outcome.warnings = warnings;
                grouped = regrouped;
                &grouped
            }
        };
        let total = trades.len();
        progress(0, total);
        let mut next_id: i64 = tx
            .prepare_cached(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'trade'), 0),
                            coalesce((SELECT max(id) FROM trade), 0)) + 1",
            )?
            .query_row([], |row| row.get(0))?;
        let mut new_trades: Vec<(TradeId, &Trade)> = Vec::with_capacity(total);
        let mut rows: Vec<(&str, &FillKey, i64, i64, &str)> =
            Vec::with_capacity(trades.iter().map(|t| t.sources.len()).sum());
        for (index, imported) in trades.iter().enumerate() {
            let trade = &imported.trade;
            trade
                .validate()
                .map_err(|errors| StorageError::invalid(Some(index), trade, errors))?;
            let id = match imported.continues {
                Some(i) => {
                    let id = open_ids[i];
                    tx.prepare_cached("DELETE FROM event WHERE trade_id = ?1")?
                        .execute([id.0])?;
                    tx.prepare_cached("DELETE FROM trade_tag WHERE trade_id = ?1")?
                        .execute([id.0])?;
                    write_events_and_tags(&tx, id, trade)?;
                    outcome.extended.push(id);
                    id
                }
                None => {
                    // Ids are handed out as AUTOINCREMENT would: after the
                    // largest ever used. The trades are written below, many
                    // to a statement.
                    let id = TradeId(next_id);
                    next_id += 1;
                    new_trades.push((id, trade));
                    outcome.added.push(id);
                    id
                }
            };
            for source in &imported.sources {
                rows.push((
                    trade.account.as_str(),
                    &source.key,
                    id.0,
                    source.event as i64,
                    trade.symbol.as_str(),
                ));
            }
            if (index + 1) % PROGRESS_EVERY == 0 {
                progress(index + 1, total);
            }
        }
        write_new_trades(&tx, &new_trades)?;
        drop(new_trades);
        // In trade order, the index by trade grows at its end. A fill split
        // by a flip comes twice: the part that closes a trade comes first.
        // Fills left out by grouping (a trade that would not be valid) are not
        // recorded, so a corrected file can bring them in later.
        outcome.new_fills = 0;
        for chunk in rows.chunks(FILLS_PER_INSERT) {
            outcome.new_fills += record_fills(&tx, chunk)?;
        }
        drop(rows);
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        progress(total, total);
        Ok(outcome)
    }

    /// The number of fills the journal remembers from imports.
    pub fn imported_fill_count(&self) -> Result<usize, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM imported_fill")?;
        let count: i64 = stmt.query_row([], |row| row.get(0))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }
}

/// The most trades written by one INSERT statement.
const TRADES_PER_INSERT: usize = 16;

/// The INSERT of `rows` trades (1 to [`TRADES_PER_INSERT`]), 9 parameters each.
fn insert_trades_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=TRADES_PER_INSERT)
            .map(|n| {
                let values: Vec<String> = (0..n)
                    .map(|i| {
                        let params: Vec<String> =
                            (1..=9).map(|k| format!("?{}", i * 9 + k)).collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                format!(
                    "INSERT INTO trade (id, symbol, side, multiplier, currency, account, setup,
                     market_condition, notes) VALUES {}",
                    values.join(", ")
                )
            })
            .collect()
    });
    &all[rows]
}

/// Writes new trades under the ids given, with their events and tags: many
/// rows to a statement, the trades first so that their events find them.
fn write_new_trades(
    tx: &Transaction<'_>,
    trades: &[(TradeId, &Trade)],
) -> Result<(), StorageError> {
    for chunk in trades.chunks(TRADES_PER_INSERT) {
        let mut insert = tx.prepare_cached(insert_trades_sql(chunk.len()))?;
        let mut param = 0;
        for (id, trade) in chunk {
            let multiplier = trade.multiplier.to_string();
            for value in [
                &id.0 as &dyn rusqlite::ToSql,
                &trade.symbol,
                &trade.side.as_str(),
                &multiplier,
                &trade.currency,
                &trade.account,
                &trade.setup,
                &trade.market_condition.as_str(),
                &trade.notes,
            ] {
                param += 1;
                insert.raw_bind_parameter(param, value)?;
            }
        }
        insert.raw_execute()?;
    }

    let events = trades.iter().flat_map(|(id, trade)| {
        trade
            .events
            .iter()
            .enumerate()
            .map(move |(seq, event)| (*id, seq as i64, event))
    });
    let mut pending = Vec::with_capacity(EVENTS_PER_INSERT);
    let flush = |pending: &mut Vec<(TradeId, i64, &crate::domain::Event)>| {
        if pending.is_empty() {
            return Ok::<(), StorageError>(());
        }
        let mut insert = tx.prepare_cached(insert_events_sql(pending.len()))?;
        let mut param = 0;
        for (id, seq, event) in pending.iter() {
            let fill = event.kind.fill();
            for value in [
                &id.0 as &dyn rusqlite::ToSql,
                seq,
                &event.kind.name(),
                &event.at.to_rfc3339(),
                &event.at.timestamp_millis(),
                &fill.map(|f| f.qty.to_string()),
                &event.kind.price().to_string(),
                &fill.map(|f| f.fee.to_string()),
            ] {
                param += 1;
                insert.raw_bind_parameter(param, value)?;
            }
        }
        insert.raw_execute()?;
        pending.clear();
        Ok(())
    };
    for event in events {
        pending.push(event);
        if pending.len() == EVENTS_PER_INSERT {
            flush(&mut pending)?;
        }
    }
    flush(&mut pending)?;

    let mut insert_tag =
        tx.prepare_cached("INSERT INTO trade_tag (trade_id, position, tag) VALUES (?1, ?2, ?3)")?;
    for (id, trade) in trades {
        for (position, tag) in trade.tags.iter().enumerate() {
            insert_tag.execute(rusqlite::params![id.0, position as i64, tag])?;
        }
    }
    Ok(())
}

/// Writes up to [`FILLS_PER_INSERT`] imported fills in one statement;
/// returns how many were new.
fn record_fills(
    tx: &Transaction<'_>,
    rows: &[(&str, &FillKey, i64, i64, &str)],
) -> Result<usize, StorageError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut insert = tx.prepare_cached(insert_fills_sql(rows.len()))?;
    let mut param = 0;
    for (account, key, trade_id, seq, symbol) in rows.iter() {
        for value in [
            account as &dyn rusqlite::ToSql,
            &key.0,
            trade_id,
            seq,
            symbol,
        ] {
            param += 1;
            insert.raw_bind_parameter(param, value)?;
        }
    }
    Ok(insert.raw_execute()?)
}

/// For each fill, whether the journal already has it.
fn known_fills(
    tx: &Transaction<'_>,
    stored: i64,
    fills: &[Fill],
    keys: &[FillKey],
) -> Result<Vec<bool>, StorageError> {
    let mut known = vec![false; fills.len()];
    if (stored as usize) < fills.len().saturating_mul(8) {
        // Reading every key is quicker than looking each up.
        let mut by_account: HashMap<String, HashSet<String>> = HashMap::new();
        let mut stmt = tx.prepare_cached("SELECT account, key FROM imported_fill")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            by_account
                .entry(row.get(0)?)
                .or_default()
                .insert(row.get(1)?);
        }
        for (i, (fill, key)) in fills.iter().zip(keys).enumerate() {
            if by_account
                .get(account_of(fill))
                .is_some_and(|keys| keys.contains(&key.0))
            {
                known[i] = true;
            }
        }
    } else {
        let mut stmt =
            tx.prepare_cached("SELECT 1 FROM imported_fill WHERE account = ?1 AND key = ?2")?;
        for (i, (fill, key)) in fills.iter().zip(keys).enumerate() {
            if stmt.exists((account_of(fill), &key.0))? {
                known[i] = true;
            }
        }
    }
    Ok(known)
}

/// The imported trades whose positions are still open, for the accounts and
/// symbols of `fills`: the latest imported trade of each, when it is open.
fn open_imported_trades(
    tx: &Transaction<'_>,
    fills: &[Fill],
) -> Result<(Vec<TradeId>, Vec<Trade>), StorageError> {
    let wanted: HashSet<(&str, &str)> = fills
        .iter()
        .map(|f| (account_of(f), f.symbol.trim()))
        .collect();
    let mut latest = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT account, symbol, max(trade_id) FROM imported_fill GROUP BY account, symbol",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let account: String = row.get(0)?;
            let symbol: String = row.get(1)?;
            if wanted.contains(&(account.as_str(), symbol.as_str())) {
                latest.push(TradeId(row.get(2)?));
            }
        }
    }
    let (mut ids, mut trades) = (Vec::new(), Vec::new());
    for id in latest {
        let Some(trade) = super::load_trade(tx, id)? else {
            continue;
        };
        if open_qty(&trade) > Decimal::ZERO {
            ids.push(id);
            trades.push(trade);
        }
    }
    Ok((ids, trades))
}
