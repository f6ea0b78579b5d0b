//! Writing an import: every imported fill is remembered by its key, so that
//! importing the same file again adds nothing and a later file that overlaps
//! an earlier one adds only its new fills.
//!
//! The journal does not decide what an import adds; the importer does
//! (`crate::import::commit`), from what the journal tells it:
//!
//! 1. [`Journal::import_state`]: the journal's version, the next trade id,
//!    and whether any fill was imported before;
//! 2. [`Journal::import_snapshot`]: the journal's fill records, read once,
//!    each key looked up among the file's (a hash table of their positions).
//!    A fill the journal has, in a trade the journal still holds, is known; a
//!    fill of a deleted trade is not (see
//!    `migrations/0003_fills_outlive_trades.sql` and
//!    `migrations/0011_fill_records_by_trade.sql`).
//!    The same pass finds the latest imported trade of each account and
//!    symbol, and those still open are loaded, with the file's fills each
//!    holds (where it begins in the file: fills before it are not its).
//!    A fill that a flip split between the trade it closed and the one it
//!    opened is remembered twice: under its key with the trade it closed,
//!    and under its opening key (`o:` and its key) with the trade it opened,
//!    so that each trade counts as imported, and a deleted one comes back
//!    with its part of the fill and no more (see [`SplitPart`]);
//! 3. [`Journal::write_import`] writes, in one transaction, exactly what it is
//!    given: new trades under their ids; a continued trade's events (its
//!    details, tags, notes and hand-made events stay); the record of the new
//!    fills of each trade written, one row with each fill's key and the event
//!    it became (a deleted trade's record of a fill stays, and counts no
//!    more); and the statement's check ([`super::check`]). Into a journal
//!    that holds nothing, it also keeps the statistics of the trades
//!    written, added up as they were prepared
//!    ([`crate::domain::imported::KeepStats`]); otherwise it forgets any
//!    kept. It first makes sure the journal is still at the version the plan was
//!    made from, holding the write lock; if not, it writes nothing and the
//!    import is planned again.
//!
//! Writing runs on three threads. One helper thread takes the trades (held,
//! or made one at a time as they are written: see [`TradeFeed`]) and hands
//! them on in runs, with the records of their fills; another validates them
//! and turns their numbers and times into the text the journal stores; the
//! calling thread hands the rows to SQLite as they come, a few batches
//! behind at most, many to a statement, binding their text without copying
//! it ([`super::bulk`]) and names as numbers, and gives each batch written
//! back to the second helper, which frees what it made and gives the trades
//! back to the first, to be freed by the thread that made them ([`Batches`]).
//! While an import runs, SQLite does not check CHECK constraints and foreign
//! keys (see [`Journal::write_import`]).
//! The page cache is smaller while an import is written ([`IMPORT_CACHE_KIB`]):
//! the rows of a new import go at the end of their tables, so pages written
//! are rarely needed again, and
//! SQLite spills them to the journal's file (or its write-ahead log) while
//! the rows go in, rather than holding a large
//! import's pages in memory. The cache size is no durability setting: what
//! is spilled is part of the transaction until it commits, as before.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::BuildHasherDefault;
use std::sync::{OnceLock, mpsc};

use fnv::FnvHasher;
use rusqlite::{OptionalExtension as _, Transaction, TransactionBehavior};
use rust_decimal::Decimal;

use super::bulk::{BulkInsert, Value, cached_insert, insert_rows, multi_row_insert};
use super::check::write_check;
use super::events::write_events;
use super::kept::{KEPT_PER_INSERT, insert_kept_sql};
use super::{Journal, StorageError, text, write_tags};
use crate::domain::imported::{
    FillNames, ImportSnapshot, ImportState, ImportWrite, ImportedTrade, JournalVersion,
    KeepAnalyses, OPENING_PREFIX, SplitPart, TradeFeed,
};
use crate::domain::{EventKind, MarketCondition, Side, Trade, TradeId};

/// The most trades written by one INSERT statement (12 parameters each).
const TRADES_PER_INSERT: usize = 32;
/// The parameters of one trade row (see [`insert_trades_sql`]).
const TRADE_PARAMS: usize = 12;

/// The most fill records written by one INSERT statement (3 parameters
/// each).
const RECORDS_PER_INSERT: usize = 32;

/// How many trades the helper thread prepares at a time; progress is
/// reported after each such batch is written.
const TRADES_PER_BATCH: usize = 1024;

/// How many trades the first batch holds: the batches then double up to
/// [`TRADES_PER_BATCH`], so that this thread starts writing soon after the
/// first trades are made instead of waiting for a whole batch.
const FIRST_BATCH: usize = 64;

/// The page cache while an import is written, in KiB: the rows of an import
/// go at the end of their tables, so pages written are rarely needed again.
/// A small cache spills them to the file while the writing thread would
/// otherwise wait for the next rows, instead of all at the commit, which
/// then has less to write and less to wait for on the disk (measured: an
/// import of 100,000 fills takes 3–4% less time with 512 KiB than with
/// 2 MiB, which took 5% less than 16 MiB; one of 1,000,000 about 2% less;
/// 256 KiB gains nothing more; imports into a journal that holds trades,
/// in WAL mode, take as long).
const IMPORT_CACHE_KIB: i64 = 512;

/// The page cache while the journal's fill records are read to plan an
/// import, in KiB: they are read once, in order, so a larger cache would
/// only hold pages that are not read again.
const SNAPSHOT_CACHE_KIB: i64 = 4 << 10;

/// How many prepared batches may wait to be written.
const BATCHES_AHEAD: usize = 4;

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

/// An SQL expression for the name that parameter `param` gives by its
/// position in `names` (NULL for any other number, which the schema refuses).
/// Names are bound as these numbers: binding text costs SQLite a copy.
fn name_of_code(param: usize, names: &[&str]) -> String {
    let mut sql = format!("CASE ?{param}");
    for (code, name) in names.iter().enumerate() {
        // Writing to a String cannot fail.
        let _ = write!(sql, " WHEN {code} THEN '{name}'");
    }
    sql.push_str(" END");
    sql
}

/// Sides as stored, by their code ([`side_code`]).
const SIDES: [&str; 2] = ["long", "short"];

fn side_code(side: Side) -> i64 {
    match side {
        Side::Long => 0,
        Side::Short => 1,
    }
}

/// Market conditions as stored, by their code ([`condition_code`]).
const CONDITIONS: [&str; 3] = ["trending", "range", "unknown"];

fn condition_code(condition: MarketCondition) -> i64 {
    match condition {
        MarketCondition::Trending => 0,
        MarketCondition::Range => 1,
        MarketCondition::Unknown => 2,
    }
}

/// The INSERT of `rows` trades (1 to [`TRADES_PER_INSERT`]) under given ids,
/// 12 parameters each: id, symbol, side code, multiplier, currency, account,
/// setup, market condition code, notes, rate, stops known, events.
///
/// `OR FAIL`: a row the schema refuses ends the
/// statement without undoing the rows before it, and every write that runs
/// these statements (an import, a trade saved) then rolls its whole
/// transaction back. That spares SQLite copying every page a statement
/// changes into a statement journal, to undo just that statement.
fn insert_trades_sql(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; TRADES_PER_INSERT + 1] =
        [const { OnceLock::new() }; TRADES_PER_INSERT + 1];
    cached_insert(&SQL, rows, |rows| {
        multi_row_insert(
            "INSERT OR FAIL INTO trade (id, symbol, side, multiplier, currency, account, setup, \
             market_condition, notes, rate, stops_known, events)",
            rows,
            |row| {
                let p = row * TRADE_PARAMS;
                format!(
                    "(?{}, ?{}, {}, ?{}, ?{}, ?{}, ?{}, {}, ?{}, ?{}, ?{}, ?{})",
                    p + 1,
                    p + 2,
                    name_of_code(p + 3, &SIDES),
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7,
                    name_of_code(p + 8, &CONDITIONS),
                    p + 9,
                    p + 10,
                    p + 11,
                    p + 12
                )
            },
        )
    })
}

/// The INSERT of `rows` fill records (1 to [`RECORDS_PER_INSERT`]): trade
/// id, account and the record of each (see [`write_fill_record`]).
///
/// `OR FAIL`, as the trades' ([`insert_trades_sql`]): the import's one
/// transaction is rolled back whole on any failure, so SQLite need not copy
/// the pages each statement changes into a statement journal.
fn insert_records_sql(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; RECORDS_PER_INSERT + 1] =
        [const { OnceLock::new() }; RECORDS_PER_INSERT + 1];
    cached_insert(&SQL, rows, |rows| {
        multi_row_insert(
            "INSERT OR FAIL INTO fill_record (trade_id, account, fills)",
            rows,
            |row| {
                let p = row * 3;
                format!("(?{}, ?{}, ?{})", p + 1, p + 2, p + 3)
            },
        )
    })
}

/// Whether the journal holds no trade and remembers no imported fill.
fn holds_nothing(conn: &rusqlite::Connection) -> Result<bool, StorageError> {
    Ok(!conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM trade) OR EXISTS (SELECT 1 FROM fill_record)",
        [],
        |row| row.get::<_, bool>(0),
    )?)
}

/// The state of the journal a plan is made from (see [`JournalVersion`]).
fn version(conn: &rusqlite::Connection) -> Result<JournalVersion, StorageError> {
    let data_version: i64 = conn.pragma_query_value(None, "data_version", |row| row.get(0))?;
    Ok(JournalVersion {
        data_version,
        own_changes: conn.total_changes(),
    })
}

