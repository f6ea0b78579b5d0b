//! `tranche report`: journal statistics for programs (JSON) and for people (text).
//!
//! This module only presents: [`Report`] mirrors
//! [`JournalStats`] with every number written as a string, so that nothing is
//! lost to floating point. Money is an exact decimal string per currency
//! ([`exact`]); ratios, R-multiples and mean scores are rounded to 4
//! places ([`ratio`]). Counts stay numbers. [`FilterArgs`] is the
//! command line's view of a [`Filter`].
//!
//! The breakdowns by tag, account, weekday, hour, holding time and adds, the
//! R-multiples' median and histogram, and the days ([`breakdowns`]) are
//! exact: their quotients are written in full, nothing rounded.
//!
//! The report leads with the journal's main currency
//! ([`PerformanceReport::main_currency`]: the one with the most closed
//! trades) and its total net P&L ([`PerformanceReport::net_pnl`]); the text
//! report writes every amount of that line main currency first.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

pub mod breakdowns;

use crate::analysis::Rule;
use crate::analysis::breakdown::HoldingTime;
use crate::analysis::format::{exact, ratio};
use crate::analysis::stats::{Breakdown, Filter, Group, JournalStats, Money};
use crate::domain::{MarketCondition, Side};

/// Below this many trades a group is a small sample, and the text says so.
pub const SMALL_SAMPLE: usize = 20;

/// The filter flags of `tranche report`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct FilterArgs {
    /// Only trades opened on or after this date (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Only trades opened on or before this date (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Only this symbol.
    #[arg(long)]
    pub symbol: Option<String>,
    /// Only this setup.
    #[arg(long)]
    pub setup: Option<String>,
    /// Only this market condition: trending, range or unknown.
    #[arg(long)]
    pub condition: Option<MarketCondition>,
    /// Only this side: long or short.
    #[arg(long)]
    pub side: Option<Side>,
    /// Only trades that broke this rule (e.g. averaging-down).
    #[arg(long)]
    pub rule: Option<Rule>,
    /// Only trades with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only trades in this account.
    #[arg(long)]
    pub account: Option<String>,
    /// Only closed trades held this long: under_5_min, 5_to_60_min, 1_to_4_h,
    /// same_day, 1_to_5_days or longer.
    #[arg(long, value_name = "GROUP")]
    pub holding: Option<HoldingTime>,
    /// The time zone dates, weekdays and hours are read in, as an IANA name
    /// such as America/New_York (default: each time as it was recorded, which
    /// for an imported file is the zone it was imported with).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<chrono_tz::Tz>,
}

impl From<FilterArgs> for Filter {
    fn from(args: FilterArgs) -> Filter {
        let FilterArgs {
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
            tz,
        } = args;
        Filter {
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
            zone: tz,
            ..Filter::default()
        }
    }
}

/// Money as exact strings, by currency.
pub type MoneyText = BTreeMap<String, String>;

/// The whole report, as `tranche report --json` prints it.
///
/// The JSON's keys are in alphabetical order at every level: the report's
/// structs declare their fields in that order, and this one, whose
/// breakdowns sit at the top level beside its own fields, is written by
/// hand in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Trades that passed the filter.
    pub trades: usize,
    /// Of those, closed.
    pub closed: usize,
    /// Of those, open.
    pub open: usize,
    /// Results over closed trades.
    pub performance: PerformanceReport,
    /// Adherence to the rules.
    pub adherence: AdherenceReport,
    /// Scaled-in against single-entry trades.
    pub scaling: ScalingReport,
    /// What scaling out did.
    pub scale_out: ScaleOutReport,
    /// By setup.
    pub by_setup: BTreeMap<String, BreakdownReport>,
    /// By market condition.
    pub by_condition: BTreeMap<String, BreakdownReport>,
    /// By close month.
    pub monthly: Vec<MonthReport>,
    /// By tag, account, weekday, hour, holding time and adds; the
    /// R-multiples; the days: `by_tag`, `by_account`, … at the top level.
    pub breakdowns: breakdowns::BreakdownsReport,
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let b = &self.breakdowns;
        let mut out = serializer.serialize_struct("Report", 18)?;
        out.serialize_field("adherence", &self.adherence)?;
        out.serialize_field("by_account", &b.by_account)?;
        out.serialize_field("by_adds", &b.by_adds)?;
        out.serialize_field("by_condition", &self.by_condition)?;
        out.serialize_field("by_holding_time", &b.by_holding_time)?;
        out.serialize_field("by_hour", &b.by_hour)?;
        out.serialize_field("by_setup", &self.by_setup)?;
        out.serialize_field("by_tag", &b.by_tag)?;
        out.serialize_field("by_weekday", &b.by_weekday)?;
        out.serialize_field("closed", &self.closed)?;
        out.serialize_field("daily", &b.daily)?;
        out.serialize_field("monthly", &self.monthly)?;
        out.serialize_field("open", &self.open)?;
        out.serialize_field("performance", &self.performance)?;
        out.serialize_field("r_distribution", &b.r_distribution)?;
        out.serialize_field("scale_out", &self.scale_out)?;
        out.serialize_field("scaling", &self.scaling)?;
        out.serialize_field("trades", &self.trades)?;
        out.end()
    }
}

