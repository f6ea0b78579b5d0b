//! The review dashboard: headline figures, charts and tables over the journal
//! statistics ([`journal_stats`]), for the trades that pass the dashboard's filter.
//!
//! [`ReviewPanel`] keeps the statistics and everything its charts draw in a
//! cache ([`ReviewPanel::refresh`]), recomputed only when the trades, their
//! analyses (the trades' revision), the rule settings or the filter change.
//! A frame only draws from the cache. The figures on the cards are the
//! strings of `tranche report --json` ([`Report`]), so the two always agree.
//! A group of fewer than [`SMALL_SAMPLE`] trades says so next to its figure.
//!
//! The dashboard leads with the journal's main currency (the one with the
//! most closed trades): the first card is its total net P&L, with the other
//! currencies' totals smaller beneath, and the money charts show it until
//! another currency is chosen.
//!
//! Beside them: the R-multiples' median and histogram with the trades whose
//! initial risk is tiny ([`breakdowns::robust_r`]), the calendar of days
//! ([`calendar`]), and the breakdowns by tag, account, weekday, hour,
//! holding time and adds ([`breakdowns::tables`]), whose rows and days
//! filter the list when clicked.
//!
//! Its Statements section lists the checks kept with imports of files that
//! state their own total: the statement's figure, the journal's as at the
//! import, and the journal's for the same trades as it holds them now
//! ([`StatementNow`], computed with the statistics, whatever the filter).

pub mod breakdowns;
pub mod calendar;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Instant;

use chrono::DateTime;
use egui::{Color32, RichText, Ui};
use egui_plot::{
    Bar, BarChart, BoxElem, BoxPlot, BoxSpread, Corner, Legend, Line, MarkerShape, Plot, PlotPoint,
    PlotPoints, Points,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::analysis::stats::{Analysed, Breakdown, Filter, JournalStats, journal_stats};
use crate::analysis::{Rule, RuleSettings};
use crate::domain::TradeId;
use crate::import::StatementCheck;
use crate::import::{Format, Reconciliation};
use crate::model::TradeRow;
use crate::report::{Report, SMALL_SAMPLE, report_json};
use crate::ui::filter::TradeSet;
use crate::ui::time::Zone;
use crate::ui::{Command, ViewContext, agreement_color, rule_color};

/// What the dashboard remembers between runs (its filter is the one it
/// shares with the trade list, [`crate::ui::filter::TradeFilter`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewPrefs {
    /// The currency the money charts show (the main one when unset or gone).
    pub currency: Option<String>,
    /// How many minutes after a loss closed a new trade counts as "soon"
    /// for tilt (30 when unset).
    pub tilt_window_minutes: Option<u32>,
}

/// The id of the scale-out chart's plot (its [`egui_plot::PlotMemory`] holds
/// where it was last drawn).
pub fn scale_out_plot_id() -> egui::Id {
    egui::Id::unique("review-scale-out")
}

/// Which chart a point was picked on, for [`ReviewPanel::trade_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// The equity curve in money, of the chosen currency.
    EquityMoney,
    /// The equity curve in R.
    EquityR,
    /// The scale-out effect per trade, of the chosen currency.
    ScaleOut,
}

/// Points of one series, each the trade it stands for.
#[derive(Debug, Clone, Default)]
struct Series {
    points: Vec<PlotPoint>,
    ids: Vec<TradeId>,
}

impl Series {
    fn push(&mut self, x: f64, y: f64, id: TradeId) {
        self.points.push(PlotPoint::new(x, y));
        self.ids.push(id);
    }
}

/// One equity curve with its violating trades, by worst rule.
#[derive(Debug, Clone, Default)]
struct Curve {
    /// Every trade's point, for picking and hovering.
    line: Series,
    /// What the line draws: [`line`](Self::line) decimated.
    drawn: Vec<PlotPoint>,
    marks: BTreeMap<Rule, Series>,
}

/// R-multiples of the closed trades of one group, sorted.
#[derive(Debug, Clone, Default)]
struct Distribution {
    r: Vec<f64>,
}

impl Distribution {
    fn quantile(&self, q: f64) -> f64 {
        let last = self.r.len().saturating_sub(1);
        let at = q * last as f64;
        let (low, high) = (at.floor() as usize, at.ceil() as usize);
        let (a, b) = (self.r[low.min(last)], self.r[high.min(last)]);
        a + (b - a) * (at - low as f64)
    }

    fn box_elem(&self, x: f64, name: &str, color: Color32) -> Option<BoxElem> {
        let (first, last) = (*self.r.first()?, *self.r.last()?);
        Some(
            BoxElem::new(
                x,
                BoxSpread::new(
                    first,
                    self.quantile(0.25),
                    self.quantile(0.5),
                    self.quantile(0.75),
                    last,
                ),
            )
            .name(format!("{name} ({} trades)", self.r.len()))
            .fill(color.gamma_multiply(0.4))
            .stroke(egui::Stroke::new(1.5, color))
            .box_width(0.6),
        )
    }
}

/// What the statistics are computed for: when any of it changes, they are
/// computed again.
#[derive(Debug, Clone, PartialEq)]
struct Inputs {
    /// The trades' revision.
    revision: u64,
    settings: RuleSettings,
    filter: Filter,
    /// The set of trades the list is narrowed to, if any (a tilt figure
    /// clicked): the statistics are of those trades alone.
    only: Option<TradeSet>,
    /// The currency asked for (the first one when `None` or gone).
    currency: Option<String>,
    /// The statement checks kept with imports.
    checks: Arc<Vec<StatementCheck>>,
}

/// A statement check beside the journal's figure for its trades as the
/// journal holds them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementNow {
    /// The check's figures with the journal's replaced by the net P&L, now,
    /// of the check's trades that are still in the journal and in the
    /// check's currency.
    pub reconciliation: Reconciliation,
    /// How many of the check's trades are no longer in the journal.
    pub gone: usize,
}

/// The journal's figure now for each check's trades (`rows` in id order).
fn statements_now(rows: &[TradeRow], checks: &[StatementCheck]) -> Vec<StatementNow> {
    checks
        .iter()
        .map(|check| {
            let currency = &check.reconciliation.currency;
            let mut journal = Decimal::ZERO;
            let mut gone = 0;
            for id in &check.trades {
                match rows.binary_search_by_key(id, |row| row.id) {
                    Ok(at) if rows[at].trade.currency == *currency => {
                        journal += rows[at].analysis.net_pnl;
                    }
                    Ok(_) => {}
                    Err(_) => gone += 1,
                }
            }
            StatementNow {
                reconciliation: Reconciliation {
                    journal,
                    ..check.reconciliation.clone()
                },
                gone,
            }
        })
        .collect()
}

