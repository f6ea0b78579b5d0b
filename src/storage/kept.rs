//! Analyses kept in the journal (`migrations/0007_analysis_cache.sql`).
//!
//! The journal keeps bytes, not analyses: what they encode and what they are
//! valid under (the basis, a number) is the caller's business
//! ([`crate::analysis::kept`]). The journal's part is to forget a trade's
//! bytes whenever the trade changes, which its triggers do for every
//! program that writes it.
//!
//! [`Journal::read_kept_chunks`] reads every trade in id order with the
//! bytes kept for it under a basis, and the events of the trades that have
//! none, in one read transaction. [`Journal::keep_analyses`] then keeps what
//! the caller computed for those, but only if the journal is still as it was
//! read: an analysis of a trade another program changed meanwhile is never
//! kept. [`Journal::read_shown_chunks`] and [`Journal::keep_shown_analyses`]
//! do the same with what `trades --json` shows beside an analysis
//! (`migrations/0008_kept_sentences.sql`, kept apart since
//! `migrations/0010_shown_apart.sql`): figures without it count as none.
//! Writes of many rows at once (an import, [`Journal::insert_trades`])
//! set the triggers aside in their own transaction and keep or forget the
//! analyses of what they write themselves ([`with_triggers_aside`]).
//!
//! The statistics of the whole journal are kept the same way
//! (`migrations/0012_kept_stats.sql`): [`Journal::kept_stats`] gives the
//! bytes kept under a basis, [`Journal::keep_stats`] keeps new ones if the
//! journal is still as it was read, and the journal forgets them whenever a
//! trade or a tag changes.

use std::sync::OnceLock;

use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::types::ValueRef;
use rusqlite::{OptionalExtension, TransactionBehavior};

use super::bulk::{BulkInsert, Value, cached_insert, insert_rows, multi_row_insert};
use super::events::read_events;
use super::stream::{Texts, missing_trade, owner, read_tags, reading_through, trade_of};
use super::{Journal, StorageError};
use crate::domain::{Trade, TradeId};

/// The text columns of a trade row, after its id: symbol, side,
/// multiplier, currency, account, setup, market condition, rate.
const TRADE_TEXTS: usize = 8;

/// Some consecutive trades of the journal (by id) as the statistics read
/// them ([`Journal::read_kept_chunks`]), not yet decoded
/// ([`KeptChunk::decode`]): for each trade the bytes kept for it, or its
/// row and events; and its tags.
#[derive(Debug, Clone, Default)]
pub struct KeptChunk {
    ids: Vec<i64>,
    /// One value per trade: its kept bytes, or NULL.
    kept: Texts,
    /// Read with [`Journal::read_shown_chunks`]: one value per trade, the
    /// bytes of what is shown beside its analysis, or NULL. Empty otherwise.
    shown: Texts,
    /// Read with [`Journal::read_shown_chunks`]: the trades of `missing`
    /// whose figures are kept without what is shown, by their index in `ids`.
    figures_only: Vec<u32>,
    /// Read with [`Journal::read_shown_chunks`]: the trades of `missing`
    /// whose events the caller wants whatever is kept, by their index in `ids`.
    events_wanted: Vec<u32>,
    /// The trades with no kept bytes, by their index in `ids`.
    missing: Vec<u32>,
    /// For each trade of `missing`: whether its stops are known.
    stops_known: Vec<bool>,
    /// [`TRADE_TEXTS`] per trade of `missing`.
    trades: Texts,
    /// The events of each trade of `missing`, as kept (see
    /// [`super::events`]).
    events: Texts,
    /// For each tag, the index of its trade in `ids`.
    tag_owner: Vec<u32>,
    tags: Texts,
}

