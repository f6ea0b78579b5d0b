//! The import dialog's side of a broker import: the file it chose, how to
//! read it, and what the journal's worker answers. Plain values the app's
//! worker and the dialog both use (see `app::statement` for the work).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::domain::TradeId;
use crate::import::{
    ColumnMapping, Format, ImportError, Preview, Reconciliation, Warning, detect, generic,
};

use super::Loaded;

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

/// Why a statement could not be checked against the journal or committed to it.
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    /// The preview changed before the step ran; nothing was done.
    #[error("the preview changed before this step ran; look at it again")]
    Stale,
    /// The journal refused or failed while checking or writing the trades
    /// of `file`; nothing was written.
    #[error("{source}")]
    Journal {
        /// The statement's file name.
        file: String,
        /// Why.
        #[source]
        source: super::StoreError,
    },
    /// The trades of `file` were written, but the journal could not be read
    /// again to show them.
    #[error(
        "the trades were imported, but the journal could not be read again: {source}; \
         restart Tranche to see them"
    )]
    Reload {
        /// The statement's file name.
        file: String,
        /// Why.
        #[source]
        source: super::StoreError,
    },
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
        result: Result<CommitSummary, StatementError>,
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
    /// The commit failed.
    CommitFailed {
        /// The preview's id.
        id: u64,
        /// What failed, on which file.
        error: StatementError,
    },
    /// The kept preview was dropped.
    Discarded,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::model::StoreError;

    #[test]
    fn a_statement_error_says_what_the_journal_said_and_keeps_the_file() {
        let error = StatementError::Journal {
            file: "statement.htm".to_owned(),
            source: StoreError::Refused("the journal is read-only".to_owned()),
        };
        assert_eq!(error.to_string(), "the journal is read-only");
        let source = std::error::Error::source(&error).expect("a cause");
        assert_eq!(source.to_string(), "the journal is read-only");
        assert!(matches!(&error, StatementError::Journal { file, .. } if file == "statement.htm"));

        let reload = StatementError::Reload {
            file: "statement.htm".to_owned(),
            source: StoreError::Refused("disk I/O error".to_owned()),
        };
        assert_eq!(
            reload.to_string(),
            "the trades were imported, but the journal could not be read again: disk I/O error; \
             restart Tranche to see them"
        );
        assert_eq!(
            StatementError::Stale.to_string(),
            "the preview changed before this step ran; look at it again"
        );
    }
}
