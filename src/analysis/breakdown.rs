//! The journal broken down as traders compare it: by tag, account, weekday,
//! hour of entry, holding time and number of adds; the R-multiples beside
//! their mean (median, histogram, the trades with a tiny initial risk); and
//! the calendar of days.
//!
//! Every group has the same figures ([`GroupStats`]): trades, win rate,
//! expectancy in R and in money, mean score and how often a rule was
//! broken, with a note when it holds fewer than [`SMALL_SAMPLE`] trades.
//!
//! Times are read in one zone (`zone`): a named zone, or, with `None`, the
//! offset each time was recorded in (an imported file's times are recorded in
//! the zone they were imported with). A trade's weekday, hour and calendar day
//! are those of its initial entry in that zone, as the filter's dates are.
//!
//! Holding time runs from the initial entry to the exit that closed the
//! position; a trade still open has none and is in no holding-time group.
//! The groups ([`HoldingTime`]), first match wins:
//!
//! | group | held |
//! |---|---|
//! | `under_5_min` | less than 5 minutes |
//! | `5_to_60_min` | 5 minutes or more, less than 60 minutes |
//! | `1_to_4_h` | 1 hour or more, less than 4 hours |
//! | `same_day` | 4 hours or more, closed on the calendar day it opened |
//! | `1_to_5_days` | closed 1 to 5 calendar days after the day it opened |
//! | `longer` | closed 6 calendar days or more after the day it opened |
//!
//! This module is pure, and like [`super::stats`] sums a large journal in
//! parts on every core.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Weekday};
use fnv::FnvHashMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::stats::{Analysed, Filter, Money, R_DP};
use crate::domain::names::NameIds;
use crate::domain::{TradeId, UnknownName};

/// Below this many trades a group is a small sample.
pub const SMALL_SAMPLE: usize = 20;

/// An initial risk below this share of the initial entry's notional value
/// (quantity × price × multiplier × rate) is tiny: 0.05%. Such a trade's
/// R-multiple is a large number that says little, and a single one can
/// drive the mean R of a whole journal.
pub const TINY_RISK_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 4);

/// How long a trade was held, in the groups traders compare (see the
/// module's documentation for the exact bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HoldingTime {
    /// Less than 5 minutes.
    #[serde(rename = "under_5_min")]
    Under5Min,
    /// 5 minutes or more, less than 60.
    #[serde(rename = "5_to_60_min")]
    Min5To60,
    /// 1 hour or more, less than 4.
    #[serde(rename = "1_to_4_h")]
    Hours1To4,
    /// 4 hours or more, closed the day it opened.
    #[serde(rename = "same_day")]
    SameDay,
    /// Closed 1 to 5 calendar days after the day it opened.
    #[serde(rename = "1_to_5_days")]
    Days1To5,
    /// Closed 6 calendar days or more after the day it opened.
    #[serde(rename = "longer")]
    Longer,
}

impl HoldingTime {
    /// Every group, shortest first.
    pub const ALL: [HoldingTime; 6] = [
        HoldingTime::Under5Min,
        HoldingTime::Min5To60,
        HoldingTime::Hours1To4,
        HoldingTime::SameDay,
        HoldingTime::Days1To5,
        HoldingTime::Longer,
    ];

    /// The stable id used in `report --json` and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            HoldingTime::Under5Min => "under_5_min",
            HoldingTime::Min5To60 => "5_to_60_min",
            HoldingTime::Hours1To4 => "1_to_4_h",
            HoldingTime::SameDay => "same_day",
            HoldingTime::Days1To5 => "1_to_5_days",
            HoldingTime::Longer => "longer",
        }
    }

    /// The group as people read it (`5–60 min`).
    pub fn title(self) -> &'static str {
        match self {
            HoldingTime::Under5Min => "under 5 min",
            HoldingTime::Min5To60 => "5–60 min",
            HoldingTime::Hours1To4 => "1–4 h",
            HoldingTime::SameDay => "same day",
            HoldingTime::Days1To5 => "1–5 days",
            HoldingTime::Longer => "longer",
        }
    }

    /// The group of a trade opened at `opened` and closed at `closed`, with
    /// calendar days in `zone` (each time's own offset with `None`).
    pub fn of(
        opened: DateTime<FixedOffset>,
        closed: DateTime<FixedOffset>,
        zone: Option<chrono_tz::Tz>,
    ) -> HoldingTime {
        let held = closed - opened;
        if held < chrono::Duration::minutes(5) {
            HoldingTime::Under5Min
        } else if held < chrono::Duration::minutes(60) {
            HoldingTime::Min5To60
        } else if held < chrono::Duration::hours(4) {
            HoldingTime::Hours1To4
        } else {
            let days = (local(closed, zone).date() - local(opened, zone).date()).num_days();
            match days {
                ..=0 => HoldingTime::SameDay,
                1..=5 => HoldingTime::Days1To5,
                _ => HoldingTime::Longer,
            }
        }
    }
}

