//! One trade's position arithmetic, rule checks and scale-out counterfactuals.
//!
//! Everything follows RULES.md: average cost, with the cost basis `C = A*Q`
//! kept exactly so that a closed trade's P&L equals its cash flows to the
//! last digit: the exit that closes the position books the cash flows
//! themselves, `s*(Σ exit proceeds - Σ entry costs)*m`, so the rounding of a
//! repeating average never reaches a closed trade. The walk over the events
//! is a single pass that allocates nothing but the violations; comparisons that
//! involve the average entry are made on `C` and `Q` so that no division is
//! needed except when a partial exit removes cost.

use std::cell::Cell;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::rules::{Rule, RuleSettings};

/// A violation's message, written only when messages are wanted.
macro_rules! say {
    ($walk:expr, $($format:tt)*) => {
        if $walk.messages { format!($($format)*) } else { String::new() }
    };
}
use crate::domain::{Event, EventKind, Trade};

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
    /// Initial risk `R = q0 * |p0 - S0| * m * rate`; `None` without a known initial stop.
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
    /// Whether the rules that read the stop history were judged: `false` when
    /// the stop in force at the initial entry is not known (see
    /// [`STOPS_NOT_JUDGED`]). Such a trade has no R either.
    pub stops_judged: bool,
}

/// Why a trade's stop rules are not judged, in a trader's words.
pub const STOPS_NOT_JUDGED: &str = "Stop rules not judged: the statement does not say where the \
     stop was when the trade was opened (a stop it shows is the one in force at the close). \
     Add the initial stop to judge them and to get an R.";

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
    Walk::new(trade, settings, false, Messages::Write).run().0
}

/// A trade's analysis as a list of trades holds it: everything but the
/// violations' messages ([`Messages::Skip`]), which are most of the cost of
/// analysing a trade that breaks rules and which a list never shows.
pub fn row_analysis(trade: &Trade, settings: &RuleSettings) -> TradeAnalysis {
    analyze_with(trade, settings, Messages::Skip)
}

/// A trade's net P&L, `G - F` in its currency (realized: for an open trade,
/// what its exits booked less every fee paid so far).
pub fn net_pnl(trade: &Trade) -> Decimal {
    analyze_with(trade, &RuleSettings::default(), Messages::Skip).net_pnl
}

/// Whether violations get their sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Messages {
    /// Every violation explains itself in words, with the numbers.
    Write,
    /// Violations carry an empty message: for statistics over a whole journal,
    /// which need the rules and events but not the sentences (writing them is
    /// most of the cost of analysing a trade that breaks rules). Everything
    /// else is the same as with [`Messages::Write`].
    Skip,
}

/// Analyses `trade`, with or without the violations' messages.
pub fn analyze_with(trade: &Trade, settings: &RuleSettings, messages: Messages) -> TradeAnalysis {
    Walk::new(trade, settings, false, messages).run().0
}

/// Analyses `trade` and also returns the position after every event.
pub fn analyze_with_steps(trade: &Trade, settings: &RuleSettings) -> (TradeAnalysis, Vec<Step>) {
    Walk::new(trade, settings, true, Messages::Write).run()
}

