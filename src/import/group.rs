//! From fills to trades: pure booking, with its results and its warnings as values.
//!
//! [`group`] walks the fills of each account and instrument in time order and
//! cuts them into trades from flat to flat:
//!
//! - fills of one order at one instant become one tranche (quantities and fees
//!   summed, the price the quantity-weighted average; when that average is not
//!   an exact decimal the fills stay separate events, so P&L stays exact);
//! - a tranche that takes the position through zero is split into the exit that
//!   closes the trade and the entry that opens the next one; its fee is split
//!   pro rata, rounded to the fee's own decimals with the remainder on the
//!   opening part, so the two parts add up to the fee exactly;
//! - the multiplier is the user's (by symbol, then by futures root), else the
//!   file's, else 100 for options and the built-in table for futures, else 1;
//! - a stop order becomes a stop event in the trade of the same account and
//!   symbol whose span contains it; a stop up to [`GroupOptions::stop_lead`]
//!   before a trade's first entry (and after the previous trade ended) is that
//!   trade's initial stop. A stop order whose side is known must protect the
//!   trade: a sell stop for a long, a buy stop for a short.
//!
//! Fills of an account and symbol whose trade in the journal is still open
//! ([`GroupOptions::open_trades`]) continue that trade: its details, tags,
//! notes and events stay, the new events are added after them. Fills before
//! where that trade begins (those of a trade deleted since, imported again)
//! make trades of their own. A fill split by a flip whose one trade the
//! journal holds is booked for its other part only ([`GroupOptions::split`]).
//!
//! Every fill is keyed ([`FillKey`]) by the broker's execution id, or by a
//! fingerprint of its content (FNV-1a 64 of account, symbol, instant, side,
//! quantity, price and order id, plus an occurrence counter for identical rows),
//! so that a re-import can recognise fills it has seen.
//!
//! A large file is grouped on every core: the runs of one account and
//! instrument are booked in parts side by side, and the parts' trades put
//! back in order (see `parallel.rs`); the result is the one a single
//! part gives.
//!
//! An import does not hold its trades: [`outline`] books every run once to
//! count the trades, collect the warnings and put the trades in order,
//! keeping for each trade only the number of its run; [`produce`] books the
//! runs again side by side, one trade at a time (a run's trades come in the
//! order they are ordered in), and hands them over in that order as they
//! are written. A run with stop orders is booked whole when it is first
//! needed, as a stop may belong to any of its trades; a file whose trades
//! take their rates from each other's broker profits is grouped whole.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, FixedOffset};
use rust_decimal::Decimal;

use super::fills::{FillStore, NameId};
use super::instrument::{default_multiplier, user_multiplier};
use super::{Fill, FillSide, StopOrder, Warning};
use crate::domain::{DEFAULT_ACCOUNT, DEFAULT_CURRENCY, Event, EventKind, Side, Trade, trim};

pub use crate::domain::imported::{FillKey, FillNames, ImportedTrade, Source, SplitPart};

/// How fills are grouped.
#[derive(Debug, Clone)]
pub struct GroupOptions {
    /// Multipliers the user set, by symbol or futures root (upper case matches).
    pub multipliers: HashMap<String, Decimal>,
    /// How long before a trade's first entry a stop order still counts as its
    /// initial stop.
    pub stop_lead: Duration,
    /// Trades already in the journal whose positions are still open: new fills
    /// of the same account and symbol continue them (see [`ImportedTrade::continues`]).
    pub open_trades: Vec<Trade>,
    /// For each of `open_trades`, the fills it holds of those grouped (or
    /// none): the fills before the first of them (or, when it holds none,
    /// before its first entry) do not continue it, but make trades of their
    /// own (those of a trade that was deleted, brought back).
    pub open_fills: Vec<Vec<usize>>,
    /// Fills split by a flip of which only one part is to be booked (the
    /// journal holds the trade of the other), in the order of the fills.
    pub split: Vec<(usize, SplitPart)>,
    /// Whether the fills' file records every stop order: when not, a trade's
    /// stops are known only if a stop lies at or before its initial entry
    /// (see [`super::Parsed::stops_recorded`]).
    pub stops_recorded: bool,
    /// Price currencies by symbol, for trades whose rate cannot be found
    /// (see [`super::Parsed::price_currencies`]).
    pub price_currencies: std::collections::BTreeMap<String, String>,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            multipliers: HashMap::new(),
            stop_lead: Duration::minutes(5),
            open_trades: Vec::new(),
            open_fills: Vec::new(),
            split: Vec::new(),
            stops_recorded: true,
            price_currencies: std::collections::BTreeMap::new(),
        }
    }
}

/// FNV-1a 64 (the `fnv` crate): fast on the short keys of one file (which is
/// not an adversary), and the same on every run and in every version, as the
/// fill fingerprints journals hold require.
pub use fnv::FnvHasher;

/// A hash map for the short keys of one file (which is not an adversary).
pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FnvHasher>>;

fn fnv1a(bytes: &[u8]) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = FnvHasher::default();
    hasher.write(bytes);
    hasher.finish()
}

/// The key of each fill: `x:<execution id>`, or `f:<fingerprint>:<n>` where
/// the fingerprint is FNV-1a 64 of `account|symbol|<unix seconds>.<nanoseconds>|
/// side|qty|price|order id` (numbers normalized) in hexadecimal, and `n`
/// counts the fills of the file with the same content so far.
pub fn fill_keys<F: AsFills + ?Sized>(fills: &F) -> Vec<FillKey> {
    let fills = fills.as_store();
    let fingerprints = fingerprints(&fills);
    (0..fills.len())
        .map(|i| key_of(&fills, i, fingerprint(&fingerprints, i)))
        .collect()
}

/// Fills given to grouping: a [`FillStore`], or fills whole (which are
/// compacted first).
pub trait AsFills {
    /// The fills as a store.
    fn as_store(&self) -> std::borrow::Cow<'_, FillStore>;
}

impl AsFills for FillStore {
    fn as_store(&self) -> std::borrow::Cow<'_, FillStore> {
        std::borrow::Cow::Borrowed(self)
    }
}

impl AsFills for [Fill] {
    fn as_store(&self) -> std::borrow::Cow<'_, FillStore> {
        std::borrow::Cow::Owned(FillStore::from(self))
    }
}

impl<const N: usize> AsFills for [Fill; N] {
    fn as_store(&self) -> std::borrow::Cow<'_, FillStore> {
        std::borrow::Cow::Owned(FillStore::from(&self[..]))
    }
}

impl AsFills for Vec<Fill> {
    fn as_store(&self) -> std::borrow::Cow<'_, FillStore> {
        std::borrow::Cow::Owned(FillStore::from(&self[..]))
    }
}

/// The execution id of a fill, when it has one.
fn execution_id(fills: &FillStore, i: usize) -> Option<&str> {
    fills.exec_id(i).map(trim).filter(|id| !id.is_empty())
}

/// For each fill without an execution id, its fingerprint and how many
/// fills of the file up to it have the same (see [`fill_keys`]); `(0, 0)`
/// for the others.
/// Fill `i`'s fingerprint, of those [`fingerprints`] made.
fn fingerprint(fingerprints: &[(u64, u32)], i: usize) -> (u64, u32) {
    fingerprints.get(i).copied().unwrap_or((0, 0))
}

/// Empty when every fill has an execution id (see [`fingerprint`]).
fn fingerprints(fills: &FillStore) -> Vec<(u64, u32)> {
    use std::fmt::Write as _;
    if (0..fills.len()).all(|i| execution_id(fills, i).is_some()) {
        return Vec::new();
    }
    let mut seen: FastMap<u64, u32> = FastMap::default();
    let mut text = String::with_capacity(128);
    (0..fills.len())
        .map(|i| {
            if execution_id(fills, i).is_some() {
                return (0, 0);
            }
            text.clear();
            let at = fills.at(i);
            // Writing to a String cannot fail.
            let _ = write!(
                text,
                "{}|{}|{}.{:09}|{}|{}|{}|{}",
                fills.account(i),
                fills.symbol(i),
                at.timestamp(),
                at.timestamp_subsec_nanos(),
                fills.side(i).as_str(),
                fills.qty(i).normalize(),
                fills.price(i).normalize(),
                fills.order_id(i).unwrap_or("")
            );
            let hash = fnv1a(text.as_bytes());
            let n = seen.entry(hash).or_insert(0);
            *n += 1;
            (hash, *n)
        })
        .collect()
}

/// The key of a fill, given its fingerprint (see [`fingerprints`]).
fn key_of(fills: &FillStore, i: usize, (hash, n): (u64, u32)) -> FillKey {
    match execution_id(fills, i) {
        Some(id) => {
            let mut key = String::with_capacity(id.len() + 2);
            key.push_str("x:");
            key.push_str(id);
            FillKey(key)
        }
        None => {
            let mut key = String::with_capacity(2 + 16 + 1 + 10);
            push_fingerprint_key(&mut key, hash, n);
            FillKey(key)
        }
    }
}

/// Appends the key of a fill without an execution id, given its
/// fingerprint: `f:`, the hash in 16 hexadecimal digits, `:` and the
/// fill's number among those of that hash (as `format!("f:{hash:016x}:{n}")`
/// writes it, without the formatting machinery: a key is made for every
/// fill).
fn push_fingerprint_key(key: &mut String, hash: u64, n: u32) {
    key.push_str("f:");
    for shift in (0..16).rev() {
        let digit = ((hash >> (shift * 4)) & 0xF) as u32;
        // A digit below 16 always has a character in base 16.
        key.push(char::from_digit(digit, 16).unwrap_or('0'));
    }
    key.push(':');
    key.push_str(itoa::Buffer::new().format(n));
}

/// The keys of a file's fills, made as they are needed (see [`fill_keys`]),
/// with what the journal is asked about each fill (see [`FillNames`]).
pub struct FileKeys<'a> {
    fills: &'a FillStore,
    /// Each fill's fingerprint, when some fill has no execution id.
    fingerprints: Vec<(u64, u32)>,
    /// For each name of the store, the account it is recorded under (a
    /// blank account is the default one).
    accounts: Vec<&'a str>,
}

impl<'a> FileKeys<'a> {
    /// The keys of `fills`.
    pub fn new(fills: &'a FillStore) -> Self {
        let accounts = (0..fills.name_count() as NameId)
            .map(|id| {
                let account = fills.name(id).trim();
                if account.is_empty() {
                    DEFAULT_ACCOUNT
                } else {
                    account
                }
            })
            .collect();
        FileKeys {
            fills,
            fingerprints: fingerprints(fills),
            accounts,
        }
    }

    /// The key of fill `i`.
    pub fn key_of(&self, i: usize) -> FillKey {
        key_of(self.fills, i, fingerprint(&self.fingerprints, i))
    }
}

