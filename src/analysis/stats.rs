//! Journal statistics over analysed trades: performance, adherence to the
//! rules, what scaling in and out did, breakdowns and series for charts.
//!
//! [`journal_stats`] is pure and makes one pass over the trades (plus a sort
//! of the closed ones by close time, for the equity curve and drawdown). Its
//! input is what [`analyze_all`] produces next to the trades; a [`Filter`]
//! picks the trades by the open date, symbol, setup, market condition, side,
//! a rule broken, tag, account, holding time, weekday, hour of entry or
//! number of adds. The breakdowns by tag, account and time, the R-multiples'
//! median and the calendar are summed in [`breakdown`].
//!
//! Both are made for large journals: a journal is split into one part per
//! core, each part is analysed or summed on its own thread, and the parts
//! are merged. A trade is added once, to the cell of everything that groups
//! it (currency, setup, condition, how it scaled in, rules broken); the
//! groups are summed from the cells at the end. For statistics, analyse
//! with [`Messages::Skip`]: the sentences are most of the cost of a trade
//! that breaks rules, and the statistics never read them.
//!
//! Money is never added across currencies: every amount of money is a
//! [`Money`] map, currency → amount. R-multiples are summed rounded to
//! [`R_DP`] places. Groups carry their counts so that a
//! reader can tell a pattern from a small sample.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Weekday};
use fnv::FnvHashMap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::breakdown::{self, Breakdowns, HoldingTime, adds_group};
use super::rules::{Rule, RuleSettings};
use super::trade::{Messages, TradeAnalysis, analyze_with};
use crate::domain::names::{NameIds, same_name};
use crate::domain::{EventKind, MarketCondition, Side, Trade, TradeId};

/// Decimal places R-multiples are rounded to before they are summed.
///
/// An R-multiple is a quotient with up to 28 significant digits; sums of
/// such numbers overflow the 96-bit mantissa on nearly every addition and go
/// through rust_decimal's slow rescaling path (it made the statistics of
/// 100,000 trades ten times slower). Twelve places keep every mean exact far
/// beyond the 4 places it is shown with.
pub const R_DP: u32 = 12;

/// Amounts of money by currency, in a stable order.
pub type Money = BTreeMap<String, Decimal>;

/// Analyses every trade on every core (rayon). The result is in the order
/// of `trades`. With [`Messages::Skip`] the violations have no message:
/// enough for [`journal_stats`], and several times faster on a journal that
/// breaks rules often.
pub fn analyze_all(
    trades: &[(TradeId, Trade)],
    settings: &RuleSettings,
    messages: Messages,
) -> Vec<TradeAnalysis> {
    use rayon::prelude::*;
    trades
        .par_iter()
        .with_min_len(1024)
        .map(|(_, t)| analyze_with(t, settings, messages))
        .collect()
}

/// Which trades the statistics are about. Every field left `None` lets all
/// trades through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// First open date included: the initial entry's date in [`zone`](Self::zone).
    pub from: Option<NaiveDate>,
    /// Last open date included.
    pub to: Option<NaiveDate>,
    /// Only this symbol (case-insensitive).
    pub symbol: Option<String>,
    /// Only this setup (case-insensitive).
    pub setup: Option<String>,
    /// Only this market condition.
    pub condition: Option<MarketCondition>,
    /// Only this side.
    pub side: Option<Side>,
    /// Only trades that broke this rule.
    pub rule: Option<Rule>,
    /// Only trades with this tag (whole, ignoring case).
    pub tag: Option<String>,
    /// Only trades in this account (whole, ignoring case).
    pub account: Option<String>,
    /// Only closed trades held this long.
    pub holding: Option<HoldingTime>,
    /// Only trades opened on this weekday.
    pub weekday: Option<Weekday>,
    /// Only trades opened in this hour (0 to 23).
    pub hour: Option<u32>,
    /// Only trades with this many adds (3 stands for 3 or more).
    pub adds: Option<u32>,
    /// The zone whose calendar `from` and `to` are dates of, and in which
    /// weekdays, hours, holding days and the breakdowns read times; `None`
    /// reads each time in the offset it was recorded in. Not part of a
    /// report's JSON (`tranche report --tz` sets it).
    #[serde(skip)]
    pub zone: Option<chrono_tz::Tz>,
}

impl Filter {
    /// Whether the trade passes the filter. To test many trades, make a
    /// [`Matcher`] once with [`Filter::matcher`].
    pub fn accepts(&self, trade: &Trade, analysis: &TradeAnalysis) -> bool {
        self.matcher().accepts(trade, analysis)
    }

    /// The filter made ready to test many trades: dates in a zone become the
    /// instants their days begin, found once rather than once per trade.
    pub fn matcher(&self) -> Matcher<'_> {
        let bounds = self.zone.map(|zone| {
            (
                self.from.and_then(|day| day_start(zone, day)),
                self.to
                    .and_then(|day| day.succ_opt())
                    .and_then(|day| day_start(zone, day)),
            )
        });
        Matcher {
            filter: self,
            bounds,
        }
    }

    /// Whether every trade passes (whatever the zone).
    pub fn is_empty(&self) -> bool {
        *self
            == Filter {
                zone: self.zone,
                ..Filter::default()
            }
    }
}

