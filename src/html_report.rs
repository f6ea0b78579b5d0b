//! The review as one self-contained HTML file, for sharing with a mentor:
//! `tranche report --html FILE` and the review's Export HTML….
//!
//! [`html_report`] writes the page with the maud templates and draws its
//! charts with plotters' SVG backend, inline: the file loads nothing from
//! anywhere (no script, no style sheet, no font, no image), so it reads the
//! same offline and in any browser. Its figures are those of the review and
//! of `tranche report`, written as traders read them.
//!
//! It only presents: the caller writes the file.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use plotters::prelude::*;
use rust_decimal::Decimal;

use crate::analysis::Rule;
use crate::analysis::breakdown::{ADDS, Day, GroupStats, HoldingTime, WEEKDAYS};
use crate::analysis::format::{money_for_people, percent, price};
use crate::analysis::stats::{Breakdown, Filter, JournalStats, Money};

/// What the page says about itself, above the figures.
#[derive(Debug, Clone, Default)]
pub struct About {
    /// The page's title.
    pub title: String,
    /// Lines under the title: the journal, the filter, when it was written.
    pub lines: Vec<String>,
}

/// A decimal as a float, for a chart.
fn f(value: Decimal) -> f64 {
    value.mantissa() as f64 / 10f64.powi(value.scale() as i32)
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto; max-width: 1180px; color: #1d232a; background: #fafbfc; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.about { color: #57606a; margin: 2px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 16px; }
.card { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 8px 14px; min-width: 140px; }
.card .title { color: #57606a; font-size: 12px; } .card .value { font-size: 20px; font-weight: 600; }
.card .note, .note { color: #9a6700; font-size: 12px; }
table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #d8dee4; padding: 4px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f3f6; }
.pos { color: #1a7f37; } .neg { color: #cf222e; }
svg { max-width: 100%; height: auto; background: #fff; border: 1px solid #d8dee4; border-radius: 6px; }
.calendar td { width: 92px; height: 46px; vertical-align: top; font-size: 12px; position: relative; }
.calendar td .d { color: #57606a; } .calendar td .p { font-weight: 600; }
.calendar td .s { float: right; border-radius: 8px; padding: 0 5px; color: #fff; font-size: 11px; }
.heat td { width: 11px; height: 11px; padding: 0; border: 1px solid #fff; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 12px; }
.grid2 > div { overflow-x: auto; }
.wide { overflow-x: auto; }
footer { color: #57606a; margin: 32px 0; font-size: 12px; }
";

/// The chosen currency, or the main one, or the first.
fn chosen(stats: &JournalStats, currency: Option<&str>) -> Option<String> {
    currency
        .filter(|c| stats.currencies.iter().any(|x| x == c))
        .map(str::to_owned)
        .or_else(|| stats.performance.main_currency.clone())
        .or_else(|| stats.currencies.first().cloned())
}

fn money_list(values: &Money) -> String {
    if values.is_empty() {
        return "-".to_owned();
    }
    values
        .iter()
        .map(|(c, v)| money_for_people(*v, c))
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_dash(value: Option<Decimal>, shown: impl Fn(Decimal) -> String) -> String {
    value.map_or_else(|| "-".to_owned(), shown)
}

fn sign_class(value: Decimal) -> &'static str {
    if value > Decimal::ZERO {
        "pos"
    } else if value < Decimal::ZERO {
        "neg"
    } else {
        ""
    }
}

fn card(title: &str, value: &str, note: Option<String>) -> Markup {
    html! {
        div.card {
            div.title { (title) }
            div.value { (value) }
            @if let Some(note) = note { div.note { (note) } }
        }
    }
}

fn small(trades: usize) -> Option<String> {
    (trades < crate::report::SMALL_SAMPLE).then(|| format!("small sample: {trades} < 20 trades"))
}

fn cards(stats: &JournalStats) -> Markup {
    let p = &stats.performance;
    let a = &stats.adherence;
    let judged = stats.trades - a.stops_not_judged.min(stats.trades);
    let clean = if judged > 0 {
        format!(
            "{} of {judged} ({})",
            a.clean_trades,
            percent(Decimal::from(a.clean_trades) / Decimal::from(judged))
        )
    } else {
        "-".to_owned()
    };
    let main = p.main_currency.as_deref();
    let net = main
        .and_then(|c| p.net_pnl.get(c).map(|v| money_for_people(*v, c)))
        .unwrap_or_else(|| "-".to_owned());
    let others: Vec<String> = p
        .net_pnl
        .iter()
        .filter(|(c, _)| Some(c.as_str()) != main)
        .map(|(c, v)| money_for_people(*v, c))
        .collect();
    let factors: Vec<String> = p
        .profit_factor
        .iter()
        .map(|(c, v)| {
            if p.profit_factor.len() > 1 {
                format!("{} ({c})", price(*v, 2))
            } else {
                price(*v, 2)
            }
        })
        .collect();
    let robust = &stats.breakdowns.robust_r;
    html! {
        div.cards {
            (card("Net P&L", &net, (!others.is_empty()).then(|| others.join(", "))))
            (card("Trades", &stats.trades.to_string(), small(stats.trades)))
            (card("Win rate", &or_dash(p.win_rate, percent), small(p.closed)))
            (card("Expectancy (R)", &or_dash(p.expectancy_r, |r| price(r, 2)), small(p.r_trades)))
            (card("Median R", &or_dash(robust.median_r, |r| price(r, 2)), None))
            (card("Expectancy", &money_list(&p.expectancy), None))
            (card("Profit factor", &(if factors.is_empty() { "-".to_owned() } else { factors.join(", ") }), None))
            (card("Max drawdown", &money_list(&p.max_drawdown), None))
            (card("Mean score", &or_dash(a.mean_score, |s| price(s, 0)), None))
            (card("Clean trades", &clean, None))
        }
    }
}

/// An SVG chart, or a note that it could not be drawn.
fn svg(draw: impl FnOnce(&mut String) -> Result<(), String>) -> Markup {
    let mut text = String::new();
    match draw(&mut text) {
        Ok(()) => html! { (PreEscaped(text)) },
        Err(err) => html! { p.note { "The chart could not be drawn: " (err) } },
    }
}

/// A range that holds `values` and zero, with a little room.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values.fold((0.0_f64, 0.0_f64), |(l, h), v| (l.min(v), h.max(v)));
    let pad = ((high - low) * 0.08).max(1e-9);
    (low - pad, high + pad)
}

const BLUE: RGBColor = RGBColor(60, 130, 220);
const GREEN: RGBColor = RGBColor(40, 160, 90);
const RED: RGBColor = RGBColor(205, 60, 50);
const ORANGE: RGBColor = RGBColor(205, 95, 20);
const GRID: RGBColor = RGBColor(234, 238, 242);

/// At most this many points of an equity curve are drawn.
const MAX_POINTS: usize = 1500;

/// A figure on a chart's axis: whole, thousands grouped (`45,000`); to two
/// places below ten (`2.50`).
fn axis_figure(y: f64) -> String {
    if y.abs() >= 10.0 || y == 0.0 {
        crate::analysis::format::grouped_to(Decimal::from(y.round() as i64), 0)
    } else {
        format!("{y:.2}")
    }
}

/// A count on a chart's axis: whole numbers only.
fn axis_count(y: f64) -> String {
    if (y - y.round()).abs() < 1e-9 {
        format!("{y:.0}")
    } else {
        String::new()
    }
}

/// A line chart of `(x, y)` points with x a Unix time in seconds.
fn line_chart(points: &[(f64, f64)], y_name: &str) -> Markup {
    let step = points.len().div_ceil(MAX_POINTS).max(1);
    let mut drawn: Vec<(f64, f64)> = points.iter().step_by(step).copied().collect();
    if let (Some(last), Some(kept)) = (points.last(), drawn.last())
        && last != kept
    {
        drawn.push(*last);
    }
    let y_name = y_name.to_owned();
    svg(move |out| {
        let root = SVGBackend::with_string(out, (1100, 300)).into_drawing_area();
        let (x0, x1) = match (drawn.first(), drawn.last()) {
            (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
            (Some(a), _) => (a.0 - 86_400.0, a.0 + 86_400.0),
            _ => (0.0, 1.0),
        };
        let (y0, y1) = span(drawn.iter().map(|p| p.1));
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(30)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        let date = |x: &f64| {
            chrono::DateTime::from_timestamp(*x as i64, 0)
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default()
        };
        let y_label = |y: &f64| axis_figure(*y);
        chart
            .configure_mesh()
            .x_labels(7)
            .x_label_formatter(&date)
            .y_label_formatter(&y_label)
            .y_desc(y_name.as_str())
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(drawn.iter().copied(), BLUE.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                [(x0, 0.0), (x1, 0.0)],
                RGBColor(150, 150, 150),
            ))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    })
}

/// A bar chart: one bar per `(name, value, colour)`, each `highlight` drawn
/// stacked on top of its bar in orange.
fn bar_chart(
    bars: &[(String, f64, RGBColor)],
    highlight: &[f64],
    y_name: &str,
    y_figure: fn(f64) -> String,
) -> Markup {
    let bars = bars.to_vec();
    let highlight = highlight.to_vec();
    let y_name = y_name.to_owned();
    svg(move |out| {
        let root = SVGBackend::with_string(out, (1100, 280)).into_drawing_area();
        let tops = bars
            .iter()
            .enumerate()
            .map(|(i, b)| b.1 + highlight.get(i).copied().unwrap_or(0.0));
        let (y0, y1) = span(tops);
        let n = bars.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .x_label_area_size(34)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..(n - 0.5), y0..y1)
            .map_err(|e| e.to_string())?;
        let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let name = |x: &f64| {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            names.get(i as usize).cloned().unwrap_or_default()
        };
        let y_label = |y: &f64| y_figure(*y);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().min(25))
            .x_label_formatter(&name)
            .y_label_formatter(&y_label)
            .y_desc(y_name.as_str())
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 14))
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, value, color))| {
                let x = i as f64;
                Rectangle::new([(x - 0.4, 0.0), (x + 0.4, *value)], color.filled())
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                bars.iter()
                    .zip(&highlight)
                    .enumerate()
                    .filter(|(_, (_, h))| **h > 0.0)
                    .map(|(i, ((_, value, _), h))| {
                        let x = i as f64;
                        Rectangle::new([(x - 0.4, *value), (x + 0.4, value + h)], ORANGE.filled())
                    }),
            )
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    })
}

fn equity_section(stats: &JournalStats, currency: Option<&str>) -> Markup {
    let index = currency.and_then(|c| stats.currencies.iter().position(|x| x == c));
    let money: Vec<(f64, f64)> = stats
        .equity_curve
        .iter()
        .filter(|p| Some(p.currency) == index)
        .map(|p| (p.closed_at.timestamp() as f64, f(p.equity)))
        .collect();
    let r: Vec<(f64, f64)> = stats
        .equity_curve
        .iter()
        .map(|p| (p.closed_at.timestamp() as f64, f(p.equity_r)))
        .collect();
    html! {
        h2 { "Equity" }
        @if let Some(c) = currency {
            p { "Net P&L of the closed trades in " (c) ", added up in the order they closed." }
            (line_chart(&money, c))
        }
        p { "The same in R: each closed trade's R-multiple, added up." }
        (line_chart(&r, "R"))
    }
}

fn monthly_section(stats: &JournalStats, currency: Option<&str>) -> Markup {
    let Some(currency) = currency else {
        return html! {};
    };
    let bars: Vec<(String, f64, RGBColor)> = stats
        .monthly
        .iter()
        .map(|m| {
            let value = m.net_pnl.get(currency).copied().unwrap_or_default();
            let color = if value < Decimal::ZERO { RED } else { GREEN };
            (m.month.clone(), f(value), color)
        })
        .collect();
    html! {
        h2 { "By month" }
        p { "Net P&L in " (currency) " of the trades closed each month." }
        (bar_chart(&bars, &[], currency, axis_figure))
        table {
            tr { th { "Month" } th { "Trades" } th { "Mean score" } th { "Net P&L" } }
            @for m in &stats.monthly {
                tr {
                    td { (m.month) }
                    td { (m.trades) }
                    td { (price(m.mean_score, 0)) }
                    td { (money_list(&m.net_pnl)) }
                }
            }
        }
    }
}

fn robust_section(stats: &JournalStats) -> Markup {
    let r = &stats.breakdowns.robust_r;
    let name = |from: Option<Decimal>, to: Option<Decimal>| match (from, to) {
        (None, Some(to)) => format!("<{}", price(to, 0)),
        (Some(from), None) => format!("≥{}", price(from, 0)),
        (Some(from), _) => price(from, 1),
        _ => String::new(),
    };
    let bars: Vec<(String, f64, RGBColor)> = r
        .histogram
        .iter()
        .map(|b| (name(b.from, b.to), (b.trades - b.tiny) as f64, BLUE))
        .collect();
    let tiny: Vec<f64> = r.histogram.iter().map(|b| b.tiny as f64).collect();
    html! {
        h2 { "R-multiples" }
        p {
            "Mean R " (or_dash(r.mean_r, |v| price(v, 2)))
            ", median R " (or_dash(r.median_r, |v| price(v, 2)))
            ", over " (r.r_trades) " closed trades with a stop. Bars of half an R; orange: trades with a tiny initial risk."
        }
        (bar_chart(&bars, &tiny, "trades", axis_count))
        @if !r.tiny.is_empty() {
            p.note {
                (r.tiny.len()) " trades risked less than 0.05% of their entry's value: their R says little and can drive the mean. Without them: mean R "
                (or_dash(r.mean_r_without_tiny, |v| price(v, 2))) ", median R " (or_dash(r.median_r_without_tiny, |v| price(v, 2))) "."
            }
            table {
                tr { th { "Trade" } th { "Symbol" } th { "R" } th { "Initial risk" } th { "Entry's value" } th { "Risk share" } }
                @for t in &r.tiny {
                    tr {
                        td { "#" (t.id) }
                        td { (t.symbol) }
                        td { (price(t.r_multiple, 2)) }
                        td { (price(t.initial_risk, 2)) }
                        td { (price(t.notional, 2)) }
                        td { (price(t.risk_share * Decimal::ONE_HUNDRED, 4)) "%" }
                    }
                }
            }
        }
    }
}

/// The background of a day by its result, `strength` 0 to 1.
fn day_color(value: Option<Decimal>, strength: f64) -> String {
    let alpha = strength.clamp(0.15, 1.0);
    match value {
        Some(v) if v > Decimal::ZERO => format!("rgba(40,160,90,{alpha:.2})"),
        Some(v) if v < Decimal::ZERO => format!("rgba(205,60,50,{alpha:.2})"),
        Some(_) => "rgba(150,150,150,0.3)".to_owned(),
        None => "#f6f8fa".to_owned(),
    }
}

fn score_background(score: Decimal) -> &'static str {
    if score >= Decimal::from(90) {
        "#1a7f37"
    } else if score >= Decimal::from(60) {
        "#9a6700"
    } else {
        "#cf222e"
    }
}

/// One day of a month's grid: the date, its trades, and its net P&L.
type Cell<'a> = Option<(NaiveDate, Option<&'a Day>, Option<Decimal>)>;