/// One trade of a [`KeptChunk`], decoded.
#[derive(Debug, Clone)]
pub enum KeptRow<'c> {
    /// The bytes kept for the trade, and its tags.
    Kept {
        /// The bytes, as kept.
        bytes: &'c [u8],
        /// What is shown beside the analysis, as kept: read only by
        /// [`Journal::read_shown_chunks`], which reads the trade of a row
        /// without it as a [`KeptRow::Trade`].
        shown: Option<&'c [u8]>,
        /// The trade's tags, in their order.
        tags: Vec<String>,
    },
    /// No bytes are kept for the trade: the trade as stored, with its tags
    /// and events, without its notes. (Boxed: the rows of a chunk are
    /// mostly kept bytes, which then take a few words each.)
    Trade(Box<Trade>),
}

impl KeptChunk {
    /// The number of trades.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the chunk holds no trade.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The trades in id order.
    pub fn decode(&self) -> Result<Vec<(TradeId, KeptRow<'_>)>, StorageError> {
        let mut tags: Vec<Vec<String>> = vec![Vec::new(); self.ids.len()];
        for (t, &owner) in self.tag_owner.iter().enumerate() {
            tags[owner as usize].push(self.tags.text(t, "tag")?.to_owned());
        }
        let mut read = Vec::with_capacity(self.missing.len());
        for (m, &stops_known) in self.stops_known.iter().enumerate() {
            let mut trade = trade_of(&self.trades, m * TRADE_TEXTS, false, stops_known)?;
            trade.events = read_events(self.events.bytes(m, "events")?)?;
            read.push(trade);
        }
        let mut read = read.into_iter();
        let mut rows = Vec::with_capacity(self.ids.len());
        for (i, (&id, tags)) in self.ids.iter().zip(tags).enumerate() {
            let row = match self.kept.optional(i) {
                Some(bytes) => KeptRow::Kept {
                    bytes,
                    // Only a read with what is shown has a value per trade.
                    shown: (i < self.shown.len())
                        .then(|| self.shown.optional(i))
                        .flatten(),
                    tags,
                },
                None => {
                    // `missing` lists, in order, exactly the trades with no bytes.
                    let mut trade = read.next().ok_or_else(|| missing_trade(id))?;
                    trade.tags = tags;
                    KeptRow::Trade(Box::new(trade))
                }
            };
            rows.push((TradeId(id), row));
        }
        Ok(rows)
    }

    /// The index in `ids` of trade `id`, looking forward from `cursor`.
    fn owner(&self, cursor: &mut usize, id: i64) -> Result<u32, StorageError> {
        owner(&self.ids, cursor, id)
    }

    /// Whether trade `i` (in the order of [`KeptChunk::decode`]), read with
    /// [`Journal::read_shown_chunks`] as a [`KeptRow::Trade`], has its
    /// figures kept under the basis without what is shown: keeping what is
    /// shown then needs no figures ([`Journal::keep_shown_analyses`]).
    pub fn figures_kept(&self, i: usize) -> bool {
        self.figures_only.binary_search(&(i as u32)).is_ok()
    }

    /// Whether trade `i` (in the order of [`KeptChunk::decode`]), read with
    /// [`Journal::read_shown_chunks`], was read with its events because the
    /// caller wants them for its symbol, whatever is kept for it.
    pub fn events_wanted(&self, i: usize) -> bool {
        self.events_wanted.binary_search(&(i as u32)).is_ok()
    }

    /// Whether any trade of the chunk was read for its events
    /// ([`KeptChunk::events_wanted`]).
    pub fn wants_any_events(&self) -> bool {
        !self.events_wanted.is_empty()
    }
}

/// Runs `write`, which adds many rows, with the triggers that forget kept
/// analyses and kept statistics set aside: dropped first and created again
/// after, in the same transaction, so that no other connection ever sees
/// the journal without them (and a `write` that fails, rolled back, takes
/// nothing away). A trigger costs SQLite about as much per row as a quarter
/// of writing a trade. The kept statistics are forgotten first; `write`
/// must itself forget or replace the kept analyses of the trades it changes
/// (trades it adds under new ids have none), and may keep new statistics.
pub(super) fn with_triggers_aside<T>(
    tx: &rusqlite::Transaction<'_>,
    write: impl FnOnce() -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    tx.execute_batch("DELETE FROM kept_stats")?;
    let triggers = tx
        .prepare(
            "SELECT name, sql FROM sqlite_schema
             WHERE type = 'trigger'
               AND (name GLOB 'analysis_cache_*' OR name GLOB 'kept_stats_*')
             ORDER BY name",
        )?
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (name, _) in &triggers {
        tx.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
    }
    let written = write()?;
    for (_, sql) in &triggers {
        tx.execute_batch(sql)?;
    }
    Ok(written)
}