impl FillNames for FileKeys<'_> {
    fn count(&self) -> usize {
        self.fills.len()
    }

    fn account(&self, i: usize) -> &str {
        self.accounts[self.fills.account_id(i) as usize]
    }

    fn symbol(&self, i: usize) -> &str {
        trim(self.fills.symbol(i))
    }

    fn key(&self, i: usize, key: &mut String) {
        key.clear();
        match execution_id(self.fills, i) {
            Some(id) => {
                key.push_str("x:");
                key.push_str(id);
            }
            None => {
                let (hash, n) = fingerprint(&self.fingerprints, i);
                push_fingerprint_key(key, hash, n);
            }
        }
    }
}

/// The keys of the fills being grouped: given by the caller, or made from
/// the fills as they are needed.
enum Keys {
    /// One key per fill.
    Given(Vec<FillKey>),
    /// Each fill's fingerprint (see [`fingerprints`]).
    Made(Vec<(u64, u32)>),
}

impl Keys {
    /// The execution id the key of fill `i` holds, if it holds one.
    fn execution_id<'k>(&'k self, fills: &'k FillStore, i: usize) -> Option<&'k str> {
        match self {
            Keys::Given(keys) => keys[i].0.strip_prefix("x:"),
            Keys::Made(_) => execution_id(fills, i),
        }
    }

    /// The key of fill `i`.
    fn key(&self, fills: &FillStore, i: usize) -> FillKey {
        match self {
            Keys::Given(keys) => keys[i].clone(),
            Keys::Made(fingerprints) => key_of(fills, i, fingerprint(fingerprints, i)),
        }
    }
}

/// Fills of one order at one instant (or one fill).
struct Tranche {
    at: DateTime<FixedOffset>,
    side: FillSide,
    qty: Decimal,
    price: Decimal,
    fee: Decimal,
    /// The positions in the run of the fills it is made of.
    fills: std::ops::Range<usize>,
    /// When only a part of it is to be booked (its fills were split by a
    /// flip, and the journal holds the trade of the other part), that part.
    part: Option<SplitPart>,
}

/// The part of fill `fill` to book, when only one is (see
/// [`GroupOptions::split`]).
fn part_of(split: &[(usize, SplitPart)], fill: usize) -> Option<SplitPart> {
    if split.is_empty() {
        return None;
    }
    split
        .binary_search_by_key(&fill, |&(f, _)| f)
        .ok()
        .map(|i| split[i].1)
}

/// A trade while it is being built.
struct Building {
    side: Side,
    open_qty: Decimal,
    events: Vec<Event>,
    lines: Vec<usize>,
    /// (event, fill index, whether it is the opening part of a fill split by
    /// a flip) for every fill of every entry and exit.
    sources: Vec<(usize, usize, bool)>,
    first_at: DateTime<FixedOffset>,
    closed_at: Option<DateTime<FixedOffset>>,
    /// The open trade of the journal this continues.
    continues: Option<usize>,
}

impl Building {
    fn new(side: Side, at: DateTime<FixedOffset>) -> Self {
        Building {
            side,
            open_qty: Decimal::ZERO,
            events: Vec::with_capacity(4),
            lines: Vec::with_capacity(4),
            sources: Vec::with_capacity(4),
            first_at: at,
            closed_at: None,
            continues: None,
        }
    }

    /// A trade of the journal whose position is open, to be continued.
    fn resume(index: usize, trade: &Trade) -> Self {
        let open_qty = trade
            .events
            .iter()
            .map(|e| match e.kind {
                EventKind::Entry(f) => f.qty,
                EventKind::Exit(f) => -f.qty,
                _ => Decimal::ZERO,
            })
            .sum();
        Building {
            side: trade.side,
            open_qty,
            events: trade.events.clone(),
            lines: vec![0; trade.events.len()],
            sources: Vec::new(),
            first_at: trade.opened_at().unwrap_or_default(),
            closed_at: None,
            continues: Some(index),
        }
    }

    /// Adds an event made of `fills`, which are the opening parts of fills
    /// split by a flip when `opening`.
    fn push(&mut self, event: Event, fills: &[usize], all: &FillStore, opening: bool) {
        let index = self.events.len();
        self.events.push(event);
        self.lines
            .push(fills.first().map(|&i| all.line(i)).unwrap_or(0));
        self.sources
            .extend(fills.iter().map(|&f| (index, f, opening)));
    }

    fn insert_stop(&mut self, pos: usize, event: Event, line: usize) {
        self.events.insert(pos, event);
        self.lines.insert(pos, line);
        for source in &mut self.sources {
            if source.0 >= pos {
                source.0 += 1;
            }
        }
    }
}

fn side_of(fill_side: FillSide) -> Side {
    match fill_side {
        FillSide::Buy => Side::Long,
        FillSide::Sell => Side::Short,
    }
}

/// The tranches of a run, one after the other: consecutive fills of one
/// order at one instant are merged, or kept apart when the average price
/// would not be exact.
struct Tranches<'a> {
    run: &'a [usize],
    fills: &'a FillStore,
    split: &'a [(usize, SplitPart)],
    /// The position in the run of the next fill.
    next: usize,
    /// Up to where the fills are tranches of their own (the rest of a group
    /// that could not be merged).
    apart_until: usize,
}

impl<'a> Tranches<'a> {
    fn new(run: &'a [usize], fills: &'a FillStore, split: &'a [(usize, SplitPart)]) -> Self {
        Tranches {
            run,
            fills,
            split,
            next: 0,
            apart_until: 0,
        }
    }

    fn single(&self, k: usize) -> Tranche {
        let (fills, f) = (self.fills, self.run[k]);
        Tranche {
            at: fills.at(f),
            side: fills.side(f),
            qty: fills.qty(f),
            price: fills.price(f),
            fee: fills.fee(f),
            fills: k..k + 1,
            part: part_of(self.split, f),
        }
    }
}

