//! The journal on disk: a SQLite database that holds trades, their events and tags,
//! and the journal's settings.
//!
//! [`Journal`] owns the [`rusqlite::Connection`] and every SQL string of the
//! program; nothing else in the crate sees SQL. It opens a journal with WAL,
//! foreign keys, `synchronous=NORMAL` and a busy timeout, and brings its schema
//! up to date with the migrations in `migrations/`:
//!
//! - The schema version is `PRAGMA user_version`. Migrations are an
//!   append-only list; the ones not yet applied run in one transaction.
//! - A journal whose version is newer than this program knows is refused with
//!   [`StorageError::TooNew`] before anything is written to it.
//! - Before an existing journal is migrated, a copy of it is written beside it
//!   (`journal.sqlite.bak-v1-20240301T093500Z`) with `VACUUM INTO`, which includes
//!   whatever is still in the write-ahead log.
//!
//! Every write (insert, update, delete, restore, a whole import) is one
//! transaction, and every trade is validated before it is written: the journal
//! only ever holds trades that pass [`Trade::validate`].

mod aside;
mod bars;
mod bulk;
mod check;
mod events;
mod import;
mod kept;
mod load;
mod playbook;
mod stream;

pub use crate::domain::imported::ImportOutcome;
pub use aside::NewJournal;
pub use bars::{BarsOutcome, SeriesInfo};
pub use check::StatementCheck;
pub use kept::{Keeper, KeptChunk, KeptRow, ReadVersion};
pub use stream::TradeChunk;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use rust_decimal::Decimal;

use crate::domain::{
    Event, EventKind, Fill, MarketCondition, RuleSettings, Side, Trade, TradeId, ValidationError,
};

/// The schema migrations, in order. Migration `i` takes the journal from
/// version `i` to version `i + 1`. Append only: never edit or remove a
/// migration that has shipped.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_journal.sql"),
    include_str!("../../migrations/0002_imported_fills.sql"),
    include_str!("../../migrations/0003_fills_outlive_trades.sql"),
    include_str!("../../migrations/0004_money_and_stops.sql"),
    include_str!("../../migrations/0005_price_bars.sql"),
    include_str!("../../migrations/0006_playbooks.sql"),
    include_str!("../../migrations/0007_analysis_cache.sql"),
    include_str!("../../migrations/0008_kept_sentences.sql"),
    include_str!("../../migrations/0009_events_in_trades.sql"),
    include_str!("../../migrations/0010_shown_apart.sql"),
    include_str!("../../migrations/0011_fill_records_by_trade.sql"),
    include_str!("../../migrations/0012_kept_stats.sql"),
];

/// The schema version this program writes: the number of migrations.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a write waits for another process holding the journal's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The page cache of a journal, in KiB (an import of many fills makes it
/// larger while it runs).
const CACHE_KIB: i64 = 64 << 10;

/// How much of a journal file reads map into memory.
const MMAP_BYTES: i64 = 256 << 20;

/// The settings key under which the rule settings are stored.
const RULE_SETTINGS_KEY: &str = "rule_settings";

/// How many trades an import writes between two progress reports.
const PROGRESS_EVERY: usize = 1000;

/// Something that went wrong reading or writing the journal.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database file could not be opened or read.
    #[error("cannot open the journal {path}: {source}")]
    Open {
        /// The journal's path.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The journal was written by a newer version of the program.
    #[error(
        "the journal {path} was written by a newer version of Tranche (schema version {found}; \
         this version knows up to {known}). It was left untouched: upgrade Tranche to open it"
    )]
    TooNew {
        /// The journal's path.
        path: PathBuf,
        /// The journal's schema version.
        found: i64,
        /// The newest schema version this program knows.
        known: i64,
    },
    /// The file is a SQLite database, but not a Tranche journal.
    #[error(
        "{path} is a SQLite database but not a Tranche journal (it has tables and no schema \
         version); it was left untouched"
    )]
    NotAJournal {
        /// The file's path.
        path: PathBuf,
    },
    /// The copy made before a migration could not be written; the journal was not migrated.
    #[error(
        "could not back up the journal to {backup} before upgrading it, so it was not upgraded: \
         {source}"
    )]
    Backup {
        /// Where the copy was to be written.
        backup: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A journal that cannot be written is older than this program's schema.
    #[error(
        "the journal {path} is at schema version {found} and needs an upgrade to version \
         {known}, which cannot be done here (it cannot be written, or this is a dry run); \
         open it once without --dry-run, from a folder Tranche can write to, to upgrade it \
         (a backup is made first)"
    )]
    NeedsUpgrade {
        /// The journal's path.
        path: PathBuf,
        /// The journal's schema version.
        found: i64,
        /// This program's schema version.
        known: i64,
    },
    /// A migration failed; the journal was left at its old version.
    #[error("could not upgrade the journal from schema version {from} to {to}: {source}")]
    Migration {
        /// The version before.
        from: i64,
        /// The version aimed for.
        to: i64,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A trade failed validation and was not written.
    #[error("{}", invalid_message(*index, symbol, described))]
    InvalidTrade {
        /// The 0-based position of the trade in the batch, for [`Journal::insert_trades`].
        index: Option<usize>,
        /// The trade's symbol.
        symbol: String,
        /// The problems found.
        errors: Vec<ValidationError>,
        /// Each problem in words, naming the (1-based) event and field.
        described: Vec<String>,
    },
    /// No trade has this id.
    #[error("there is no trade with id {0}")]
    NotFound(TradeId),
    /// A deleted trade cannot be restored because its id is in use.
    #[error("cannot restore trade {0}: a trade with that id already exists")]
    IdTaken(TradeId),
    /// A value stored in the journal cannot be read back.
    #[error("the journal holds a value it cannot read ({what}: {value:?})")]
    Corrupt {
        /// What the value is, e.g. "event price".
        what: &'static str,
        /// The stored text.
        value: String,
    },
    /// A setting's stored JSON cannot be read or written.
    #[error("the setting {key:?} in the journal cannot be read: {source}")]
    Setting {
        /// The setting's key.
        key: String,
        /// What serde_json said.
        source: serde_json::Error,
    },
    /// An import's plan does not hold together (a bug in the importer).
    #[error("the import's plan cannot be written: {0}")]
    Plan(&'static str),
    /// The journal was changed by another program each time an import was
    /// planned, so it was not written.
    #[error(
        "the journal kept changing while the import was being prepared ({0} tries); \
         nothing was imported: try again"
    )]
    KeptChanging(usize),
    /// Bars whose prices cannot be kept at one number of decimal places with
    /// the bars of the same series already in the journal.
    #[error(
        "the bars of {symbol} cannot be kept with those in the journal: their prices would be \
         too large at the finer number of decimal places"
    )]
    BarsTooFine {
        /// The series' symbol.
        symbol: String,
    },
    /// The user's data directory cannot be determined.
    #[error("cannot find a data directory for the journal; name one with --journal PATH")]
    NoDataDirectory,
    /// A path that is not valid UTF-8 where SQLite needs text.
    #[error("the path {0} is not valid UTF-8")]
    PathNotUtf8(PathBuf),
    /// Any other database error.
    #[error("journal database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