/// Forgets the kept analyses of trades from `first` on: those a bulk write
/// gives new ids from there (none should be kept, the ids being new).
pub(super) fn forget_from(
    tx: &rusqlite::Transaction<'_>,
    first: TradeId,
) -> Result<(), StorageError> {
    tx.prepare_cached("DELETE FROM analysis_cache WHERE trade_id >= ?1")?
        .execute([first.0])?;
    tx.prepare_cached("DELETE FROM analysis_shown WHERE trade_id >= ?1")?
        .execute([first.0])?;
    Ok(())
}

/// Which kept rows a read takes, and what of them.
#[derive(Clone, Copy)]
enum Reading<'w> {
    /// Every row under the basis, its figures only.
    Figures,
    /// The rows under the basis with what is shown; those without it count
    /// as none (their trades are read), but are noted, and so are those of
    /// the trades whose symbol wants their events. The caller is told once
    /// more, with no chunk, before the read ends.
    Shown(&'w dyn Fn(&str) -> bool),
}

/// The journal as one read saw it: a later [`Journal::keep_analyses`] keeps
/// nothing if another connection has written since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadVersion(i64);

impl Journal {
    /// Every trade in id order, `size` at a time, each with the bytes kept
    /// for it under `basis`, or its events where none are. All is read in
    /// one read transaction; the returned version is the journal's as read.
    pub fn read_kept_chunks<E: From<StorageError>>(
        &self,
        basis: i64,
        size: usize,
        mut each: impl FnMut(KeptChunk) -> Result<(), E>,
    ) -> Result<ReadVersion, E> {
        let mut each = |chunk: Option<KeptChunk>| match chunk {
            Some(chunk) => each(chunk),
            None => Ok(()),
        };
        reading_through(&self.conn, || {
            self.read_kept(basis, size.max(1), Reading::Figures, &mut each)
        })
    }

    /// [`Journal::read_kept_chunks`] for `trades --json`: a trade counts as
    /// kept only when what is shown beside its analysis is kept too
    /// ([`KeptRow::Kept::shown`]), and a trade whose symbol `wants_events`
    /// is read with its events whatever is kept ([`KeptChunk::events_wanted`]).
    /// After the last chunk, `each` is given `None`, while the read
    /// transaction is still open: what it then reads of the journal is of
    /// the same snapshot.
    pub fn read_shown_chunks<E: From<StorageError>>(
        &self,
        basis: i64,
        size: usize,
        wants_events: &dyn Fn(&str) -> bool,
        mut each: impl FnMut(Option<KeptChunk>) -> Result<(), E>,
    ) -> Result<ReadVersion, E> {
        reading_through(&self.conn, || {
            self.read_kept(basis, size.max(1), Reading::Shown(wants_events), &mut each)
        })
    }

