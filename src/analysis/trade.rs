//! One trade's position arithmetic, rule checks and scale-out counterfactuals.
//!
//! Everything follows RULES.md: average cost, with the cost basis `C = A*Q`
//! kept exactly so that a closed trade's P&L equals its cash flows to the
//! last digit. The walk over the events is a single pass; comparisons that
//! involve the average entry are made on `C` and `Q` so that no division is
//! needed except when a partial exit removes cost.

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::Serialize;

use super::format::{money, num, price};
use super::rules::{Rule, RuleSettings};
use crate::domain::{EventKind, Trade};

/// The position after one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Open quantity `Q`.
    pub open_qty: Decimal,
    /// Average entry `A` of the open quantity; `None` while flat.
    pub avg_entry: Option<Decimal>,
    /// Realized gross P&L `G`.
    pub realized: Decimal,
    /// Fees paid so far `F`.
    pub fees: Decimal,
    /// The stop in force `S`.
    pub stop: Option<Decimal>,
    /// Worst case if stopped now, `W = G - F + s*(S - A)*Q*m`; `None` without a stop.
    pub worst_case: Option<Decimal>,
}

/// A place where a rule was broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// The 0-based index, in the trade's time-ordered events, of the event that broke it.
    pub event: usize,
    /// That event's time.
    pub at: DateTime<FixedOffset>,
    /// What happened, in words, with the numbers.
    pub message: String,
}

/// Whether scaling out helped or hurt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The market came back: the scale-outs kept gains that holding would have lost.
    Protected,
    /// The market ran on: the scale-outs gave up gains that holding would have made.
    Capped,
    /// Holding to the last exit would have ended the same.
    Neutral,
}

impl Verdict {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Protected => "protected",
            Verdict::Capped => "capped",
            Verdict::Neutral => "neutral",
        }
    }
}

/// What scaling out did, for a trade with two exits or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScaleOut {
    /// The actual gross P&L.
    pub actual: Decimal,
    /// Gross P&L had every exit been made at the last exit's price.
    pub held_to_last_exit: Decimal,
    /// Gross P&L had every exit been made at the first exit's price.
    pub all_out_at_first_exit: Decimal,
    /// `actual - held_to_last_exit`: positive protected, negative capped.
    pub effect: Decimal,
    /// The sign of `effect`, in words.
    pub verdict: Verdict,
}

/// Everything the journal knows about one trade's management.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TradeAnalysis {
    /// Time of the initial entry.
    pub opened_at: Option<DateTime<FixedOffset>>,
    /// Time of the exit that closed the position; `None` while open.
    pub closed_at: Option<DateTime<FixedOffset>>,
    /// Quantity still open after the last event.
    pub open_qty: Decimal,
    /// The average entry of the position: of the open quantity while open,
    /// and as it stood before the final exit once closed (exits do not change it).
    pub avg_entry: Option<Decimal>,
    /// Realized gross P&L.
    pub gross_pnl: Decimal,
    /// Fees paid.
    pub fees: Decimal,
    /// `gross_pnl - fees`.
    pub net_pnl: Decimal,
    /// Initial risk `R = q0 * |p0 - S0| * m`; `None` without an initial stop.
    pub initial_risk: Option<Decimal>,
    /// `net_pnl / R`, unrounded; `None` without `R` (or with `R = 0`).
    pub r_multiple: Option<Decimal>,
    /// Number of adds (entries after the initial one).
    pub adds: u32,
    /// Number of exits that left quantity open.
    pub partial_exits: u32,
    /// Every rule broken, in event order.
    pub violations: Vec<Violation>,
    /// 0 to 100.
    pub score: u32,
    /// Present for trades with two exits or more.
    pub scale_out: Option<ScaleOut>,
}

impl TradeAnalysis {
    /// Whether the position is closed.
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Whether the trade has at least one add.
    pub fn is_scaled_in(&self) -> bool {
        self.adds > 0
    }