fn invalid_message(index: Option<usize>, symbol: &str, described: &[String]) -> String {
    let which = match index {
        Some(i) => format!("trade {} ({symbol})", i + 1),
        None => format!("the trade ({symbol})"),
    };
    format!("{which} is invalid: {}", described.join("; "))
}

impl StorageError {
    /// The error for an invalid trade, with its problems in words.
    fn invalid(index: Option<usize>, trade: &Trade, errors: Vec<ValidationError>) -> Self {
        let described = errors
            .iter()
            .map(|e| e.describe(trade, |i| i + 1))
            .collect();
        StorageError::InvalidTrade {
            index,
            symbol: trade.symbol.clone(),
            errors,
            described,
        }
    }
}

/// A trade journal: the connection to its SQLite database.
pub struct Journal {
    conn: Connection,
    path: Option<PathBuf>,
    /// Opened read-only, its folder not being writable.
    read_only: bool,
    /// Where it was opened: made aside, where no other program knows of it
    /// (see [`NewJournal`]), it is synced whole before it takes its name,
    /// so that what is written into it meanwhile waits for no sync.
    place: Place,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Opens the journal at `path`, creating it if it does not exist and
    /// migrating it (after a backup) if its schema is older than this program's.
    pub fn open(path: &Path) -> Result<Journal, StorageError> {
        Journal::open_with_migrations(path, MIGRATIONS)
    }

    /// [`Journal::open`] with another list of migrations. This exists so that
    /// tests can exercise the upgrade path (backup, then migrate) with a
    /// migration that has not shipped; the program itself uses [`MIGRATIONS`].
    #[doc(hidden)]
    pub fn open_with_migrations(path: &Path, migrations: &[&str]) -> Result<Journal, StorageError> {
        Journal::open_in(path, migrations, Place::Shared)
    }

