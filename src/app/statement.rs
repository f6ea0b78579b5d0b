//! Broker statements in the app: the work the import dialog asks of the
//! journal's worker thread, and how that thread does it.
//!
//! A chosen file is read once into an [`ImportFile`], whose bytes the dialog
//! shares. Each [`StatementJob::Preview`] reads those bytes again with the
//! dialog's options (format, time zone, trading day, skip bad rows, column
//! mapping) and the journal's multipliers, and groups the fills into trades.
//! The result stays on the worker ([`Staged`]): [`StatementJob::Check`]
//! commits it as a dry run to say what would be added, and
//! [`StatementJob::Commit`] writes exactly what
//! the user previewed, in one transaction, then reloads the journal. The
//! window only ever receives counts and the first warnings, so a file of a
//! million fills never crosses to the UI thread, nor is dropped there.
//!
//! Every request carries an id from [`next_request_id`]; a reply whose id is
//! not the one the dialog waits for is stale and ignored.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::TradeId;
use crate::import::{
    ColumnMapping, Format, GroupOptions, Import, ImportError, ImportOptions, Preview,
    Reconciliation, Warning, detect, generic, import_with_progress,
};
use crate::storage::ImportOutcome;

use super::store::Store;
use super::worker::{Loaded, Reply, load_all};

/// The most warnings sent to the window; the rest are counted.
pub const MAX_WARNINGS_SHOWN: usize = 500;

/// A broker file read from disk, shared by the dialog and the worker.
pub struct ImportFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its file name, for messages (errors name it).
    pub name: String,
    /// Its content, read once.
    pub bytes: Arc<Vec<u8>>,
    /// The format its content looks like, if any.
    pub detected: Option<Format>,
    /// The names in its header row, for the column-mapping step (empty when
    /// the file has no CSV header).
    pub headers: Vec<String>,
    /// The first rows under that header, to show what each column holds.
    pub samples: Vec<Vec<String>>,
}

impl ImportFile {
    /// Looks at a file's content: which format it is in and, for a CSV, the
    /// names of its columns and its first row.
    pub fn new(path: PathBuf, bytes: Vec<u8>) -> Self {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let detected = detect(&bytes);
        let headers = generic::header_names(&bytes);
        let samples = generic::sample_rows(&bytes, 1);
        ImportFile {
            path,
            name,
            bytes: Arc::new(bytes),
            detected,
            headers,
            samples,
        }
    }
}

impl fmt::Debug for ImportFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportFile")
            .field("path", &self.path)
            .field("bytes", &self.bytes.len())
            .field("detected", &self.detected)
            .field("headers", &self.headers)
            .finish()
    }
}

/// How the dialog wants a file read: everything but the multipliers, which
/// the worker takes from the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOptions {
    /// The format to read it as.
    pub format: Format,
    /// The zone of times the file gives without one.
    pub tz: chrono_tz::Tz,
    /// Skip rows that cannot be read, with a warning for each.
    pub skip_bad_rows: bool,
    /// Which column holds what, for a CSV in no known layout.
    pub column_mapping: Option<ColumnMapping>,
    /// The trading day, for a format whose files give times only.
    pub date: Option<chrono::NaiveDate>,
}

/// A request to read and group a file.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    /// The request's id (from [`next_request_id`]).
    pub id: u64,
    /// The file.
    pub file: Arc<ImportFile>,
    /// How to read it.
    pub options: ReadOptions,
}

/// A fresh id for a preview request, never used before in this process.
pub fn next_request_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What reading and grouping found, for the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSummary {
    /// Format, counts, date range and the first [`MAX_WARNINGS_SHOWN`] warnings.
    pub preview: Preview,
    /// How many warnings there are in all.
    pub warning_count: usize,
}