impl Iterator for Tranches<'_> {
    type Item = Tranche;

    fn next(&mut self) -> Option<Tranche> {
        let (run, fills, i) = (self.run, self.fills, self.next);
        if i >= run.len() {
            return None;
        }
        if i < self.apart_until {
            self.next = i + 1;
            return Some(self.single(i));
        }
        let first = run[i];
        let part = part_of(self.split, first);
        let mut j = i + 1;
        if fills.order_id(first).is_some_and(|o| !o.is_empty()) {
            while j < run.len() {
                let next = run[j];
                if fills.at(next) == fills.at(first)
                    && fills.side(next) == fills.side(first)
                    && fills.order_id(next) == fills.order_id(first)
                    && part_of(self.split, next) == part
                {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        let merged = if j - i > 1 {
            merge(&run[i..j], fills)
        } else {
            None
        };
        match merged {
            Some(t) => {
                self.next = j;
                Some(Tranche {
                    fills: i..j,
                    part,
                    ..t
                })
            }
            None => {
                self.apart_until = j;
                self.next = i + 1;
                Some(self.single(i))
            }
        }
    }
}

fn merge(group: &[usize], fills: &FillStore) -> Option<Tranche> {
    let mut qty = Decimal::ZERO;
    let mut notional = Decimal::ZERO;
    let mut fee = Decimal::ZERO;
    for &k in group {
        qty = qty.checked_add(fills.qty(k))?;
        notional = notional.checked_add(fills.qty(k).checked_mul(fills.price(k))?)?;
        fee = fee.checked_add(fills.fee(k))?;
    }
    let price = notional.checked_div(qty)?.normalize();
    // A quotient that fills Decimal's precision was rounded, even when
    // multiplying back happens to round to the same notional.
    if price.scale() >= 20 || price.checked_mul(qty)? != notional {
        return None;
    }
    let first = group[0];
    Some(Tranche {
        at: fills.at(first),
        side: fills.side(first),
        qty,
        price,
        fee,
        fills: 0..group.len(),
        part: None,
    })
}

/// Splits `fee` in the ratio `part / whole`, exactly: the first share is
/// rounded to the fee's decimals (at least cents), the second is the rest.
pub fn split_fee(fee: Decimal, part: Decimal, whole: Decimal) -> (Decimal, Decimal) {
    if whole.is_zero() {
        return (fee, Decimal::ZERO);
    }
    let dp = fee.scale().max(2);
    let first = fee
        .checked_mul(part)
        .and_then(|x| x.checked_div(whole))
        .map(|x| x.round_dp(dp))
        .unwrap_or(Decimal::ZERO)
        .clamp(fee.min(Decimal::ZERO), fee.max(Decimal::ZERO));
    (first, fee - first)
}

/// Books the trades of one account and symbol (and, on a hedging account,
/// one direction: `direction`), one at a time, in order. On a hedging
/// account a fill that would open the other way closes a position opened
/// before the file begins: it is left out, with a warning.
///
/// The journal's open trade of the account and symbol, if any, is
/// continued from the fill at `resume_at` on; the fills before it make
/// trades of their own.
struct RunBook<'a> {
    run: &'a [usize],
    fills: &'a FillStore,
    tranches: Tranches<'a>,
    direction: Option<Side>,
    current: Option<Building>,
    /// The journal's open trade, until the fills reach it.
    resume: Option<Building>,
    /// The position in the run of the first fill that continues `resume`.
    resume_at: usize,
    /// A tranche to book next: the rest of one that closed a trade, to
    /// open the next (the quantity and fee left, an opening part), or one
    /// put back when the journal's open trade took over.
    pending: Option<(Tranche, Decimal, Decimal, bool)>,
}

impl<'a> RunBook<'a> {
    fn new(
        run: &'a [usize],
        fills: &'a FillStore,
        split: &'a [(usize, SplitPart)],
        resume: Option<(Building, usize)>,
        direction: Option<Side>,
    ) -> Self {
        let (resume, resume_at) = match resume {
            Some((resume, at)) => (Some(resume), at),
            None => (None, 0),
        };
        RunBook {
            run,
            fills,
            tranches: Tranches::new(run, fills, split),
            direction,
            current: None,
            resume,
            resume_at,
            pending: None,
        }
    }

    /// The next trade, closed or (the last one) still open.
    fn next(&mut self, warnings: &mut Vec<Warning>) -> Option<Building> {
        let (run, fills) = (self.run, self.fills);
        loop {
            let (t, mut qty, mut fee, opening) = match self.pending.take() {
                Some(pending) => pending,
                None => match self.tranches.next() {
                    Some(t) => match t.part {
                        // The closing part is in a trade the journal holds:
                        // the rest opens the next trade.
                        Some(SplitPart::Opening { qty, fee }) => {
                            let (qty, fee) = (t.qty - qty, t.fee - fee);
                            if qty <= Decimal::ZERO {
                                continue;
                            }
                            (t, qty, fee, true)
                        }
                        _ => {
                            let (qty, fee) = (t.qty, t.fee);
                            (t, qty, fee, false)
                        }
                    },
                    None => return self.current.take(),
                },
            };
            let closing_only = matches!(t.part, Some(SplitPart::Closing));
            // From its first fill on, the journal's open trade goes on; a
            // trade still open before it is handed over as it is. (The
            // closing part of the fill that opened it closes the trade
            // before it.)
            if !closing_only
                && t.fills.start >= self.resume_at
                && let Some(resume) = self.resume.take()
                && let Some(before) = self.current.replace(resume)
            {
                self.pending = Some((t, qty, fee, opening));
                return Some(before);
            }
            if self.current.is_none()
                && let Some(direction) = self.direction
                && side_of(t.side) != direction
            {
                let first = run[t.fills.start];
                warnings.push(Warning::new(
                    Some(fills.line(first)),
                    None,
                    format!(
                        "the {} of {} {} closes a {} position opened before the file begins; \
                         it is left out",
                        t.side.as_str(),
                        crate::analysis::format::num(qty),
                        fills.symbol(first),
                        direction
                    ),
                ));
                continue;
            }
            let sources = &run[t.fills.clone()];
            // The trade being built is changed where it is: moved out and
            // back for each fill, it would be copied twice a fill.
            if closing_only {
                // The fill's opening part is the journal's: it closes what
                // is open before it, and no more.
                let Some(b) = self.current.as_mut() else {
                    continue;
                };
                if side_of(t.side) == b.side {
                    continue;
                }
                let close_qty = qty.min(b.open_qty);
                let (close_fee, _) = split_fee(fee, close_qty, qty);
                b.push(
                    Event::exit(t.at, close_qty, t.price, close_fee),
                    sources,
                    fills,
                    false,
                );
                b.open_qty -= close_qty;
                if b.open_qty.is_zero() {
                    b.closed_at = Some(t.at);
                    return self.current.take();
                }
                continue;
            }
            let Some(b) = self.current.as_mut() else {
                let b = self.current.insert(Building::new(side_of(t.side), t.at));
                b.open_qty = qty;
                b.push(
                    Event::entry(t.at, qty, t.price, fee),
                    sources,
                    fills,
                    opening,
                );
                continue;
            };
            if side_of(t.side) == b.side {
                b.open_qty += qty;
                b.push(
                    Event::entry(t.at, qty, t.price, fee),
                    sources,
                    fills,
                    opening,
                );
                continue;
            }
            if qty < b.open_qty {
                b.open_qty -= qty;
                b.push(Event::exit(t.at, qty, t.price, fee), sources, fills, false);
                continue;
            }
            // Closes the position, and maybe opens the other way.
            let close_qty = b.open_qty;
            let (close_fee, rest_fee) = split_fee(fee, close_qty, qty);
            b.push(
                Event::exit(t.at, close_qty, t.price, close_fee),
                sources,
                fills,
                false,
            );
            b.open_qty = Decimal::ZERO;
            b.closed_at = Some(t.at);
            qty -= close_qty;
            fee = rest_fee;
            if !qty.is_zero() {
                self.pending = Some((t, qty, fee, true));
            }
            return self.current.take();
        }
    }
}

/// Whether a stop order on `side` protects a trade of direction `trade`.
fn protects(stop: &StopOrder, trade: Side) -> bool {
    match stop.side {
        None => true,
        Some(FillSide::Sell) => trade == Side::Long,
        Some(FillSide::Buy) => trade == Side::Short,
    }
}

/// Puts a stop into the trade that it belongs to; returns whether it found one.
fn attach(stop: &StopOrder, trades: &mut [Building], lead: Duration) -> bool {
    if stop.price <= Decimal::ZERO {
        return false;
    }
    let contains = |b: &Building| b.first_at <= stop.at && b.closed_at.is_none_or(|c| stop.at <= c);
    // A trade starting at the stop's instant wins over one ending then.
    let index = trades
        .iter()
        .position(|b| b.first_at == stop.at && protects(stop, b.side))
        .or_else(|| {
            trades
                .iter()
                .position(|b| contains(b) && protects(stop, b.side))
        })
        .or_else(|| {
            trades.iter().enumerate().position(|(i, b)| {
                b.first_at > stop.at
                    && b.first_at - stop.at <= lead
                    && protects(stop, b.side)
                    && (i == 0 || trades[i - 1].closed_at.is_some_and(|c| c <= stop.at))
            })
        });
    let Some(index) = index else {
        return false;
    };
    let b = &mut trades[index];
    let duplicate = b
        .events
        .iter()
        .any(|e| e.at == stop.at && e.kind == EventKind::Stop { price: stop.price });
    if duplicate {
        return true;
    }
    // After every event up to its instant, but never after the closing exit.
    let mut pos = b.events.iter().take_while(|e| e.at <= stop.at).count();
    if b.closed_at.is_some() && pos == b.events.len() {
        pos = b
            .events
            .iter()
            .rposition(|e| e.kind.is_fill())
            .unwrap_or(b.events.len());
    }
    b.insert_stop(pos, Event::stop(stop.at, stop.price), stop.line);
    true
}

fn multiplier_for(fills: &FillStore, i: usize, options: &GroupOptions) -> Decimal {
    let symbol = trim(fills.symbol(i));
    if let Some(m) = user_multiplier(symbol, &options.multipliers) {
        return m;
    }
    match fills.multiplier(i) {
        Some(m) if m > Decimal::ZERO => m,
        _ => default_multiplier(fills.kind(i), symbol),
    }
}

/// The account and symbol a fill's trade gets (a blank account is the default one).
fn trade_key(fills: &FillStore, i: usize) -> (String, String) {
    (
        account_of(fills, i).to_owned(),
        trim(fills.symbol(i)).to_owned(),
    )
}

/// The account of the trade fill `i` is of: the default one for a blank.
fn account_of(fills: &FillStore, i: usize) -> &str {
    let account = trim(fills.account(i));
    if account.is_empty() {
        DEFAULT_ACCOUNT
    } else {
        account
    }
}

/// The fills whose execution id an earlier fill of the file has, in order.
/// The first fill of each id is kept by its position in a hash table (four
/// bytes a fill, where a set of the ids would take several times as many);
/// a later fill whose hash meets one there is compared with it whole.
fn repeated_executions(fills: &FillStore, keys: &Keys, skip: &[bool]) -> Vec<usize> {
    let mut first_of_id: hashbrown::HashTable<u32> =
        hashbrown::HashTable::with_capacity(fills.len());
    let mut repeats = Vec::new();
    for i in (0..fills.len()).filter(|&i| !left_out(skip, i)) {
        let Some(id) = keys.execution_id(fills, i) else {
            continue;
        };
        let hash = fnv1a(id.as_bytes());
        let same_id = |&first: &u32| keys.execution_id(fills, first as usize) == Some(id);
        let hash_of = |&first: &u32| {
            keys.execution_id(fills, first as usize)
                .map_or(0, |id| fnv1a(id.as_bytes()))
        };
        match first_of_id.entry(hash, same_id, hash_of) {
            hashbrown::hash_table::Entry::Occupied(_) => repeats.push(i),
            // A store holds fewer than 2^32 fills (each takes more than a
            // byte of a file held in memory).
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(i as u32);
            }
        }
    }
    repeats
}

/// Whether fill `i` is left out of grouping: `skip` says so for each fill
/// (the fills a journal has already), or is empty when none is.
fn left_out(skip: &[bool], i: usize) -> bool {
    skip.get(i).copied().unwrap_or(false)
}

/// An account, a symbol (by their ids in the store) and a position direction.
type Instrument = (u32, u32, Option<Side>);

/// Numbers each account and instrument in the order they first appear
/// among the fills not left out (`skip`), which get no number of their own.
fn instrument_numbers(fills: &FillStore, skip: &[bool]) -> (Vec<u32>, usize) {
    let mut instruments: FastMap<Instrument, u32> = FastMap::default();
    let mut last: Option<(Instrument, u32)> = None;
    let numbers = (0..fills.len())
        .map(|i| {
            if left_out(skip, i) {
                return u32::MAX;
            }
            let key = (fills.account_id(i), fills.symbol_id(i), fills.position(i));
            if let Some((seen, number)) = last
                && seen == key
            {
                return number;
            }
            let next = instruments.len() as u32;
            let number = *instruments.entry(key).or_insert(next);
            last = Some((key, number));
            number
        })
        .collect();
    (numbers, instruments.len())
}

/// What booking the runs of one account and instrument needs.
struct Booking<'a> {
    fills: &'a FillStore,
    /// The fills in the order they are booked: by account and instrument,
    /// then by time.
    order: &'a [usize],
    keys: &'a Keys,
    options: &'a GroupOptions,
    open_by_key: &'a HashMap<(String, String, Side), usize>,
    /// Where each open trade begins among the fills (see [`Prepared::open_starts`]).
    open_starts: &'a [Option<(DateTime<FixedOffset>, usize)>],
    /// Whether the fills are booked in the reverse of the file's order.
    reversed: bool,
    /// Whether the file gives the broker's profit on its fills: its money may
    /// be in another currency than its prices, so every trade wants a rate.
    priced_apart: bool,
    stops_by_key: &'a HashMap<(&'a str, &'a str), Vec<&'a StopOrder>>,
    /// Whether the trades name the fills they are of ([`ImportedTrade::sources`]):
    /// an outline, which only counts them, leaves those out.
    with_sources: bool,
}

/// The trades booked from some runs.
#[derive(Default)]
struct Booked<'a> {
    trades: Vec<ImportedTrade>,
    /// For each trade, where its rate comes from.
    rates: Vec<RateFound>,
    warnings: Vec<Warning>,
    /// The accounts and symbols whose stop orders were looked at.
    used_stops: Vec<(&'a str, &'a str)>,
}