    /// Makes a new journal at `path`, where no other program knows of it
    /// (see [`NewJournal`]). Its schema is written under a rollback journal
    /// kept in memory, without waiting for the disk: nothing there is of
    /// use until the journal is synced whole, as its first import's commit
    /// or [`NewJournal::put_in_place`] does.
    fn create_aside(path: &Path) -> Result<(), StorageError> {
        let open_error = |source| StorageError::Open {
            path: path.to_owned(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "MEMORY")
            .and_then(|()| conn.pragma_update(None, "synchronous", "OFF"))
            .map_err(open_error)?;
        let mut journal = Journal {
            conn,
            path: Some(path.to_owned()),
            read_only: false,
            place: Place::Aside,
        };
        journal.migrate(MIGRATIONS)
    }

    /// Opens a journal made by [`Journal::create_aside`] where it was made,
    /// as [`Journal::open`] does, except that it stays under a rollback
    /// journal, kept in memory, and writes without syncs: its first import
    /// is written under a rollback journal anyway (see `Journal::leave_wal`),
    /// and it enters WAL mode once that import is committed, or when it is
    /// opened in its place. It is synced whole before it takes its name.
    fn open_aside(path: &Path) -> Result<Journal, StorageError> {
        Journal::open_in(path, MIGRATIONS, Place::Aside)
    }

    /// [`Journal::open_with_migrations`] in `place`.
    fn open_in(path: &Path, migrations: &[&str], place: Place) -> Result<Journal, StorageError> {
        let open_error = |source| StorageError::Open {
            path: path.to_owned(),
            source,
        };
        remove_stale_backups(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;

        // Look before writing anything, and without a write lock: a journal
        // that is up to date is only read here, so readers never wait for a
        // writer; a newer or foreign database is left as it is.
        let known = migrations.len() as i64;
        // The version and the tables from one snapshot, so that a journal
        // another process is creating right now is never taken for a foreign
        // database.
        let (found, tables) = version_and_tables(&conn).map_err(open_error)?;
        if found > known {
            return Err(StorageError::TooNew {
                path: path.to_owned(),
                found,
                known,
            });
        }
        if found == 0 && tables {
            return Err(StorageError::NotAJournal {
                path: path.to_owned(),
            });
        }
        if found > 0 && found < known {
            backup(&conn, path, found)?;
        }
        configure(&conn, place).map_err(open_error)?;
        let mut journal = Journal {
            conn,
            path: Some(path.to_owned()),
            read_only: false,
            place,
        };
        if found < known {
            // Creating the journal, or upgrading it: under the write lock,
            // which other processes wait for, the version and the tables are
            // read again and judged together.
            journal.migrate(migrations)?;
        }
        Ok(journal)
    }

    /// Opens the journal at `path` for reading. Like [`Journal::open`], except
    /// that a journal whose folder (or file) cannot be written is opened
    /// read-only instead of failing: [`Journal::is_read_only`] then says so,
    /// and writes fail. An up-to-date journal is read without taking the
    /// write lock, so a reader never waits for an import in progress.
    pub fn open_for_reading(path: &Path) -> Result<Journal, StorageError> {
        match Journal::open(path) {
            Ok(journal) => Ok(journal),
            Err(error @ (StorageError::Open { .. } | StorageError::Sqlite(_))) if path.exists() => {
                Journal::open_read_only(path).map_err(|_| error)
            }
            Err(error) => Err(error),
        }
    }

    /// Opens an up-to-date journal read-only, for a folder that cannot be
    /// written (where SQLite cannot create the WAL's shared-memory file).
    fn open_read_only(path: &Path) -> Result<Journal, StorageError> {
        let open_error = |source| StorageError::Open {
            path: path.to_owned(),
            source,
        };
        let text = path
            .to_str()
            .ok_or_else(|| StorageError::PathNotUtf8(path.to_owned()))?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let uri = |extra: &str| {
            let escaped = text
                .replace('%', "%25")
                .replace('?', "%3f")
                .replace('#', "%23");
            format!("file:{escaped}?mode=ro{extra}")
        };
        // Read-only with the WAL if SQLite can use it, else as an immutable
        // file (nothing can write to it without a writable folder either).
        let conn = Connection::open_with_flags(uri(""), flags)
            .and_then(|conn| user_version(&conn).map(|_| conn))
            .or_else(|_| Connection::open_with_flags(uri("&immutable=1"), flags))
            .map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        steady_plans(&conn).map_err(open_error)?;
        let found = user_version(&conn).map_err(open_error)?;
        let known = SCHEMA_VERSION;
        if found > known {
            return Err(StorageError::TooNew {
                path: path.to_owned(),
                found,
                known,
            });
        }
        if found < known {
            return Err(StorageError::NeedsUpgrade {
                path: path.to_owned(),
                found,
                known,
            });
        }
        Ok(Journal {
            conn,
            path: Some(path.to_owned()),
            read_only: true,
            place: Place::Shared,
        })
    }

    /// Whether the journal was opened read-only (see [`Journal::open_for_reading`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Whether the journal file at `path` exists and is older than this
    /// program's schema: opening it would back it up and upgrade it.
    pub fn needs_upgrade(path: &Path) -> Result<Option<i64>, StorageError> {
        if !path.exists() {
            return Ok(None);
        }
        let open_error = |source| StorageError::Open {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_error)?;
        let found = user_version(&conn).map_err(open_error)?;
        Ok((found > 0 && found < SCHEMA_VERSION).then_some(found))
    }

    /// A journal that lives in memory only, for tests and previews.
    pub fn open_in_memory() -> Result<Journal, StorageError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn, Place::Shared)?;
        let mut journal = Journal {
            conn,
            path: None,
            read_only: false,
            place: Place::Shared,
        };
        journal.migrate(MIGRATIONS)?;
        Ok(journal)
    }

    /// Where the journal lives by default: `journal.sqlite` in the user's data
    /// directory for Tranche (on Linux `~/.local/share/tranche/`).
    pub fn default_path() -> Result<PathBuf, StorageError> {
        let dirs = directories::ProjectDirs::from("", "", "Tranche")
            .ok_or(StorageError::NoDataDirectory)?;
        Ok(dirs.data_dir().join("journal.sqlite"))
    }

    /// The journal's file, or `None` for an in-memory journal.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The journal's schema version.
    pub fn schema_version(&self) -> Result<i64, StorageError> {
        Ok(user_version(&self.conn)?)
    }

    /// Applies the migrations not yet applied, all in one transaction.
    fn migrate(&mut self, migrations: &[&str]) -> Result<(), StorageError> {
        let to = migrations.len() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Read again inside the write lock: another process may have created
        // or migrated the journal meanwhile. Tables without a version are
        // another program's database, judged here under the same lock.
        let from = user_version(&tx)?;
        if from == 0 && has_tables(&tx)? {
            return Err(StorageError::NotAJournal {
                path: self.path.clone().unwrap_or_default(),
            });
        }
        if from >= to {
            return Ok(());
        }
        let migration_error = |source| StorageError::Migration { from, to, source };
        for migration in &migrations[from as usize..] {
            tx.execute_batch(migration).map_err(migration_error)?;
        }
        tx.pragma_update(None, "user_version", to)
            .map_err(migration_error)?;
        tx.commit().map_err(migration_error)?;
        Ok(())
    }