    fn read_kept<E: From<StorageError>>(
        &self,
        basis: i64,
        size: usize,
        reading: Reading<'_>,
        each: &mut impl FnMut(Option<KeptChunk>) -> Result<(), E>,
    ) -> Result<ReadVersion, E> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StorageError::from)?;
        let version;
        {
            let mut id_stmt = tx
                .prepare_cached(match reading {
                    Reading::Figures => "SELECT id FROM trade ORDER BY id",
                    Reading::Shown(_) => "SELECT id, symbol FROM trade ORDER BY id",
                })
                .map_err(StorageError::from)?;
            let mut trade_stmt = tx
                .prepare_cached(
                    "SELECT id, symbol, side, multiplier, currency, account, setup,
                            market_condition, rate, stops_known, events
                     FROM trade WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
                )
                .map_err(StorageError::from)?;
            let mut kept_stmt = tx
                .prepare_cached(
                    "SELECT trade_id, figures FROM analysis_cache WHERE basis = ?1
                     ORDER BY trade_id",
                )
                .map_err(StorageError::from)?;
            let mut shown_stmt = tx
                .prepare_cached(
                    "SELECT trade_id, shown FROM analysis_shown WHERE basis = ?1
                     ORDER BY trade_id",
                )
                .map_err(StorageError::from)?;
            let mut tag_stmt = tx
                .prepare_cached("SELECT trade_id, tag FROM trade_tag ORDER BY trade_id, position")
                .map_err(StorageError::from)?;
            let id_rows = id_stmt.query([]).map_err(StorageError::from)?;
            let mut kept_rows = kept_stmt.query([basis]).map_err(StorageError::from)?;
            let mut tag_rows = tag_stmt.query([]).map_err(StorageError::from)?;
            kept_rows.advance().map_err(StorageError::from)?;
            tag_rows.advance().map_err(StorageError::from)?;
            let shown_rows = match reading {
                Reading::Figures => None,
                Reading::Shown(_) => {
                    let mut rows = shown_stmt.query([basis]).map_err(StorageError::from)?;
                    rows.advance().map_err(StorageError::from)?;
                    Some(rows)
                }
            };
            // Read inside the transaction: the version of what is read.
            version = ReadVersion(
                tx.query_row("PRAGMA data_version", [], |row| row.get(0))
                    .map_err(StorageError::from)?,
            );
            let mut rows = Rows {
                shown: match reading {
                    Reading::Figures => None,
                    Reading::Shown(wants_events) => Some(wants_events),
                },
                ids: id_rows,
                kept: kept_rows,
                shown_rows,
                tags: tag_rows,
                trades: &mut trade_stmt,
            };
            loop {
                let chunk = rows.next_chunk(size)?;
                if chunk.is_empty() {
                    break;
                }
                each(Some(chunk))?;
            }
            if let Some(row) = rows.tags.get() {
                return Err(missing_trade(row.get(0).map_err(StorageError::from)?).into());
            }
            if let Reading::Shown(_) = reading {
                each(None)?;
            }
        }
        tx.commit().map_err(StorageError::from)?;
        Ok(version)
    }

    /// Keeps each trade's bytes under `basis`, replacing what was kept, if
    /// no other connection has written to the journal since `read`; returns
    /// whether they were kept. A journal that cannot be written now (opened
    /// read-only, or locked by another program) keeps nothing, and that is
    /// no error: the bytes are only ever a shortcut.
    pub fn keep_analyses<'b>(
        &self,
        basis: i64,
        read: ReadVersion,
        analyses: impl IntoIterator<Item = (TradeId, &'b [u8])>,
    ) -> Result<bool, StorageError> {
        self.keep(
            basis,
            read,
            analyses
                .into_iter()
                .map(|(id, figures)| (id, Some(figures), None)),
        )
    }

    /// [`Journal::keep_analyses`] with what is shown beside each analysis
    /// (`(trade, figures, shown)`), as [`Journal::read_shown_chunks`] reads
    /// them back. Without figures, what is shown is added to the figures
    /// kept for the trade under `basis` ([`KeptChunk::figures_kept`]).
    pub fn keep_shown_analyses<'b>(
        &self,
        basis: i64,
        read: ReadVersion,
        analyses: impl IntoIterator<Item = (TradeId, Option<&'b [u8]>, &'b [u8])>,
    ) -> Result<bool, StorageError> {
        self.keep(
            basis,
            read,
            analyses
                .into_iter()
                .map(|(id, figures, shown)| (id, figures, Some(shown))),
        )
    }

    fn keep<'b>(
        &self,
        basis: i64,
        read: ReadVersion,
        analyses: impl IntoIterator<Item = Kept<'b>>,
    ) -> Result<bool, StorageError> {
        let mut analyses = analyses.into_iter().peekable();
        if analyses.peek().is_none() || self.read_only {
            return Ok(false);
        }
        // Not waiting for another program's lock: a busy journal keeps nothing.
        self.conn.busy_timeout(std::time::Duration::ZERO)?;
        // Written, like the whole journal is read, with a small page cache:
        // a keep of every trade's analysis writes as many pages as the
        // analyses take, which the journal's own cache would hold until the
        // commit.
        let result = reading_through(&self.conn, || {
            Ok::<_, StorageError>(keep_in_transaction(&self.conn, basis, read.0, analyses))
        });
        self.conn.busy_timeout(super::BUSY_TIMEOUT)?;
        let result = result?;
        match result {
            Ok(kept) => Ok(kept),
            Err(error) if is_busy(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// The statistics kept under `basis`, if any
    /// (`migrations/0012_kept_stats.sql`).
    pub fn kept_stats(&self, basis: i64) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .conn
            .prepare_cached("SELECT stats FROM kept_stats WHERE basis = ?1")?
            .query_row([basis], |row| row.get(0))
            .optional()?)
    }

    /// Keeps `stats` under `basis`, in place of any kept, if no other
    /// connection has written to the journal since `read`; returns whether
    /// they were kept. A journal that cannot be written now keeps nothing,
    /// and that is no error, as for [`Journal::keep_analyses`].
    pub fn keep_stats(
        &self,
        basis: i64,
        read: ReadVersion,
        stats: &[u8],
    ) -> Result<bool, StorageError> {
        if self.read_only {
            return Ok(false);
        }
        self.conn.busy_timeout(std::time::Duration::ZERO)?;
        let result = keep_stats_in_transaction(&self.conn, basis, read.0, stats);
        self.conn.busy_timeout(super::BUSY_TIMEOUT)?;
        match result {
            Ok(kept) => Ok(kept),
            Err(error) if is_busy(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Forgets every kept analysis.
    pub fn forget_kept_analyses(&self) -> Result<(), StorageError> {
        self.conn
            .execute_batch("DELETE FROM analysis_cache; DELETE FROM analysis_shown;")?;
        Ok(())
    }

    /// The number of trades with bytes kept under `basis`.
    pub fn kept_analysis_count(&self, basis: i64) -> Result<usize, StorageError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM analysis_cache WHERE basis = ?1",
            [basis],
            |row| row.get::<_, i64>(0),
        )? as usize)
    }

    /// The bytes kept for trade `id` under `basis`, if any.
    pub fn kept_analysis(&self, id: TradeId, basis: i64) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT figures FROM analysis_cache WHERE trade_id = ?1 AND basis = ?2",
            )?
            .query_row(rusqlite::params![id.0, basis], |row| row.get(0))
            .optional()?)
    }
}