/// The realized gross P&L `G` and fees `F` of a position with `trade`'s
/// side, multiplier and rate that went through `events` (time-ordered) in
/// place of the trade's own: [`analyze`]'s arithmetic to the last digit,
/// without judging any rule. What a trade replayed otherwise (its twin)
/// needs of its analysis.
pub fn realized_over(trade: &Trade, events: &[Event]) -> (Decimal, Decimal) {
    let settings = RuleSettings::default();
    let mut walk = Walk::over(trade, events, false, &settings, false, Messages::Skip);
    walk.walk_events();
    (walk.realized, walk.fees)
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
    /// The events walked: the trade's own, but for [`realized_over`].
    events: &'a [Event],
    /// Whether the rules are judged; without, only the position arithmetic
    /// is done ([`realized_over`]).
    judge: bool,
    settings: &'a RuleSettings,
    sign: Decimal,
    multiplier: Decimal,
    /// Whether to write the violations' messages.
    messages: bool,
    /// Decimal places used for prices in messages, worked out when the first
    /// message needs them: most trades never do.
    price_dp: Cell<Option<u32>>,
    /// Why adds are flagged on this trade (range or scalp), once the first add asks.
    unsuited: Option<Option<&'static str>>,
    qty: Decimal,
    cost: Decimal,
    /// `Σ p*q` over every entry so far: the cash paid in, before the multiplier.
    entry_costs: Decimal,
    /// `Σ p*q` over every exit so far: the cash taken out, before the multiplier.
    exit_proceeds: Decimal,
    realized: Decimal,
    fees: Decimal,
    stop: Option<Decimal>,
    /// The stop in force before the current run of same-time stop/target events.
    run_stop: Option<Decimal>,
    /// The size of the last tranche (initial entry or add).
    last_tranche: Option<Decimal>,
    /// Index of the initial entry.
    initial: Option<usize>,
    /// `R`, known from the start: adds at the initial entry's own time are
    /// checked against it too.
    initial_risk: Option<Decimal>,
    /// `(C, Q)` after the last entry: the average entry of a closed trade,
    /// divided out only at the end.
    last_entry_position: (Decimal, Decimal),
    adds: u32,
    partial_exits: u32,
    closed_at: Option<DateTime<FixedOffset>>,
    /// What the scale-out counterfactuals need of the exits, summed as they come.
    exits: Exits,
    /// The check waiting for the next fill. Each fill settles what was
    /// pending before it and leaves at most one new check.
    pending: Option<Pending>,
    violations: Vec<Violation>,
    steps: Option<Vec<Step>>,
}

impl<'a> Walk<'a> {
    fn new(
        trade: &'a Trade,
        settings: &'a RuleSettings,
        with_steps: bool,
        messages: Messages,
    ) -> Self {
        Walk::over(trade, &trade.events, true, settings, with_steps, messages)
    }

    /// A walk over `events` with `trade`'s side, multiplier and rate,
    /// judging the rules or not.
    fn over(
        trade: &'a Trade,
        events: &'a [Event],
        judge: bool,
        settings: &'a RuleSettings,
        with_steps: bool,
        messages: Messages,
    ) -> Self {
        Walk {
            trade,
            events,
            judge,
            settings,
            sign: trade.side.sign(),
            multiplier: trade.money_multiplier(),
            messages: messages == Messages::Write,
            price_dp: Cell::new(None),
            unsuited: None,
            qty: Decimal::ZERO,
            cost: Decimal::ZERO,
            entry_costs: Decimal::ZERO,
            exit_proceeds: Decimal::ZERO,
            realized: Decimal::ZERO,
            fees: Decimal::ZERO,
            stop: None,
            run_stop: None,
            last_tranche: None,
            initial: None,
            initial_risk: if judge { initial_risk(trade) } else { None },
            last_entry_position: (Decimal::ZERO, Decimal::ZERO),
            adds: 0,
            partial_exits: 0,
            closed_at: None,
            exits: Exits::default(),
            pending: None,
            violations: Vec::new(),
            steps: with_steps.then(|| Vec::with_capacity(events.len())),
        }
    }