    /// Every trade, in the order of their ids.
    pub fn trades(&self) -> Result<Vec<(TradeId, Trade)>, StorageError> {
        let mut trades = Vec::new();
        let mut stmt = self.conn.prepare_cached(trade_rows_sql())?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            trades.push(read_trade_row(row)?);
        }

        // Tags come sorted by trade id, like the trades: merge them in one pass.
        let mut stmt = self
            .conn
            .prepare_cached("SELECT trade_id, tag FROM trade_tag ORDER BY trade_id, position")?;
        let mut rows = stmt.query([])?;
        let mut cursor = 0;
        while let Some(row) = rows.next()? {
            let trade = find_from(&mut trades, &mut cursor, TradeId(row.get(0)?))?;
            trade.tags.push(row.get(1)?);
        }
        Ok(trades)
    }

    /// The trade with this id, if there is one.
    pub fn trade(&self, id: TradeId) -> Result<Option<Trade>, StorageError> {
        load_trade(&self.conn, id)
    }

    /// The number of trades in the journal.
    pub fn trade_count(&self) -> Result<usize, StorageError> {
        let mut stmt = self.conn.prepare_cached("SELECT count(*) FROM trade")?;
        let count: i64 = stmt.query_row([], |row| row.get(0))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Validates `trade` and adds it to the journal, in one transaction.
    pub fn insert_trade(&mut self, trade: &Trade) -> Result<TradeId, StorageError> {
        trade
            .validate()
            .map_err(|errors| StorageError::invalid(None, trade, errors))?;
        let tx = self.conn.transaction()?;
        let id = write_trade(&tx, None, trade)?;
        tx.commit()?;
        Ok(id)
    }

    /// Validates every trade, then adds them all in one transaction: either
    /// all are written or none is. `progress(done, total)` is called as the
    /// trades are written (at the start, every thousand trades, and at the end).
    pub fn insert_trades(
        &mut self,
        trades: &[Trade],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StorageError> {
        self.insert_trades_with_playbooks(trades, None, progress)
    }

    /// [`Journal::insert_trades`], and in the same transaction, when
    /// `playbooks` is given, replaces every playbook with them: the trades and
    /// the playbooks of a file are written together or not at all.
    pub fn insert_trades_with_playbooks(
        &mut self,
        trades: &[Trade],
        playbooks: Option<&[crate::domain::Playbook]>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StorageError> {
        for (index, trade) in trades.iter().enumerate() {
            trade
                .validate()
                .map_err(|errors| StorageError::invalid(Some(index), trade, errors))?;
        }
        let total = trades.len();
        progress(0, total);
        // Immediate: the write lock is taken (waiting for it if need be)
        // before the schema is read to set the triggers aside.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut ids = Vec::with_capacity(total);
        kept::with_triggers_aside(&tx, || {
            for (index, trade) in trades.iter().enumerate() {
                let id = write_trade(&tx, None, trade)?;
                if index == 0 {
                    kept::forget_from(&tx, id)?;
                }
                ids.push(id);
                if (index + 1) % PROGRESS_EVERY == 0 {
                    progress(index + 1, total);
                }
            }
            Ok(())
        })?;
        if let Some(playbooks) = playbooks {
            playbook::write_playbooks(&tx, playbooks)?;
        }
        tx.commit()?;
        progress(total, total);
        Ok(ids)
    }

    /// Validates `trade` and replaces the trade `id` with it, in one transaction.
    pub fn update_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StorageError> {
        trade
            .validate()
            .map_err(|errors| StorageError::invalid(None, trade, errors))?;
        let tx = self.conn.transaction()?;
        let changed = tx
            .prepare_cached(
                "UPDATE trade SET symbol = ?2, side = ?3, multiplier = ?4, currency = ?5,
                 account = ?6, setup = ?7, market_condition = ?8, notes = ?9, rate = ?10,
                 stops_known = ?11, events = ?12 WHERE id = ?1",
            )?
            .execute(params![
                id.0,
                trade.symbol,
                trade.side.as_str(),
                trade.multiplier.to_string(),
                trade.currency,
                trade.account,
                trade.setup,
                trade.market_condition.as_str(),
                trade.notes,
                trade.rate.to_string(),
                trade.stops_known,
                events::events_text(&trade.events),
            ])?;
        if changed == 0 {
            return Err(StorageError::NotFound(id));
        }
        tx.prepare_cached("DELETE FROM trade_tag WHERE trade_id = ?1")?
            .execute([id.0])?;
        write_tags(&tx, id, trade)?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes the trade `id` with its events and tags, in one transaction.
    /// The record of the fills it was imported from stays, but no longer
    /// counts: importing them again brings the trade back, and
    /// [`Journal::restore_trade`] makes them count again.
    pub fn delete_trade(&mut self, id: TradeId) -> Result<(), StorageError> {
        let tx = self.conn.transaction()?;
        // Its events are in its row; its tags go with it: ON DELETE
        // CASCADE. Imported fills
        // point at trades without a foreign key, and stay.
        let changed = tx
            .prepare_cached("DELETE FROM trade WHERE id = ?1")?
            .execute([id.0])?;
        if changed == 0 {
            return Err(StorageError::NotFound(id));
        }
        tx.commit()?;
        Ok(())
    }

    /// Puts a deleted trade back under its old id (the undo of
    /// [`Journal::delete_trade`]). Ids are never reused, so the id is free
    /// unless the trade was restored already. The imported fills recorded for
    /// the trade count again, so importing their file again adds nothing
    /// (unless they were imported again meanwhile, into another trade).
    pub fn restore_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StorageError> {
        trade
            .validate()
            .map_err(|errors| StorageError::invalid(None, trade, errors))?;
        let tx = self.conn.transaction()?;
        let taken = tx
            .prepare_cached("SELECT 1 FROM trade WHERE id = ?1")?
            .query_row([id.0], |_| Ok(()))
            .optional()?
            .is_some();
        if taken {
            return Err(StorageError::IdTaken(id));
        }
        write_trade(&tx, Some(id), trade)?;
        tx.commit()?;
        Ok(())
    }

    /// The rule weights and risk tolerance stored in the journal, or the
    /// defaults when none are stored, with the setups' playbooks.
    pub fn rule_settings(&self) -> Result<RuleSettings, StorageError> {
        let mut settings: RuleSettings = match self.setting(RULE_SETTINGS_KEY)? {
            None => RuleSettings::default(),
            Some(json) => serde_json::from_str(&json).map_err(|source| StorageError::Setting {
                key: RULE_SETTINGS_KEY.to_owned(),
                source,
            })?,
        };
        settings.playbooks = self.playbooks()?;
        Ok(settings)
    }

    /// Stores the rule weights and risk tolerance, and the setups' playbooks.
    pub fn set_rule_settings(&mut self, settings: &RuleSettings) -> Result<(), StorageError> {
        let json = serde_json::to_string(settings).map_err(|source| StorageError::Setting {
            key: RULE_SETTINGS_KEY.to_owned(),
            source,
        })?;
        // The weights and the playbooks change together or not at all.
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO setting (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute([RULE_SETTINGS_KEY, json.as_str()])?;
        playbook::write_playbooks(&tx, &settings.playbooks)?;
        tx.commit()?;
        Ok(())
    }

    /// Another journal setting (its JSON text), if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM setting WHERE key = ?1")?;
        Ok(stmt.query_row([key], |row| row.get(0)).optional()?)
    }

    /// Sets a journal setting to `value` (JSON text).
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT INTO setting (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }

    /// Runs `PRAGMA integrity_check` and returns its report: `["ok"]` when
    /// the database is sound.
    pub fn integrity_check(&self) -> Result<Vec<String>, StorageError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        Ok(stmt
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?)
    }
}

/// Where a journal is opened: where every program may open it, or aside,
/// where no other program knows of it yet (see [`NewJournal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In WAL mode, so that readers and a writer do not wait for each other.
    Shared,
    /// Under a rollback journal kept in memory, without syncs.
    Aside,
}

/// Keeps each prepared statement's plan whatever values are bound to it.
///
/// Without this, SQLite may plan a statement again each time a parameter
/// it could use in planning is bound anew, and the journal's queries, run
/// once a trade with new bounds (a trade's bars, a chunk of trades), would
/// pay for parsing and planning on every run. Their plans are the same for
/// any value: each reads one key range.
pub(crate) fn steady_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
}