/// Keeps what `trades --json` computes a chunk at a time while the journal
/// is still being read, on a connection of its own ([`Journal::keeper`]):
/// each chunk in a short transaction of its own, so that the write lock is
/// never held while the output waits for its reader. A keeper made before a
/// read starts keeps only while no other connection has written to the
/// journal since it was made, which it checks under the write lock each
/// time: what it keeps was computed from the journal as it still is.
pub struct Keeper {
    conn: rusqlite::Connection,
    basis: i64,
    /// `PRAGMA data_version` on `conn` when the keeper was made: it changes
    /// when another connection commits (this one's own commits leave it).
    version: i64,
    /// Whether it still keeps: once another program wrote, or held the
    /// journal's lock, it keeps nothing more.
    keeping: bool,
}

impl Journal {
    /// A [`Keeper`] of analyses under `basis`, for a read that starts after
    /// this returns; `None` for a journal in memory or opened read-only,
    /// which keep nothing as they are read.
    pub fn keeper(&self, basis: i64) -> Result<Option<Keeper>, StorageError> {
        let Some(path) = self.path.as_deref().filter(|_| !self.read_only) else {
            return Ok(None);
        };
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StorageError::Open {
            path: path.to_owned(),
            source,
        })?;
        // Not waiting for another program's lock: a busy journal keeps
        // nothing. A small page cache: every page it writes is new.
        conn.busy_timeout(std::time::Duration::ZERO)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -KEEPER_CACHE_KIB)?;
        let version = conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        Ok(Some(Keeper {
            conn,
            basis,
            version,
            keeping: true,
        }))
    }
}

