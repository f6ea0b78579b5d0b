//! The background worker: the only thread that touches the journal.
//!
//! The app sends [`Job`]s through a channel and drains [`Reply`]s once per
//! frame, so the window never waits for a disk, a file or a long analysis.
//! Each reply wakes the UI with [`egui::Context::request_repaint`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, OnceLock};
use std::thread;

use crate::analysis::RuleSettings;
use crate::domain::{Trade, TradeId};

use super::bars_import::{self, BarsFile, BarsJob, BarsReply, BarsStaged};
use super::interchange_io;
pub use super::protocol::{Cause, Loaded, Operation, Reply, WorkerError};
use super::protocol::{analyze_all, load_all};
use super::statement::{self, ImportFile, Staged, StatementJob};
use super::store::{Multipliers, Store, StoreError};
use crate::model::import::StatementReply;

/// Opens the journal; runs on the worker thread.
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn Store>, StoreError> + Send>;

/// What a file the user saves holds.
#[derive(Debug, Clone)]
pub enum Contents {
    /// Text, written as it is (the review's statistics as CSV).
    Text(String),
    /// A part of a screenshot of the window, written as a PNG image.
    Image {
        /// The whole window.
        image: Arc<egui::ColorImage>,
        /// The part to keep, in points.
        rect: egui::Rect,
        /// Pixels per point when the screenshot was taken.
        pixels_per_point: f32,
    },
}

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
    /// Read a file: a tranche-journal JSON file has its trades added; a
    /// price bars file, and any other file as a broker statement, is handed
    /// to the import dialog.
    Import {
        /// The file.
        path: PathBuf,
    },
    /// Work on a broker statement for the import dialog.
    Statement(StatementJob),
    /// Work on a price bars file for the import dialog.
    Bars(BarsJob),
    /// Read the multipliers the user set for imports.
    LoadMultipliers,
    /// Save the multipliers the user set for imports.
    SetMultipliers(Multipliers),
    /// Write every trade to a tranche-journal JSON file.
    Export {
        /// The file.
        path: PathBuf,
    },
    /// Write a file the user chose to save.
    Write {
        /// The file.
        path: PathBuf,
        /// What it holds.
        contents: Contents,
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
    /// The window the worker's replies wake, once there is one.
    waker: Waker,
    busy: usize,
    /// Why the worker's thread could not be started, until a poll reports it.
    not_started: Option<std::io::Error>,
}

pub use crate::model::Spawner;

/// The window's context, which each reply wakes: set when the window exists,
/// so that the journal can start loading before the window is made.
type Waker = Arc<OnceLock<egui::Context>>;

/// Starts a thread of the system.
pub fn spawn_thread(name: &str, body: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map(drop)
}

impl Worker {
    /// Starts the worker: it opens the journal with `open`, then waits for jobs.
    /// Every reply wakes `ctx`.
    pub fn spawn(open: Opener, ctx: egui::Context) -> Self {
        Self::spawn_with(open, ctx, spawn_thread)
    }

    /// [`Worker::spawn`], its thread started by `spawner`.
    pub fn spawn_with(open: Opener, ctx: egui::Context, spawner: Spawner) -> Self {
        let worker = Self::start_with(open, spawner);
        worker.wake(ctx);
        worker
    }

    /// Starts the worker before there is a window: it opens the journal and
    /// runs the jobs sent meanwhile; its replies wait for [`Worker::wake`].
    pub fn start(open: Opener) -> Self {
        Self::start_with(open, spawn_thread)
    }

    /// Has every reply, from now on, wake `ctx` (and wakes it now, for the
    /// replies that may have come before).
    pub fn wake(&self, ctx: egui::Context) {
        let ctx = self.waker.get_or_init(|| ctx);
        ctx.request_repaint();
    }