impl Journal {
    /// What planning an import needs to know first: the journal's version,
    /// the next trade id, whether any fill was imported before and whether
    /// it holds nothing.
    pub fn import_state(&self) -> Result<ImportState, StorageError> {
        let version = version(&self.conn)?;
        let any_imported: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM fill_record)")?
            .query_row([], |row| row.get(0))?;
        let empty = !any_imported && holds_nothing(&self.conn)?;
        // Ids are handed out as AUTOINCREMENT would: after the largest ever
        // used.
        let next_id: i64 = self
            .conn
            .prepare_cached(
                "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'trade'), 0),
                            coalesce((SELECT max(id) FROM trade), 0)) + 1",
            )?
            .query_row([], |row| row.get(0))?;
        Ok(ImportState {
            version,
            next_id: TradeId(next_id),
            any_imported,
            empty,
        })
    }

    /// What the journal holds of a file's fills (see [`ImportSnapshot`]):
    /// which it has, in which trades when `with_holders`, and the open
    /// imported trades the others may continue. Read in one pass over the
    /// fill records, in one read transaction.
    pub fn import_snapshot(
        &self,
        fills: &dyn FillNames,
        with_holders: bool,
    ) -> Result<ImportSnapshot, StorageError> {
        // The journal's fill records are read once, in order: through a
        // small page cache rather than mapped into memory, where a large
        // journal's pages would stay (see `SNAPSHOT_CACHE_KIB`).
        // The journal's own settings are restored after (a journal in
        // memory maps nothing, and says no size).
        let mmap: Option<i64> = self
            .conn
            .pragma_query_value(None, "mmap_size", |row| row.get(0))
            .optional()?;
        let cache: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |row| row.get(0))?;
        if mmap.is_some() {
            self.conn.pragma_update(None, "mmap_size", 0)?;
        }
        self.conn
            .pragma_update(None, "cache_size", -SNAPSHOT_CACHE_KIB)?;
        let result = self.read_import_snapshot(fills, with_holders);
        let restored = mmap
            .map_or(Ok(()), |mmap| {
                self.conn.pragma_update(None, "mmap_size", mmap)
            })
            .and_then(|()| self.conn.pragma_update(None, "cache_size", cache));
        let snapshot = result?;
        restored?;
        Ok(snapshot)
    }

    fn read_import_snapshot(
        &self,
        fills: &dyn FillNames,
        with_holders: bool,
    ) -> Result<ImportSnapshot, StorageError> {
        let tx = self.conn.unchecked_transaction()?;
        let journal = JournalFills::read(&tx, fills)?;
        let known: Vec<bool> = journal.records.iter().map(Option::is_some).collect();
        let holders = if with_holders {
            journal
                .records
                .iter()
                .map(|record| record.map(|(trade, _)| TradeId(trade)))
                .collect()
        } else {
            Vec::new()
        };
        let mut wanted: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut last = None;
        for i in (0..fills.count()).filter(|&i| !known[i]) {
            let names = (fills.account(i), fills.symbol(i));
            // Fills of one account and symbol often come one after another.
            if last != Some(names) {
                wanted.insert(names);
                last = Some(names);
            }
        }
        let mut open_trades = Vec::new();
        let mut open_fills = Vec::new();
        for (account, symbol) in wanted {
            let Some(&id) = journal.latest.get(account).and_then(|m| m.get(symbol)) else {
                continue;
            };
            let Some(trade) = super::load_trade(&tx, TradeId(id))? else {
                continue;
            };
            if open_qty(&trade) > Decimal::ZERO {
                open_trades.push((TradeId(id), trade));
                let held = journal.latest_fills.get(&id).map_or(Vec::new(), |fills| {
                    fills.iter().map(|&i| i as usize).collect()
                });
                open_fills.push(held);
                continue;
            }
            // A journal written before the opening parts of fills split by
            // a flip were remembered holds no fill of a trade opened by
            // one: the trade that follows the latest one, opened where and
            // at the price it closed, the other way, is taken as the latest.
            let Some(&next) = journal.next_unimported.get(&id) else {
                continue;
            };
            let Some(next_trade) = super::load_trade(&tx, TradeId(next))? else {
                continue;
            };
            if opened_by_flip_of(&trade, &next_trade) && open_qty(&next_trade) > Decimal::ZERO {
                open_trades.push((TradeId(next), next_trade));
                open_fills.push(Vec::new());
            }
        }
        // A fill split by a flip whose trades the journal holds one of: the
        // other part is booked again.
        let mut split = Vec::new();
        for &(i, opened) in &journal.openings {
            let closing = journal.records[i];
            if opened && closing.is_none() {
                split.push((i, SplitPart::Closing));
            } else if !opened
                && let Some(closing) = closing
                && let Some((qty, fee)) = closing_exit(&tx, closing)?
            {
                split.push((i, SplitPart::Opening { qty, fee }));
            }
        }
        drop(tx);
        Ok(ImportSnapshot {
            known,
            holders,
            open_trades,
            open_fills,
            split,
        })
    }

    /// Writes an import in one transaction, exactly as planned: the new
    /// trades under their ids, the continued trades' events, every fill's
    /// record and the statement's check. Returns how many fills were
    /// recorded, or `None`, writing nothing, when the journal changed since
    /// the plan was made (its version is not the plan's): the import must
    /// then be planned again.
    ///
    /// `progress(done, total)` is told how many trades were written: from
    /// `(0, total)` on, `(total, total)` once everything is written, and
    /// once more when the transaction is committed. With `dry_run`,
    /// everything is written and then rolled back.
    pub fn write_import(
        &mut self,
        write: &ImportWrite<'_>,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<usize>, StorageError> {
        // The trades are made on one helper thread and their rows prepared
        // on another from the start, while this one sets the journal up
        // for the import: the first batches are ready by the time it can
        // write them. Nothing they do is seen by the journal until written.
        std::thread::scope(|scope| {
            let batches = make_batches(scope, write.trades, write.ids, write.keep);
            self.write_import_of(write, batches, dry_run, progress)
        })
    }

    /// [`Journal::write_import`] of the batches its helper threads make.
    fn write_import_of(
        &mut self,
        write: &ImportWrite<'_>,
        batches: Batches<'_>,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<usize>, StorageError> {
        // While an import runs, SQLite does not check the rows it writes
        // against the schema's CHECK constraints and foreign keys, which
        // cost more than the rest of writing a row (a CHECK with an IN list
        // of more than two values builds a table for each row, and the
        // check of a trade's events parses their JSON). The rows are
        // written here from validated trades: every value a CHECK limits
        // comes from a closed list (`SIDES`, `CONDITIONS`, positions counted
        // from 0) or is events as `write_events` writes them, and a trade is
        // written before its tags and fills. Every other write keeps the
        // checks, and changing these settings makes SQLite compile its
        // statements again.
        //
        // A smaller page cache while the import is written (see
        // `IMPORT_CACHE_KIB`). Whatever happens, every setting is put back
        // before this returns.
        let cache: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |row| row.get(0))?;
        let result = self
            .import_settings(true, -IMPORT_CACHE_KIB)
            .map_err(StorageError::from)
            .and_then(|()| self.write_import_in_mode(write, batches, dry_run, progress));
        let restored = self.import_settings(false, cache);
        let recorded = result?;
        restored?;
        Ok(recorded)
    }

    /// Turns the checks and foreign keys off while `importing` (on again
    /// otherwise), and sets the page cache (SQLite's `cache_size`).
    fn import_settings(&self, importing: bool, cache_size: i64) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "foreign_keys", !importing)?;
        self.conn
            .pragma_update(None, "ignore_check_constraints", importing)?;
        self.conn.pragma_update(None, "cache_size", cache_size)
    }

    /// [`Journal::write_import`] under its settings: first imports under a
    /// rollback journal where they can be (see [`Journal::leave_wal`]).
    fn write_import_in_mode(
        &mut self,
        write: &ImportWrite<'_>,
        batches: Batches<'_>,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<usize>, StorageError> {
        // Leaving WAL mode changes the journal's version on this connection:
        // the plan must be of the journal as it was just before, and is then
        // checked against the version after (see `leave_wal`).
        let planned = version(&self.conn)? == write.version;
        let rollback = planned && !dry_run && holds_nothing(&self.conn)? && self.leave_wal();
        let expected = if rollback {
            version(&self.conn)?
        } else {
            write.version
        };
        let result = self
            .write_import_in_one_transaction(write, batches, expected, rollback, dry_run, progress);
        if rollback {
            // The import is committed or rolled back whatever this gives:
            // a journal left with its rollback journal is put back in WAL
            // mode by the next open, as every open does.
            let _ = self.back_to_wal();
        }
        result
    }

    /// Puts the journal under a rollback journal for a first import, if
    /// no other connection has it open; returns whether it did.
    ///
    /// In WAL mode every page of an import is written twice: into the WAL,
    /// then into the journal's file when the WAL is checkpointed after the
    /// commit, which for a first import of years of fills is a third of the
    /// wait. Under a rollback journal the new pages are written once, into
    /// the file, with the same guarantee: the transaction is whole or
    /// absent after a crash (an interrupted one is rolled back by the next
    /// open). SQLite refuses to leave WAL mode while another connection has
    /// the journal open, and then the import is written in WAL mode; a
    /// program that opens the journal while the import is written waits for
    /// it, as its busy timeout allows. `synchronous` is FULL meanwhile, the
    /// level at which a rollback journal is as durable as WAL at NORMAL.
    ///
    /// Leaving WAL mode counts as a change of the journal on this
    /// connection, so the plan is checked against the version just before
    /// (`write_import`) and the write against the version just after. What
    /// another program might commit between the two would have to be
    /// committed, and its connection closed, in that instant (an open one
    /// makes the switch fail); the write also checks again that the journal
    /// is still empty.
    fn leave_wal(&self) -> bool {
        if self.path.is_none() || self.read_only {
            return false;
        }
        // A journal made aside is under a rollback journal already, and is
        // synced whole before it takes its name (see `NewJournal`).
        if self.place == super::Place::Aside {
            return true;
        }
        // Another connection's lock is an answer, not something to wait for.
        let switched = self
            .conn
            .busy_timeout(std::time::Duration::ZERO)
            .and_then(|()| self.conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| {
                self.conn
                    .pragma_update_and_check(None, "journal_mode", "DELETE", |row| {
                        row.get::<_, String>(0)
                    })
            })
            .is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"));
        let restored = self.conn.busy_timeout(super::BUSY_TIMEOUT);
        if !switched || restored.is_err() {
            let _ = self.back_to_wal();
            return false;
        }
        true
    }

    /// WAL mode and `synchronous=NORMAL` again, as [`Journal::open`] sets them.
    fn back_to_wal(&self) -> Result<(), StorageError> {
        super::enter_wal(&self.conn)?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// Writes `write` if the journal is still at `expected`, and, for a
    /// first import under a rollback journal (`first`), still empty.
    fn write_import_in_one_transaction(
        &mut self,
        write: &ImportWrite<'_>,
        batches: Batches<'_>,
        expected: JournalVersion,
        first: bool,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<usize>, StorageError> {
        // A first import has the pages SQLite spills written to disk while
        // it goes on, through a handle of its own on the journal's file
        // (see `write_trades_and_fills`), instead of all at the commit,
        // whose wait was the longest of the import's single-threaded
        // steps.
        //
        // The handle is never closed while the process runs: closing any
        // handle on a file lets go of every POSIX lock the process holds
        // on it, those of SQLite's connections included (SQLite keeps its
        // own handles open while locks are held). One is kept for each
        // first import into a new journal.
        let early_writes = match (&self.path, first && !dry_run) {
            (Some(path), true) => std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .ok()
                .map(std::mem::ManuallyDrop::new),
            _ => None,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The write lock is held from here on: nothing changes the journal
        // until this transaction ends. A plan made from an older state is
        // not written (dropping the transaction rolls it back).
        if version(&tx)? != expected {
            return Ok(None);
        }
        if first && !holds_nothing(&tx)? {
            return Ok(None);
        }
        let trades = write.trades;
        let total = match trades {
            TradeFeed::Streamed { fills, .. } if write.ids.is_empty() => fills,
            _ => match trades.count() {
                Some(count) if count == write.ids.len() => count,
                _ => {
                    return Err(StorageError::Plan(
                        "a trade without its id, or an id without its trade",
                    ));
                }
            },
        };
        // Statistics added up from the trades as they are prepared are the
        // whole journal's only where it holds nothing before they are written.
        let stats_basis = match write.keep.and_then(|keep| keep.stats) {
            Some(stats) if !dry_run && (first || holds_nothing(&tx)?) => Some(stats.basis),
            _ => None,
        };
        progress(0, total);
        // The import keeps or forgets the analyses of the trades it writes
        // itself (see `Inserts::write_batch`), and forgets the statistics
        // kept, or keeps new ones.
        let recorded = super::kept::with_triggers_aside(&tx, || {
            let to_sync = early_writes.as_deref();
            let (recorded, stats) =
                write_trades_and_fills(&tx, batches, trades, write.ids, to_sync, progress)?;
            if let (Some(basis), Some(stats)) = (stats_basis, stats) {
                super::kept::write_stats(&tx, basis, &stats)?;
            }
            Ok(recorded)
        })?;
        if let Some(check) = &write.check {
            write_check(&tx, check, chrono::Utc::now())?;
        }
        // Everything is written; what is left is to commit it (and once
        // that is done, `progress` hears it again).
        progress(total, total);
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        progress(total, total);
        Ok(Some(recorded))
    }

    /// The number of fills the journal remembers from imports, in the trades
    /// it holds (the fills of deleted trades are not counted), each once.
    pub fn imported_fill_count(&self) -> Result<usize, StorageError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*) FROM (
                 SELECT DISTINCT record.account, fill.key
                 FROM fill_record AS record, json_each(record.fills) AS fill
                 WHERE record.trade_id IN (SELECT id FROM trade)
                   AND substr(fill.key, 1, 2) <> 'o:')",
        )?;
        let count: i64 = stmt.query_row([], |row| row.get(0))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }
}

