//! Adherence analysis: how well each trade followed the scaling rules.
//!
//! Pure functions over [`crate::domain`] values, with no I/O:
//!
//! - [`analyze`] walks one trade's events with average-cost arithmetic and
//!   returns a [`TradeAnalysis`]: P&L, initial risk and R-multiple, adds and
//!   partial exits, every [`Violation`] of the eight [`Rule`]s with a sentence
//!   that explains it, the score, and the [`ScaleOut`] counterfactuals.
//!   [`analyze_with_steps`] also returns the position after every event.
//! - [`RuleSettings`] holds the penalty weights and the risk tolerance.
//! - [`format`](mod@format) writes numbers for people and for files.
//! - [`breakdown`] breaks the journal down by tag, account, weekday, hour
//!   and holding time, and gives the median and histogram of R and the calendar.
//! - [`stats`] sums analysed trades up into journal statistics;
//!   [`stats::analyze_all`] analyses a whole journal in parallel.
//! - [`planner`] answers "how much may I add?" for an open trade.
//! - [`twin`] replays a trade without its broken adds: what breaking the
//!   scaling-in rules cost.
//! - [`tilt`] looks for rule breaks after losses, soon after them, in runs,
//!   and by hour and weekday.
//! - [`excursion`](mod@excursion) measures a trade against price bars: MFE, MAE,
//!   and what the price did after each partial exit.
//! - [`kept`] encodes an analysis for the journal to keep, and says what
//!   kept analyses are valid under.
//! - [`generate`] makes up a deterministic journal for benchmarks and demos.

pub mod breakdown;
pub mod excursion;
pub mod format;
pub mod generate;
pub mod kept;
pub mod planner;
mod rules;
pub mod stats;
pub mod tilt;
mod trade;
pub mod twin;

pub use rules::{Rule, RuleSettings};
pub use trade::{
    Messages, STOPS_NOT_JUDGED, ScaleOut, Step, TradeAnalysis, Verdict, Violation, analyze,
    analyze_with, analyze_with_steps, net_pnl, row_analysis,
};