impl fmt::Display for HoldingTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for HoldingTime {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        HoldingTime::ALL
            .into_iter()
            .find(|h| h.id().eq_ignore_ascii_case(s) || h.title().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownName {
                what: "holding time",
                value: s.to_owned(),
                expected: "under_5_min, 5_to_60_min, 1_to_4_h, same_day, 1_to_5_days, longer",
            })
    }
}

/// The names of the weekdays as `report --json` writes them, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The names of the groups by number of adds.
pub const ADDS: [&str; 4] = ["0", "1", "2", "3+"];

/// The group by number of adds: 0, 1, 2, or 3 for three and more.
pub fn adds_group(adds: u32) -> usize {
    adds.min(3) as usize
}

/// The wall-clock time of `at` in `zone`, or in its own offset with `None`.
pub fn local(at: DateTime<FixedOffset>, zone: Option<chrono_tz::Tz>) -> NaiveDateTime {
    match zone {
        Some(zone) => at.with_timezone(&zone).naive_local(),
        None => at.naive_local(),
    }
}

/// The weekday of `at` in `zone`.
pub fn weekday(at: DateTime<FixedOffset>, zone: Option<chrono_tz::Tz>) -> Weekday {
    local(at, zone).weekday()
}

/// The hour of `at` in `zone`, 0 to 23.
pub fn hour(at: DateTime<FixedOffset>, zone: Option<chrono_tz::Tz>) -> u32 {
    local(at, zone).hour()
}

/// How one group of trades did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStats {
    /// Trades in the group.
    pub trades: usize,
    /// Of those, closed.
    pub closed: usize,
    /// Closed trades with a positive net P&L.
    pub wins: usize,
    /// `wins / closed`; `None` without closed trades.
    pub win_rate: Option<Decimal>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Their mean R-multiple (each rounded to [`R_DP`] places first, as the
    /// journal's expectancy is).
    pub expectancy_r: Option<Decimal>,
    /// Mean net P&L per closed trade, by currency.
    pub expectancy: Money,
    /// Mean score of every trade in the group.
    pub mean_score: Option<Decimal>,
    /// Trades that broke at least one rule.
    pub broke_rules: usize,
    /// `broke_rules / trades`.
    pub broken_rule_rate: Option<Decimal>,
    /// Whether the group holds fewer than [`SMALL_SAMPLE`] trades.
    pub small_sample: bool,
}

/// One bin of the R histogram: closed trades with `from <= R < to`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RBin {
    /// The lower bound (`None`: open below).
    pub from: Option<Decimal>,
    /// The upper bound, excluded (`None`: open above).
    pub to: Option<Decimal>,
    /// Closed trades in the bin.
    pub trades: usize,
    /// Of those, trades with a tiny initial risk.
    pub tiny: usize,
}

/// A trade whose initial risk is tiny against its size ([`TINY_RISK_SHARE`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TinyRisk {
    /// The trade.
    pub id: TradeId,
    /// Its symbol.
    pub symbol: String,
    /// Its R-multiple.
    pub r_multiple: Decimal,
    /// Its initial risk, in its currency.
    pub initial_risk: Decimal,
    /// The initial entry's notional value, in the same currency.
    pub notional: Decimal,
    /// `initial_risk / notional`.
    pub risk_share: Decimal,
}

