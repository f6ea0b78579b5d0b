//! The review's breakdowns by tag, account, weekday, hour of entry, holding
//! time and number of adds, each row clickable to filter the list (and the
//! review) to its trades; and the R-multiples beside their mean: the median,
//! a histogram, and the trades whose initial risk is tiny against their size,
//! each clickable to open it.

use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, Corner, Legend, Plot};
use rust_decimal::Decimal;

use crate::analysis::breakdown::{ADDS, Breakdowns, GroupStats, HoldingTime, RobustR, WEEKDAYS};
use crate::analysis::format::{money_for_people, percent, price};
use crate::ui::Command;
use crate::ui::filter::TradeFilter;

use super::small_sample;

/// The accessible name of a breakdown row's button, by which tests find it:
/// `By tag: earnings`.
pub fn row_label(table: &str, name: &str) -> String {
    format!("{table}: {name}")
}

/// One row of a table: its name, its group, and the filter clicking it sets.
struct Row<'a> {
    name: String,
    group: &'a GroupStats,
    filter: TradeFilter,
}

fn table(ui: &mut Ui, id: &str, title: &str, rows: Vec<Row<'_>>) -> Option<Command> {
    let rows: Vec<Row<'_>> = rows.into_iter().filter(|r| r.group.trades > 0).collect();
    if rows.is_empty() {
        return None;
    }
    let mut clicked = None;
    ui.strong(title);
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for heading in [
            "",
            "Trades",
            "Win rate",
            "Expectancy R",
            "Expectancy",
            "Mean score",
            "Broke rules",
            "",
        ] {
            ui.strong(heading);
        }
        ui.end_row();
        for row in rows {
            let g = row.group;
            let button = ui
                .add(egui::Button::new(&row.name).frame(false))
                .accessible_name(row_label(title, &row.name))
                .on_hover_text("List only these trades");
            if button.clicked() {
                clicked = Some(Command::SetFilter(row.filter));
            }
            ui.label(g.trades.to_string());
            ui.label(g.win_rate.map_or_else(|| "-".to_owned(), percent));
            ui.label(
                g.expectancy_r
                    .map_or_else(|| "-".to_owned(), |r| price(r, 2)),
            );
            ui.label(
                g.expectancy
                    .iter()
                    .map(|(c, v)| money_for_people(*v, c))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            ui.label(g.mean_score.map_or_else(|| "-".to_owned(), |s| price(s, 0)));
            ui.label(g.broken_rule_rate.map_or_else(|| "-".to_owned(), percent));
            small_sample(ui, g.trades);
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    clicked
}

/// Draws every breakdown; returns the filter of the row clicked.
pub fn tables(ui: &mut Ui, b: &Breakdowns, filter: &TradeFilter) -> Vec<Command> {
    ui.heading("Breakdowns");
    ui.weak(
        "Each row: trades, winners among the closed, mean R and mean net P&L per closed trade, \
         mean score, and the share of trades that broke a rule. Click a row to list its trades.",
    );
    let with = |f: &dyn Fn(&mut TradeFilter)| {
        let mut narrowed = filter.clone();
        f(&mut narrowed);
        narrowed
    };
    let mut commands = Vec::new();
    let by_tag = b
        .by_tag
        .iter()
        .map(|(tag, group)| Row {
            name: tag.clone(),
            group,
            filter: with(&|f| f.tag = tag.clone()),
        })
        .collect();
    commands.extend(table(ui, "review-by-tag", "By tag", by_tag));
    let by_account = b
        .by_account
        .iter()
        .map(|(account, group)| Row {
            name: if account.is_empty() {
                "(none)".to_owned()
            } else {
                account.clone()
            },
            group,
            filter: with(&|f| f.account = account.clone()),
        })
        .collect();
    commands.extend(table(ui, "review-by-account", "By account", by_account));
    let weekdays = [
        chrono::Weekday::Mon,
        chrono::Weekday::Tue,
        chrono::Weekday::Wed,
        chrono::Weekday::Thu,
        chrono::Weekday::Fri,
        chrono::Weekday::Sat,
        chrono::Weekday::Sun,
    ];
    let by_weekday = weekdays
        .iter()
        .zip(WEEKDAYS)
        .zip(&b.by_weekday)
        .map(|((day, name), group)| Row {
            name: name.to_owned(),
            group,
            filter: with(&|f| f.weekday = Some(*day)),
        })
        .collect();
    commands.extend(table(
        ui,
        "review-by-weekday",
        "By weekday of entry",
        by_weekday,
    ));
    let by_hour = (0u32..24)
        .zip(&b.by_hour)
        .map(|(hour, group)| Row {
            name: format!("{hour:02}:00"),
            group,
            filter: with(&|f| f.hour = Some(hour)),
        })
        .collect();
    commands.extend(table(ui, "review-by-hour", "By hour of entry", by_hour));
    let by_holding = HoldingTime::ALL
        .iter()
        .zip(&b.by_holding_time)
        .map(|(held, group)| Row {
            name: held.title().to_owned(),
            group,
            filter: with(&|f| f.holding = Some(*held)),
        })
        .collect();
    commands.extend(table(
        ui,
        "review-by-holding",
        "By holding time (closed trades)",
        by_holding,
    ));
    let by_adds = (0u32..)
        .zip(ADDS)
        .zip(&b.by_adds)
        .map(|((adds, name), group)| Row {
            name: name.to_owned(),
            group,
            filter: with(&|f| f.adds = Some(adds)),
        })
        .collect();
    commands.extend(table(ui, "review-by-adds", "By number of adds", by_adds));
    commands
}

/// The label of a histogram bin: `-1.5 to -1.0`, `below -3.0`, `5.0 and above`.
fn bin_name(from: Option<Decimal>, to: Option<Decimal>) -> String {
    match (from, to) {
        (None, Some(to)) => format!("below {}", price(to, 1)),
        (Some(from), None) => format!("{} and above", price(from, 1)),
        (Some(from), Some(to)) => format!("{} to {}", price(from, 1), price(to, 1)),
        (None, None) => "all".to_owned(),
    }
}

/// The accessible name of a tiny-risk trade's button.
pub fn tiny_label(id: crate::domain::TradeId) -> String {
    format!("Tiny risk trade {id}")
}

/// Draws the median, the histogram and the tiny-risk trades; returns the
/// trade clicked.
pub fn robust_r(ui: &mut Ui, r: &RobustR) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("R-multiples");
    let two = |v: Option<Decimal>| v.map_or_else(|| "-".to_owned(), |v| price(v, 2));
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "Mean R {}   Median R {}   over {} closed trades with a stop",
            two(r.mean_r),
            two(r.median_r),
            r.r_trades
        ));
        small_sample(ui, r.r_trades);
    });
    let tiny_color = Color32::from_rgb(205, 95, 20);
    if !r.tiny.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} trades risked less than 0.05% of their entry's value: their R says little and can drive the mean. Without them: mean R {}, median R {}.",
                r.tiny.len(),
                two(r.mean_r_without_tiny),
                two(r.median_r_without_tiny)
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    let bars: Vec<Bar> = r
        .histogram
        .iter()
        .enumerate()
        .map(|(i, bin)| {
            Bar::new(i as f64, (bin.trades - bin.tiny) as f64)
                .name(format!(
                    "{} R: {} trades",
                    bin_name(bin.from, bin.to),
                    bin.trades
                ))
                .width(0.9)
        })
        .collect();
    let tiny_bars: Vec<Bar> = r
        .histogram
        .iter()
        .enumerate()
        .filter(|(_, bin)| bin.tiny > 0)
        .map(|(i, bin)| {
            Bar::new(i as f64, bin.tiny as f64)
                .base_offset((bin.trades - bin.tiny) as f64)
                .name(format!(
                    "{} R: {} with a tiny risk",
                    bin_name(bin.from, bin.to),
                    bin.tiny
                ))
                .fill(tiny_color)
                .width(0.9)
        })
        .collect();
    let names: Vec<String> = r
        .histogram
        .iter()
        .map(|b| match (b.from, b.to) {
            (None, Some(to)) => format!("<{}", price(to, 0)),
            (Some(from), None) => format!("{}+", price(from, 0)),
            (Some(from), _) => price(from, 1),
            _ => String::new(),
        })
        .collect();
    if super::on_screen(ui, 180.0) {
        Plot::new("review-r-histogram")
            .height(180.0)
            .allow_scroll(false)
            .allow_drag(false)
            .allow_zoom(false)
            .legend(Legend::default().position(Corner::RightTop))
            .x_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 2.0, 4.0]))
            .x_axis_formatter(move |mark, _| {
                let i = mark.value.round();
                if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                    return String::new();
                }
                names.get(i as usize).cloned().unwrap_or_default()
            })
            .label_formatter(|_| None)
            .show(ui, |plot| {
                plot.bar_chart(
                    BarChart::new("Closed trades by R", bars)
                        .color(Color32::from_rgb(60, 130, 220))
                        .element_formatter(Box::new(|bar, _| bar.name.clone())),
                );
                if !tiny_bars.is_empty() {
                    plot.bar_chart(
                        BarChart::new("Tiny initial risk", tiny_bars)
                            .color(tiny_color)
                            .element_formatter(Box::new(|bar, _| bar.name.clone())),
                    );
                }
            });
    }
    if !r.tiny.is_empty() {
        ui.strong("Trades with a tiny initial risk");
        ui.horizontal_wrapped(|ui| {
            for t in &r.tiny {
                let text = format!(
                    "#{} {} {} R (risk {}% of the entry's value)",
                    t.id,
                    t.symbol,
                    price(t.r_multiple, 2),
                    price(t.risk_share * Decimal::ONE_HUNDRED, 4)
                );
                if ui
                    .button(text)
                    .accessible_name(tiny_label(t.id))
                    .on_hover_text("Open this trade")
                    .clicked()
                {
                    commands.push(Command::Select(Some(t.id)));
                }
            }
        });
    }
    commands
}
