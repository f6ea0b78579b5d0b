//! The pyramid planner in the app: live in the editor while an add row is
//! typed, and as a small form in an open trade's detail.
//!
//! Both ask [`crate::analysis::planner`]: the largest add at a price and
//! stop (rounded down to the instrument's quantity step, smaller than the
//! last tranche, refused when it would average down), the stop a given size
//! needs, and the worst case after it.

use egui::{RichText, Ui};
use rust_decimal::Decimal;

use crate::analysis::RuleSettings;
use crate::analysis::format::{money, num, price};
use crate::analysis::planner::{Plan, PlanError, PlanInput, plan};
use crate::domain::{EventKind, Trade};
use crate::import::instrument::quantity_step;

use super::error_color;
use super::form::{RowKind, TradeForm, parse_decimal};
use super::time::Zone;

/// What the planner says about an add being typed in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePlan {
    /// The add's row, 0-based.
    pub row: usize,
    /// The add's price.
    pub price: Decimal,
    /// The stop the plan assumes: the first stop row after the add, else the
    /// stop in force before it.
    pub stop: Decimal,
    /// The size typed in the add's row, if it parses.
    pub typed: Option<Decimal>,
    /// The plan, or why there is none.
    pub plan: Result<Plan, PlanError>,
    /// Decimal places of the trade's prices.
    pub price_dp: u32,
}

/// The plan for the last add of `form` when it is being typed: an entry row
/// after the initial entry, with no fill after it, whose price parses and
/// whose earlier rows make a valid trade. The size typed in the row (if it
/// parses) is the size whose stop is asked for.
pub fn live_plan(form: &TradeForm, zone: &Zone) -> Option<LivePlan> {
    let fills: Vec<usize> = (0..form.rows.len())
        .filter(|&i| form.rows[i].kind.is_fill())
        .collect();
    let &row = fills.last()?;
    let add = &form.rows[row];
    let entries_before = form.rows[..row]
        .iter()
        .filter(|r| r.kind == RowKind::Entry)
        .count();
    if add.kind != RowKind::Entry || entries_before == 0 {
        return None;
    }
    let price_value = parse_decimal(&add.price, "price").ok()?;
    let mut before = form.clone();
    before.rows.truncate(row);
    let preview = before.preview(zone, &RuleSettings::default());
    let trade = preview.trade?;
    let typed_stop = form.rows[row + 1..]
        .iter()
        .filter(|r| r.kind == RowKind::Stop)
        .find_map(|r| parse_decimal(&r.price, "stop").ok());
    let stop = typed_stop.or_else(|| stop_in_force(&trade))?;
    let fee = parse_decimal(&add.fee, "fee").unwrap_or_default();
    let qty = parse_decimal(&add.qty, "quantity")
        .ok()
        .filter(|q| *q > Decimal::ZERO);
    let input = PlanInput {
        price: price_value,
        stop,
        fee,
        qty,
        step: quantity_step(&trade),
    };
    Some(LivePlan {
        row,
        price: price_value,
        stop,
        typed: qty,
        plan: plan(&trade, &input),
        price_dp: preview.price_dp,
    })
}

/// The stop in force after the last event.
fn stop_in_force(trade: &Trade) -> Option<Decimal> {
    trade.events.iter().rev().find_map(|e| match e.kind {
        EventKind::Stop { price } => Some(price),
        _ => None,
    })
}

/// The text of the largest add, as both surfaces write it.
pub fn largest_add_text(plan: &Plan) -> String {
    format!(
        "Largest add at this price and stop: {} ({})",
        num(plan.max_add),
        match plan.limit {
            crate::analysis::planner::Limit::Risk => "keeps the worst case within the initial risk",
            crate::analysis::planner::Limit::SmallerThanLast => "smaller than the last tranche",
            crate::analysis::planner::Limit::AveragingDown => "no add: averaging down",
        }
    )
}

/// The text of the stop a size needs.
pub fn stop_needed_text(plan: &Plan, qty: Decimal, dp: u32) -> Option<String> {
    let stop = plan.stop_needed?;
    let worst = plan.worst_case_after?;
    Some(format!(
        "An add of {} needs the stop at {} or better (worst case at the planned stop {})",
        num(qty),
        price(stop, dp + 2),
        money(worst)
    ))
}