/// The R-multiples of the closed trades beside their mean.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobustR {
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Their mean R.
    pub mean_r: Option<Decimal>,
    /// Their median R (the mean of the two middle ones for an even count).
    pub median_r: Option<Decimal>,
    /// Closed trades whose initial risk is tiny, by id.
    pub tiny: Vec<TinyRisk>,
    /// The mean R without the tiny-risk trades.
    pub mean_r_without_tiny: Option<Decimal>,
    /// The median R without them.
    pub median_r_without_tiny: Option<Decimal>,
    /// Bins of half an R from −3 R to 5 R, with one open bin below and one above.
    pub histogram: Vec<RBin>,
}

/// One calendar day: the trades opened that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// The day, in the zone of the breakdowns.
    pub date: NaiveDate,
    /// Trades opened that day.
    pub trades: usize,
    /// Of those, closed.
    pub closed: usize,
    /// The net P&L of the closed ones, by currency.
    pub net_pnl: Money,
    /// The mean score of every trade opened that day.
    pub mean_score: Decimal,
}

/// The journal's breakdowns, its R-multiples and its calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdowns {
    /// By tag, as written (trimmed): a trade counts under each of its tags;
    /// trades without a tag are in no group.
    pub by_tag: BTreeMap<String, GroupStats>,
    /// By account, as written (trimmed).
    pub by_account: BTreeMap<String, GroupStats>,
    /// By weekday of the initial entry, Monday first ([`WEEKDAYS`]).
    pub by_weekday: [GroupStats; 7],
    /// By hour of the initial entry, 0 to 23.
    pub by_hour: [GroupStats; 24],
    /// By holding time of the closed trades, in [`HoldingTime::ALL`] order.
    pub by_holding_time: [GroupStats; 6],
    /// By number of adds: 0, 1, 2, 3 or more ([`ADDS`]).
    pub by_adds: [GroupStats; 4],
    /// The R-multiples beside their mean.
    pub robust_r: RobustR,
    /// Every day a trade was opened on, in order.
    pub calendar: Vec<Day>,
}

/// A group being summed up.
#[derive(Debug, Clone, Default)]
struct Sum {
    trades: usize,
    closed: usize,
    wins: usize,
    score: u64,
    broke: usize,
    r_sum: Decimal,
    r_count: usize,
    /// (currency, sum, count) of the closed trades' net P&L.
    net: Vec<(String, Decimal, usize)>,
}

fn add_money(money: &mut Vec<(String, Decimal, usize)>, currency: &str, value: Decimal) {
    match money.iter_mut().find(|(c, _, _)| c == currency) {
        Some(entry) => {
            entry.1 += value;
            entry.2 += 1;
        }
        None => money.push((currency.to_owned(), value, 1)),
    }
}

fn merge_money(mine: &mut Vec<(String, Decimal, usize)>, theirs: Vec<(String, Decimal, usize)>) {
    for (currency, sum, count) in theirs {
        match mine.iter_mut().find(|(c, _, _)| *c == currency) {
            Some(entry) => {
                entry.1 += sum;
                entry.2 += count;
            }
            None => mine.push((currency, sum, count)),
        }
    }
}

/// What the groups need of one trade.
struct Facts<'a> {
    currency: &'a str,
    closed: bool,
    net: Decimal,
    r: Option<Decimal>,
    score: u32,
    broke: bool,
}

impl Sum {
    fn add(&mut self, t: &Facts<'_>) {
        self.trades += 1;
        self.score += u64::from(t.score);
        self.broke += usize::from(t.broke);
        if t.closed {
            self.closed += 1;
            self.wins += usize::from(t.net > Decimal::ZERO);
            if let Some(r) = t.r {
                self.r_sum += r;
                self.r_count += 1;
            }
            add_money(&mut self.net, t.currency, t.net);
        }
    }

    /// Adds the sums of `other`.
    fn merge(&mut self, other: &Sum) {
        self.trades += other.trades;
        self.closed += other.closed;
        self.wins += other.wins;
        self.score += other.score;
        self.broke += other.broke;
        self.r_sum += other.r_sum;
        self.r_count += other.r_count;
        for (currency, sum, count) in &other.net {
            match self.net.iter_mut().find(|(c, _, _)| c == currency) {
                Some(entry) => {
                    entry.1 += *sum;
                    entry.2 += count;
                }
                None => self.net.push((currency.clone(), *sum, *count)),
            }
        }
    }

