//! Tilt: whether the rules break more after a loss, soon after one, in runs,
//! or at certain hours and days.
//!
//! [`tilt`] looks at closed trades in the order they were opened. A trade
//! *broke a rule* when its analysis lists any violation. Each figure is a
//! [`Group`]: the trades it counts (their ids, so that a click can list
//! them), how many of them broke a rule, and a plain sentence with the sample
//! size, e.g. "after a loss you broke a rule in 41% of trades (29 of 71),
//! after a win in 18% (22 of 122)".

use chrono::{DateTime, Datelike, Duration, FixedOffset, Timelike, Weekday};
use rust_decimal::Decimal;

use super::format;
use super::trade::TradeAnalysis;
use crate::domain::{Trade, TradeId};

/// A group of trades and how many of them broke a rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// Every trade in the group, in the order they were opened.
    pub ids: Vec<TradeId>,
    /// The trades in the group that broke a rule.
    pub broken: Vec<TradeId>,
    /// The group's net P&L in R, over its trades with an R.
    pub net_r: Decimal,
    /// How many of its trades have an R.
    pub with_r: usize,
    /// How many of its trades won (net P&L above zero).
    pub wins: usize,
}

impl Group {
    /// The number of trades.
    pub fn trades(&self) -> usize {
        self.ids.len()
    }

    /// The share of its trades that broke a rule; `None` when empty.
    pub fn rate(&self) -> Option<Decimal> {
        (!self.ids.is_empty())
            .then(|| Decimal::from(self.broken.len()) / Decimal::from(self.ids.len()))
    }

    /// "41% (29 of 71)", or "no trades".
    pub fn rate_text(&self) -> String {
        match self.rate() {
            Some(rate) => format!(
                "{}% ({} of {})",
                format::price(rate * Decimal::ONE_HUNDRED, 0),
                self.broken.len(),
                self.ids.len()
            ),
            None => "no trades".to_owned(),
        }
    }

    fn push(&mut self, id: TradeId, analysis: &TradeAnalysis) {
        self.ids.push(id);
        if !analysis.violations.is_empty() {
            self.broken.push(id);
        }
        if let Some(r) = analysis.r_multiple {
            self.net_r += r;
            self.with_r += 1;
        }
        if analysis.net_pnl > Decimal::ZERO {
            self.wins += 1;
        }
    }
}

/// A run of consecutive trades (in the order they were opened) that each
/// broke a rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streak {
    /// Its trades.
    pub ids: Vec<TradeId>,
}

/// The tilt figures over a journal's closed trades.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tilt {
    /// Closed trades looked at.
    pub trades: usize,
    /// Trades opened after the last trade to close before them lost.
    pub after_loss: Group,
    /// Trades opened after the last trade to close before them won.
    pub after_win: Group,
    /// Trades opened within the window after a losing trade closed.
    pub soon_after_loss: Group,
    /// The window, in minutes.
    pub window_minutes: i64,
    /// Runs of two or more broken trades in a row, longest first (earliest
    /// first among equals).
    pub streaks: Vec<Streak>,
    /// By the hour of day the trade was opened (0 to 23), in the zone given.
    pub by_hour: [Group; 24],
    /// By the weekday the trade was opened, Monday first.
    pub by_weekday: [Group; 7],
}

impl Tilt {
    /// "after a loss you broke a rule in 41% of trades (29 of 71), after a
    /// win in 18% (22 of 122)".
    pub fn after_sentence(&self) -> String {
        let loss = match self.after_loss.rate() {
            Some(rate) => format!(
                "{}% of trades ({} of {})",
                format::price(rate * Decimal::ONE_HUNDRED, 0),
                self.after_loss.broken.len(),
                self.after_loss.ids.len()
            ),
            None => "no trades (there were none)".to_owned(),
        };
        format!(
            "after a loss you broke a rule in {loss}, after a win in {}",
            self.after_win.rate_text()
        )
    }

    /// What the trades opened soon after a loss did.
    pub fn soon_sentence(&self) -> String {
        let group = &self.soon_after_loss;
        if group.ids.is_empty() {
            return format!(
                "no trade was opened within {} minutes of a loss closing",
                self.window_minutes
            );
        }
        let mut text = format!(
            "{} trade{} opened within {} minutes of a loss closing: you broke a rule in {}; {} won",
            group.ids.len(),
            if group.ids.len() == 1 {
                " was"
            } else {
                "s were"
            },
            self.window_minutes,
            group.rate_text(),
            group.wins
        );
        if group.with_r > 0 {
            text.push_str(&format!(
                ", and together they made {} R",
                format::price(group.net_r, 1)
            ));
        }
        text
    }

