//! The background worker: the only thread that touches the journal.
//!
//! The app sends [`Job`]s through a channel and drains [`Reply`]s once per
//! frame, so the window never waits for a disk, a file or a long analysis.
//! Each reply wakes the UI with [`egui::Context::request_repaint`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::thread;

use crate::analysis::RuleSettings;
use crate::domain::{Trade, TradeId};

use super::interchange_io;
pub use super::protocol::{JobKind, Loaded, Reply};
use super::protocol::{analyze_all, load_all};
use super::statement::{self, ImportFile, Staged, StatementJob};
use super::store::{Multipliers, Store, StoreError};
use crate::model::import::StatementReply;

/// Opens the journal; runs on the worker thread.
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn Store>, StoreError> + Send>;

/// Work for the worker thread.
#[derive(Debug)]
pub enum Job {
    /// Read every trade and the rule settings, and analyse the trades.
    Load,
    /// Save a new trade (`id` is `None`) or replace a saved one.
    Save {
        /// The trade being replaced, if any.
        id: Option<TradeId>,
        /// The trade to save.
        trade: Trade,
    },
    /// Delete a trade.
    Delete {
        /// The trade to delete.
        id: TradeId,
        /// Its content, handed back so that the delete can be undone.
        trade: Arc<Trade>,
    },
    /// Put a deleted trade back.
    Restore {
        /// Its old id.
        id: TradeId,
        /// Its content.
        trade: Arc<Trade>,
    },
    /// Add many trades at once, all or nothing.
    InsertMany {
        /// The trades.
        trades: Vec<Trade>,
        /// What they are, for messages ("sample trades").
        what: String,
    },
    /// Add the embedded sample trades, and price bars made up for them.
    LoadSamples,
    /// Read the map of trade symbols to price bars symbols.
    LoadBarsSymbols,
    /// Save the map of trade symbols to price bars symbols.
    SetBarsSymbols(std::collections::BTreeMap<String, String>),
    /// Measure every trade against its price bars, for the review.
    LoadExcursions {
        /// The trades.
        trades: Vec<(TradeId, Arc<Trade>)>,
        /// The revision of the trades they were taken from.
        revision: u64,
    },
    /// Read the price bars around a trade, for its chart.
    LoadBars {
        /// The trade.
        id: TradeId,
        /// Its content.
        trade: Arc<Trade>,
        /// The revision of the trades it was taken from.
        revision: u64,
    },
    /// Read a file: a tranche-journal JSON file has its trades added; any
    /// other file is handed to the import dialog as a broker statement.
    Import {
        /// The file.
        path: PathBuf,
    },
    /// Work on a broker statement for the import dialog.
    Statement(StatementJob),
    /// Read the multipliers the user set for imports.
    LoadMultipliers,
    /// Save the multipliers the user set for imports.
    SetMultipliers(Multipliers),
    /// Write every trade to a tranche-journal JSON file.
    Export {
        /// The file.
        path: PathBuf,
    },
    /// Save new rule settings and re-analyse the given trades with them.
    SetRuleSettings {
        /// The new settings.
        settings: RuleSettings,
        /// The trades to re-analyse, in the app's order.
        trades: Vec<Arc<Trade>>,
        /// The revision of the app's trades the list was taken from.
        revision: u64,
    },
}

/// The UI's handle on the worker thread.
pub struct Worker {
    jobs: Sender<Job>,
    replies: Receiver<Reply>,
    busy: usize,
    /// Why the worker's thread could not be started, until a poll reports it.
    not_started: Option<String>,
}