    fn stats(&self) -> GroupStats {
        let share = |n: usize, of: usize| (of > 0).then(|| Decimal::from(n) / Decimal::from(of));
        GroupStats {
            trades: self.trades,
            closed: self.closed,
            wins: self.wins,
            win_rate: share(self.wins, self.closed),
            r_trades: self.r_count,
            expectancy_r: (self.r_count > 0).then(|| self.r_sum / Decimal::from(self.r_count)),
            expectancy: self
                .net
                .iter()
                .map(|(c, sum, count)| (c.clone(), *sum / Decimal::from(*count)))
                .collect(),
            mean_score: (self.trades > 0)
                .then(|| Decimal::from(self.score) / Decimal::from(self.trades)),
            broke_rules: self.broke,
            broken_rule_rate: share(self.broke, self.trades),
            small_sample: self.trades < SMALL_SAMPLE,
        }
    }
}

/// A day being summed up.
#[derive(Debug, Clone, Default)]
struct DaySum {
    trades: usize,
    closed: usize,
    score: u64,
    net: Vec<(String, Decimal, usize)>,
}

/// One closed trade's R, for the median and histogram.
#[derive(Debug, Clone, Copy)]
struct RPoint {
    r: Decimal,
    tiny: bool,
}

/// Everything but its tags that puts a trade in a group: its account (by
/// [`Part::accounts`] id), its number of adds ([`adds_group`]), and, for a
/// trade with an entry, its weekday and hour, and for a closed one its
/// holding time ([`NO_GROUP`] where it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Place {
    account: u32,
    adds: u8,
    weekday: u8,
    hour: u8,
    holding_time: u8,
}

/// A [`Place`]'s weekday, hour or holding time where the trade has none.
const NO_GROUP: u8 = u8::MAX;

/// The sums of one part of the journal: they own what they hold, so that
/// the part's trades need not outlive them.
#[derive(Debug, Default)]
pub(crate) struct Part {
    by_tag: Groups,
    /// The accounts met (trimmed), numbered in order of first appearance.
    accounts: NameIds,
    /// The trades summed by their [`Place`]: one addition per trade instead
    /// of one per group; [`finish`] sums the places up into the groups.
    places: FnvHashMap<Place, Sum>,
    r: Vec<RPoint>,
    tiny: Vec<TinyRisk>,
    days: BTreeMap<NaiveDate, DaySum>,
}

/// The sums of the groups named by a text (a tag, an account), each
/// numbered when first met.
#[derive(Debug, Default)]
struct Groups {
    names: NameIds,
    /// The sums by the names' ids.
    sums: Vec<Sum>,
}

impl Groups {
    /// The sum of group `name`, empty when first met.
    fn of(&mut self, name: &str) -> &mut Sum {
        let id = self.names.id(name) as usize;
        if id == self.sums.len() {
            self.sums.push(Sum::default());
        }
        &mut self.sums[id]
    }

    /// Adds the sums of `other`.
    fn merge(&mut self, other: Groups) {
        for (name, sum) in other.into_sums() {
            self.of(&name).merge(&sum);
        }
    }

    /// Each group's name with its sum.
    fn into_sums(self) -> impl Iterator<Item = (String, Sum)> {
        self.names.into_names().into_iter().zip(self.sums)
    }
}