/// The connection settings of every journal.
fn configure(conn: &Connection, place: Place) -> rusqlite::Result<()> {
    steady_plans(conn)?;
    match place {
        Place::Shared => {
            enter_wal(conn)?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        // Until it is synced whole and takes its name, no crash can leave
        // it half written under that name: a rollback journal in memory
        // undoes what fails, and nothing waits for the disk.
        Place::Aside => {
            conn.pragma_update(None, "journal_mode", "MEMORY")?;
            conn.pragma_update(None, "synchronous", "OFF")?;
        }
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    // Reads of a large journal go through memory-mapped pages instead of a
    // system call per page, and a large import keeps its pages in memory
    // rather than spilling them to the WAL before it commits.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Puts the journal in WAL mode (an in-memory journal stays in memory).
fn enter_wal(conn: &Connection) -> rusqlite::Result<()> {
    // journal_mode returns the mode in force ("memory" for an in-memory journal).
    // Switching a file to WAL needs it to itself for a moment; SQLite does
    // not always wait for that, so wait here as the busy timeout would.
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_mode) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(e),
        }
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// The schema version and whether there are tables, read in one transaction.
fn version_and_tables(conn: &Connection) -> rusqlite::Result<(i64, bool)> {
    conn.execute_batch("BEGIN DEFERRED")?;
    let read = user_version(conn).and_then(|v| has_tables(conn).map(|t| (v, t)));
    let end = conn.execute_batch("COMMIT");
    let read = read?;
    end?;
    Ok(read)
}

fn has_tables(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT count(*) > 0 FROM sqlite_master", [], |row| {
        row.get(0)
    })
}

/// The suffix of a backup being written: renamed away once it is complete.
const BACKUP_PARTIAL: &str = ".partial";