    fn start_with(open: Opener, spawner: Spawner) -> Self {
        let (jobs, job_rx) = channel::<Job>();
        let (reply_tx, replies) = channel::<Reply>();
        let waker = Waker::default();
        let wakes = Arc::clone(&waker);
        let spawned = spawner(
            "journal",
            Box::new(move || {
                let send = |reply: Reply| {
                    // The UI may be gone when the window closes; nothing to report to then.
                    let _ = reply_tx.send(reply);
                    if let Some(ctx) = wakes.get() {
                        ctx.request_repaint();
                    }
                };
                let mut store = match open() {
                    Ok(store) => store,
                    Err(err) => {
                        send(Reply::Failed(WorkerError::new(Operation::Open, err)));
                        return;
                    }
                };
                send(Reply::Opened {
                    location: store.location(),
                });
                let mut staged = Staged::default();
                let mut bars = BarsStaged::default();
                while let Ok(job) = job_rx.recv() {
                    run_job(store.as_mut(), (&mut staged, &mut bars), job, &send);
                }
            }),
        );
        // Without a thread nothing will open the journal: the first poll says so.
        let busy = usize::from(spawned.is_ok());
        Worker {
            jobs,
            replies,
            waker,
            busy,
            not_started: spawned.err(),
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
        if let Some(err) = self.not_started.take() {
            out.push(Reply::Failed(WorkerError::new(
                Operation::Open,
                Cause::NotStarted(err),
            )));
        }
        loop {
            match self.replies.try_recv() {
                Ok(reply) => {
                    match reply {
                        Reply::Progress { .. } => {}
                        // The worker stops when the journal cannot be opened:
                        // the jobs already queued will never run.
                        Reply::Failed(WorkerError {
                            operation: Operation::Open,
                            ..
                        }) => self.busy = 0,
                        _ => self.busy = self.busy.saturating_sub(1),
                    }
                    out.push(reply);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    if self.busy > 0 {
                        self.busy = 0;
                        out.push(Reply::Failed(WorkerError::new(
                            Operation::Run,
                            Cause::Stopped,
                        )));
                    }
                    break;
                }
            }
        }
        out
    }
}

fn failed(operation: Operation, cause: impl Into<Cause>) -> Reply {
    Reply::Failed(WorkerError::new(operation, cause))
}

/// Writes `contents` to `path`, atomically.
fn write_file(path: &Path, contents: &Contents) -> Result<(), Cause> {
    match contents {
        Contents::Text(text) => crate::files::write_atomically(path, text.as_bytes())?,
        Contents::Image {
            image,
            rect,
            pixels_per_point,
        } => write_image(&image.region(rect, Some(*pixels_per_point)), path)?,
    }
    Ok(())
}

/// Writes `image` to `path` as a PNG file, atomically.
pub fn write_image(image: &egui::ColorImage, path: &Path) -> Result<(), crate::files::PngError> {
    let [width, height] = image.size;
    let rgba: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    crate::files::write_png(path, width, height, rgba)
}

/// Runs one job; `staged` is what the import dialog's last previews read
/// (a broker statement's, a price bars file's), kept for their commits.
fn run_job(
    store: &mut dyn Store,
    staged: (&mut Staged, &mut BarsStaged),
    job: Job,
    send: &(dyn Fn(Reply) + Sync),
) {
    let (staged, bars_staged) = staged;
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
            Err(err) => failed(Operation::Load, err),
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
                Err(err) => failed(Operation::Save, err),
            }
        }
        Job::Delete { id, trade } => match store.delete_trade(id) {
            Ok(()) => Reply::Deleted { id, trade },
            Err(err) => failed(Operation::Delete, err),
        },
        Job::Restore { id, trade } => match store.restore_trade(id, &trade) {
            Ok(()) => Reply::Restored { id, trade },
            Err(err) => failed(Operation::Restore, err),
        },
        Job::InsertMany { trades, what } => insert_many(store, trades, what, send),
        Job::LoadSamples => match super::sample::sample_trades() {
            Ok(trades) => {
                // Bars first: the trades' chart asks for them once they arrive.
                // A store that keeps no bars still gets the trades.
                for series in super::sample::sample_bars(&trades) {
                    if let Err(err @ StoreError::Journal(_)) = store.insert_bars(
                        &series,
                        super::sample::SAMPLE_BARS_SOURCE,
                        &mut |_, _| {},
                    ) {
                        send(failed(Operation::SampleBars, err));
                    }
                }
                insert_many(store, trades, "sample trades".to_owned(), send)
            }
            Err(message) => failed(Operation::Samples, Cause::Invalid(message)),
        },
        Job::Import { path } => {
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
                        .and_then(|text| interchange_io::parse_with_playbooks(&text))
                    {
                        Ok((trades, playbooks)) => {
                            let name = path
                                .file_name()
                                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                            let what = format!("trades from {name}");
                            if playbooks.is_empty() {
                                insert_many(store, trades, what, send)
                            } else {
                                insert_with_playbooks(store, &trades, &playbooks, what, send)
                            }
                        }
                        Err(message) => failed(Operation::Import { path }, Cause::Invalid(message)),
                    }
                }
                // A price bars file goes to the import dialog, which asks for
                // its instrument and time zone.
                Ok(bytes) if crate::import::bars::detect_bars(&bytes).is_some() => {
                    match BarsFile::new(path.clone(), bytes) {
                        Some(file) => Reply::Bars(BarsReply::Opened(Arc::new(file))),
                        // detect_bars said it is one; no other answer is possible.
                        None => failed(
                            Operation::Import { path },
                            Cause::Invalid("this is not a price bars file".to_owned()),
                        ),
                    }
                }
                Ok(bytes) => Reply::Statement(StatementReply::Opened(Arc::new(ImportFile::new(
                    path, bytes,
                )))),
                Err(err) => failed(Operation::Import { path }, err),
            }
        }
        Job::Statement(job) => statement::run(store, staged, job, send),
        Job::Bars(job) => bars_import::run(store, bars_staged, job, send),
        Job::LoadBarsSymbols => match store.bars_symbol_map() {
            Ok(map) => Reply::BarsSymbols { map, saved: false },
            Err(err) => failed(Operation::ReadBarsSymbols, err),
        },
        Job::SetBarsSymbols(map) => match store.set_bars_symbol_map(&map) {
            Ok(()) => Reply::BarsSymbols { map, saved: true },
            Err(err) => failed(Operation::SaveBarsSymbols, err),
        },
        Job::LoadExcursions { trades, revision } => {
            let mut progress = |done: usize, total: usize| {
                if done.is_multiple_of(1000) {
                    send(Reply::Progress {
                        label: "Measuring trades against their bars".to_owned(),
                        done,
                        total,
                    });
                }
            };
            match store.trade_excursions(&trades, &mut progress) {
                Ok(by_trade) => {
                    Reply::Excursions(Arc::new(crate::model::market::MarketExcursions {
                        revision,
                        by_trade,
                    }))
                }
                Err(err) => failed(Operation::MeasureExcursions, err),
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
            Err(err) => failed(Operation::ReadBars, err),
        },
        Job::LoadMultipliers => match store.import_multipliers() {
            Ok(multipliers) => Reply::Multipliers {
                multipliers,
                saved: false,
            },
            Err(err) => failed(Operation::ReadMultipliers, err),
        },
        Job::SetMultipliers(multipliers) => match store.set_import_multipliers(&multipliers) {
            Ok(()) => Reply::Multipliers {
                multipliers,
                saved: true,
            },
            Err(err) => failed(Operation::SaveMultipliers, err),
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
                    // A journal whose settings cannot be read still exports its trades.
                    let playbooks = store
                        .rule_settings()
                        .map(|s| s.playbooks)
                        .unwrap_or_default();
                    let text = interchange_io::write(&trades, &playbooks);
                    match crate::files::write_atomically(&path, text.as_bytes()) {
                        Ok(()) => Reply::Exported { path, count },
                        Err(err) => failed(Operation::Export { path }, err),
                    }
                }
                Err(err) => failed(Operation::Export { path }, err),
            }
        }
        Job::Write { path, contents } => {
            send(Reply::Progress {
                label: format!("Writing {}", path.display()),
                done: 0,
                total: 0,
            });
            match write_file(&path, &contents) {
                Ok(()) => Reply::Written { path },
                Err(cause) => failed(Operation::Write { path }, cause),
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
            Err(err) => failed(Operation::Settings, err),
        },
    };
    send(reply);
}