/// Results over closed trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PerformanceReport {
    /// Mean loser (negative).
    pub average_loss: MoneyText,
    /// Mean winner.
    pub average_win: MoneyText,
    /// Closed trades.
    pub closed: usize,
    /// Mean net P&L per closed trade.
    pub expectancy: MoneyText,
    /// Mean R-multiple.
    pub expectancy_r: Option<String>,
    /// Losers.
    pub losses: usize,
    /// The main currency: the one with the most closed trades (ties: the
    /// larger absolute total net P&L, then the name); `null` without trades.
    pub main_currency: Option<String>,
    /// Largest fall of the closed-trade equity from a peak (positive).
    pub max_drawdown: MoneyText,
    /// Total net P&L of the closed trades, per currency.
    pub net_pnl: MoneyText,
    /// Gross wins over gross losses, per currency with losses.
    pub profit_factor: BTreeMap<String, String>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Winners over closed trades.
    pub win_rate: Option<String>,
    /// Winners.
    pub wins: usize,
}

/// A group of trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupReport {
    /// Closed trades.
    pub closed: usize,
    /// Mean net P&L per closed trade.
    pub mean_net_pnl: MoneyText,
    /// Mean R-multiple.
    pub mean_r: Option<String>,
    /// Mean score.
    pub mean_score: Option<String>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Trades.
    pub trades: usize,
    /// Winners over closed trades.
    pub win_rate: Option<String>,
}

/// Adherence to the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdherenceReport {
    /// Rule id → the trades that broke it.
    pub by_rule: BTreeMap<String, GroupReport>,
    /// The trades without a violation.
    pub clean: GroupReport,
    /// Trades without a violation whose stop rules were judged.
    pub clean_trades: usize,
    /// Mean score of every trade.
    pub mean_score: Option<String>,
    /// Trades whose stop rules were not judged (initial stop not known):
    /// neither clean nor counted as breaking a stop rule.
    pub stops_not_judged: usize,
    /// Rule id → number of violations.
    pub violations_by_rule: BTreeMap<String, usize>,
}

/// Scaled-in against single-entry, pyramided against averaged-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScalingReport {
    /// Scaled in, averaging down.
    pub averaged_down: GroupReport,
    /// Scaled in without averaging down.
    pub pyramided: GroupReport,
    /// Trades with adds.
    pub scaled_in: GroupReport,
    /// Trades with one entry.
    pub single_entry: GroupReport,
}

/// What scaling out did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScaleOutReport {
    /// Sum of negative effects (negative).
    pub capped: MoneyText,
    /// Of those, capped.
    pub capped_trades: usize,
    /// `protected + capped`.
    pub net_effect: MoneyText,
    /// Sum of positive effects.
    pub protected: MoneyText,
    /// Of those, protected.
    pub protected_trades: usize,
    /// Trades with two exits or more.
    pub trades: usize,
}