/// Copies the journal at `path` (schema version `version`) to a new file beside
/// it. The copy is written under a temporary name and renamed to its own only
/// once it is complete and checked, so a backup file is never half written.
fn backup(conn: &Connection, path: &Path, version: i64) -> Result<PathBuf, StorageError> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let name = path
        .file_name()
        .map_or_else(|| "journal".into(), |n| n.to_string_lossy().into_owned());
    let base = path.with_file_name(format!("{name}.bak-v{version}-{stamp}"));
    let mut backup = base.clone();
    let mut n = 1;
    while backup.exists() {
        n += 1;
        backup = PathBuf::from(format!("{}-{n}", base.display()));
    }
    let partial = PathBuf::from(format!("{}{BACKUP_PARTIAL}", backup.display()));
    let failed = |source| StorageError::Backup {
        backup: backup.clone(),
        source,
    };
    let target = partial
        .to_str()
        .ok_or_else(|| StorageError::PathNotUtf8(partial.clone()))?;
    remove_stale_backups(path);
    let written = conn
        .execute("VACUUM INTO ?1", [target])
        .and_then(|_| check_backup(&partial, version));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(source));
    }
    std::fs::rename(&partial, &backup).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        failed(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    })?;
    Ok(backup)
}

/// Checks a backup just written: a sound database at the journal's version.
fn check_backup(file: &Path, version: i64) -> rusqlite::Result<()> {
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let integrity: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    let found = user_version(&conn)?;
    if integrity == "ok" && found == version {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(format!(
                "the copy did not check out (quick_check: {integrity}, version {found})"
            )),
        ))
    }
}

/// Removes backups of the journal at `path` that an earlier run left half
/// written (killed during the copy), and journals made aside for it that an
/// earlier run left (see [`NewJournal`]).
fn remove_stale_backups(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!("{}.bak-v", name.to_string_lossy());
    // Journals made aside for this one by processes that did not finish
    // (see `aside`); one that another process is making still would be made
    // in place instead.
    let made_aside = format!("{}{}", name.to_string_lossy(), aside::MADE_ASIDE);
    let own = std::process::id().to_string();
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        // The copy, and the rollback journal SQLite keeps beside it while writing.
        if file.starts_with(&prefix) && file.contains(BACKUP_PARTIAL) {
            let _ = std::fs::remove_file(entry.path());
        }
        if let Some(rest) = file.strip_prefix(&made_aside)
            && rest.split('-').next() != Some(own.as_str())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The trade `id` in `trades`, looking forward from `cursor` (both are sorted by id).
fn find_from<'a>(
    trades: &'a mut [(TradeId, Trade)],
    cursor: &mut usize,
    id: TradeId,
) -> Result<&'a mut Trade, StorageError> {
    while *cursor < trades.len() && trades[*cursor].0 < id {
        *cursor += 1;
    }
    match trades.get_mut(*cursor) {
        Some((found, trade)) if *found == id => Ok(trade),
        _ => Err(StorageError::Corrupt {
            what: "tag of a missing trade",
            value: id.to_string(),
        }),
    }
}

fn text<'r>(row: &'r rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'r str> {
    Ok(row.get_ref(column)?.as_str()?)
}

fn decimal(what: &'static str, value: &str) -> Result<Decimal, StorageError> {
    decimal_of_bytes(what, value.as_bytes())
}

/// [`decimal`] of text not yet checked to be UTF-8: the common case needs
/// no check, anything else is checked as it is parsed.
fn decimal_of_bytes(what: &'static str, value: &[u8]) -> Result<Decimal, StorageError> {
    if let Some(fast) = fast_decimal(value) {
        return Ok(fast);
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| Decimal::from_str(text).ok())
        .ok_or_else(|| StorageError::Corrupt {
            what,
            value: String::from_utf8_lossy(value).into_owned(),
        })
}

/// Every trade row in id order, as [`read_trade_row`] reads them.
fn trade_rows_sql() -> &'static str {
    "SELECT id, symbol, side, multiplier, currency, account, setup, market_condition, notes,
            rate, stops_known, events
     FROM trade ORDER BY id"
}

/// Reads `id, symbol, side, multiplier, currency, account, setup, market_condition, notes,
/// rate, stops_known, events`: the trade with its events, without its tags.
fn read_trade_row(row: &rusqlite::Row<'_>) -> Result<(TradeId, Trade), StorageError> {
    let trade = trade_from_columns(TradeColumns {
        symbol: row.get(1)?,
        side: text(row, 2)?,
        multiplier: text(row, 3)?,
        currency: row.get(4)?,
        account: row.get(5)?,
        setup: row.get(6)?,
        market_condition: text(row, 7)?,
        notes: row.get(8)?,
        rate: text(row, 9)?,
        stops_known: row.get::<_, i64>(10)? != 0,
    })?;
    let events = row.get_ref(11)?.as_bytes().map_err(rusqlite::Error::from)?;
    let trade = Trade {
        events: events::read_events(events)?,
        ..trade
    };
    Ok((TradeId(row.get(0)?), trade))
}

/// A trade row's columns as stored (decimals and names as text).
struct TradeColumns<'a> {
    symbol: String,
    side: &'a str,
    multiplier: &'a str,
    currency: String,
    account: String,
    setup: String,
    market_condition: &'a str,
    notes: String,
    rate: &'a str,
    stops_known: bool,
}

