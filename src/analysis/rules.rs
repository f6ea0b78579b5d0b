//! The eight scaling rules, the two playbook rules, their weights, and the score.

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
    /// More adds than the setup's playbook allows.
    TooManyAdds,
    /// Traded in a market condition the setup's playbook does not allow.
    OutsidePlaybookCondition,
}

impl Rule {
    /// The number of rules, the playbook rules included.
    pub const COUNT: usize = 10;

    /// The rules a setup's playbook adds: judged only on trades whose setup
    /// has a playbook, and weighted by it.
    pub const PLAYBOOK: [Rule; 2] = [Rule::TooManyAdds, Rule::OutsidePlaybookCondition];

    /// Every rule, the playbook rules last.
    pub const EVERY: [Rule; Rule::COUNT] = [
        Rule::AveragingDown,
        Rule::AddNotSmaller,
        Rule::StopNotTrailed,
        Rule::StopLoosened,
        Rule::RiskAboveInitial,
        Rule::NoStop,
        Rule::RunnerUnprotected,
        Rule::ScaledInRange,
        Rule::TooManyAdds,
        Rule::OutsidePlaybookCondition,
    ];

    /// The eight scaling rules every trade is judged by, most serious first.
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
            Rule::TooManyAdds => "too-many-adds",
            Rule::OutsidePlaybookCondition => "outside-playbook-condition",
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
            Rule::TooManyAdds => "Add no more often than the setup's playbook allows.",
            Rule::OutsidePlaybookCondition => {
                "Trade a setup only in the market conditions its playbook allows."
            }
        }
    }

    /// The rule's position in [`Rule::EVERY`] (and in [`Rule::ALL`] for the
    /// eight scaling rules).
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
            // Only a playbook weighs these (see `PLAYBOOK_DEFAULT_WEIGHTS`).
            Rule::TooManyAdds | Rule::OutsidePlaybookCondition => 0,
        }
    }

    /// The weight of a playbook rule in a playbook that does not set one.
    pub fn playbook_default_weight(self) -> u32 {
        match self {
            Rule::TooManyAdds => 5,
            Rule::OutsidePlaybookCondition => 3,
            other => other.default_weight(),
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
        Rule::EVERY
            .into_iter()
            .find(|r| r.id() == s.trim())
            .ok_or_else(|| UnknownName {
                what: "rule",
                value: s.to_owned(),
                expected: "averaging-down, add-not-smaller, stop-not-trailed, stop-loosened, \
                           risk-above-initial, no-stop, runner-unprotected, scaled-in-range, \
                           too-many-adds, outside-playbook-condition",
            })
    }
}

pub use crate::domain::RuleSettings;

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            weights: Rule::ALL.map(Rule::default_weight),
            risk_tolerance: Decimal::ZERO,
            playbooks: Vec::new(),
        }
    }
}

impl RuleSettings {
    /// The penalty for one violation of `rule` on a trade without a
    /// playbook (0 for the playbook rules).
    pub fn weight(&self, rule: Rule) -> u32 {
        self.weights.get(rule.index()).copied().unwrap_or(0)
    }

    /// The penalty for one violation of `rule` on a trade judged by
    /// `playbook`; `None` when the playbook says the rule does not apply.
    pub fn weight_in(&self, rule: Rule, playbook: Option<&crate::domain::Playbook>) -> Option<u32> {
        let Some(playbook) = playbook else {
            return Some(self.weight(rule));
        };
        match &playbook.weights {
            Some(weights) => weights.get(rule.id()).copied(),
            None if Rule::PLAYBOOK.contains(&rule) => Some(rule.playbook_default_weight()),
            None => Some(self.weight(rule)),
        }
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