/// A hash map for short keys of the journal's own making.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;

/// Whether trade `next` opened with the fill that closed trade `closed`:
/// the other way, its first entry at the instant and price of the last exit
/// of `closed`, which is closed.
fn opened_by_flip_of(closed: &Trade, next: &Trade) -> bool {
    let last = closed.events.iter().rev().find(|e| e.kind.is_fill());
    let first = next.events.iter().find(|e| e.kind.is_fill());
    match (last, first) {
        (Some(last), Some(first)) => {
            matches!(last.kind, EventKind::Exit(_))
                && matches!(first.kind, EventKind::Entry(_))
                && closed.side != next.side
                && closed.account == next.account
                && closed.symbol == next.symbol
                && last.at == first.at
                && last.kind.price() == first.kind.price()
                && open_qty(closed).is_zero()
        }
        _ => false,
    }
}

/// The quantity and fee of the exit event `seq` of trade `trade`, as the
/// journal holds it, where it is an exit: what the fill that closed the
/// trade with a flip booked.
fn closing_exit(
    tx: &Transaction<'_>,
    (trade, seq): (i64, u32),
) -> Result<Option<(Decimal, Decimal)>, StorageError> {
    let Some(trade) = super::load_trade(tx, TradeId(trade))? else {
        return Ok(None);
    };
    let exit = trade
        .events
        .get(seq as usize)
        .and_then(|event| match event.kind {
            EventKind::Exit(fill) => Some((fill.qty, fill.fee)),
            _ => None,
        });
    Ok(exit)
}

/// What the journal holds of a file's fills, read in one pass over the
/// fill records.
struct JournalFills {
    /// For each fill of the file, the trade that holds it and the event it
    /// became, where the journal has it in a trade it still holds.
    records: Vec<Option<(i64, u32)>>,
    /// The latest trade (the largest id) with imported fills, by the
    /// trade's account and then its symbol.
    latest: FastMap<String, FastMap<String, i64>>,
    /// The file's fills each of those latest trades holds (whole or their
    /// opening parts), for those that hold any.
    latest_fills: FastMap<i64, Vec<u32>>,
    /// The file's fills that a flip split, whose opening part the journal
    /// remembers: each with whether it holds the trade that part opened.
    openings: Vec<(usize, bool)>,
    /// For each of the latest trades, the trade of the same account and
    /// symbol that follows it (the next id), where that one holds no
    /// imported fill.
    next_unimported: FastMap<i64, i64>,
}

/// For each account and symbol, the trade with the largest id among those
/// holding some of a file's fills, and those fills.
struct Holding(Vec<(i64, Vec<u32>)>);

impl Holding {
    fn note(&mut self, names: u32, trade: i64, fill: usize) {
        let Some(slot) = self.0.get_mut(names as usize) else {
            return;
        };
        if trade > slot.0 {
            *slot = (trade, Vec::new());
        }
        if trade == slot.0 {
            slot.1.push(fill as u32);
        }
    }
}

impl JournalFills {
    fn read(tx: &Transaction<'_>, fills: &dyn FillNames) -> Result<JournalFills, StorageError> {
        let mut held = HeldTrades::read(tx)?;
        let count = fills.count();
        let mut file = FileIndex::new(fills);
        let mut records: Vec<Option<(i64, u32)>> = vec![None; count];
        // The opening parts of the file's fills split by a flip: the trade
        // each opened, and whether the journal holds it.
        let mut opening_parts: FastMap<usize, (i64, bool)> = FastMap::default();
        let mut stmt = tx.prepare_cached("SELECT trade_id, account, fills FROM fill_record")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let trade_id: i64 = row.get(0)?;
            let is_held = held.mark_imported(trade_id).is_some();
            let account = text(row, 1)?;
            for (key, seq) in read_fill_record(text(row, 2)?)? {
                if let Some(key) = key.strip_prefix(OPENING_PREFIX) {
                    file.find(account, key, |i| {
                        // Of two records, one of a trade the journal holds
                        // counts, then the newer trade's.
                        let part = opening_parts.entry(i).or_insert((trade_id, is_held));
                        if (is_held, trade_id) > (part.1, part.0) {
                            *part = (trade_id, is_held);
                        }
                    });
                } else if is_held {
                    // Of two trades the journal holds that recorded one
                    // fill, the newer one (the larger id) has it.
                    file.find(account, &key, |i| {
                        let record = &mut records[i];
                        if record.is_none_or(|(holder, _)| trade_id > holder) {
                            *record = Some((trade_id, seq));
                        }
                    });
                }
            }
        }
        let mut holding = Holding(vec![(0, Vec::new()); held.names.len()]);
        for (i, record) in records.iter().enumerate() {
            if let Some((trade_id, _)) = *record
                && let Some(names) = held.names_of_trade(trade_id)
            {
                holding.note(names, trade_id, i);
            }
        }
        let mut openings: Vec<(usize, bool)> = Vec::with_capacity(opening_parts.len());
        let mut opening_parts: Vec<(usize, (i64, bool))> = opening_parts.into_iter().collect();
        opening_parts.sort_unstable_by_key(|&(i, _)| i);
        for (i, (trade_id, is_held)) in opening_parts {
            openings.push((i, is_held));
            if is_held && let Some(names) = held.names_of_trade(trade_id) {
                holding.note(names, trade_id, i);
            }
        }
        let latest = held.latest_by_names();
        let next_unimported = held.next_unimported(&latest);
        let mut latest_fills = FastMap::default();
        for (names, (trade, fills)) in holding.0.into_iter().enumerate() {
            if !fills.is_empty() && latest[names] == Some(trade) {
                latest_fills.insert(trade, fills);
            }
        }
        Ok(JournalFills {
            records,
            latest: held.latest_imported(&latest),
            latest_fills,
            openings,
            next_unimported,
        })
    }
}