/// The first instant of `day` in `zone` (the first that exists, where clocks
/// skip midnight).
fn day_start(zone: chrono_tz::Tz, day: NaiveDate) -> Option<DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    (0..=3).find_map(|hour| {
        let local = day.and_hms_opt(hour, 0, 0)?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|at| at.with_timezone(&chrono::Utc))
    })
}

/// The instants a range of days begins and ends at (open ends are `None`).
type DayBounds = (Option<DateTime<chrono::Utc>>, Option<DateTime<chrono::Utc>>);

/// A [`Filter`] ready to test many trades ([`Filter::matcher`]).
#[derive(Debug, Clone, Copy)]
pub struct Matcher<'a> {
    filter: &'a Filter,
    /// With a zone: the instants the first day begins and the day after the
    /// last begins.
    bounds: Option<DayBounds>,
}

impl Matcher<'_> {
    /// Whether the trade passes the filter.
    pub fn accepts(&self, trade: &Trade, analysis: &TradeAnalysis) -> bool {
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
        } = self.filter;
        if from.is_some() || to.is_some() {
            let Some(opened) = analysis.opened_at else {
                return false;
            };
            let inside = match self.bounds {
                Some((start, end)) => {
                    start.is_none_or(|start| opened >= start) && end.is_none_or(|end| opened < end)
                }
                None => {
                    let day = opened.date_naive();
                    from.is_none_or(|from| day >= from) && to.is_none_or(|to| day <= to)
                }
            };
            if !inside {
                return false;
            }
        }
        symbol
            .as_deref()
            .is_none_or(|s| trade.symbol.eq_ignore_ascii_case(s.trim()))
            && setup
                .as_deref()
                .is_none_or(|s| trade.setup.trim().eq_ignore_ascii_case(s.trim()))
            && condition.is_none_or(|c| trade.market_condition == c)
            && side.is_none_or(|s| trade.side == s)
            && rule.is_none_or(|r| analysis.broke(r))
            && tag.as_deref().is_none_or(|tag| {
                trade
                    .tags
                    .iter()
                    .any(|t| t.trim().eq_ignore_ascii_case(tag.trim()))
            })
            && account
                .as_deref()
                .is_none_or(|a| trade.account.trim().eq_ignore_ascii_case(a.trim()))
            && adds.is_none_or(|n| adds_group(analysis.adds) == adds_group(n))
            && self.times_match(analysis, *holding, *weekday, *hour, *zone)
    }

    /// Whether the trade's holding time, weekday and hour of entry are those asked for.
    fn times_match(
        &self,
        analysis: &TradeAnalysis,
        holding: Option<HoldingTime>,
        weekday: Option<Weekday>,
        hour: Option<u32>,
        zone: Option<chrono_tz::Tz>,
    ) -> bool {
        if holding.is_none() && weekday.is_none() && hour.is_none() {
            return true;
        }
        let Some(opened) = analysis.opened_at else {
            return false;
        };
        let at = breakdown::local(opened, zone);
        weekday.is_none_or(|w| at.weekday() == w)
            && hour.is_none_or(|h| at.hour() == h)
            && holding.is_none_or(|h| {
                analysis
                    .closed_at
                    .is_some_and(|closed| HoldingTime::of(opened, closed, zone) == h)
            })
    }
}

/// One analysed trade, as the statistics see it.
#[derive(Debug, Clone, Copy)]
pub struct Analysed<'a> {
    /// The trade's id.
    pub id: TradeId,
    /// The trade.
    pub trade: &'a Trade,
    /// Its analysis.
    pub analysis: &'a TradeAnalysis,
    /// The initial entry's notional value (`q0 × p0 × m × rate`), if it has
    /// one: given apart from the trade, whose events a kept analysis spares
    /// reading ([`super::kept`]).
    pub notional: Option<Decimal>,
}

impl<'a> Analysed<'a> {
    /// Trade `id` with its analysis.
    pub fn new(id: TradeId, trade: &'a Trade, analysis: &'a TradeAnalysis) -> Analysed<'a> {
        Analysed {
            id,
            trade,
            analysis,
            notional: notional(trade),
        }
    }
}

/// The initial entry's notional value (`q0 × p0 × m × rate`), if it has one.
pub fn notional(trade: &Trade) -> Option<Decimal> {
    let (_, entry) = trade.initial_entry()?;
    let EventKind::Entry(fill) = entry.kind else {
        return None;
    };
    fill.qty
        .checked_mul(fill.price)?
        .checked_mul(trade.money_multiplier())
}

/// Pairs trades with their analyses (as [`analyze_all`] returns them, in the same order).
pub fn pair<'a>(
    trades: &'a [(TradeId, Trade)],
    analyses: &'a [TradeAnalysis],
) -> Vec<Analysed<'a>> {
    trades
        .iter()
        .zip(analyses)
        .map(|((id, trade), analysis)| Analysed::new(*id, trade, analysis))
        .collect()
}