/// Everything the dashboard draws, computed once per change.
struct Cache {
    inputs: Inputs,
    /// The currency the money charts show.
    currency: Option<String>,
    stats: JournalStats,
    report: Report,
    /// How long the statistics took, in milliseconds.
    took_ms: f64,
    equity_r: Curve,
    equity_money: Curve,
    /// The scale-out bars drawn, each with its trade.
    scale_out: Series,
    /// How many trades one scale-out bar stands for.
    scale_out_run: usize,
    scale_out_cumulative: Vec<PlotPoint>,
    single_entry: Distribution,
    scaled_in: Distribution,
    pyramided: Distribution,
    averaged_down: Distribution,
    /// For each of `inputs.checks`, the journal's figure now.
    statements: Vec<StatementNow>,
}

/// The review dashboard.
#[derive(Default)]
pub struct ReviewPanel {
    /// The chosen currency.
    pub prefs: ReviewPrefs,
    cache: Option<Cache>,
    /// Statistics being computed on another thread, and for what.
    pending: Option<(Inputs, Receiver<Cache>)>,
    /// A file of the dashboard is being saved (its buttons wait).
    saving: bool,
    message: Option<String>,
    /// The coaching sections (the disciplined twin, tilt).
    coaching: super::coaching::Coaching,
    /// The calendar's mode and the month or year it shows.
    calendar: calendar::Calendar,
}

/// At most this many scale-out bars are drawn; beyond it, each bar stands
/// for a run of trades and shows the run's extremes.
const MAX_BARS: usize = 1000;

/// At most this many violation dots are drawn per rule and curve; beyond it,
/// every n-th is shown (the curve itself keeps every trade).
const MAX_MARKS: usize = 2000;

/// A decimal as a float for a chart: the mantissa over a power of ten
/// (`to_f64` is several times slower on the 28-digit quotients of R).
fn f(value: Decimal) -> f64 {
    value.mantissa() as f64 / 10f64.powi(value.scale() as i32)
}

/// At most about this many points of an equity curve are drawn.
const MAX_LINE_POINTS: usize = 4000;

/// The points of a line to draw: all of them when there are few; otherwise,
/// in runs of consecutive points, each run's first, lowest, highest and last
/// point (in order), which keeps the line's shape at any zoom that shows the
/// whole curve.
fn decimate(points: &[PlotPoint]) -> Vec<PlotPoint> {
    let run = points.len().div_ceil(MAX_LINE_POINTS / 4).max(1);
    if run <= 4 {
        return points.to_vec();
    }
    let mut drawn = Vec::with_capacity(points.len() / run * 4 + 4);
    for chunk in points.chunks(run) {
        let mut keep = [0, 0, 0, chunk.len() - 1];
        for (i, p) in chunk.iter().enumerate() {
            if p.y < chunk[keep[1]].y {
                keep[1] = i;
            }
            if p.y > chunk[keep[2]].y {
                keep[2] = i;
            }
        }
        keep.sort_unstable();
        let mut last = None;
        for i in keep {
            if last != Some(i) {
                drawn.push(chunk[i]);
                last = Some(i);
            }
        }
    }
    drawn
}

/// Whether a chart `height` tall placed next would be on screen. If not, its
/// space is taken without drawing it (a plot works through all its points
/// even where nobody sees it).
fn on_screen(ui: &mut Ui, height: f32) -> bool {
    let size = egui::vec2(ui.available_width(), height);
    if ui.is_rect_visible(egui::Rect::from_min_size(ui.cursor().min, size)) {
        true
    } else {
        ui.allocate_space(size);
        false
    }
}

/// Keeps every n-th point when there are more than [`MAX_MARKS`].
fn thin(series: &mut Series) {
    let step = series.points.len().div_ceil(MAX_MARKS).max(1);
    if step > 1 {
        series.points = series.points.iter().step_by(step).copied().collect();
        series.ids = series.ids.iter().step_by(step).copied().collect();
    }
}

fn seconds(at: DateTime<chrono::FixedOffset>) -> f64 {
    at.timestamp() as f64
}

fn date_tick(x: f64) -> String {
    DateTime::from_timestamp(x as i64, 0)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_default()
}

fn small_sample(ui: &mut Ui, trades: usize) {
    if trades < SMALL_SAMPLE {
        ui.label(
            RichText::new(format!("small sample: {trades} < {SMALL_SAMPLE} trades"))
                .small()
                .color(ui.visuals().warn_fg_color),
        )
        .on_hover_text("Too few trades to tell a pattern from chance.");
    }
}