/// The fills of one trade recorded by one import, as `fill_record.fills`
/// holds them: each key with its event, in one JSON object.
fn read_fill_record(text: &str) -> Result<Vec<(Cow<'_, str>, u32)>, StorageError> {
    if let Some(record) = record_as_written(text) {
        return Ok(record);
    }
    let record: BTreeMap<String, u32> =
        serde_json::from_str(text).map_err(|_| StorageError::Corrupt {
            what: "fill record",
            value: text.to_owned(),
        })?;
    Ok(record
        .into_iter()
        .map(|(key, seq)| (Cow::Owned(key), seq))
        .collect())
}

/// The keys and events of a fill record written as [`write_fill_record`]
/// (or SQL's `json_group_object`) writes one: no space, and no key that
/// JSON escapes; `None` for any other text, which serde_json reads.
fn record_as_written(text: &str) -> Option<Vec<(Cow<'_, str>, u32)>> {
    let mut rest = text.strip_prefix('{')?;
    let mut record = Vec::with_capacity(4);
    if rest == "}" {
        return Some(record);
    }
    loop {
        rest = rest.strip_prefix('"')?;
        let end = rest.find('"')?;
        let key = &rest[..end];
        if key.contains('\\') {
            return None;
        }
        rest = rest[end + 1..].strip_prefix(':')?;
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let seq: u32 = rest[..digits].parse().ok()?;
        record.push((Cow::Borrowed(key), seq));
        rest = &rest[digits..];
        match rest.as_bytes().split_first()? {
            (b',', _) => rest = &rest[1..],
            (b'}', []) => return Some(record),
            _ => return None,
        }
    }
}

/// Appends the record of a trade's fills (see [`read_fill_record`]): each
/// key, as a JSON string, with the event it became.
fn write_fill_record<'k>(
    out: &mut String,
    fills: impl IntoIterator<Item = (&'k str, &'k str, usize)>,
) {
    out.push('{');
    for (n, (prefix, key, seq)) in fills.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            out.push('"');
            out.push_str(prefix);
            out.push_str(key);
            out.push('"');
        } else {
            // serde_json escapes what JSON must.
            out.push_str(&serde_json::Value::from(format!("{prefix}{key}")).to_string());
        }
        out.push(':');
        out.push_str(itoa::Buffer::new().format(seq));
    }
    out.push('}');
}

/// A file's fills found by their account and key: their positions in a
/// hash table, by a hash of the two. Keys are made again to compare them,
/// so that the table holds four bytes a fill.
struct FileIndex<'f> {
    fills: &'f dyn FillNames,
    table: hashbrown::HashTable<u32>,
    key: String,
}

/// The hash of an account and a fill's key, as [`FileIndex`] finds them.
fn names_hash(account: &str, key: &str) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = FnvHasher::default();
    hasher.write(account.as_bytes());
    // No account holds this byte (it is not UTF-8): "a" and "bc" do not
    // hash as "ab" and "c".
    hasher.write_u8(0xff);
    hasher.write(key.as_bytes());
    hasher.finish()
}

impl<'f> FileIndex<'f> {
    fn new(fills: &'f dyn FillNames) -> Self {
        let count = fills.count();
        let mut table = hashbrown::HashTable::with_capacity(count);
        let mut key = String::new();
        let rehash = |&i: &u32| {
            let mut key = String::new();
            fills.key(i as usize, &mut key);
            names_hash(fills.account(i as usize), &key)
        };
        for i in 0..count {
            fills.key(i, &mut key);
            // A store holds fewer than 2^32 fills (see `FillStore`).
            table.insert_unique(names_hash(fills.account(i), &key), i as u32, rehash);
        }
        FileIndex { fills, table, key }
    }

    /// Hands `found` each of the file's fills of `account` whose key is `key`.
    fn find(&mut self, account: &str, key: &str, mut found: impl FnMut(usize)) {
        for &i in self.table.iter_hash(names_hash(account, key)) {
            let i = i as usize;
            self.fills.key(i, &mut self.key);
            if self.key == key && self.fills.account(i) == account {
                found(i);
            }
        }
    }
}

/// The trades a journal holds: their ids in order, the account and symbol
/// of each, and whether it has imported fills.
struct HeldTrades {
    ids: Vec<i64>,
    /// For each trade, its account and symbol as an index into `names`.
    names_of: Vec<u32>,
    names: Vec<(String, String)>,
    imported: Vec<bool>,
}

impl HeldTrades {
    fn read(tx: &Transaction<'_>) -> Result<HeldTrades, StorageError> {
        let mut held = HeldTrades {
            ids: Vec::new(),
            names_of: Vec::new(),
            names: Vec::new(),
            imported: Vec::new(),
        };
        let mut index: FastMap<String, FastMap<String, u32>> = FastMap::default();
        let mut stmt = tx.prepare_cached("SELECT id, account, symbol FROM trade ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (account, symbol) = (text(row, 1)?, text(row, 2)?);
            let names = match index.get(account).and_then(|m| m.get(symbol)) {
                Some(&names) => names,
                None => {
                    let names = held.names.len() as u32;
                    held.names.push((account.to_owned(), symbol.to_owned()));
                    index
                        .entry(account.to_owned())
                        .or_default()
                        .insert(symbol.to_owned(), names);
                    names
                }
            };
            held.ids.push(row.get(0)?);
            held.names_of.push(names);
        }
        held.imported = vec![false; held.ids.len()];
        Ok(held)
    }

    /// Notes that the trade `id` has an imported fill; returns its account
    /// and symbol (their index in `names`) if the journal holds the trade.
    fn mark_imported(&mut self, id: i64) -> Option<u32> {
        let position = self.ids.binary_search(&id).ok()?;
        self.imported[position] = true;
        Some(self.names_of[position])
    }

    /// The account and symbol of trade `id` (their index in `names`), if
    /// the journal holds it.
    fn names_of_trade(&self, id: i64) -> Option<u32> {
        let position = self.ids.binary_search(&id).ok()?;
        Some(self.names_of[position])
    }

    /// The latest trade with imported fills, by the index of its account
    /// and symbol in `names`.
    fn latest_by_names(&self) -> Vec<Option<i64>> {
        let mut latest: Vec<Option<i64>> = vec![None; self.names.len()];
        for ((id, names), imported) in self.ids.iter().zip(&self.names_of).zip(&self.imported) {
            if *imported {
                // Ids come in order: the last one seen is the largest.
                latest[*names as usize] = Some(*id);
            }
        }
        latest
    }

    /// For each of the latest trades (`latest`, of
    /// [`HeldTrades::latest_by_names`]), the trade of the same account and
    /// symbol with the next id, where it has no imported fill.
    fn next_unimported(&self, latest: &[Option<i64>]) -> FastMap<i64, i64> {
        let mut after: Vec<Option<(i64, bool)>> = vec![None; self.names.len()];
        let mut next = FastMap::default();
        for position in (0..self.ids.len()).rev() {
            let (id, names) = (self.ids[position], self.names_of[position] as usize);
            if latest[names] == Some(id)
                && let Some((following, false)) = after[names]
            {
                next.insert(id, following);
            }
            after[names] = Some((id, self.imported[position]));
        }
        next
    }

    /// The latest trades with imported fills (`latest`, of
    /// [`HeldTrades::latest_by_names`]) by account and then symbol.
    fn latest_imported(self, latest: &[Option<i64>]) -> FastMap<String, FastMap<String, i64>> {
        let mut by_name: FastMap<String, FastMap<String, i64>> = FastMap::default();
        for ((account, symbol), id) in self.names.into_iter().zip(latest) {
            if let Some(id) = id {
                by_name.entry(account).or_default().insert(symbol, *id);
            }
        }
        by_name
    }
}

/// A value's place in the text of a [`Batch`].
#[derive(Debug, Clone, Copy)]
struct Span(u32, u32);

/// Rows of a run of trades, ready to be handed to SQLite: the values that
/// are stored as text were written into `text`.
#[derive(Default)]
struct Batch<'a> {
    /// How many of the import's trades are prepared once this batch is in.
    done: usize,
    text: String,
    /// Continued trades, with their ids.
    continued: Vec<(TradeId, Cow<'a, Trade>)>,
    trades: Vec<TradeRow<'a>>,
    tags: Vec<(i64, i64, String)>,
    /// The analyses to keep of the batch's trades (new and continued), by
    /// id, and the basis they are valid under.
    kept: Vec<(i64, Vec<u8>)>,
    kept_basis: i64,
    /// The fill records of the batch's trades (see [`FillRecords`]).
    records: FillRecords,
    /// The statistics of the whole journal to keep
    /// ([`crate::domain::imported::KeepStats`]): only
    /// ever in a batch of their own, after every trade's.
    stats: Option<Vec<u8>>,
    /// The vector the making thread handed the trades over in, emptied, to
    /// hand them back in once written ([`give_back`]).
    handed_over: Vec<(TradeId, Cow<'a, Trade>, bool)>,
}

struct TradeRow<'a> {
    id: i64,
    trade: Cow<'a, Trade>,
    multiplier: Span,
    rate: Span,
    events: Span,
}

