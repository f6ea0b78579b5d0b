//! Writing an import: every imported fill is remembered by its key, so that
//! importing the same file again adds nothing and a later file that overlaps
//! an earlier one adds only its new fills.
//!
//! The journal does not decide what an import adds; the importer does
//! (`crate::import::commit`), from what the journal tells it:
//!
//! 1. [`Journal::import_state`]: the journal's version, the next trade id,
//!    and whether any fill was imported before;
//! 2. [`Journal::import_snapshot`]: the journal's imported fills, read once in
//!    key order and merged with the file's keys sorted the same way. A fill
//!    the journal has, in a trade the journal still holds, is known; a fill
//!    of a deleted trade is not (see `migrations/0003_fills_outlive_trades.sql`).
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
//!    details, tags, notes and hand-made events stay); each new fill's record,
//!    with its key, its trade and the event it became (replacing the record
//!    of a deleted trade's fill); and the statement's check ([`super::check`]).
//!    It first makes sure the journal is still at the version the plan was
//!    made from, holding the write lock; if not, it writes nothing and the
//!    import is planned again.
//!
//! Writing runs on two threads. A helper thread takes the trades (held, or
//! made one at a time as they are written: see [`TradeFeed`]), validates
//! them, turns their numbers and times into the text the journal stores, and
//! then sorts the fills by key (compact rows, their keys in one text, sorted
//! in place); the calling thread hands the rows to SQLite as they come, a few
//! batches behind at most,
//! many to a statement, binding their text without copying it
//! ([`super::bulk`]) and names as numbers. While an import runs, SQLite does
//! not check CHECK constraints and foreign keys (see [`Journal::write_import`]).
//! The page cache is smaller while an import is written ([`IMPORT_CACHE_KIB`]):
//! the rows of a new import go at the end of their tables (trades and events
//! by id, fills in key order), so pages written are rarely needed again, and
//! SQLite spills them to the write-ahead log rather than holding a large
//! import's pages in memory. The cache size is no durability setting: what
//! is spilled is part of the transaction until it commits, as before.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::BuildHasherDefault;
use std::sync::{OnceLock, mpsc};

use fnv::FnvHasher;
use rusqlite::{OptionalExtension as _, Transaction, TransactionBehavior};
use rust_decimal::Decimal;

use super::bulk::{BulkInsert, Value};
use super::check::write_check;
use super::events::write_events;
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

/// The most imported fills written by one INSERT statement (3 parameters
/// each, and the account).
const FILLS_PER_INSERT: usize = 32;

/// The most kept analyses written by one INSERT statement (2 parameters
/// each, and the basis).
const KEPT_PER_INSERT: usize = 32;

/// How many trades the helper thread prepares at a time; progress is
/// reported after each such batch is written.
const TRADES_PER_BATCH: usize = 1024;

/// The page cache while an import is written, in KiB: the rows of an import
/// go at the end of their tables (trades by id, fills in key
/// order), so pages written are rarely needed again, and a cache beyond this
/// size only holds them until the write-ahead log does (measured: an import
/// of 1,000,000 fills takes as long with it as with the journal's usual
/// 64 MiB, and peaks 50 MB lower; with 8 MiB, it takes longer).
const IMPORT_CACHE_KIB: i64 = 16 << 10;

/// The page cache while the journal's imported fills are read to plan an
/// import, in KiB: they are read once, in order, so a larger cache would
/// only hold pages that are not read again (a journal of 1,000,000 imported
/// fills takes about 50 MB).
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

