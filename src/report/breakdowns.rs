//! The breakdowns in the report: by tag, account, weekday, hour of entry,
//! holding time and number of adds; the R-multiples beside their mean; the
//! days. Every figure in the JSON is exact (an exact decimal string, nothing
//! rounded); the text rounds them for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{MoneyText, money, money_text};
use crate::analysis::breakdown::{
    ADDS, Breakdowns, Day, GroupStats, HoldingTime, RobustR, WEEKDAYS,
};
use crate::analysis::format::{exact, percent, price};

/// One group of a breakdown, every figure exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupStatsReport {
    /// Trades that broke at least one rule.
    pub broke_rules: usize,
    /// Those over every trade in the group.
    pub broken_rule_rate: Option<String>,
    /// Of those, closed.
    pub closed: usize,
    /// Mean net P&L per closed trade, by currency.
    pub expectancy: MoneyText,
    /// Their mean R-multiple.
    pub expectancy_r: Option<String>,
    /// Mean score of every trade.
    pub mean_score: Option<String>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Fewer than 20 trades: too few to tell a pattern from chance.
    pub small_sample: bool,
    /// Trades in the group.
    pub trades: usize,
    /// Winners over closed trades.
    pub win_rate: Option<String>,
    /// Closed trades with a positive net P&L.
    pub wins: usize,
}

/// A trade whose initial risk is tiny against its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TinyRiskReport {
    /// The trade's id.
    pub id: i64,
    /// Its initial risk.
    pub initial_risk: String,
    /// The initial entry's notional value.
    pub notional: String,
    /// Its R-multiple.
    pub r_multiple: String,
    /// Initial risk over notional value.
    pub risk_share: String,
    /// Its symbol.
    pub symbol: String,
}

/// One bin of the R histogram: `from <= R < to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RBinReport {
    /// Lower bound; `null` for the open bin below.
    pub from: Option<String>,
    /// Of those, with a tiny initial risk.
    pub tiny: usize,
    /// Upper bound (excluded); `null` for the open bin above.
    pub to: Option<String>,
    /// Closed trades in the bin.
    pub trades: usize,
}

/// The R-multiples beside their mean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RobustRReport {
    /// Half-R bins from −3 R to 5 R, with an open bin at each end.
    pub histogram: Vec<RBinReport>,
    /// Their mean R.
    pub mean_r: Option<String>,
    /// The mean R without the tiny-risk trades.
    pub mean_r_without_tiny: Option<String>,
    /// Their median R.
    pub median_r: Option<String>,
    /// The median R without them.
    pub median_r_without_tiny: Option<String>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// The trades whose initial risk is under 0.05% of the entry's notional value.
    pub tiny_risk_trades: Vec<TinyRiskReport>,
}

/// One day's trades (those opened that day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayReport {
    /// Of those, closed.
    pub closed: usize,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Mean score of every trade opened that day.
    pub mean_score: String,
    /// Net P&L of the closed ones.
    pub net_pnl: MoneyText,
    /// Trades opened that day.
    pub trades: usize,
}

/// Every breakdown of the report, keyed as `report --json` writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakdownsReport {
    /// By account.
    pub by_account: BTreeMap<String, GroupStatsReport>,
    /// By adds (`"0"`, `"1"`, `"2"`, `"3+"`).
    pub by_adds: BTreeMap<String, GroupStatsReport>,
    /// By holding time ([`HoldingTime::id`]).
    pub by_holding_time: BTreeMap<String, GroupStatsReport>,
    /// By hour (`"00"`…`"23"`).
    pub by_hour: BTreeMap<String, GroupStatsReport>,
    /// By tag.
    pub by_tag: BTreeMap<String, GroupStatsReport>,
    /// By weekday (`monday`…).
    pub by_weekday: BTreeMap<String, GroupStatsReport>,
    /// The days.
    pub daily: Vec<DayReport>,
    /// The R-multiples.
    pub r_distribution: RobustRReport,
}

fn exact_of(value: Option<Decimal>) -> Option<String> {
    value.map(exact)
}

/// A group, exact.
pub fn group_stats(g: &GroupStats) -> GroupStatsReport {
    GroupStatsReport {
        trades: g.trades,
        closed: g.closed,
        wins: g.wins,
        win_rate: exact_of(g.win_rate),
        r_trades: g.r_trades,
        expectancy_r: exact_of(g.expectancy_r),
        expectancy: money(&g.expectancy),
        mean_score: exact_of(g.mean_score),
        broke_rules: g.broke_rules,
        broken_rule_rate: exact_of(g.broken_rule_rate),
        small_sample: g.small_sample,
    }
}

/// The non-empty groups of `groups`, each under its name.
fn named<'a>(
    names: impl IntoIterator<Item = String>,
    groups: impl IntoIterator<Item = &'a GroupStats>,
) -> BTreeMap<String, GroupStatsReport> {
    names
        .into_iter()
        .zip(groups)
        .filter(|(_, g)| g.trades > 0)
        .map(|(name, g)| (name, group_stats(g)))
        .collect()
}

