//! The review's calendar: a month of daily net P&L, each day coloured by its
//! result and marked with the mean score of its trades, with the week's total
//! beside each week; or a whole year as a heat map. A trade belongs to the
//! day it opened, in the zone times are shown in, as the filter's dates do:
//! clicking a day filters the list (and the review) to that day's trades.

use chrono::{Datelike, Duration, NaiveDate};
use egui::{Color32, RichText, Sense, Ui};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::analysis::breakdown::Day;
use crate::analysis::format::money_for_people;
use crate::ui::filter::TradeFilter;
use crate::ui::{Command, score_color};

/// Which calendar is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CalendarMode {
    /// One month, day by day.
    #[default]
    Month,
    /// A whole year as a heat map.
    Year,
}

/// The calendar's state: its mode and the month or year shown.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Month or year.
    pub mode: CalendarMode,
    /// The first day of the month shown (the last month with trades when unset).
    pub month: Option<NaiveDate>,
    /// The year shown in the year view.
    pub year: Option<i32>,
}

/// The accessible name of a day's cell, by which tests find it.
pub fn day_label(date: NaiveDate) -> String {
    format!("Day {date}")
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn add_months(month: NaiveDate, delta: i32) -> NaiveDate {
    let index = month.year() * 12 + month.month0() as i32 + delta;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(month)
}

/// An amount for a calendar cell: to the currency's minor unit, thousands
/// grouped, without the currency (the calendar names it once).
fn figure(value: Decimal, currency: &str) -> String {
    crate::analysis::format::grouped_to(value, crate::analysis::format::minor_unit(currency))
}

/// A day's net P&L in `currency`, if it closed a trade in it.
fn net_in(day: &Day, currency: Option<&str>) -> Option<Decimal> {
    currency.and_then(|c| day.net_pnl.get(c).copied())
}

/// The colour of a result: green for a gain, red for a loss, grey for none;
/// `strength` (0 to 1) from faint to full.
fn result_color(ui: &Ui, value: Option<Decimal>, strength: f32) -> Color32 {
    let strength = strength.clamp(0.15, 1.0);
    let base = match value {
        Some(v) if v > Decimal::ZERO => Color32::from_rgb(40, 160, 90),
        Some(v) if v < Decimal::ZERO => Color32::from_rgb(205, 60, 50),
        Some(_) => Color32::from_gray(150),
        None => return ui.visuals().faint_bg_color,
    };
    base.gamma_multiply(strength)
}

impl Calendar {
    /// Draws the calendar of `days` (in date order) with money in
    /// `currency`; returns the filter to the day clicked.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        days: &[Day],
        currency: Option<&str>,
        filter: &TradeFilter,
    ) -> Vec<Command> {
        ui.heading("Calendar");
        let Some(last) = days.last().map(|d| d.date) else {
            ui.weak("No trades to show.");
            return Vec::new();
        };
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.mode, CalendarMode::Month, "Month")
                .on_hover_text("One month, day by day, with each week's total");
            ui.selectable_value(&mut self.mode, CalendarMode::Year, "Year")
                .on_hover_text("A whole year as a heat map");
            ui.weak(format!(
                "Net P&L of the closed trades opened each day{}; the dot is the day's mean score. Click a day to list its trades.",
                currency.map_or(String::new(), |c| format!(" in {c}"))
            ));
        });
        match self.mode {
            CalendarMode::Month => self.month_ui(ui, days, last, currency, filter),
            CalendarMode::Year => self.year_ui(ui, days, last, currency, filter),
        }
    }

    fn month_ui(
        &mut self,
        ui: &mut Ui,
        days: &[Day],
        last: NaiveDate,
        currency: Option<&str>,
        filter: &TradeFilter,
    ) -> Vec<Command> {
        let mut commands = Vec::new();
        let month = self.month.unwrap_or_else(|| first_of_month(last));
        ui.horizontal(|ui| {
            if ui.button("<").on_hover_text("The month before").clicked() {
                self.month = Some(add_months(month, -1));
            }
            ui.strong(month.format("%B %Y").to_string());
            if ui.button(">").on_hover_text("The month after").clicked() {
                self.month = Some(add_months(month, 1));
            }
            if ui
                .button("Latest")
                .on_hover_text("The last month with trades")
                .clicked()
            {
                self.month = None;
            }
        });
        let next = add_months(month, 1);
        let start = days.partition_point(|d| d.date < month);
        let end = days.partition_point(|d| d.date < next);
        let in_month = &days[start..end];
        let mut month_total = Decimal::ZERO;
        // Weeks run Monday to Sunday; the grid starts on the Monday on or before the 1st.
        let first = month - Duration::days(i64::from(month.weekday().num_days_from_monday()));
        // Seven days and the week's total share the panel's width.
        let cell = egui::vec2(
            ((ui.available_width() - 8.0 * 6.0) / 8.0).clamp(40.0, 120.0),
            46.0,
        );
        egui::Grid::new("review-calendar-month")
            .spacing(egui::vec2(4.0, 4.0))
            .show(ui, |ui| {
                for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Week"] {
                    ui.strong(name);
                }
                ui.end_row();
                let mut week_start = first;
                while week_start < next {
                    let mut week_total = Decimal::ZERO;
                    let mut week_trades = 0;
                    for offset in 0..7 {
                        let date = week_start + Duration::days(offset);
                        let day = in_month
                            .binary_search_by_key(&date, |d| d.date)
                            .ok()
                            .map(|i| &in_month[i]);
                        if date.month() != month.month() {
                            ui.label("");
                            continue;
                        }
                        let net = day.and_then(|d| net_in(d, currency));
                        if let Some(net) = net {
                            week_total += net;
                            month_total += net;
                        }
                        week_trades += day.map_or(0, |d| d.trades);
                        if day_cell(ui, cell, date, day, net, currency) {
                            commands.push(Command::SetFilter(filter.on_day(date)));
                        }
                    }
                    ui.vertical(|ui| {
                        if week_trades > 0 {
                            let text =
                                currency.map_or_else(|| "-".to_owned(), |c| figure(week_total, c));
                            let color = crate::ui::pnl_color(ui, week_total);
                            ui.add(
                                egui::Label::new(RichText::new(text).strong().color(color))
                                    .wrap_mode(egui::TextWrapMode::Extend),
                            );
                            let count = if week_trades == 1 {
                                "1 trade".to_owned()
                            } else {
                                format!("{week_trades} trades")
                            };
                            ui.add(
                                egui::Label::new(RichText::new(count).weak())
                                    .wrap_mode(egui::TextWrapMode::Extend),
                            );
                        }
                    });
                    ui.end_row();
                    week_start += Duration::days(7);
                }
            });
        if let Some(c) = currency {
            ui.label(format!(
                "{}: {} over {} trades",
                month.format("%B %Y"),
                money_for_people(month_total, c),
                in_month.iter().map(|d| d.trades).sum::<usize>()
            ));
        }
        commands
    }

    fn year_ui(
        &mut self,
        ui: &mut Ui,
        days: &[Day],
        last: NaiveDate,
        currency: Option<&str>,
        filter: &TradeFilter,
    ) -> Vec<Command> {
        let mut commands = Vec::new();
        let year = self.year.unwrap_or(last.year());
        ui.horizontal(|ui| {
            if ui.button("<").on_hover_text("The year before").clicked() {
                self.year = Some(year - 1);
            }
            ui.strong(year.to_string());
            if ui.button(">").on_hover_text("The year after").clicked() {
                self.year = Some(year + 1);
            }
        });
        let (Some(jan1), Some(next_jan1)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year + 1, 1, 1),
        ) else {
            return commands;
        };
        let start = days.partition_point(|d| d.date < jan1);
        let end = days.partition_point(|d| d.date < next_jan1);
        let in_year = &days[start..end];
        // The largest daily result sets the full colour.
        let largest = in_year
            .iter()
            .filter_map(|d| net_in(d, currency))
            .map(|v| v.abs())
            .max()
            .unwrap_or_default();
        let first = jan1 - Duration::days(i64::from(jan1.weekday().num_days_from_monday()));
        let weeks = ((next_jan1 - first).num_days() + 6) / 7;
        // The weeks and the weekdays' names share the panel's width.
        let side = ((ui.available_width() - 30.0) / weeks as f32 - 2.0).clamp(4.0, 14.0);
        let size = egui::vec2(side, side);
        ui.horizontal_top(|ui| {
            ui.spacing_mut().item_spacing = egui::vec2(2.0, 2.0);
            ui.vertical(|ui| {
                for name in ["Mon", "", "Wed", "", "Fri", "", "Sun"] {
                    let (rect, _) = ui.allocate_exact_size(egui::vec2(26.0, side), Sense::hover());
                    ui.painter().text(
                        rect.right_center(),
                        egui::Align2::RIGHT_CENTER,
                        name,
                        egui::FontId::proportional(9.0),
                        ui.visuals().weak_text_color(),
                    );
                }
            });
            for week in 0..weeks {
                ui.vertical(|ui| {
                    for weekday in 0..7 {
                        let date = first + Duration::days(week * 7 + weekday);
                        let (rect, response) = ui.allocate_exact_size(size, Sense::click());
                        if date.year() != year {
                            continue;
                        }
                        let day = in_year
                            .binary_search_by_key(&date, |d| d.date)
                            .ok()
                            .map(|i| &in_year[i]);
                        let net = day.and_then(|d| net_in(d, currency));
                        let strength = match (net, largest.is_zero()) {
                            (Some(v), false) => super::f(v.abs() / largest) as f32,
                            _ => 1.0,
                        };
                        let fill = match day {
                            Some(_) => result_color(ui, net.or(Some(Decimal::ZERO)), strength),
                            None => ui.visuals().faint_bg_color,
                        };
                        ui.painter().rect_filled(rect, 2.0, fill);
                        let response = response.accessible_name(day_label(date));
                        if day.is_some() {
                            let response =
                                response.on_hover_text(day_text(date, day, net, currency));
                            if response.clicked() {
                                commands.push(Command::SetFilter(filter.on_day(date)));
                            }
                        }
                    }
                });
            }
        });
        let total: Decimal = in_year.iter().filter_map(|d| net_in(d, currency)).sum();
        if let Some(c) = currency {
            ui.label(format!(
                "{year}: {} over {} trades on {} days",
                money_for_people(total, c),
                in_year.iter().map(|d| d.trades).sum::<usize>(),
                in_year.len()
            ));
        }
        commands
    }
}