/// The page cache of a [`Keeper`]'s connection, in KiB.
const KEEPER_CACHE_KIB: i64 = 2 << 10;

impl Keeper {
    /// Keeps each trade's figures (where given: `None` when they are kept
    /// already) and what it shows, in one transaction, if no other
    /// connection has written to the journal since the keeper was made;
    /// returns whether they were kept. Once it has kept nothing, it keeps
    /// nothing again.
    pub fn keep<'b>(
        &mut self,
        analyses: impl IntoIterator<Item = (TradeId, Option<&'b [u8]>, &'b [u8])>,
    ) -> Result<bool, StorageError> {
        if !self.keeping {
            return Ok(false);
        }
        let analyses = analyses
            .into_iter()
            .map(|(id, figures, shown)| (id, figures, Some(shown)));
        match keep_in_transaction(&self.conn, self.basis, self.version, analyses) {
            Ok(kept) => {
                self.keeping = kept;
                Ok(kept)
            }
            Err(error) if is_busy(&error) => {
                self.keeping = false;
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Whether SQLite refused a write because another program holds the
/// journal, or because it cannot be written.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(
            rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
                | rusqlite::ErrorCode::ReadOnly
        )
    )
}

/// What is kept of one trade: its figures, what it shows, or both.
type Kept<'b> = (TradeId, Option<&'b [u8]>, Option<&'b [u8]>);

/// Keeps `analyses` under `basis` in one transaction on `conn`, if no other
/// connection has written to the journal since `conn`'s `PRAGMA
/// data_version` was `version`; returns whether it did (nothing to keep
/// counts as kept).
fn keep_in_transaction<'b>(
    conn: &rusqlite::Connection,
    basis: i64,
    version: i64,
    analyses: impl IntoIterator<Item = Kept<'b>>,
) -> Result<bool, rusqlite::Error> {
    let mut analyses = analyses.into_iter().peekable();
    if analyses.peek().is_none() {
        return Ok(true);
    }
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    if tx.query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))? != version {
        return Ok(false);
    }
    {
        let mut figures = RowsGoingIn::new(&tx, basis, insert_kept_sql)?;
        let mut shown_rows = RowsGoingIn::new(&tx, basis, insert_shown_sql)?;
        for (id, figures_kept, shown) in analyses {
            if let Some(bytes) = figures_kept {
                figures.push(&tx, id, bytes)?;
            }
            if let Some(bytes) = shown {
                shown_rows.push(&tx, id, bytes)?;
            }
        }
        figures.finish(&tx)?;
        shown_rows.finish(&tx)?;
    }
    tx.commit()?;
    Ok(true)
}

/// [`Journal::keep_stats`] in a transaction of its own, if the journal is
/// still at `version`.
fn keep_stats_in_transaction(
    conn: &rusqlite::Connection,
    basis: i64,
    version: i64,
    stats: &[u8],
) -> Result<bool, rusqlite::Error> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    if tx.query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))? != version {
        return Ok(false);
    }
    write_stats(&tx, basis, stats)?;
    tx.commit()?;
    Ok(true)
}

/// Keeps `stats` under `basis` in place of any kept.
pub(super) fn write_stats(
    tx: &rusqlite::Transaction<'_>,
    basis: i64,
    stats: &[u8],
) -> Result<(), rusqlite::Error> {
    tx.execute("DELETE FROM kept_stats", [])?;
    tx.execute(
        "INSERT INTO kept_stats (basis, stats) VALUES (?1, ?2)",
        rusqlite::params![basis, stats],
    )?;
    Ok(())
}

/// The most kept rows written by one INSERT statement (2 parameters each,
/// and the basis).
pub(super) const KEPT_PER_INSERT: usize = 32;

/// The INSERT of `rows` kept analyses (1 to [`KEPT_PER_INSERT`]), each
/// replacing what was kept for its trade; parameters as [`kept_rows_sql`].
pub(super) fn insert_kept_sql(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; KEPT_PER_INSERT + 1] =
        [const { OnceLock::new() }; KEPT_PER_INSERT + 1];
    cached_insert(&SQL, rows, |rows| {
        kept_rows_sql("analysis_cache (trade_id, basis, figures)", rows)
    })
}