/// Computes everything the dashboard draws for `inputs`, from the trades'
/// rows (on the statistics thread).
fn compute(rows: &[TradeRow], inputs: Inputs) -> Cache {
    let started = Instant::now();
    let analysed: Vec<Analysed<'_>> = rows
        .iter()
        .filter(|row| {
            inputs
                .only
                .as_ref()
                .is_none_or(|only| only.ids.contains(&row.id))
        })
        .map(|row| Analysed::new(row.id, &row.trade, &row.analysis))
        .collect();
    let filter = &inputs.filter;
    let matcher = filter.matcher();
    let stats = journal_stats(&analysed, filter, &inputs.settings);
    let currency = inputs
        .currency
        .clone()
        .filter(|c| stats.currencies.contains(c))
        .or_else(|| stats.performance.main_currency.clone())
        .or_else(|| stats.currencies.first().cloned());
    let currency_index = currency
        .as_ref()
        .and_then(|c| stats.currencies.iter().position(|x| x == c));

    let mut equity_r = Curve::default();
    let mut equity_money = Curve::default();
    for p in &stats.equity_curve {
        let x = seconds(p.closed_at);
        equity_r.line.push(x, f(p.equity_r), p.id);
        if let Some(rule) = p.worst_rule {
            equity_r
                .marks
                .entry(rule)
                .or_default()
                .push(x, f(p.equity_r), p.id);
        }
        if Some(p.currency) == currency_index {
            equity_money.line.push(x, f(p.equity), p.id);
            if let Some(rule) = p.worst_rule {
                equity_money
                    .marks
                    .entry(rule)
                    .or_default()
                    .push(x, f(p.equity), p.id);
            }
        }
    }

    let mut effects: Vec<_> = stats
        .scale_out_effects
        .iter()
        .filter(|p| Some(p.currency) == currency_index)
        .collect();
    effects.sort_by_key(|p| (p.opened_at, p.id));
    let mut scale_out = Series::default();
    let run = effects.len().div_ceil(MAX_BARS).max(1);
    let mut scale_out_cumulative = Vec::with_capacity(effects.len() / run + 1);
    let mut total = Decimal::ZERO;
    for (chunk, trades) in effects.chunks(run).enumerate() {
        // Ordinals of the trades, from 1; a run's bar sits at its middle.
        let first = chunk * run + 1;
        let x = first as f64 + (trades.len() as f64 - 1.0) / 2.0;
        if run == 1 {
            scale_out.push(x, f(trades[0].effect), trades[0].id);
        } else {
            let low = trades.iter().min_by_key(|p| p.effect);
            let high = trades.iter().max_by_key(|p| p.effect);
            if let Some(p) = low.filter(|p| p.effect < Decimal::ZERO) {
                scale_out.push(x, f(p.effect), p.id);
            }
            if let Some(p) = high.filter(|p| p.effect > Decimal::ZERO) {
                scale_out.push(x, f(p.effect), p.id);
            }
        }
        total += trades.iter().map(|p| p.effect).sum::<Decimal>();
        scale_out_cumulative.push(PlotPoint::new((first + trades.len() - 1) as f64, f(total)));
    }

    let mut single_entry = Distribution::default();
    let mut scaled_in = Distribution::default();
    let mut pyramided = Distribution::default();
    let mut averaged_down = Distribution::default();
    for row in rows {
        let a = &row.analysis;
        let (Some(_), Some(r)) = (a.closed_at, a.r_multiple) else {
            continue;
        };
        if !matcher.accepts(&row.trade, a) {
            continue;
        }
        let r = f(r);
        if a.is_scaled_in() {
            scaled_in.r.push(r);
            if a.broke(Rule::AveragingDown) {
                averaged_down.r.push(r);
            } else {
                pyramided.r.push(r);
            }
        } else {
            single_entry.r.push(r);
        }
    }
    for d in [
        &mut single_entry,
        &mut scaled_in,
        &mut pyramided,
        &mut averaged_down,
    ] {
        d.r.sort_by(f64::total_cmp);
    }

    for curve in [&mut equity_r, &mut equity_money] {
        curve.marks.values_mut().for_each(thin);
        curve.drawn = decimate(&curve.line.points);
    }
    let report = Report::new(&stats);
    let statements = statements_now(rows, &inputs.checks);
    Cache {
        inputs,
        currency,
        report,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        stats,
        equity_r,
        equity_money,
        scale_out,
        scale_out_run: run,
        scale_out_cumulative,
        single_entry,
        scaled_in,
        pyramided,
        averaged_down,
        statements,
    }
}

impl ReviewPanel {
    /// A dashboard with a remembered filter.
    pub fn new(prefs: ReviewPrefs) -> Self {
        ReviewPanel {
            prefs,
            ..ReviewPanel::default()
        }
    }

    /// The coaching sections, for tests.
    pub fn coaching(&self) -> &super::coaching::Coaching {
        &self.coaching
    }

    /// The statistics shown, if they have been computed.
    pub fn stats(&self) -> Option<&JournalStats> {
        self.cache.as_ref().map(|c| &c.stats)
    }

    /// The statistics shown, as `tranche report --json` would print them.
    pub fn report_json(&self) -> Option<serde_json::Value> {
        self.stats().map(report_json)
    }

    /// The statement checks shown, each with the journal's figure for its
    /// trades now, once computed.
    pub fn statements(&self) -> Option<Vec<(&StatementCheck, &StatementNow)>> {
        let cache = self.cache.as_ref()?;
        Some(cache.inputs.checks.iter().zip(&cache.statements).collect())
    }

    /// How long the last recomputation took, in milliseconds.
    pub fn last_refresh_ms(&self) -> Option<f64> {
        self.cache.as_ref().map(|c| c.took_ms)
    }

    /// The chosen currency for the money charts.
    pub fn currency(&self) -> Option<&str> {
        self.cache.as_ref().and_then(|c| c.currency.as_deref())
    }

    /// Whether statistics are being computed (the dashboard shows the last
    /// ones until they come).
    pub fn is_computing(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes statistics that have been computed, and starts computing them
    /// again on another thread if the trades, the settings, the filter or
    /// the currency changed since; the frame draws whatever is cached.
    pub fn refresh(&mut self, view: &ViewContext<'_>, ctx: &egui::Context) {
        if let Some((_, rx)) = &self.pending {
            match rx.try_recv() {
                Ok(cache) => {
                    self.cache = Some(cache);
                    self.pending = None;
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.pending = None;
                    self.message = Some("The statistics could not be computed.".to_owned());
                    return;
                }
            }
        }
        let inputs = Inputs {
            revision: view.trades.revision(),
            settings: view.rule_settings.clone(),
            filter: view.filter.to_filter(view.zone),
            only: view.filter.only.clone(),
            currency: self.prefs.currency.clone(),
            checks: Arc::clone(view.statement_checks),
        };
        if self.cache.as_ref().is_some_and(|c| c.inputs == inputs) {
            return;
        }
        let rows = view.trades.shared_rows();
        let (tx, rx) = channel();
        let job = inputs.clone();
        let repaint = ctx.clone();
        let spawned = (view.spawn)(
            "review-statistics",
            Box::new(move || {
                let _ = tx.send(compute(&rows, job));
                repaint.request_repaint();
            }),
        );
        match spawned {
            Ok(_) => self.pending = Some((inputs, rx)),
            // No thread to be had: compute here, in this frame.
            Err(_) => self.cache = Some(compute(&view.trades.shared_rows(), inputs)),
        }
    }

    /// The trade drawn nearest to plot position (`x`, `y`) on `chart`, if
    /// one is within `x_tolerance` and `y_tolerance` (plot units). A click
    /// on a chart opens this trade.
    pub fn trade_at(
        &self,
        chart: Chart,
        x: f64,
        y: f64,
        x_tolerance: f64,
        y_tolerance: f64,
    ) -> Option<TradeId> {
        let cache = self.cache.as_ref()?;
        let series = match chart {
            Chart::EquityMoney => &cache.equity_money.line,
            Chart::EquityR => &cache.equity_r.line,
            Chart::ScaleOut => {
                // A bar is hit anywhere between zero and its top.
                let half = bar_width(cache.scale_out_run) / 2.0 + x_tolerance;
                return cache
                    .scale_out
                    .points
                    .iter()
                    .zip(&cache.scale_out.ids)
                    .find(|(bar, _)| {
                        let (low, high) = if bar.y < 0.0 {
                            (bar.y, 0.0)
                        } else {
                            (0.0, bar.y)
                        };
                        (bar.x - x).abs() <= half
                            && y >= low - y_tolerance
                            && y <= high + y_tolerance
                            && (y == 0.0 || (y < 0.0) == (bar.y < 0.0))
                    })
                    .map(|(_, id)| *id);
            }
        };
        let x_tolerance = x_tolerance.max(f64::MIN_POSITIVE);
        let y_tolerance = y_tolerance.max(f64::MIN_POSITIVE);
        series
            .points
            .iter()
            .zip(&series.ids)
            .map(|(p, id)| {
                let dx = (p.x - x) / x_tolerance;
                let dy = (p.y - y) / y_tolerance;
                (dx * dx + dy * dy, *id)
            })
            .filter(|(d, _)| *d <= 1.0)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id)
    }