impl<'a> Batch<'a> {
    /// Appends `value` to the text, as the journal writes decimals, and
    /// returns its place.
    fn push(&mut self, value: Decimal) -> Span {
        let start = self.text.len();
        super::write_decimal(&mut self.text, value);
        Span(start as u32, self.text.len() as u32)
    }

    /// Encodes the analyses to keep of the batch's trades, on the helper
    /// thread: it still keeps ahead of SQLite on the writing thread, which
    /// then has a core of its own (encoding on every core took time from
    /// it, on a machine of two).
    fn keep_analyses(&mut self, keep: Option<KeepAnalyses<'_>>) {
        let Some(keep) = keep else {
            return;
        };
        let trades: Vec<(i64, &Trade)> = self
            .continued
            .iter()
            .map(|(id, trade)| (id.0, &**trade))
            .chain(self.trades.iter().map(|row| (row.id, &*row.trade)))
            .collect();
        self.kept_basis = keep.basis;
        self.kept = trades
            .iter()
            .map(|&(id, trade)| (id, (keep.encode)(TradeId(id), trade)))
            .collect();
    }

    fn value(&self, span: Span) -> &str {
        &self.text[span.0 as usize..span.1 as usize]
    }

    /// Adds a new trade's rows.
    fn add(&mut self, id: TradeId, trade: Cow<'a, Trade>) {
        let multiplier = self.push(trade.multiplier);
        let rate = self.push(trade.rate);
        let start = self.text.len();
        write_events(&mut self.text, &trade.events);
        let events = Span(start as u32, self.text.len() as u32);
        for (position, tag) in trade.tags.iter().enumerate() {
            self.tags.push((id.0, position as i64, tag.clone()));
        }
        self.trades.push(TradeRow {
            id: id.0,
            trade,
            multiplier,
            rate,
            events,
        });
    }
}

/// The fill records of a run of trades: for each trade that took fills,
/// its id, its account and the record of its fills, the text of both
/// written into `text` (see [`write_fill_record`]).
#[derive(Default)]
struct FillRecords {
    text: String,
    rows: Vec<(i64, Span, Span)>,
    /// How many fills the records hold (the opening part of a fill split
    /// by a flip does not count apart from its fill).
    fills: usize,
}

impl FillRecords {
    /// Forgets every record, keeping the room they took.
    fn clear(&mut self) {
        self.text.clear();
        self.rows.clear();
        self.fills = 0;
    }

    /// Adds the record of the fills of trade `id`, if it took any.
    fn add(&mut self, id: TradeId, imported: &ImportedTrade) {
        if imported.sources.is_empty() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(&imported.trade.account);
        let account = Span(start as u32, self.text.len() as u32);
        let start = self.text.len();
        write_fill_record(
            &mut self.text,
            imported.sources.iter().map(|source| {
                let prefix = if source.opening { OPENING_PREFIX } else { "" };
                (prefix, source.key.0.as_str(), source.event)
            }),
        );
        let record = Span(start as u32, self.text.len() as u32);
        self.rows.push((id.0, account, record));
        self.fills += imported.sources.iter().filter(|s| !s.opening).count();
    }

    fn value(&self, span: Span) -> &str {
        &self.text[span.0 as usize..span.1 as usize]
    }
}

/// A run of the import's trades as made, before their rows are prepared.
struct Gathered<'a> {
    /// The position among the import's trades of the first of them.
    first: usize,
    /// Each trade with its id, and whether it continues a trade of the journal.
    trades: Vec<(TradeId, Cow<'a, Trade>, bool)>,
    records: FillRecords,
    /// Whether the trades are known to be valid: streamed trades are
    /// validated as they are booked ([`TradeFeed::Streamed`]).
    valid: bool,
}

/// A written batch's trades and the records of their fills, in what the
/// making thread handed them over in, given back to it ([`give_back`]).
struct GivenBack<'a> {
    trades: Vec<(TradeId, Cow<'a, Trade>, bool)>,
    records: FillRecords,
}

/// Gives a written `batch`'s trades and the records of their fills back to
/// the thread that made them, if it still takes them, in what it handed
/// them over in: it lets go of them there and hands the next trades over
/// in the same memory. What this thread made for the batch is let go of
/// here. Memory freed by another thread than the one that took it goes
/// back to that thread's heap under a lock, which the two threads
/// otherwise took turns waiting for (3 to 12 ms in all per import of
/// 100,000 fills).
fn give_back<'a>(batch: Batch<'a>, to: &mpsc::Sender<GivenBack<'a>>) {
    let Batch {
        continued,
        trades,
        records,
        mut handed_over,
        ..
    } = batch;
    // The trades were handed over in it: it has room for all of them.
    handed_over.extend(continued.into_iter().map(|(id, trade)| (id, trade, true)));
    handed_over.extend(
        trades
            .into_iter()
            .map(|row| (TradeId(row.id), row.trade, false)),
    );
    let _ = to.send(GivenBack {
        trades: handed_over,
        records,
    });
}

/// Makes the trades and hands them on in runs under their ids, with the
/// records of their fills, letting go of what is `given_back` as it comes.
/// Stops when the receiver is gone.
fn gather<'a>(
    trades: TradeFeed<'a>,
    ids: &[TradeId],
    sender: &mpsc::SyncSender<Result<Gathered<'a>, StorageError>>,
    given_back: &mpsc::Receiver<GivenBack<'a>>,
) {
    let valid = matches!(trades, TradeFeed::Streamed { .. });
    // A run is handed over in what an earlier one was given back in, where
    // that has room for it.
    let new_run = |first, size, spare: Option<GivenBack<'a>>| match spare {
        Some(GivenBack {
            mut trades,
            mut records,
        }) if trades.capacity() >= size => {
            trades.clear();
            records.clear();
            Gathered {
                first,
                trades,
                records,
                valid,
            }
        }
        _ => Gathered {
            first,
            trades: Vec::with_capacity(size),
            records: FillRecords::default(),
            valid,
        },
    };
    let mut spare = None;
    let mut size = FIRST_BATCH.min(TRADES_PER_BATCH);
    let mut run = new_run(0, size, None);
    let mut index = 0;
    let mut stopped = false;
    let mut beyond = false;
    // Streamed trades are new ones, numbered as they come.
    let first_id = match trades {
        TradeFeed::Streamed { first_id, .. } => Some(first_id),
        _ => None,
    };
    let mut each = |imported: Cow<'a, ImportedTrade>| -> bool {
        let id = match first_id {
            Some(first) => TradeId(first.0 + index as i64),
            None => match ids.get(index) {
                Some(&id) => id,
                None => {
                    beyond = true;
                    return false;
                }
            },
        };
        run.records.add(id, &imported);
        let continues = imported.continues.is_some();
        let trade = match imported {
            Cow::Borrowed(imported) => Cow::Borrowed(&imported.trade),
            Cow::Owned(imported) => Cow::Owned(imported.trade),
        };
        run.trades.push((id, trade, continues));
        index += 1;
        if run.trades.len() >= size {
            size = (size * 2).min(TRADES_PER_BATCH);
            let full = std::mem::replace(&mut run, new_run(index, size, spare.take()));
            if sender.send(Ok(full)).is_err() {
                stopped = true;
                return false;
            }
            // The latest given back is kept for the next run; the others
            // are let go of here.
            spare = given_back.try_iter().last();
        }
        true
    };
    let mut made_all = true;
    match trades {
        TradeFeed::Held(trades) => {
            for imported in trades {
                if !each(Cow::Borrowed(imported)) {
                    break;
                }
            }
        }
        TradeFeed::Produced { produce, .. } => produce(&mut |imported| each(Cow::Owned(imported))),
        TradeFeed::Streamed { stream, .. } => {
            made_all = stream(&mut |imported| each(Cow::Owned(imported)));
        }
    }
    if stopped {
        return;
    }
    if !made_all {
        let _ = sender.send(Err(StorageError::Plan(
            "the trades could not be made as they were written",
        )));
        return;
    }
    if !run.trades.is_empty() && sender.send(Ok(run)).is_err() {
        return;
    }
    if beyond || (first_id.is_none() && index != ids.len()) {
        // Not the trades planned: nothing is kept.
        let _ = sender.send(Err(StorageError::Plan(
            "the trades made are not those the import planned",
        )));
    }
}

/// Validates the trades that `made` hands over and prepares their rows, a
/// batch a run, passing on any error in their place; lets go of the
/// batches that come back `written`, giving what the making thread made
/// back to it while it makes more (see [`give_back`]). Stops at the first
/// invalid trade, or when the receiver is gone. Once every trade is
/// prepared, the statistics to keep, if any, follow in a batch of their own
/// ([`Batch::stats`]); then the batches still to be written are let go of
/// as they come back, beside the writing thread, until it is done.
fn prepare<'a>(
    made: mpsc::Receiver<Result<Gathered<'a>, StorageError>>,
    keep: Option<KeepAnalyses<'_>>,
    sender: mpsc::SyncSender<Result<Batch<'a>, StorageError>>,
    written: &mpsc::Receiver<Batch<'a>>,
    give_back_to: mpsc::Sender<GivenBack<'a>>,
) {
    if prepare_all(made, keep, &sender, written, &give_back_to) {
        // The writing thread reads batches until their sender is gone.
        drop(sender);
        written.iter().for_each(drop);
    }
}

