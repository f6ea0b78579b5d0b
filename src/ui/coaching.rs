//! The review's coaching sections: what breaking the scaling-in rules cost
//! (the disciplined twin, [`crate::analysis::twin`]): the cumulative R of the
//! trades as they were against their twins, and the totals in all, by rule
//! and by setup; and tilt ([`crate::analysis::tilt`]): rule breaks after a
//! loss against after a win, soon after a loss (the window is a setting, 30
//! minutes by default), in runs, and by hour and weekday. Each figure says
//! its sample size; clicking it narrows the trade list to its trades.
//!
//! [`Coaching`] keeps what it draws in a cache, recomputed when the trades'
//! revision or the filter changes, for the trades that pass the filter the
//! list and the review share.

use egui::{Color32, Ui};
use egui_plot::{Corner, Legend, Line, Plot, PlotPoint, PlotPoints};

use crate::analysis::format;
use crate::analysis::stats::Filter;
use crate::analysis::tilt::{Group, Tilt, WEEKDAYS, tilt};
use crate::analysis::twin::{CostTotal, TwinTotals, twin_totals};
use crate::ui::filter::TradeSet;

use super::{Command, ViewContext};

/// The review's coaching sections and their cache.
#[derive(Default)]
pub struct Coaching {
    cache: Option<Cached>,
}

struct Cached {
    revision: u64,
    filter: Filter,
    window: u32,
    zone: crate::ui::time::Zone,
    tilt: Tilt,
    twin: TwinTotals,
    actual_curve: Vec<PlotPoint>,
    twin_curve: Vec<PlotPoint>,
}

/// The default tilt window, in minutes.
pub const DEFAULT_TILT_WINDOW: u32 = 30;

/// The sentence over all three scaling-in rules.
pub const TWIN_WHAT: &str = "breaking the scaling-in rules";

impl Coaching {
    /// The twin totals last drawn, for tests.
    pub fn twin_totals(&self) -> Option<&TwinTotals> {
        self.cache.as_ref().map(|c| &c.twin)
    }

    /// The tilt figures last drawn, for tests.
    pub fn tilt(&self) -> Option<&Tilt> {
        self.cache.as_ref().map(|c| &c.tilt)
    }