fn robust_r(r: &RobustR) -> RobustRReport {
    RobustRReport {
        r_trades: r.r_trades,
        mean_r: exact_of(r.mean_r),
        median_r: exact_of(r.median_r),
        mean_r_without_tiny: exact_of(r.mean_r_without_tiny),
        median_r_without_tiny: exact_of(r.median_r_without_tiny),
        tiny_risk_trades: r
            .tiny
            .iter()
            .map(|t| TinyRiskReport {
                id: t.id.0,
                symbol: t.symbol.clone(),
                r_multiple: exact(t.r_multiple),
                initial_risk: exact(t.initial_risk),
                notional: exact(t.notional),
                risk_share: exact(t.risk_share),
            })
            .collect(),
        histogram: r
            .histogram
            .iter()
            .map(|b| RBinReport {
                from: exact_of(b.from),
                to: exact_of(b.to),
                trades: b.trades,
                tiny: b.tiny,
            })
            .collect(),
    }
}

fn day(d: &Day) -> DayReport {
    DayReport {
        date: d.date.to_string(),
        trades: d.trades,
        closed: d.closed,
        net_pnl: money(&d.net_pnl),
        mean_score: exact(d.mean_score),
    }
}

impl BreakdownsReport {
    /// The report of `b`.
    pub fn new(b: &Breakdowns) -> BreakdownsReport {
        let by_key = |map: &BTreeMap<String, GroupStats>| {
            map.iter()
                .map(|(k, g)| (k.clone(), group_stats(g)))
                .collect()
        };
        BreakdownsReport {
            by_tag: by_key(&b.by_tag),
            by_account: by_key(&b.by_account),
            by_weekday: named(WEEKDAYS.map(str::to_owned), &b.by_weekday),
            by_hour: named((0..24).map(|h| format!("{h:02}")), &b.by_hour),
            by_holding_time: named(
                HoldingTime::ALL.map(|h| h.id().to_owned()),
                &b.by_holding_time,
            ),
            by_adds: named(ADDS.map(str::to_owned), &b.by_adds),
            r_distribution: robust_r(&b.robust_r),
            daily: b.calendar.iter().map(day).collect(),
        }
    }
}

/// A share of 1 in percent, or a dash.
fn percent_of(value: Option<Decimal>) -> String {
    value.map_or_else(|| "-".to_owned(), percent)
}

/// A figure to `dp` places, or a dash.
fn places(value: Option<Decimal>, dp: u32) -> String {
    value.map_or_else(|| "-".to_owned(), |d| price(d, dp))
}

fn group_line(out: &mut String, name: &str, g: &GroupStats) {
    let expectancy = money_text(&money(&g.expectancy));
    let _ = writeln!(
        out,
        "  {name:<22} {:>6} trades  win rate {:<7} expectancy {:<6} R, {expectancy}  mean score {:<4} broke rules {}{}",
        g.trades,
        percent_of(g.win_rate),
        places(g.expectancy_r, 2),
        places(g.mean_score, 0),
        percent_of(g.broken_rule_rate),
        if g.small_sample {
            "  (fewer than 20 trades)"
        } else {
            ""
        },
    );
}

/// The breakdowns as text, for `tranche report`.
pub fn text(b: &Breakdowns) -> String {
    let mut out = String::new();
    let sections: [(&str, Vec<(String, &GroupStats)>); 6] = [
        (
            "By tag (a trade counts under each of its tags)",
            b.by_tag.iter().map(|(k, g)| (k.clone(), g)).collect(),
        ),
        (
            "By account",
            b.by_account
                .iter()
                .map(|(k, g)| {
                    let name = if k.is_empty() { "(none)" } else { k };
                    (name.to_owned(), g)
                })
                .collect(),
        ),
        (
            "By weekday of entry",
            WEEKDAYS
                .iter()
                .map(|d| (*d).to_owned())
                .zip(&b.by_weekday)
                .collect(),
        ),
        (
            "By hour of entry",
            (0..24)
                .map(|h| format!("{h:02}:00"))
                .zip(&b.by_hour)
                .collect(),
        ),
        (
            "By holding time (closed trades)",
            HoldingTime::ALL
                .iter()
                .map(|h| h.title().to_owned())
                .zip(&b.by_holding_time)
                .collect(),
        ),
        (
            "By number of adds",
            ADDS.iter()
                .map(|a| (*a).to_owned())
                .zip(&b.by_adds)
                .collect(),
        ),
    ];
    for (title, groups) in sections {
        let _ = writeln!(out, "\n{title}");
        for (name, g) in groups.iter().filter(|(_, g)| g.trades > 0) {
            group_line(&mut out, name, g);
        }
    }
    let r = &b.robust_r;
    let _ = writeln!(
        out,
        "\nR-multiples ({} closed trades with a stop)",
        r.r_trades
    );
    let _ = writeln!(
        out,
        "  mean {}  median {}",
        places(r.mean_r, 2),
        places(r.median_r, 2)
    );
    if !r.tiny.is_empty() {
        let _ = writeln!(
            out,
            "  {} trades risked under 0.05% of their entry's value; without them: mean {}  median {}",
            r.tiny.len(),
            places(r.mean_r_without_tiny, 2),
            places(r.median_r_without_tiny, 2)
        );
        for t in &r.tiny {
            let _ = writeln!(
                out,
                "    trade {:<6} {:<12} {} R  (risk {}% of the entry's value)",
                t.id,
                t.symbol,
                price(t.r_multiple, 2),
                price(t.risk_share * Decimal::ONE_HUNDRED, 4),
            );
        }
    }
    out
}
