//! A trade on a chart: fills over time, the stop and the average entry as
//! step lines, targets as dashed levels, and the open quantity below.
//!
//! The series are built once per trade ([`ChartData::new`]) and borrowed by
//! the plot every frame. Where the journal holds price bars for the trade
//! ([`ChartData::with_market`]), candles are drawn behind the fills, with the
//! best and worst moments of the trade's life and, after each partial exit,
//! the best and worst prices before the trade ended. Only the candles in the
//! visible range are drawn, merged when more than [`MAX_CANDLES`] would show.

use egui::{Color32, Ui};
use egui_plot::{
    BoxElem, BoxPlot, BoxSpread, Corner, Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint,
    PlotPoints, Points,
};

use crate::analysis::{Step, format};
use crate::domain::{EventKind, Trade};

use super::time::Zone;

/// One marker: an initial entry, an add or an exit.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Where it is.
    pub at: PlotPoint,
    /// Its radius in points; adds are sized by quantity.
    pub radius: f32,
    /// What kind of fill.
    pub kind: MarkerKind,
    /// The event in words, shown on hover.
    pub description: String,
}

/// The kind of a chart marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    /// The initial entry.
    Initial,
    /// An add.
    Add,
    /// A partial or final exit.
    Exit,
}

impl MarkerKind {
    /// The name of the kind's series in the legend.
    pub fn legend(self) -> &'static str {
        match self {
            MarkerKind::Initial => "Initial entry",
            MarkerKind::Add => "Adds",
            MarkerKind::Exit => "Exits",
        }
    }
}

/// The most candles drawn at once: beyond it, neighbours are merged.
pub const MAX_CANDLES: usize = 600;

/// Price bars in plot coordinates, sorted by x.
#[derive(Debug, Clone, Default)]
pub struct Candles {
    /// Each bar's middle, in seconds since the chart's origin.
    pub x: Vec<f64>,
    /// Open, high, low, close of each bar.
    pub ohlc: Vec<[f64; 4]>,
    /// The bar length, in seconds.
    pub length: f64,
    /// The bar length in words, for the legend.
    pub label: String,
}

impl Candles {
    /// The candles whose middle lies from `x0` to `x1`, merged into at most
    /// `max` (each merged candle spans several bars): `(x, ohlc, width)`.
    pub fn visible(&self, x0: f64, x1: f64, max: usize) -> Vec<(f64, [f64; 4], f64)> {
        let (x0, x1) = if x0.is_finite() && x1.is_finite() && x1 > x0 {
            (x0 - self.length, x1 + self.length)
        } else {
            (f64::NEG_INFINITY, f64::INFINITY)
        };
        let lo = self.x.partition_point(|&x| x < x0);
        let hi = self.x.partition_point(|&x| x <= x1);
        let n = hi.saturating_sub(lo);
        let group = n.div_ceil(max.max(1)).max(1);
        let mut out = Vec::with_capacity(n / group + 1);
        let mut i = lo;
        while i < hi {
            let j = (i + group).min(hi);
            let first = self.ohlc[i];
            let mut merged = [first[0], first[1], first[2], self.ohlc[j - 1][3]];
            for c in &self.ohlc[i + 1..j] {
                merged[1] = merged[1].max(c[1]);
                merged[2] = merged[2].min(c[2]);
            }
            let x = (self.x[i] + self.x[j - 1]) / 2.0;
            let width = self.x[j - 1] - self.x[i] + self.length;
            out.push((x, merged, width));
            i = j;
        }
        out
    }
}

/// Everything the chart draws, in plot coordinates: x is seconds since the
/// first event, y is the price (or quantity, below).
#[derive(Debug, Clone, Default)]
pub struct ChartData {
    /// The first event's time, in Unix seconds.
    pub origin: i64,
    /// Fill prices in time order.
    pub fills: Vec<PlotPoint>,
    /// The stop in force, as a step line.
    pub stop: Vec<PlotPoint>,
    /// The average entry, as a step line.
    pub average: Vec<PlotPoint>,
    /// Each target as a level from its time to the end.
    pub targets: Vec<[PlotPoint; 2]>,
    /// Entries, adds and exits.
    pub markers: Vec<Marker>,
    /// The open quantity, as a step line.
    pub open_qty: Vec<PlotPoint>,
    /// The right edge of the chart.
    pub end: f64,
    /// Decimal places of the trade's prices ([`format::price_dp`]), for the
    /// labels.
    pub price_dp: u32,
    /// The disciplined twin's fills (the trade without its broken adds),
    /// drawn faintly; empty when the trade is its own twin.
    pub twin_fills: Vec<PlotPoint>,
    /// The twin's average entry, as a step line.
    pub twin_average: Vec<PlotPoint>,
    /// The twin's open quantity, as a step line.
    pub twin_open_qty: Vec<PlotPoint>,
    /// The market's bars around the trade; empty without bars.
    pub candles: Candles,
    /// The best and worst moments of the trade's life (MFE and MAE).
    pub extremes: Vec<Marker>,
    /// After each partial exit: the best price before the trade ended, as a
    /// level from the exit to the end of the trade.
    pub after_best: Vec<[PlotPoint; 2]>,
    /// After each partial exit: the worst price before the trade ended.
    pub after_worst: Vec<[PlotPoint; 2]>,
}

