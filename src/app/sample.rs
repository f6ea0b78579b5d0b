//! The sample trades offered on an empty journal, embedded in the program.

use crate::domain::Trade;

use super::interchange_io;

/// The sample journal, in the tranche-journal JSON format.
pub const SAMPLE_JOURNAL: &str = include_str!("../../assets/sample-journal.json");

/// The sample trades.
pub fn sample_trades() -> Result<Vec<Trade>, String> {
    interchange_io::parse(SAMPLE_JOURNAL)
}
