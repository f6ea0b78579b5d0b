//! A trade's analysis as the journal keeps it, so that statistics over a
//! large journal need not read and walk every event again.
//!
//! [`encode`] turns a [`TradeAnalysis`] into bytes and [`decode`] gives it
//! back, every figure exact: decimals by their integer and scale, times
//! by their instant and offset. Violations keep their rule, event and time,
//! not their sentence (an analysis made without [`Messages`] has none).
//! What `trades --json` shows beside an analysis, the sentences and the
//! disciplined twin, is kept apart ([`encode_shown`], [`decode_shown`]),
//! where the analysis was made with them.
//!
//! The statistics of a whole journal are kept too ([`encode_stats`],
//! [`decode_stats`]), without the per-trade curves a report does not print,
//! under a basis of their own ([`Basis::of_stats`]).
//!
//! Kept figures are only as good as what they were computed under: the
//! [`Basis`] of a journal's settings fingerprints the analysis's own code,
//! the program's version and the rule settings with the playbooks, so that
//! a change to any of them leaves every kept analysis unused. (The journal
//! itself forgets a trade's kept analysis when the trade changes.)
//!
//! [`Messages`]: super::Messages

use std::collections::BTreeMap;
use std::hash::Hasher as _;

use chrono::{DateTime, Datelike as _, FixedOffset, NaiveDate, NaiveTime, Timelike as _};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::breakdown::Breakdowns;
use super::rules::{Rule, RuleSettings};
use super::stats::{
    Adherence, Analysed, Breakdown, JournalStats, Month, Performance, ScaleOutTotals, Scaling,
};
use super::trade::{ScaleOut, TradeAnalysis, Verdict, Violation};
use super::twin::TwinFigures;
use crate::domain::{MarketCondition, Side, Trade};

/// The code whose results are kept: a change to any of it changes every
/// [`Basis`], so that a program whose analysis differs never uses figures
/// kept by another (even one of the same version number).
const ANALYSIS_CODE: &[&str] = &[
    include_str!("trade.rs"),
    include_str!("rules.rs"),
    include_str!("kept.rs"),
    include_str!("twin.rs"),
    include_str!("format.rs"),
    include_str!("../domain/mod.rs"),
    include_str!("../domain/playbook.rs"),
];

/// A fingerprint of everything a kept analysis depends on besides its trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Basis(pub i64);

/// FNV-1a's starting state (what `fnv::FnvHasher::default()` holds).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// `state` after FNV-1a of `bytes`, as `fnv::FnvHasher::write` leaves it.
const fn fnv_write(mut state: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        state ^= bytes[i] as u64;
        state = state.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    state
}

/// `state` after each of `texts`, its length first ([`Basis::of`]'s `add`).
const fn fnv_texts(mut state: u64, texts: &[&str]) -> u64 {
    let mut i = 0;
    while i < texts.len() {
        let bytes = texts[i].as_bytes();
        state = fnv_write(state, &(bytes.len() as u64).to_le_bytes());
        state = fnv_write(state, bytes);
        i += 1;
    }
    state
}

/// The fingerprint's state after the program's version and
/// [`ANALYSIS_CODE`], worked out when the program is built: hashing the
/// code each time a basis is asked for took a fifth of a millisecond.
const ANALYSIS_CODE_STATE: u64 = fnv_texts(
    fnv_texts(FNV_OFFSET, &[env!("CARGO_PKG_VERSION")]),
    ANALYSIS_CODE,
);

impl Basis {
    /// The basis of analyses made by this program under `settings`.
    pub fn of(settings: &RuleSettings) -> Basis {
        // FNV-1a is fixed by its definition, so the same inputs give the
        // same fingerprint in every build and on every machine.
        let mut hasher = fnv::FnvHasher::with_key(ANALYSIS_CODE_STATE);
        let mut add = |bytes: &[u8]| {
            hasher.write(&(bytes.len() as u64).to_le_bytes());
            hasher.write(bytes);
        };
        // Serializing these plain structures cannot fail; an empty text
        // would still differ from any real settings' text.
        add(serde_json::to_string(settings)
            .unwrap_or_default()
            .as_bytes());
        add(serde_json::to_string(&settings.playbooks)
            .unwrap_or_default()
            .as_bytes());
        Basis(hasher.finish() as i64)
    }
}