impl ChartData {
    /// The chart of `trade`, from its events and the steps of its analysis.
    pub fn new(trade: &Trade, steps: &[Step], zone: &Zone) -> Self {
        let Some(first) = trade.events.first() else {
            return ChartData::default();
        };
        let origin = first.at.timestamp();
        let x_of = |at: chrono::DateTime<chrono::FixedOffset>| {
            (at.timestamp() - origin) as f64 + f64::from(at.timestamp_subsec_millis()) / 1000.0
        };
        let last_x = trade.events.last().map_or(0.0, |e| x_of(e.at));
        let span = last_x.max(60.0);
        let end = last_x + span * 0.08;
        let f = |d: rust_decimal::Decimal| -> f64 { d.try_into().unwrap_or(0.0) };

        let initial_qty = trade
            .initial_entry()
            .and_then(|(_, e)| e.kind.fill().map(|fill| f(fill.qty)))
            .unwrap_or(1.0)
            .max(f64::MIN_POSITIVE);

        let dp = format::price_dp(trade);
        let mut data = ChartData {
            origin,
            end,
            price_dp: dp,
            ..ChartData::default()
        };
        let mut entries = 0;
        let mut exits = 0;
        let mut prev_stop: Option<f64> = None;
        let mut prev_avg: Option<f64> = None;
        let mut prev_qty = 0.0;
        data.open_qty.push(PlotPoint::new(0.0, 0.0));
        for (i, event) in trade.events.iter().enumerate() {
            let x = x_of(event.at);
            let time = zone.short(event.at);
            let step = steps.get(i);
            match event.kind {
                EventKind::Entry(fill) | EventKind::Exit(fill) => {
                    let price = f(fill.price);
                    data.fills.push(PlotPoint::new(x, price));
                    let is_entry = matches!(event.kind, EventKind::Entry(_));
                    let (kind, title, radius) = if is_entry {
                        entries += 1;
                        if entries == 1 {
                            (MarkerKind::Initial, "Initial entry".to_owned(), 7.0)
                        } else {
                            let ratio = (f(fill.qty) / initial_qty).sqrt() as f32;
                            (
                                MarkerKind::Add,
                                format!("Add {}", entries - 1),
                                (7.0 * ratio).clamp(3.0, 14.0),
                            )
                        }
                    } else {
                        exits += 1;
                        (MarkerKind::Exit, format!("Exit {exits}"), 6.0)
                    };
                    let verb = if is_entry { "bought" } else { "sold" };
                    let verb = match (trade.side, is_entry) {
                        (crate::domain::Side::Short, true) => "sold short",
                        (crate::domain::Side::Short, false) => "bought back",
                        _ => verb,
                    };
                    let mut description = format!(
                        "{title}: {verb} {} @ {} on {time}",
                        format::num(fill.qty),
                        format::price(fill.price, dp)
                    );
                    if !fill.fee.is_zero() {
                        description.push_str(&format!(", fee {}", format::money(fill.fee)));
                    }
                    if let Some(step) = step {
                        description.push_str(&format!("\nopen {}", format::num(step.open_qty)));
                        if let Some(avg) = step.avg_entry {
                            description.push_str(&format!(", average {}", format::price(avg, dp)));
                        }
                    }
                    data.markers.push(Marker {
                        at: PlotPoint::new(x, price),
                        radius,
                        kind,
                        description,
                    });
                }
                EventKind::Stop { price } => {
                    let price = f(price);
                    if let Some(old) = prev_stop {
                        data.stop.push(PlotPoint::new(x, old));
                    }
                    data.stop.push(PlotPoint::new(x, price));
                    prev_stop = Some(price);
                }
                EventKind::Target { price } => {
                    let price = f(price);
                    data.targets
                        .push([PlotPoint::new(x, price), PlotPoint::new(end, price)]);
                }
            }
            if let Some(step) = step {
                let avg = step.avg_entry.map(f);
                if avg != prev_avg {
                    if let (Some(old), Some(_)) = (prev_avg, avg) {
                        data.average.push(PlotPoint::new(x, old));
                    }
                    if let Some(new) = avg {
                        data.average.push(PlotPoint::new(x, new));
                    } else if let Some(old) = prev_avg {
                        data.average.push(PlotPoint::new(x, old));
                    }
                    prev_avg = avg;
                }
                let qty = f(step.open_qty);
                if qty != prev_qty {
                    data.open_qty.push(PlotPoint::new(x, prev_qty));
                    data.open_qty.push(PlotPoint::new(x, qty));
                    prev_qty = qty;
                }
            }
        }
        if let Some(stop) = prev_stop {
            let stop_end = if prev_qty == 0.0 { last_x } else { end };
            data.stop.push(PlotPoint::new(stop_end, stop));
        }
        if let Some(avg) = prev_avg {
            data.average.push(PlotPoint::new(end, avg));
        }
        data.open_qty.push(PlotPoint::new(end, prev_qty));
        data
    }