/// What a day's cell says on hover.
fn day_text(
    date: NaiveDate,
    day: Option<&Day>,
    net: Option<Decimal>,
    currency: Option<&str>,
) -> String {
    let Some(day) = day else {
        return format!("{date}: no trades");
    };
    let money = match (net, currency) {
        (Some(v), Some(c)) => money_for_people(v, c),
        _ => "no closed trade".to_owned(),
    };
    format!(
        "{date}: {money}\n{} trades opened ({} closed), mean score {}",
        day.trades,
        day.closed,
        crate::analysis::format::price(day.mean_score, 0)
    )
}

/// Draws one day of the month grid; returns whether it was clicked.
fn day_cell(
    ui: &mut Ui,
    size: egui::Vec2,
    date: NaiveDate,
    day: Option<&Day>,
    net: Option<Decimal>,
    currency: Option<&str>,
) -> bool {
    let sense = if day.is_some() {
        Sense::click()
    } else {
        Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(size, sense);
    let painter = ui.painter();
    let fill = match day {
        Some(_) => result_color(ui, net.or(Some(Decimal::ZERO)), 0.35),
        None => ui.visuals().faint_bg_color,
    };
    painter.rect_filled(rect, 4.0, fill);
    if response.hovered() && day.is_some() {
        painter.rect_stroke(
            rect,
            4.0,
            ui.visuals().widgets.hovered.fg_stroke,
            egui::StrokeKind::Inside,
        );
    }
    let text = ui.visuals().text_color();
    painter.text(
        rect.left_top() + egui::vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        date.day().to_string(),
        egui::FontId::proportional(11.0),
        ui.visuals().weak_text_color(),
    );
    if let Some(day) = day {
        let shown = match (net, currency) {
            (Some(v), Some(c)) => figure(v, c),
            _ => format!("{} open", day.trades - day.closed),
        };
        painter.text(
            rect.center_bottom() + egui::vec2(0.0, -4.0),
            egui::Align2::CENTER_BOTTOM,
            shown,
            egui::FontId::proportional(12.0),
            text,
        );
        // The mean score as a dot in the corner, coloured as scores are.
        let score = crate::analysis::format::price(day.mean_score, 0);
        let whole: u32 = score.parse().unwrap_or(0);
        let dot = rect.right_top() + egui::vec2(-8.0, 8.0);
        painter.circle_filled(dot, 5.0, score_color(ui, whole));
        painter.text(
            dot + egui::vec2(-8.0, 0.0),
            egui::Align2::RIGHT_CENTER,
            score,
            egui::FontId::proportional(10.0),
            ui.visuals().weak_text_color(),
        );
    }
    let response = response
        .accessible_name(day_label(date))
        .on_hover_text(day_text(date, day, net, currency));
    day.is_some() && response.clicked()
}