/// Results over closed trades.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Performance {
    /// Closed trades.
    pub closed: usize,
    /// Closed trades with a positive net P&L.
    pub wins: usize,
    /// Closed trades with a negative net P&L.
    pub losses: usize,
    /// `wins / closed`; `None` without closed trades.
    pub win_rate: Option<Decimal>,
    /// Mean net P&L of the winning trades.
    pub average_win: Money,
    /// Mean net P&L of the losing trades (negative).
    pub average_loss: Money,
    /// Mean net P&L per closed trade.
    pub expectancy: Money,
    /// Closed trades with an R-multiple (an initial stop).
    pub r_trades: usize,
    /// Mean R-multiple of the closed trades that have one.
    pub expectancy_r: Option<Decimal>,
    /// Sum of wins over the sum of losses (as a positive number); absent for a
    /// currency without losses.
    pub profit_factor: BTreeMap<String, Decimal>,
    /// The largest fall of the closed-trade equity curve (by close time) from
    /// a peak, as a positive amount; the curve starts at 0.
    pub max_drawdown: Money,
    /// The total net P&L of the closed trades, per currency.
    pub net_pnl: Money,
    /// The journal's main currency: the one with the most closed trades;
    /// ties go to the larger absolute total net P&L, then to the name in
    /// alphabetical order. `None` without trades.
    pub main_currency: Option<String>,
}

/// A group of trades and how they did, to compare with another group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Trades in the group.
    pub trades: usize,
    /// Closed trades in the group.
    pub closed: usize,
    /// `wins / closed`; `None` without closed trades.
    pub win_rate: Option<Decimal>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Mean R-multiple of those; `None` without any.
    pub mean_r: Option<Decimal>,
    /// Mean net P&L per closed trade.
    pub mean_net_pnl: Money,
    /// Mean score of every trade in the group; `None` for an empty group.
    pub mean_score: Option<Decimal>,
}

/// The trades that broke one rule, next to the clean trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleImpact {
    /// The rule.
    pub rule: Rule,
    /// The trades that broke it at least once.
    pub broke: Group,
}

/// How well the rules were followed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adherence {
    /// Mean score over every trade; `None` without trades.
    pub mean_score: Option<Decimal>,
    /// Trades without any violation whose stop rules were judged: a trade
    /// whose initial stop is not known is not counted as clean, since its
    /// stop rules were neither kept nor broken.
    pub clean_trades: usize,
    /// Trades whose stop rules were not judged (the initial stop is not
    /// known): they break none of the stop rules and keep none of them.
    pub stops_not_judged: usize,
    /// Number of violations of each rule (rules never broken are absent).
    pub violations_by_rule: BTreeMap<Rule, usize>,
    /// For each rule broken, the trades that broke it.
    pub by_rule: Vec<RuleImpact>,
    /// The clean trades ([`Adherence::clean_trades`]), for comparison.
    pub clean: Group,
}

/// Scaled-in trades against single-entry ones, and among the scaled-in,
/// pyramided (never averaged down) against averaged-down.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scaling {
    /// Trades with at least one add.
    pub scaled_in: Group,
    /// Trades with a single entry.
    pub single_entry: Group,
    /// Scaled-in trades without an `averaging-down` violation.
    pub pyramided: Group,
    /// Scaled-in trades with one.
    pub averaged_down: Group,
}

/// What scaling out did, summed over the trades with two exits or more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleOutTotals {
    /// Trades with two exits or more.
    pub trades: usize,
    /// Of those, trades where scaling out protected gains.
    pub protected_trades: usize,
    /// Of those, trades where scaling out capped gains.
    pub capped_trades: usize,
    /// Sum of the positive effects.
    pub protected: Money,
    /// Sum of the negative effects (negative): `protected + capped = net_effect`.
    pub capped: Money,
    /// Sum of every effect.
    pub net_effect: Money,
}

/// How one setup or market condition did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Trades.
    pub trades: usize,
    /// Closed trades.
    pub closed: usize,
    /// `wins / closed`.
    pub win_rate: Option<Decimal>,
    /// Closed trades with an R-multiple.
    pub r_trades: usize,
    /// Mean R-multiple of the closed trades.
    pub expectancy_r: Option<Decimal>,
    /// Mean net P&L per closed trade.
    pub expectancy: Money,
    /// Mean score of every trade.
    pub mean_score: Option<Decimal>,
}

/// One month of closed trades.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Month {
    /// `YYYY-MM`, of the close time in its own offset.
    pub month: String,
    /// Trades closed that month.
    pub trades: usize,
    /// Their mean score.
    pub mean_score: Decimal,
    /// Their net P&L.
    pub net_pnl: Money,
}

/// One closed trade on the equity curve, in close-time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// The trade.
    pub id: TradeId,
    /// When it closed.
    pub closed_at: DateTime<FixedOffset>,
    /// Index into [`JournalStats::currencies`] of the trade's currency.
    pub currency: usize,
    /// The trade's net P&L.
    pub net_pnl: Decimal,
    /// The sum of the net P&L of the closed trades in that currency so far.
    pub equity: Decimal,
    /// The trade's R-multiple, if it has one.
    pub r_multiple: Option<Decimal>,
    /// The sum of the R-multiples so far, each rounded to [`R_DP`] places
    /// (every currency: R has none).
    pub equity_r: Decimal,
    /// The most serious rule the trade broke.
    pub worst_rule: Option<Rule>,
}