    /// Adds the disciplined twin of `trade`, drawn faintly: its fills, its
    /// average entry and its open quantity. Nothing when no add broke a
    /// scaling-in rule.
    pub fn with_twin(
        mut self,
        trade: &Trade,
        twin: &crate::analysis::twin::Twin,
        zone: &Zone,
    ) -> Self {
        if !twin.differs() {
            return self;
        }
        let twin_trade = twin.trade(trade);
        let (_, steps) = crate::analysis::analyze_with_steps(
            &twin_trade,
            &crate::analysis::RuleSettings::default(),
        );
        let twin_chart = ChartData::new(&twin_trade, &steps, zone);
        // Both charts start at the first event, which the twin keeps.
        self.twin_fills = twin_chart.markers.iter().map(|m| m.at).collect();
        self.twin_average = twin_chart.average;
        self.twin_open_qty = twin_chart.open_qty;
        self
    }

    /// The chart with the market's bars around the trade behind it.
    pub fn with_market(
        mut self,
        trade: &Trade,
        market: &crate::model::market::TradeMarket,
        zone: &Zone,
    ) -> Self {
        let Some(bars) = &market.bars else {
            return self;
        };
        let origin = self.origin;
        let half = bars.length as f64 / 2.0;
        let x_of = |t: i64| (t - origin) as f64;
        self.candles = Candles {
            x: bars.bars.iter().map(|b| x_of(b.start) + half).collect(),
            ohlc: bars
                .bars
                .iter()
                .map(|b| [b.open, b.high, b.low, b.close].map(|units| price_f64(units, bars.scale)))
                .collect(),
            length: bars.length as f64,
            label: format!("Bars ({})", crate::domain::bars::length_words(bars.length)),
        };
        // Show the trade on its bars with some before and after.
        let last_x = trade.events.last().map_or(0.0, |e| x_of(e.at.timestamp()));
        self.end = self.end.max(last_x + bars.length as f64 * 3.0);
        let Some(x) = &market.excursion else {
            return self;
        };
        let f = |d: rust_decimal::Decimal| -> f64 { d.try_into().unwrap_or(0.0) };
        let dp = self.price_dp;
        let when = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|t| zone.short(t.fixed_offset()))
                .unwrap_or_default()
        };
        let in_r = |r: Option<rust_decimal::Decimal>| {
            r.map(|r| format!(" ({}R)", format::ratio(r.round_dp(2))))
                .unwrap_or_default()
        };
        self.extremes = vec![
            Marker {
                at: PlotPoint::new(x_of(x.best.at) + half, f(x.best.price)),
                radius: 5.0,
                kind: MarkerKind::Exit,
                description: format!(
                    "Best moment: {} in the bar of {}\nMFE {}{}",
                    format::price(x.best.price, dp),
                    when(x.best.at),
                    format::price(x.mfe, dp),
                    in_r(x.mfe_r)
                ),
            },
            Marker {
                at: PlotPoint::new(x_of(x.worst.at) + half, f(x.worst.price)),
                radius: 5.0,
                kind: MarkerKind::Exit,
                description: format!(
                    "Worst moment: {} in the bar of {}\nMAE {}{}",
                    format::price(x.worst.price, dp),
                    when(x.worst.at),
                    format::price(x.mae, dp),
                    in_r(x.mae_r)
                ),
            },
        ];
        let trade_end = match market.bars.as_ref().and_then(|b| b.bars.last()) {
            Some(last) if trade_is_open(trade) => x_of(last.start) + bars.length as f64,
            _ => last_x,
        };
        for exit in &x.exits {
            let Some(event) = trade.events.get(exit.event) else {
                continue;
            };
            let from = x_of(event.at.timestamp());
            if let Some(best) = exit.best {
                self.after_best.push([
                    PlotPoint::new(from, f(best.price)),
                    PlotPoint::new(trade_end, f(best.price)),
                ]);
            }
            if let Some(worst) = exit.worst {
                self.after_worst.push([
                    PlotPoint::new(from, f(worst.price)),
                    PlotPoint::new(trade_end, f(worst.price)),
                ]);
            }
        }
        self
    }

    /// What the hover label says for the best or worst moment at `at`.
    fn describe_extreme(&self, at: PlotPoint) -> Option<&str> {
        self.extremes
            .iter()
            .find(|m| m.at.x == at.x && m.at.y == at.y)
            .map(|m| m.description.as_str())
    }

    /// The lowest and highest price drawn.
    pub fn price_range(&self) -> (f64, f64) {
        let prices = self
            .fills
            .iter()
            .chain(&self.stop)
            .chain(&self.average)
            .chain(self.targets.iter().flatten())
            .map(|p| p.y);
        prices.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        })
    }

    /// What the hover label says for the marker of series `name` at `at`.
    pub fn describe(&self, name: &str, at: PlotPoint) -> Option<&str> {
        self.markers
            .iter()
            .find(|m| m.kind.legend() == name && m.at.x == at.x && m.at.y == at.y)
            .map(|m| m.description.as_str())
    }
}