/// A month of days, with each week's total.
fn month_table(month: NaiveDate, days: &BTreeMap<NaiveDate, &Day>, currency: &str) -> Markup {
    let first = month - Duration::days(i64::from(month.weekday().num_days_from_monday()));
    // Each week: its seven cells (none outside the month), total and trades.
    let mut weeks: Vec<(Vec<Cell<'_>>, Decimal, usize)> = Vec::new();
    let mut start = first;
    while start.year() < month.year()
        || (start.year() == month.year() && start.month() <= month.month())
    {
        let mut total = Decimal::ZERO;
        let mut trades = 0;
        let cells = (0..7)
            .map(|offset| {
                let date = start + Duration::days(offset);
                if date.month() != month.month() {
                    return None;
                }
                let day = days.get(&date).copied();
                let net = day.and_then(|d| d.net_pnl.get(currency).copied());
                total += net.unwrap_or_default();
                trades += day.map_or(0, |d| d.trades);
                Some((date, day, net))
            })
            .collect();
        weeks.push((cells, total, trades));
        start += Duration::days(7);
    }
    html! {
        h3 { (month.format("%B %Y")) }
        table.calendar {
            tr { @for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Week"] { th { (name) } } }
            @for (cells, total, trades) in &weeks {
                tr {
                    @for cell in cells {
                        @if let Some((date, day, net)) = cell {
                            td style=(format!("background:{}", day_color(day.map(|_| net.unwrap_or_default()), 0.35))) {
                                span.d { (date.day()) }
                                @if let Some(day) = day {
                                    span.s style=(format!("background:{}", score_background(day.mean_score))) title="mean score" { (price(day.mean_score, 0)) }
                                    br;
                                    span.p { (net.map_or_else(|| "open".to_owned(), |v| money_for_people(v, currency))) }
                                }
                            }
                        } @else {
                            td {}
                        }
                    }
                    td {
                        @if *trades > 0 {
                            span.p class=(sign_class(*total)) { (money_for_people(*total, currency)) }
                            br;
                            span.d { (trades) (if *trades == 1 { " trade" } else { " trades" }) }
                        }
                    }
                }
            }
        }
    }
}

/// A year of days as a heat map: weeks across, weekdays down.
fn year_heat_map(year: i32, days: &BTreeMap<NaiveDate, &Day>, currency: &str) -> Markup {
    let (Some(jan1), Some(next)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year + 1, 1, 1),
    ) else {
        return html! {};
    };
    let largest = days
        .range(jan1..next)
        .filter_map(|(_, d)| d.net_pnl.get(currency))
        .map(|v| v.abs())
        .max()
        .unwrap_or_default();
    let first = jan1 - Duration::days(i64::from(jan1.weekday().num_days_from_monday()));
    let weeks = ((next - first).num_days() + 6) / 7;
    html! {
        h3 { (year) }
        table.heat {
            @for weekday in 0..7 {
                tr {
                    @for week in 0..weeks {
                        @let date = first + Duration::days(week * 7 + weekday);
                        @if date.year() != year {
                            td style="background:#fff" {}
                        } @else {
                            @let day = days.get(&date);
                            @let net = day.and_then(|d| d.net_pnl.get(currency).copied());
                            @let strength = match net { Some(v) if !largest.is_zero() => f(v.abs() / largest), _ => 1.0 };
                            td style=(format!("background:{}", day_color(day.map(|_| net.unwrap_or_default()), strength)))
                                title=(match (day, net) {
                                    (Some(d), Some(v)) => format!("{date}: {} ({} trades, mean score {})", money_for_people(v, currency), d.trades, price(d.mean_score, 0)),
                                    (Some(d), None) => format!("{date}: {} trades open", d.trades),
                                    _ => date.to_string(),
                                }) {}
                        }
                    }
                }
            }
        }
    }
}

/// At most this many months are drawn day by day (the latest).
const MONTHS_SHOWN: usize = 6;

fn calendar_section(stats: &JournalStats, currency: Option<&str>) -> Markup {
    let days = &stats.breakdowns.calendar;
    let Some(currency) = currency else {
        return html! {};
    };
    let by_date: BTreeMap<NaiveDate, &Day> = days.iter().map(|d| (d.date, d)).collect();
    let mut months: Vec<NaiveDate> = days.iter().filter_map(|d| d.date.with_day(1)).collect();
    months.dedup();
    let shown = &months[months.len().saturating_sub(MONTHS_SHOWN)..];
    let mut years: Vec<i32> = days.iter().map(|d| d.date.year()).collect();
    years.dedup();
    html! {
        h2 { "Calendar" }
        p { "Net P&L in " (currency) " of the closed trades opened each day; the badge is the day's mean score. The latest months day by day, then each year as a heat map." }
        div.grid2 { @for month in shown.iter().rev() { div { (month_table(*month, &by_date, currency)) } } }
        @for year in years.iter().rev() { (year_heat_map(*year, &by_date, currency)) }
    }
}

fn group_rows(rows: Vec<(String, &GroupStats)>) -> Markup {
    html! {
        table {
            tr { th {} th { "Trades" } th { "Win rate" } th { "Expectancy R" } th { "Expectancy" } th { "Mean score" } th { "Broke rules" } th {} }
            @for (name, g) in rows.into_iter().filter(|(_, g)| g.trades > 0) {
                tr {
                    td { (name) }
                    td { (g.trades) }
                    td { (or_dash(g.win_rate, percent)) }
                    td { (or_dash(g.expectancy_r, |r| price(r, 2))) }
                    td { (money_list(&g.expectancy)) }
                    td { (or_dash(g.mean_score, |s| price(s, 0))) }
                    td { (or_dash(g.broken_rule_rate, percent)) }
                    td.note { @if g.small_sample { "small sample" } }
                }
            }
        }
    }
}

fn setup_rows(rows: &BTreeMap<String, Breakdown>) -> Markup {
    html! {
        table {
            tr { th {} th { "Trades" } th { "Win rate" } th { "Expectancy R" } th { "Expectancy" } th { "Mean score" } th {} }
            @for (name, b) in rows {
                tr {
                    td { (if name.is_empty() { "(none)" } else { name }) }
                    td { (b.trades) }
                    td { (or_dash(b.win_rate, percent)) }
                    td { (or_dash(b.expectancy_r, |r| price(r, 2))) }
                    td { (money_list(&b.expectancy)) }
                    td { (or_dash(b.mean_score, |s| price(s, 0))) }
                    td.note { @if b.trades < crate::report::SMALL_SAMPLE { "small sample" } }
                }
            }
        }
    }
}

fn named(names: Vec<String>, groups: &[GroupStats]) -> Vec<(String, &GroupStats)> {
    names.into_iter().zip(groups.iter()).collect()
}

fn breakdown_section(stats: &JournalStats) -> Markup {
    let b = &stats.breakdowns;
    html! {
        h2 { "Breakdowns" }
        p { "Each row: trades, winners among the closed, mean R and mean net P&L per closed trade, mean score, and the share of trades that broke a rule." }
        @for (title, table) in [
            ("By tag", group_rows(b.by_tag.iter().map(|(k, g)| (k.clone(), g)).collect())),
            ("By account", group_rows(b.by_account.iter().map(|(k, g)| (k.clone(), g)).collect())),
            ("By weekday of entry", group_rows(named(WEEKDAYS.map(str::to_owned).to_vec(), &b.by_weekday))),
            ("By hour of entry", group_rows(named((0..24).map(|h| format!("{h:02}:00")).collect(), &b.by_hour))),
            ("By holding time", group_rows(named(HoldingTime::ALL.map(|h| h.title().to_owned()).to_vec(), &b.by_holding_time))),
            ("By number of adds", group_rows(named(ADDS.map(str::to_owned).to_vec(), &b.by_adds))),
            ("By setup", setup_rows(&stats.by_setup)),
            ("By market condition", setup_rows(&stats.by_condition)),
        ] {
            div.wide { h3 { (title) } (table) }
        }
    }
}

fn adherence_section(stats: &JournalStats) -> Markup {
    let a = &stats.adherence;
    let s = &stats.scaling;
    let o = &stats.scale_out;
    let group_row = |name: &str, g: &crate::analysis::stats::Group| {
        html! {
            tr {
                td { (name) }
                td { (g.trades) }
                td { (or_dash(g.win_rate, percent)) }
                td { (or_dash(g.mean_r, |r| price(r, 2))) }
                td { (money_list(&g.mean_net_pnl)) }
                td { (or_dash(g.mean_score, |s| price(s, 0))) }
            }
        }
    };
    html! {
        h2 { "Rules" }
        table {
            tr { th { "Trades that…" } th { "Trades" } th { "Win rate" } th { "Mean R" } th { "Mean net P&L" } th { "Mean score" } }
            @for impact in &a.by_rule {
                (group_row(&format!("broke {} ({} times)", impact.rule.id(), a.violations_by_rule.get(&impact.rule).copied().unwrap_or(0)), &impact.broke))
            }
            (group_row("broke no rule", &a.clean))
        }
        @if a.stops_not_judged > 0 {
            p.note { (a.stops_not_judged) " trades' stop rules were not judged (their initial stop is not known)." }
        }
        h2 { "Scaling in and out" }
        table {
            tr { th {} th { "Trades" } th { "Win rate" } th { "Mean R" } th { "Mean net P&L" } th { "Mean score" } }
            (group_row("single entry", &s.single_entry))
            (group_row("scaled in", &s.scaled_in))
            (group_row("pyramided", &s.pyramided))
            (group_row("averaged down", &s.averaged_down))
        }
        p {
            (o.trades) " trades scaled out: " (o.protected_trades) " protected " (money_list(&o.protected))
            ", " (o.capped_trades) " capped " (money_list(&o.capped))
            "; net effect " (money_list(&o.net_effect)) "."
        }
        @if a.by_rule.is_empty() { p { "No rule was broken." } }
        ul {
            @for rule in Rule::ALL {
                @if a.violations_by_rule.contains_key(&rule) {
                    li { b { (rule.id()) } ": " (rule.description()) }
                }
            }
        }
    }
}

/// What a filter lets through, in words: `all trades`, or `tag fomc, from 2025-01-01`.
pub fn describe_filter(filter: &Filter) -> String {
    let Filter {
        from,
        to,
        symbol,
        setup,
        condition,
        side,
        rule,
        tag,
        account,
        holding,
        weekday,
        hour,
        adds,
        zone,
    } = filter;
    let mut parts: Vec<String> = Vec::new();
    let mut text = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            parts.push(format!("{name} {value}"));
        }
    };
    text("from", from.map(|d| d.to_string()));
    text("to", to.map(|d| d.to_string()));
    text("symbol", symbol.clone());
    text("setup", setup.clone());
    text("condition", condition.map(|c| c.to_string()));
    text("side", side.map(|s| s.to_string()));
    text("broke", rule.map(|r| r.id().to_owned()));
    text("tag", tag.clone());
    text("account", account.clone());
    text("held", holding.map(|h| h.title().to_owned()));
    text("entered on", weekday.map(|w| w.to_string()));
    text("entered at hour", hour.map(|h| format!("{h:02}")));
    text("adds", adds.map(|a| a.to_string()));
    text("times in", zone.map(|z| z.name().to_owned()));
    if parts.is_empty() {
        "all trades".to_owned()
    } else {
        parts.join(", ")
    }
}

/// The whole review of `stats` as one self-contained HTML page, its money
/// charts in `currency` (the main currency when `None` or absent).
pub fn html_report(stats: &JournalStats, currency: Option<&str>, about: &About) -> String {
    let currency = chosen(stats, currency);
    let currency = currency.as_deref();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (about.title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (about.title) }
                @for line in &about.lines { p.about { (line) } }
                p.about { (stats.trades) " trades: " (stats.closed) " closed, " (stats.open) " open." }
                @if stats.trades == 0 {
                    p { "No trades pass this filter." }
                } @else {
                    (cards(stats))
                    (robust_section(stats))
                    (equity_section(stats, currency))
                    (monthly_section(stats, currency))
                    (calendar_section(stats, currency))
                    (adherence_section(stats))
                    (breakdown_section(stats))
                }
                footer { "Written by Tranche. Money is to the currency's minor unit; `tranche report --json` has every figure exact." }
            }
        }
    };
    page.into_string()
}
