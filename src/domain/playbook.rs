//! Setup playbooks: how a setup is meant to be traded.
//!
//! A [`Playbook`] belongs to one setup (matched by name, ignoring case and
//! surrounding spaces). It says which rules apply to the setup's trades and
//! what each costs (overriding the journal's weights), the largest number of
//! adds, the market conditions the setup may be traded in, and an optional
//! planned target in R. A trade without a setup, or whose setup has no
//! playbook, is judged by the journal's rules alone.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::MarketCondition;

/// How one setup is meant to be traded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Playbook {
    /// The setup it is for, e.g. "breakout".
    pub setup: String,
    /// The rules that apply, by stable id, with the weight each violation
    /// costs. `None`: every rule applies, with the journal's weights (and
    /// the playbook rules' own defaults). A rule missing from the map does
    /// not apply to the setup.
    pub weights: Option<BTreeMap<String, u32>>,
    /// The largest number of adds; `None` for no limit.
    pub max_adds: Option<u32>,
    /// The market conditions the setup may be traded in; empty for any.
    pub conditions: Vec<MarketCondition>,
    /// The planned target, in R.
    pub target_r: Option<Decimal>,
}

impl Playbook {
    /// An empty playbook for `setup`: every rule with the journal's weights,
    /// no limits.
    pub fn new(setup: impl Into<String>) -> Self {
        Playbook {
            setup: setup.into(),
            ..Playbook::default()
        }
    }

    /// Whether this is the playbook of a trade with setup `setup`.
    pub fn is_for(&self, setup: &str) -> bool {
        let setup = setup.trim();
        !setup.is_empty() && self.setup.trim().eq_ignore_ascii_case(setup)
    }

    /// Whether the setup may be traded in `condition`.
    pub fn allows(&self, condition: MarketCondition) -> bool {
        self.conditions.is_empty() || self.conditions.contains(&condition)
    }
}

/// The playbook of a trade with setup `setup` among `playbooks`, if any.
pub fn playbook_for<'a>(playbooks: &'a [Playbook], setup: &str) -> Option<&'a Playbook> {
    playbooks.iter().find(|p| p.is_for(setup))
}
