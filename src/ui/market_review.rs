//! The review against the market: every trade's MAE and MFE in R as a
//! scatter coloured by result, what scale-outs left and saved by setup and
//! overall, and how often a winner first went further than 1R against the
//! trade. The excursions are computed by a worker job
//! ([`Command::LoadExcursions`]) and drawn from what it returned.

use egui::{Color32, Ui};
use egui_plot::{Legend, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points};

use crate::analysis::excursion::summarize;
use crate::analysis::format;

use super::{Command, ViewContext};

/// Draws the section; asks for the excursions when they are missing or stale.
pub fn market_section(ui: &mut Ui, view: &ViewContext<'_>) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("Against the market");
    let current = view
        .excursions
        .filter(|e| e.revision == view.trades.revision());
    if current.is_none() {
        commands.push(Command::LoadExcursions);
    }
    let Some(excursions) = view.excursions else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Measuring the trades against their price bars…");
        });
        return commands;
    };
    let filter = view.filter.to_filter(view.zone);
    let matcher = filter.matcher();
    let rows: Vec<_> = view
        .trades
        .rows()
        .iter()
        .filter(|row| matcher.accepts(&row.trade, &row.analysis))
        .filter_map(|row| excursions.by_trade.get(&row.id).map(|x| (row, x)))
        .collect();
    if rows.is_empty() {
        ui.weak(
            "No trade here has price bars. Import bars (MetaTrader, TradingView, NinjaTrader or \
             a CSV of Date, Open, High, Low, Close) with Import… to see how far each trade went \
             for and against you, and what the price did after each scale-out.",
        );
        return commands;
    }
    let summary = summarize(
        rows.iter()
            .map(|(row, x)| (&*row.trade, row.analysis.net_pnl, *x)),
    );

    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} trades measured against their bars.",
            summary.measured
        ));
        if summary.winners > 0 {
            let share = summary.winners_beyond_1r as f64 / summary.winners as f64 * 100.0;
            ui.label(format!(
                "Winners that first went further than 1R against you: {} of {} ({share:.0}%).",
                summary.winners_beyond_1r, summary.winners
            ))
            .on_hover_text(
                "Many: the stops may be too tight for these trades to survive. None at all: \
                 the stops may be wider than the trades need.",
            );
        }
    });

    let win = Color32::from_rgb(40, 160, 90);
    let loss = Color32::from_rgb(210, 70, 60);
    let f = |d: rust_decimal::Decimal| -> f64 { d.try_into().unwrap_or(0.0) };
    let (won, lost): (Vec<_>, Vec<_>) = summary.points.iter().partition(|p| p.won);
    let to_points = |points: Vec<&crate::analysis::excursion::ExcursionPoint>| -> Vec<PlotPoint> {
        points
            .into_iter()
            .map(|p| PlotPoint::new(f(p.mae_r), f(p.mfe_r)))
            .collect()
    };
    let (won, lost) = (to_points(won), to_points(lost));
    if won.is_empty() && lost.is_empty() {
        ui.weak("No measured trade has an initial stop, so there is no R to plot.");
    } else {
        ui.weak("MAE (x) and MFE (y) of each trade in R; the dashed line marks −1R.");
        let top = won.iter().chain(&lost).map(|p| p.y).fold(1.0f64, f64::max);
        let minus_one = [PlotPoint::new(-1.0, 0.0), PlotPoint::new(-1.0, top)];
        Plot::new("mae-mfe-scatter")
            .height(220.0)
            .legend(Legend::default())
            .include_x(0.0)
            .include_y(0.0)
            .x_axis_label("MAE (R)")
            .y_axis_label("MFE (R)")
            .allow_scroll(false)
            .show(ui, |plot| {
                plot.line(
                    Line::new("−1R", PlotPoints::Borrowed(&minus_one))
                        .color(Color32::GRAY)
                        .style(egui_plot::LineStyle::dashed_loose())
                        .allow_band(false),
                );
                plot.points(
                    Points::new("Winners", PlotPoints::Borrowed(&won))
                        .shape(MarkerShape::Circle)
                        .filled(true)
                        .color(win)
                        .radius(3.0),
                );
                plot.points(
                    Points::new("Losers", PlotPoints::Borrowed(&lost))
                        .shape(MarkerShape::Circle)
                        .filled(true)
                        .color(loss)
                        .radius(3.0),
                );
            });
    }

    if summary.overall.is_empty() {
        ui.weak("No measured trade took partial profits.");
        return commands;
    }
    ui.label("What scale-outs left and saved, against the market:");
    ui.weak(
        "Left: what the parts taken off could have added had they been held to the best price \
         before the trade ended. Saved: the most they protected against the worst price.",
    );
    egui::Grid::new("left-saved-by-setup")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for heading in ["Setup", "Currency", "Trades", "Left", "Saved"] {
                ui.strong(heading);
            }
            ui.end_row();
            for ((currency, setup), sum) in &summary.by_setup {
                ui.label(if setup.is_empty() {
                    "(no setup)"
                } else {
                    setup
                });
                ui.label(currency);
                ui.label(sum.trades.to_string());
                ui.label(format::money(sum.left));
                ui.label(format::money(sum.saved));
                ui.end_row();
            }
            for (currency, sum) in &summary.overall {
                ui.strong("All setups");
                ui.strong(currency);
                ui.strong(sum.trades.to_string());
                ui.strong(format::money(sum.left));
                ui.strong(format::money(sum.saved));
                ui.end_row();
            }
        });
    commands
}