    /// Whether the trade broke `rule`.
    pub fn broke(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// The most serious rule broken (the one with the highest weight).
    pub fn worst_rule(&self, settings: &RuleSettings) -> Option<Rule> {
        self.violations
            .iter()
            .map(|v| v.rule)
            .max_by_key(|&r| (settings.weight(r), std::cmp::Reverse(r.index())))
    }
}

/// Analyses `trade`, a validated trade with its events in time order.
pub fn analyze(trade: &Trade, settings: &RuleSettings) -> TradeAnalysis {
    Walk::new(trade, settings, false).run().0
}

/// Analyses `trade` and also returns the position after every event.
pub fn analyze_with_steps(trade: &Trade, settings: &RuleSettings) -> (TradeAnalysis, Vec<Step>) {
    Walk::new(trade, settings, true).run()
}

/// A rule check that waits for the stop moves that follow a fill.
#[derive(Debug, Clone, Copy)]
enum Pending {
    /// An add: the stop must be trailed and the risk kept within `R`.
    Add {
        event: usize,
        qty: Decimal,
        price: Decimal,
        stop_before: Option<Decimal>,
    },
    /// The first partial exit: the runner needs a stop at break-even or better.
    Runner { event: usize },
}

/// The state of the single pass over a trade's events.
struct Walk<'a> {
    trade: &'a Trade,
    settings: &'a RuleSettings,
    sign: Decimal,
    multiplier: Decimal,
    /// Decimal places used for prices in messages.
    price_dp: u32,
    qty: Decimal,
    cost: Decimal,
    realized: Decimal,
    fees: Decimal,
    stop: Option<Decimal>,
    /// The stop in force before the current run of same-time stop/target events.
    run_stop: Option<Decimal>,
    /// The size of the last tranche (initial entry or add).
    last_tranche: Option<Decimal>,
    /// Index of the initial entry.
    initial: Option<usize>,
    initial_risk: Option<Decimal>,
    /// Whether an initial stop was set at or before the initial entry's time.
    initial_risk_known: bool,
    last_avg: Option<Decimal>,
    adds: u32,
    partial_exits: u32,
    closed_at: Option<DateTime<FixedOffset>>,
    exits: Vec<(Decimal, Decimal)>,
    pending: Vec<Pending>,
    violations: Vec<Violation>,
    steps: Option<Vec<Step>>,
}

impl<'a> Walk<'a> {
    fn new(trade: &'a Trade, settings: &'a RuleSettings, with_steps: bool) -> Self {
        let price_dp = trade
            .events
            .iter()
            .map(|e| e.kind.price().normalize().scale())
            .max()
            .unwrap_or(0)
            .clamp(2, 8);
        Walk {
            trade,
            settings,
            sign: trade.side.sign(),
            multiplier: trade.multiplier,
            price_dp,
            qty: Decimal::ZERO,
            cost: Decimal::ZERO,
            realized: Decimal::ZERO,
            fees: Decimal::ZERO,
            stop: None,
            run_stop: None,
            last_tranche: None,
            initial: None,
            initial_risk: None,
            initial_risk_known: false,
            last_avg: None,
            adds: 0,
            partial_exits: 0,
            closed_at: None,
            exits: Vec::new(),
            pending: Vec::new(),
            violations: Vec::new(),
            steps: with_steps.then(|| Vec::with_capacity(trade.events.len())),
        }
    }

    fn avg(&self) -> Option<Decimal> {
        (!self.qty.is_zero()).then(|| self.cost / self.qty)
    }

    /// `W = G - F + s*(S*Q - C)*m`, which is RULES.md's `s*(S - A)*Q*m` without a division.
    fn worst_case(&self) -> Option<Decimal> {
        self.stop.map(|s| {
            self.realized - self.fees + self.sign * (s * self.qty - self.cost) * self.multiplier
        })
    }

    fn flag(&mut self, rule: Rule, event: usize, message: String) {
        self.violations.push(Violation {
            rule,
            event,
            at: self.trade.events[event].at,
            message,
        });
    }

    fn p(&self, value: Decimal) -> String {
        price(value, self.price_dp)
    }

    fn run(mut self) -> (TradeAnalysis, Vec<Step>) {
        let trade = self.trade;
        let events = &trade.events;
        for (i, event) in events.iter().enumerate() {
            let starts_run = i == 0 || events[i - 1].kind.is_fill() || events[i - 1].at != event.at;
            if starts_run {
                self.run_stop = self.stop;
            }
            // The initial risk is fixed by the stop in force once every event at
            // the initial entry's time is applied.
            if let Some(initial) = self.initial
                && !self.initial_risk_known
                && event.at != events[initial].at
            {
                self.fix_initial_risk();
            }
            match event.kind {
                EventKind::Entry(fill) | EventKind::Exit(fill) => {
                    self.settle_pending();
                    self.fees += fill.fee;
                    if matches!(event.kind, EventKind::Entry(_)) {
                        self.enter(i, fill.qty, fill.price);
                    } else {
                        self.exit(i, fill.qty, fill.price);
                    }
                }
                EventKind::Stop { price: new } => {
                    if let Some(old) = self.stop
                        && self.sign * (new - old) < Decimal::ZERO
                    {
                        let message = format!(
                            "Moved the stop from {} to {}, away from the trade: the stop was loosened.",
                            self.p(old),
                            self.p(new)
                        );
                        self.flag(Rule::StopLoosened, i, message);
                    }
                    self.stop = Some(new);
                }
                EventKind::Target { .. } => {}
            }
            if self.steps.is_some() {
                let step = Step {
                    open_qty: self.qty,
                    avg_entry: self.avg(),
                    realized: self.realized,
                    fees: self.fees,
                    stop: self.stop,
                    worst_case: self.worst_case(),
                };
                if let Some(steps) = self.steps.as_mut() {
                    steps.push(step);
                }
            }
        }
        if self.initial.is_some() && !self.initial_risk_known {
            self.fix_initial_risk();
        }
        self.settle_pending();
        self.check_no_stop();
        self.finish()
    }

