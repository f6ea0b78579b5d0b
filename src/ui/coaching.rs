//! The review's coaching sections: what breaking the scaling-in rules cost
//! (the disciplined twin, [`crate::analysis::twin`]): the cumulative R of the
//! trades as they were against their twins, and the totals in all, by rule
//! and by setup.
//!
//! [`Coaching`] keeps what it draws in a cache, recomputed when the trades'
//! revision or the filter changes, for the trades that pass the filter the
//! list and the review share.

use egui::{Color32, Ui};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoint, PlotPoints};

use crate::analysis::format;
use crate::analysis::stats::Filter;
use crate::analysis::twin::{CostTotal, TwinTotals, twin_totals};

use super::{Command, ViewContext};

/// The review's coaching sections and their cache.
#[derive(Default)]
pub struct Coaching {
    cache: Option<Cached>,
}

struct Cached {
    revision: u64,
    filter: Filter,
    twin: TwinTotals,
    actual_curve: Vec<PlotPoint>,
    twin_curve: Vec<PlotPoint>,
}

/// The sentence over all three scaling-in rules.
pub const TWIN_WHAT: &str = "breaking the scaling-in rules";

impl Coaching {
    /// The twin totals last drawn, for tests.
    pub fn twin_totals(&self) -> Option<&TwinTotals> {
        self.cache.as_ref().map(|c| &c.twin)
    }

    /// Recomputes the cache if the trades or the filter changed.
    pub fn refresh(&mut self, view: &ViewContext<'_>) {
        let filter = view.filter.to_filter(view.zone);
        let revision = view.trades.revision();
        if self
            .cache
            .as_ref()
            .is_some_and(|c| c.revision == revision && c.filter == filter)
        {
            return;
        }
        let matcher = filter.matcher();
        let rows = view.trades.rows();
        let twin = twin_totals(
            rows.iter()
                .filter(|r| matcher.accepts(&r.trade, &r.analysis))
                .map(|r| (r.id, &*r.trade, &r.analysis)),
        );
        let f = |d: rust_decimal::Decimal| -> f64 { d.try_into().unwrap_or(0.0) };
        let actual_curve = twin
            .curve
            .iter()
            .enumerate()
            .map(|(i, p)| PlotPoint::new(i as f64 + 1.0, f(p.actual_r)))
            .collect();
        let twin_curve = twin
            .curve
            .iter()
            .enumerate()
            .map(|(i, p)| PlotPoint::new(i as f64 + 1.0, f(p.twin_r)))
            .collect();
        self.cache = Some(Cached {
            revision,
            filter,
            twin,
            actual_curve,
            twin_curve,
        });
    }

    /// Draws the coaching sections.
    pub fn ui(&mut self, ui: &mut Ui, view: &ViewContext<'_>) -> Vec<Command> {
        self.refresh(view);
        let commands = Vec::new();
        let Some(cache) = &self.cache else {
            return commands;
        };
        twin_section(ui, cache);
        commands
    }
}

fn cost_row(ui: &mut Ui, name: &str, total: &CostTotal) {
    ui.label(name);
    ui.label(total.trades.to_string());
    ui.label(format::price(-total.cost_r, 1));
    ui.label(
        total
            .cost
            .iter()
            .map(|(currency, cost)| format::money_for_people(-*cost, currency))
            .collect::<Vec<_>>()
            .join(", "),
    );
    ui.end_row();
}

fn twin_section(ui: &mut Ui, cache: &Cached) {
    ui.heading("Without the broken adds");
    let totals = &cache.twin;
    ui.label(format!("{}.", capitalised(&totals.all.sentence(TWIN_WHAT))));
    ui.weak(format!(
        "Each trade is replayed without its adds that broke averaging-down, add-not-smaller or \
         scaled-in-range, over {} closed trades.",
        totals.trades
    ));
    if cache.actual_curve.len() > 1 {
        Plot::new(egui::Id::unique("review-twin-curve"))
            .height(180.0)
            .legend(Legend::default().position(Corner::LeftTop))
            .x_axis_label("closed trades with an R")
            .y_axis_label("cumulative R")
            .show(ui, |plot| {
                plot.line(
                    Line::new("As traded", PlotPoints::Borrowed(&cache.actual_curve))
                        .color(Color32::from_rgb(60, 130, 220))
                        .width(1.5),
                );
                plot.line(
                    Line::new(
                        "Without broken adds",
                        PlotPoints::Borrowed(&cache.twin_curve),
                    )
                    .color(Color32::from_gray(140))
                    .width(1.5),
                );
            });
    }
    egui::Grid::new("twin-costs")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for heading in ["Broken", "Trades", "Loss in R", "Loss in money"] {
                ui.strong(heading);
            }
            ui.end_row();
            cost_row(ui, "all three rules", &totals.all);
            for (rule, total) in &totals.by_rule {
                cost_row(ui, rule.id(), total);
            }
            for (setup, total) in &totals.by_setup {
                if total.trades > 0 {
                    cost_row(ui, &format!("setup: {setup}"), total);
                }
            }
        });
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