impl Part {
    /// The sums of the trades that pass `filter`.
    pub(crate) fn of(trades: &[Analysed<'_>], filter: &Filter) -> Part {
        let matcher = filter.matcher();
        let filtering = !filter.is_empty();
        let mut part = Part::default();
        for item in trades {
            if !filtering || matcher.accepts(item.trade, item.analysis) {
                part.add(item, filter.zone);
            }
        }
        part
    }

    /// Makes room for `trades` more trades.
    pub(crate) fn reserve(&mut self, trades: usize) {
        self.r.reserve(trades);
    }

    /// Adds `item`, with times read in `zone`.
    pub(crate) fn add(&mut self, item: &Analysed<'_>, zone: Option<chrono_tz::Tz>) {
        let (trade, analysis) = (item.trade, item.analysis);
        let facts = Facts {
            currency: &trade.currency,
            closed: analysis.is_closed(),
            net: analysis.net_pnl,
            r: analysis.r_multiple.map(|r| r.round_dp(R_DP)),
            score: analysis.score,
            broke: !analysis.violations.is_empty(),
        };
        // Each tag once, however often the trade names it.
        let mut seen: Vec<&str> = Vec::with_capacity(trade.tags.len());
        for tag in &trade.tags {
            let tag = tag.trim();
            if !tag.is_empty() && !seen.contains(&tag) {
                seen.push(tag);
                self.by_tag.of(tag).add(&facts);
            }
        }
        let mut place = Place {
            account: self.accounts.id(trade.account.trim()),
            adds: adds_group(analysis.adds) as u8,
            weekday: NO_GROUP,
            hour: NO_GROUP,
            holding_time: NO_GROUP,
        };
        if let Some(opened) = analysis.opened_at {
            let at = local(opened, zone);
            place.weekday = at.weekday().num_days_from_monday() as u8;
            place.hour = at.hour() as u8;
            let day = self.days.entry(at.date()).or_default();
            day.trades += 1;
            day.score += u64::from(facts.score);
            if facts.closed {
                day.closed += 1;
                add_money(&mut day.net, facts.currency, facts.net);
            }
            if let Some(closed) = analysis.closed_at {
                place.holding_time = HoldingTime::of(opened, closed, zone) as u8;
            }
        }
        self.places.entry(place).or_default().add(&facts);
        if let (true, Some(r)) = (facts.closed, facts.r) {
            let tiny = match (analysis.initial_risk, item.notional) {
                // Compared by a product: a quotient only for the few that are tiny.
                (Some(risk), Some(notional))
                    if notional > Decimal::ZERO && risk < notional * TINY_RISK_SHARE =>
                {
                    Some(TinyRisk {
                        id: item.id,
                        symbol: trade.symbol.clone(),
                        r_multiple: analysis.r_multiple.unwrap_or(r),
                        initial_risk: risk,
                        notional,
                        risk_share: risk / notional,
                    })
                }
                _ => None,
            };
            self.r.push(RPoint {
                r,
                tiny: tiny.is_some(),
            });
            self.tiny.extend(tiny);
        }
    }

    /// Adds the sums of `other`, a later part of the journal.
    pub(crate) fn merge(&mut self, other: Part) {
        self.by_tag.merge(other.by_tag);
        let accounts: Vec<u32> = other
            .accounts
            .names()
            .iter()
            .map(|name| self.accounts.id(name))
            .collect();
        for (place, sum) in other.places {
            let place = Place {
                account: accounts[place.account as usize],
                ..place
            };
            self.places.entry(place).or_default().merge(&sum);
        }
        self.r.extend(other.r);
        self.tiny.extend(other.tiny);
        for (date, theirs) in other.days {
            let day = self.days.entry(date).or_default();
            day.trades += theirs.trades;
            day.closed += theirs.closed;
            day.score += theirs.score;
            merge_money(&mut day.net, theirs.net);
        }
    }
}

/// The median of sorted values.
fn median(sorted: &[Decimal]) -> Option<Decimal> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / Decimal::TWO),
    }
}

fn mean(values: &[Decimal]) -> Option<Decimal> {
    (!values.is_empty()).then(|| values.iter().sum::<Decimal>() / Decimal::from(values.len()))
}

/// The histogram's inner bounds: −3 R to 5 R in steps of half an R.
fn bin_edges() -> Vec<Decimal> {
    (-6..=10).map(|half| Decimal::new(half * 5, 1)).collect()
}

fn robust_r(mut points: Vec<RPoint>, mut tiny: Vec<TinyRisk>) -> RobustR {
    // Sorted once for both medians. Equal values written with more places
    // come after, so the order (and the median picked) is the same however
    // the points came.
    points.sort_unstable_by(|a, b| a.r.cmp(&b.r).then(a.r.scale().cmp(&b.r.scale())));
    let all: Vec<Decimal> = points.iter().map(|p| p.r).collect();
    let kept: Vec<Decimal> = points.iter().filter(|p| !p.tiny).map(|p| p.r).collect();
    let edges = bin_edges();
    let mut histogram: Vec<RBin> = Vec::with_capacity(edges.len() + 1);
    histogram.push(RBin {
        from: None,
        to: edges.first().copied(),
        ..RBin::default()
    });
    for pair in edges.windows(2) {
        histogram.push(RBin {
            from: Some(pair[0]),
            to: Some(pair[1]),
            ..RBin::default()
        });
    }
    histogram.push(RBin {
        from: edges.last().copied(),
        to: None,
        ..RBin::default()
    });
    for point in &points {
        // Bin i holds edges[i-1] <= r < edges[i]: the number of edges at or below r.
        let at = edges.partition_point(|edge| *edge <= point.r);
        let bin = &mut histogram[at];
        bin.trades += 1;
        bin.tiny += usize::from(point.tiny);
    }
    tiny.sort_by_key(|t| t.id);
    RobustR {
        r_trades: all.len(),
        mean_r: mean(&all),
        median_r: median(&all),
        tiny,
        mean_r_without_tiny: mean(&kept),
        median_r_without_tiny: median(&kept),
        histogram,
    }
}