    /// The scale-out bar (its position on the chart and its trade) that capped the most.
    pub fn most_capped_bar(&self) -> Option<(PlotPoint, TradeId)> {
        let cache = self.cache.as_ref()?;
        cache
            .scale_out
            .points
            .iter()
            .zip(&cache.scale_out.ids)
            .min_by(|a, b| a.0.y.total_cmp(&b.0.y))
            .map(|(p, id)| (*p, *id))
    }

    /// The statistics as CSV: one row per figure, `figure,value`, the figure
    /// named by its path in `tranche report --json`.
    pub fn csv(&self) -> Option<String> {
        fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        let path = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(&path, v, out);
                    }
                }
                serde_json::Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(&format!("{prefix}.{i}"), v, out);
                    }
                }
                serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
                serde_json::Value::Null => out.push((prefix.to_owned(), String::new())),
                other => out.push((prefix.to_owned(), other.to_string())),
            }
        }
        let json = self.report_json()?;
        let mut rows = Vec::new();
        walk("", &json, &mut rows);
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(["figure", "value"]).ok()?;
        for (figure, value) in rows {
            writer.write_record([figure, value]).ok()?;
        }
        String::from_utf8(writer.into_inner().ok()?).ok()
    }

    /// Whether a file of the dashboard is being saved.
    pub fn is_saving(&self) -> bool {
        self.saving
    }

    /// A file of the dashboard was saved, or not: `message` says what
    /// happened (none when the user chose no file).
    pub fn saved(&mut self, message: Option<String>) {
        self.saving = false;
        if message.is_some() {
            self.message = message;
        }
    }

    /// The review shown, as the self-contained HTML page that Export HTML…
    /// saves, once computed.
    pub fn html(&self) -> Option<String> {
        let cache = self.cache.as_ref()?;
        let about = crate::html_report::About {
            title: "Tranche review".to_owned(),
            lines: vec![
                format!(
                    "Trades: {}",
                    crate::html_report::describe_filter(&cache.inputs.filter)
                ),
                format!("Written {}", chrono::Local::now().format("%Y-%m-%d %H:%M")),
            ],
        };
        Some(crate::html_report::html_report(
            &cache.stats,
            cache.currency.as_deref(),
            &about,
        ))
    }

    /// Draws the dashboard; returns what the user asked for.
    pub fn ui(&mut self, ui: &mut Ui, view: &ViewContext<'_>) -> Vec<Command> {
        let mut commands = Vec::new();
        // What "Save PNG" keeps: the dashboard, not the list beside it.
        let dashboard_rect = ui.max_rect();
        ui.horizontal(|ui| {
            ui.heading("Review");
            if ui
                .add_enabled(!self.saving, egui::Button::new("Export CSV…"))
                .on_hover_text("Save these statistics as a CSV file")
                .clicked()
                && let Some(text) = self.csv()
            {
                self.saving = true;
                commands.push(Command::SaveStatistics(text));
            }
            if ui
                .add_enabled(!self.saving, egui::Button::new("Export HTML…"))
                .on_hover_text("Save the whole review, with its charts, as one web page to share")
                .clicked()
                && let Some(page) = self.html()
            {
                self.saving = true;
                commands.push(Command::SaveReportPage(page));
            }
            if ui
                .add_enabled(!self.saving, egui::Button::new("Save PNG…"))
                .on_hover_text("Save a picture of the dashboard")
                .clicked()
            {
                self.saving = true;
                commands.push(Command::SaveDashboard(dashboard_rect));
            }
            self.currency_ui(ui);
            if self.pending.is_some() && self.cache.is_some() {
                ui.spinner().on_hover_text("Updating the statistics");
            }
            if let Some(message) = &self.message {
                ui.weak(message);
            }
        });
        self.refresh(view, ui.ctx());
        let Some(cache) = self.cache.as_ref() else {
            ui.add_space(20.0);
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Computing the statistics…");
            });
            return commands;
        };
        if cache.stats.trades == 0 {
            ui.add_space(20.0);
            ui.label("No trades pass this filter.");
            if !cache.statements.is_empty() {
                ui.separator();
                statements_table(ui, cache, view.zone);
            }
            return commands;
        }
        let mut coaching = std::mem::take(&mut self.coaching);
        let mut window = self.prefs.tilt_window_minutes;
        // Out of `self` while the dashboard draws, which borrows the rest of it.
        let mut calendar = std::mem::take(&mut self.calendar);
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                // Everything wraps to the panel; nothing scrolls sideways.
                ui.set_max_width(ui.available_width());
                cards(ui, cache);
                ui.separator();
                commands.extend(breakdowns::robust_r(ui, &cache.stats.breakdowns.robust_r));
                ui.separator();
                commands.extend(equity_charts(ui, self, cache));
                ui.separator();
                monthly_chart(ui, cache);
                ui.separator();
                commands.extend(calendar.ui(
                    ui,
                    &cache.stats.breakdowns.calendar,
                    cache.currency.as_deref(),
                    view.filter,
                ));
                ui.separator();
                rule_cost_chart(ui, cache);
                ui.separator();
                commands.extend(scale_out_chart(ui, self, cache));
                ui.separator();
                commands.extend(super::market_review::market_section(ui, view));
                ui.separator();
                distributions(ui, cache);
                ui.separator();
                breakdown_tables(ui, cache);
                ui.separator();
                commands.extend(coaching.ui(ui, view, &mut window));
                commands.extend(breakdowns::tables(ui, &cache.stats.breakdowns, view.filter));
                if !cache.statements.is_empty() {
                    ui.separator();
                    statements_table(ui, cache, view.zone);
                }
                ui.weak(format!(
                    "Statistics of {} trades computed in {:.1} ms.",
                    cache.stats.trades, cache.took_ms
                ));
            });
        self.coaching = coaching;
        self.prefs.tilt_window_minutes = window;
        self.calendar = calendar;
        commands
    }

    /// The choice of currency for the money charts, when there is more than one.
    fn currency_ui(&mut self, ui: &mut Ui) {
        let Some(currencies) = self
            .cache
            .as_ref()
            .map(|c| &c.stats.currencies)
            .filter(|c| c.len() > 1)
        else {
            return;
        };
        let prefs = &mut self.prefs;
        let main = self
            .cache
            .as_ref()
            .and_then(|c| c.stats.performance.main_currency.clone());
        let shown = prefs
            .currency
            .clone()
            .filter(|c| currencies.contains(c))
            .or(main)
            .or_else(|| currencies.first().cloned())
            .unwrap_or_default();
        egui::ComboBox::from_id_salt("review-currency")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for c in currencies {
                    ui.selectable_value(&mut prefs.currency, Some(c.clone()), c);
                }
            })
            .response
            .accessible_name("Review currency")
            .on_hover_text("The currency of the money charts");
    }
}