/// The code the kept statistics come from besides the analyses': a change
/// to any of it changes every [`Basis::of_stats`].
const STATS_CODE: &[&str] = &[
    include_str!("stats.rs"),
    include_str!("breakdown.rs"),
    include_str!("../domain/names.rs"),
];

/// The state of [`Basis::of_stats`]'s fingerprint after [`STATS_CODE`],
/// worked out when the program is built.
const STATS_CODE_STATE: u64 = fnv_texts(FNV_OFFSET, STATS_CODE);

impl Basis {
    /// The basis of the journal's statistics made by this program under
    /// `settings` ([`encode_stats`]): the code that adds them up, and the
    /// basis of its analyses.
    pub fn of_stats(settings: &RuleSettings) -> Basis {
        let mut hasher = fnv::FnvHasher::with_key(STATS_CODE_STATE);
        hasher.write(&Basis::of(settings).0.to_le_bytes());
        Basis(hasher.finish() as i64)
    }
}

/// The statistics of a whole journal as bytes to keep
/// (`migrations/0012_kept_stats.sql`), without their per-trade curves
/// ([`JournalStats::equity_curve`], [`JournalStats::scale_out_effects`]),
/// which grow with the journal and which a report does not print.
pub fn encode_stats(stats: &JournalStats) -> Vec<u8> {
    let JournalStats {
        trades,
        closed,
        open,
        currencies,
        performance,
        adherence,
        scaling,
        scale_out,
        by_setup,
        by_condition,
        monthly,
        equity_curve: _,
        scale_out_effects: _,
        breakdowns,
    } = stats;
    let kept = StatsOut {
        trades: *trades,
        closed: *closed,
        open: *open,
        currencies,
        performance,
        adherence,
        scaling,
        scale_out,
        by_setup,
        by_condition,
        monthly,
        breakdowns,
    };
    // Plain structures of numbers, strings and maps with string keys
    // always serialize; empty bytes decode to nothing.
    serde_json::to_vec(&kept).unwrap_or_default()
}

/// The statistics kept as `bytes` (by [`encode_stats`]), their curves
/// empty; `None` for bytes it did not write.
pub fn decode_stats(bytes: &[u8]) -> Option<JournalStats> {
    let kept: StatsIn = serde_json::from_slice(bytes).ok()?;
    Some(JournalStats {
        trades: kept.trades,
        closed: kept.closed,
        open: kept.open,
        currencies: kept.currencies,
        performance: kept.performance,
        adherence: kept.adherence,
        scaling: kept.scaling,
        scale_out: kept.scale_out,
        by_setup: kept.by_setup,
        by_condition: kept.by_condition,
        monthly: kept.monthly,
        equity_curve: Vec::new(),
        scale_out_effects: Vec::new(),
        breakdowns: kept.breakdowns,
    })
}

/// The statistics kept, as [`encode_stats`] writes them.
#[derive(Serialize)]
struct StatsOut<'a> {
    trades: usize,
    closed: usize,
    open: usize,
    currencies: &'a [String],
    performance: &'a Performance,
    adherence: &'a Adherence,
    scaling: &'a Scaling,
    scale_out: &'a ScaleOutTotals,
    by_setup: &'a BTreeMap<String, Breakdown>,
    by_condition: &'a BTreeMap<String, Breakdown>,
    monthly: &'a [Month],
    breakdowns: &'a Breakdowns,
}

