//! The trade without its broken adds: the disciplined twin of RULES.md.
//!
//! The twin replays a trade without every add that broke `averaging-down`,
//! `add-not-smaller` or `scaled-in-range` (as judged on the actual trade),
//! keeping everything else: stops and targets stay at their times, removed
//! adds take their fees with them, and each exit `(q, p, fee)` made while
//! `Q` was actually open and the twin held `Q'` becomes `q*Q'/Q` at the same
//! time and price with fee `fee*Q'/Q`; the final exit closes what the twin
//! holds. The twin's P&L follows the same arithmetic (`realized_over`),
//! its R is the trade's, and the cost of the broken adds is `N - N'`:
//! negative when they lost money, positive when breaking the rules paid.

use super::rules::Rule;
use super::trade::{TradeAnalysis, realized_over};
use crate::domain::{Event, EventKind, Fill, Trade};
use rust_decimal::Decimal;

/// The rules whose adds the twin leaves out.
pub const SCALING_IN_RULES: [Rule; 3] = [
    Rule::AveragingDown,
    Rule::AddNotSmaller,
    Rule::ScaledInRange,
];

/// A trade's disciplined twin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twin {
    /// The twin's realized gross P&L `G'`.
    pub gross_pnl: Decimal,
    /// The twin's fees `F'`.
    pub fees: Decimal,
    /// The twin's net P&L `N' = G' - F'`.
    pub net_pnl: Decimal,
    /// `N' / R`, with the trade's own R; `None` without one.
    pub r_multiple: Option<Decimal>,
    /// The cost of the broken adds, `N - N'`.
    pub cost: Decimal,
    /// The cost in R, `(N - N') / R`; `None` without R.
    pub cost_r: Option<Decimal>,
    /// The 0-based indexes, in the trade's events, of the adds left out.
    pub removed_adds: Vec<usize>,
    /// The twin's events: the trade's, without the removed adds and with
    /// its exits scaled. Each is paired with its index in the trade's events.
    pub events: Vec<(usize, Event)>,
}

/// What `trades --json` shows of a twin: its figures, without its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwinFigures {
    /// The twin's net P&L `N'`.
    pub net_pnl: Decimal,
    /// `N' / R`; `None` without R.
    pub r_multiple: Option<Decimal>,
    /// The cost of the broken adds, `N - N'`.
    pub cost: Decimal,
    /// The 0-based indexes, in the trade's events, of the adds left out.
    pub removed_adds: Vec<usize>,
}

impl TwinFigures {
    /// The figures of a twin that leaves nothing out, as [`twin`] gives
    /// them for a trade with no broken add: the trade's own.
    pub fn unchanged(analysis: &TradeAnalysis) -> TwinFigures {
        TwinFigures {
            net_pnl: analysis.net_pnl,
            r_multiple: analysis.r_multiple,
            cost: Decimal::ZERO,
            removed_adds: Vec::new(),
        }
    }
}

impl Twin {
    /// The twin's figures.
    pub fn figures(self) -> TwinFigures {
        TwinFigures {
            net_pnl: self.net_pnl,
            r_multiple: self.r_multiple,
            cost: self.cost,
            removed_adds: self.removed_adds,
        }
    }

    /// Whether the twin differs from the trade: it left out at least one add.
    pub fn differs(&self) -> bool {
        !self.removed_adds.is_empty()
    }

    /// The twin as a trade: `original`'s details with the twin's events.
    pub fn trade(&self, original: &Trade) -> Trade {
        let mut copy = original.clone();
        copy.events = self.events.iter().map(|(_, e)| *e).collect();
        copy
    }
}

/// The twin of `trade` (validated, events in time order) whose analysis is
/// `analysis`: without the adds that broke a scaling-in rule.
pub fn twin(trade: &Trade, analysis: &TradeAnalysis) -> Twin {
    twin_without(trade, analysis, &SCALING_IN_RULES)
}

