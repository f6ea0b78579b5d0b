//! What the journal's worker thread answers, and the loading of the journal
//! that both the worker and the statement imports do: the vocabulary shared
//! by `worker` (which runs jobs) and `statement` (the broker-import jobs).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::analysis::{RuleSettings, TradeAnalysis, analyze};
use crate::domain::{Trade, TradeId};
pub use crate::model::Loaded;
use crate::model::Multipliers;
use crate::model::import::StatementReply;

use super::store::{Store, StoreError};

/// Which job a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Opening the journal.
    Open,
    /// Loading the trades.
    Load,
    /// Saving a trade.
    Save,
    /// Deleting a trade.
    Delete,
    /// Undoing a delete.
    Restore,
    /// Adding trades in bulk (samples, imports).
    Insert,
    /// Exporting.
    Export,
    /// Saving the rule settings.
    Settings,
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
    /// The map of trade symbols to price bars symbols, read or just saved.
    BarsSymbols {
        /// The map.
        map: std::collections::BTreeMap<String, String>,
        /// Whether it was just saved.
        saved: bool,
    },
    /// Price bars were added to the journal.
    BarsAdded {
        /// What was added, for a person.
        message: String,
    },
    /// Every trade was measured against its bars.
    Excursions(Arc<crate::model::market::MarketExcursions>),
    /// The price bars around a trade were read.
    Market(Arc<crate::model::market::TradeMarket>),
    /// A job failed; nothing was changed.
    Failed {
        /// Which job.
        job: JobKind,
        /// What was being done.
        what: String,
        /// Why it failed, for a person.
        message: String,
    },
}

/// Analyses trades on every core (rayon), telling `progress` now and then
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
            let analysis = analyze(trade, settings);
            let now = done.fetch_add(1, Ordering::Relaxed) + 1;
            if now.is_multiple_of(REPORT_EVERY) {
                progress(now, total);
            }
            analysis
        })
        .collect()
}

/// Reads every trade, the rule settings and the statement checks, and
/// analyses the trades, reporting progress.
pub fn load_all(
    store: &mut dyn Store,
    send: &(dyn Fn(Reply) + Sync),
) -> Result<Loaded, StoreError> {
    send(Reply::Progress {
        label: "Reading the journal".to_owned(),
        done: 0,
        total: 0,
    });
    let trades = store.trades()?;
    let settings = store.rule_settings()?;
    let checks = store.statement_checks()?;
    let (ids, trades): (Vec<TradeId>, Vec<Arc<Trade>>) = trades
        .into_iter()
        .map(|(id, trade)| (id, Arc::new(trade)))
        .unzip();
    let analyses = analyze_all(&trades, &settings, &|done, total| {
        send(Reply::Progress {
            label: "Analysing trades".to_owned(),
            done,
            total,
        });
    });
    let rows = ids
        .into_iter()
        .zip(trades)
        .zip(analyses)
        .map(|((id, trade), analysis)| (id, trade, analysis))
        .collect();
    Ok(Loaded {
        rows,
        settings,
        checks,
    })
}