/// The statistics kept, as [`decode_stats`] reads them: [`StatsOut`].
#[derive(Deserialize)]
struct StatsIn {
    trades: usize,
    closed: usize,
    open: usize,
    currencies: Vec<String>,
    performance: Performance,
    adherence: Adherence,
    scaling: Scaling,
    scale_out: ScaleOutTotals,
    by_setup: BTreeMap<String, Breakdown>,
    by_condition: BTreeMap<String, Breakdown>,
    monthly: Vec<Month>,
    breakdowns: Breakdowns,
}

/// A decimal by its exact parts: the integer it is a multiple of
/// `10^-scale` of (a few bytes for the usual sizes), and the scale.
#[derive(Serialize, Deserialize)]
struct Exact {
    mantissa: i128,
    scale: u8,
}

impl Exact {
    fn of(value: Decimal) -> Exact {
        Exact {
            mantissa: value.mantissa(),
            // A decimal's scale is at most 28.
            scale: value.scale() as u8,
        }
    }

    fn value(&self) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(self.mantissa, u32::from(self.scale)).ok()
    }
}

/// An instant with the offset it was recorded in: the UTC date by year
/// and day of the year, which give the date back without the calendar
/// arithmetic a count of days or seconds needs, and the UTC time of day.
#[derive(Serialize, Deserialize)]
struct At {
    year: i32,
    ordinal: u16,
    second_of_day: u32,
    nanos: u32,
    offset: i32,
}

#[derive(Serialize, Deserialize)]
struct KeptViolation {
    rule: u8,
    event: u32,
    at: At,
}

#[derive(Serialize, Deserialize)]
struct KeptScaleOut {
    actual: Exact,
    held_to_last_exit: Exact,
    all_out_at_first_exit: Exact,
    effect: Exact,
    verdict: u8,
}

/// What is kept, its texts borrowed: from the trade when encoding, from
/// the bytes when decoding.
#[derive(Serialize, Deserialize)]
struct Kept<'a> {
    symbol: &'a str,
    side: Side,
    multiplier: Exact,
    currency: &'a str,
    rate: Exact,
    stops_known: bool,
    account: &'a str,
    setup: &'a str,
    market_condition: MarketCondition,
    opened_at: Option<At>,
    closed_at: Option<At>,
    open_qty: Exact,
    avg_entry: Option<Exact>,
    gross_pnl: Exact,
    fees: Exact,
    net_pnl: Exact,
    initial_risk: Option<Exact>,
    r_multiple: Option<Exact>,
    adds: u32,
    partial_exits: u32,
    score: u32,
    violations: Vec<KeptViolation>,
    scale_out: Option<KeptScaleOut>,
    stops_judged: bool,
    notional: Option<Exact>,
}

/// The twin as kept, where it leaves out an add.
#[derive(Serialize, Deserialize)]
struct KeptTwin {
    net_pnl: Exact,
    r_multiple: Option<Exact>,
    cost: Exact,
    removed_adds: Vec<u32>,
}

/// What `trades --json` shows beside a kept analysis.
#[derive(Serialize, Deserialize)]
struct Shown {
    /// The violations' sentences, in their order.
    sentences: Vec<String>,
    /// `None` for a twin that leaves nothing out.
    twin: Option<KeptTwin>,
}

/// A trade's analysis as kept, with the trade's details and the one figure
/// of its events the statistics need besides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnalysis {
    /// The trade's details: without its notes, tags and events.
    pub trade: Trade,
    /// The analysis, without violation sentences.
    pub analysis: TradeAnalysis,
    /// The initial entry's notional value ([`super::stats::notional`]).
    pub notional: Option<Decimal>,
}

fn at_of(at: &DateTime<FixedOffset>) -> At {
    let utc = at.naive_utc();
    At {
        year: utc.year(),
        // A day of the year is at most 366.
        ordinal: utc.ordinal() as u16,
        second_of_day: utc.num_seconds_from_midnight(),
        nanos: utc.nanosecond(),
        offset: at.offset().local_minus_utc(),
    }
}

fn time_of(at: &At) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::from_yo_opt(at.year, u32::from(at.ordinal))?;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(at.second_of_day, at.nanos)?;
    let offset = FixedOffset::east_opt(at.offset)?;
    Some(DateTime::from_naive_utc_and_offset(
        date.and_time(time),
        offset,
    ))
}