/// The breakdowns of the summed-up journal.
pub(crate) fn finish(part: Part) -> Breakdowns {
    let keyed = |groups: Groups| -> BTreeMap<String, GroupStats> {
        groups
            .into_sums()
            .map(|(key, sum)| (key, sum.stats()))
            .collect()
    };
    // Each place's sum goes into every group it is part of.
    let mut by_account = vec![Sum::default(); part.accounts.len()];
    let mut by_weekday: [Sum; 7] = Default::default();
    let mut by_hour = vec![Sum::default(); 24];
    let mut by_holding_time: [Sum; 6] = Default::default();
    let mut by_adds: [Sum; 4] = Default::default();
    for (place, sum) in &part.places {
        by_account[place.account as usize].merge(sum);
        by_adds[usize::from(place.adds)].merge(sum);
        if let Some(group) = by_weekday.get_mut(usize::from(place.weekday)) {
            group.merge(sum);
        }
        if let Some(group) = by_hour.get_mut(usize::from(place.hour)) {
            group.merge(sum);
        }
        if let Some(group) = by_holding_time.get_mut(usize::from(place.holding_time)) {
            group.merge(sum);
        }
    }
    let mut hours: [GroupStats; 24] = Default::default();
    for (stats, sum) in hours.iter_mut().zip(&by_hour) {
        *stats = sum.stats();
    }
    let calendar = part
        .days
        .into_iter()
        .map(|(date, day)| Day {
            date,
            trades: day.trades,
            closed: day.closed,
            net_pnl: day
                .net
                .iter()
                .map(|(c, sum, _)| (c.clone(), *sum))
                .collect(),
            mean_score: Decimal::from(day.score) / Decimal::from(day.trades.max(1)),
        })
        .collect();
    Breakdowns {
        by_tag: keyed(part.by_tag),
        by_account: part
            .accounts
            .into_names()
            .into_iter()
            .zip(&by_account)
            .map(|(name, sum)| (name, sum.stats()))
            .collect(),
        by_weekday: by_weekday.map(|sum| sum.stats()),
        by_hour: hours,
        by_holding_time: by_holding_time.map(|sum| sum.stats()),
        by_adds: by_adds.map(|sum| sum.stats()),
        robust_r: robust_r(part.r, part.tiny),
        calendar,
    }
}