/// The trade of a row's columns, without its events and tags.
fn trade_from_columns(columns: TradeColumns<'_>) -> Result<Trade, StorageError> {
    let side = Side::from_str(columns.side).map_err(|_| StorageError::Corrupt {
        what: "side",
        value: columns.side.to_owned(),
    })?;
    let condition = columns.market_condition;
    let market_condition =
        MarketCondition::from_str(condition).map_err(|_| StorageError::Corrupt {
            what: "market condition",
            value: condition.to_owned(),
        })?;
    Ok(Trade {
        symbol: columns.symbol,
        side,
        multiplier: decimal("multiplier", columns.multiplier)?,
        currency: columns.currency,
        account: columns.account,
        setup: columns.setup,
        market_condition,
        tags: Vec::new(),
        notes: columns.notes,
        events: Vec::new(),
        rate: decimal("rate", columns.rate)?,
        stops_known: columns.stops_known,
    })
}

/// Parses a plain decimal of up to 18 digits (`-12.50`) as the journal
/// writes them, without the general parser's cost; `None` for anything else.
fn fast_decimal(b: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = None;
    let mut count = 0;
    for (i, &c) in digits.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                count += 1;
            }
            b'.' if scale.is_none() && i > 0 && i + 1 < digits.len() => {
                scale = Some((digits.len() - i - 1) as u32);
            }
            _ => return None,
        }
    }
    if count > 18 {
        return None;
    }
    let mut value = Decimal::new(mantissa, scale.unwrap_or(0));
    value.set_sign_negative(negative && mantissa != 0);
    Some(value)
}

/// Appends `value` as the journal writes it: as `Decimal`'s `Display` does
/// (`-12.50`), without its general machinery for the common case of a
/// mantissa of up to 19 digits.
fn write_decimal(out: &mut String, value: Decimal) {
    if !crate::domain::write_decimal_pieces(value, |piece| out.push_str(piece)) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{value}");
    }
}

/// [`time_of_bytes`] of text.
#[cfg(test)]
fn parse_stored_time(text: &str) -> Option<DateTime<FixedOffset>> {
    time_of_bytes(text.as_bytes())
}

/// Parses a time as the journal writes it (`2024-03-01T09:35:00.25-05:00`),
/// from bytes not yet checked to be UTF-8. A fast path reads the fixed
/// layout directly; anything else goes through chrono's RFC 3339 parser.
fn time_of_bytes(text: &[u8]) -> Option<DateTime<FixedOffset>> {
    fast_time(text).or_else(|| DateTime::parse_from_rfc3339(std::str::from_utf8(text).ok()?).ok())
}

fn fast_time(b: &[u8]) -> Option<DateTime<FixedOffset>> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let mut value = 0u32;
        for &c in b.get(range)? {
            if !c.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(c - b'0');
        }
        Some(value)
    };
    if b.len() < 25
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date =
        chrono::NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    let mut i = 19;
    let mut nanos = 0u32;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let len = i - start;
        if len == 0 || len > 9 {
            return None;
        }
        nanos = digits(start..i)? * 10u32.pow((9 - len) as u32);
    }
    let time = chrono::NaiveTime::from_hms_nano_opt(
        digits(11..13)?,
        digits(14..16)?,
        digits(17..19)?,
        nanos,
    )?;
    let rest = b.get(i..)?;
    if rest.len() != 6 || rest[3] != b':' {
        return None;
    }
    let sign = match rest[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let offset = (digits(i + 1..i + 3)? * 3600 + digits(i + 4..i + 6)? * 60) as i32;
    let offset = FixedOffset::east_opt(sign * offset)?;
    date.and_time(time).and_local_timezone(offset).single()
}

/// The event of its stored `kind, at, qty, price, fee` (`qty` and `fee`
/// are absent for stops and targets).
fn event_from_columns(
    kind: &[u8],
    at_text: &[u8],
    qty: Option<&[u8]>,
    price: &[u8],
    fee: Option<&[u8]>,
) -> Result<Event, StorageError> {
    let at = time_of_bytes(at_text).ok_or_else(|| StorageError::Corrupt {
        what: "event time",
        value: String::from_utf8_lossy(at_text).into_owned(),
    })?;
    let price = decimal_of_bytes("event price", price)?;
    let required = |value: Option<&[u8]>, what: &'static str| match value {
        Some(value) => decimal_of_bytes(what, value),
        None => Err(StorageError::Corrupt {
            what,
            value: "NULL".to_owned(),
        }),
    };
    let fill = || -> Result<Fill, StorageError> {
        Ok(Fill {
            qty: required(qty, "event quantity")?,
            price,
            fee: required(fee, "event fee")?,
        })
    };
    let kind = match kind {
        b"entry" => EventKind::Entry(fill()?),
        b"exit" => EventKind::Exit(fill()?),
        b"stop" => EventKind::Stop { price },
        b"target" => EventKind::Target { price },
        other => {
            return Err(StorageError::Corrupt {
                what: "event kind",
                value: String::from_utf8_lossy(other).into_owned(),
            });
        }
    };
    Ok(Event { at, kind })
}

/// The trade with this id, if there is one.
fn load_trade(conn: &Connection, id: TradeId) -> Result<Option<Trade>, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, symbol, side, multiplier, currency, account, setup, market_condition, notes,
                    rate, stops_known, events
         FROM trade WHERE id = ?1",
    )?;
    let mut rows = stmt.query([id.0])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let (_, mut trade) = read_trade_row(row)?;

    let mut stmt =
        conn.prepare_cached("SELECT tag FROM trade_tag WHERE trade_id = ?1 ORDER BY position")?;
    trade.tags = stmt
        .query_map([id.0], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(trade))
}