const VERDICTS: [Verdict; 3] = [Verdict::Protected, Verdict::Capped, Verdict::Neutral];

/// `trade`'s analysis as bytes to keep, with the trade's details (not its
/// notes, tags or events).
pub fn encode(trade: &Trade, analysis: &TradeAnalysis) -> Vec<u8> {
    encode_with(trade, analysis, super::stats::notional(trade))
}

/// [`encode`] of a trade as the statistics add it up, its notional value
/// worked out already.
pub fn encode_analysed(item: &Analysed<'_>) -> Vec<u8> {
    encode_with(item.trade, item.analysis, item.notional)
}

/// [`encode`], given the trade's notional value ([`super::stats::notional`]).
fn encode_with(trade: &Trade, analysis: &TradeAnalysis, notional: Option<Decimal>) -> Vec<u8> {
    let kept = Kept {
        symbol: &trade.symbol,
        side: trade.side,
        multiplier: Exact::of(trade.multiplier),
        currency: &trade.currency,
        rate: Exact::of(trade.rate),
        stops_known: trade.stops_known,
        account: &trade.account,
        setup: &trade.setup,
        market_condition: trade.market_condition,
        opened_at: analysis.opened_at.as_ref().map(at_of),
        closed_at: analysis.closed_at.as_ref().map(at_of),
        open_qty: Exact::of(analysis.open_qty),
        avg_entry: analysis.avg_entry.map(Exact::of),
        gross_pnl: Exact::of(analysis.gross_pnl),
        fees: Exact::of(analysis.fees),
        net_pnl: Exact::of(analysis.net_pnl),
        initial_risk: analysis.initial_risk.map(Exact::of),
        r_multiple: analysis.r_multiple.map(Exact::of),
        adds: analysis.adds,
        partial_exits: analysis.partial_exits,
        score: analysis.score,
        violations: analysis
            .violations
            .iter()
            .map(|v| KeptViolation {
                rule: v.rule.index() as u8,
                event: v.event as u32,
                at: at_of(&v.at),
            })
            .collect(),
        scale_out: analysis.scale_out.as_ref().map(|s| KeptScaleOut {
            actual: Exact::of(s.actual),
            held_to_last_exit: Exact::of(s.held_to_last_exit),
            all_out_at_first_exit: Exact::of(s.all_out_at_first_exit),
            effect: Exact::of(s.effect),
            verdict: VERDICTS.iter().position(|&v| v == s.verdict).unwrap_or(2) as u8,
        }),
        stops_judged: analysis.stops_judged,
        notional: notional.map(Exact::of),
    };
    // Serializing into a growing vector fails only when memory runs out,
    // which aborts the program before this could see it. The vector starts
    // at about the size most analyses take, rather than growing to it.
    postcard::serialize_with_flavor(&kept, Bytes(Vec::with_capacity(ENCODED_SIZE)))
        .unwrap_or_default()
}

/// Postcard's output as a growing vector, short runs a byte at a time: a
/// kept analysis is mostly varints of a byte or two, for which copying a
/// slice (as postcard's own vector output does) costs a call each, while
/// its texts (a sentence is dozens of bytes) are copied whole.
struct Bytes(Vec<u8>);

/// The longest run [`Bytes`] pushes a byte at a time: a varint of a figure.
const PUSHED_BYTE_BY_BYTE: usize = 8;