    /// Recomputes the cache if the trades, the filter, the zone or the
    /// window changed.
    pub fn refresh(&mut self, view: &ViewContext<'_>, window: u32) {
        let filter = view.filter.to_filter(view.zone);
        let revision = view.trades.revision();
        if self.cache.as_ref().is_some_and(|c| {
            c.revision == revision
                && c.filter == filter
                && c.window == window
                && &c.zone == view.zone
        }) {
            return;
        }
        let matcher = filter.matcher();
        let rows = view.trades.rows();
        let twin = twin_totals(
            rows.iter()
                .filter(|r| matcher.accepts(&r.trade, &r.analysis))
                .map(|r| (r.id, &*r.trade, &r.analysis)),
        );
        let zone = view.zone.clone();
        let tilt = tilt(
            rows.iter()
                .filter(|r| matcher.accepts(&r.trade, &r.analysis))
                .map(|r| (r.id, &*r.trade, &r.analysis)),
            chrono::Duration::minutes(i64::from(window)),
            |at| zone.convert(at),
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
            window,
            zone,
            tilt,
            twin,
            actual_curve,
            twin_curve,
        });
    }

    /// Draws the coaching sections; `window` is the tilt window setting
    /// (minutes; `None` is the default of 30), changed here.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        view: &ViewContext<'_>,
        window: &mut Option<u32>,
    ) -> Vec<Command> {
        let mut minutes = window.unwrap_or(DEFAULT_TILT_WINDOW);
        self.refresh(view, minutes);
        let mut commands = Vec::new();
        let Some(cache) = &self.cache else {
            return commands;
        };
        twin_section(ui, cache);
        if !view.rule_settings.playbooks.is_empty() {
            ui.separator();
            playbook_section(ui, view);
        }
        ui.separator();
        ui.heading("Tilt");
        ui.horizontal(|ui| {
            ui.label("Soon after a loss means within");
            let changed = ui
                .add(egui::DragValue::new(&mut minutes).range(1..=1440))
                .on_hover_text("Minutes after a losing trade closed")
                .changed();
            ui.label("minutes");
            if changed {
                *window = Some(minutes);
            }
        });
        commands.extend(tilt_section(ui, view, &cache.tilt));
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

/// A clickable figure: narrows the list to `group`'s trades.
fn figure(
    ui: &mut Ui,
    view: &ViewContext<'_>,
    text: &str,
    label: &str,
    group: &Group,
) -> Option<Command> {
    let clicked = ui
        .add_enabled(!group.ids.is_empty(), egui::Button::new(text).small())
        .on_hover_text(format!("List these {} trades", group.ids.len()))
        .clicked();
    clicked.then(|| narrow(view, label, group.ids.iter().copied()))
}

fn narrow(
    view: &ViewContext<'_>,
    label: &str,
    ids: impl IntoIterator<Item = crate::domain::TradeId>,
) -> Command {
    let mut filter = view.filter.clone();
    filter.only = Some(TradeSet::new(label, ids));
    Command::SetFilter(filter)
}

fn tilt_section(ui: &mut Ui, view: &ViewContext<'_>, tilt: &Tilt) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.label(format!("{}.", capitalised(&tilt.after_sentence())));
    ui.horizontal_wrapped(|ui| {
        commands.extend(figure(
            ui,
            view,
            &format!("After a loss: {}", tilt.after_loss.rate_text()),
            "after a loss",
            &tilt.after_loss,
        ));
        commands.extend(figure(
            ui,
            view,
            &format!("After a win: {}", tilt.after_win.rate_text()),
            "after a win",
            &tilt.after_win,
        ));
    });
    ui.label(format!("{}.", capitalised(&tilt.soon_sentence())));
    ui.horizontal_wrapped(|ui| {
        commands.extend(figure(
            ui,
            view,
            &format!(
                "Within {} minutes of a loss: {}",
                tilt.window_minutes,
                tilt.soon_after_loss.rate_text()
            ),
            "soon after a loss",
            &tilt.soon_after_loss,
        ));
    });
    ui.label(format!("{}.", capitalised(&tilt.streak_sentence())));
    if let Some(longest) = tilt.streaks.first() {
        ui.horizontal_wrapped(|ui| {
            if ui
                .small_button(format!("Longest run: {} trades", longest.ids.len()))
                .on_hover_text("List these trades")
                .clicked()
            {
                commands.push(narrow(
                    view,
                    "the longest run of broken trades",
                    longest.ids.iter().copied(),
                ));
            }
        });
    }
    let min = 5;
    let mut when = Vec::new();
    if let Some((hour, group)) = tilt.worst_hour(min) {
        when.push(format!(
            "you broke rules most often on trades opened {hour:02}:00–{hour:02}:59, in {}",
            group.rate_text()
        ));
    }
    if let Some((day, group)) = tilt.worst_weekday(min) {
        when.push(format!("on {}s, in {}", WEEKDAYS[day], group.rate_text()));
    }
    if when.is_empty() {
        ui.weak(format!("No hour or weekday has {min} trades yet."));
    } else {
        ui.label(format!("{}.", capitalised(&when.join("; "))));
    }
    ui.label("By the hour the trade was opened (broken of trades):");
    ui.horizontal_wrapped(|ui| {
        for (hour, group) in tilt.by_hour.iter().enumerate() {
            if group.ids.is_empty() {
                continue;
            }
            commands.extend(figure(
                ui,
                view,
                &format!("{hour:02}h: {} of {}", group.broken.len(), group.ids.len()),
                &format!("opened {hour:02}:00–{hour:02}:59"),
                group,
            ));
        }
    });
    ui.label("By weekday:");
    ui.horizontal_wrapped(|ui| {
        for (day, group) in tilt.by_weekday.iter().enumerate() {
            if group.ids.is_empty() {
                continue;
            }
            commands.extend(figure(
                ui,
                view,
                &format!(
                    "{}: {} of {}",
                    &WEEKDAYS[day][..3],
                    group.broken.len(),
                    group.ids.len()
                ),
                &format!("opened on a {}", WEEKDAYS[day]),
                group,
            ));
        }
    });
    commands
}

/// How one setup kept to its own playbook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaybookAdherence {
    /// The setup.
    pub setup: String,
    /// Closed trades of the setup that pass the filter.
    pub trades: usize,
    /// Those that broke no rule of the playbook.
    pub clean: usize,
    /// The mean score, under the playbook's weights.
    pub mean_score: Option<rust_decimal::Decimal>,
    /// Violations of `too-many-adds` and `outside-playbook-condition`.
    pub playbook_breaks: usize,
    /// The mean R-multiple, over trades with an R.
    pub mean_r: Option<rust_decimal::Decimal>,
    /// The playbook's planned target in R.
    pub target_r: Option<rust_decimal::Decimal>,
}