/// The width of a headline card's contents.
const CARD_WIDTH: f32 = 150.0;

fn card(ui: &mut Ui, title: &str, values: &[String], trades_for_note: Option<usize>) {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.set_width(CARD_WIDTH);
            ui.vertical(|ui| {
                ui.label(RichText::new(title).small().weak());
                if values.is_empty() {
                    ui.label(RichText::new("-").heading());
                }
                for value in values {
                    ui.label(RichText::new(value).heading());
                }
                if let Some(trades) = trades_for_note {
                    small_sample(ui, trades);
                }
            });
        });
}

/// Amounts as `tranche report` writes them for people: to the cent, with the currency.
fn money_lines(values: &BTreeMap<String, String>) -> Vec<String> {
    values
        .iter()
        .map(|(c, v)| match v.parse::<Decimal>() {
            Ok(amount) => crate::analysis::format::money_for_people(amount, c),
            Err(_) => format!("{v} {c}"),
        })
        .collect()
}

/// A ratio by currency, as plain numbers: a ratio has no currency, though
/// it is worked out per currency (the currency is named when there are several).
fn ratio_lines(values: &BTreeMap<String, String>) -> Vec<String> {
    values
        .iter()
        .map(|(c, v)| {
            let figure = v
                .parse::<Decimal>()
                .map_or_else(|_| v.clone(), |r| crate::analysis::format::price(r, 2));
            if values.len() > 1 {
                format!("{figure} ({c})")
            } else {
                figure
            }
        })
        .collect()
}

/// A figure of the report as people read it: `shown` applied to its exact
/// decimal, or a dash when there is none.
fn shown_as(value: &Option<String>, shown: impl Fn(Decimal) -> String) -> String {
    value
        .as_deref()
        .and_then(|v| v.parse::<Decimal>().ok())
        .map_or_else(|| "-".to_owned(), shown)
}

/// A headline card's title, its figures, and the size of its sample when
/// small samples are to be noted.
type Figures<'a> = (&'a str, Vec<String>, Option<usize>);

/// The headline card of the total net P&L: the main currency's large, every
/// other currency's smaller beneath it.
fn net_pnl_card(ui: &mut Ui, performance: &crate::report::PerformanceReport) {
    let main = performance.main_currency.as_deref();
    let amount = |currency: &str, value: &String| match value.parse::<Decimal>() {
        Ok(amount) => (
            crate::analysis::format::money_for_people(amount, currency),
            Some(amount),
        ),
        Err(_) => (format!("{value} {currency}"), None),
    };
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.set_width(CARD_WIDTH);
            ui.vertical(|ui| {
                ui.label(RichText::new("Net P&L").small().weak());
                match main.and_then(|c| performance.net_pnl.get_key_value(c)) {
                    Some((currency, value)) => {
                        let (text, value) = amount(currency, value);
                        let mut text = RichText::new(text).heading();
                        if let Some(value) = value {
                            text = text.color(crate::ui::pnl_color(ui, value));
                        }
                        ui.label(text);
                    }
                    None => {
                        ui.label(RichText::new("-").heading());
                    }
                }
                for (currency, value) in &performance.net_pnl {
                    if Some(currency.as_str()) != main {
                        ui.label(RichText::new(amount(currency, value).0).small());
                    }
                }
            });
        })
        .response
        .on_hover_text(
            "The total net P&L of the closed trades, in the main currency (the one with the \
             most closed trades); other currencies are never added to it.",
        );
}

fn cards(ui: &mut Ui, cache: &Cache) {
    let r = &cache.report;
    let p = &r.performance;
    // Trades whose stop rules were not judged are neither clean nor not.
    let judged = r.trades - r.adherence.stops_not_judged.min(r.trades);
    use crate::analysis::format::{percent, price};
    let clean = if judged > 0 {
        format!(
            "{} of {judged} ({})",
            r.adherence.clean_trades,
            percent(Decimal::from(r.adherence.clean_trades) / Decimal::from(judged))
        )
    } else {
        "-".to_owned()
    };
    // The net P&L card (`None`) leads; then title, figures, sample size.
    let cards: [Option<Figures<'_>>; 10] = [
        None,
        Some((
            "Trades",
            vec![r.trades.to_string()],
            Some(r.trades).filter(|_| r.trades < SMALL_SAMPLE),
        )),
        Some((
            "Win rate",
            vec![shown_as(&p.win_rate, percent)],
            Some(p.closed),
        )),
        Some((
            "Expectancy (R)",
            vec![shown_as(&p.expectancy_r, |r| price(r, 2))],
            Some(p.r_trades),
        )),
        Some((
            "Median R",
            vec![shown_as(&r.breakdowns.r_distribution.median_r, |r| {
                price(r, 2)
            })],
            None,
        )),
        Some(("Expectancy", money_lines(&p.expectancy), None)),
        Some(("Profit factor", ratio_lines(&p.profit_factor), None)),
        Some(("Max drawdown", money_lines(&p.max_drawdown), None)),
        Some((
            "Mean score",
            vec![shown_as(&r.adherence.mean_score, |s| price(s, 0))],
            None,
        )),
        Some(("Clean trades", vec![clean], None)),
    ];
    // Frames do not wrap by themselves: lay the cards out in rows that fit.
    let per_row = ((ui.available_width() / (CARD_WIDTH + 28.0)) as usize).clamp(1, cards.len());
    for row in cards.chunks(per_row) {
        ui.horizontal(|ui| {
            for figures in row {
                match figures {
                    Some((title, values, note)) => card(ui, title, values, *note),
                    None => net_pnl_card(ui, p),
                }
            }
        });
    }
    let not_judged = match r.adherence.stops_not_judged {
        0 => String::new(),
        1 => " 1 trade's stop rules were not judged (its initial stop is not known): it is neither clean nor counted as breaking them.".to_owned(),
        n => format!(" {n} trades' stop rules were not judged (their initial stop is not known): they are neither clean nor counted as breaking them."),
    };
    ui.add(
        egui::Label::new(RichText::new(format!(
            "{} closed, {} open; {} of {} judged trades broke no rule.{not_judged} Money is to the currency's minor unit, per currency (Export CSV has it exact).",
            r.closed, r.open, r.adherence.clean_trades, judged
        )).weak())
        .wrap(),
    );
}

