//! How much may I add? The pyramid planner of RULES.md.
//!
//! For an open trade in state `Q, A, G, F, S` with initial risk `R`, an add
//! of `q` at price `p` with fee `f`, with the stop then at `S'`, keeps the
//! worst case within the initial risk when
//!
//! ```text
//! W' = G - F - f + s*(S' - A)*Q*m + s*(S' - p)*q*m >= -R      (m including the rate)
//! ```
//!
//! [`plan`] answers three questions from that: the largest add (rounded down
//! to the instrument's quantity step, and smaller than the last tranche), the
//! stop a given add needs, and the worst case after it. An add at or beyond
//! the average entry in the losing direction is refused as averaging down.
//!
//! The arithmetic keeps the cost basis `C = A*Q` exactly, as the analysis
//! does, so `s*(S' - A)*Q` is computed as `s*(S'*Q - C)` without a division.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::domain::{EventKind, Trade};

/// What binds the largest add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// The worst case after the add would pass the initial risk.
    Risk,
    /// The add must be smaller than the last tranche.
    SmallerThanLast,
    /// The add price is at or beyond the average entry in the losing
    /// direction: no add is allowed.
    AveragingDown,
}

impl Limit {
    /// The stable id: `risk`, `smaller-than-last` or `averaging-down`.
    pub fn id(self) -> &'static str {
        match self {
            Limit::Risk => "risk",
            Limit::SmallerThanLast => "smaller-than-last",
            Limit::AveragingDown => "averaging-down",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The add being planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanInput {
    /// The add's price `p`.
    pub price: Decimal,
    /// The stop the trader will move to with the add, `S'`.
    pub stop: Decimal,
    /// The add's fee `f` (zero or more; a negative fee is a credit).
    pub fee: Decimal,
    /// A size the trader has in mind: the plan then gives the stop it needs
    /// and its worst case.
    pub qty: Option<Decimal>,
    /// The instrument's quantity step: the largest add is a whole number of
    /// steps. Must be positive.
    pub step: Decimal,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The largest add, a whole number of steps; zero when none is allowed.
    pub max_add: Decimal,
    /// What binds it.
    pub limit: Limit,
    /// The largest add the initial risk alone allows (rounded down to the
    /// step, zero or more); `None` when the stop is not on the losing side of
    /// the add price, so that no size of add can lose more.
    pub risk_max: Option<Decimal>,
    /// The largest add smaller than the last tranche.
    pub smaller_max: Decimal,
    /// The size the stop and worst case below are for: the given size, else
    /// `max_add` (none when that is zero).
    pub qty: Option<Decimal>,
    /// The least favourable stop that keeps `W' >= -R` with an add of `qty`.
    pub stop_needed: Option<Decimal>,
    /// `W'` with an add of `qty` at the given stop.
    pub worst_case_after: Option<Decimal>,
    /// Why no add is allowed, in words; `None` when one is.
    pub refusal: Option<String>,
}

/// Why a trade cannot be planned for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The trade has no open quantity.
    #[error("the trade is not open: there is nothing to add to")]
    NotOpen,
    /// The trade has no initial risk to stay within.
    #[error(
        "the trade has no initial risk R (its initial stop is not known), so there is no risk to stay within"
    )]
    NoInitialRisk,
    /// The quantity step is not positive.
    #[error("the quantity step must be positive")]
    BadStep,
    /// The planned size is not positive.
    #[error("the add's quantity must be positive")]
    BadQty,
}

/// A trade's position after its last event, as the planner needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// `s`: +1 long, -1 short.
    pub sign: Decimal,
    /// `m × rate`.
    pub multiplier: Decimal,
    /// Open quantity `Q`.
    pub qty: Decimal,
    /// Cost basis `C = A*Q` of the open quantity.
    pub cost: Decimal,
    /// Realized gross P&L `G`.
    pub realized: Decimal,
    /// Fees paid `F`.
    pub fees: Decimal,
    /// The stop in force `S`.
    pub stop: Option<Decimal>,
    /// The size of the last tranche (the initial entry or the last add).
    pub last_tranche: Option<Decimal>,
    /// Initial risk `R`.
    pub initial_risk: Option<Decimal>,
}

impl Position {
    /// The position of `trade` (validated, events in time order) after its
    /// last event, with the analysis's average-cost arithmetic.
    pub fn of(trade: &Trade) -> Position {
        let sign = trade.side.sign();
        let multiplier = trade.money_multiplier();
        let mut p = Position {
            sign,
            multiplier,
            qty: Decimal::ZERO,
            cost: Decimal::ZERO,
            realized: Decimal::ZERO,
            fees: Decimal::ZERO,
            stop: None,
            last_tranche: None,
            initial_risk: super::analyze_with(
                trade,
                &super::RuleSettings::default(),
                super::Messages::Skip,
            )
            .initial_risk,
        };
        for event in &trade.events {
            match event.kind {
                EventKind::Entry(fill) => {
                    p.fees += fill.fee;
                    p.qty += fill.qty;
                    p.cost += fill.price * fill.qty;
                    p.last_tranche = Some(fill.qty);
                }
                EventKind::Exit(fill) => {
                    p.fees += fill.fee;
                    if p.qty <= Decimal::ZERO {
                        continue;
                    }
                    let qty = fill.qty.min(p.qty);
                    let removed = if qty == p.qty {
                        p.cost
                    } else {
                        p.cost * qty / p.qty
                    };
                    p.realized += sign * (fill.price * qty - removed) * multiplier;
                    p.cost -= removed;
                    p.qty -= qty;
                }
                EventKind::Stop { price } => p.stop = Some(price),
                EventKind::Target { .. } => {}
            }
        }
        p
    }