/// Draws a plan's answer: the largest add, the refusal if any, and the stop
/// the typed size needs.
pub fn plan_ui(ui: &mut Ui, outcome: &Result<Plan, PlanError>, typed: Option<Decimal>, dp: u32) {
    match outcome {
        Err(error) => {
            ui.weak(format!("No plan: {error}."));
        }
        Ok(plan) => {
            ui.label(RichText::new(largest_add_text(plan)).strong());
            if let Some(reason) = &plan.refusal {
                ui.colored_label(error_color(ui), format!("No add: {reason}."));
            }
            if let Some(qty) = typed
                && let Some(text) = stop_needed_text(plan, qty, dp)
            {
                ui.label(text);
            }
        }
    }
}

/// Draws the editor's live plan under the event grid.
pub fn live_plan_ui(ui: &mut Ui, live: &LivePlan) {
    ui.group(|ui| {
        ui.label(format!(
            "Planner for the add in row {}, at {} with the stop at {}:",
            live.row + 1,
            price(live.price, live.price_dp),
            price(live.stop, live.price_dp)
        ));
        plan_ui(ui, &live.plan, live.typed, live.price_dp);
    });
}

/// The detail's planner form: price, stop, fee and an optional size.
#[derive(Debug, Clone, Default)]
pub struct PlannerForm {
    /// The add's price, as typed.
    pub price: String,
    /// The stop with the add, as typed.
    pub stop: String,
    /// The add's fee, as typed (empty is zero).
    pub fee: String,
    /// A size in mind, as typed (optional).
    pub qty: String,
}

impl PlannerForm {
    /// The plan for `trade` from what is typed; `None` until the price and
    /// stop parse, or an error naming the field that does not.
    pub fn outcome(&self, trade: &Trade) -> Option<Result<Result<Plan, PlanError>, String>> {
        if self.price.trim().is_empty() || self.stop.trim().is_empty() {
            return None;
        }
        let parsed = (|| {
            let price = parse_decimal(&self.price, "price")?;
            let stop = parse_decimal(&self.stop, "stop")?;
            let fee = if self.fee.trim().is_empty() {
                Decimal::ZERO
            } else {
                parse_decimal(&self.fee, "fee")?
            };
            let qty = if self.qty.trim().is_empty() {
                None
            } else {
                Some(parse_decimal(&self.qty, "quantity")?)
            };
            Ok(PlanInput {
                price,
                stop,
                fee,
                qty,
                step: quantity_step(trade),
            })
        })();
        Some(parsed.map(|input| plan(trade, &input)))
    }

    /// Draws the form and its answer for an open `trade`.
    pub fn ui(&mut self, ui: &mut Ui, trade: &Trade, dp: u32) {
        egui::Grid::new("planner-form")
            .num_columns(4)
            .spacing([6.0, 4.0])
            .show(ui, |ui| {
                for (name, text, hint) in [
                    ("Add price", &mut self.price, "price"),
                    ("Stop with the add", &mut self.stop, "stop"),
                ] {
                    let label = ui.label(name);
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .id_salt(("planner", name))
                            .hint_text(hint)
                            .desired_width(90.0),
                    )
                    .labelled_by(label.id);
                }
                ui.end_row();
                for (name, text, hint) in [
                    ("Add fee", &mut self.fee, "0"),
                    ("Add size", &mut self.qty, "optional"),
                ] {
                    let label = ui.label(name);
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .id_salt(("planner", name))
                            .hint_text(hint)
                            .desired_width(90.0),
                    )
                    .labelled_by(label.id);
                }
                ui.end_row();
            });
        match self.outcome(trade) {
            None => {
                ui.weak("Type the add's price and the stop you will move to.");
            }
            Some(Err(message)) => {
                ui.colored_label(error_color(ui), message);
            }
            Some(Ok(outcome)) => {
                let typed = outcome
                    .as_ref()
                    .ok()
                    .and_then(|p| (!self.qty.trim().is_empty()).then_some(p.qty).flatten());
                plan_ui(ui, &outcome, typed, dp);
            }
        }
    }
}
