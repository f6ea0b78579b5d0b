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

use crate::import::{GroupOptions, Import, ImportError, ImportOptions, import_with_progress};
use crate::storage::ImportOutcome;

use super::protocol::{Reply, load_all};
use super::store::Store;
pub use crate::model::import::{
    CommitSummary, ImportFile, MAX_WARNINGS_SHOWN, PreviewRequest, PreviewSummary, ReadOptions,
    StatementError, StatementReply, next_request_id,
};

/// What an import did, for the dialog.
fn commit_summary(outcome: &ImportOutcome, import: &Import) -> CommitSummary {
    {
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
            Some((name, import, options)) => {
                let label = "Checking against the journal";
                let result = store
                    .commit_import(import, options, true, &mut progress(label, send))
                    .map(|outcome| commit_summary(&outcome, import))
                    .map_err(|source| StatementError::Journal {
                        file: name.to_owned(),
                        source,
                    });
                StatementReply::Checked { id, result }
            }
            None => StatementReply::Checked {
                id,
                result: Err(StatementError::Stale),
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
            error: StatementError::Stale,
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
        Err(source) => {
            return StatementReply::CommitFailed {
                id,
                error: StatementError::Journal { file, source },
            };
        }
    };
    let summary = commit_summary(&outcome, import);
    // Written: the import is not needed any more; free it before reloading.
    staged.current = None;
    match load_all(store, send) {
        Ok(loaded) => StatementReply::Committed {
            id,
            file,
            summary,
            loaded,
        },
        Err(source) => StatementReply::CommitFailed {
            id,
            error: StatementError::Reload { file, source },
        },
    }
}