/// One setup or market condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakdownReport {
    /// Closed trades.
    pub closed: usize,
    /// Mean net P&L per closed trade.
    pub expectancy: MoneyText,
    /// Mean R-multiple.
    pub expectancy_r: Option<String>,
    /// Mean score.
    pub mean_score: Option<String>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Trades.
    pub trades: usize,
    /// Winners over closed trades.
    pub win_rate: Option<String>,
}

/// One month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthReport {
    /// Their mean score.
    pub mean_score: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Their net P&L.
    pub net_pnl: MoneyText,
    /// Trades closed in the month.
    pub trades: usize,
}

fn money(values: &Money) -> MoneyText {
    values
        .iter()
        .map(|(currency, value)| (currency.clone(), exact(*value)))
        .collect()
}

fn ratio_of(value: Option<Decimal>) -> Option<String> {
    value.map(ratio)
}

fn group(g: &Group) -> GroupReport {
    GroupReport {
        trades: g.trades,
        closed: g.closed,
        win_rate: ratio_of(g.win_rate),
        r_trades: g.r_trades,
        mean_r: ratio_of(g.mean_r),
        mean_net_pnl: money(&g.mean_net_pnl),
        mean_score: ratio_of(g.mean_score),
    }
}

fn breakdown(b: &Breakdown) -> BreakdownReport {
    BreakdownReport {
        trades: b.trades,
        closed: b.closed,
        win_rate: ratio_of(b.win_rate),
        r_trades: b.r_trades,
        expectancy_r: ratio_of(b.expectancy_r),
        expectancy: money(&b.expectancy),
        mean_score: ratio_of(b.mean_score),
    }
}

impl Report {
    /// The report of `stats`.
    pub fn new(stats: &JournalStats) -> Report {
        let p = &stats.performance;
        let a = &stats.adherence;
        let s = &stats.scale_out;
        Report {
            trades: stats.trades,
            closed: stats.closed,
            open: stats.open,
            performance: PerformanceReport {
                closed: p.closed,
                wins: p.wins,
                losses: p.losses,
                win_rate: ratio_of(p.win_rate),
                average_win: money(&p.average_win),
                average_loss: money(&p.average_loss),
                expectancy: money(&p.expectancy),
                r_trades: p.r_trades,
                expectancy_r: ratio_of(p.expectancy_r),
                profit_factor: p
                    .profit_factor
                    .iter()
                    .map(|(c, v)| (c.clone(), ratio(*v)))
                    .collect(),
                max_drawdown: money(&p.max_drawdown),
                net_pnl: money(&p.net_pnl),
                main_currency: p.main_currency.clone(),
            },
            adherence: AdherenceReport {
                mean_score: ratio_of(a.mean_score),
                clean_trades: a.clean_trades,
                stops_not_judged: a.stops_not_judged,
                violations_by_rule: a
                    .violations_by_rule
                    .iter()
                    .map(|(rule, n)| (rule.id().to_owned(), *n))
                    .collect(),
                by_rule: a
                    .by_rule
                    .iter()
                    .map(|impact| (impact.rule.id().to_owned(), group(&impact.broke)))
                    .collect(),
                clean: group(&a.clean),
            },
            scaling: ScalingReport {
                scaled_in: group(&stats.scaling.scaled_in),
                single_entry: group(&stats.scaling.single_entry),
                pyramided: group(&stats.scaling.pyramided),
                averaged_down: group(&stats.scaling.averaged_down),
            },
            scale_out: ScaleOutReport {
                trades: s.trades,
                protected_trades: s.protected_trades,
                capped_trades: s.capped_trades,
                protected: money(&s.protected),
                capped: money(&s.capped),
                net_effect: money(&s.net_effect),
            },
            by_setup: stats
                .by_setup
                .iter()
                .map(|(k, v)| (k.clone(), breakdown(v)))
                .collect(),
            by_condition: stats
                .by_condition
                .iter()
                .map(|(k, v)| (k.clone(), breakdown(v)))
                .collect(),
            monthly: stats
                .monthly
                .iter()
                .map(|m| MonthReport {
                    month: m.month.clone(),
                    trades: m.trades,
                    mean_score: ratio(m.mean_score),
                    net_pnl: money(&m.net_pnl),
                })
                .collect(),
            breakdowns: breakdowns::BreakdownsReport::new(&stats.breakdowns),
        }
    }
}