/// The INSERT of `rows` rows of what is shown (1 to [`KEPT_PER_INSERT`]),
/// each replacing what was kept for its trade; parameters as
/// [`kept_rows_sql`]. (A trade's figures and what it shows under one basis
/// depend on the trade alone, which the triggers forget both of when it
/// changes: a row kept beside figures kept again under its basis still
/// stands.)
fn insert_shown_sql(rows: usize) -> &'static str {
    static SQL: [OnceLock<String>; KEPT_PER_INSERT + 1] =
        [const { OnceLock::new() }; KEPT_PER_INSERT + 1];
    cached_insert(&SQL, rows, |rows| {
        kept_rows_sql("analysis_shown (trade_id, basis, shown)", rows)
    })
}

/// `INSERT OR REPLACE INTO` `table` of `rows` rows: the basis is parameter
/// 1, then the trade id and the bytes of each row.
fn kept_rows_sql(table: &str, rows: usize) -> String {
    multi_row_insert(&format!("INSERT OR REPLACE INTO {table}"), rows, |row| {
        let p = row * 2 + 1;
        format!("(?{}, ?1, ?{})", p + 1, p + 2)
    })
}

/// Kept rows of one table (figures or what is shown), written
/// [`KEPT_PER_INSERT`] to a statement: one row at a time, SQLite spends
/// more on running the statement than on the row.
struct RowsGoingIn<'t, 'b> {
    /// The statement of [`KEPT_PER_INSERT`] rows.
    full: BulkInsert<'t>,
    /// The statement of any number of rows.
    sql: fn(usize) -> &'static str,
    /// The basis, then each waiting row's trade id and bytes.
    values: Vec<Value<'b>>,
}

impl<'t, 'b> RowsGoingIn<'t, 'b> {
    fn new(
        tx: &'t rusqlite::Transaction<'_>,
        basis: i64,
        sql: fn(usize) -> &'static str,
    ) -> Result<Self, rusqlite::Error> {
        let mut values = Vec::with_capacity(1 + 2 * KEPT_PER_INSERT);
        values.push(Value::Integer(basis));
        Ok(RowsGoingIn {
            full: BulkInsert::prepare(tx, sql(KEPT_PER_INSERT))?,
            sql,
            values,
        })
    }

    fn push(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        id: TradeId,
        bytes: &'b [u8],
    ) -> Result<(), rusqlite::Error> {
        self.values
            .extend([Value::Integer(id.0), Value::Blob(bytes)]);
        if self.values.len() == 1 + 2 * KEPT_PER_INSERT {
            self.write(tx)?;
        }
        Ok(())
    }