/// Inserts the trade row with its events (under `id`, or a new id), and
/// its tags.
fn write_trade(
    tx: &Transaction<'_>,
    id: Option<TradeId>,
    trade: &Trade,
) -> Result<TradeId, StorageError> {
    tx.prepare_cached(
        "INSERT INTO trade (id, symbol, side, multiplier, currency, account, setup,
         market_condition, notes, rate, stops_known, events)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        id.map(|id| id.0),
        trade.symbol,
        trade.side.as_str(),
        trade.multiplier.to_string(),
        trade.currency,
        trade.account,
        trade.setup,
        trade.market_condition.as_str(),
        trade.notes,
        trade.rate.to_string(),
        trade.stops_known,
        events::events_text(&trade.events),
    ])?;
    let id = TradeId(tx.last_insert_rowid());
    write_tags(tx, id, trade)?;
    Ok(id)
}

/// Inserts the trade's tags, in their order.
fn write_tags(tx: &Transaction<'_>, id: TradeId, trade: &Trade) -> Result<(), StorageError> {
    let mut insert_tag =
        tx.prepare_cached("INSERT INTO trade_tag (trade_id, position, tag) VALUES (?1, ?2, ?3)")?;
    for (position, tag) in trade.tags.iter().enumerate() {
        insert_tag.execute(params![id.0, position as i64, tag])?;
    }
    Ok(())
}

/// The settings key under which the user's import multipliers are stored.
const IMPORT_MULTIPLIERS_KEY: &str = "import_multipliers";

impl Journal {
    /// The multipliers the user set for imports, by symbol or futures root
    /// (`{"ES": "50"}` in the journal's settings); empty when none are set.
    pub fn import_multipliers(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Decimal>, StorageError> {
        match self.setting(IMPORT_MULTIPLIERS_KEY)? {
            None => Ok(std::collections::BTreeMap::new()),
            Some(json) => serde_json::from_str(&json).map_err(|source| StorageError::Setting {
                key: IMPORT_MULTIPLIERS_KEY.to_owned(),
                source,
            }),
        }
    }

    /// Stores the multipliers the user set for imports, replacing the old ones.
    pub fn set_import_multipliers(
        &mut self,
        multipliers: &std::collections::BTreeMap<String, Decimal>,
    ) -> Result<(), StorageError> {
        let json = serde_json::to_string(multipliers).map_err(|source| StorageError::Setting {
            key: IMPORT_MULTIPLIERS_KEY.to_owned(),
            source,
        })?;
        self.set_setting(IMPORT_MULTIPLIERS_KEY, &json)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_decimal_parser_agrees_with_rust_decimal() {
        for text in [
            "0",
            "1",
            "-3",
            "1.50",
            "0.001",
            "-0.5",
            "123456789012345678",
            "5812.25",
            "-0",
        ] {
            let fast = fast_decimal(text.as_bytes()).unwrap();
            let expected = Decimal::from_str(text).unwrap();
            assert_eq!(fast, expected, "{text}");
            assert_eq!(fast.to_string(), expected.to_string(), "{text}");
        }
        for text in [
            "",
            "-",
            "1.",
            ".5",
            "1e5",
            "+1",
            "1.2.3",
            "1234567890123456789",
        ] {
            assert_eq!(fast_decimal(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            decimal("x", "12345678901234567890.5").unwrap().to_string(),
            "12345678901234567890.5"
        );
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut values: Vec<Decimal> = [
            "0",
            "1",
            "-3",
            "1.50",
            "0.001",
            "-0.5",
            "5812.25",
            "0.00",
            "-0.00",
            "100",
            "123456789012345678",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551615.5",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
        ]
        .iter()
        .map(|t| Decimal::from_str(t).unwrap())
        .collect();
        let mut next = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            next ^= next << 13;
            next ^= next >> 7;
            next ^= next << 17;
            let mantissa =
                (next >> (next % 40)) as i64 * if next.is_multiple_of(3) { -1 } else { 1 };
            values.push(Decimal::new(mantissa, (next % 29) as u32));
        }
        for value in values {
            let mut written = String::new();
            write_decimal(&mut written, value);
            assert_eq!(written, value.to_string(), "{value:?}");
        }
    }

    #[test]
    fn the_fast_time_parser_agrees_with_chrono() {
        for text in [
            "2024-03-01T09:35:00-05:00",
            "2024-03-01T09:35:00+00:00",
            "2024-11-06T14:20:30.250+01:00",
            "2024-11-06T14:20:30.123456789+05:45",
            "1999-12-31T23:59:59-12:00",
        ] {
            let expected = DateTime::parse_from_rfc3339(text).unwrap();
            let fast = fast_time(text.as_bytes()).unwrap();
            assert_eq!(fast, expected, "{text}");
            assert_eq!(fast.offset(), expected.offset(), "{text}");
            assert_eq!(fast.to_rfc3339(), expected.to_rfc3339(), "{text}");
        }
        for text in [
            "2024-03-01T09:35:00Z",
            "2024-02-30T09:35:00+00:00",
            "2024-03-01T09:35:00",
        ] {
            assert_eq!(fast_time(text.as_bytes()), None, "{text}");
        }
        assert!(parse_stored_time("2024-03-01T09:35:00Z").is_some());
    }
}