    fn fix_initial_risk(&mut self) {
        self.initial_risk_known = true;
        let Some(initial) = self.initial else { return };
        let EventKind::Entry(fill) = self.trade.events[initial].kind else {
            return;
        };
        self.initial_risk = self
            .stop
            .map(|s| fill.qty * (fill.price - s).abs() * self.multiplier);
    }

    fn enter(&mut self, i: usize, qty: Decimal, price: Decimal) {
        if self.initial.is_none() {
            self.initial = Some(i);
        } else {
            self.adds += 1;
            // s*(p - A) > 0, multiplied through by Q > 0.
            if self.qty > Decimal::ZERO
                && self.sign * (price * self.qty - self.cost) <= Decimal::ZERO
            {
                let message = format!(
                    "Added {} at {} while the average entry was {}: averaging down.",
                    num(qty),
                    self.p(price),
                    self.p(self.cost / self.qty)
                );
                self.flag(Rule::AveragingDown, i, message);
            }
            if let Some(previous) = self.last_tranche
                && qty >= previous
            {
                let before = if self.adds == 1 {
                    "the initial entry"
                } else {
                    "the previous add"
                };
                let message = format!(
                    "Added {}, not smaller than {} of {}.",
                    num(qty),
                    before,
                    num(previous)
                );
                self.flag(Rule::AddNotSmaller, i, message);
            }
            if self.trade.market_condition == crate::domain::MarketCondition::Range
                || self.trade.is_scalp()
            {
                let where_ = if self.trade.market_condition == crate::domain::MarketCondition::Range
                {
                    "in a range-bound market"
                } else {
                    "on a scalp"
                };
                let message = format!(
                    "Added {} at {} {}: scaling in suits trends, not ranges or small targets.",
                    num(qty),
                    self.p(price),
                    where_
                );
                self.flag(Rule::ScaledInRange, i, message);
            }
            self.pending.push(Pending::Add {
                event: i,
                qty,
                price,
                stop_before: self.run_stop,
            });
        }
        self.last_tranche = Some(qty);
        self.qty += qty;
        self.cost += price * qty;
        self.last_avg = self.avg();
    }

    fn exit(&mut self, i: usize, qty: Decimal, price: Decimal) {
        if self.qty <= Decimal::ZERO {
            // Not a valid trade; nothing to take the exit from.
            return;
        }
        let qty = qty.min(self.qty);
        let removed = if qty == self.qty {
            self.cost
        } else {
            self.cost * qty / self.qty
        };
        self.realized += self.sign * (price * qty - removed) * self.multiplier;
        self.cost -= removed;
        self.qty -= qty;
        self.exits.push((qty, price));
        if self.qty.is_zero() {
            self.cost = Decimal::ZERO;
            self.closed_at = Some(self.trade.events[i].at);
        } else {
            self.partial_exits += 1;
            if self.partial_exits == 1 {
                self.pending.push(Pending::Runner { event: i });
            }
        }
    }