/// The report of `stats` as JSON, for `tranche report --json`.
pub fn report_json(stats: &JournalStats) -> serde_json::Value {
    // Serializing plain structs of strings, counts and maps cannot fail.
    serde_json::to_value(Report::new(stats)).unwrap_or(serde_json::Value::Null)
}

/// Writes the report of `stats` to `out` as `tranche report --json` prints
/// it: [`report_json`] pretty-printed, ending in a newline, written as it is
/// serialized.
pub fn write_report_json(
    stats: &JournalStats,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &Report::new(stats)).map_err(std::io::Error::from)?;
    std::io::Write::write_all(&mut out, b"\n")?;
    std::io::Write::flush(&mut out)
}

/// Money for people, to the cent: `1200.50 USD, -30.00 EUR`, or `-` for none.
/// (Profit factors go through here too, as plain numbers by currency.)
fn money_text(values: &MoneyText) -> String {
    money_text_first(values, None)
}

/// Money for people as `money_text` writes it, with `first` (the main
/// currency) leading: `3100.00 USD, 2500.00 EUR`.
pub fn money_text_first(values: &MoneyText, first: Option<&str>) -> String {
    if values.is_empty() {
        return "-".to_owned();
    }
    let leading = first.and_then(|c| values.get_key_value(c));
    leading
        .into_iter()
        .chain(values.iter().filter(|(c, _)| Some(c.as_str()) != first))
        .map(|(currency, value)| match Decimal::from_str(value) {
            Ok(amount) => crate::analysis::format::money_for_people(amount, currency),
            Err(_) => format!("{value} {currency}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A share as a percentage with one decimal (`82.1%`), or a dash.
fn percent_text(value: &Option<String>) -> String {
    value
        .as_deref()
        .and_then(|v| Decimal::from_str(v).ok())
        .map_or_else(|| "-".to_owned(), crate::analysis::format::percent)
}

/// A figure to `dp` places, or a dash.
fn places_text(value: &Option<String>, dp: u32) -> String {
    value
        .as_deref()
        .and_then(|v| Decimal::from_str(v).ok())
        .map_or_else(|| "-".to_owned(), |d| crate::analysis::format::price(d, dp))
}

fn sample_note(trades: usize) -> &'static str {
    if trades < SMALL_SAMPLE {
        "  (fewer than 20 trades)"
    } else {
        ""
    }
}

fn group_line(out: &mut String, name: &str, g: &GroupReport) {
    let _ = writeln!(
        out,
        "  {name:<22} {:>6} trades  win rate {:<7} mean R {:<8} mean score {:<8} mean net {}{}",
        g.trades,
        percent_text(&g.win_rate),
        places_text(&g.mean_r, 2),
        places_text(&g.mean_score, 0),
        money_text(&g.mean_net_pnl),
        sample_note(g.trades),
    );
}

fn breakdown_line(out: &mut String, name: &str, b: &BreakdownReport) {
    let _ = writeln!(
        out,
        "  {name:<22} {:>6} trades  win rate {:<7} expectancy {:<8} R, {}  mean score {}{}",
        b.trades,
        percent_text(&b.win_rate),
        places_text(&b.expectancy_r, 2),
        money_text(&b.expectancy),
        places_text(&b.mean_score, 0),
        sample_note(b.trades),
    );
}

/// The report of `stats` as text, for `tranche report`.
pub fn report_text(stats: &JournalStats) -> String {
    let r = Report::new(stats);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Trades: {} ({} closed, {} open)",
        r.trades, r.closed, r.open
    );
    let p = &r.performance;
    let _ = writeln!(out, "\nPerformance (closed trades)");
    let _ = writeln!(
        out,
        "  net P&L        {}",
        money_text_first(&p.net_pnl, p.main_currency.as_deref())
    );
    if let Some(main) = &p.main_currency {
        let _ = writeln!(out, "  main currency  {main} (the most closed trades)");
    }
    let _ = writeln!(
        out,
        "  win rate       {} ({} wins, {} losses)",
        percent_text(&p.win_rate),
        p.wins,
        p.losses
    );
    let _ = writeln!(out, "  average win    {}", money_text(&p.average_win));
    let _ = writeln!(out, "  average loss   {}", money_text(&p.average_loss));
    let _ = writeln!(out, "  expectancy     {}", money_text(&p.expectancy));
    let _ = writeln!(
        out,
        "  expectancy R   {} (over {} trades with a stop)",
        places_text(&p.expectancy_r, 2),
        p.r_trades
    );
    let factors: Vec<String> = p
        .profit_factor
        .iter()
        .map(|(currency, value)| {
            let figure = places_text(&Some(value.clone()), 2);
            if p.profit_factor.len() > 1 {
                format!("{figure} ({currency})")
            } else {
                figure
            }
        })
        .collect();
    let _ = writeln!(
        out,
        "  profit factor  {}",
        if factors.is_empty() {
            "-".to_owned()
        } else {
            factors.join(", ")
        }
    );
    let _ = writeln!(out, "  max drawdown   {}", money_text(&p.max_drawdown));

    let a = &r.adherence;
    let _ = writeln!(out, "\nAdherence");
    let _ = writeln!(out, "  mean score     {}", places_text(&a.mean_score, 0));
    let judged = r.trades - a.stops_not_judged.min(r.trades);
    let _ = writeln!(
        out,
        "  clean trades   {} of {judged}{}",
        a.clean_trades,
        if judged > 0 {
            format!(
                " ({})",
                crate::analysis::format::percent(
                    Decimal::from(a.clean_trades) / Decimal::from(judged)
                )
            )
        } else {
            String::new()
        }
    );
    if a.stops_not_judged > 0 {
        let _ = writeln!(
            out,
            "  stops not judged {} (initial stop not known: stop rules neither kept nor broken)",
            a.stops_not_judged
        );
    }
    if !a.violations_by_rule.is_empty() {
        let _ = writeln!(out, "  violations by rule");
        for rule in Rule::ALL {
            if let Some(n) = a.violations_by_rule.get(rule.id()) {
                let _ = writeln!(out, "    {:<20} {n}", rule.id());
            }
        }
        let _ = writeln!(out, "  trades that broke each rule, against clean trades");
        for rule in Rule::ALL {
            if let Some(g) = a.by_rule.get(rule.id()) {
                group_line(&mut out, rule.id(), g);
            }
        }
    }
    group_line(&mut out, "clean", &a.clean);

    let s = &r.scaling;
    let _ = writeln!(out, "\nScaling in");
    group_line(&mut out, "scaled in", &s.scaled_in);
    group_line(&mut out, "single entry", &s.single_entry);
    group_line(&mut out, "pyramided", &s.pyramided);
    group_line(&mut out, "averaged down", &s.averaged_down);

    let o = &r.scale_out;
    let _ = writeln!(
        out,
        "\nScaling out ({} trades with two exits or more)",
        o.trades
    );
    let _ = writeln!(
        out,
        "  protected      {} ({} trades)",
        money_text(&o.protected),
        o.protected_trades
    );
    let _ = writeln!(
        out,
        "  capped         {} ({} trades)",
        money_text(&o.capped),
        o.capped_trades
    );
    let _ = writeln!(out, "  net effect     {}", money_text(&o.net_effect));

    let _ = writeln!(out, "\nBy setup");
    for (setup, b) in &r.by_setup {
        let name = if setup.is_empty() { "(none)" } else { setup };
        breakdown_line(&mut out, name, b);
    }
    let _ = writeln!(out, "\nBy market condition");
    for (condition, b) in &r.by_condition {
        breakdown_line(&mut out, condition, b);
    }
    let _ = writeln!(out, "\nBy month (closed trades)");
    for m in &r.monthly {
        let _ = writeln!(
            out,
            "  {}  {:>6} trades  mean score {:<8}  net {}",
            m.month,
            m.trades,
            places_text(&Some(m.mean_score.clone()), 0),
            money_text(&m.net_pnl)
        );
    }
    out.push_str(&breakdowns::text(&stats.breakdowns));
    out
}