/// What committing would do (a dry run) or did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitSummary {
    /// Fills the journal had not seen.
    pub new_fills: usize,
    /// Fills an earlier import already added.
    pub known_fills: usize,
    /// Trades added.
    pub added: usize,
    /// Open trades that new fills continue.
    pub extended: usize,
    /// The first trade added, to select it.
    pub first_added: Option<TradeId>,
    /// Warnings that fitting the new fills into the journal raised, beyond the
    /// preview's (at most [`MAX_WARNINGS_SHOWN`]).
    pub warnings: Vec<Warning>,
    /// The file's own total beside the journal's figure for its trades, when
    /// the file states one (kept with a committed import).
    pub reconciliation: Option<Reconciliation>,
}

impl CommitSummary {
    fn new(outcome: &ImportOutcome, import: &Import) -> Self {
        let seen: HashSet<String> = import.warnings.iter().map(ToString::to_string).collect();
        CommitSummary {
            reconciliation: import.reconciliation(),
            new_fills: outcome.new_fills,
            known_fills: outcome.known_fills,
            added: outcome.added.len(),
            extended: outcome.extended.len(),
            first_added: outcome.added.first().copied(),
            warnings: outcome
                .warnings
                .iter()
                .filter(|w| !seen.contains(&w.to_string()))
                .take(MAX_WARNINGS_SHOWN)
                .cloned()
                .collect(),
        }
    }
}

/// Work on a broker statement, for the worker thread.
#[derive(Debug)]
pub enum StatementJob {
    /// Read and group the file; keep the result for a check or a commit.
    Preview(Box<PreviewRequest>),
    /// Say what committing the kept preview would do, writing nothing.
    Check {
        /// The preview's id.
        id: u64,
    },
    /// Commit the kept preview, then reload the journal.
    Commit {
        /// The preview's id.
        id: u64,
    },
    /// Forget the kept preview (the dialog was closed).
    Discard,
}

/// What the worker reports about a broker statement.
#[derive(Debug)]
pub enum StatementReply {
    /// The chosen file was read and is a broker statement (or no known file).
    Opened(Arc<ImportFile>),
    /// A preview was read, or the file could not be read with those options.
    Previewed {
        /// The request's id.
        id: u64,
        /// What was found, or the first row that could not be read.
        result: Result<PreviewSummary, ImportError>,
    },
    /// A dry run said what committing would do, or why it cannot be done.
    Checked {
        /// The preview's id.
        id: u64,
        /// The outcome, or why it failed.
        result: Result<CommitSummary, String>,
    },
    /// The import was committed and the journal reloaded.
    Committed {
        /// The preview's id.
        id: u64,
        /// The file's name.
        file: String,
        /// What was added.
        summary: CommitSummary,
        /// The journal read again: every trade analysed, and the checks.
        loaded: Loaded,
    },
    /// The commit failed; nothing was written.
    CommitFailed {
        /// The preview's id.
        id: u64,
        /// Why, for a person.
        message: String,
    },
    /// The kept preview was dropped.
    Discarded,
}

/// The last preview's import, kept on the worker for the check and the commit.
#[derive(Default)]
pub struct Staged {
    /// The preview request's id, the file's name and what it read.
    current: Option<(u64, String, Import, GroupOptions)>,
}

impl Staged {
    fn get(&self, id: u64) -> Option<(&str, &Import, &GroupOptions)> {
        match &self.current {
            Some((staged, name, import, options)) if *staged == id => {
                Some((name.as_str(), import, options))
            }
            _ => None,
        }
    }
}

const STALE: &str = "the preview changed before this step ran; look at it again";

/// Runs one job on the worker thread and returns its reply.
pub fn run(
    store: &mut dyn Store,
    staged: &mut Staged,
    job: StatementJob,
    send: &(dyn Fn(Reply) + Sync),
) -> Reply {
    let reply = match job {
        StatementJob::Preview(request) => preview(store, staged, *request, send),
        StatementJob::Check { id } => match staged.get(id) {
            Some((_, import, options)) => {
                let label = "Checking against the journal";
                let result = store
                    .commit_import(import, options, true, &mut progress(label, send))
                    .map(|outcome| CommitSummary::new(&outcome, import))
                    .map_err(|err| err.to_string());
                StatementReply::Checked { id, result }
            }
            None => StatementReply::Checked {
                id,
                result: Err(STALE.to_owned()),
            },
        },
        StatementJob::Commit { id } => commit(store, staged, id, send),
        StatementJob::Discard => {
            staged.current = None;
            StatementReply::Discarded
        }
    };
    Reply::Statement(reply)
}

