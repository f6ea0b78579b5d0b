//! What the journal's worker thread answers, and the loading of the journal
//! that both the worker and the statement imports do: the vocabulary shared
//! by `worker` (which runs jobs) and `statement` (the broker-import jobs).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::analysis::{RuleSettings, TradeAnalysis, row_analysis};
use crate::domain::{Trade, TradeId};
pub use crate::model::Loaded;
use crate::model::Multipliers;
use crate::model::import::StatementReply;

use super::store::{Store, StoreError};
use crate::files::PngError;

/// What the worker was doing when it failed, naming the file where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Opening the journal.
    Open,
    /// Reading the trades.
    Load,
    /// Running at all: the worker stopped.
    Run,
    /// Saving a trade.
    Save,
    /// Deleting a trade.
    Delete,
    /// Undoing a delete.
    Restore,
    /// Adding trades in bulk.
    Insert {
        /// What they were ("sample trades", "trades from x.json").
        what: String,
    },
    /// Reading the embedded sample trades.
    Samples,
    /// Adding the sample trades' made-up price bars.
    SampleBars,
    /// Reading the map of trade symbols to price bars symbols.
    ReadBarsSymbols,
    /// Saving the map of trade symbols to price bars symbols.
    SaveBarsSymbols,
    /// Measuring every trade against its price bars.
    MeasureExcursions,
    /// Reading the price bars around a trade.
    ReadBars,
    /// Reading a file to import.
    Import {
        /// The file.
        path: PathBuf,
    },
    /// Reading the multipliers imports use.
    ReadMultipliers,
    /// Saving the multipliers imports use.
    SaveMultipliers,
    /// Exporting the journal.
    Export {
        /// The file written to.
        path: PathBuf,
    },
    /// Saving the rule settings.
    Settings,
    /// Writing a file the user saved (the review's statistics or picture).
    Write {
        /// The file.
        path: PathBuf,
    },
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operation::Open => f.write_str("Opening the journal"),
            Operation::Load => f.write_str("Reading the journal"),
            Operation::Run => f.write_str("The journal"),
            Operation::Save => f.write_str("Saving the trade"),
            Operation::Delete => f.write_str("Deleting the trade"),
            Operation::Restore => f.write_str("Undoing the delete"),
            Operation::Insert { what } => write!(f, "Adding {what}"),
            Operation::Samples => f.write_str("Loading the sample trades"),
            Operation::SampleBars => f.write_str("Adding sample price bars"),
            Operation::ReadBarsSymbols => f.write_str("Reading the bars symbols"),
            Operation::SaveBarsSymbols => f.write_str("Saving the bars symbols"),
            Operation::MeasureExcursions => f.write_str("Measuring trades against their bars"),
            Operation::ReadBars => f.write_str("Reading the trade's price bars"),
            Operation::Import { path } => write!(f, "Importing {}", path.display()),
            Operation::ReadMultipliers => f.write_str("Reading the import multipliers"),
            Operation::SaveMultipliers => f.write_str("Saving the import multipliers"),
            Operation::Export { path } => write!(f, "Exporting to {}", path.display()),
            Operation::Settings => f.write_str("Saving the settings"),
            Operation::Write { path } => write!(f, "Writing {}", path.display()),
        }
    }
}