/// The twin without only the adds that broke one of `rules`: what breaking
/// those rules alone cost.
pub fn twin_without(trade: &Trade, analysis: &TradeAnalysis, rules: &[Rule]) -> Twin {
    let mut removed: Vec<usize> = analysis
        .violations
        .iter()
        .filter(|v| rules.contains(&v.rule))
        .filter(|v| {
            matches!(
                trade.events.get(v.event).map(|e| e.kind),
                Some(EventKind::Entry(_))
            )
        })
        .map(|v| v.event)
        .collect();
    removed.sort_unstable();
    removed.dedup();
    if removed.is_empty() {
        // The figures of [`TwinFigures::unchanged`].
        return Twin {
            gross_pnl: analysis.gross_pnl,
            fees: analysis.fees,
            net_pnl: analysis.net_pnl,
            r_multiple: analysis.r_multiple,
            cost: Decimal::ZERO,
            cost_r: analysis.r_multiple.map(|_| Decimal::ZERO),
            removed_adds: removed,
            events: trade.events.iter().copied().enumerate().collect(),
        };
    }
    let events = replay(trade, &removed);
    let replayed: Vec<Event> = events.iter().map(|(_, e)| *e).collect();
    let (gross_pnl, fees) = realized_over(trade, &replayed);
    let net_pnl = gross_pnl - fees;
    let risk = analysis.initial_risk.filter(|r| !r.is_zero());
    let cost = analysis.net_pnl - net_pnl;
    Twin {
        gross_pnl,
        fees,
        net_pnl,
        r_multiple: risk.map(|r| net_pnl / r),
        cost,
        cost_r: risk.map(|r| cost / r),
        removed_adds: removed,
        events,
    }
}

/// The twin's events: the trade's without the adds at `removed` (sorted),
/// exits scaled by `Q'/Q`.
fn replay(trade: &Trade, removed: &[usize]) -> Vec<(usize, Event)> {
    let mut actual = Decimal::ZERO;
    let mut held = Decimal::ZERO;
    let mut events = Vec::with_capacity(trade.events.len());
    for (i, event) in trade.events.iter().enumerate() {
        match event.kind {
            EventKind::Entry(fill) => {
                actual += fill.qty;
                if removed.binary_search(&i).is_err() {
                    held += fill.qty;
                    events.push((i, *event));
                }
            }
            EventKind::Exit(fill) => {
                if actual <= Decimal::ZERO {
                    continue;
                }
                let (qty, fee) = if fill.qty >= actual {
                    (held, fill.fee * held / actual)
                } else if held == actual {
                    (fill.qty, fill.fee)
                } else {
                    (fill.qty * held / actual, fill.fee * held / actual)
                };
                actual -= fill.qty.min(actual);
                held -= qty;
                if actual.is_zero() {
                    held = Decimal::ZERO;
                }
                events.push((
                    i,
                    Event {
                        at: event.at,
                        kind: EventKind::Exit(Fill {
                            qty,
                            price: fill.price,
                            fee,
                        }),
                    },
                ));
            }
            EventKind::Stop { .. } | EventKind::Target { .. } => events.push((i, *event)),
        }
    }
    events
}

/// What breaking one group of rules cost over many trades.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostTotal {
    /// Trades with at least one add left out.
    pub trades: usize,
    /// `Σ (N - N')` in each currency (never added across currencies).
    pub cost: std::collections::BTreeMap<String, Decimal>,
    /// `Σ (N - N') / R` over the trades with an R.
    pub cost_r: Decimal,
}

impl CostTotal {
    fn add(&mut self, trade: &Trade, twin: &Twin) {
        if !twin.differs() {
            return;
        }
        self.trades += 1;
        *self.cost.entry(trade.currency.clone()).or_default() += twin.cost;
        self.cost_r += twin.cost_r.unwrap_or_default();
    }