impl Worker {
    /// Starts the worker: it opens the journal with `open`, then waits for jobs.
    /// Every reply wakes `ctx`.
    pub fn spawn(open: Opener, ctx: egui::Context) -> Self {
        let (jobs, job_rx) = channel::<Job>();
        let (reply_tx, replies) = channel::<Reply>();
        let spawned = thread::Builder::new()
            .name("journal".to_owned())
            .spawn(move || {
                let send = |reply: Reply| {
                    // The UI may be gone when the window closes; nothing to report to then.
                    let _ = reply_tx.send(reply);
                    ctx.request_repaint();
                };
                let mut store = match open() {
                    Ok(store) => store,
                    Err(err) => {
                        send(Reply::Failed {
                            job: JobKind::Open,
                            what: "Opening the journal".to_owned(),
                            message: err.to_string(),
                        });
                        return;
                    }
                };
                send(Reply::Opened {
                    location: store.location(),
                });
                let mut staged = Staged::default();
                while let Ok(job) = job_rx.recv() {
                    run_job(store.as_mut(), &mut staged, job, &send);
                }
            });
        // Without a thread nothing will open the journal: the first poll says so.
        let busy = usize::from(spawned.is_ok());
        Worker {
            jobs,
            replies,
            busy,
            not_started: spawned
                .err()
                .map(|err| format!("the journal's thread could not be started: {err}")),
        }
    }

    /// Queues a job.
    pub fn send(&mut self, job: Job) {
        if self.jobs.send(job).is_ok() {
            self.busy += 1;
        }
    }

    /// Whether jobs are still running (including the opening of the journal).
    pub fn is_busy(&self) -> bool {
        self.busy > 0
    }

    /// The replies that have arrived since the last call.
    pub fn poll(&mut self) -> Vec<Reply> {
        let mut out = Vec::new();
        if let Some(message) = self.not_started.take() {
            out.push(Reply::Failed {
                job: JobKind::Open,
                what: "Opening the journal".to_owned(),
                message,
            });
        }
        loop {
            match self.replies.try_recv() {
                Ok(reply) => {
                    match reply {
                        Reply::Progress { .. } => {}
                        // The worker stops when the journal cannot be opened:
                        // the jobs already queued will never run.
                        Reply::Failed {
                            job: JobKind::Open, ..
                        } => self.busy = 0,
                        _ => self.busy = self.busy.saturating_sub(1),
                    }
                    out.push(reply);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if self.busy > 0 {
                        self.busy = 0;
                        out.push(Reply::Failed {
                            job: JobKind::Load,
                            what: "The journal".to_owned(),
                            message: "the journal worker stopped; restart Tranche".to_owned(),
                        });
                    }
                    break;
                }
            }
        }
        out
    }
}

fn failed(job: JobKind, what: &str, err: impl std::fmt::Display) -> Reply {
    Reply::Failed {
        job,
        what: what.to_owned(),
        message: err.to_string(),
    }
}