impl<'a> Booking<'a> {
    /// The booking of run `run` (a range of `order`), with the open trade of
    /// the journal it continues, if any.
    fn start(&self, run: &std::ops::Range<usize>) -> RunBook<'a> {
        let (fills, options) = (self.fills, self.options);
        let run = &self.order[run.clone()];
        let first = run[0];
        let direction = fills.position(first);
        let resume = if self.open_by_key.is_empty() {
            None
        } else {
            let (account, symbol) = trade_key(fills, first);
            let sides = match direction {
                Some(side) => vec![side],
                None => Side::ALL.to_vec(),
            };
            sides
                .into_iter()
                .find_map(|side| {
                    self.open_by_key
                        .get(&(account.clone(), symbol.clone(), side))
                })
                .map(|&i| {
                    let trade = &options.open_trades[i];
                    // The fills before the open trade's first (by time,
                    // then as they are booked), or before its first entry
                    // when the file holds none of its fills, are not its.
                    let before = |x: usize| match self.open_starts.get(i).copied().flatten() {
                        Some(start) => (fills.at(x), self.rank(x)) < start,
                        None => trade.opened_at().is_some_and(|opened| fills.at(x) < opened),
                    };
                    let at = run.iter().position(|&x| !before(x)).unwrap_or(run.len());
                    (Building::resume(i, trade), at)
                })
        };
        RunBook::new(run, fills, &options.split, resume, direction)
    }

    /// Fill `i`'s place among fills of the same instant, as they are booked.
    fn rank(&self, i: usize) -> usize {
        if self.reversed { usize::MAX - i } else { i }
    }

    /// The stop orders of a run's account and symbol, if it has any.
    fn stops_of(&self, book: &RunBook<'_>) -> Option<((&'a str, &'a str), &'a [&'a StopOrder])> {
        let first = book.run[0];
        let key = (self.fills.account(first), self.fills.symbol(first));
        self.stops_by_key
            .get_key_value(&key)
            .map(|(key, list)| (*key, list.as_slice()))
    }

    /// Attaches the stop orders `list` to the trades of a run.
    fn attach_stops(
        &self,
        list: &[&StopOrder],
        direction: Option<Side>,
        built: &mut [Building],
        warnings: &mut Vec<Warning>,
    ) {
        // On a hedging account, the stops of this direction's positions.
        let ours = list
            .iter()
            .filter(|stop| direction.is_none_or(|side| protects(stop, side)));
        for stop in ours {
            if !attach(stop, built, self.options.stop_lead) {
                warnings.push(Warning::new(
                    Some(stop.line),
                    None,
                    format!(
                        "the {} stop at {} ({}) is not within a trade of {}; it is not used",
                        stop.status.to_lowercase(),
                        stop.price,
                        stop.at.to_rfc3339(),
                        stop.symbol
                    ),
                ));
            }
        }
    }

    /// The trade a run's booking built, with where its rate comes from;
    /// `None`, with warnings, when it is not a valid trade.
    fn finish(
        &self,
        b: Building,
        run: &[usize],
        multiplier: Decimal,
        warnings: &mut Vec<Warning>,
    ) -> Option<(ImportedTrade, RateFound)> {
        let (fills, options) = (self.fills, self.options);
        let open = b.closed_at.is_none();
        let first_fill = b.sources.first().map_or(run[0], |s| s.1);
        let mut trade = match b.continues {
            // Details, tags, notes and hand-made events stay as they were.
            Some(i) => options.open_trades[i].clone(),
            None => {
                let mut trade = Trade::new(trim(fills.symbol(first_fill)), b.side);
                trade.multiplier = multiplier;
                let currency = trim(fills.currency(first_fill));
                if !currency.is_empty() {
                    trade.currency = currency.to_owned();
                } else {
                    trade.currency = DEFAULT_CURRENCY.to_owned();
                }
                trade.account = account_of(fills, first_fill).to_owned();
                trade
            }
        };
        trade.events = b.events;
        trade.stops_known = trade.has_initial_stop()
            || match b.continues {
                Some(i) => options.open_trades[i].stops_known,
                None => options.stops_recorded,
            };
        // The broker's profit on the trade's exits, which sets its rate;
        // a file that states profits says so on opening fills too (zero),
        // so that an open trade of it looks for a rate.
        let states_profit = b.sources.iter().any(|&(_, f, _)| fills.profit(f).is_some());
        let profit = b
            .sources
            .iter()
            .filter(|(event, _, _)| matches!(trade.events[*event].kind, EventKind::Exit(_)))
            .filter_map(|&(_, f, _)| fills.profit(f))
            .fold(
                states_profit.then_some(Decimal::ZERO),
                |sum: Option<Decimal>, p| Some(sum.unwrap_or_default().saturating_add(p)),
            );
        let rate = match profit {
            Some(profit) if b.continues.is_none() => {
                let rate = own_rate(&trade, profit);
                if let Some(rate) = rate {
                    trade.rate = rate;
                }
                if open || rate.is_none() {
                    RateFound::Wanted { own: rate }
                } else {
                    RateFound::Own
                }
            }
            Some(_) => RateFound::Wanted { own: None },
            // No exit yet, in a file that gives the broker's profit.
            None if self.priced_apart
                || options.price_currencies.contains_key(trade.symbol.as_str()) =>
            {
                RateFound::Wanted { own: None }
            }
            None => RateFound::NotNeeded,
        };
        if let Err(errors) = trade.validate() {
            for e in errors {
                let line = e
                    .event()
                    .and_then(|i| b.lines.get(i))
                    .or(b.lines.first())
                    .copied();
                warnings.push(Warning::new(
                    line,
                    Some(e.field().name()),
                    format!("a trade of {} is left out: {e}", trade.symbol),
                ));
            }
            return None;
        }
        let sources = if self.with_sources {
            b.sources
                .iter()
                .map(|&(event, f, opening)| Source {
                    event,
                    key: self.keys.key(fills, f),
                    line: fills.line(f),
                    opening,
                })
                .collect()
        } else {
            Vec::new()
        };
        let imported = ImportedTrade {
            sources,
            lines: b.lines,
            trade,
            open,
            continues: b.continues,
        };
        Some((imported, rate))
    }

    /// Books runs (ranges of `order`, each one account and instrument).
    fn book(&self, runs: &[std::ops::Range<usize>]) -> Booked<'a> {
        let mut booked = Booked::default();
        for run in runs {
            let mut book = self.start(run);
            let mut built = Vec::new();
            while let Some(b) = book.next(&mut booked.warnings) {
                built.push(b);
            }
            if let Some((key, list)) = self.stops_of(&book) {
                booked.used_stops.push(key);
                self.attach_stops(list, book.direction, &mut built, &mut booked.warnings);
            }
            let multiplier = multiplier_for(self.fills, book.run[0], self.options);
            for b in built {
                if let Some((trade, rate)) =
                    self.finish(b, book.run, multiplier, &mut booked.warnings)
                {
                    booked.rates.push(rate);
                    booked.trades.push(trade);
                }
            }
        }
        booked
    }
}

/// Where a trade's rate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateFound {
    /// Its fills carry no broker profit: prices and money are in one currency.
    NotNeeded,
    /// From its own closed positions' profit.
    Own,
    /// Open, continued, or with no price move to divide by: the latest rate
    /// of the same instrument in the file, else `own` (from the profit of
    /// the exits it has), else none.
    Wanted { own: Option<Decimal> },
}

/// The rate that turns a trade's gross P&L at rate 1 into the broker's
/// `profit` for it (RULES.md: `rate = Σ profit / Σ s*(p_close - p_open)*q*m`);
/// `None` when the trade has not moved.
fn own_rate(trade: &Trade, profit: Decimal) -> Option<Decimal> {
    let mut at_one = trade.clone();
    at_one.rate = Decimal::ONE;
    at_one.stops_known = false;
    let gross = crate::analysis::analyze_with(
        &at_one,
        &crate::analysis::RuleSettings::default(),
        crate::analysis::Messages::Skip,
    )
    .gross_pnl;
    if gross.is_zero() {
        return None;
    }
    let rate = profit.checked_div(gross)?.normalize();
    (rate > Decimal::ZERO).then_some(rate)
}

/// Gives the trades that want a rate the latest one of their instrument in
/// the file (by close), else their own, else none: the price currency, at 1.
fn settle_rates(
    trades: &mut [ImportedTrade],
    rates: &[RateFound],
    options: &GroupOptions,
    warnings: &mut Vec<Warning>,
) {
    let mut latest: HashMap<(&str, &str), (DateTime<FixedOffset>, Decimal)> = HashMap::new();
    for (t, rate) in trades.iter().zip(rates) {
        if *rate != RateFound::Own {
            continue;
        }
        let closed = t.trade.events.last().map(|e| e.at).unwrap_or_default();
        let key = (
            t.trade.account.as_str(),
            crate::import::instrument::base_symbol(&t.trade.symbol),
        );
        let entry = latest.entry(key).or_insert((closed, t.trade.rate));
        if closed >= entry.0 {
            *entry = (closed, t.trade.rate);
        }
    }
    let latest: HashMap<(String, String), Decimal> = latest
        .into_iter()
        .map(|((a, s), (_, r))| ((a.to_owned(), s.to_owned()), r))
        .collect();
    for (t, rate) in trades.iter_mut().zip(rates) {
        let RateFound::Wanted { own } = *rate else {
            continue;
        };
        let key = (
            t.trade.account.clone(),
            crate::import::instrument::base_symbol(&t.trade.symbol).to_owned(),
        );
        match latest.get(&key).copied().or(own) {
            Some(rate) => t.trade.rate = rate,
            None if t.continues.is_some() => {}
            None => {
                if let Some(currency) = options.price_currencies.get(t.trade.symbol.as_str()) {
                    t.trade.currency.clone_from(currency);
                }
                t.trade.rate = Decimal::ONE;
            }
        }
        if let Err(errors) = t.trade.validate() {
            // A rate beyond what the journal takes: the price currency, at 1.
            t.trade.rate = Decimal::ONE;
            let line = t.lines.first().copied();
            for e in errors {
                warnings.push(Warning::new(
                    line,
                    Some(e.field().name()),
                    format!(
                        "{}: {e}; its money is left in the price currency",
                        t.trade.symbol
                    ),
                ));
            }
        }
    }
}

/// Groups fills into trades and attaches stop orders. Returns the trades, in
/// the order of their first entry, and warnings for what could not be used.
pub fn group<F: AsFills + ?Sized>(
    fills: &F,
    stops: &[StopOrder],
    options: &GroupOptions,
) -> (Vec<ImportedTrade>, Vec<Warning>) {
    let fills = fills.as_store();
    let fills = &*fills;
    let parallel = super::parallel::worth_splitting(fills.len());
    group_in_parts(
        fills,
        Keys::Made(fingerprints(fills)),
        &[],
        stops,
        options,
        parallel,
    )
}

/// [`group`] with the fills' keys given: for grouping the new fills of a file
/// (those whose keys the journal does not know yet) under the keys they have
/// in the whole file. `keys` has one key per fill.
///
/// A large file's runs of one account and instrument are booked in parts,
/// side by side; the result is the same.
pub fn group_keyed<F: AsFills + ?Sized>(
    fills: &F,
    mut keys: Vec<FillKey>,
    stops: &[StopOrder],
    options: &GroupOptions,
) -> (Vec<ImportedTrade>, Vec<Warning>) {
    let fills = fills.as_store();
    let fills = &*fills;
    keys.resize(fills.len(), FillKey::default());
    let parallel = super::parallel::worth_splitting(fills.len());
    group_in_parts(fills, Keys::Given(keys), &[], stops, options, parallel)
}