    /// In a trader's words: "breaking the scaling-in rules cost 14.2 R,
    /// 6,340.00 USD over 212 trades" (a loss is a cost; where breaking them
    /// paid, it says so).
    pub fn sentence(&self, what: &str) -> String {
        if self.trades == 0 {
            return format!("{what}: no add broke them");
        }
        let total_cost = -self.cost_r;
        let money: Vec<String> = self
            .cost
            .iter()
            .map(|(currency, cost)| super::format::money_for_people((-*cost).abs(), currency))
            .collect();
        let lost = total_cost > Decimal::ZERO
            || (total_cost.is_zero()
                && self.cost.values().map(|c| -*c).sum::<Decimal>() > Decimal::ZERO);
        format!(
            "{what} {} {} R, {} over {} trade{}",
            if lost { "cost" } else { "paid" },
            super::format::price(total_cost.abs(), 1),
            money.join(", "),
            self.trades,
            if self.trades == 1 { "" } else { "s" }
        )
    }
}

/// One closed trade on the equity curves, actual and twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurvePoint {
    /// The trade.
    pub id: crate::domain::TradeId,
    /// When it closed.
    pub at: chrono::DateTime<chrono::FixedOffset>,
    /// The actual cumulative R-multiple so far.
    pub actual_r: Decimal,
    /// The twin's cumulative R-multiple so far.
    pub twin_r: Decimal,
}

/// What the broken adds cost over a journal's closed trades: in all, by rule
/// (each rule's own twin) and by setup, with the cumulative R curves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TwinTotals {
    /// Closed trades looked at.
    pub trades: usize,
    /// All three scaling-in rules together.
    pub all: CostTotal,
    /// Each scaling-in rule alone, in [`SCALING_IN_RULES`] order.
    pub by_rule: Vec<(Rule, CostTotal)>,
    /// All three rules, by setup (an empty setup is "(none)").
    pub by_setup: std::collections::BTreeMap<String, CostTotal>,
    /// Closed trades with an R, in the order they closed.
    pub curve: Vec<CurvePoint>,
}

/// The twin totals over `trades` (only closed trades count).
pub fn twin_totals<'a>(
    trades: impl IntoIterator<Item = (crate::domain::TradeId, &'a Trade, &'a TradeAnalysis)>,
) -> TwinTotals {
    let mut totals = TwinTotals {
        by_rule: SCALING_IN_RULES
            .iter()
            .map(|&r| (r, CostTotal::default()))
            .collect(),
        ..TwinTotals::default()
    };
    let mut closed: Vec<(
        chrono::DateTime<chrono::FixedOffset>,
        crate::domain::TradeId,
        Decimal,
        Decimal,
    )> = Vec::new();
    for (id, trade, analysis) in trades {
        let Some(closed_at) = analysis.closed_at else {
            continue;
        };
        totals.trades += 1;
        let all = twin(trade, analysis);
        totals.all.add(trade, &all);
        if all.differs() {
            for (rule, total) in &mut totals.by_rule {
                total.add(trade, &twin_without(trade, analysis, &[*rule]));
            }
        }
        let setup = if trade.setup.trim().is_empty() {
            "(none)".to_owned()
        } else {
            trade.setup.trim().to_owned()
        };
        totals.by_setup.entry(setup).or_default().add(trade, &all);
        if let (Some(r), Some(twin_r)) = (analysis.r_multiple, all.r_multiple) {
            closed.push((closed_at, id, r, twin_r));
        }
    }
    closed.sort_by_key(|&(at, id, _, _)| (at, id));
    let (mut actual, mut twin_sum) = (Decimal::ZERO, Decimal::ZERO);
    totals.curve = closed
        .into_iter()
        .map(|(at, id, r, twin_r)| {
            actual += r;
            twin_sum += twin_r;
            CurvePoint {
                id,
                at,
                actual_r: actual,
                twin_r: twin_sum,
            }
        })
        .collect();
    totals
}
