//! The app's state as its panels see it: the view model that both the app
//! (which loads and changes it) and the panels in `ui` (which draw it and
//! answer with commands) depend on, so that `ui` never reaches into `app`.
//!
//! - [`journal`]: the loaded journal, every trade with its analysis
//!   ([`Trades`], [`TradeRow`]), and what a load brings ([`Loaded`]).
//! - [`import`]: the import dialog's requests and the worker's answers.
//! - [`bars_import`]: the same for a price bars file.
//! - [`market`]: the price bars around the selected trade, for its chart.

pub mod bars_import;
pub mod import;
pub mod journal;
pub mod market;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::analysis::RuleSettings;
use crate::import::StatementCheck;

pub use journal::{TradeRow, Trades};

/// Starts a thread named `name` running `body`. The app hands one to the
/// panels, which start no thread of their own.
pub type Spawner = fn(&str, Box<dyn FnOnce() + Send>) -> std::io::Result<()>;

/// Why the journal could not do what was asked, written for a person to read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The journal's database failed (its error names the file where it
    /// was opening it, and the trade and field where one was invalid).
    #[error(transparent)]
    Journal(#[from] crate::storage::StorageError),
    /// The journal refused: an invalid trade, an unknown id, or work it
    /// cannot do (the in-memory journal imports no statements).
    #[error("{0}")]
    Refused(String),
}

/// The multipliers the user set for imports, by symbol or futures root (upper case).
pub type Multipliers = BTreeMap<String, Decimal>;

/// The journal as the app holds it: every trade with its analysis, the rule
/// settings the analyses used, and the checks kept of statements' totals.
#[derive(Debug)]
pub struct Loaded {
    /// The trades by id with their analyses.
    pub rows: Vec<TradeRow>,
    /// The rule settings the analyses used.
    pub settings: RuleSettings,
    /// The statement checks, in the order they were kept.
    pub checks: Vec<StatementCheck>,
}