/// A progress callback that reports under `label`, about a hundred times at most.
fn progress<'a>(label: &'a str, send: &'a (dyn Fn(Reply) + Sync)) -> impl FnMut(usize, usize) + 'a {
    let mut last = None;
    move |done: usize, total: usize| {
        let percent = (done * 100).checked_div(total);
        if percent != last || percent.is_none() {
            last = percent;
            send(Reply::Progress {
                label: label.to_owned(),
                done,
                total,
            });
        }
    }
}

fn preview(
    store: &mut dyn Store,
    staged: &mut Staged,
    request: PreviewRequest,
    send: &(dyn Fn(Reply) + Sync),
) -> StatementReply {
    // A new preview replaces the old one: free it before reading again.
    staged.current = None;
    let PreviewRequest { id, file, options } = request;
    let multipliers = match store.import_multipliers() {
        Ok(m) => m,
        Err(err) => {
            return StatementReply::Previewed {
                id,
                result: Err(ImportError {
                    file: file.name.clone(),
                    line: None,
                    field: None,
                    message: format!("the journal's multipliers cannot be read: {err}"),
                }),
            };
        }
    };
    let options = ImportOptions {
        format: Some(options.format),
        tz: options.tz,
        skip_bad_rows: options.skip_bad_rows,
        column_mapping: options.column_mapping,
        multipliers: multipliers.into_iter().collect(),
        date: options.date,
    };
    let reading = format!("Reading {}", file.name);
    let mut report = progress(&reading, send);
    let mut grouping = false;
    let result = import_with_progress(&file.bytes, &file.name, &options, &mut |done, total| {
        report(done, total);
        if done == total && !grouping {
            // Grouping follows the last report; its length is unknown.
            grouping = true;
            send(Reply::Progress {
                label: "Grouping fills into trades".to_owned(),
                done: 0,
                total: 0,
            });
        }
    });
    match result {
        Ok(import) => {
            let mut preview = import.preview();
            let warning_count = preview.warnings.len();
            preview.warnings.truncate(MAX_WARNINGS_SHOWN);
            let group_options = GroupOptions {
                multipliers: options.multipliers,
                ..GroupOptions::default()
            };
            staged.current = Some((id, file.name.clone(), import, group_options));
            StatementReply::Previewed {
                id,
                result: Ok(PreviewSummary {
                    preview,
                    warning_count,
                }),
            }
        }
        Err(err) => StatementReply::Previewed {
            id,
            result: Err(err),
        },
    }
}

fn commit(
    store: &mut dyn Store,
    staged: &mut Staged,
    id: u64,
    send: &(dyn Fn(Reply) + Sync),
) -> StatementReply {
    let Some((name, import, options)) = staged.get(id) else {
        return StatementReply::CommitFailed {
            id,
            message: STALE.to_owned(),
        };
    };
    let file = name.to_owned();
    let outcome = match store.commit_import(
        import,
        options,
        false,
        &mut progress("Writing trades", send),
    ) {
        Ok(outcome) => outcome,
        Err(err) => {
            return StatementReply::CommitFailed {
                id,
                message: err.to_string(),
            };
        }
    };
    let summary = CommitSummary::new(&outcome, import);
    // Written: the import is not needed any more; free it before reloading.
    staged.current = None;
    match load_all(store, send) {
        Ok(loaded) => StatementReply::Committed {
            id,
            file,
            summary,
            loaded,
        },
        Err(err) => StatementReply::CommitFailed {
            id,
            message: format!(
                "the trades were imported, but the journal could not be read again: {err}; \
                 restart Tranche to see them"
            ),
        },
    }
}