    /// `s * x` for comparisons with zero: a negation instead of a multiplication.
    fn in_favour(&self, x: Decimal) -> Decimal {
        if self.trade.side == crate::domain::Side::Long {
            x
        } else {
            -x
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
            at: self.events[event].at,
            message,
        });
    }

    fn p(&self, value: Decimal) -> Price {
        let dp = self.price_dp.get().unwrap_or_else(|| {
            let dp = super::format::price_dp(self.trade);
            self.price_dp.set(Some(dp));
            dp
        });
        Price(value, dp)
    }

    fn run(mut self) -> (TradeAnalysis, Vec<Step>) {
        self.walk_events();
        self.settle_pending();
        self.check_no_stop();
        self.finish()
    }

    /// The pass over the events; what waits for a later fill is left pending.
    fn walk_events(&mut self) {
        let trade = self.trade;
        let events = self.events;
        for (i, event) in events.iter().enumerate() {
            let starts_run = i == 0 || events[i - 1].kind.is_fill() || events[i - 1].at != event.at;
            if starts_run {
                self.run_stop = self.stop;
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
                        && self.judge
                        && trade.stops_known
                        && self.in_favour(new - old) < Decimal::ZERO
                    {
                        let message = say!(
                            self,
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
    }

    fn enter(&mut self, i: usize, qty: Decimal, price: Decimal) {
        if self.initial.is_none() {
            self.initial = Some(i);
        } else {
            self.adds += 1;
            if self.judge {
                self.judge_add(i, qty, price);
            }
        }
        self.last_tranche = Some(qty);
        self.qty += qty;
        let paid = price * qty;
        self.cost += paid;
        self.entry_costs += paid;
        self.last_entry_position = (self.cost, self.qty);
    }

    /// The rules an add breaks as it is made, and the checks that wait for
    /// the stop moves after it.
    fn judge_add(&mut self, i: usize, qty: Decimal, price: Decimal) {
        // s*(p - A) > 0, multiplied through by Q > 0.
        if self.qty > Decimal::ZERO && self.in_favour(price * self.qty - self.cost) <= Decimal::ZERO
        {
            let message = say!(
                self,
                "Added {} at {} while the average entry was {}: averaging down.",
                Num(qty),
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
            let message = say!(
                self,
                "Added {}, not smaller than {} of {}.",
                Num(qty),
                before,
                Num(previous)
            );
            self.flag(Rule::AddNotSmaller, i, message);
        }
        let trade = self.trade;
        let unsuited = *self.unsuited.get_or_insert_with(|| {
            if trade.market_condition == crate::domain::MarketCondition::Range {
                Some("in a range-bound market")
            } else if trade.is_scalp() {
                Some("on a scalp")
            } else {
                None
            }
        });
        if let Some(where_) = unsuited {
            let message = say!(
                self,
                "Added {} at {} {}: scaling in suits trends, not ranges or small targets.",
                Num(qty),
                self.p(price),
                where_
            );
            self.flag(Rule::ScaledInRange, i, message);
        }
        self.pending = Some(Pending::Add {
            event: i,
            qty,
            price,
            stop_before: self.run_stop,
        });
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
        let proceeds = price * qty;
        self.exit_proceeds += proceeds;
        self.cost -= removed;
        self.qty -= qty;
        self.exits.add(qty, price);
        if self.qty.is_zero() {
            // Closed: the realized P&L is the cash flows, exactly. Summing the
            // exits one by one would carry the rounding of every partial
            // exit's share of a repeating cost basis (28 significant digits).
            self.realized = self.sign * (self.exit_proceeds - self.entry_costs) * self.multiplier;
            self.cost = Decimal::ZERO;
            self.closed_at = Some(self.events[i].at);
        } else {
            self.realized += self.sign * (proceeds - removed) * self.multiplier;
            self.partial_exits += 1;
            if self.partial_exits == 1 && self.judge {
                self.pending = Some(Pending::Runner { event: i });
            }
        }
    }

    /// Runs the checks that wait for the stop moves following a fill, now that
    /// the next fill (or the end of the trade) has come.
    fn settle_pending(&mut self) {
        if let Some(pending) = self.pending.take() {
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
        if !self.trade.stops_known {
            return;
        }
        let trailed = match (stop_before, self.stop) {
            (Some(before), Some(after)) => self.in_favour(after - before) > Decimal::ZERO,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        if !trailed {
            let message = match self.stop {
                Some(stop) => say!(
                    self,
                    "Added {} at {} but the stop stayed at {}: it was not trailed before the next fill.",
                    Num(qty),
                    self.p(price),
                    self.p(stop)
                ),
                None => say!(
                    self,
                    "Added {} at {} with no stop to trail.",
                    Num(qty),
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
                let message = say!(
                    self,
                    "After adding {} at {}, the stop at {} would end the trade at {}, beyond the initial risk of {}.",
                    Num(qty),
                    self.p(price),
                    self.p(stop),
                    Price::money(worst),
                    Price::money(-risk)
                );
                self.flag(Rule::RiskAboveInitial, event, message);
            }
        }
    }

    fn check_runner(&mut self, event: usize) {
        if self.qty.is_zero() || !self.trade.stops_known {
            return;
        }
        // Break-even, for the message only.
        let avg = || self.cost / self.qty;
        match self.stop {
            // s*(S - A) >= 0, multiplied through by Q > 0.
            Some(stop) if self.in_favour(stop * self.qty - self.cost) >= Decimal::ZERO => {}
            Some(stop) => {
                let message = say!(
                    self,
                    "After the first partial exit the stop stayed at {}, short of break-even at {}: the runner was unprotected.",
                    self.p(stop),
                    self.p(avg())
                );
                self.flag(Rule::RunnerUnprotected, event, message);
            }
            None => {
                let message = say!(
                    self,
                    "After the first partial exit the runner had no stop; break-even was {}.",
                    self.p(avg())
                );
                self.flag(Rule::RunnerUnprotected, event, message);
            }
        }
    }

    fn check_no_stop(&mut self) {
        if !self.trade.stops_known {
            return;
        }
        let Some(initial) = self.initial else { return };
        let events = self.events;
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
            Some(stop) => say!(
                self,
                "Entered {} at {} with no stop; the first stop came at {}.",
                Num(fill.qty),
                self.p(fill.price),
                stop.at.format("%Y-%m-%d %H:%M")
            ),
            None => say!(
                self,
                "Entered {} at {} and never set a stop.",
                Num(fill.qty),
                self.p(fill.price)
            ),
        };
        self.flag(Rule::NoStop, initial, message);
    }

    /// The setup's playbook: its own rules, weights and limits.
    fn check_playbook(&mut self, playbook: &crate::domain::Playbook) {
        let trade = self.trade;
        if let Some(max) = playbook.max_adds {
            let mut adds = 0u32;
            for (i, event) in self.events.iter().enumerate() {
                let EventKind::Entry(fill) = event.kind else {
                    continue;
                };
                if Some(i) == self.initial {
                    continue;
                }
                adds += 1;
                if adds > max {
                    let message = say!(
                        self,
                        "Add {adds} ({} at {}): the {} playbook allows {} add{}.",
                        Num(fill.qty),
                        self.p(fill.price),
                        playbook.setup.trim(),
                        max,
                        if max == 1 { "" } else { "s" }
                    );
                    self.flag(Rule::TooManyAdds, i, message);
                }
            }
        }
        if !playbook.allows(trade.market_condition)
            && let Some(initial) = self.initial
        {
            let allowed: Vec<&str> = playbook.conditions.iter().map(|c| c.as_str()).collect();
            let message = say!(
                self,
                "Traded the {} setup in a {} market; its playbook allows only {}.",
                playbook.setup.trim(),
                trade.market_condition,
                allowed.join(" or ")
            );
            self.flag(Rule::OutsidePlaybookCondition, initial, message);
        }
    }

    fn finish(mut self) -> (TradeAnalysis, Vec<Step>) {
        let settings = self.settings;
        let playbook = crate::domain::playbook_for(&settings.playbooks, &self.trade.setup);
        if let Some(playbook) = playbook {
            self.check_playbook(playbook);
            self.violations
                .retain(|v| settings.weight_in(v.rule, Some(playbook)).is_some());
        }
        self.violations.sort_by_key(|v| v.event);
        let penalty: u32 = self
            .violations
            .iter()
            .map(|v| settings.weight_in(v.rule, playbook).unwrap_or(0))
            .fold(0, u32::saturating_add);
        let score = 100u32.saturating_sub(penalty);
        let net_pnl = self.realized - self.fees;
        let r_multiple = self
            .initial_risk
            .filter(|r| !r.is_zero())
            .map(|r| net_pnl / r);
        let scale_out = self.exits.scale_out(
            self.sign,
            self.multiplier,
            self.realized,
            self.exit_proceeds,
        );
        let analysis = TradeAnalysis {
            opened_at: self.initial.map(|i| self.events[i].at),
            closed_at: self.closed_at,
            open_qty: self.qty,
            avg_entry: self.avg().or_else(|| {
                let (cost, qty) = self.last_entry_position;
                (!qty.is_zero()).then(|| cost / qty)
            }),
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
            stops_judged: self.trade.stops_known,
        };
        (analysis, self.steps.unwrap_or_default())
    }
}

/// The initial risk `R = q0 * |p0 - S0| * m` of a trade with its events in
/// time order: `S0` is the stop in force once every event at the initial
/// entry's time is applied, whether logged before or after the entry.
/// `None` without an initial entry or without such a stop, and when the
/// trade's stops are not known (a stop it shows is not the initial one).
fn initial_risk(trade: &Trade) -> Option<Decimal> {
    if !trade.stops_known {
        return None;
    }
    let events = &trade.events;
    let (entry_at, fill) = events.iter().find_map(|e| match e.kind {
        EventKind::Entry(fill) => Some((e.at, fill)),
        _ => None,
    })?;
    let stop = events
        .iter()
        .take_while(|e| e.at <= entry_at)
        .filter_map(|e| match e.kind {
            EventKind::Stop { price } => Some(price),
            _ => None,
        })
        .last()?;
    Some(fill.qty * (fill.price - stop).abs() * trade.money_multiplier())
}

/// The exits, as far as the scale-out counterfactuals need them: with exits
/// `(q_i, p_i)`, `Σ s*(to - p_i)*q_i*m = s*(to*Σq_i - Σp_i*q_i)*m`, so their
/// count, first and last price and total quantity are enough (the proceeds
/// `Σp_i*q_i` are kept by the walk). No list, no allocation.
#[derive(Debug, Clone, Copy, Default)]
struct Exits {
    count: u32,
    first_price: Decimal,
    last_price: Decimal,
    qty: Decimal,
}

impl Exits {
    fn add(&mut self, qty: Decimal, price: Decimal) {
        if self.count == 0 {
            self.first_price = price;
        }
        self.count += 1;
        self.last_price = price;
        self.qty += qty;
    }

    /// The counterfactuals, for two exits or more; `proceeds` is `Σp_i*q_i`.
    fn scale_out(
        &self,
        sign: Decimal,
        multiplier: Decimal,
        actual: Decimal,
        proceeds: Decimal,
    ) -> Option<ScaleOut> {
        if self.count < 2 {
            return None;
        }
        let shifted = |to: Decimal| actual + sign * (to * self.qty - proceeds) * multiplier;
        let held_to_last_exit = shifted(self.last_price);
        let all_out_at_first_exit = shifted(self.first_price);
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
}

/// A quantity in a message, written as [`super::format::num`] writes it,
/// without a string of its own.
struct Num(Decimal);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.normalize().fmt(f)
    }
}

/// A price (or money, at 2 places) in a message, written as
/// [`super::format::price`] writes it, without a string of its own.
struct Price(Decimal, u32);

impl Price {
    fn money(value: Decimal) -> Price {
        Price(value, 2)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Price(value, dp) = *self;
        let rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
        write!(f, "{:.*}", dp as usize, rounded)
    }
}
