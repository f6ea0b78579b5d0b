//! The eight scaling rules, their weights, and the score.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::UnknownName;

/// A scaling rule. Each has a stable id used in files, the CLI and settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// An add made while the position was losing: the cardinal sin.
    AveragingDown,
    /// An add at least as large as the tranche before it.
    AddNotSmaller,
    /// No stop move in the trade's favour after an add, before the next fill.
    StopNotTrailed,
    /// A stop moved away from the trade.
    StopLoosened,
    /// After an add (and its stop moves), the worst case is beyond the initial risk.
    RiskAboveInitial,
    /// No stop at or before the initial entry.
    NoStop,
    /// After the first partial exit, no stop at or beyond break-even before the next fill.
    RunnerUnprotected,
    /// Adds on a range-bound or scalp trade.
    ScaledInRange,
}

impl Rule {
    /// Every rule, most serious first.
    pub const ALL: [Rule; 8] = [
        Rule::AveragingDown,
        Rule::AddNotSmaller,
        Rule::StopNotTrailed,
        Rule::StopLoosened,
        Rule::RiskAboveInitial,
        Rule::NoStop,
        Rule::RunnerUnprotected,
        Rule::ScaledInRange,
    ];

    /// The rule's stable id, e.g. `averaging-down`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::AveragingDown => "averaging-down",
            Rule::AddNotSmaller => "add-not-smaller",
            Rule::StopNotTrailed => "stop-not-trailed",
            Rule::StopLoosened => "stop-loosened",
            Rule::RiskAboveInitial => "risk-above-initial",
            Rule::NoStop => "no-stop",
            Rule::RunnerUnprotected => "runner-unprotected",
            Rule::ScaledInRange => "scaled-in-range",
        }
    }

    /// What the rule asks of the trader, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Rule::AveragingDown => "Add only to a winning position, never average down.",
            Rule::AddNotSmaller => "Make each add smaller than the tranche before it.",
            Rule::StopNotTrailed => "Trail the stop in the trade's favour after each add.",
            Rule::StopLoosened => "Never move a stop away from the trade.",
            Rule::RiskAboveInitial => "After an add, keep the worst case within the initial risk.",
            Rule::NoStop => "Have a stop from the initial entry on.",
            Rule::RunnerUnprotected => {
                "After the first partial exit, stop the rest at break-even or better."
            }
            Rule::ScaledInRange => "Scale in on trends, not in ranges or on scalps.",
        }
    }

    /// The rule's position in [`Rule::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The weight a violation of this rule costs by default.
    ///
    /// One `averaging-down` (50) costs more than one of every other rule
    /// together (48).
    pub fn default_weight(self) -> u32 {
        match self {
            Rule::AveragingDown => 50,
            Rule::AddNotSmaller => 5,
            Rule::StopNotTrailed => 6,
            Rule::StopLoosened => 10,
            Rule::RiskAboveInitial => 10,
            Rule::NoStop => 10,
            Rule::RunnerUnprotected => 5,
            Rule::ScaledInRange => 2,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Rule {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .into_iter()
            .find(|r| r.id() == s.trim())
            .ok_or_else(|| UnknownName {
                what: "rule",
                value: s.to_owned(),
                expected: "averaging-down, add-not-smaller, stop-not-trailed, stop-loosened, \
                           risk-above-initial, no-stop, runner-unprotected, scaled-in-range",
            })
    }
}

pub use crate::domain::RuleSettings;

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            weights: Rule::ALL.map(Rule::default_weight),
            risk_tolerance: Decimal::ZERO,
        }
    }
}

impl RuleSettings {
    /// The penalty for one violation of `rule`.
    pub fn weight(&self, rule: Rule) -> u32 {
        self.weights[rule.index()]
    }

    /// The score of a trade with these violations: 100 minus the penalties,
    /// never below 0.
    pub fn score<'a>(&self, rules: impl IntoIterator<Item = &'a Rule>) -> u32 {
        let penalty: u32 = rules
            .into_iter()
            .map(|&r| self.weight(r))
            .fold(0, u32::saturating_add);
        100u32.saturating_sub(penalty)
    }
}