    /// Runs the checks that wait for the stop moves following a fill, now that
    /// the next fill (or the end of the trade) has come.
    fn settle_pending(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            match pending {
                Pending::Add {
                    event,
                    qty,
                    price,
                    stop_before,
                } => self.check_add(event, qty, price, stop_before),
                Pending::Runner { event } => self.check_runner(event),
            }
        }
    }

    fn check_add(
        &mut self,
        event: usize,
        qty: Decimal,
        price: Decimal,
        stop_before: Option<Decimal>,
    ) {
        let trailed = match (stop_before, self.stop) {
            (Some(before), Some(after)) => self.sign * (after - before) > Decimal::ZERO,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if !trailed {
            let message = match self.stop {
                Some(stop) => format!(
                    "Added {} at {} but the stop stayed at {}: it was not trailed before the next fill.",
                    num(qty),
                    self.p(price),
                    self.p(stop)
                ),
                None => format!(
                    "Added {} at {} with no stop to trail.",
                    num(qty),
                    self.p(price)
                ),
            };
            self.flag(Rule::StopNotTrailed, event, message);
        }
        if let (Some(risk), Some(worst), Some(stop)) =
            (self.initial_risk, self.worst_case(), self.stop)
        {
            let limit = -risk * (Decimal::ONE + self.settings.risk_tolerance);
            if worst < limit {
                let message = format!(
                    "After adding {} at {}, the stop at {} would end the trade at {}, beyond the initial risk of {}.",
                    num(qty),
                    self.p(price),
                    self.p(stop),
                    money(worst),
                    money(-risk)
                );
                self.flag(Rule::RiskAboveInitial, event, message);
            }
        }
    }

    fn check_runner(&mut self, event: usize) {
        let Some(avg) = self.avg() else { return };
        match self.stop {
            // s*(S - A) >= 0, multiplied through by Q > 0.
            Some(stop) if self.sign * (stop * self.qty - self.cost) >= Decimal::ZERO => {}
            Some(stop) => {
                let message = format!(
                    "After the first partial exit the stop stayed at {}, short of break-even at {}: the runner was unprotected.",
                    self.p(stop),
                    self.p(avg)
                );
                self.flag(Rule::RunnerUnprotected, event, message);
            }
            None => {
                let message = format!(
                    "After the first partial exit the runner had no stop; break-even was {}.",
                    self.p(avg)
                );
                self.flag(Rule::RunnerUnprotected, event, message);
            }
        }
    }

    fn check_no_stop(&mut self) {
        let Some(initial) = self.initial else { return };
        let events = &self.trade.events;
        let entry_at = events[initial].at;
        let has_initial_stop = events
            .iter()
            .take_while(|e| e.at <= entry_at)
            .any(|e| matches!(e.kind, EventKind::Stop { .. }));
        if has_initial_stop {
            return;
        }
        let first_stop = events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Stop { .. }));
        let EventKind::Entry(fill) = events[initial].kind else {
            return;
        };
        let message = match first_stop {
            Some(stop) => format!(
                "Entered {} at {} with no stop; the first stop came at {}.",
                num(fill.qty),
                self.p(fill.price),
                stop.at.format("%Y-%m-%d %H:%M")
            ),
            None => format!(
                "Entered {} at {} and never set a stop.",
                num(fill.qty),
                self.p(fill.price)
            ),
        };
        self.flag(Rule::NoStop, initial, message);
    }

    fn finish(mut self) -> (TradeAnalysis, Vec<Step>) {
        self.violations.sort_by_key(|v| v.event);
        let score = self.settings.score(self.violations.iter().map(|v| &v.rule));
        let net_pnl = self.realized - self.fees;
        let r_multiple = self
            .initial_risk
            .filter(|r| !r.is_zero())
            .map(|r| net_pnl / r);
        let scale_out = scale_out(self.sign, self.multiplier, self.realized, &self.exits);
        let analysis = TradeAnalysis {
            opened_at: self.initial.map(|i| self.trade.events[i].at),
            closed_at: self.closed_at,
            open_qty: self.qty,
            avg_entry: self.avg().or(self.last_avg),
            gross_pnl: self.realized,
            fees: self.fees,
            net_pnl,
            initial_risk: self.initial_risk,
            r_multiple,
            adds: self.adds,
            partial_exits: self.partial_exits,
            violations: self.violations,
            score,
            scale_out,
        };
        (analysis, self.steps.unwrap_or_default())
    }
}

/// The scale-out counterfactuals of a trade's exits `(qty, price)`.
fn scale_out(
    sign: Decimal,
    multiplier: Decimal,
    actual: Decimal,
    exits: &[(Decimal, Decimal)],
) -> Option<ScaleOut> {
    let (&(_, first), &(_, last)) = (exits.first()?, exits.last()?);
    if exits.len() < 2 {
        return None;
    }
    let shifted = |to: Decimal| -> Decimal {
        actual
            + exits
                .iter()
                .map(|&(q, p)| sign * (to - p) * q * multiplier)
                .sum::<Decimal>()
    };
    let held_to_last_exit = shifted(last);
    let all_out_at_first_exit = shifted(first);
    let effect = actual - held_to_last_exit;
    let verdict = if effect > Decimal::ZERO {
        Verdict::Protected
    } else if effect < Decimal::ZERO {
        Verdict::Capped
    } else {
        Verdict::Neutral
    };
    Some(ScaleOut {
        actual,
        held_to_last_exit,
        all_out_at_first_exit,
        effect,
        verdict,
    })
}