fn plot_click(
    response: &egui_plot::PlotResponse<()>,
    panel: &ReviewPanel,
    chart: Chart,
) -> Option<Command> {
    if !response.response.clicked() {
        return None;
    }
    let pos = response.response.interact_pointer_pos()?;
    let at = response.transform.value_from_position(pos);
    // Eight pixels around the pointer, in plot units.
    let d = response
        .transform
        .value_from_position(pos + egui::vec2(8.0, 8.0));
    let id = panel.trade_at(chart, at.x, at.y, (d.x - at.x).abs(), (d.y - at.y).abs())?;
    Some(Command::Select(Some(id)))
}

fn curve_plot(ui: &mut Ui, id: &str, curve: &Curve, unit: &str) -> egui_plot::PlotResponse<()> {
    let unit_label = unit.to_owned();
    Plot::new(id)
        .height(220.0)
        .legend(
            Legend::default()
                .position(Corner::LeftTop)
                .text_style(egui::TextStyle::Small),
        )
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| date_tick(mark.value))
        .label_formatter(move |pos| match pos {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => {
                // The trade closed at this point, found by its close time.
                let points = &curve.line.points;
                let at = points.partition_point(|p| p.x < position.x);
                let trade = points[at..]
                    .iter()
                    .zip(&curve.line.ids[at..])
                    .take_while(|(p, _)| p.x == position.x)
                    .find(|(p, _)| p.y == position.y)
                    .map(|(_, id)| format!("trade #{id}, "))
                    .unwrap_or_default();
                Some(format!(
                    "{plot_name}\n{trade}equity {:.2} {unit_label}\nclosed {}",
                    position.y,
                    date_tick(position.x)
                ))
            }
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            plot.line(
                Line::new("Equity", PlotPoints::Borrowed(&curve.drawn))
                    .color(Color32::from_rgb(60, 130, 220))
                    .width(1.5),
            );
            for (rule, marks) in &curve.marks {
                plot.points(
                    Points::new(
                        format!("broke {}", rule.id()),
                        PlotPoints::Borrowed(&marks.points),
                    )
                    .shape(MarkerShape::Circle)
                    .radius(3.5)
                    .filled(true)
                    .color(rule_color(*rule)),
                );
            }
        })
}

fn equity_charts(ui: &mut Ui, panel: &ReviewPanel, cache: &Cache) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("Equity curve");
    ui.weak("By close time. Dots are trades that broke a rule, coloured by the worst one; click a dot or the curve to open the trade.");
    if let Some(currency) = &cache.currency {
        ui.label(format!("In money ({currency})"));
        if on_screen(ui, 220.0) {
            let response = curve_plot(ui, "review-equity-money", &cache.equity_money, currency);
            commands.extend(plot_click(&response, panel, Chart::EquityMoney));
        }
    }
    ui.label("In R");
    if on_screen(ui, 220.0) {
        let response = curve_plot(ui, "review-equity-r", &cache.equity_r, "R");
        commands.extend(plot_click(&response, panel, Chart::EquityR));
    }
    commands
}

fn monthly_chart(ui: &mut Ui, cache: &Cache) {
    ui.heading("Adherence over time");
    let currency = cache.currency.clone().unwrap_or_default();
    ui.weak(format!(
        "Monthly mean score (0–100) with the month's net P&L in {currency} behind it, scaled to fit; hover a bar for the amount."
    ));
    let months = &cache.stats.monthly;
    let nets: Vec<f64> = months
        .iter()
        .map(|m| m.net_pnl.get(&currency).copied().map_or(0.0, f))
        .collect();
    let biggest = nets.iter().fold(0.0_f64, |a, b| a.max(b.abs()));
    let scale = if biggest > 0.0 { 100.0 / biggest } else { 0.0 };
    let bars: Vec<Bar> = nets
        .iter()
        .zip(months)
        .enumerate()
        .map(|(i, (net, m))| {
            let color = if *net < 0.0 {
                Color32::from_rgb(220, 110, 100)
            } else {
                Color32::from_rgb(110, 190, 120)
            };
            Bar::new(i as f64, net * scale)
                .name(format!(
                    "{}: net {:.2} {currency}, {} trades",
                    m.month, net, m.trades
                ))
                .fill(color.gamma_multiply(0.6))
                .width(0.7)
        })
        .collect();
    let score: Vec<PlotPoint> = months
        .iter()
        .enumerate()
        .map(|(i, m)| PlotPoint::new(i as f64, f(m.mean_score)))
        .collect();
    let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let month_labels = labels.clone();
    Plot::new("review-monthly")
        .height(200.0)
        .legend(Legend::default().position(Corner::LeftBottom))
        .allow_scroll(false)
        .include_y(100.0)
        .include_y(0.0)
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_formatter(move |pos| match pos {
            egui_plot::HoverPosition::NearDataPoint { position, .. } => {
                let i = position.x.round().max(0.0) as usize;
                Some(format!(
                    "{}: mean score {:.1}",
                    month_labels.get(i).cloned().unwrap_or_default(),
                    position.y
                ))
            }
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("Net P&L (scaled)", bars)
                    .element_formatter(Box::new(|bar, _| bar.name.clone())),
            );
            plot.line(
                Line::new("Mean score", PlotPoints::Owned(score))
                    .color(Color32::from_rgb(60, 130, 220))
                    .width(2.0),
            );
        });
    let few: Vec<&str> = months
        .iter()
        .filter(|m| m.trades < SMALL_SAMPLE)
        .map(|m| m.month.as_str())
        .collect();
    if !few.is_empty() {
        ui.label(
            RichText::new(format!(
                "Small samples (fewer than {SMALL_SAMPLE} trades): {}",
                few.join(", ")
            ))
            .small()
            .color(ui.visuals().warn_fg_color),
        );
    }
}