/// What scaling out did on one trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleOutPoint {
    /// The trade.
    pub id: TradeId,
    /// When it opened.
    pub opened_at: Option<DateTime<FixedOffset>>,
    /// Index into [`JournalStats::currencies`].
    pub currency: usize,
    /// `actual - held_to_last_exit`.
    pub effect: Decimal,
}

/// Everything the dashboard and `tranche report` show about a journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalStats {
    /// Trades that passed the filter.
    pub trades: usize,
    /// Of those, closed.
    pub closed: usize,
    /// Of those, still open.
    pub open: usize,
    /// The currencies met, in order of first appearance; points refer to them by index.
    pub currencies: Vec<String>,
    /// Results over the closed trades.
    pub performance: Performance,
    /// Adherence to the rules.
    pub adherence: Adherence,
    /// Scaled-in against single-entry trades.
    pub scaling: Scaling,
    /// Scale-out totals.
    pub scale_out: ScaleOutTotals,
    /// By setup (as written, trimmed; empty for none).
    pub by_setup: BTreeMap<String, Breakdown>,
    /// By market condition.
    pub by_condition: BTreeMap<String, Breakdown>,
    /// By close month, in order.
    pub monthly: Vec<Month>,
    /// The closed trades in close-time order.
    pub equity_curve: Vec<EquityPoint>,
    /// Every trade with a scale-out, in input order.
    pub scale_out_effects: Vec<ScaleOutPoint>,
    /// By tag, account, weekday, hour, holding time and adds; the
    /// R-multiples beside their mean; the calendar ([`breakdown`]).
    pub breakdowns: Breakdowns,
}

/// How a trade was scaled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum HowScaled {
    SingleEntry,
    Pyramided,
    AveragedDown,
}

/// Everything that puts a trade in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CellKey {
    currency: usize,
    /// Index into [`Partial::setups`].
    setup: usize,
    /// Index in [`MarketCondition::ALL`].
    condition: u8,
    scaling: HowScaled,
    /// Bit `i` set: the trade broke `Rule::EVERY[i]`.
    broke: u16,
    /// Whether the trade's stop rules were judged.
    stops_judged: bool,
}

/// The trades of one cell (all in one currency).
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    trades: usize,
    closed: usize,
    wins: usize,
    score: u64,
    r: Mean,
    net: Mean,
}

impl Cell {
    fn add(&mut self, t: &TradeFacts) {
        self.trades += 1;
        self.score += u64::from(t.score);
        if t.closed {
            self.closed += 1;
            self.wins += usize::from(t.net > Decimal::ZERO);
            if let Some(r) = t.r {
                self.r.add(r);
            }
            self.net.add(t.net);
        }
    }

    fn merge(&mut self, other: Cell) {
        self.trades += other.trades;
        self.closed += other.closed;
        self.wins += other.wins;
        self.score += other.score;
        self.r.merge(other.r);
        self.net.merge(other.net);
    }
}

/// Sum and count of money in one currency.
#[derive(Debug, Clone, Copy, Default)]
struct Mean {
    sum: Decimal,
    count: usize,
}

impl Mean {
    fn add(&mut self, value: Decimal) {
        self.sum += value;
        self.count += 1;
    }

    fn merge(&mut self, other: Mean) {
        self.sum += other.sum;
        self.count += other.count;
    }

    fn value(self) -> Option<Decimal> {
        (self.count > 0).then(|| self.sum / Decimal::from(self.count))
    }
}

/// A group being summed up. Money is indexed by currency index.
#[derive(Debug, Clone, Default)]
struct GroupSum {
    trades: usize,
    closed: usize,
    wins: usize,
    score: u64,
    r: Mean,
    net: Vec<Mean>,
}

impl GroupSum {
    fn add_cell(&mut self, cell: &Cell, currency: usize) {
        self.trades += cell.trades;
        self.closed += cell.closed;
        self.wins += cell.wins;
        self.score += cell.score;
        self.r.merge(cell.r);
        if cell.closed > 0 {
            if self.net.len() <= currency {
                self.net.resize(currency + 1, Mean::default());
            }
            self.net[currency].merge(cell.net);
        }
    }

    fn mean_score(&self) -> Option<Decimal> {
        (self.trades > 0).then(|| Decimal::from(self.score) / Decimal::from(self.trades))
    }

    fn win_rate(&self) -> Option<Decimal> {
        (self.closed > 0).then(|| Decimal::from(self.wins) / Decimal::from(self.closed))
    }

    fn group(&self, currencies: &[String]) -> Group {
        Group {
            trades: self.trades,
            closed: self.closed,
            win_rate: self.win_rate(),
            r_trades: self.r.count,
            mean_r: self.r.value(),
            mean_net_pnl: means(&self.net, currencies),
            mean_score: self.mean_score(),
        }
    }

    fn breakdown(&self, currencies: &[String]) -> Breakdown {
        Breakdown {
            trades: self.trades,
            closed: self.closed,
            win_rate: self.win_rate(),
            r_trades: self.r.count,
            expectancy_r: self.r.value(),
            expectancy: means(&self.net, currencies),
            mean_score: self.mean_score(),
        }
    }
}

fn means(values: &[Mean], currencies: &[String]) -> Money {
    values
        .iter()
        .zip(currencies)
        .filter_map(|(mean, currency)| Some((currency.clone(), mean.value()?)))
        .collect()
}