/// [`prepare`] until every batch is sent: true, or false where it stopped
/// early.
fn prepare_all<'a>(
    made: mpsc::Receiver<Result<Gathered<'a>, StorageError>>,
    keep: Option<KeepAnalyses<'_>>,
    sender: &mpsc::SyncSender<Result<Batch<'a>, StorageError>>,
    written: &mpsc::Receiver<Batch<'a>>,
    give_back_to: &mpsc::Sender<GivenBack<'a>>,
) -> bool {
    // The receiver goes when this returns, which tells `gather` to stop.
    for made in made {
        written
            .try_iter()
            .for_each(|batch| give_back(batch, give_back_to));
        let prepared = match made {
            Ok(Gathered {
                first,
                mut trades,
                records,
                valid,
            }) => {
                let mut batch = Batch {
                    records,
                    ..Batch::default()
                };
                for (offset, (id, trade, continues)) in trades.drain(..).enumerate() {
                    // Trades known to be valid are not validated twice
                    // (tests still check them).
                    debug_assert!(!valid || trade.validate().is_ok());
                    if !valid && let Err(errors) = trade.validate() {
                        let index = first + offset;
                        let _ =
                            sender.send(Err(StorageError::invalid(Some(index), &trade, errors)));
                        return false;
                    }
                    if continues {
                        batch.continued.push((id, trade));
                    } else {
                        batch.add(id, trade);
                    }
                }
                batch.handed_over = trades;
                batch.done = first + batch.trades.len() + batch.continued.len();
                batch.keep_analyses(keep);
                Ok(batch)
            }
            Err(error) => Err(error),
        };
        let failed = prepared.is_err();
        if sender.send(prepared).is_err() || failed {
            return false;
        }
    }
    // Every trade is prepared: the statistics they add up to come last, in
    // a batch of their own.
    if let Some(stats) = keep.and_then(|keep| keep.stats)
        && let Some(bytes) = (stats.finish)()
    {
        return sender
            .send(Ok(Batch {
                stats: Some(bytes),
                ..Batch::default()
            }))
            .is_ok();
    }
    true
}

/// The prepared batches of an import's trades, as its helper threads make
/// them ([`make_batches`]), and the way back for those written.
struct Batches<'a> {
    /// The batches, in order, or the error that stopped them.
    made: mpsc::Receiver<Result<Batch<'a>, StorageError>>,
    /// Each written batch goes back to the thread that prepared it, to be
    /// let go of there (its trades by the thread that made them, see
    /// [`give_back`]): freeing its trades and texts took about a tenth of
    /// the writing thread's time, and that thread is the import's slowest.
    /// The preparing thread waits for the last of them once it has prepared
    /// every batch; where it stopped early, they are let go of where they
    /// were written.
    written: mpsc::Sender<Batch<'a>>,
}

/// Starts the helper threads of an import on `scope`: one makes the trades
/// and hands them on in runs under their ids, with the records of their
/// fills; the other prepares their rows, a batch a run. They stop once the
/// batches' receiver is gone.
fn make_batches<'scope, 'a: 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    trades: TradeFeed<'a>,
    ids: &'a [TradeId],
    keep: Option<KeepAnalyses<'a>>,
) -> Batches<'a> {
    // A few batches ahead at most: trades made as they are written are not
    // held waiting.
    let (made_sender, made) = mpsc::sync_channel(BATCHES_AHEAD);
    let (sender, receiver) = mpsc::sync_channel(BATCHES_AHEAD);
    let (written, to_let_go) = mpsc::channel();
    let (give_back_to, given_back) = mpsc::channel();
    scope.spawn(move || gather(trades, ids, &made_sender, &given_back));
    scope.spawn(move || prepare(made, keep, sender, &to_let_go, give_back_to));
    Batches {
        made: receiver,
        written,
    }
}

/// Writes the trades (new ones under `ids`, continued ones in place) and
/// records their fills, as the helper threads hand them over in `batches`;
/// returns how many fills were recorded, and the statistics to keep that
/// came after them, if any. With `to_sync`, a handle on the
/// journal's file, a third helper has what SQLite wrote so far put on disk
/// after each batch, so that little is left for the commit to wait for.
fn write_trades_and_fills(
    tx: &Transaction<'_>,
    batches: Batches<'_>,
    trades: TradeFeed<'_>,
    ids: &[TradeId],
    to_sync: Option<&std::fs::File>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(usize, Option<Vec<u8>>), StorageError> {
    // Progress is counted in trades, or in fills where the trades are not
    // counted before they are made.
    let total = match trades {
        TradeFeed::Streamed { fills, .. } => fills,
        _ => ids.len(),
    };
    let in_fills = matches!(trades, TradeFeed::Streamed { .. });
    // At most one request to sync waits: one sync covers every write
    // before it.
    let (sync_sender, sync_requests) = mpsc::sync_channel::<()>(1);
    std::thread::scope(|scope| {
        if let Some(file) = to_sync {
            // A failed sync only leaves more for the commit's own.
            scope.spawn(move || sync_requests.iter().for_each(|()| drop(file.sync_data())));
        }
        // The batches' receiver and the sync requests' sender are dropped
        // when this returns, early or not, which tells the helper threads
        // to stop.
        let (batches, sync_sender) = (batches, sync_sender);
        let mut inserts = Inserts::prepare(tx)?;
        let mut recorded = 0;
        let mut stats = None;
        for batch in batches.made.iter() {
            let mut batch = batch?;
            if let Some(bytes) = batch.stats.take() {
                stats = Some(bytes);
                continue;
            }
            inserts.write_batch(tx, &batch)?;
            recorded += batch.records.fills;
            progress(
                if in_fills {
                    recorded.min(total)
                } else {
                    batch.done
                },
                total,
            );
            let _ = sync_sender.try_send(());
            // Where the preparing thread stopped early, the batch is
            // dropped here.
            let _ = batches.written.send(batch);
        }
        Ok((recorded, stats))
    })
}

/// The INSERT statements of full chunks of rows, prepared once for a whole
/// import (a shorter chunk, at most one a batch, goes through the cache).
struct Inserts<'c> {
    trades: BulkInsert<'c>,
    records: BulkInsert<'c>,
    kept: BulkInsert<'c>,
}