/// `INSERT` statements of 0 to `max` rows: element `n` is `head` with the
/// `VALUES` of rows `0..n`, each written by `row`.
fn multi_row_inserts(head: &str, max: usize, row: impl Fn(usize) -> String) -> Vec<String> {
    (0..=max)
        .map(|rows| {
            let values: Vec<String> = (0..rows).map(&row).collect();
            format!("{head} VALUES {}", values.join(", "))
        })
        .collect()
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
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    &SQL.get_or_init(|| {
        multi_row_inserts(
            "INSERT OR FAIL INTO trade (id, symbol, side, multiplier, currency, account, setup, \
             market_condition, notes, rate, stops_known, events)",
            TRADES_PER_INSERT,
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
    })[rows]
}

/// The INSERT of `rows` imported fills of one account (1 to
/// [`FILLS_PER_INSERT`]): the account is parameter 1, then key, trade id and
/// seq of each fill. A fill recorded for a trade that was deleted since is
/// taken over (the fills of trades the journal holds are never among those
/// written).
fn insert_fills_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    &SQL.get_or_init(|| {
        multi_row_inserts(
            "INSERT OR REPLACE INTO imported_fill (account, key, trade_id, seq)",
            FILLS_PER_INSERT,
            |row| {
                let p = row * 3 + 1;
                format!("(?1, ?{}, ?{}, ?{})", p + 1, p + 2, p + 3)
            },
        )
    })[rows]
}

/// Whether the journal holds no trade and remembers no imported fill.
fn holds_nothing(conn: &rusqlite::Connection) -> Result<bool, StorageError> {
    Ok(!conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM trade) OR EXISTS (SELECT 1 FROM imported_fill)",
        [],
        |row| row.get::<_, bool>(0),
    )?)
}