    /// Writes the rows still waiting.
    fn finish(mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error> {
        self.write(tx)
    }

    fn write(&mut self, tx: &rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error> {
        let rows = (self.values.len() - 1) / 2;
        if rows > 0 {
            insert_rows(
                tx,
                &mut self.full,
                KEPT_PER_INSERT,
                rows,
                self.sql,
                &self.values,
            )?;
        }
        self.values.truncate(1);
        Ok(())
    }
}

/// The queries a read goes through side by side.
struct Rows<'s, 'c> {
    /// Whether the kept rows come with what is shown ([`Rows::shown_rows`]),
    /// and the ids with their symbol, which says whether the caller wants
    /// the trade's events whatever is kept.
    shown: Option<&'s dyn Fn(&str) -> bool>,
    /// Every trade's id, in order.
    ids: rusqlite::Rows<'s>,
    /// The kept bytes under the basis, in trade id order.
    kept: rusqlite::Rows<'s>,
    /// What is shown under the basis, in trade id order, when it is read.
    shown_rows: Option<rusqlite::Rows<'s>>,
    tags: rusqlite::Rows<'s>,
    /// The rows of a range of trades, with their events.
    trades: &'s mut rusqlite::CachedStatement<'c>,
}

impl Rows<'_, '_> {
    /// Reads up to `size` trades, the bytes kept for them, their tags, and
    /// the rows and events of those with no bytes kept.
    fn next_chunk(&mut self, size: usize) -> Result<KeptChunk, StorageError> {
        let mut chunk = KeptChunk {
            ids: Vec::with_capacity(size.min(1 << 16)),
            ..KeptChunk::default()
        };
        while chunk.ids.len() < size {
            let Some(row) = self.ids.next()? else {
                break;
            };
            let id: i64 = row.get(0)?;
            let events_wanted = match self.shown {
                Some(wants_events) => wants_events(&row.get::<_, String>(1)?),
                None => false,
            };
            // Kept rows of no trade (there are none while the triggers
            // hold) are passed over.
            let mut found = false;
            while let Some(kept) = self.kept.get() {
                let kept_id: i64 = kept.get(0)?;
                if kept_id > id {
                    break;
                }
                if kept_id == id && !events_wanted {
                    match &mut self.shown_rows {
                        None => {
                            chunk.kept.push_blob(kept.get_ref(1)?, "kept analysis")?;
                            found = true;
                        }
                        Some(shown_rows) => {
                            // Rows of no kept figures are passed over.
                            let mut has_shown = false;
                            while let Some(row) = shown_rows.get() {
                                let shown_id: i64 = row.get(0)?;
                                if shown_id > id {
                                    break;
                                }
                                if shown_id == id {
                                    chunk.shown.push_blob(row.get_ref(1)?, "kept analysis")?;
                                    has_shown = true;
                                }
                                shown_rows.advance()?;
                            }
                            if has_shown {
                                chunk.kept.push_blob(kept.get_ref(1)?, "kept analysis")?;
                                found = true;
                            } else {
                                // Figures without what is shown: read as a trade.
                                chunk.figures_only.push(chunk.ids.len() as u32);
                            }
                        }
                    }
                }
                self.kept.advance()?;
            }
            if events_wanted {
                chunk.events_wanted.push(chunk.ids.len() as u32);
            }
            if !found {
                chunk.kept.push_blob(ValueRef::Null, "kept analysis")?;
                if self.shown.is_some() {
                    chunk.shown.push_blob(ValueRef::Null, "kept analysis")?;
                }
                chunk.missing.push(chunk.ids.len() as u32);
            }
            chunk.ids.push(id);
        }
        read_tags(
            &chunk.ids,
            &mut self.tags,
            &mut chunk.tag_owner,
            &mut chunk.tags,
        )?;
        self.read_missing(&mut chunk)?;
        Ok(chunk)
    }

    /// Reads the rows (with their events) of the chunk's trades with no kept bytes,
    /// between the first and the last of them.
    fn read_missing(&mut self, chunk: &mut KeptChunk) -> Result<(), StorageError> {
        let (Some(&first), Some(&last)) = (chunk.missing.first(), chunk.missing.last()) else {
            return Ok(());
        };
        let range = [chunk.ids[first as usize], chunk.ids[last as usize]];
        // Whether each trade of the chunk is one without bytes.
        let mut wanted = vec![false; chunk.ids.len()];
        for &i in &chunk.missing {
            wanted[i as usize] = true;
        }
        let mut rows = self.trades.query(range)?;
        let mut cursor = 0;
        let mut found = 0;
        while let Some(row) = rows.next()? {
            let owner = chunk.owner(&mut cursor, row.get(0)?)?;
            if !wanted[owner as usize] {
                continue;
            }
            for column in 1..=TRADE_TEXTS {
                chunk.trades.push(row.get_ref(column)?, "trade")?;
            }
            chunk
                .stops_known
                .push(row.get::<_, i64>(TRADE_TEXTS + 1)? != 0);
            chunk.events.push(row.get_ref(TRADE_TEXTS + 2)?, "events")?;
            found += 1;
        }
        if found != chunk.missing.len() {
            // Read in the same transaction as the ids: every one is there.
            let id = chunk.ids[chunk.missing[found] as usize];
            return Err(missing_trade(id));
        }
        Ok(())
    }
}