fn rule_cost_chart(ui: &mut Ui, cache: &Cache) {
    ui.heading("Cost of broken rules");
    ui.weak("Mean R of the trades that broke each rule, next to the mean R of clean trades.");
    let clean = &cache.stats.adherence.clean;
    let clean_r = clean.mean_r.map_or(0.0, f);
    let impacts: Vec<_> = cache
        .stats
        .adherence
        .by_rule
        .iter()
        .filter(|i| i.broke.trades > 0)
        .collect();
    let mut broke_bars = Vec::new();
    let mut clean_bars = Vec::new();
    for (i, impact) in impacts.iter().enumerate() {
        let x = i as f64 * 3.0;
        broke_bars.push(
            Bar::new(x, impact.broke.mean_r.map_or(0.0, f))
                .name(format!(
                    "broke {}: mean R {}, {} trades ({} with R){}",
                    impact.rule.id(),
                    impact
                        .broke
                        .mean_r
                        .map_or("-".to_owned(), crate::analysis::format::ratio),
                    impact.broke.trades,
                    impact.broke.r_trades,
                    if impact.broke.trades < SMALL_SAMPLE {
                        " (small sample)"
                    } else {
                        ""
                    }
                ))
                .fill(rule_color(impact.rule))
                .width(0.9),
        );
        clean_bars.push(
            Bar::new(x + 1.0, clean_r)
                .name(format!(
                    "clean: mean R {}, {} trades",
                    clean
                        .mean_r
                        .map_or("-".to_owned(), crate::analysis::format::ratio),
                    clean.trades
                ))
                .fill(Color32::from_gray(150))
                .width(0.9),
        );
    }
    // Each pair is named below the lowest bar.
    let floor = broke_bars
        .iter()
        .chain(&clean_bars)
        .map(|b| b.value)
        .fold(0.0_f64, f64::min);
    let names: Vec<(PlotPoint, String)> = impacts
        .iter()
        .enumerate()
        .map(|(i, impact)| {
            (
                PlotPoint::new(i as f64 * 3.0 + 0.5, floor - 0.15),
                format!("{} ({})", impact.rule.id(), impact.broke.trades),
            )
        })
        .collect();
    Plot::new("review-rule-cost")
        .height(200.0)
        .legend(Legend::default().position(Corner::RightTop))
        .allow_scroll(false)
        .show_x(false)
        .x_axis_formatter(|_, _| String::new())
        .include_y(floor - 0.5)
        .label_formatter(|_| None)
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("Broke the rule", broke_bars)
                    .color(Color32::from_rgb(200, 40, 40))
                    .element_formatter(Box::new(|bar, _| bar.name.clone())),
            );
            plot.bar_chart(
                BarChart::new("Clean trades", clean_bars)
                    .color(Color32::from_gray(150))
                    .element_formatter(Box::new(|bar, _| bar.name.clone())),
            );
            for (at, name) in names {
                plot.text(
                    egui_plot::Text::new("", at, RichText::new(name).small())
                        .anchor(egui::Align2::CENTER_TOP),
                );
            }
        });
    egui::Grid::new("review-rule-counts")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Rule");
            ui.strong("Trades");
            ui.strong("Mean R");
            ui.strong("Clean mean R");
            ui.end_row();
            for impact in &impacts {
                ui.label(impact.rule.id())
                    .on_hover_text(impact.rule.description());
                ui.label(impact.broke.trades.to_string());
                ui.label(
                    impact
                        .broke
                        .mean_r
                        .map_or("-".to_owned(), crate::analysis::format::ratio),
                );
                ui.label(
                    clean
                        .mean_r
                        .map_or("-".to_owned(), crate::analysis::format::ratio),
                );
                small_sample(ui, impact.broke.trades);
                ui.end_row();
            }
        });
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("Clean trades: {}", clean.trades));
        small_sample(ui, clean.trades);
    });
}

fn scale_out_chart(ui: &mut Ui, panel: &ReviewPanel, cache: &Cache) -> Vec<Command> {
    ui.heading("What scaling out did");
    let currency = cache.currency.clone().unwrap_or_default();
    let protected = Color32::from_rgb(40, 160, 90);
    let capped = Color32::from_rgb(205, 95, 20);
    ui.horizontal_wrapped(|ui| {
        swatch(ui, protected);
        ui.colored_label(protected, "protected");
        ui.weak("(taking partial profits beat holding everything to the last exit)");
        swatch(ui, capped);
        ui.colored_label(capped, "capped");
        ui.weak(format!(
            "(it cost profit). One bar per scaled-out trade, by open time, in {currency}; the line is the running net effect. Click a bar to open the trade."
        ));
    });
    let s = &cache.stats.scale_out;
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} trades scaled out: {} protected, {} capped; net effect {}",
            s.trades,
            s.protected_trades,
            s.capped_trades,
            money_lines(&cache.report.scale_out.net_effect).join(", ")
        ));
        small_sample(ui, s.trades);
    });
    if !on_screen(ui, 200.0) {
        return Vec::new();
    }
    let width = bar_width(cache.scale_out_run);
    let bars: Vec<Bar> = cache
        .scale_out
        .points
        .iter()
        .map(|p| {
            Bar::new(p.x, p.y)
                .fill(if p.y < 0.0 { capped } else { protected })
                .width(width)
        })
        .collect();
    let run = cache.scale_out_run;
    if run > 1 {
        ui.weak(format!(
            "{} trades: each bar pair shows the most protective and the most capping of {run} trades in a row.",
            cache.stats.scale_out.trades
        ));
    }
    let bar_currency = currency.clone();
    let response = Plot::new("review-scale-out")
        .id(scale_out_plot_id())
        .height(200.0)
        .legend(Legend::default().position(Corner::LeftTop))
        .allow_scroll(false)
        .label_formatter(|pos| match pos {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } if *plot_name == "Running net effect" => Some(format!(
                "running net effect {:.2} after trade {}",
                position.y, position.x
            )),
            _ => None,
        })
        .show(ui, |plot| {
            plot.bar_chart(
                BarChart::new("Effect per trade", bars)
                    .color(protected)
                    .element_formatter(Box::new(move |bar, _| {
                        let what = if bar.value < 0.0 {
                            "capped"
                        } else {
                            "protected"
                        };
                        format!(
                            "trade {:.0} by open time: {what} {:.2} {bar_currency}",
                            bar.argument,
                            bar.value.abs()
                        )
                    })),
            );
            plot.line(
                Line::new(
                    "Running net effect",
                    PlotPoints::Borrowed(&cache.scale_out_cumulative),
                )
                .color(Color32::from_rgb(60, 130, 220))
                .width(1.5),
            );
        });
    plot_click(&response, panel, Chart::ScaleOut)
        .into_iter()
        .collect()
}