    /// The average entry `A`; `None` while flat.
    pub fn avg_entry(&self) -> Option<Decimal> {
        (!self.qty.is_zero()).then(|| self.cost / self.qty)
    }

    /// `W'` after an add of `qty` at `price` with `fee`, the stop at `stop`:
    /// `G - F - f + s*(S'*Q - C)*m + s*(S' - p)*q*m`.
    pub fn worst_case_after(
        &self,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
        stop: Decimal,
    ) -> Decimal {
        self.realized - self.fees - fee
            + self.sign * (stop * self.qty - self.cost) * self.multiplier
            + self.sign * (stop - price) * qty * self.multiplier
    }

    /// The least favourable stop with `W' = -R` after an add of `qty` at
    /// `price` with `fee`:
    /// `S' = (C + p*q)/(Q+q) + s*(F + f - G - R)/((Q+q)*m)`.
    pub fn stop_needed(
        &self,
        risk: Decimal,
        qty: Decimal,
        price: Decimal,
        fee: Decimal,
    ) -> Decimal {
        let total = self.qty + qty;
        (self.cost + price * qty) / total
            + self.sign * (self.fees + fee - self.realized - risk) / (total * self.multiplier)
    }
}

/// Plans an add to `trade`, an open, validated trade with its events in
/// time order.
pub fn plan(trade: &Trade, input: &PlanInput) -> Result<Plan, PlanError> {
    plan_position(&Position::of(trade), input)
}

/// Plans an add to a position (see [`plan`]).
pub fn plan_position(position: &Position, input: &PlanInput) -> Result<Plan, PlanError> {
    if input.step <= Decimal::ZERO {
        return Err(PlanError::BadStep);
    }
    if input.qty.is_some_and(|q| q <= Decimal::ZERO) {
        return Err(PlanError::BadQty);
    }
    if position.qty <= Decimal::ZERO {
        return Err(PlanError::NotOpen);
    }
    let risk = position.initial_risk.ok_or(PlanError::NoInitialRisk)?;
    let s = position.sign;
    let m = position.multiplier;
    let step = input.step;
    let (p, stop, fee) = (input.price, input.stop, input.fee);

    // Rule 2: strictly smaller than the last tranche, on the step grid.
    let last = position.last_tranche.unwrap_or(position.qty);
    let smaller_max = ((last / step).ceil() - Decimal::ONE).max(Decimal::ZERO) * step;

    // The risk limit: q_max = (G - F - f + s*(S'*Q - C)*m + R) / (s*(p - S')*m).
    let room = position.realized - position.fees - fee
        + s * (stop * position.qty - position.cost) * m
        + risk;
    let per_unit = s * (p - stop) * m;
    let risk_max = if per_unit > Decimal::ZERO {
        Some(((room / per_unit / step).floor() * step).max(Decimal::ZERO))
    } else if room >= Decimal::ZERO {
        // The stop is at or beyond the add price in the trade's favour: the
        // add itself cannot lose, so only the position's room counts.
        None
    } else {
        Some(Decimal::ZERO)
    };

    // Rule 1: s*(p - A) > 0, multiplied through by Q > 0.
    let averaging_down = s * (p * position.qty - position.cost) <= Decimal::ZERO;
    let (max_add, limit) = if averaging_down {
        (Decimal::ZERO, Limit::AveragingDown)
    } else {
        match risk_max {
            Some(r) if r <= smaller_max => (r, Limit::Risk),
            _ => (smaller_max, Limit::SmallerThanLast),
        }
    };
    let refusal = if averaging_down {
        let avg = position.avg_entry().unwrap_or_default();
        Some(format!(
            "an add at {} is at or beyond the average entry of {} in the losing direction: \
             that is averaging down; add only to a winning position",
            p.normalize(),
            avg.round_dp(8).normalize()
        ))
    } else if max_add.is_zero() {
        Some(match limit {
            Limit::Risk => format!(
                "with the stop at {}, even one more unit of {} would take the worst case \
                 beyond the initial risk of {}",
                stop.normalize(),
                step.normalize(),
                risk.normalize()
            ),
            _ => format!(
                "the last tranche was {}: an add must be smaller, and the smallest step is {}",
                last.normalize(),
                step.normalize()
            ),
        })
    } else {
        None
    };
    let qty = input.qty.or((!max_add.is_zero()).then_some(max_add));
    let stop_needed = qty.map(|q| position.stop_needed(risk, q, p, fee));
    let worst_case_after = qty.map(|q| position.worst_case_after(q, p, fee, stop));
    Ok(Plan {
        max_add,
        limit,
        risk_max,
        smaller_max,
        qty,
        stop_needed,
        worst_case_after,
        refusal,
    })
}
