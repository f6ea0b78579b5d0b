//! The import dialog's side of a price bars import: the file chosen or
//! dropped, how to read it (the instrument and the zone of its times), what
//! the worker read, and what it wrote. Plain values the app's worker and the
//! dialog both use (see `app::bars_import` for the work).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::import::bars::{BarFile, BarFormat, detect_bars, symbol_from_file_name};
use crate::import::{ImportError, Warning};

/// How many bars the preview shows from the start of the file.
pub const PREVIEW_ROWS: usize = 5;

/// A price bars file read from disk, shared by the dialog and the worker.
pub struct BarsFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its file name, for messages (errors name it).
    pub name: String,
    /// Its content, read once.
    pub bytes: Arc<Vec<u8>>,
    /// Its layout, detected from the content.
    pub format: BarFormat,
    /// The instrument its name gives, if it gives one.
    pub named_symbol: Option<String>,
}

impl BarsFile {
    /// The file, when its content is a price bars layout Tranche knows;
    /// `None` for any other file.
    pub fn new(path: PathBuf, bytes: Vec<u8>) -> Option<Self> {
        let format = detect_bars(&bytes)?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let named_symbol = symbol_from_file_name(&name, format).map(|(symbol, _)| symbol);
        Some(BarsFile {
            path,
            name,
            bytes: Arc::new(bytes),
            format,
            named_symbol,
        })
    }
}

impl fmt::Debug for BarsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarsFile")
            .field("path", &self.path)
            .field("bytes", &self.bytes.len())
            .field("format", &self.format)
            .field("named_symbol", &self.named_symbol)
            .finish()
    }
}

/// How the dialog wants a bars file read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsOptions {
    /// The instrument the bars are kept under (as typed; not empty).
    pub symbol: String,
    /// The zone of times the file gives without one.
    pub tz: chrono_tz::Tz,
}

impl BarsOptions {
    /// The symbol as the bars are kept under it: trimmed, in capitals.
    pub fn stored_symbol(&self) -> String {
        self.symbol.trim().to_uppercase()
    }
}

/// A request to read a bars file for the dialog's preview.
#[derive(Debug, Clone)]
pub struct BarsPreviewRequest {
    /// The request's id (from [`crate::model::import::next_request_id`]).
    pub id: u64,
    /// The file.
    pub file: Arc<BarsFile>,
    /// How to read it.
    pub options: BarsOptions,
}

/// One bar as the preview shows it: its start (Unix seconds, UTC) and its
/// exact prices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewBar {
    /// When it starts.
    pub start: i64,
    /// Open, high, low, close.
    pub prices: [Decimal; 4],
}

/// What a bars file holds, read with the dialog's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsPreview {
    /// The layout it was read as.
    pub format: BarFormat,
    /// The instrument the bars will be kept under.
    pub symbol: String,
    /// The bar length, in seconds.
    pub length: i64,
    /// How many bars.
    pub count: usize,
    /// The start of the first bar and of the last (Unix seconds, UTC).
    pub range: Option<(i64, i64)>,
    /// The first [`PREVIEW_ROWS`] bars.
    pub rows: Vec<PreviewBar>,
    /// Problems that did not stop the reading.
    pub warnings: Vec<Warning>,
}

impl BarsPreview {
    /// The preview of what `read` holds.
    pub fn of(read: &BarFile) -> Self {
        let s = &read.series;
        BarsPreview {
            format: read.format,
            symbol: s.symbol.clone(),
            length: s.length,
            count: s.bars.len(),
            range: s
                .bars
                .first()
                .zip(s.bars.last())
                .map(|(a, b)| (a.start, b.start)),
            rows: s
                .bars
                .iter()
                .take(PREVIEW_ROWS)
                .map(|b| PreviewBar {
                    start: b.start,
                    prices: [b.open, b.high, b.low, b.close].map(|p| s.price(p)),
                })
                .collect(),
            warnings: read.warnings.clone(),
        }
    }
}

/// What a committed bars import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsAdded {
    /// The file's name.
    pub file: String,
    /// The instrument the bars are kept under.
    pub symbol: String,
    /// The bar length, in seconds.
    pub length: i64,
    /// Bars in the file.
    pub total: usize,
    /// Bars the journal had not held.
    pub added: usize,
}

impl fmt::Display for BarsAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Added {} of {} bars of {} ({}) from {}",
            self.added,
            self.total,
            self.symbol,
            crate::domain::bars::length_words(self.length),
            self.file
        )?;
        match self.total.saturating_sub(self.added) {
            0 => Ok(()),
            1 => f.write_str("; 1 was in the journal already"),
            n => write!(f, "; {n} were in the journal already"),
        }
    }
}

/// What the worker reports about a price bars file.
#[derive(Debug)]
pub enum BarsReply {
    /// The chosen file was read and is a price bars file.
    Opened(Arc<BarsFile>),
    /// A preview was read, or the file could not be read with those options.
    Previewed {
        /// The request's id.
        id: u64,
        /// What was found, or the first row that could not be read.
        result: Result<BarsPreview, ImportError>,
    },
    /// The bars of the preview were written.
    Committed {
        /// The preview's id.
        id: u64,
        /// What was written.
        added: BarsAdded,
    },
    /// Writing the bars failed; nothing was written.
    CommitFailed {
        /// The preview's id.
        id: u64,
        /// Why.
        message: String,
    },
    /// The kept preview was dropped.
    Discarded,
}