impl postcard::ser_flavors::Flavor for Bytes {
    type Output = Vec<u8>;

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        if bytes.len() <= PUSHED_BYTE_BY_BYTE {
            bytes.iter().for_each(|&byte| self.0.push(byte));
        } else {
            self.0.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<Vec<u8>> {
        Ok(self.0)
    }
}

/// About the bytes [`encode`] writes for a trade with a violation or two.
const ENCODED_SIZE: usize = 128;

/// The trade's details and analysis kept as `bytes` (by [`encode`]),
/// without violation sentences; `None` for bytes [`encode`] did not write.
pub fn decode(bytes: &[u8]) -> Option<KeptAnalysis> {
    let mut kept = KeptAnalysis::blank();
    decode_into(bytes, &mut kept).then_some(kept)
}

/// [`decode`] into `slot`, reusing what it holds: a reader of many kept
/// analyses allocates nothing per trade but the violations it decodes.
/// Every part of `slot` that [`decode`] sets is overwritten; its tags,
/// notes and events are left as they were. False (and `slot` in any
/// state) for bytes [`encode`] did not write.
pub fn decode_into(bytes: &[u8], slot: &mut KeptAnalysis) -> bool {
    decode_parts(bytes, slot).is_some()
}

fn decode_parts(bytes: &[u8], slot: &mut KeptAnalysis) -> Option<()> {
    let kept: Kept<'_> = postcard::from_bytes(bytes).ok()?;
    // A present value that does not decode fails the whole; an absent one is `None`.
    let optional = |value: &Option<Exact>| match value {
        None => Some(None),
        Some(exact) => exact.value().map(Some),
    };
    let time = |at: &Option<At>| match at {
        None => Some(None),
        Some(at) => time_of(at).map(Some),
    };
    let analysis = &mut slot.analysis;
    analysis.violations.clear();
    for v in &kept.violations {
        analysis.violations.push(Violation {
            rule: *Rule::EVERY.get(usize::from(v.rule))?,
            event: v.event as usize,
            at: time_of(&v.at)?,
            message: String::new(),
        });
    }
    analysis.scale_out = match &kept.scale_out {
        None => None,
        Some(s) => Some(ScaleOut {
            actual: s.actual.value()?,
            held_to_last_exit: s.held_to_last_exit.value()?,
            all_out_at_first_exit: s.all_out_at_first_exit.value()?,
            effect: s.effect.value()?,
            verdict: *VERDICTS.get(usize::from(s.verdict))?,
        }),
    };
    analysis.opened_at = time(&kept.opened_at)?;
    analysis.closed_at = time(&kept.closed_at)?;
    analysis.open_qty = kept.open_qty.value()?;
    analysis.avg_entry = optional(&kept.avg_entry)?;
    analysis.gross_pnl = kept.gross_pnl.value()?;
    analysis.fees = kept.fees.value()?;
    analysis.net_pnl = kept.net_pnl.value()?;
    analysis.initial_risk = optional(&kept.initial_risk)?;
    analysis.r_multiple = optional(&kept.r_multiple)?;
    analysis.adds = kept.adds;
    analysis.partial_exits = kept.partial_exits;
    analysis.score = kept.score;
    analysis.stops_judged = kept.stops_judged;
    let trade = &mut slot.trade;
    let set = |text: &mut String, kept: &str| {
        text.clear();
        text.push_str(kept);
    };
    set(&mut trade.symbol, kept.symbol);
    trade.side = kept.side;
    trade.multiplier = kept.multiplier.value()?;
    set(&mut trade.currency, kept.currency);
    trade.rate = kept.rate.value()?;
    trade.stops_known = kept.stops_known;
    set(&mut trade.account, kept.account);
    set(&mut trade.setup, kept.setup);
    trade.market_condition = kept.market_condition;
    slot.notional = optional(&kept.notional)?;
    Some(())
}

impl KeptAnalysis {
    /// A slot to [`decode_into`]: a trade with no details and an empty analysis.
    pub fn blank() -> KeptAnalysis {
        KeptAnalysis {
            trade: Trade::new(String::new(), Side::Long),
            analysis: TradeAnalysis {
                opened_at: None,
                closed_at: None,
                open_qty: Decimal::ZERO,
                avg_entry: None,
                gross_pnl: Decimal::ZERO,
                fees: Decimal::ZERO,
                net_pnl: Decimal::ZERO,
                initial_risk: None,
                r_multiple: None,
                adds: 0,
                partial_exits: 0,
                violations: Vec::new(),
                score: 0,
                scale_out: None,
                stops_judged: false,
            },
            notional: None,
        }
    }
}

/// What `trades --json` shows beside `analysis` (made with its sentences,
/// [`super::Messages::Write`]) as bytes to keep: the violations' sentences
/// and the trade's disciplined `twin`.
pub fn encode_shown(analysis: &TradeAnalysis, twin: &TwinFigures) -> Vec<u8> {
    let shown = Shown {
        sentences: analysis
            .violations
            .iter()
            .map(|v| v.message.clone())
            .collect(),
        // A twin that leaves nothing out has the trade's own figures.
        twin: (!twin.removed_adds.is_empty()).then(|| KeptTwin {
            net_pnl: Exact::of(twin.net_pnl),
            r_multiple: twin.r_multiple.map(Exact::of),
            cost: Exact::of(twin.cost),
            removed_adds: twin.removed_adds.iter().map(|&i| i as u32).collect(),
        }),
    };
    // As in `encode`: serializing into a growing vector does not fail.
    postcard::serialize_with_flavor(&shown, Bytes(Vec::with_capacity(ENCODED_SIZE)))
        .unwrap_or_default()
}

/// Gives `analysis` (decoded from the same row) the sentences kept as
/// `bytes` (by [`encode_shown`]) and returns the twin's figures; `None`
/// for bytes [`encode_shown`] did not write for this analysis.
pub fn decode_shown(bytes: &[u8], analysis: &mut TradeAnalysis) -> Option<TwinFigures> {
    let shown: Shown = postcard::from_bytes(bytes).ok()?;
    if shown.sentences.len() != analysis.violations.len() {
        return None;
    }
    for (violation, sentence) in analysis.violations.iter_mut().zip(shown.sentences) {
        violation.message = sentence;
    }
    match shown.twin {
        None => Some(TwinFigures::unchanged(analysis)),
        Some(twin) => Some(TwinFigures {
            net_pnl: twin.net_pnl.value()?,
            r_multiple: match twin.r_multiple {
                None => None,
                Some(r) => Some(r.value()?),
            },
            cost: twin.cost.value()?,
            removed_adds: twin.removed_adds.iter().map(|&i| i as usize).collect(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::{Messages, analyze_with};
    use crate::domain::Playbook;

    #[test]
    fn the_code_is_fingerprinted_when_the_program_is_built_as_at_run_time() {
        let fingerprint = |texts: &[&str]| {
            let mut hasher = fnv::FnvHasher::default();
            for text in texts {
                hasher.write(&(text.len() as u64).to_le_bytes());
                hasher.write(text.as_bytes());
            }
            hasher.finish()
        };
        let mut analysis = vec![env!("CARGO_PKG_VERSION")];
        analysis.extend(ANALYSIS_CODE);
        assert_eq!(fingerprint(&analysis), ANALYSIS_CODE_STATE);
        assert_eq!(fingerprint(STATS_CODE), STATS_CODE_STATE);
        assert_ne!(ANALYSIS_CODE_STATE, STATS_CODE_STATE);
        let settings = RuleSettings::default();
        assert_ne!(Basis::of(&settings), Basis::of(&strict_settings()));
        assert_ne!(Basis::of_stats(&settings), Basis::of(&settings));
        assert_ne!(
            Basis::of_stats(&settings),
            Basis::of_stats(&strict_settings())
        );
    }

    /// Settings under which the generated trades break every rule, the
    /// playbook rules included.
    fn strict_settings() -> RuleSettings {
        let mut settings = RuleSettings::default();
        for setup in ["breakout", "pullback", "reversal", ""] {
            let mut playbook = Playbook::new(setup);
            playbook.max_adds = Some(0);
            playbook.conditions = vec![MarketCondition::Unknown];
            settings.playbooks.push(playbook);
        }
        settings
    }

    #[test]
    fn an_analysis_comes_back_exactly_without_its_sentences() {
        let settings = strict_settings();
        let mut rules_seen = std::collections::BTreeSet::new();
        for (_, trade) in crate::analysis::generate::journal(2_000, 7) {
            let analysis = analyze_with(&trade, &settings, Messages::Skip);
            rules_seen.extend(analysis.violations.iter().map(|v| v.rule));
            let kept = decode(&encode(&trade, &analysis)).expect("decodes");
            assert_eq!(kept.analysis, analysis);
            assert_eq!(kept.notional, super::super::stats::notional(&trade));
            let mut details = trade.clone();
            details.notes.clear();
            details.tags.clear();
            details.events.clear();
            assert_eq!(kept.trade, details);
        }
        // Every rule went through, the playbook rules included.
        assert!(rules_seen.contains(&Rule::TooManyAdds), "{rules_seen:?}");
        assert!(rules_seen.len() >= 6, "{rules_seen:?}");
    }

    #[test]
    fn one_slot_decodes_trade_after_trade_as_if_each_were_alone() {
        let settings = strict_settings();
        let mut slot = KeptAnalysis::blank();
        // Generated trades differ in every part: open and closed, with and
        // without scale-outs, violations, risks, setups and accounts.
        for (_, trade) in crate::analysis::generate::journal(500, 11) {
            let bytes = encode(&trade, &analyze_with(&trade, &settings, Messages::Skip));
            assert!(decode_into(&bytes, &mut slot));
            assert_eq!(Some(&slot), decode(&bytes).as_ref());
        }
    }

    #[test]
    fn what_is_shown_comes_back_exactly() {
        let settings = strict_settings();
        let (mut sentences, mut removed) = (0, 0);
        for (_, trade) in crate::analysis::generate::journal(2_000, 11) {
            let analysis = crate::analysis::analyze(&trade, &settings);
            let twin = crate::analysis::twin::twin(&trade, &analysis).figures();
            let mut kept = decode(&encode(&trade, &analysis)).expect("decodes");
            let shown = encode_shown(&analysis, &twin);
            assert_eq!(decode_shown(&shown, &mut kept.analysis), Some(twin.clone()));
            assert_eq!(kept.analysis, analysis);
            sentences += analysis.violations.len();
            removed += usize::from(!twin.removed_adds.is_empty());
            // Bytes cut short, or of another analysis, give nothing.
            for cut in [0, shown.len() / 2, shown.len() - 1] {
                let mut again = decode(&encode(&trade, &analysis)).expect("decodes");
                assert_eq!(decode_shown(&shown[..cut], &mut again.analysis), None);
            }
            if !analysis.violations.is_empty() {
                let mut fewer = kept.analysis.clone();
                fewer.violations.pop();
                assert_eq!(decode_shown(&shown, &mut fewer), None);
            }
        }
        assert!(sentences > 100 && removed > 10, "{sentences} {removed}");
    }

    #[test]
    fn bytes_it_did_not_write_give_nothing() {
        let (_, trade) = crate::analysis::generate::journal(1, 3).remove(0);
        let bytes = encode(
            &trade,
            &analyze_with(&trade, &RuleSettings::default(), Messages::Skip),
        );
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        assert_eq!(decode(&[0xff; 40]), None);
    }

    #[test]
    fn the_basis_changes_with_the_weights_the_tolerance_and_the_playbooks() {
        let settings = RuleSettings::default();
        let basis = Basis::of(&settings);
        assert_eq!(Basis::of(&settings.clone()), basis);
        let mut weights = settings.clone();
        weights.weights[0] += 1;
        let mut tolerance = settings.clone();
        tolerance.risk_tolerance = Decimal::new(1, 1);
        let mut playbook = settings.clone();
        playbook.playbooks.push(Playbook::new("breakout"));
        let mut limited = playbook.clone();
        limited.playbooks[0].max_adds = Some(1);
        let all = [weights, tolerance, playbook, limited].map(|s| Basis::of(&s));
        for (i, a) in all.iter().enumerate() {
            assert_ne!(*a, basis);
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