/// Why it failed.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// The journal refused or its database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An image could not be saved.
    #[error(transparent)]
    Png(#[from] PngError),
    /// A journal file (or the embedded samples) did not read as one.
    #[error("{0}")]
    Invalid(String),
    /// The journal's thread could not be started.
    #[error("the journal's thread could not be started: {0}")]
    NotStarted(#[source] std::io::Error),
    /// The worker's thread ended.
    #[error("the journal worker stopped; restart Tranche")]
    Stopped,
}

/// A job that failed, and why; nothing was changed. Shown as
/// "Importing /x/y.csv failed: No such file or directory (os error 2)".
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed: {cause}")]
pub struct WorkerError {
    /// What was being done, on which file.
    pub operation: Operation,
    /// Why it failed.
    #[source]
    pub cause: Cause,
}

impl WorkerError {
    /// `operation` failed for `cause`.
    pub fn new(operation: Operation, cause: impl Into<Cause>) -> Self {
        WorkerError {
            operation,
            cause: cause.into(),
        }
    }

    /// Whether the journal could not be opened or read at all (the window
    /// then says so in place of the list).
    pub fn stops_loading(&self) -> bool {
        matches!(
            self.operation,
            Operation::Open | Operation::Load | Operation::Run
        )
    }
}

/// What the worker reports back.
#[derive(Debug)]
pub enum Reply {
    /// The journal is open.
    Opened {
        /// Where it lives, if on disk.
        location: Option<String>,
    },
    /// A long job is under way.
    Progress {
        /// What is being done.
        label: String,
        /// Units done.
        done: usize,
        /// Units in all; 0 when unknown.
        total: usize,
    },
    /// Every trade, analysed.
    Loaded(Loaded),
    /// A trade was saved.
    Saved {
        /// Its id.
        id: TradeId,
        /// Its content.
        trade: Arc<Trade>,
        /// Whether it is a new trade.
        created: bool,
    },
    /// A trade was deleted.
    Deleted {
        /// Its id.
        id: TradeId,
        /// Its content, for undo.
        trade: Arc<Trade>,
    },
    /// A deleted trade was put back.
    Restored {
        /// Its id.
        id: TradeId,
        /// Its content.
        trade: Arc<Trade>,
    },
    /// Trades were added in bulk.
    Inserted {
        /// The new trades with their ids and analyses.
        rows: Vec<(TradeId, Arc<Trade>, TradeAnalysis)>,
        /// What they were.
        what: String,
    },
    /// The journal was written to a file.
    Exported {
        /// The file.
        path: PathBuf,
        /// How many trades.
        count: usize,
    },
    /// About a broker statement being imported.
    Statement(StatementReply),
    /// The multipliers the user set for imports, read or just saved.
    Multipliers {
        /// The multipliers.
        multipliers: Multipliers,
        /// Whether they were just saved (else read with the journal).
        saved: bool,
    },
    /// Rule settings were saved and the trades re-analysed.
    Reanalysed {
        /// The new settings.
        settings: RuleSettings,
        /// One analysis per trade sent with the job, in the same order.
        analyses: Vec<TradeAnalysis>,
        /// The revision the trades were taken from.
        revision: u64,
    },
    /// A file the user saved was written.
    Written {
        /// The file.
        path: PathBuf,
    },
    /// The map of trade symbols to price bars symbols, read or just saved.
    BarsSymbols {
        /// The map.
        map: std::collections::BTreeMap<String, String>,
        /// Whether it was just saved.
        saved: bool,
    },
    /// About a price bars file being imported.
    Bars(crate::model::bars_import::BarsReply),
    /// Every trade was measured against its bars.
    Excursions(Arc<crate::model::market::MarketExcursions>),
    /// The price bars around a trade were read.
    Market(Arc<crate::model::market::TradeMarket>),
    /// A job failed; nothing was changed.
    Failed(WorkerError),
}

/// Analyses trades for the list ([`row_analysis`]) on every core (rayon), telling `progress` now and then
/// how many of how many are done.
pub fn analyze_all(
    trades: &[Arc<Trade>],
    settings: &RuleSettings,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<TradeAnalysis> {
    const REPORT_EVERY: usize = 4096;
    let done = AtomicUsize::new(0);
    let total = trades.len();
    trades
        .par_iter()
        .with_min_len(256)
        .map(|trade| {
            let analysis = row_analysis(trade, settings);
            let now = done.fetch_add(1, Ordering::Relaxed) + 1;
            if now.is_multiple_of(REPORT_EVERY) {
                progress(now, total);
            }
            analysis
        })
        .collect()
}

/// Reads every trade, the rule settings and the statement checks, and
/// analyses the trades (as they are read, where the store can).
pub fn load_all(
    store: &mut dyn Store,
    send: &(dyn Fn(Reply) + Sync),
) -> Result<Loaded, StoreError> {
    send(Reply::Progress {
        label: "Reading the journal".to_owned(),
        done: 0,
        total: 0,
    });
    let settings = store.rule_settings()?;
    let rows = store.rows(&settings)?;
    let checks = store.statement_checks()?;
    Ok(Loaded {
        rows,
        settings,
        checks,
    })
}