/// Each playbook's setup, measured against the playbook: the filtered
/// closed trades of the setup, how many kept to it, their mean score, and
/// their mean R beside the planned target.
pub fn playbook_adherence(view: &ViewContext<'_>) -> Vec<PlaybookAdherence> {
    use rust_decimal::Decimal;
    let filter = view.filter.to_filter(view.zone);
    let matcher = filter.matcher();
    view.rule_settings
        .playbooks
        .iter()
        .map(|playbook| {
            let mut row = PlaybookAdherence {
                setup: playbook.setup.clone(),
                target_r: playbook.target_r,
                ..PlaybookAdherence::default()
            };
            let (mut score_sum, mut r_sum, mut with_r) = (0u64, Decimal::ZERO, 0u32);
            for r in view.trades.rows().iter().filter(|r| {
                r.analysis.is_closed()
                    && playbook.is_for(&r.trade.setup)
                    && matcher.accepts(&r.trade, &r.analysis)
            }) {
                row.trades += 1;
                score_sum += u64::from(r.analysis.score);
                if r.analysis.violations.is_empty() {
                    row.clean += 1;
                }
                row.playbook_breaks += r
                    .analysis
                    .violations
                    .iter()
                    .filter(|v| crate::analysis::Rule::PLAYBOOK.contains(&v.rule))
                    .count();
                if let Some(rm) = r.analysis.r_multiple {
                    r_sum += rm;
                    with_r += 1;
                }
            }
            if row.trades > 0 {
                row.mean_score = Some(Decimal::from(score_sum) / Decimal::from(row.trades));
            }
            if with_r > 0 {
                row.mean_r = Some(r_sum / Decimal::from(with_r));
            }
            row
        })
        .collect()
}

fn playbook_section(ui: &mut Ui, view: &ViewContext<'_>) {
    ui.heading("Setups against their playbooks");
    ui.weak("Each setup with a playbook, judged by its own rules and weights.");
    let rows = playbook_adherence(view);
    egui::Grid::new("playbook-adherence")
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            for heading in [
                "Setup",
                "Trades",
                "Kept to it",
                "Mean score",
                "Playbook breaks",
                "Mean R (target)",
            ] {
                ui.strong(heading);
            }
            ui.end_row();
            for row in &rows {
                ui.label(&row.setup);
                ui.label(row.trades.to_string());
                ui.label(if row.trades > 0 {
                    format!(
                        "{}% ({} of {})",
                        format::price(
                            rust_decimal::Decimal::from(row.clean * 100)
                                / rust_decimal::Decimal::from(row.trades),
                            0
                        ),
                        row.clean,
                        row.trades
                    )
                } else {
                    "–".to_owned()
                });
                ui.label(
                    row.mean_score
                        .map_or_else(|| "–".to_owned(), |s| format::price(s, 0)),
                );
                ui.label(row.playbook_breaks.to_string());
                ui.label(format!(
                    "{}{}",
                    row.mean_r
                        .map_or_else(|| "–".to_owned(), |r| format::price(r, 2)),
                    row.target_r
                        .map(|t| format!(" ({})", format::price(t, 2)))
                        .unwrap_or_default()
                ));
                ui.end_row();
            }
        });
}