fn run_job(store: &mut dyn Store, staged: &mut Staged, job: Job, send: &(dyn Fn(Reply) + Sync)) {
    let progress = |label: &'static str| {
        move |done: usize, total: usize| {
            send(Reply::Progress {
                label: label.to_owned(),
                done,
                total,
            });
        }
    };
    let reply = match job {
        Job::Load => match load_all(store, send) {
            Ok(loaded) => Reply::Loaded(loaded),
            Err(err) => failed(JobKind::Load, "Reading the journal", err),
        },
        Job::Save { id, trade } => {
            let result = match id {
                Some(id) => store.update_trade(id, &trade).map(|()| (id, false)),
                None => store.insert_trade(&trade).map(|id| (id, true)),
            };
            match result {
                Ok((id, created)) => Reply::Saved {
                    id,
                    trade: Arc::new(trade),
                    created,
                },
                Err(err) => failed(JobKind::Save, "Saving the trade", err),
            }
        }
        Job::Delete { id, trade } => match store.delete_trade(id) {
            Ok(()) => Reply::Deleted { id, trade },
            Err(err) => failed(JobKind::Delete, "Deleting the trade", err),
        },
        Job::Restore { id, trade } => match store.restore_trade(id, &trade) {
            Ok(()) => Reply::Restored { id, trade },
            Err(err) => failed(JobKind::Restore, "Undoing the delete", err),
        },
        Job::InsertMany { trades, what } => insert_many(store, trades, what, send),
        Job::LoadSamples => match super::sample::sample_trades() {
            Ok(trades) => {
                // Bars first: the trades' chart asks for them once they arrive.
                // A store that keeps no bars still gets the trades.
                for series in super::sample::sample_bars(&trades) {
                    if let Err(err @ StoreError::Journal(_)) =
                        store.insert_bars(&series, super::sample::SAMPLE_BARS_SOURCE)
                    {
                        send(failed(JobKind::Insert, "Adding sample price bars", err));
                    }
                }
                insert_many(store, trades, "sample trades".to_owned(), send)
            }
            Err(message) => Reply::Failed {
                job: JobKind::Insert,
                what: "Loading the sample trades".to_owned(),
                message,
            },
        },
        Job::Import { path } => {
            let what = format!("Importing {}", path.display());
            send(Reply::Progress {
                label: format!("Reading {}", path.display()),
                done: 0,
                total: 0,
            });
            match std::fs::read(&path) {
                // Told apart by content: a journal is a JSON object; anything
                // else goes to the import dialog as a broker statement.
                Ok(bytes) if interchange_io::is_journal(&bytes) => {
                    match String::from_utf8(bytes)
                        .map_err(|err| err.to_string())
                        .and_then(|text| interchange_io::parse(&text))
                    {
                        Ok(trades) => {
                            let name = path
                                .file_name()
                                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                            insert_many(store, trades, format!("trades from {name}"), send)
                        }
                        Err(message) => Reply::Failed {
                            job: JobKind::Insert,
                            what,
                            message,
                        },
                    }
                }
                // A price bars file is read with its symbol from its name and
                // times in the local zone, and its bars added.
                Ok(bytes) if crate::import::bars::detect_bars(&bytes).is_some() => {
                    import_bars(store, &path, &bytes)
                }
                Ok(bytes) => Reply::Statement(StatementReply::Opened(Arc::new(ImportFile::new(
                    path, bytes,
                )))),
                Err(err) => failed(JobKind::Insert, &what, err),
            }
        }
        Job::Statement(job) => statement::run(store, staged, job, send),
        Job::LoadBarsSymbols => match store.bars_symbol_map() {
            Ok(map) => Reply::BarsSymbols { map, saved: false },
            Err(err) => failed(JobKind::Settings, "Reading the bars symbols", err),
        },
        Job::SetBarsSymbols(map) => match store.set_bars_symbol_map(&map) {
            Ok(()) => Reply::BarsSymbols { map, saved: true },
            Err(err) => failed(JobKind::Settings, "Saving the bars symbols", err),
        },
        Job::LoadExcursions { trades, revision } => {
            let mut by_trade = std::collections::HashMap::new();
            let total = trades.len();
            let mut result = Ok(());
            for (done, (id, trade)) in trades.iter().enumerate() {
                match store.trade_bars(trade, 0) {
                    Ok(Some(bars)) => {
                        if let Some(x) = crate::analysis::excursion::excursion(trade, &bars) {
                            by_trade.insert(*id, x);
                        }
                    }
                    Ok(None) => {}
                    Err(err) => {
                        result = Err(err);
                        break;
                    }
                }
                if (done + 1) % 1000 == 0 {
                    send(Reply::Progress {
                        label: "Measuring trades against their bars".to_owned(),
                        done: done + 1,
                        total,
                    });
                }
            }
            match result {
                Ok(()) => Reply::Excursions(Arc::new(crate::model::market::MarketExcursions {
                    revision,
                    by_trade,
                })),
                Err(err) => failed(JobKind::Load, "Measuring trades against their bars", err),
            }
        }
        Job::LoadBars {
            id,
            trade,
            revision,
        } => match store.trade_bars(&trade, crate::model::market::MARGIN_BARS) {
            Ok(bars) => {
                let excursion = bars
                    .as_ref()
                    .and_then(|b| crate::analysis::excursion::excursion(&trade, b));
                Reply::Market(Arc::new(crate::model::market::TradeMarket {
                    id,
                    revision,
                    bars,
                    excursion,
                }))
            }
            Err(err) => failed(JobKind::Load, "Reading the trade's price bars", err),
        },
        Job::LoadMultipliers => match store.import_multipliers() {
            Ok(multipliers) => Reply::Multipliers {
                multipliers,
                saved: false,
            },
            Err(err) => failed(JobKind::Settings, "Reading the import multipliers", err),
        },
        Job::SetMultipliers(multipliers) => match store.set_import_multipliers(&multipliers) {
            Ok(()) => Reply::Multipliers {
                multipliers,
                saved: true,
            },
            Err(err) => failed(JobKind::Settings, "Saving the import multipliers", err),
        },
        Job::Export { path } => {
            let what = format!("Exporting to {}", path.display());
            send(Reply::Progress {
                label: what.clone(),
                done: 0,
                total: 0,
            });
            match store.trades() {
                Ok(trades) => {
                    let count = trades.len();
                    let text = interchange_io::write(&trades);
                    match crate::files::write_atomically(&path, text.as_bytes()) {
                        Ok(()) => Reply::Exported { path, count },
                        Err(err) => failed(JobKind::Export, &what, err),
                    }
                }
                Err(err) => failed(JobKind::Export, &what, err),
            }
        }
        Job::SetRuleSettings {
            settings,
            trades,
            revision,
        } => match store.set_rule_settings(&settings) {
            Ok(()) => {
                let analyses = analyze_all(&trades, &settings, &progress("Re-scoring trades"));
                Reply::Reanalysed {
                    settings,
                    analyses,
                    revision,
                }
            }
            Err(err) => failed(JobKind::Settings, "Saving the settings", err),
        },
    };
    send(reply);
}