/// The breakdowns of the trades that pass `filter`, with times read in
/// `filter.zone`. A large journal is summed in parts on every core.
pub fn breakdowns(trades: &[Analysed<'_>], filter: &Filter) -> Breakdowns {
    use rayon::prelude::*;
    let parts = rayon::current_num_threads().max(1);
    let part = if parts > 1 && trades.len() >= 8192 {
        let chunk = trades.len().div_ceil(parts);
        trades
            .par_chunks(chunk)
            .map(|chunk| Part::of(chunk, filter))
            .reduce_with(|mut merged, part| {
                merged.merge(part);
                merged
            })
            .unwrap_or_else(|| Part::of(trades, filter))
    } else {
        Part::of(trades, filter)
    };
    finish(part)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::RuleSettings;
    use crate::analysis::generate::journal;
    use crate::analysis::stats::{analyze_all, pair};
    use crate::analysis::trade::Messages;

    fn t(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    #[test]
    fn holding_time_groups_have_exact_bounds() {
        let open = t("2025-03-04T09:30:00-05:00");
        let at = |minutes: i64| open + chrono::Duration::minutes(minutes);
        let cases = [
            (0, HoldingTime::Under5Min),
            (4, HoldingTime::Under5Min),
            (5, HoldingTime::Min5To60),
            (59, HoldingTime::Min5To60),
            (60, HoldingTime::Hours1To4),
            (239, HoldingTime::Hours1To4),
            (240, HoldingTime::SameDay),
            // 23:59 the same day.
            (869, HoldingTime::SameDay),
            // 00:00 the next day.
            (870, HoldingTime::Days1To5),
            // Five days later, then six.
            (870 + 4 * 1440, HoldingTime::Days1To5),
            (870 + 5 * 1440, HoldingTime::Longer),
        ];
        for (minutes, expected) in cases {
            assert_eq!(
                HoldingTime::of(open, at(minutes), None),
                expected,
                "{minutes} minutes"
            );
        }
        // 09:30 New York is 14:30 UTC, so 9 h 30 later is the next day in UTC.
        let late = at(570);
        assert_eq!(HoldingTime::of(open, late, None), HoldingTime::SameDay);
        assert_eq!(
            HoldingTime::of(open, late, Some(chrono_tz::UTC)),
            HoldingTime::Days1To5
        );
        for h in HoldingTime::ALL {
            assert_eq!(h.id().parse::<HoldingTime>().unwrap(), h);
            assert_eq!(h.title().parse::<HoldingTime>().unwrap(), h);
        }
    }

    #[test]
    fn parts_merge_to_the_whole() {
        let settings = RuleSettings::default();
        let trades = journal(2_000, 5);
        let analyses = analyze_all(&trades, &settings, Messages::Skip);
        let all = pair(&trades, &analyses);
        let filter = Filter {
            zone: Some(chrono_tz::America::New_York),
            ..Filter::default()
        };
        let whole = finish(Part::of(&all, &filter));
        for at in [1, 700, 1_999] {
            let mut merged = Part::of(&all[..at], &filter);
            merged.merge(Part::of(&all[at..], &filter));
            assert_eq!(finish(merged), whole, "split at {at}");
        }
        let counted: usize = whole.by_weekday.iter().map(|g| g.trades).sum();
        assert_eq!(counted, all.len());
        let counted: usize = whole.by_adds.iter().map(|g| g.trades).sum();
        assert_eq!(counted, all.len());
    }

    #[test]
    fn the_median_and_histogram_of_r() {
        let points: Vec<RPoint> = ["-700", "-1", "0.5", "2", "2.25", "6"]
            .iter()
            .map(|r| RPoint {
                r: r.parse().unwrap(),
                tiny: *r == "-700",
            })
            .collect();
        let robust = robust_r(points.clone(), Vec::new());
        assert_eq!(robust.median_r, Some("1.25".parse().unwrap()));
        assert_eq!(robust.median_r_without_tiny, Some("2".parse().unwrap()));
        assert_eq!(robust.mean_r_without_tiny, Some("1.95".parse().unwrap()));
        let count = |from: Option<&str>| {
            robust
                .histogram
                .iter()
                .find(|b| b.from == from.map(|f| f.parse().unwrap()))
                .map(|b| (b.trades, b.tiny))
        };
        assert_eq!(count(None), Some((1, 1)), "below -3");
        assert_eq!(count(Some("-1")), Some((1, 0)), "-1 is in [-1, -0.5)");
        assert_eq!(count(Some("2")), Some((2, 0)), "2 and 2.25 in [2, 2.5)");
        assert_eq!(count(Some("5")), Some((1, 0)), "above 5");
        let total: usize = robust.histogram.iter().map(|b| b.trades).sum();
        assert_eq!(total, points.len());
    }

    #[test]
    fn the_median_is_written_the_same_whatever_order_the_trades_came_in() {
        let points: Vec<RPoint> = ["1.50", "1.5", "-2", "1.500", "1.5", "3"]
            .iter()
            .map(|r| RPoint {
                r: r.parse().unwrap(),
                tiny: false,
            })
            .collect();
        let forward = robust_r(points.clone(), Vec::new());
        let backward = robust_r(points.into_iter().rev().collect(), Vec::new());
        let written = |robust: &RobustR| robust.median_r.map(|r| r.to_string());
        assert_eq!(written(&forward), written(&backward));
        assert_eq!(written(&forward), Some("1.50".to_owned()));
    }
}