/// The INSERT of `rows` kept analyses (1 to [`KEPT_PER_INSERT`]): the
/// basis is parameter 1, then the trade id and the bytes of each, as
/// [`super::kept::KEEP_SQL`] writes one.
fn insert_kept_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    &SQL.get_or_init(|| {
        multi_row_inserts(
            "INSERT OR REPLACE INTO analysis_cache (trade_id, basis, figures)",
            KEPT_PER_INSERT,
            |row| {
                let p = row * 2 + 1;
                format!("(?{}, ?1, ?{})", p + 1, p + 2)
            },
        )
    })[rows]
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
    /// the next trade id and whether any fill was imported before.
    pub fn import_state(&self) -> Result<ImportState, StorageError> {
        let version = version(&self.conn)?;
        let any_imported: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM imported_fill)")?
            .query_row([], |row| row.get(0))?;
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
        })
    }

    /// What the journal holds of a file's fills (see [`ImportSnapshot`]):
    /// which it has, in which trades when `with_holders`, and the open
    /// imported trades the others may continue. Read in one pass over the
    /// imported fills, in one read transaction.
    ///
    /// The file's fills are taken in the order `fills` gives
    /// ([`FillNames::key_order`]); fills out of that order are refused.
    pub fn import_snapshot(
        &self,
        fills: &dyn FillNames,
        with_holders: bool,
    ) -> Result<ImportSnapshot, StorageError> {
        // The journal's imported fills are read once, in order: through a
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
        let journal = JournalFills::read(&tx, fills, with_holders)?;
        let mut wanted: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut last = None;
        for i in (0..fills.count()).filter(|&i| !journal.known[i]) {
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
            let closing_known = journal.known[i];
            if opened && !closing_known {
                split.push((i, SplitPart::Closing));
            } else if !opened
                && closing_known
                && let Some((qty, fee)) = closing_exit(&tx, fills, i)?
            {
                split.push((i, SplitPart::Opening { qty, fee }));
            }
        }
        drop(tx);
        Ok(ImportSnapshot {
            known: journal.known,
            holders: journal.holders,
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
        self.conn.pragma_update(None, "foreign_keys", false)?;
        self.conn
            .pragma_update(None, "ignore_check_constraints", true)?;
        // A smaller page cache while the import is written (see
        // `IMPORT_CACHE_KIB`); the journal's own is restored after.
        let cache: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |row| row.get(0))?;
        self.conn
            .pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)?;
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
        let result =
            self.write_import_in_one_transaction(write, expected, rollback, dry_run, progress);
        if rollback {
            // The import is committed or rolled back whatever this gives:
            // a journal left with its rollback journal is put back in WAL
            // mode by the next open, as every open does.
            let _ = self.back_to_wal();
        }
        let restored = self
            .conn
            .pragma_update(None, "cache_size", cache)
            .and_then(|()| {
                self.conn
                    .pragma_update(None, "ignore_check_constraints", false)
            })
            .and_then(|()| self.conn.pragma_update(None, "foreign_keys", true));
        let recorded = result?;
        restored?;
        Ok(recorded)
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
        expected: JournalVersion,
        first: bool,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<usize>, StorageError> {
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
        if trades.len() != write.ids.len() {
            return Err(StorageError::Plan(
                "a trade without its id, or an id without its trade",
            ));
        }
        let total = trades.len();
        progress(0, total);
        // The import keeps or forgets the analyses of the trades it writes
        // itself (see `Inserts::write_batch`).
        let recorded = super::kept::with_triggers_aside(&tx, || {
            write_trades_and_fills(&tx, trades, write.ids, write.keep, progress)
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
    /// it holds (the fills of deleted trades are not counted).
    pub fn imported_fill_count(&self) -> Result<usize, StorageError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT count(*) FROM imported_fill
             WHERE trade_id IN (SELECT id FROM trade) AND substr(key, 1, 2) <> 'o:'",
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

/// The quantity and fee of the exit that fill `i` of the file closed a
/// trade with, as the journal holds it, where it is an exit.
fn closing_exit(
    tx: &Transaction<'_>,
    fills: &dyn FillNames,
    i: usize,
) -> Result<Option<(Decimal, Decimal)>, StorageError> {
    let mut key = String::new();
    fills.key(i, &mut key);
    let record: Option<(i64, i64)> = tx
        .prepare_cached("SELECT trade_id, seq FROM imported_fill WHERE account = ?1 AND key = ?2")?
        .query_row(rusqlite::params![fills.account(i), key], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let Some((trade, seq)) = record else {
        return Ok(None);
    };
    let Some(trade) = super::load_trade(tx, TradeId(trade))? else {
        return Ok(None);
    };
    let exit = usize::try_from(seq)
        .ok()
        .and_then(|seq| trade.events.get(seq))
        .and_then(|event| match event.kind {
            EventKind::Exit(fill) => Some((fill.qty, fill.fee)),
            _ => None,
        });
    Ok(exit)
}

/// What the journal holds of a file's fills, read in one pass over the
/// imported fills.
struct JournalFills {
    /// For each fill of the file, whether the journal has it, in a trade it
    /// still holds.
    known: Vec<bool>,
    /// When asked for, for each fill of the file, the trade that holds it;
    /// else empty.
    holders: Vec<Option<TradeId>>,
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
    fn read(
        tx: &Transaction<'_>,
        fills: &dyn FillNames,
        with_holders: bool,
    ) -> Result<JournalFills, StorageError> {
        let mut held = HeldTrades::read(tx)?;
        // The file's keys in the order of the table's primary key, so that
        // the two lists are merged in one pass.
        let count = fills.count();
        let mut file = InKeyOrder::new(fills)?;
        let mut known = vec![false; count];
        let mut holders = if with_holders {
            vec![None; count]
        } else {
            Vec::new()
        };
        let mut holding = Holding(vec![(0, Vec::new()); held.names.len()]);
        // The opening parts of fills split by a flip, by account and the
        // fill's key: the trade they opened, and whether it is held.
        let mut opening_parts: FastMap<String, FastMap<String, (i64, bool)>> = FastMap::default();
        let mut stmt = tx.prepare_cached(
            "SELECT account, key, trade_id FROM imported_fill ORDER BY account, key",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let trade_id: i64 = row.get(2)?;
            let names = held.mark_imported(trade_id);
            let stored = (text(row, 0)?, text(row, 1)?);
            if let Some(key) = stored.1.strip_prefix(OPENING_PREFIX) {
                // Never the key of a fill of the file.
                opening_parts
                    .entry(stored.0.to_owned())
                    .or_default()
                    .insert(key.to_owned(), (trade_id, names.is_some()));
                continue;
            }
            let Some(names) = names else {
                continue;
            };
            while let Some((i, name)) = file.current() {
                match name.cmp(&stored) {
                    std::cmp::Ordering::Less => file.advance()?,
                    std::cmp::Ordering::Equal => {
                        known[i] = true;
                        if let Some(holder) = holders.get_mut(i) {
                            *holder = Some(TradeId(trade_id));
                        }
                        holding.note(names, trade_id, i);
                        file.advance()?;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
        }
        // The rest of the file's fills are new; their order is checked too.
        while file.current().is_some() {
            file.advance()?;
        }
        let mut openings = Vec::new();
        if !opening_parts.is_empty() {
            let mut key = String::new();
            for i in 0..count {
                let Some(parts) = opening_parts.get(fills.account(i)) else {
                    continue;
                };
                fills.key(i, &mut key);
                let found = parts.get(key.as_str()).copied();
                if let Some((trade_id, is_held)) = found {
                    openings.push((i, is_held));
                    if is_held && let Some(names) = held.names_of_trade(trade_id) {
                        holding.note(names, trade_id, i);
                    }
                }
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
            known,
            holders,
            latest: held.latest_imported(&latest),
            latest_fills,
            openings,
            next_unimported,
        })
    }
}

/// A file's fills in the order of their account and key, one at a time,
/// each one's key written when it comes up.
struct InKeyOrder<'f> {
    fills: &'f dyn FillNames,
    order: Vec<u32>,
    /// The position in `order` of the current fill.
    next: usize,
    /// The current fill's key, and the one before it.
    key: String,
    previous: String,
}

impl<'f> InKeyOrder<'f> {
    fn new(fills: &'f dyn FillNames) -> Result<Self, StorageError> {
        let order = fills.key_order();
        let mut seen = vec![false; fills.count()];
        for &i in &order {
            match seen.get_mut(i as usize) {
                Some(seen) if !*seen => *seen = true,
                _ => {
                    return Err(StorageError::Plan(
                        "the file's fills are not each once in the order of their keys",
                    ));
                }
            }
        }
        if order.len() != seen.len() {
            return Err(StorageError::Plan(
                "the file's fills are not each once in the order of their keys",
            ));
        }
        let mut file = InKeyOrder {
            fills,
            order,
            next: 0,
            key: String::new(),
            previous: String::new(),
        };
        if let Some(&first) = file.order.first() {
            fills.key(first as usize, &mut file.key);
        }
        Ok(file)
    }

    /// The current fill: its position and its account and key.
    fn current(&self) -> Option<(usize, (&str, &str))> {
        let i = *self.order.get(self.next)? as usize;
        Some((i, (self.fills.account(i), self.key.as_str())))
    }

    /// Moves on to the next fill, making sure it does not come before the
    /// current one.
    fn advance(&mut self) -> Result<(), StorageError> {
        let Some(&was) = self.order.get(self.next) else {
            return Ok(());
        };
        self.next += 1;
        let Some(&now) = self.order.get(self.next) else {
            return Ok(());
        };
        std::mem::swap(&mut self.key, &mut self.previous);
        self.fills.key(now as usize, &mut self.key);
        let before = (self.fills.account(was as usize), self.previous.as_str());
        if (self.fills.account(now as usize), self.key.as_str()) < before {
            return Err(StorageError::Plan(
                "the file's fills are not in the order of their keys",
            ));
        }
        Ok(())
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
}

struct TradeRow<'a> {
    id: i64,
    trade: Cow<'a, Trade>,
    multiplier: Span,
    rate: Span,
    events: Span,
}

/// What the second helper thread sends: the rows of a run of trades, then
/// the fills.
enum Prepared<'a> {
    Trades(Batch<'a>),
    Fills(FillRecords),
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
            .map(|&(id, trade)| (id, (keep.encode)(trade)))
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

/// The imported fills to record: each one's account and key, its trade and
/// its event. Keys are kept in one text; rows are small, so that the fills
/// of a large import are sorted in place.
#[derive(Default)]
struct FillRecords {
    accounts: Vec<String>,
    keys: String,
    rows: Vec<FillRecord>,
    /// How many of the rows record the opening part of a fill split by a
    /// flip.
    openings: usize,
}

#[derive(Clone, Copy)]
struct FillRecord {
    /// The key's first eight bytes, which order keys as their text does
    /// wherever they differ.
    prefix: u64,
    /// Where the key is in [`FillRecords::keys`].
    key_at: usize,
    key_len: u32,
    /// The account, by its place in [`FillRecords::accounts`] (by rank of
    /// name, once sorted).
    account: u32,
    trade_id: i64,
    seq: u32,
    /// The position of the trade among those written.
    order: u32,
}

impl FillRecords {
    /// Adds a fill's record: of its opening part when `opening` (see
    /// [`crate::domain::imported::FillKey::opening`]).
    fn add(
        &mut self,
        account: &str,
        key: &str,
        opening: bool,
        trade_id: TradeId,
        seq: usize,
        order: usize,
    ) {
        let account = match self.accounts.iter().rposition(|a| a == account) {
            Some(rank) => rank,
            None => {
                self.accounts.push(account.to_owned());
                self.accounts.len() - 1
            }
        } as u32;
        let key_at = self.keys.len();
        if opening {
            self.keys.push_str(OPENING_PREFIX);
            self.openings += 1;
        }
        self.keys.push_str(key);
        let key = &self.keys[key_at..];
        let mut prefix = [0u8; 8];
        let bytes = key.as_bytes();
        let length = bytes.len().min(8);
        prefix[..length].copy_from_slice(&bytes[..length]);
        self.rows.push(FillRecord {
            prefix: u64::from_be_bytes(prefix),
            key_at,
            key_len: key.len() as u32,
            account,
            trade_id: trade_id.0,
            seq: seq as u32,
            order: order as u32,
        });
    }

    /// How many fills are recorded (the opening parts of fills split by a
    /// flip are not counted apart from their fills).
    fn fill_count(&self) -> usize {
        self.rows.len() - self.openings
    }

    fn key(&self, row: &FillRecord) -> &str {
        &self.keys[row.key_at..row.key_at + row.key_len as usize]
    }

    fn account(&self, row: &FillRecord) -> &str {
        &self.accounts[row.account as usize]
    }

    /// Puts the fills in the order of their account and key (the order of
    /// the table's primary key), each once, with the first trade it is part
    /// of. (A fill split by a flip closes one trade and opens the next: it
    /// is recorded with the one it closes under its own key, and with the
    /// one it opens under its opening key.)
    fn sort(&mut self) {
        // Accounts by rank of name.
        let mut by_name: Vec<u32> = (0..self.accounts.len() as u32).collect();
        by_name
            .sort_unstable_by(|&a, &b| self.accounts[a as usize].cmp(&self.accounts[b as usize]));
        let mut place = vec![0u32; self.accounts.len()];
        for (position, &rank) in by_name.iter().enumerate() {
            place[rank as usize] = position as u32;
        }
        for row in &mut self.rows {
            row.account = place[row.account as usize];
        }
        let mut accounts = vec![String::new(); self.accounts.len()];
        for (rank, name) in std::mem::take(&mut self.accounts).into_iter().enumerate() {
            accounts[place[rank] as usize] = name;
        }
        self.accounts = accounts;
        let mut rows = std::mem::take(&mut self.rows);
        let keys = &self.keys;
        let key = |row: &FillRecord| &keys[row.key_at..row.key_at + row.key_len as usize];
        rows.sort_unstable_by(|a, b| {
            (a.account, a.prefix)
                .cmp(&(b.account, b.prefix))
                .then_with(|| key(a).cmp(key(b)))
                .then(a.order.cmp(&b.order))
        });
        let before = rows.len();
        rows.dedup_by(|later, kept| later.account == kept.account && key(later) == key(kept));
        // A fill twice in the file's trades is recorded once; should that
        // be an opening part, it counts no more.
        let left_out = before - rows.len();
        self.rows = rows;
        if left_out > 0 {
            self.openings = self
                .rows
                .iter()
                .filter(|row| key(row).starts_with(OPENING_PREFIX))
                .count();
        }
    }
}

/// A run of the import's trades as made, before their rows are prepared.
struct Gathered<'a> {
    /// The position among the import's trades of the first of them.
    first: usize,
    /// Each trade with its id, and whether it continues a trade of the journal.
    trades: Vec<(TradeId, Cow<'a, Trade>, bool)>,
}

/// What the first helper thread hands the second: the trades in runs, then
/// their fills.
enum Made<'a> {
    Trades(Gathered<'a>),
    Fills(FillRecords),
}

/// Makes the trades and hands them on in runs under their ids, with the
/// records of their fills (sorted by key) last. Stops when the receiver is
/// gone.
fn gather<'a>(
    trades: TradeFeed<'a>,
    ids: &[TradeId],
    sender: &mpsc::SyncSender<Result<Made<'a>, StorageError>>,
) {
    let mut fills = FillRecords::default();
    let (count, key_bytes) = match trades {
        TradeFeed::Held(trades) => trades.iter().fold((0, 0), |(n, len), t| {
            let room = t.room();
            (n + room.0, len + room.1)
        }),
        TradeFeed::Produced { room, .. } => room,
    };
    fills.rows.reserve_exact(count);
    fills.keys.reserve_exact(key_bytes);
    let new_run = |first| Gathered {
        first,
        trades: Vec::with_capacity(TRADES_PER_BATCH),
    };
    let mut run = new_run(0);
    let mut index = 0;
    let mut stopped = false;
    let mut beyond = false;
    let mut each = |imported: Cow<'a, ImportedTrade>| -> bool {
        let Some(&id) = ids.get(index) else {
            beyond = true;
            return false;
        };
        for source in &imported.sources {
            fills.add(
                &imported.trade.account,
                &source.key.0,
                source.opening,
                id,
                source.event,
                index,
            );
        }
        let continues = imported.continues.is_some();
        let trade = match imported {
            Cow::Borrowed(imported) => Cow::Borrowed(&imported.trade),
            Cow::Owned(imported) => Cow::Owned(imported.trade),
        };
        run.trades.push((id, trade, continues));
        index += 1;
        if run.trades.len() == TRADES_PER_BATCH {
            let full = std::mem::replace(&mut run, new_run(index));
            if sender.send(Ok(Made::Trades(full))).is_err() {
                stopped = true;
                return false;
            }
        }
        true
    };
    match trades {
        TradeFeed::Held(trades) => {
            for imported in trades {
                if !each(Cow::Borrowed(imported)) {
                    break;
                }
            }
        }
        TradeFeed::Produced { produce, .. } => produce(&mut |imported| each(Cow::Owned(imported))),
    }
    if stopped {
        return;
    }
    if !run.trades.is_empty() && sender.send(Ok(Made::Trades(run))).is_err() {
        return;
    }
    if beyond || index != ids.len() {
        // Not the trades planned: nothing is kept.
        let _ = sender.send(Err(StorageError::Plan(
            "the trades made are not those the import planned",
        )));
        return;
    }
    fills.sort();
    let _ = sender.send(Ok(Made::Fills(fills)));
}

/// Validates the trades that `made` hands over and prepares their rows, a
/// batch a run, passing on the fills and any error in their place. Stops at
/// the first invalid trade, or when the receiver is gone.
fn prepare<'a>(
    made: mpsc::Receiver<Result<Made<'a>, StorageError>>,
    keep: Option<KeepAnalyses<'_>>,
    sender: &mpsc::SyncSender<Result<Prepared<'a>, StorageError>>,
) {
    // The receiver goes when this returns, which tells `gather` to stop.
    for made in made {
        let prepared = match made {
            Ok(Made::Trades(run)) => {
                let mut batch = Batch::default();
                for (offset, (id, trade, continues)) in run.trades.into_iter().enumerate() {
                    if let Err(errors) = trade.validate() {
                        let index = run.first + offset;
                        let _ =
                            sender.send(Err(StorageError::invalid(Some(index), &trade, errors)));
                        return;
                    }
                    if continues {
                        batch.continued.push((id, trade));
                    } else {
                        batch.add(id, trade);
                    }
                }
                batch.done = run.first + batch.trades.len() + batch.continued.len();
                batch.keep_analyses(keep);
                Ok(Prepared::Trades(batch))
            }
            Ok(Made::Fills(fills)) => Ok(Prepared::Fills(fills)),
            Err(error) => Err(error),
        };
        let failed = prepared.is_err();
        if sender.send(prepared).is_err() || failed {
            return;
        }
    }
}

/// Writes the trades (new ones under `ids`, continued ones in place) and
/// records their fills; returns how many fills were recorded. The trades
/// are made on one helper thread and their rows prepared on another while
/// this one writes them.
fn write_trades_and_fills(
    tx: &Transaction<'_>,
    trades: TradeFeed<'_>,
    ids: &[TradeId],
    keep: Option<KeepAnalyses<'_>>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, StorageError> {
    let total = trades.len();
    let mut inserts = Inserts::prepare(tx)?;
    // A few batches ahead at most: trades made as they are written are not
    // held waiting.
    let (made_sender, made) = mpsc::sync_channel(BATCHES_AHEAD);
    let (sender, receiver) = mpsc::sync_channel(BATCHES_AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || gather(trades, ids, &made_sender));
        scope.spawn(move || prepare(made, keep, &sender));
        // The receiver is dropped when this returns, early or not, which
        // tells the helper threads to stop.
        let receiver = receiver;
        let mut recorded = 0;
        for prepared in receiver.iter() {
            match prepared? {
                Prepared::Trades(batch) => {
                    inserts.write_batch(tx, &batch)?;
                    progress(batch.done, total);
                }
                Prepared::Fills(fills) => {
                    inserts.record_fills(tx, &fills)?;
                    recorded = fills.fill_count();
                }
            }
        }
        Ok(recorded)
    })
}

/// The INSERT statements of full chunks of rows, prepared once for a whole
/// import (a shorter chunk, at most one a batch, goes through the cache).
struct Inserts<'c> {
    trades: BulkInsert<'c>,
    fills: BulkInsert<'c>,
    kept: BulkInsert<'c>,
}

/// Inserts the rows whose parameters are `values`: with `full` when there
/// are `max` rows, else with the cached statement `sql(rows)`.
fn insert_rows(
    tx: &Transaction<'_>,
    full: &mut BulkInsert<'_>,
    max: usize,
    rows: usize,
    sql: fn(usize) -> &'static str,
    values: &[Value<'_>],
) -> Result<(), StorageError> {
    if rows == max {
        full.execute(values)?;
    } else {
        let mut insert = tx.prepare_cached(sql(rows))?;
        for (index, value) in values.iter().enumerate() {
            match *value {
                Value::Integer(n) => insert.raw_bind_parameter(index + 1, n)?,
                Value::Text(text) => insert.raw_bind_parameter(index + 1, text)?,
                Value::Blob(bytes) => insert.raw_bind_parameter(index + 1, bytes)?,
                Value::Null => insert.raw_bind_parameter(index + 1, rusqlite::types::Null)?,
            }
        }
        insert.raw_execute()?;
    }
    Ok(())
}

impl<'c> Inserts<'c> {
    fn prepare(tx: &'c Transaction<'_>) -> Result<Inserts<'c>, StorageError> {
        Ok(Inserts {
            trades: BulkInsert::prepare(tx, insert_trades_sql(TRADES_PER_INSERT))?,
            fills: BulkInsert::prepare(tx, insert_fills_sql(FILLS_PER_INSERT))?,
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
        Ok(())
    }

    /// Records imported fills, many of one account to a statement.
    fn record_fills(
        &mut self,
        tx: &Transaction<'_>,
        fills: &FillRecords,
    ) -> Result<(), StorageError> {
        let mut values = Vec::with_capacity(1 + FILLS_PER_INSERT * 3);
        for same_account in fills.rows.chunk_by(|a, b| a.account == b.account) {
            for chunk in same_account.chunks(FILLS_PER_INSERT) {
                values.clear();
                values.push(Value::Text(fills.account(&chunk[0])));
                for row in chunk {
                    values.extend([
                        Value::Text(fills.key(row)),
                        Value::Integer(row.trade_id),
                        Value::Integer(i64::from(row.seq)),
                    ]);
                }
                let (max, count) = (FILLS_PER_INSERT, chunk.len());
                insert_rows(tx, &mut self.fills, max, count, insert_fills_sql, &values)?;
            }
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

    #[test]
    fn every_check_and_foreign_key_holds_again_after_an_import() {
        let mut journal = Journal::open_in_memory().unwrap();
        let write = |journal: &mut Journal, trade: &ImportedTrade, id: TradeId| {
            let state = journal.import_state().unwrap();
            let plan = ImportWrite {
                keep: None,
                version: state.version,
                trades: std::slice::from_ref(trade).into(),
                ids: &[id],
                check: None,
            };
            journal.write_import(&plan, false, &mut |_, _| {}).unwrap()
        };
        let id = journal.import_state().unwrap().next_id;
        assert_eq!(write(&mut journal, &imported(false, None), id), Some(1));
        // Extending the open trade writes its events with the statements
        // every other write uses, which SQLite keeps in its cache.
        assert_eq!(write(&mut journal, &imported(true, Some(0)), id), Some(2));
        assert_eq!(journal.imported_fill_count().unwrap(), 2);

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
                    room: (2, 8),
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
                room: (2, 8),
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
        let plan = ImportWrite {
            keep: None,
            version: state.version,
            trades: std::slice::from_ref(&trade).into(),
            ids: &[state.next_id],
            check: None,
        };
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

    /// Fills named by a list, in the order `order` says is theirs.
    struct Listed {
        names: Vec<(&'static str, &'static str)>,
        order: Vec<u32>,
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
        fn key_order(&self) -> Vec<u32> {
            self.order.clone()
        }
    }

    #[test]
    fn the_journal_knows_the_fills_it_holds_and_refuses_them_out_of_order() {
        let mut journal = Journal::open_in_memory().unwrap();
        let state = journal.import_state().unwrap();
        let trade = imported(true, None);
        let plan = ImportWrite {
            keep: None,
            version: state.version,
            trades: std::slice::from_ref(&trade).into(),
            ids: &[state.next_id],
            check: None,
        };
        journal.write_import(&plan, false, &mut |_, _| {}).unwrap();
        // The trade's account is the default one; `x:E2` is its exit.
        let account = trade.trade.account.as_str();
        assert_eq!(account, crate::domain::DEFAULT_ACCOUNT);
        let names = vec![
            ("U1", "x:E1"),
            ("default", "x:E2"),
            ("default", "x:E0"),
            ("default", "x:E1"),
        ];
        // In order: U1 comes before default.
        let listed = Listed {
            names: names.clone(),
            order: vec![0, 2, 3, 1],
        };
        let snapshot = journal.import_snapshot(&listed, true).unwrap();
        assert_eq!(snapshot.known, [false, true, false, true]);
        assert_eq!(
            snapshot.holders,
            [None, Some(state.next_id), None, Some(state.next_id)]
        );
        // Out of order (within the journal's fills, or after them), some
        // twice, some left out, or some that are not there.
        for order in [
            vec![2, 3, 1, 0],
            vec![0, 2, 1, 3],
            vec![0, 2, 3],
            vec![0, 2, 3, 3],
            vec![0, 2, 3, 7],
        ] {
            let listed = Listed {
                names: names.clone(),
                order,
            };
            let refused = journal.import_snapshot(&listed, false);
            assert!(
                matches!(refused, Err(StorageError::Plan(_))),
                "{:?}",
                listed.order
            );
        }
    }

    #[test]
    fn several_rows_go_in_one_statement() {
        assert_eq!(
            insert_fills_sql(2),
            "INSERT OR REPLACE INTO imported_fill (account, key, trade_id, seq) VALUES \
             (?1, ?2, ?3, ?4), (?1, ?5, ?6, ?7)"
        );
        assert!(insert_trades_sql(1).ends_with(
            "VALUES (?1, ?2, CASE ?3 WHEN 0 THEN 'long' WHEN 1 THEN 'short' END, ?4, ?5, ?6, ?7, \
             CASE ?8 WHEN 0 THEN 'trending' WHEN 1 THEN 'range' WHEN 2 THEN 'unknown' END, \
             ?9, ?10, ?11, ?12)"
        ));
    }
}