/// The order the fills are booked in, cut into runs of one account and
/// instrument: the costly part of what booking needs, made once for the
/// preview and kept in its [`Outline`] for making the trades again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FillOrder {
    order: Vec<usize>,
    runs: Vec<std::ops::Range<usize>>,
    /// Whether the fills are booked in the reverse of the file's order.
    reversed: bool,
    /// Whether a fill booked gives the broker's profit (see
    /// [`Booking::priced_apart`]).
    priced_apart: bool,
}

/// What booking needs, made once from the fills: their [`FillOrder`], the
/// journal's open trades and the stop orders by account and symbol.
struct Prepared<'a> {
    fill_order: Cow<'a, FillOrder>,
    open_by_key: HashMap<(String, String, Side), usize>,
    /// For each open trade, the first of the fills it holds (see
    /// [`GroupOptions::open_fills`]), by time and then as the fills are
    /// booked: its instant and [`Booking::rank`].
    open_starts: Vec<Option<(DateTime<FixedOffset>, usize)>>,
    stops_by_key: HashMap<(&'a str, &'a str), Vec<&'a StopOrder>>,
}

impl FillOrder {
    /// Orders the fills and finds their runs; warns of repeated executions.
    /// The fills `skip` marks are left out, as if the store did not hold
    /// them (`skip` is empty when none is).
    fn new(
        fills: &FillStore,
        keys: &Keys,
        skip: &[bool],
        parallel: bool,
        warnings: &mut Vec<Warning>,
    ) -> Self {
        // Repeated executions (the same execution id twice) are dropped. They
        // are found (on a thread of their own, for a large file) while each
        // account and instrument gets a number, so that ordering the fills
        // compares numbers and times, not strings.
        let (repeats, (instrument, instruments)) = if parallel {
            rayon::join(
                || repeated_executions(fills, keys, skip),
                || instrument_numbers(fills, skip),
            )
        } else {
            (
                repeated_executions(fills, keys, skip),
                instrument_numbers(fills, skip),
            )
        };
        let mut dropped = if skip.is_empty() {
            vec![false; fills.len()]
        } else {
            skip.to_vec()
        };
        dropped.resize(fills.len(), false);
        for i in repeats {
            dropped[i] = true;
            warnings.push(Warning::new(
                Some(fills.line(i)),
                None,
                format!(
                    "execution {} appears again; the repeat is ignored",
                    keys.execution_id(fills, i).unwrap_or_default()
                ),
            ));
        }
        // One pass over the fills kept, in the file's order, finds whether
        // the file is listed newest first, how many fills each account and
        // instrument has, and whether each one's fills are in time order
        // read forwards or backwards (a run is sorted only where not).
        let kept = |i: &usize| !dropped[*i];
        let mut counts = vec![0usize; instruments];
        let mut last_at: Vec<Option<DateTime<FixedOffset>>> = vec![None; instruments];
        let (mut rising, mut falling) = (vec![true; instruments], vec![true; instruments]);
        let (mut up, mut down) = (0usize, 0usize);
        let mut previous = None;
        for i in (0..fills.len()).filter(kept) {
            let at = fills.at(i);
            match previous.map(|before: DateTime<FixedOffset>| before.cmp(&at)) {
                Some(std::cmp::Ordering::Less) => up += 1,
                Some(std::cmp::Ordering::Greater) => down += 1,
                _ => {}
            }
            previous = Some(at);
            let n = instrument[i] as usize;
            if let Some(before) = last_at[n] {
                rising[n] &= before <= at;
                falling[n] &= before >= at;
            }
            last_at[n] = Some(at);
            counts[n] += 1;
        }
        // Files listed newest first: put them oldest first, so that fills at the
        // same instant keep their real order.
        let reversed = down > up;
        // By account and instrument (in the order they first appear), keeping
        // the order of the fills of each; then by time, where a file is not in
        // time order already. A stable order: fills at one instant keep theirs.
        let mut starts = vec![0usize; instruments + 1];
        for (n, count) in counts.iter().enumerate() {
            starts[n + 1] = starts[n] + count;
        }
        let mut order = vec![0usize; starts[instruments]];
        let mut next = starts.clone();
        let mut place = |i: usize| {
            let slot = &mut next[instrument[i] as usize];
            order[*slot] = i;
            *slot += 1;
        };
        if reversed {
            (0..fills.len()).rev().filter(kept).for_each(&mut place);
        } else {
            (0..fills.len()).filter(kept).for_each(&mut place);
        }
        for (n, range) in starts.windows(2).enumerate() {
            let in_time_order = if reversed { falling[n] } else { rising[n] };
            if !in_time_order {
                order[range[0]..range[1]].sort_by_key(|&i| fills.at(i));
            }
        }

        // The runs of one account and instrument, booked in parts that run side
        // by side; the parts are consecutive runs, so their results put end to
        // end are in the order the runs come.
        let runs: Vec<std::ops::Range<usize>> = starts
            .windows(2)
            .filter(|range| range[0] < range[1])
            .map(|range| range[0]..range[1])
            .collect();
        let priced_apart = if skip.is_empty() {
            fills.any_profit()
        } else {
            fills.any_profit()
                && (0..fills.len()).any(|i| !left_out(skip, i) && fills.profit(i).is_some())
        };
        FillOrder {
            order,
            runs,
            reversed,
            priced_apart,
        }
    }
}

impl FillOrder {
    /// Each run's rank by its symbol, as trades that open at one instant
    /// are ordered.
    fn symbol_ranks(&self, fills: &FillStore) -> Vec<u32> {
        let symbol_of = |run: &std::ops::Range<usize>| fills.symbol(self.order[run.start]).trim();
        let mut symbols: Vec<&str> = self.runs.iter().map(symbol_of).collect();
        symbols.sort_unstable();
        symbols.dedup();
        self.runs
            .iter()
            .map(|run| symbols.binary_search(&symbol_of(run)).unwrap_or(0) as u32)
            .collect()
    }
}

impl<'a> Prepared<'a> {
    /// The fills put in order ([`FillOrder::new`]), and the rest of what
    /// booking needs.
    fn new(
        fills: &FillStore,
        keys: &Keys,
        skip: &[bool],
        stops: &'a [StopOrder],
        options: &GroupOptions,
        parallel: bool,
        warnings: &mut Vec<Warning>,
    ) -> Self {
        let fill_order = FillOrder::new(fills, keys, skip, parallel, warnings);
        Prepared::in_order(Cow::Owned(fill_order), fills, stops, options)
    }

    /// What booking needs, given the fills' order.
    fn in_order(
        fill_order: Cow<'a, FillOrder>,
        fills: &FillStore,
        stops: &'a [StopOrder],
        options: &GroupOptions,
    ) -> Self {
        let reversed = fill_order.reversed;
        let rank = |i: usize| if reversed { usize::MAX - i } else { i };
        let open_starts = options
            .open_fills
            .iter()
            .map(|held| {
                held.iter()
                    .filter(|&&i| i < fills.len())
                    .map(|&i| (fills.at(i), rank(i)))
                    .min()
            })
            .collect();

        // Open trades of the journal, by the account and symbol a trade gets.
        let mut open_by_key: HashMap<(String, String, Side), usize> = HashMap::new();
        for (i, t) in options.open_trades.iter().enumerate() {
            open_by_key.insert((t.account.clone(), t.symbol.clone(), t.side), i);
        }

        let mut stops_by_key: HashMap<(&str, &str), Vec<&StopOrder>> = HashMap::new();
        for stop in stops {
            stops_by_key
                .entry((stop.account.as_str(), stop.symbol.as_str()))
                .or_default()
                .push(stop);
        }
        for list in stops_by_key.values_mut() {
            list.sort_by_key(|s| s.at);
        }
        Prepared {
            fill_order,
            open_by_key,
            open_starts,
            stops_by_key,
        }
    }

    fn booking<'p>(
        &'p self,
        fills: &'p FillStore,
        keys: &'p Keys,
        options: &'p GroupOptions,
    ) -> Booking<'p> {
        Booking {
            fills,
            keys,
            order: &self.fill_order.order,
            options,
            open_by_key: &self.open_by_key,
            open_starts: &self.open_starts,
            reversed: self.fill_order.reversed,
            priced_apart: self.fill_order.priced_apart,
            stops_by_key: &self.stops_by_key,
            with_sources: true,
        }
    }
}

/// How many fills `known` marks.
fn count_known(known: &[bool]) -> usize {
    known.iter().filter(|k| **k).count()
}

/// Warns of the stop orders whose account and symbol have no fills.
fn unused_stops(
    stops_by_key: &HashMap<(&str, &str), Vec<&StopOrder>>,
    used_stops: &HashSet<(&str, &str)>,
    warnings: &mut Vec<Warning>,
) {
    for (key, list) in stops_by_key {
        if !used_stops.contains(key) {
            for stop in list {
                warnings.push(Warning::new(
                    Some(stop.line),
                    None,
                    format!(
                        "the stop at {} on {} has no fills of {}; it is not used",
                        stop.price,
                        stop.at.to_rfc3339(),
                        stop.symbol
                    ),
                ));
            }
        }
    }
}

/// The trades in the order of their first entry, then of their symbol;
/// trades that tie keep their order (the sort is stable, its keys computed
/// once).
fn in_order(mut out: Vec<ImportedTrade>) -> Vec<ImportedTrade> {
    let mut symbols: Vec<&str> = out.iter().map(|t| t.trade.symbol.as_str()).collect();
    symbols.sort_unstable();
    symbols.dedup();
    let rank: FastMap<String, u32> = symbols
        .iter()
        .enumerate()
        .map(|(rank, &symbol)| (symbol.to_owned(), rank as u32))
        .collect();
    out.sort_by_cached_key(|t| (opened_key(&t.trade), rank[t.trade.symbol.as_str()]));
    out
}

/// A trade's first entry as a key that sorts by instant.
fn opened_key(trade: &Trade) -> Option<(i64, u32)> {
    trade
        .opened_at()
        .map(|at| (at.timestamp(), at.timestamp_subsec_nanos()))
}