/// Reads a price bars file and adds its bars.
fn import_bars(store: &mut dyn Store, path: &std::path::Path, bytes: &[u8]) -> Reply {
    let what = format!("Importing {}", path.display());
    let options = crate::import::bars::BarOptions::default();
    let read = match crate::import::bars::read_bars(bytes, &path.display().to_string(), &options) {
        Ok(read) => read,
        Err(err) => return failed(JobKind::Insert, &what, err),
    };
    let source = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    match store.insert_bars(&read.series, &source) {
        Ok(added) => Reply::BarsAdded {
            message: format!(
                "Added {added} of {} bars of {} ({}) from {source}",
                read.series.bars.len(),
                read.series.symbol,
                crate::domain::bars::length_words(read.series.length),
            ),
        },
        Err(err) => failed(JobKind::Insert, &what, err),
    }
}

fn insert_many(
    store: &mut dyn Store,
    trades: Vec<Trade>,
    what: String,
    send: &(dyn Fn(Reply) + Sync),
) -> Reply {
    let label = format!("Adding {what}");
    let mut last_sent = 0;
    let mut progress = |done: usize, total: usize| {
        // Report about a hundred times at most, however many trades there are.
        if done == total || done - last_sent >= total.div_ceil(100) {
            last_sent = done;
            send(Reply::Progress {
                label: label.clone(),
                done,
                total,
            });
        }
    };
    let ids = match store.insert_trades(&trades, &mut progress) {
        Ok(ids) => ids,
        Err(err) => return failed(JobKind::Insert, &format!("Adding {what}"), err),
    };
    let settings = match store.rule_settings() {
        Ok(settings) => settings,
        Err(err) => return failed(JobKind::Insert, &format!("Adding {what}"), err),
    };
    let trades: Vec<Arc<Trade>> = trades.into_iter().map(Arc::new).collect();
    let analyses = analyze_all(&trades, &settings, &|done, total| {
        send(Reply::Progress {
            label: "Analysing trades".to_owned(),
            done,
            total,
        });
    });
    Reply::Inserted {
        rows: ids
            .into_iter()
            .zip(trades)
            .zip(analyses)
            .map(|((id, trade), analysis)| (id, trade, analysis))
            .collect(),
        what,
    }
}