/// What the statistics need of one trade.
struct TradeFacts {
    closed: bool,
    net: Decimal,
    r: Option<Decimal>,
    score: u32,
}

/// Per-currency sums of the performance section.
#[derive(Debug, Clone, Copy, Default)]
struct CurrencySums {
    wins: Mean,
    losses: Mean,
    all: Mean,
    scale_out_protected: Decimal,
    scale_out_capped: Decimal,
    has_scale_out: bool,
}

impl CurrencySums {
    fn merge(&mut self, other: CurrencySums) {
        self.wins.merge(other.wins);
        self.losses.merge(other.losses);
        self.all.merge(other.all);
        self.scale_out_protected += other.scale_out_protected;
        self.scale_out_capped += other.scale_out_capped;
        self.has_scale_out |= other.has_scale_out;
    }
}

/// The eight scaling rules, the worst first: the highest weight under
/// `settings`, then the first in [`Rule::ALL`], as
/// [`TradeAnalysis::worst_rule`] ranks them.
fn worst_first(settings: &RuleSettings) -> [Rule; 8] {
    let mut rules = Rule::ALL;
    rules.sort_by_key(|&rule| (std::cmp::Reverse(settings.weight(rule)), rule.index()));
    rules
}

/// The sums of one part of the journal; parts are summed on separate
/// threads and merged. They own what they hold, so that the part's trades
/// need not outlive them.
#[derive(Debug, Default)]
struct Partial {
    currency_names: Vec<String>,
    money: Vec<CurrencySums>,
    /// The setups met (trimmed), numbered in order of first appearance.
    setups: NameIds,
    /// The trades summed by everything that puts them in a group: one
    /// addition per trade instead of one per group; `finish` sums the cells
    /// up into the groups.
    cells: FnvHashMap<CellKey, Cell>,
    violations: [usize; Rule::COUNT],
    /// (year, month) → (score sum, trades, net P&L by currency index).
    months: BTreeMap<(i32, u32), (u64, usize, Vec<Mean>)>,
    closed: Vec<EquityPoint>,
    r_total: Mean,
    scale_out: ScaleOutTotals,
    scale_out_effects: Vec<ScaleOutPoint>,
}