impl<'c> Inserts<'c> {
    fn prepare(tx: &'c Transaction<'_>) -> Result<Inserts<'c>, StorageError> {
        Ok(Inserts {
            trades: BulkInsert::prepare(tx, insert_trades_sql(TRADES_PER_INSERT))?,
            records: BulkInsert::prepare(tx, insert_records_sql(RECORDS_PER_INSERT))?,
            kept: BulkInsert::prepare(tx, insert_kept_sql(KEPT_PER_INSERT))?,
        })
    }

    /// Writes the rows of a batch: the continued trades' events and tags,
    /// then the new trades with their events, and their tags.
    fn write_batch(&mut self, tx: &Transaction<'_>, batch: &Batch<'_>) -> Result<(), StorageError> {
        for (id, trade) in &batch.continued {
            tx.prepare_cached("DELETE FROM analysis_cache WHERE trade_id = ?1")?
                .execute([id.0])?;
            tx.prepare_cached("DELETE FROM analysis_shown WHERE trade_id = ?1")?
                .execute([id.0])?;
            tx.prepare_cached("DELETE FROM trade_tag WHERE trade_id = ?1")?
                .execute([id.0])?;
            write_tags(tx, *id, trade)?;
            // New fills may change the trade's rate, and bring the stops' history.
            let mut events = String::new();
            write_events(&mut events, &trade.events);
            tx.prepare_cached(
                "UPDATE trade SET currency = ?2, rate = ?3, stops_known = ?4, events = ?5
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                id.0,
                trade.currency,
                trade.rate.to_string(),
                trade.stops_known,
                events
            ])?;
        }
        if let Some(first) = batch.trades.first() {
            // New ids have no kept analysis; should one be there, it goes.
            super::kept::forget_from(tx, TradeId(first.id))?;
        }
        let mut values =
            Vec::with_capacity((TRADES_PER_INSERT * TRADE_PARAMS).max(1 + KEPT_PER_INSERT * 2));
        for chunk in batch.trades.chunks(TRADES_PER_INSERT) {
            values.clear();
            for row in chunk {
                let trade = &*row.trade;
                values.extend([
                    Value::Integer(row.id),
                    Value::Text(&trade.symbol),
                    Value::Integer(side_code(trade.side)),
                    Value::Text(batch.value(row.multiplier)),
                    Value::Text(&trade.currency),
                    Value::Text(&trade.account),
                    Value::Text(&trade.setup),
                    Value::Integer(condition_code(trade.market_condition)),
                    Value::Text(&trade.notes),
                    Value::Text(batch.value(row.rate)),
                    Value::Integer(i64::from(trade.stops_known)),
                    Value::Text(batch.value(row.events)),
                ]);
            }
            let (max, rows) = (TRADES_PER_INSERT, chunk.len());
            insert_rows(tx, &mut self.trades, max, rows, insert_trades_sql, &values)?;
        }
        if !batch.tags.is_empty() {
            let mut insert = tx.prepare_cached(
                "INSERT INTO trade_tag (trade_id, position, tag) VALUES (?1, ?2, ?3)",
            )?;
            for (id, position, tag) in &batch.tags {
                insert.execute(rusqlite::params![id, position, tag])?;
            }
        }
        for chunk in batch.kept.chunks(KEPT_PER_INSERT) {
            values.clear();
            values.push(Value::Integer(batch.kept_basis));
            for (id, figures) in chunk {
                values.extend([Value::Integer(*id), Value::Blob(figures)]);
            }
            let (max, rows) = (KEPT_PER_INSERT, chunk.len());
            insert_rows(tx, &mut self.kept, max, rows, insert_kept_sql, &values)?;
        }
        let records = &batch.records;
        for chunk in records.rows.chunks(RECORDS_PER_INSERT) {
            values.clear();
            for &(id, account, fills) in chunk {
                values.extend([
                    Value::Integer(id),
                    Value::Text(records.value(account)),
                    Value::Text(records.value(fills)),
                ]);
            }
            let (max, rows) = (RECORDS_PER_INSERT, chunk.len());
            insert_rows(
                tx,
                &mut self.records,
                max,
                rows,
                insert_records_sql,
                &values,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_what_the_domain_names() {
        for side in [Side::Long, Side::Short] {
            assert_eq!(SIDES[side_code(side) as usize], side.as_str());
        }
        for condition in MarketCondition::ALL {
            assert_eq!(
                CONDITIONS[condition_code(condition) as usize],
                condition.as_str()
            );
        }
    }

    /// An imported trade of AAPL: bought 100 at 170 (key `x:E1`), and sold
    /// them at 172 (`x:E2`) when `closed`.
    fn imported(closed: bool, continues: Option<usize>) -> ImportedTrade {
        use crate::domain::Event;
        use crate::domain::imported::{FillKey, Source};
        let at = |h: u32| {
            chrono::DateTime::parse_from_rfc3339(&format!("2024-03-15T{h:02}:00:00+00:00")).unwrap()
        };
        let mut trade = Trade::new("AAPL", Side::Long);
        trade.events.push(Event::entry(
            at(9),
            Decimal::from(100),
            Decimal::from(170),
            Decimal::ONE,
        ));
        let mut sources = vec![Source {
            event: 0,
            key: FillKey("x:E1".to_owned()),
            line: 2,
            opening: false,
        }];
        if closed {
            trade.events.push(Event::exit(
                at(10),
                Decimal::from(100),
                Decimal::from(172),
                Decimal::ONE,
            ));
            sources.push(Source {
                event: 1,
                key: FillKey("x:E2".to_owned()),
                line: 3,
                opening: false,
            });
        }
        ImportedTrade {
            lines: vec![2; trade.events.len()],
            trade,
            sources,
            open: !closed,
            continues,
        }
    }

    /// The plan of an import of `trades`, held, under `ids`, made when the
    /// journal was at `version`.
    fn held_plan<'a>(
        version: JournalVersion,
        trades: &'a [ImportedTrade],
        ids: &'a [TradeId],
    ) -> ImportWrite<'a> {
        ImportWrite {
            keep: None,
            version,
            trades: trades.into(),
            ids,
            check: None,
        }
    }

    /// `n` closed trades of AAPL, each with fills of its own keys.
    fn many_imported(n: usize) -> Vec<ImportedTrade> {
        use crate::domain::imported::FillKey;
        (0..n)
            .map(|i| {
                let mut trade = imported(true, None);
                for (k, source) in trade.sources.iter_mut().enumerate() {
                    source.key = FillKey(format!("x:E{}", 2 * i + k));
                }
                trade
            })
            .collect()
    }

    #[test]
    fn trades_written_in_many_batches_are_all_written_under_their_ids() {
        // Many more full batches than may wait at once, so that the making
        // thread hands trades over in what earlier batches were given back
        // in (writing the records given back again, or dropping trades,
        // would change the counts below).
        let n = FIRST_BATCH * 2 + TRADES_PER_BATCH * (BATCHES_AHEAD * 8) + 7;
        let mut journal = Journal::open_in_memory().unwrap();
        let first = journal.import_state().unwrap();
        let mut open = vec![imported(false, None)];
        open[0].sources[0].key = crate::domain::imported::FillKey("x:O1".to_owned());
        let plan = held_plan(first.version, &open, std::slice::from_ref(&first.next_id));
        journal.write_import(&plan, false, &mut |_, _| {}).unwrap();

        // Every 100th trade continues the open one, the rest are new.
        let state = journal.import_state().unwrap();
        let mut trades = many_imported(n);
        let mut ids = Vec::with_capacity(n);
        let mut next = state.next_id.0;
        for (i, trade) in trades.iter_mut().enumerate() {
            if i % 100 == 50 {
                trade.continues = Some(0);
                trade.open = true;
                trade.trade.events.truncate(1);
                trade.sources.truncate(1);
                ids.push(first.next_id);
            } else {
                ids.push(TradeId(next));
                next += 1;
            }
        }
        let plan = held_plan(state.version, &trades, &ids);
        let mut reported = Vec::new();
        let recorded = journal
            .write_import(&plan, false, &mut |done, total| {
                reported.push((done, total))
            })
            .unwrap();
        let continued = (0..n).filter(|i| i % 100 == 50).count();
        assert_eq!(recorded, Some(2 * (n - continued) + continued));
        assert_eq!(journal.trade_count().unwrap(), 1 + n - continued);
        assert_eq!(
            journal.imported_fill_count().unwrap(),
            1 + 2 * (n - continued) + continued
        );
        assert_eq!(reported.last(), Some(&(n, n)));
        // The new trades have the ids planned, in order.
        let written: Vec<i64> = {
            let mut stmt = journal
                .conn
                .prepare("SELECT id FROM trade ORDER BY id")
                .unwrap();
            stmt.query_map([], |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let mut expected: Vec<i64> = std::iter::once(first.next_id.0)
            .chain(
                ids.iter()
                    .map(|id| id.0)
                    .filter(|&id| id != first.next_id.0),
            )
            .collect();
        expected.sort_unstable();
        assert_eq!(written, expected);
    }

    #[test]
    fn an_invalid_trade_late_in_many_batches_writes_none_of_them() {
        let n = TRADES_PER_BATCH * (BATCHES_AHEAD * 2 + 2);
        let mut journal = Journal::open_in_memory().unwrap();
        let state = journal.import_state().unwrap();
        let mut trades = many_imported(n);
        let bad = n - 10;
        trades[bad].trade.symbol = String::new();
        let ids: Vec<TradeId> = (0..n)
            .map(|i| TradeId(state.next_id.0 + i as i64))
            .collect();
        let plan = held_plan(state.version, &trades, &ids);
        let error = journal
            .write_import(&plan, false, &mut |_, _| {})
            .unwrap_err();
        assert!(
            matches!(error, StorageError::InvalidTrade { index: Some(i), .. } if i == bad),
            "{error}"
        );
        assert_eq!(journal.trade_count().unwrap(), 0);
        assert_eq!(journal.imported_fill_count().unwrap(), 0);
    }

    #[test]
    fn every_check_and_foreign_key_holds_again_after_an_import() {
        let mut journal = Journal::open_in_memory().unwrap();
        let write = |journal: &mut Journal, trade: &ImportedTrade, id: TradeId| {
            let state = journal.import_state().unwrap();
            let plan = held_plan(
                state.version,
                std::slice::from_ref(trade),
                std::slice::from_ref(&id),
            );
            journal.write_import(&plan, false, &mut |_, _| {}).unwrap()
        };
        let id = journal.import_state().unwrap().next_id;
        assert_eq!(write(&mut journal, &imported(false, None), id), Some(1));
        let keep_for_trade = |journal: &Journal| {
            journal
                .conn
                .execute(
                    "INSERT INTO analysis_cache (trade_id, basis, figures) VALUES (?1, 1, x'00')",
                    [id.0],
                )
                .unwrap();
        };
        let kept_rows = |journal: &Journal| -> i64 {
            journal
                .conn
                .query_row("SELECT count(*) FROM analysis_cache", [], |row| row.get(0))
                .unwrap()
        };
        keep_for_trade(&journal);
        // Extending the open trade writes its events with the statements
        // every other write uses, which SQLite keeps in its cache. The
        // trade's kept analysis is forgotten.
        assert_eq!(write(&mut journal, &imported(true, Some(0)), id), Some(2));
        assert_eq!(journal.imported_fill_count().unwrap(), 2);
        assert_eq!(kept_rows(&journal), 0);
        // The statement the import changed the trade with, run again from
        // the cache, forgets it as well.
        keep_for_trade(&journal);
        journal
            .conn
            .prepare_cached(
                "UPDATE trade SET currency = ?2, rate = ?3, stops_known = ?4, events = ?5
                 WHERE id = ?1",
            )
            .unwrap()
            .execute(rusqlite::params![id.0, "USD", "1", true, "[]"])
            .unwrap();
        assert_eq!(kept_rows(&journal), 0);

        let conn = &journal.conn;
        let setting = |name: &str| -> bool {
            conn.pragma_query_value(None, name, |row| row.get(0))
                .unwrap()
        };
        assert!(setting("foreign_keys"));
        assert!(!setting("ignore_check_constraints"));
        // The journal's page cache is back to its usual size.
        let cache: i64 = conn
            .pragma_query_value(None, "cache_size", |row| row.get(0))
            .unwrap();
        assert_eq!(cache, -super::super::CACHE_KIB);
        let error = conn
            .execute(
                "UPDATE trade SET events = '[unclosed' WHERE id = ?1",
                [id.0],
            )
            .unwrap_err();
        assert!(error.to_string().contains("CHECK"), "{error}");
        let error = conn
            .execute(
                "INSERT INTO trade_tag (trade_id, position, tag) VALUES (?1, 0, 'x')",
                [id.0 + 100],
            )
            .unwrap_err();
        assert!(error.to_string().contains("FOREIGN KEY"), "{error}");
    }

    #[test]
    fn streamed_trades_are_numbered_as_they_come_and_kept_only_when_all_are_made() {
        let mut journal = Journal::open_in_memory().unwrap();
        let trade = imported(true, None);
        // Made short of all of them: nothing is written.
        let state = journal.import_state().unwrap();
        let stream = |each: &mut dyn FnMut(ImportedTrade) -> bool| {
            each(trade.clone());
            false
        };
        let plan = ImportWrite {
            keep: None,
            version: state.version,
            trades: TradeFeed::Streamed {
                first_id: state.next_id,
                fills: 4,
                stream: &stream,
            },
            ids: &[],
            check: None,
        };
        let error = journal.write_import(&plan, false, &mut |_, _| {});
        assert!(matches!(error, Err(StorageError::Plan(_))), "{error:?}");
        assert_eq!(journal.trades().unwrap().len(), 0);
        assert_eq!(journal.imported_fill_count().unwrap(), 0);
        // All made: each takes the next id, and progress counts fills.
        let mut other = trade.clone();
        other.trade.account = "U2".to_owned();
        let stream = |each: &mut dyn FnMut(ImportedTrade) -> bool| {
            each(trade.clone()) && each(other.clone())
        };
        let plan = ImportWrite {
            trades: TradeFeed::Streamed {
                first_id: state.next_id,
                fills: 4,
                stream: &stream,
            },
            ..plan
        };
        let mut reported = Vec::new();
        let recorded = journal
            .write_import(&plan, false, &mut |done, total| {
                reported.push((done, total))
            })
            .unwrap();
        assert_eq!(recorded, Some(4));
        assert_eq!(reported.first(), Some(&(0, 4)));
        assert_eq!(reported.last(), Some(&(4, 4)));
        let written = journal.trades().unwrap();
        assert_eq!(
            written.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [state.next_id, TradeId(state.next_id.0 + 1)]
        );
        assert_eq!(written[1].1.account, "U2");
        // Ids alongside a streamed feed are a plan it does not follow.
        let plan = ImportWrite {
            ids: &[state.next_id],
            version: journal.import_state().unwrap().version,
            ..plan
        };
        let error = journal.write_import(&plan, false, &mut |_, _| {});
        assert!(matches!(error, Err(StorageError::Plan(_))), "{error:?}");
    }

    #[test]
    fn trades_made_other_than_planned_are_not_written() {
        let mut journal = Journal::open_in_memory().unwrap();
        let trade = imported(true, None);
        for made in [0, 2] {
            let state = journal.import_state().unwrap();
            let produce = |each: &mut dyn FnMut(ImportedTrade) -> bool| {
                for _ in 0..made {
                    if !each(trade.clone()) {
                        return;
                    }
                }
            };
            let plan = ImportWrite {
                keep: None,
                version: state.version,
                trades: TradeFeed::Produced {
                    count: 1,
                    produce: &produce,
                },
                ids: &[state.next_id],
                check: None,
            };
            let error = journal.write_import(&plan, false, &mut |_, _| {});
            assert!(matches!(error, Err(StorageError::Plan(_))), "{made} made");
            assert_eq!(journal.trades().unwrap().len(), 0);
            assert_eq!(journal.imported_fill_count().unwrap(), 0);
        }
        // One made as planned is written.
        let state = journal.import_state().unwrap();
        let produce = |each: &mut dyn FnMut(ImportedTrade) -> bool| {
            each(trade.clone());
        };
        let plan = ImportWrite {
            keep: None,
            version: state.version,
            trades: TradeFeed::Produced {
                count: 1,
                produce: &produce,
            },
            ids: &[state.next_id],
            check: None,
        };
        assert_eq!(
            journal.write_import(&plan, false, &mut |_, _| {}).unwrap(),
            Some(2)
        );
        assert_eq!(journal.trades().unwrap().len(), 1);
    }

    #[test]
    fn a_plan_made_before_the_journal_changed_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let mut journal = Journal::open(&path).unwrap();
        let state = journal.import_state().unwrap();
        // Another program writes a trade after the plan was made.
        let mut other = Journal::open(&path).unwrap();
        let mut trade = imported(true, None).trade;
        trade.symbol = "MSFT".to_owned();
        other.insert_trade(&trade).unwrap();
        let trade = imported(true, None);
        let plan = held_plan(
            state.version,
            std::slice::from_ref(&trade),
            std::slice::from_ref(&state.next_id),
        );
        assert_eq!(
            journal.write_import(&plan, false, &mut |_, _| {}).unwrap(),
            None
        );
        assert_eq!(journal.imported_fill_count().unwrap(), 0);
        assert_eq!(
            journal.import_state().unwrap().next_id.0,
            state.next_id.0 + 1
        );

        // This connection's own writes count too.
        let state = journal.import_state().unwrap();
        journal.insert_trade(&trade.trade).unwrap();
        let plan = ImportWrite {
            keep: None,
            version: state.version,
            ..plan
        };
        assert_eq!(
            journal.write_import(&plan, false, &mut |_, _| {}).unwrap(),
            None
        );
        let state = journal.import_state().unwrap();
        let ids = [state.next_id];
        let plan = ImportWrite {
            keep: None,
            version: state.version,
            ids: &ids,
            ..plan
        };
        assert_eq!(
            journal.write_import(&plan, false, &mut |_, _| {}).unwrap(),
            Some(2)
        );
        assert_eq!(journal.imported_fill_count().unwrap(), 2);
    }

    /// Fills named by a list.
    struct Listed {
        names: Vec<(&'static str, &'static str)>,
    }

    impl FillNames for Listed {
        fn count(&self) -> usize {
            self.names.len()
        }
        fn account(&self, i: usize) -> &str {
            self.names[i].0
        }
        fn symbol(&self, _: usize) -> &str {
            "AAPL"
        }
        fn key(&self, i: usize, key: &mut String) {
            key.clear();
            key.push_str(self.names[i].1);
        }
    }

    #[test]
    fn the_journal_knows_the_fills_it_holds_in_any_order() {
        let mut journal = Journal::open_in_memory().unwrap();
        let state = journal.import_state().unwrap();
        let trade = imported(true, None);
        let plan = held_plan(
            state.version,
            std::slice::from_ref(&trade),
            std::slice::from_ref(&state.next_id),
        );
        journal.write_import(&plan, false, &mut |_, _| {}).unwrap();
        // The trade's account is the default one; `x:E2` is its exit.
        let account = trade.trade.account.as_str();
        assert_eq!(account, crate::domain::DEFAULT_ACCOUNT);
        let listed = Listed {
            names: vec![
                ("U1", "x:E1"),
                ("default", "x:E2"),
                ("default", "x:E0"),
                ("default", "x:E1"),
                // An account and key that run together as another fill's
                // do ("defaul" and "tx:E1") are not that fill.
                ("defaul", "tx:E1"),
            ],
        };
        let snapshot = journal.import_snapshot(&listed, true).unwrap();
        assert_eq!(snapshot.known, [false, true, false, true, false]);
        assert_eq!(
            snapshot.holders,
            [None, Some(state.next_id), None, Some(state.next_id), None]
        );
    }

    #[test]
    fn fill_records_read_back_as_written_escapes_and_all() {
        let fills = [
            ("", "x:E1", 0),
            ("o:", "x:E2", 3),
            ("", "x:a \"quoted\" \\ id\u{1}", 12),
            ("", "x:ünï", 7),
        ];
        let mut text = String::new();
        write_fill_record(&mut text, fills.iter().map(|&(p, k, s)| (p, k, s)));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value.as_object().unwrap().len(), 4);
        let mut read: Vec<(String, u32)> = read_fill_record(&text)
            .unwrap()
            .into_iter()
            .map(|(key, seq)| (key.into_owned(), seq))
            .collect();
        read.sort();
        let mut expected: Vec<(String, u32)> = fills
            .iter()
            .map(|&(p, k, s)| (format!("{p}{k}"), s as u32))
            .collect();
        expected.sort();
        assert_eq!(read, expected);
        // As SQL writes it, and with spaces.
        let spaced = "{ \"x:E1\" : 0, \"o:x:E2\": 3 }";
        assert_eq!(read_fill_record(spaced).unwrap().len(), 2);
        assert_eq!(read_fill_record("{}").unwrap().len(), 0);
        for corrupt in ["", "[]", "{\"x:E1\":-1}", "{\"x:E1\":0", "{\"x:E1\":\"0\"}"] {
            assert!(
                matches!(read_fill_record(corrupt), Err(StorageError::Corrupt { .. })),
                "{corrupt}"
            );
        }
    }

    #[test]
    fn several_rows_go_in_one_statement() {
        assert_eq!(
            insert_records_sql(2),
            "INSERT OR FAIL INTO fill_record (trade_id, account, fills) VALUES (?1, ?2, ?3), (?4, ?5, ?6)"
        );
        assert!(insert_trades_sql(1).ends_with(
            "VALUES (?1, ?2, CASE ?3 WHEN 0 THEN 'long' WHEN 1 THEN 'short' END, ?4, ?5, ?6, ?7, \
             CASE ?8 WHEN 0 THEN 'trending' WHEN 1 THEN 'range' WHEN 2 THEN 'unknown' END, \
             ?9, ?10, ?11, ?12)"
        ));
    }
}