/// Adds a journal file's trades and its playbooks (which replace the
/// journal's for the same setups) in one transaction, then reads the journal
/// again: a playbook changes the scores of every trade of its setup.
fn insert_with_playbooks(
    store: &mut dyn Store,
    trades: &[Trade],
    playbooks: &[crate::domain::Playbook],
    what: String,
    send: &(dyn Fn(Reply) + Sync),
) -> Reply {
    let mut merged = match store.rule_settings() {
        Ok(settings) => settings.playbooks,
        Err(err) => return failed(Operation::Insert { what }, err),
    };
    for playbook in playbooks {
        merged.retain(|p| !p.is_for(&playbook.setup));
        merged.push(playbook.clone());
    }
    let label = format!("Adding {what}");
    let mut progress = |done: usize, total: usize| {
        if done == total || done.is_multiple_of(1000) {
            send(Reply::Progress {
                label: label.clone(),
                done,
                total,
            });
        }
    };
    if let Err(err) = store.insert_trades_with_playbooks(trades, &merged, &mut progress) {
        return failed(Operation::Insert { what }, err);
    }
    match load_all(store, send) {
        Ok(loaded) => Reply::Loaded(loaded),
        Err(err) => failed(Operation::Load, err),
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
        Err(err) => return failed(Operation::Insert { what }, err),
    };
    let settings = match store.rule_settings() {
        Ok(settings) => settings,
        Err(err) => return failed(Operation::Insert { what }, err),
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::app::store::MemoryStore;

    #[test]
    fn a_screenshot_region_is_written_as_png() {
        use egui::Color32;
        let pixels: Vec<Color32> = (0..12u8)
            .map(|i| Color32::from_rgba_unmultiplied(i * 20, 255 - i, i, 255))
            .collect();
        let image = egui::ColorImage::new([4, 3], pixels.clone());
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("dashboard.png");
        write_image(&image, &path).expect("written");
        let read = image::open(&path).expect("a PNG").to_rgba8();
        assert_eq!(read.dimensions(), (4, 3));
        let read: Vec<[u8; 4]> = read.pixels().map(|p| p.0).collect();
        let expected: Vec<[u8; 4]> = pixels.iter().map(|c| c.to_array()).collect();
        assert_eq!(read, expected);

        let empty = egui::ColorImage::new([0, 0], Vec::new());
        assert!(write_image(&empty, &dir.path().join("empty.png")).is_err());
    }

    #[test]
    fn a_journal_thread_that_cannot_start_is_reported_at_the_first_poll() {
        let open: Opener = Box::new(|| Ok(Box::new(MemoryStore::new()) as Box<dyn Store>));
        let mut worker = Worker::spawn_with(open, egui::Context::default(), |_, _| {
            Err(std::io::Error::other("no threads left"))
        });
        // Nothing runs: the app must not wait for it.
        assert!(!worker.is_busy());
        worker.send(Job::Load);
        let replies = worker.poll();
        assert!(!worker.is_busy(), "no job will ever answer");
        let [Reply::Failed(err)] = replies.as_slice() else {
            panic!("one failure, got {replies:?}");
        };
        assert!(err.stops_loading());
        assert_eq!(
            err.to_string(),
            "Opening the journal failed: the journal's thread could not be started: \
             no threads left"
        );
        assert!(worker.poll().is_empty(), "said once");
    }

    #[test]
    fn a_file_is_written_and_a_failure_names_it() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let open: Opener = Box::new(|| Ok(Box::new(MemoryStore::new()) as Box<dyn Store>));
        let mut worker = Worker::spawn(open, egui::Context::default());
        let path = dir.path().join("stats.csv");
        let missing = dir.path().join("no-such-folder").join("stats.csv");
        for path in [&path, &missing] {
            worker.send(Job::Write {
                path: path.clone(),
                contents: Contents::Text("figure,value\n".to_owned()),
            });
        }
        let mut replies = Vec::new();
        while worker.is_busy() {
            replies.extend(
                worker
                    .poll()
                    .into_iter()
                    .filter(|r| !matches!(r, Reply::Progress { .. })),
            );
            std::thread::yield_now();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "figure,value\n");
        match replies.as_slice() {
            [
                Reply::Opened { .. },
                Reply::Written { path: written },
                Reply::Failed(err),
            ] => {
                assert_eq!(written, &path);
                assert_eq!(
                    err.operation,
                    Operation::Write {
                        path: missing.clone()
                    }
                );
                assert!(matches!(err.cause, Cause::Io(_)), "{err:?}");
                assert!(
                    err.to_string()
                        .starts_with(&format!("Writing {} failed: ", missing.display()))
                );
            }
            other => panic!("unexpected replies: {other:?}"),
        }
    }
}