/// The legend of the disciplined twin's series.
pub const TWIN_LEGEND: &str = "Without broken adds";
/// A bar's price, kept as whole `units` at `scale` decimal places, as a
/// floating-point number for drawing.
fn price_f64(units: i64, scale: u32) -> f64 {
    units as f64 / 10f64.powi(scale as i32)
}

/// Whether the trade is still open.
fn trade_is_open(trade: &Trade) -> bool {
    let mut open = rust_decimal::Decimal::ZERO;
    for event in &trade.events {
        match event.kind {
            EventKind::Entry(fill) => open += fill.qty,
            EventKind::Exit(fill) => open -= fill.qty,
            EventKind::Stop { .. } | EventKind::Target { .. } => {}
        }
    }
    open > rust_decimal::Decimal::ZERO
}

/// Draws the chart of a trade: the price plot and the open quantity below it.
pub fn chart_ui(ui: &mut Ui, data: &ChartData, zone: &Zone, id: egui::Id, height: f32) {
    let origin = data.origin;
    let zone_for_axis = zone.clone();
    let x_label = move |x: f64| -> String {
        let secs = origin + x.round() as i64;
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|t| zone_for_axis.short(t.fixed_offset()))
            .unwrap_or_default()
    };
    // Axis ticks: the time of day for a trade within a day, else month-day and time.
    let short_ticks = data.end < 20.0 * 3600.0;
    let zone_for_ticks = zone.clone();
    let tick = move |x: f64| -> String {
        let secs = origin + x.round() as i64;
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|t| {
                let t = zone_for_ticks.convert(t.fixed_offset());
                if short_ticks {
                    t.format("%H:%M").to_string()
                } else {
                    t.format("%m-%d %H:%M").to_string()
                }
            })
            .unwrap_or_default()
    };
    let tick_below = tick.clone();
    let dp = data.price_dp as usize;
    let (low, high) = match data.price_range() {
        (low, high) if low.is_finite() && high.is_finite() => (low, high),
        _ => (0.0, 1.0),
    };
    let span = (high - low).max(high.abs() * 1e-4).max(1e-9);
    let link = id.with("link");
    let dark = ui.visuals().dark_mode;
    let fill_color = if dark {
        Color32::from_gray(170)
    } else {
        Color32::from_gray(110)
    };
    let stop_color = Color32::from_rgb(220, 60, 60);
    let avg_color = Color32::from_rgb(60, 130, 220);
    let target_color = Color32::from_rgb(40, 160, 90);

    Plot::new(id.with("price"))
        .height(height)
        .legend(
            Legend::default()
                .position(Corner::LeftTop)
                .text_style(egui::TextStyle::Small),
        )
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .include_x(0.0)
        .include_x(data.end)
        .include_y(low - span * 0.08)
        // Head room for the legend, top left.
        .include_y(high + span * 0.7)
        .show_x(false)
        .show_axes([false, true])
        .y_axis_min_width(48.0)
        .x_axis_formatter(move |mark, _| tick(mark.value))
        .label_formatter(|pos| match pos {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => data
                .describe(plot_name, *position)
                .or_else(|| data.describe_extreme(*position))
                .map(str::to_owned)
                .or_else(|| {
                    Some(format!(
                        "{plot_name} {:.dp$}\n{}",
                        position.y,
                        x_label(position.x)
                    ))
                }),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            if !data.candles.x.is_empty() {
                // Only the bars in view, from the window loaded with the trade.
                let bounds = plot.plot_bounds();
                let (up, down) = if dark {
                    (
                        Color32::from_rgb(70, 150, 100),
                        Color32::from_rgb(170, 80, 80),
                    )
                } else {
                    (
                        Color32::from_rgb(120, 190, 140),
                        Color32::from_rgb(215, 130, 130),
                    )
                };
                let boxes = data
                    .candles
                    .visible(bounds.min()[0], bounds.max()[0], MAX_CANDLES)
                    .into_iter()
                    .map(|(x, [o, h, l, c], width)| {
                        let color = if c >= o { up } else { down };
                        BoxElem::new(x, BoxSpread::new(l, o.min(c), c, o.max(c), h))
                            .box_width(width * 0.7)
                            .whisker_width(0.0)
                            .fill(color.gamma_multiply(0.6))
                            .stroke(egui::Stroke::new(1.0, color))
                    })
                    .collect();
                plot.box_plot(
                    BoxPlot::new(data.candles.label.clone(), boxes)
                        .color(up)
                        .allow_hover(false),
                );
            }
            for level in &data.after_best {
                plot.line(
                    Line::new("Best after a partial exit", PlotPoints::Borrowed(level))
                        .color(target_color)
                        .style(LineStyle::dotted_dense())
                        .allow_band(false)
                        .width(1.5),
                );
            }
            for level in &data.after_worst {
                plot.line(
                    Line::new("Worst after a partial exit", PlotPoints::Borrowed(level))
                        .color(stop_color.gamma_multiply(0.8))
                        .style(LineStyle::dotted_dense())
                        .allow_band(false)
                        .width(1.5),
                );
            }
            for (marker, shape, name) in data
                .extremes
                .iter()
                .zip([
                    (MarkerShape::Up, "Best moment"),
                    (MarkerShape::Down, "Worst moment"),
                ])
                .map(|(m, (shape, name))| (m, shape, name))
            {
                plot.points(
                    Points::new(name, PlotPoints::Borrowed(std::slice::from_ref(&marker.at)))
                        .shape(shape)
                        .filled(true)
                        .color(if name == "Best moment" {
                            target_color
                        } else {
                            stop_color
                        })
                        .radius(marker.radius),
                );
            }
            plot.line(
                Line::new("", PlotPoints::Borrowed(&data.fills))
                    .color(fill_color)
                    .allow_band(false)
                    .width(1.0),
            );
            plot.line(
                Line::new("Stop", PlotPoints::Borrowed(&data.stop))
                    .color(stop_color)
                    .allow_band(false)
                    .width(2.0),
            );
            plot.line(
                Line::new("Average entry", PlotPoints::Borrowed(&data.average))
                    .color(avg_color)
                    .allow_band(false)
                    .width(1.5),
            );
            for target in &data.targets {
                plot.line(
                    Line::new("Target", PlotPoints::Borrowed(target))
                        .color(target_color)
                        .style(LineStyle::dashed_loose())
                        .allow_band(false)
                        .width(1.5),
                );
            }
            if !data.twin_fills.is_empty() {
                let faint = fill_color.gamma_multiply(0.45);
                plot.line(
                    Line::new(TWIN_LEGEND, PlotPoints::Borrowed(&data.twin_average))
                        .color(faint)
                        .allow_band(false)
                        .width(1.0),
                );
                plot.points(
                    Points::new(TWIN_LEGEND, PlotPoints::Borrowed(&data.twin_fills))
                        .shape(MarkerShape::Circle)
                        .filled(false)
                        .color(faint)
                        .radius(9.0),
                );
            }
            for marker in &data.markers {
                let (shape, color) = match marker.kind {
                    MarkerKind::Initial => (MarkerShape::Diamond, Color32::from_rgb(170, 110, 240)),
                    MarkerKind::Add => (MarkerShape::Circle, Color32::from_rgb(40, 170, 200)),
                    MarkerKind::Exit => (MarkerShape::Square, Color32::from_rgb(230, 150, 30)),
                };
                plot.points(
                    Points::new(
                        marker.kind.legend(),
                        PlotPoints::Borrowed(std::slice::from_ref(&marker.at)),
                    )
                    .shape(shape)
                    .filled(true)
                    .color(color)
                    .radius(marker.radius),
                );
            }
        });

    Plot::new(id.with("qty"))
        .height((height * 0.3).max(60.0))
        .link_axis(link, [true, false])
        .link_cursor(link, [true, false])
        .include_x(0.0)
        .include_x(data.end)
        .include_y(0.0)
        .y_axis_min_width(48.0)
        .x_axis_formatter(move |mark, _| tick_below(mark.value))
        .label_formatter(|pos| match pos {
            egui_plot::HoverPosition::NearDataPoint { position, .. } => {
                Some(format!("open {}", position.y))
            }
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            if !data.twin_open_qty.is_empty() {
                plot.line(
                    Line::new(TWIN_LEGEND, PlotPoints::Borrowed(&data.twin_open_qty))
                        .color(fill_color.gamma_multiply(0.45))
                        .allow_band(false)
                        .width(1.0),
                );
            }
            plot.line(
                Line::new("Open quantity", PlotPoints::Borrowed(&data.open_qty))
                    .color(avg_color)
                    .allow_band(false)
                    .fill(0.0)
                    .width(1.5),
            );
        });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::{RuleSettings, analyze_with_steps};
    use crate::domain::{Event, Side};
    use chrono::DateTime;
    use rust_decimal_macros::dec;

    #[test]
    fn the_worked_example_charts_steps_markers_and_hover_text() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        let mut trade = Trade::new("AAPL", Side::Long);
        trade.events = vec![
            Event::stop(at("2025-03-03T09:35:00-05:00"), dec!(95)),
            Event::entry(
                at("2025-03-03T09:35:00-05:00"),
                dec!(300),
                dec!(100),
                dec!(0),
            ),
            Event::entry(
                at("2025-03-03T10:10:00-05:00"),
                dec!(200),
                dec!(104),
                dec!(0),
            ),
            Event::stop(at("2025-03-03T10:10:00-05:00"), dec!(99)),
            Event::exit(
                at("2025-03-04T11:00:00-05:00"),
                dec!(250),
                dec!(110),
                dec!(0),
            ),
            Event::stop(at("2025-03-04T11:00:00-05:00"), dec!(102)),
            Event::exit(
                at("2025-03-06T15:10:00-05:00"),
                dec!(250),
                dec!(106),
                dec!(0),
            ),
        ];
        let (_, steps) = analyze_with_steps(&trade, &RuleSettings::default());
        let zone = Zone::parse("America/New_York").unwrap();
        let data = ChartData::new(&trade, &steps, &zone);

        let kinds: Vec<MarkerKind> = data.markers.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MarkerKind::Initial,
                MarkerKind::Add,
                MarkerKind::Exit,
                MarkerKind::Exit
            ]
        );
        assert!(
            data.markers[1].radius < data.markers[0].radius,
            "the smaller add is drawn smaller"
        );
        // The stop steps up at the add and again after the partial exit.
        let stops: Vec<f64> = data.stop.iter().map(|p| p.y).collect();
        assert_eq!(stops, [95.0, 95.0, 99.0, 99.0, 102.0, 102.0]);
        // Average entry: 100 from the entry, 101.6 from the add, until the close.
        let averages: Vec<f64> = data.average.iter().map(|p| p.y).collect();
        assert_eq!(averages, [100.0, 100.0, 101.6, 101.6]);
        // Open quantity steps 0 → 300 → 500 → 250 → 0.
        let open: Vec<f64> = data.open_qty.iter().map(|p| p.y).collect();
        assert_eq!(
            open,
            [0.0, 0.0, 300.0, 300.0, 500.0, 500.0, 250.0, 250.0, 0.0, 0.0]
        );
        let add = &data.markers[1];
        let hover = data.describe(MarkerKind::Add.legend(), add.at).unwrap();
        assert!(
            hover.starts_with("Add 1: bought 200 @ 104.00 on 2025-03-03 10:10"),
            "{hover}"
        );
        assert!(hover.contains("open 500, average 101.60"), "{hover}");
    }
}