    /// The longest run of broken trades and how many runs there were.
    pub fn streak_sentence(&self) -> String {
        match self.streaks.first() {
            None => "no two trades in a row broke a rule".to_owned(),
            Some(longest) => format!(
                "your longest run of trades in a row that broke a rule was {}; there {} {} run{} of two or more",
                longest.ids.len(),
                if self.streaks.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                self.streaks.len(),
                if self.streaks.len() == 1 { "" } else { "s" }
            ),
        }
    }

    /// The hour with the highest break rate among hours with `min` trades or more.
    pub fn worst_hour(&self, min: usize) -> Option<(usize, &Group)> {
        worst(self.by_hour.iter().enumerate(), min)
    }

    /// The weekday (0 = Monday) with the highest break rate among days with
    /// `min` trades or more.
    pub fn worst_weekday(&self, min: usize) -> Option<(usize, &Group)> {
        worst(self.by_weekday.iter().enumerate(), min)
    }
}

fn worst<'a>(
    groups: impl Iterator<Item = (usize, &'a Group)>,
    min: usize,
) -> Option<(usize, &'a Group)> {
    groups
        .filter(|(_, g)| g.trades() >= min.max(1))
        .max_by(|(ia, a), (ib, b)| a.rate().cmp(&b.rate()).then(ib.cmp(ia)))
}

/// The weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The tilt figures over `trades` (only closed trades count); hours and
/// weekdays are read with `local`, which turns a time into the zone the
/// trader reads times in; `window` is how soon after a loss counts as soon.
pub fn tilt<'a>(
    trades: impl IntoIterator<Item = (TradeId, &'a Trade, &'a TradeAnalysis)>,
    window: Duration,
    local: impl Fn(DateTime<FixedOffset>) -> DateTime<FixedOffset>,
) -> Tilt {
    let mut closed: Vec<(
        DateTime<FixedOffset>,
        DateTime<FixedOffset>,
        TradeId,
        &TradeAnalysis,
    )> = trades
        .into_iter()
        .filter_map(|(id, _, a)| Some((a.opened_at?, a.closed_at?, id, a)))
        .collect();
    closed.sort_by_key(|&(opened, _, id, _)| (opened, id));
    // Closes in time order, to find the last close before each opening.
    let mut closes: Vec<(DateTime<FixedOffset>, Decimal, TradeId)> = closed
        .iter()
        .map(|&(_, c, id, a)| (c, a.net_pnl, id))
        .collect();
    closes.sort_by_key(|&(at, _, id)| (at, id));

    let mut tilt = Tilt {
        trades: closed.len(),
        window_minutes: window.num_minutes(),
        ..Tilt::default()
    };
    let mut run: Vec<TradeId> = Vec::new();
    let mut streaks = Vec::new();
    for &(opened, _, id, analysis) in &closed {
        // The last trade to close at or before this one opened.
        // (A trade closed at the instant it opened is not its own "before".)
        let before = closes.partition_point(|&(at, _, _)| at <= opened);
        let earlier = || closes[..before].iter().rev().filter(|c| c.2 != id);
        if let Some(&(_, net, _)) = earlier().next() {
            if net < Decimal::ZERO {
                tilt.after_loss.push(id, analysis);
            } else if net > Decimal::ZERO {
                tilt.after_win.push(id, analysis);
            }
            // Any loss closed within the window before this opening.
            let window_start = opened - window;
            let soon = earlier()
                .take_while(|c| c.0 >= window_start)
                .any(|c| c.1 < Decimal::ZERO);
            if soon {
                tilt.soon_after_loss.push(id, analysis);
            }
        }
        let local_open = local(opened);
        tilt.by_hour[local_open.hour() as usize].push(id, analysis);
        tilt.by_weekday[local_open.weekday().num_days_from_monday() as usize].push(id, analysis);
        if analysis.violations.is_empty() {
            if run.len() >= 2 {
                streaks.push(Streak {
                    ids: std::mem::take(&mut run),
                });
            }
            run.clear();
        } else {
            run.push(id);
        }
    }
    if run.len() >= 2 {
        streaks.push(Streak { ids: run });
    }
    // Longest first; `sort_by_key` is stable, so earlier runs stay first among equals.
    streaks.sort_by_key(|s| std::cmp::Reverse(s.ids.len()));
    tilt.streaks = streaks;
    tilt
}

/// The weekday of `day` as [`Tilt::by_weekday`] indexes it.
pub fn weekday_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}