/// Groups fills with their keys, side by side on every core when `parallel`.
/// The fills `skip` marks are left out (see [`Prepared::new`]).
fn group_in_parts(
    fills: &FillStore,
    keys: Keys,
    skip: &[bool],
    stops: &[StopOrder],
    options: &GroupOptions,
    parallel: bool,
) -> (Vec<ImportedTrade>, Vec<Warning>) {
    let mut warnings = Vec::new();
    let prepared = Prepared::new(fills, &keys, skip, stops, options, parallel, &mut warnings);
    let booking = prepared.booking(fills, &keys, options);
    let runs = &prepared.fill_order.runs;
    // Each run is booked on its own, on whichever core is free; the results
    // are collected in the order of the runs.
    let booked: Vec<Booked<'_>> = if parallel {
        use rayon::prelude::*;
        runs.par_iter()
            .map(|run| booking.book(std::slice::from_ref(run)))
            .collect()
    } else {
        vec![booking.book(runs)]
    };

    let mut used_stops: HashSet<(&str, &str)> = HashSet::new();
    let mut out: Vec<ImportedTrade> = Vec::new();
    let mut rates: Vec<RateFound> = Vec::new();
    for part in booked {
        if out.is_empty() {
            out = part.trades;
            rates = part.rates;
        } else {
            out.extend(part.trades);
            rates.extend(part.rates);
        }
        warnings.extend(part.warnings);
        used_stops.extend(part.used_stops);
    }
    if rates.iter().any(|r| matches!(r, RateFound::Wanted { .. })) {
        settle_rates(&mut out, &rates, options, &mut warnings);
    }
    unused_stops(&prepared.stops_by_key, &used_stops, &mut warnings);
    warnings.sort_by_key(|w| w.line);
    (in_order(out), warnings)
}

/// What grouping gives, short of the trades themselves when they can be
/// made again one at a time (see [`outline`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouped {
    /// The trades, held: those of a file whose trades take rates from each
    /// other (from their broker profits).
    Trades(Vec<ImportedTrade>),
    /// The trades counted and put in order, to be made again by [`produce`].
    Outline(Outline),
}

impl Grouped {
    /// How many trades there are.
    pub fn len(&self) -> usize {
        match self {
            Grouped::Trades(trades) => trades.len(),
            Grouped::Outline(outline) => outline.runs.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many trades are still open at the end of the file.
    pub fn open(&self) -> usize {
        match self {
            Grouped::Trades(trades) => trades.iter().filter(|t| t.open).count(),
            Grouped::Outline(outline) => outline.open,
        }
    }

    /// For each trade that continues an open trade of the journal, its
    /// position among the trades and the open trade's index.
    pub fn continued(&self) -> Vec<(usize, usize)> {
        match self {
            Grouped::Trades(trades) => trades
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.continues.map(|c| (i, c)))
                .collect(),
            Grouped::Outline(outline) => outline.continues.clone(),
        }
    }
}

/// Trades counted and put in order, without being held: each is the next
/// trade of its run, so that booking the runs again side by side, one trade
/// at a time, gives them in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// The fills in the order they were booked in, in runs.
    fill_order: FillOrder,
    /// For each trade, in order, the run (of [`FillOrder::runs`]) it is of.
    runs: Vec<u32>,
    /// How many trades are still open.
    open: usize,
    /// The trades that continue an open trade: position and open trade's index.
    continues: Vec<(usize, usize)>,
}

/// A trade's first entry (as [`opened_key`]), whether it is open, and the
/// open trade of the journal it continues.
type TradeOutline = (Option<(i64, u32)>, bool, Option<usize>);

/// What booking one run gave, short of its trades.
#[derive(Default)]
struct RunOutline<'a> {
    /// For each trade of the run, its first entry, whether it is open, and
    /// the open trade it continues.
    trades: Vec<TradeOutline>,
    warnings: Vec<Warning>,
    used_stops: Option<(&'a str, &'a str)>,
    /// Whether a trade of the run wants a rate from the others.
    wants_rate: bool,
}

impl<'a> Booking<'a> {
    /// Books a run to count its trades.
    fn outline_run(&self, run: &std::ops::Range<usize>) -> RunOutline<'a> {
        let mut out = RunOutline::default();
        let mut cursor = RunCursor::new(self, run, &mut out.warnings);
        if let Some((key, _)) = self.stops_of(&cursor.book) {
            out.used_stops = Some(key);
        }
        while let Some((trade, rate)) = cursor.next(self, &mut out.warnings) {
            out.wants_rate |= matches!(rate, RateFound::Wanted { .. });
            out.trades
                .push((opened_key(&trade.trade), trade.open, trade.continues));
        }
        out
    }
}

/// A run booked one trade at a time; a run with stop orders is booked whole
/// first (a stop may belong to any of its trades).
struct RunCursor<'a> {
    book: RunBook<'a>,
    held: Option<std::vec::IntoIter<Building>>,
    /// The multiplier of the run's new trades.
    multiplier: Decimal,
}

impl<'a> RunCursor<'a> {
    fn new(
        booking: &Booking<'a>,
        run: &std::ops::Range<usize>,
        warnings: &mut Vec<Warning>,
    ) -> Self {
        let mut book = booking.start(run);
        let held = booking.stops_of(&book).map(|(_, list)| {
            let mut built = Vec::new();
            while let Some(b) = book.next(warnings) {
                built.push(b);
            }
            booking.attach_stops(list, book.direction, &mut built, warnings);
            built.into_iter()
        });
        let multiplier = multiplier_for(booking.fills, book.run[0], booking.options);
        RunCursor {
            book,
            held,
            multiplier,
        }
    }

    /// The run's next valid trade.
    fn next(
        &mut self,
        booking: &Booking<'a>,
        warnings: &mut Vec<Warning>,
    ) -> Option<(ImportedTrade, RateFound)> {
        loop {
            let b = match &mut self.held {
                Some(held) => held.next()?,
                None => self.book.next(warnings)?,
            };
            if let Some(done) = booking.finish(b, self.book.run, self.multiplier, warnings) {
                return Some(done);
            }
        }
    }
}

/// Groups fills into trades (as [`group`] does), counting them and putting
/// them in order without holding them, unless the file's trades take rates
/// from each other. The trades are made again by [`produce`].
pub fn outline<F: AsFills + ?Sized>(
    fills: &F,
    stops: &[StopOrder],
    options: &GroupOptions,
) -> (Grouped, Vec<Warning>) {
    outline_except(&fills.as_store(), &[], stops, options)
}

/// [`outline`] of the fills that `known` does not mark (the fills of a file
/// that a journal does not have yet), under the keys they have in the whole
/// file: the trades are those [`group_keyed`] makes of those fills alone,
/// and [`produce`] makes them again. `known` has one flag per fill,
/// or none.
pub fn outline_except(
    fills: &FillStore,
    known: &[bool],
    stops: &[StopOrder],
    options: &GroupOptions,
) -> (Grouped, Vec<Warning>) {
    let keys = Keys::Made(fingerprints(fills));
    let parallel = super::parallel::worth_splitting(fills.len() - count_known(known));
    let mut warnings = Vec::new();
    let prepared = Prepared::new(fills, &keys, known, stops, options, parallel, &mut warnings);
    let booking = Booking {
        with_sources: false,
        ..prepared.booking(fills, &keys, options)
    };
    let runs = &prepared.fill_order.runs;
    let outlines: Vec<RunOutline<'_>> = if parallel {
        use rayon::prelude::*;
        runs.par_iter()
            .map(|run| booking.outline_run(run))
            .collect()
    } else {
        runs.iter().map(|run| booking.outline_run(run)).collect()
    };
    if outlines.iter().any(|o| o.wants_rate) {
        drop(outlines);
        let (trades, warnings) = group_in_parts(fills, keys, known, stops, options, parallel);
        return (Grouped::Trades(trades), warnings);
    }
    let rank = prepared.fill_order.symbol_ranks(fills);
    let mut used_stops: HashSet<(&str, &str)> = HashSet::new();
    let mut keys_of = Vec::new();
    let mut flags = Vec::new();
    for (run, part) in outlines.into_iter().enumerate() {
        for (opened, open, continues) in part.trades {
            keys_of.push((opened, rank[run], keys_of.len() as u32, run as u32));
            flags.push((open, continues));
        }
        warnings.extend(part.warnings);
        used_stops.extend(part.used_stops);
    }
    unused_stops(&prepared.stops_by_key, &used_stops, &mut warnings);
    warnings.sort_by_key(|w| w.line);
    // Each run's trades come in the order they opened: a stable sort
    // merges these runs instead of sorting afresh (the keys are distinct,
    // so the order is the one an unstable sort gives).
    keys_of.sort();
    let outline = Outline {
        fill_order: prepared.fill_order.into_owned(),
        runs: keys_of.iter().map(|k| k.3).collect(),
        open: flags.iter().filter(|f| f.0).count(),
        continues: keys_of
            .iter()
            .enumerate()
            .filter_map(|(position, k)| flags[k.2 as usize].1.map(|c| (position, c)))
            .collect(),
    };
    (Grouped::Outline(outline), warnings)
}

/// Makes the trades of an [`Outline`] (of [`outline`] or [`outline_except`])
/// again, in order, from the fills, stops and options it was made from,
/// handing each to `each` until it returns `false`. The outline holds the
/// order it booked the fills in, without those its `known` flags marked.
pub fn produce(
    fills: &FillStore,
    stops: &[StopOrder],
    options: &GroupOptions,
    outline: &Outline,
    each: &mut dyn FnMut(ImportedTrade) -> bool,
) {
    let keys = Keys::Made(fingerprints(fills));
    let mut ignored = Vec::new();
    let prepared = Prepared::in_order(Cow::Borrowed(&outline.fill_order), fills, stops, options);
    let booking = prepared.booking(fills, &keys, options);
    let runs = &prepared.fill_order.runs;
    let mut cursors: Vec<Option<RunCursor<'_>>> = Vec::new();
    cursors.resize_with(runs.len(), || None);
    for &run in &outline.runs {
        let run = run as usize;
        let Some(slot) = cursors.get_mut(run) else {
            return;
        };
        let cursor = slot.get_or_insert_with(|| RunCursor::new(&booking, &runs[run], &mut ignored));
        ignored.clear();
        let Some((trade, _)) = cursor.next(&booking, &mut ignored) else {
            return;
        };
        if !each(trade) {
            return;
        }
    }
}

/// What [`stream`] made of the fills, besides the trades it handed on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streamed {
    /// How many trades it handed on.
    pub trades: usize,
    /// How many of those are still open.
    pub open: usize,
    /// The warnings [`outline`] gives for the same fills.
    pub warnings: Vec<Warning>,
}