/// The width of a scale-out bar that stands for `run` trades.
fn bar_width(run: usize) -> f64 {
    run as f64 * 0.8
}

/// A small square of colour, for a legend.
fn swatch(ui: &mut Ui, color: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

fn distributions(ui: &mut Ui, cache: &Cache) {
    ui.heading("How scaling in paid");
    ui.weak("R-multiples of closed trades: box from the first to the third quartile, line at the median, whiskers to the extremes.");
    let groups = [
        (
            &cache.single_entry,
            "Single entry",
            0.0,
            Color32::from_gray(140),
        ),
        (
            &cache.scaled_in,
            "Scaled in",
            1.0,
            Color32::from_rgb(60, 130, 220),
        ),
        (
            &cache.pyramided,
            "Pyramided",
            3.0,
            Color32::from_rgb(40, 160, 90),
        ),
        (
            &cache.averaged_down,
            "Averaged down",
            4.0,
            rule_color(Rule::AveragingDown),
        ),
    ];
    let names: Vec<(f64, String)> = groups
        .iter()
        .map(|(d, name, x, _)| (*x, format!("{name} ({})", d.r.len())))
        .collect();
    Plot::new("review-distributions")
        .height(220.0)
        .allow_scroll(false)
        .legend(Legend::default().position(Corner::RightTop))
        .x_axis_formatter(move |mark, _| {
            names
                .iter()
                .find(|(x, _)| (mark.value - x).abs() < 1e-6)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        })
        .show(ui, |plot| {
            for (d, name, x, color) in groups {
                if let Some(elem) = d.box_elem(x, name, color) {
                    plot.box_plot(BoxPlot::new(name, vec![elem]).color(color));
                }
            }
        });
    ui.horizontal_wrapped(|ui| {
        for (d, name, _, _) in groups {
            ui.label(format!("{name}: {} trades", d.r.len()));
            small_sample(ui, d.r.len());
            ui.separator();
        }
    });
}

fn breakdown_table(ui: &mut Ui, id: &str, title: &str, rows: &BTreeMap<String, Breakdown>) {
    ui.strong(title);
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for h in [
            "",
            "Trades",
            "Win rate",
            "Expectancy R",
            "Expectancy",
            "Mean score",
            "",
        ] {
            ui.strong(h);
        }
        ui.end_row();
        for (name, b) in rows {
            let name = if name.is_empty() { "(none)" } else { name };
            ui.label(name);
            ui.label(b.trades.to_string());
            use crate::analysis::format::{money_for_people, percent, price};
            ui.label(b.win_rate.map_or("-".to_owned(), percent));
            ui.label(b.expectancy_r.map_or("-".to_owned(), |r| price(r, 2)));
            ui.label(
                b.expectancy
                    .iter()
                    .map(|(c, v)| money_for_people(*v, c))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            ui.label(b.mean_score.map_or("-".to_owned(), |s| price(s, 0)));
            small_sample(ui, b.trades);
            ui.end_row();
        }
    });
}

fn breakdown_tables(ui: &mut Ui, cache: &Cache) {
    ui.heading("By setup and market condition");
    breakdown_table(ui, "review-by-setup", "By setup", &cache.stats.by_setup);
    ui.add_space(6.0);
    breakdown_table(
        ui,
        "review-by-condition",
        "By market condition",
        &cache.stats.by_condition,
    );
}

/// The journal's figure of a check with its currency, and whether it agrees
/// with the statement's, after `what` (`now`), in one label that moves to
/// the next line whole in a wrapping row.
fn agreement_cell(ui: &mut Ui, what: &str, check: &Reconciliation) {
    let agrees = check.agrees();
    let figure = RichText::new(format!(
        "{} {}: {}",
        crate::analysis::format::money(check.journal),
        check.currency,
        if agrees { "agrees" } else { "does not agree" }
    ))
    .color(agreement_color(ui, agrees));
    let style = ui.style().clone();
    let mut job = egui::text::LayoutJob::default();
    RichText::new(format!("{what} "))
        .color(ui.visuals().weak_text_color())
        .append_to(
            &mut job,
            &style,
            egui::FontSelection::Default,
            egui::Align::Center,
        );
    figure.append_to(
        &mut job,
        &style,
        egui::FontSelection::Default,
        egui::Align::Center,
    );
    ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend));
}

fn statements_table(ui: &mut Ui, cache: &Cache, zone: &Zone) {
    ui.heading("Statements");
    ui.weak(
        "Where an imported file states its own total, that figure beside the journal's \
         net P&L for the same trades: as at the import, and as the journal holds those \
         trades now (whatever the filter).",
    );
    let money = crate::analysis::format::money;
    for (index, (check, now)) in cache
        .inputs
        .checks
        .iter()
        .zip(&cache.statements)
        .enumerate()
    {
        if index > 0 {
            ui.add_space(4.0);
        }
        let r = &check.reconciliation;
        let format = check
            .format
            .parse::<Format>()
            .map_or_else(|_| check.format.clone(), |f| f.title().to_owned());
        // The file's name; the path it was imported from, when it was given
        // one, on hover.
        let name = Path::new(&check.file)
            .file_name()
            .map_or_else(|| check.file.clone(), |n| n.to_string_lossy().into_owned());
        ui.horizontal_wrapped(|ui| {
            ui.strong(name)
                .on_hover_text(format!("{}\n{format}", check.file));
            ui.weak(format!(
                "imported {}",
                zone.short(check.imported_at.fixed_offset())
            ));
        });
        ui.horizontal_wrapped(|ui| {
            let statement = if r.excluded.is_zero() {
                format!("{} {}", money(r.statement), r.currency)
            } else {
                format!(
                    "{} less {} not trades: {} {}",
                    money(r.statement),
                    money(r.excluded),
                    money(r.statement - r.excluded),
                    r.currency
                )
            };
            ui.weak(format!("{}:", r.label));
            ui.label(statement);
            ui.separator();
            agreement_cell(ui, "journal at import", r);
            ui.separator();
            agreement_cell(ui, "now", &now.reconciliation);
            if now.gone > 0 {
                ui.weak(format!(
                    "({} of {} trades deleted)",
                    now.gone,
                    check.trades.len()
                ));
            }
        });
    }
}