impl Partial {
    fn of(trades: &[Analysed<'_>], filter: &Filter, settings: &RuleSettings) -> Partial {
        let filtering = !filter.is_empty();
        let matcher = filter.matcher();
        let worst_first = worst_first(settings);
        let mut partial = Partial {
            closed: Vec::with_capacity(trades.len()),
            ..Partial::default()
        };
        for item in trades {
            if !filtering || matcher.accepts(item.trade, item.analysis) {
                partial.add(item, &worst_first);
            }
        }
        partial.seal();
        partial
    }

    /// Makes the sums of the trades added ready to merge.
    fn seal(&mut self) {
        // Sorted here, on this part's thread; `finish` merges the sorted parts.
        self.closed
            .sort_unstable_by_key(|point| (point.closed_at, point.id));
    }

    /// The index of `setup` in `setups`, added on first use.
    fn setup(&mut self, setup: &str) -> usize {
        self.setups.id(setup) as usize
    }

    /// Adds `item`; `worst_first` is [`worst_first`] of the settings.
    fn add(&mut self, item: &Analysed<'_>, worst_first: &[Rule; 8]) {
        let (trade, analysis) = (item.trade, item.analysis);
        let currency = match self
            .currency_names
            .iter()
            .position(|c| same_name(c, &trade.currency))
        {
            Some(known) => known,
            None => {
                self.currency_names.push(trade.currency.clone());
                self.money.push(CurrencySums::default());
                self.currency_names.len() - 1
            }
        };
        let facts = TradeFacts {
            closed: analysis.is_closed(),
            net: analysis.net_pnl,
            r: analysis.r_multiple.map(|r| r.round_dp(R_DP)),
            score: analysis.score,
        };
        let sums = &mut self.money[currency];
        if let Some(closed_at) = analysis.closed_at {
            sums.all.add(facts.net);
            if facts.net > Decimal::ZERO {
                sums.wins.add(facts.net);
            } else if facts.net < Decimal::ZERO {
                sums.losses.add(facts.net);
            }
            if let Some(r) = facts.r {
                self.r_total.add(r);
            }
            self.closed.push(EquityPoint {
                id: item.id,
                closed_at,
                currency,
                net_pnl: facts.net,
                equity: Decimal::ZERO,
                r_multiple: analysis.r_multiple,
                equity_r: facts.r.unwrap_or_default(),
                worst_rule: None,
            });
            let month = self
                .months
                .entry((closed_at.year(), closed_at.month()))
                .or_insert_with(|| (0, 0, Vec::new()));
            month.0 += u64::from(facts.score);
            month.1 += 1;
            if month.2.len() <= currency {
                month.2.resize(currency + 1, Mean::default());
            }
            month.2[currency].add(facts.net);
        }
        if let Some(scale_out) = &analysis.scale_out {
            self.scale_out.trades += 1;
            sums.has_scale_out = true;
            if scale_out.effect > Decimal::ZERO {
                self.scale_out.protected_trades += 1;
                sums.scale_out_protected += scale_out.effect;
            } else if scale_out.effect < Decimal::ZERO {
                self.scale_out.capped_trades += 1;
                sums.scale_out_capped += scale_out.effect;
            }
            self.scale_out_effects.push(ScaleOutPoint {
                id: item.id,
                opened_at: analysis.opened_at,
                currency,
                effect: scale_out.effect,
            });
        }

        let mut broke = 0u16;
        for violation in &analysis.violations {
            let rule = violation.rule.index();
            self.violations[rule] += 1;
            broke |= 1 << rule;
        }
        if broke != 0
            && facts.closed
            && let Some(point) = self.closed.last_mut()
        {
            point.worst_rule = worst_first
                .iter()
                .copied()
                .find(|rule| broke & (1 << rule.index()) != 0);
        }
        let scaling = match (
            analysis.is_scaled_in(),
            broke & (1 << Rule::AveragingDown.index()),
        ) {
            (false, _) => HowScaled::SingleEntry,
            (true, 0) => HowScaled::Pyramided,
            (true, _) => HowScaled::AveragedDown,
        };
        let condition = MarketCondition::ALL
            .iter()
            .position(|&c| c == trade.market_condition)
            .unwrap_or(0) as u8;
        let key = CellKey {
            currency,
            setup: self.setup(trade.setup.trim()),
            condition,
            scaling,
            broke,
            stops_judged: analysis.stops_judged,
        };
        self.cells.entry(key).or_default().add(&facts);
    }

    /// Adds the sums of `other`, a later part of the journal.
    fn merge(&mut self, other: Partial) {
        let remap: Vec<usize> = other
            .currency_names
            .into_iter()
            .map(
                |name| match self.currency_names.iter().position(|c| same_name(c, &name)) {
                    Some(known) => known,
                    None => {
                        self.currency_names.push(name);
                        self.money.push(CurrencySums::default());
                        self.currency_names.len() - 1
                    }
                },
            )
            .collect();
        let setups: Vec<usize> = other
            .setups
            .names()
            .iter()
            .map(|name| self.setup(name))
            .collect();
        for (index, sums) in other.money.into_iter().enumerate() {
            self.money[remap[index]].merge(sums);
        }
        for (key, cell) in other.cells {
            let key = CellKey {
                currency: remap[key.currency],
                setup: setups[key.setup],
                ..key
            };
            self.cells.entry(key).or_default().merge(cell);
        }
        for (mine, theirs) in self.violations.iter_mut().zip(other.violations) {
            *mine += theirs;
        }
        for (key, (score, count, net)) in other.months {
            let month = self.months.entry(key).or_insert_with(|| (0, 0, Vec::new()));
            month.0 += score;
            month.1 += count;
            merge_means(&mut month.2, net, &remap);
        }
        self.closed
            .extend(other.closed.into_iter().map(|point| EquityPoint {
                currency: remap[point.currency],
                ..point
            }));
        self.r_total.merge(other.r_total);
        self.scale_out.trades += other.scale_out.trades;
        self.scale_out.protected_trades += other.scale_out.protected_trades;
        self.scale_out.capped_trades += other.scale_out.capped_trades;
        self.scale_out_effects
            .extend(
                other
                    .scale_out_effects
                    .into_iter()
                    .map(|point| ScaleOutPoint {
                        currency: remap[point.currency],
                        ..point
                    }),
            );
    }
}

/// Adds means by currency index `i` of `theirs` into `mine` at `remap[i]`.
fn merge_means(mine: &mut Vec<Mean>, theirs: Vec<Mean>, remap: &[usize]) {
    for (index, mean) in theirs.into_iter().enumerate() {
        let to = remap[index];
        if mine.len() <= to {
            mine.resize(to + 1, Mean::default());
        }
        mine[to].merge(mean);
    }
}

/// The statistics of the trades that pass `filter`. A large journal is
/// summed in parts on every core, then merged.
pub fn journal_stats(
    trades: &[Analysed<'_>],
    filter: &Filter,
    settings: &RuleSettings,
) -> JournalStats {
    use rayon::prelude::*;
    let parts = rayon::current_num_threads().max(1);
    let partial = if parts > 1 && trades.len() >= 8192 {
        // In order: the parts' results are merged left to right.
        let chunk = trades.len().div_ceil(parts);
        trades
            .par_chunks(chunk)
            .map(|part| Partial::of(part, filter, settings))
            .reduce_with(|mut merged, part| {
                merged.merge(part);
                merged
            })
            .unwrap_or_else(|| Partial::of(trades, filter, settings))
    } else {
        Partial::of(trades, filter, settings)
    };
    let mut stats = finish(partial);
    stats.breakdowns = breakdown::breakdowns(trades, filter);
    stats
}

/// The sums of some consecutive trades of a journal, for statistics of a
/// journal too large to hold whole: sum each part of it as it is read
/// ([`JournalSums::of`], on any thread), add the parts up in their order
/// ([`JournalSums::merge`]), and [`JournalSums::finish`] gives exactly what
/// [`journal_stats`] gives for all of the trades at once. The sums hold a
/// few figures per closed trade (for the equity curve, the drawdown and the
/// median R), never the trades.
#[derive(Debug, Default)]
pub struct JournalSums {
    partial: Partial,
    breakdowns: breakdown::Part,
}

impl JournalSums {
    /// The sums of the trades that pass `filter`.
    pub fn of(trades: &[Analysed<'_>], filter: &Filter, settings: &RuleSettings) -> JournalSums {
        let mut sums = JournalSums::adding(filter, settings);
        for item in trades {
            sums.add(item);
        }
        sums.finish()
    }

    /// Sums of consecutive trades taken one at a time, for trades that are
    /// never all at hand together: [`SumsAdder::finish`] gives what
    /// [`JournalSums::of`] gives for the same trades.
    pub fn adding<'a>(filter: &'a Filter, settings: &'a RuleSettings) -> SumsAdder<'a> {
        SumsAdder {
            matcher: filter.matcher(),
            filtering: !filter.is_empty(),
            zone: filter.zone,
            worst_first: worst_first(settings),
            sums: JournalSums::default(),
        }
    }

    /// Adds the sums of `later`, the trades that come after these.
    pub fn merge(&mut self, later: JournalSums) {
        self.partial.merge(later.partial);
        self.breakdowns.merge(later.breakdowns);
    }

    /// The statistics of every trade summed.
    pub fn finish(self) -> JournalStats {
        // Each sorts a figure or two of every closed trade: side by side.
        let (mut stats, breakdowns) = rayon::join(
            || finish(self.partial),
            || breakdown::finish(self.breakdowns),
        );
        stats.breakdowns = breakdowns;
        stats
    }
}

/// Adds trades to [`JournalSums`] one at a time ([`JournalSums::adding`]).
#[derive(Debug)]
pub struct SumsAdder<'a> {
    matcher: Matcher<'a>,
    filtering: bool,
    zone: Option<chrono_tz::Tz>,
    worst_first: [Rule; 8],
    sums: JournalSums,
}

impl SumsAdder<'_> {
    /// Makes room for `trades` more trades.
    pub fn reserve(&mut self, trades: usize) {
        self.sums.partial.closed.reserve(trades);
        self.sums.breakdowns.reserve(trades);
    }

    /// Adds `item`, the trade after those added so far, if it passes the filter.
    pub fn add(&mut self, item: &Analysed<'_>) {
        if !self.filtering || self.matcher.accepts(item.trade, item.analysis) {
            self.sums.partial.add(item, &self.worst_first);
            self.sums.breakdowns.add(item, self.zone);
        }
    }

    /// The sums of the trades added.
    pub fn finish(mut self) -> JournalSums {
        self.sums.partial.seal();
        self.sums
    }
}

/// The statistics of the summed-up journal.
fn finish(partial: Partial) -> JournalStats {
    let Partial {
        currency_names,
        money,
        setups: setup_ids,
        cells,
        violations,
        months,
        mut closed,
        r_total,
        scale_out,
        scale_out_effects,
    } = partial;
    let mut stats = JournalStats {
        scale_out,
        scale_out_effects,
        ..JournalStats::default()
    };

    let currencies: Vec<String> = currency_names;

    let mut all = GroupSum::default();
    let mut clean = GroupSum::default();
    let mut stops_not_judged = 0;
    let mut by_rule: [GroupSum; Rule::COUNT] = Default::default();
    let (mut scaled_in, mut single_entry) = (GroupSum::default(), GroupSum::default());
    let (mut pyramided, mut averaged_down) = (GroupSum::default(), GroupSum::default());
    let setup_names = setup_ids.into_names();
    let mut setups: Vec<GroupSum> = vec![GroupSum::default(); setup_names.len()];
    let mut conditions: [GroupSum; 3] = Default::default();
    for (key, cell) in &cells {
        let currency = key.currency;
        all.add_cell(cell, currency);
        if !key.stops_judged {
            stops_not_judged += cell.trades;
        } else if key.broke == 0 {
            clean.add_cell(cell, currency);
        }
        for (rule, sum) in by_rule.iter_mut().enumerate() {
            if key.broke & (1 << rule) != 0 {
                sum.add_cell(cell, currency);
            }
        }
        match key.scaling {
            HowScaled::SingleEntry => single_entry.add_cell(cell, currency),
            HowScaled::Pyramided => {
                scaled_in.add_cell(cell, currency);
                pyramided.add_cell(cell, currency);
            }
            HowScaled::AveragedDown => {
                scaled_in.add_cell(cell, currency);
                averaged_down.add_cell(cell, currency);
            }
        }
        setups[key.setup].add_cell(cell, currency);
        conditions[usize::from(key.condition)].add_cell(cell, currency);
    }
    stats.trades = all.trades;
    stats.closed = all.closed;
    stats.open = all.trades - all.closed;

    // The equity curve and drawdown, in close-time order.
    // The parts are each sorted already: a stable sort merges such runs in linear time.
    closed.sort_by_key(|point| (point.closed_at, point.id));
    let mut equity = vec![Decimal::ZERO; currencies.len()];
    let mut peak = vec![Decimal::ZERO; currencies.len()];
    let mut drawdown = vec![Decimal::ZERO; currencies.len()];
    let mut equity_r = Decimal::ZERO;
    for point in &mut closed {
        let currency = point.currency;
        equity[currency] += point.net_pnl;
        point.equity = equity[currency];
        if equity[currency] > peak[currency] {
            peak[currency] = equity[currency];
        } else if peak[currency] - equity[currency] > drawdown[currency] {
            drawdown[currency] = peak[currency] - equity[currency];
        }
        // `equity_r` held the trade's own rounded R until now.
        equity_r += point.equity_r;
        point.equity_r = equity_r;
    }
    stats.equity_curve = closed;

    let performance = &mut stats.performance;
    performance.closed = all.closed;
    performance.wins = money.iter().map(|m| m.wins.count).sum();
    performance.losses = money.iter().map(|m| m.losses.count).sum();
    performance.win_rate = all.win_rate();
    for (sums, currency) in money.iter().zip(&currencies) {
        if let Some(mean) = sums.wins.value() {
            performance.average_win.insert(currency.clone(), mean);
        }
        if let Some(mean) = sums.losses.value() {
            performance.average_loss.insert(currency.clone(), mean);
        }
        if let Some(mean) = sums.all.value() {
            performance.expectancy.insert(currency.clone(), mean);
        }
        if sums.all.count > 0 {
            performance.net_pnl.insert(currency.clone(), sums.all.sum);
        }
        if !sums.losses.sum.is_zero() {
            performance
                .profit_factor
                .insert(currency.clone(), sums.wins.sum / -sums.losses.sum);
        }
        if sums.has_scale_out {
            let (protected, capped) = (sums.scale_out_protected, sums.scale_out_capped);
            stats
                .scale_out
                .protected
                .insert(currency.clone(), protected);
            stats.scale_out.capped.insert(currency.clone(), capped);
            stats
                .scale_out
                .net_effect
                .insert(currency.clone(), protected + capped);
        }
    }
    performance.main_currency = money
        .iter()
        .zip(&currencies)
        .min_by(|(a, x), (b, y)| {
            b.all
                .count
                .cmp(&a.all.count)
                .then(b.all.sum.abs().cmp(&a.all.sum.abs()))
                .then(x.cmp(y))
        })
        .map(|(_, currency)| currency.clone());
    performance.r_trades = r_total.count;
    performance.expectancy_r = r_total.value();
    performance.max_drawdown = money
        .iter()
        .zip(&currencies)
        .zip(drawdown)
        .filter(|((sums, _), _)| sums.all.count > 0)
        .map(|((_, currency), drawdown)| (currency.clone(), drawdown))
        .collect();

    let adherence = &mut stats.adherence;
    adherence.mean_score = all.mean_score();
    adherence.clean_trades = clean.trades;
    adherence.stops_not_judged = stops_not_judged;
    adherence.clean = clean.group(&currencies);
    for rule in Rule::ALL {
        let count = violations[rule.index()];
        if count > 0 {
            adherence.violations_by_rule.insert(rule, count);
            adherence.by_rule.push(RuleImpact {
                rule,
                broke: by_rule[rule.index()].group(&currencies),
            });
        }
    }

    stats.scaling = Scaling {
        scaled_in: scaled_in.group(&currencies),
        single_entry: single_entry.group(&currencies),
        pyramided: pyramided.group(&currencies),
        averaged_down: averaged_down.group(&currencies),
    };
    stats.by_setup = setup_names
        .into_iter()
        .zip(&setups)
        .map(|(setup, sum)| (setup, sum.breakdown(&currencies)))
        .collect();
    stats.by_condition = MarketCondition::ALL
        .iter()
        .zip(&conditions)
        .filter(|(_, sum)| sum.trades > 0)
        .map(|(condition, sum)| (condition.as_str().to_owned(), sum.breakdown(&currencies)))
        .collect();
    stats.monthly = months
        .into_iter()
        .map(|((year, month), (score, count, net))| Month {
            month: format!("{year:04}-{month:02}"),
            trades: count,
            mean_score: Decimal::from(score) / Decimal::from(count),
            net_pnl: net
                .iter()
                .zip(&currencies)
                .filter(|(mean, _)| mean.count > 0)
                .map(|(mean, currency)| (currency.clone(), mean.sum))
                .collect(),
        })
        .collect();
    stats.currencies = currencies;
    stats
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::generate::journal;
    use crate::analysis::stats::analyze_all;
    use crate::analysis::trade::Messages;

    #[test]
    fn parts_merge_to_the_whole() {
        let settings = RuleSettings::default();
        let trades = journal(3_000, 3);
        let analyses = analyze_all(&trades, &settings, Messages::Skip);
        let all = pair(&trades, &analyses);
        let filter = Filter::default();
        let whole = finish(Partial::of(&all, &filter, &settings));
        // Split where the two parts meet their currencies in a different order.
        let first = &trades[0].1.currency;
        let split = trades
            .iter()
            .position(|(_, t)| &t.currency != first)
            .unwrap();
        for at in [1, split, split + 1, 1_500, 2_999] {
            let mut merged = Partial::of(&all[..at], &filter, &settings);
            merged.merge(Partial::of(&all[at..], &filter, &settings));
            assert_eq!(finish(merged), whole, "split at {at}");
        }
        let stats = journal_stats(&all, &filter, &settings);
        assert_eq!(stats.breakdowns, breakdown::breakdowns(&all, &filter));
        assert_eq!(
            JournalStats {
                breakdowns: Breakdowns::default(),
                ..stats
            },
            whole
        );
    }
}