/// Books the fills into trades once, handing each to `each`, in order, as it
/// is booked: the trades [`outline`] counts and [`produce`] makes, in their
/// order, without outlining them first. The runs are booked side by side,
/// one trade ahead each, and the next trade handed on is the one that
/// opened first among them (by symbol, then run, where they tie), which is
/// how [`outline`] orders trades whose runs each give them in the order
/// they opened. Every trade handed on is valid ([`Trade::validate`]): one
/// that is not is left out with warnings, as grouping leaves it out.
///
/// `None` where that does not hold: where a trade wants a rate from the
/// others (fills that state the broker's profit, or symbols priced in
/// another currency), or a run's trade opened before the one it handed on
/// before; also when `each` returns `false`. The trades handed on by then
/// are not all the file's, nor in [`outline`]'s order. Fills that continue
/// a journal's trades (`options` with open trades or split fills) are not
/// streamed: `None` before any trade is handed on.
pub fn stream(
    fills: &FillStore,
    stops: &[StopOrder],
    options: &GroupOptions,
    each: &mut dyn FnMut(ImportedTrade) -> bool,
) -> Option<Streamed> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    if !options.open_trades.is_empty() || !options.split.is_empty() {
        return None;
    }
    let keys = Keys::Made(fingerprints(fills));
    let parallel = super::parallel::worth_splitting(fills.len());
    let mut warnings = Vec::new();
    let prepared = Prepared::new(fills, &keys, &[], stops, options, parallel, &mut warnings);
    let booking = prepared.booking(fills, &keys, options);
    let runs = &prepared.fill_order.runs;
    let rank = prepared.fill_order.symbol_ranks(fills);

    let mut run_warnings: Vec<Vec<Warning>> = vec![Vec::new(); runs.len()];
    let mut used_stops: HashSet<(&str, &str)> = HashSet::new();
    let mut cursors = Vec::with_capacity(runs.len());
    // Each run's next trade, and the heap of their keys: first entry,
    // symbol's rank, run.
    let mut next: Vec<Option<ImportedTrade>> = Vec::with_capacity(runs.len());
    let mut heap = BinaryHeap::with_capacity(runs.len());
    for (run, range) in runs.iter().enumerate() {
        let mut cursor = RunCursor::new(&booking, range, &mut run_warnings[run]);
        if let Some((key, _)) = booking.stops_of(&cursor.book) {
            used_stops.insert(key);
        }
        let trade = match cursor.next(&booking, &mut run_warnings[run]) {
            Some((_, RateFound::Wanted { .. })) => return None,
            Some((trade, _)) => {
                heap.push(Reverse((opened_key(&trade.trade), rank[run], run)));
                Some(trade)
            }
            None => None,
        };
        cursors.push(cursor);
        next.push(trade);
    }
    let mut streamed = Streamed::default();
    while let Some(Reverse((opened, rank, run))) = heap.pop() {
        let trade = next[run].take()?;
        streamed.trades += 1;
        streamed.open += usize::from(trade.open);
        if !each(trade) {
            return None;
        }
        match cursors[run].next(&booking, &mut run_warnings[run]) {
            Some((_, RateFound::Wanted { .. })) => return None,
            Some((trade, _)) => {
                let key = opened_key(&trade.trade);
                if key < opened {
                    return None;
                }
                heap.push(Reverse((key, rank, run)));
                next[run] = Some(trade);
            }
            None => {}
        }
    }
    for part in run_warnings {
        warnings.extend(part);
    }
    unused_stops(&prepared.stops_by_key, &used_stops, &mut warnings);
    warnings.sort_by_key(|w| w.line);
    streamed.warnings = warnings;
    Some(streamed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::import::InstrumentKind;
    use chrono::TimeZone;

    #[test]
    fn a_fingerprint_key_is_written_as_format_writes_it() {
        for (hash, n) in [
            (0, 0),
            (0xF, 7),
            (0x0123_4567_89AB_CDEF, 42),
            (u64::MAX, u32::MAX),
        ] {
            let mut key = String::from("left alone ");
            push_fingerprint_key(&mut key, hash, n);
            assert_eq!(key, format!("left alone f:{hash:016x}:{n}"));
        }
    }

    /// A varied stream of fills: three accounts (one blank), four symbols,
    /// orders filled in several fills at one instant, flips, repeated
    /// execution ids, fills without an id (some identical), stop orders.
    fn stream(n: usize, newest_first: bool) -> (Vec<Fill>, Vec<StopOrder>) {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let zone = FixedOffset::east_opt(-5 * 3600).unwrap();
        let start = zone.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).unwrap();
        let (mut fills, mut stops) = (Vec::new(), Vec::new());
        let mut seconds = 0;
        while fills.len() < n {
            seconds += next(3) as i64;
            let at = start + Duration::seconds(seconds);
            let account = ["U1", "U2", ""][next(3) as usize].to_owned();
            let symbol = ["AAPL", "ESZ4", "MSFT", "NQZ4"][next(4) as usize].to_owned();
            let side = if next(2) == 0 {
                FillSide::Buy
            } else {
                FillSide::Sell
            };
            let order = format!("O{}", fills.len());
            for _ in 0..=next(3) {
                let line = fills.len() + 2;
                let exec_id = match next(10) {
                    0 => None,
                    1 if line > 10 => Some(format!("E{}", line - 5)),
                    _ => Some(format!("E{line}")),
                };
                fills.push(Fill {
                    account: account.clone(),
                    symbol: symbol.clone(),
                    kind: InstrumentKind::Stock,
                    side,
                    qty: Decimal::from(1 + next(5)),
                    price: Decimal::new(10_000 + next(500) as i64, 2),
                    fee: Decimal::new(next(300) as i64, 2),
                    at,
                    currency: String::new(),
                    multiplier: None,
                    order_id: (next(4) > 0).then(|| order.clone()),
                    exec_id,
                    profit: None,
                    position: None,
                    line,
                });
            }
            if next(8) == 0 {
                stops.push(StopOrder {
                    account: account.clone(),
                    symbol: symbol.clone(),
                    at: at + Duration::seconds(1),
                    price: Decimal::new(9_000 + next(2_000) as i64, 2),
                    status: "Working".to_owned(),
                    side: None,
                    line: n + stops.len() + 2,
                });
            }
        }
        if newest_first {
            fills.reverse();
        }
        (fills, stops)
    }

    /// The fills as a hedging account's: a position of each direction,
    /// one fill in three the short one's.
    fn hedge(fills: &mut [Fill]) {
        for (i, fill) in fills.iter_mut().enumerate() {
            fill.position = Some(if i % 3 == 0 { Side::Short } else { Side::Long });
        }
    }

    #[test]
    fn booking_in_parts_gives_what_booking_in_one_gives() {
        for newest_first in [false, true] {
            let (fills, stops) = stream(3_000, newest_first);
            let fills = FillStore::from(fills);
            let options = GroupOptions::default();
            let keys = || Keys::Given(fill_keys(&fills));
            let whole = group_in_parts(&fills, keys(), &[], &stops, &options, false);
            assert!(whole.0.len() > 50, "{}", whole.0.len());
            assert!(whole.1.iter().any(|w| w.message.contains("appears again")));
            // On pools of several sizes, the runs are booked side by side.
            for threads in [1, 2, 3, 7] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let split =
                    pool.install(|| group_in_parts(&fills, keys(), &[], &stops, &options, true));
                assert!(
                    split == whole,
                    "{threads} threads, newest first: {newest_first}"
                );
                let made = Keys::Made(fingerprints(&fills));
                let split =
                    pool.install(|| group_in_parts(&fills, made, &[], &stops, &options, true));
                assert!(
                    split == whole,
                    "{threads} threads, newest first: {newest_first}"
                );
            }
        }
    }

    #[test]
    fn fills_are_ordered_by_instrument_then_time_keeping_the_file_order_of_ties() {
        for newest_first in [false, true] {
            let (mut fills, _) = stream(2_000, newest_first);
            // Some fills out of time order, and many at one instant.
            for (i, fill) in fills.iter_mut().enumerate() {
                if i % 13 == 4 {
                    fill.at -= Duration::minutes(90);
                } else if i % 17 == 0 {
                    fill.at = fills_at_noon(fill.at);
                }
            }
            // One account and instrument whose fills run backwards in time.
            let backwards: Vec<usize> = (0..fills.len())
                .filter(|&i| {
                    (&fills[i].account, &fills[i].symbol) == (&fills[0].account, &fills[0].symbol)
                })
                .collect();
            let mut times: Vec<_> = backwards.iter().map(|&i| fills[i].at).collect();
            times.sort_unstable_by(|a, b| b.cmp(a));
            for (&i, at) in backwards.iter().zip(times) {
                fills[i].at = at;
            }
            let store = FillStore::from(fills.clone());
            let keys = Keys::Made(fingerprints(&store));
            let skip: Vec<bool> = (0..fills.len()).map(|i| i % 29 == 3).collect();
            for skip in [&[][..], &skip[..]] {
                let mut warnings = Vec::new();
                let fill_order = FillOrder::new(&store, &keys, skip, false, &mut warnings);
                // What the order is meant to be, made the plain way: the
                // fills kept, oldest first, sorted (stably) by instrument
                // and time.
                let repeats = repeated_executions(&store, &keys, skip);
                let (instrument, _) = instrument_numbers(&store, skip);
                let mut expected: Vec<usize> = (0..fills.len())
                    .filter(|&i| !left_out(skip, i) && !repeats.contains(&i))
                    .collect();
                let (up, down) = expected.windows(2).fold((0, 0), |(up, down), w| {
                    match store.at(w[0]).cmp(&store.at(w[1])) {
                        std::cmp::Ordering::Less => (up + 1, down),
                        std::cmp::Ordering::Greater => (up, down + 1),
                        std::cmp::Ordering::Equal => (up, down),
                    }
                });
                assert_eq!(fill_order.reversed, down > up);
                if down > up {
                    expected.reverse();
                }
                expected.sort_by_key(|&i| (instrument[i], store.at(i)));
                assert_eq!(fill_order.order, expected, "newest first: {newest_first}");
                let covered: usize = fill_order.runs.iter().map(|r| r.len()).sum();
                assert_eq!(covered, expected.len());
                for run in &fill_order.runs {
                    let first = instrument[fill_order.order[run.start]];
                    assert!(
                        fill_order.order[run.clone()]
                            .iter()
                            .all(|&i| instrument[i] == first)
                    );
                }
            }
        }
    }

    /// Noon of the day of `at`, in its offset.
    fn fills_at_noon(at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        at.date_naive()
            .and_hms_opt(12, 0, 0)
            .and_then(|noon| noon.and_local_timezone(*at.offset()).single())
            .unwrap()
    }

    #[test]
    fn repeated_executions_are_the_later_fills_of_each_id_whatever_its_spelling() {
        let (mut fills, _) = stream(3_000, false);
        // Ids padded with blanks are the same ids; a skipped fill is no
        // first of its id.
        for (i, fill) in fills.iter_mut().enumerate() {
            if i % 7 == 0 {
                fill.exec_id = fill.exec_id.take().map(|id| format!(" {id} "));
            }
        }
        let store = FillStore::from(fills.clone());
        let skip: Vec<bool> = (0..fills.len()).map(|i| i % 11 == 5).collect();
        for skip in [&[][..], &skip[..]] {
            let mut seen = std::collections::HashSet::new();
            let expected: Vec<usize> = (0..fills.len())
                .filter(|&i| !left_out(skip, i))
                .filter(|&i| {
                    let id = fills[i].exec_id.as_deref().map(str::trim);
                    id.is_some_and(|id| !id.is_empty() && !seen.insert(id.to_owned()))
                })
                .collect();
            assert!(expected.len() > 100, "{}", expected.len());
            for keys in [
                Keys::Given(fill_keys(&store)),
                Keys::Made(fingerprints(&store)),
            ] {
                assert_eq!(repeated_executions(&store, &keys, skip), expected);
            }
        }
    }

    /// What [`outline`] and [`produce`] give: the trades made one at a
    /// time, the warnings, and the counts the preview shows.
    fn streamed(
        fills: &FillStore,
        stops: &[StopOrder],
        options: &GroupOptions,
    ) -> (Vec<ImportedTrade>, Vec<Warning>, usize, usize) {
        let (grouped, warnings) = outline(fills, stops, options);
        let (count, open) = (grouped.len(), grouped.open());
        let trades = match grouped {
            Grouped::Trades(trades) => trades,
            Grouped::Outline(outline) => {
                let mut trades = Vec::new();
                produce(fills, stops, options, &outline, &mut |trade| {
                    trades.push(trade);
                    true
                });
                trades
            }
        };
        (trades, warnings, count, open)
    }

    #[test]
    fn trades_made_one_at_a_time_are_those_grouped_all_at_once() {
        let zone = FixedOffset::east_opt(-5 * 3600).unwrap();
        // An open trade of the journal that the fills of U1's AAPL continue.
        let mut open = Trade::new("AAPL", Side::Long);
        open.account = "U1".to_owned();
        open.events.push(Event::entry(
            zone.with_ymd_and_hms(2024, 2, 29, 10, 0, 0).unwrap(),
            Decimal::from(3),
            Decimal::from(99),
            Decimal::ZERO,
        ));
        for newest_first in [false, true] {
            for hedged in [false, true] {
                for continuing in [false, true] {
                    let (mut fills, stops) = stream(3_000, newest_first);
                    if hedged {
                        hedge(&mut fills);
                    }
                    let fills = FillStore::from(fills);
                    let options = GroupOptions {
                        open_trades: if continuing {
                            vec![open.clone()]
                        } else {
                            Vec::new()
                        },
                        ..GroupOptions::default()
                    };
                    for stops in [&stops[..], &[]] {
                        let whole = group(&fills, stops, &options);
                        assert!(whole.0.len() > 50, "{}", whole.0.len());
                        assert_eq!(whole.0.iter().any(|t| t.continues.is_some()), continuing);
                        for threads in [1, 2, 3] {
                            let pool = rayon::ThreadPoolBuilder::new()
                                .num_threads(threads)
                                .build()
                                .unwrap();
                            let (trades, warnings, count, open_count) =
                                pool.install(|| streamed(&fills, stops, &options));
                            let case = format!(
                                "{threads} threads, newest first {newest_first}, hedged \
                                 {hedged}, continuing {continuing}, {} stops",
                                stops.len()
                            );
                            assert!(trades == whole.0, "{case}");
                            assert_eq!(warnings, whole.1, "{case}");
                            assert_eq!(count, whole.0.len(), "{case}");
                            assert_eq!(
                                open_count,
                                whole.0.iter().filter(|t| t.open).count(),
                                "{case}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn trades_booked_once_in_order_are_those_outlined_then_made_again() {
        for newest_first in [false, true] {
            for hedged in [false, true] {
                let (mut fills, stops) = stream(3_000, newest_first);
                if hedged {
                    hedge(&mut fills);
                }
                let fills = FillStore::from(fills);
                let options = GroupOptions::default();
                for stops in [&stops[..], &[]] {
                    let (trades, warnings, count, open) = streamed(&fills, stops, &options);
                    assert!(count > 50, "{count}");
                    let mut booked = Vec::new();
                    let once = super::stream(&fills, stops, &options, &mut |trade| {
                        booked.push(trade);
                        true
                    })
                    .expect("streams");
                    let case = format!("newest first {newest_first}, hedged {hedged}");
                    assert!(booked == trades, "{case}");
                    assert_eq!(once.warnings, warnings, "{case}");
                    assert_eq!((once.trades, once.open), (count, open), "{case}");
                    // A receiver that stops early stops the booking.
                    let mut taken = 0;
                    let stopped = super::stream(&fills, stops, &options, &mut |_| {
                        taken += 1;
                        taken < 10
                    });
                    assert_eq!((stopped, taken), (None, 10), "{case}");
                }
            }
        }
    }

    #[test]
    fn fills_whose_trades_want_rates_or_continue_trades_are_not_streamed() {
        let (fills, stops) = stream(500, false);
        let mut priced = fills.clone();
        priced[7].profit = Some(Decimal::from(12));
        let mut handed = 0;
        let mut count = |_| {
            handed += 1;
            true
        };
        let options = GroupOptions::default();
        assert_eq!(
            super::stream(&FillStore::from(priced), &stops, &options, &mut count),
            None
        );
        let continuing = GroupOptions {
            open_trades: vec![Trade::new("AAPL", Side::Long)],
            ..GroupOptions::default()
        };
        assert_eq!(
            super::stream(&FillStore::from(fills), &stops, &continuing, &mut count),
            None
        );
        assert_eq!(handed, 0);
    }

    /// What [`outline_except`] and [`produce`] give, as `streamed`.
    fn streamed_except(
        fills: &FillStore,
        known: &[bool],
        stops: &[StopOrder],
        options: &GroupOptions,
    ) -> (Vec<ImportedTrade>, Vec<Warning>, usize, usize) {
        let (grouped, warnings) = outline_except(fills, known, stops, options);
        let (count, open) = (grouped.len(), grouped.open());
        let trades = match grouped {
            Grouped::Trades(trades) => trades,
            Grouped::Outline(outline) => {
                let mut trades = Vec::new();
                produce(fills, stops, options, &outline, &mut |trade| {
                    trades.push(trade);
                    true
                });
                trades
            }
        };
        (trades, warnings, count, open)
    }

    #[test]
    fn fills_left_out_are_grouped_as_if_the_file_did_not_hold_them() {
        let zone = FixedOffset::east_opt(-5 * 3600).unwrap();
        let mut open = Trade::new("AAPL", Side::Long);
        open.account = "U1".to_owned();
        open.events.push(Event::entry(
            zone.with_ymd_and_hms(2024, 2, 29, 10, 0, 0).unwrap(),
            Decimal::from(3),
            Decimal::from(99),
            Decimal::ZERO,
        ));
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        for newest_first in [false, true] {
            for hedged in [false, true] {
                let (mut fills, stops) = stream(2_000, newest_first);
                if hedged {
                    hedge(&mut fills);
                }
                let store = FillStore::from(&fills);
                let keys = fill_keys(&store);
                // The journal has: nothing, a first part of the file, every
                // other stretch of it, scattered fills, or all of it.
                let len = fills.len();
                let masks: Vec<Vec<bool>> = vec![
                    vec![false; len],
                    (0..len).map(|i| i < len / 3).collect(),
                    (0..len).map(|i| (i / 97) % 2 == 1).collect(),
                    (0..len).map(|_| next(5) == 0).collect(),
                    vec![true; len],
                ];
                for known in &masks {
                    let new: Vec<usize> = (0..len).filter(|&i| !known[i]).collect();
                    let subset = store.subset(|i| !known[i]);
                    let new_keys: Vec<FillKey> = new.iter().map(|&i| keys[i].clone()).collect();
                    for continuing in [false, true] {
                        let options = GroupOptions {
                            open_trades: if continuing {
                                vec![open.clone()]
                            } else {
                                Vec::new()
                            },
                            ..GroupOptions::default()
                        };
                        for stops in [&stops[..], &[]] {
                            let alone = group_keyed(&subset, new_keys.clone(), stops, &options);
                            for threads in [1, 3] {
                                let pool = rayon::ThreadPoolBuilder::new()
                                    .num_threads(threads)
                                    .build()
                                    .unwrap();
                                let (trades, warnings, count, open_count) = pool
                                    .install(|| streamed_except(&store, known, stops, &options));
                                let case = format!(
                                    "{threads} threads, newest first {newest_first}, hedged \
                                     {hedged}, continuing {continuing}, {} stops, {} new",
                                    stops.len(),
                                    new.len()
                                );
                                assert!(trades == alone.0, "{case}");
                                assert_eq!(warnings, alone.1, "{case}");
                                assert_eq!(count, alone.0.len(), "{case}");
                                assert_eq!(
                                    open_count,
                                    alone.0.iter().filter(|t| t.open).count(),
                                    "{case}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_file_s_keys_are_made_as_they_are_needed_under_their_recorded_accounts() {
        let (mut fills, _) = stream(3_000, false);
        // Accounts with spaces around them and blank ones are recorded
        // under their trimmed names and the default one; execution ids
        // longer than a number holds, and some with a byte below every
        // digit.
        for (i, fill) in fills.iter_mut().enumerate() {
            match i % 7 {
                0 => fill.account = format!(" {} ", fill.account),
                1 => fill.account = DEFAULT_ACCOUNT.to_owned(),
                _ => {}
            }
            if i % 5 == 0
                && let Some(exec) = &mut fill.exec_id
            {
                exec.push_str(if i % 2 == 0 { "000000000001" } else { "\u{1}" });
            }
        }
        let store = FillStore::from(&fills);
        let keys = fill_keys(&store);
        let file = FileKeys::new(&store);
        let account = |i: u32| {
            let account = fills[i as usize].account.trim();
            if account.is_empty() {
                DEFAULT_ACCOUNT
            } else {
                account
            }
        };
        let mut key = String::new();
        for i in 0..fills.len() {
            file.key(i, &mut key);
            assert_eq!(key, keys[i].0);
            assert_eq!(file.key_of(i), keys[i]);
            assert_eq!(file.account(i), account(i as u32));
            assert_eq!(file.symbol(i), fills[i].symbol.trim());
        }
    }

    #[test]
    fn a_file_whose_trades_take_rates_from_each_other_keeps_its_trades() {
        let (mut fills, _) = stream(200, false);
        for fill in &mut fills {
            fill.profit = Some(Decimal::new(125, 2));
        }
        let fills = FillStore::from(fills);
        let options = GroupOptions::default();
        let (grouped, warnings) = outline(&fills, &[], &options);
        let whole = group(&fills, &[], &options);
        assert_eq!(grouped, Grouped::Trades(whole.0));
        assert_eq!(warnings, whole.1);
    }
}
