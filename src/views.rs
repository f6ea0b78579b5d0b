//! What the command line prints about trades, as plain serializable values.
//!
//! [`TradeView`] is one element of `tranche trades --json`, the contract that
//! outside checks read: money as exact decimal strings, ratios and R-multiples
//! as strings rounded to 4 places, times in RFC 3339 with their offset, event
//! numbers 1-based in the trade's time-ordered events.

use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::analysis::excursion::{Excursion, ExitExcursion};
use crate::analysis::format::{exact, exact_value, ratio, ratio_value};
use crate::analysis::twin::{Twin, TwinFigures, twin};
use crate::analysis::{STOPS_NOT_JUDGED, ScaleOut, TradeAnalysis, Violation};
use crate::domain::{DecimalBuffer, Trade, TradeId};
use crate::interchange::format_time;

/// One trade with its analysis, as `tranche trades --json` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeView {
    /// The trade's id in the journal.
    pub id: i64,
    /// The instrument.
    pub symbol: String,
    /// `long` or `short`.
    pub side: String,
    /// The currency of the trade's money (for an imported trade, the account's).
    pub currency: String,
    /// Units of `currency` per unit of the price currency, where one is set
    /// (not 1); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<String>,
    /// Time of the initial entry.
    pub opened_at: Option<String>,
    /// Time of the closing exit; `null` while open.
    pub closed_at: Option<String>,
    /// Quantity still open.
    pub open_qty: String,
    /// Average entry price (see [`TradeAnalysis::avg_entry`]).
    pub avg_entry: Option<String>,
    /// Realized gross P&L.
    pub gross_pnl: String,
    /// Fees paid.
    pub fees: String,
    /// Gross P&L minus fees.
    pub net_pnl: String,
    /// Initial risk; `null` without an initial stop.
    pub initial_risk: Option<String>,
    /// Net P&L over initial risk, 4 places; `null` without an initial risk.
    pub r_multiple: Option<String>,
    /// Number of adds.
    pub adds: u32,
    /// Number of partial exits.
    pub partial_exits: u32,
    /// Adherence score, 0 to 100.
    pub score: u32,
    /// Every rule broken.
    pub violations: Vec<ViolationView>,
    /// Whether the rules that read the stop history were judged: false when
    /// the stop at the initial entry is not known.
    pub stops_judged: bool,
    /// Why the stop rules were not judged; absent when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_judged: Option<String>,
    /// What scaling out did, for trades with two exits or more.
    pub scale_out: Option<ScaleOutView>,
    /// The trade without its broken adds.
    pub twin: TwinView,
    /// The trade measured against the journal's price bars; `null` without
    /// bars that span it.
    #[serde(default)]
    pub excursion: Option<ExcursionView>,
}

/// The disciplined twin, as written in [`TradeView::twin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwinView {
    /// The twin's net P&L.
    pub net_pnl: String,
    /// The twin's net P&L over the trade's initial risk, 4 places; `null` without R.
    pub r_multiple: Option<String>,
    /// The cost of the broken adds: the trade's net P&L minus the twin's.
    pub cost: String,
    /// The 1-based numbers of the adds the twin leaves out.
    pub removed_adds: Vec<usize>,
}

impl TwinView {
    /// The view of a twin.
    pub fn new(twin: &Twin) -> Self {
        TwinView {
            net_pnl: exact(twin.net_pnl),
            r_multiple: twin.r_multiple.map(ratio),
            cost: exact(twin.cost),
            removed_adds: twin.removed_adds.iter().map(|i| i + 1).collect(),
        }
    }
}

/// A trade against the market's bars, as written in [`TradeView::excursion`]
/// (RULES.md, "With price bars"): decimal strings, R figures to 4 places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcursionView {
    /// Maximum favourable excursion per unit, in price.
    pub mfe: String,
    /// Maximum adverse excursion per unit, in price (zero or less).
    pub mae: String,
    /// MFE in R; `null` without a known initial stop.
    pub mfe_r: Option<String>,
    /// MAE in R; `null` without a known initial stop.
    pub mae_r: Option<String>,
    /// Each exit but the final one: what the price did after it.
    pub exits: Vec<ExitExcursionView>,
}

/// What the price did after one partial exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitExcursionView {
    /// The 1-based number of the exit event.
    pub event: usize,
    /// The most that scale-out capped, in the trade's money; `null` without bars after it.
    pub left: Option<String>,
    /// The most that scale-out protected, in the trade's money; `null` without bars after it.
    pub saved: Option<String>,
}

impl ExcursionView {
    /// The view of an excursion.
    pub fn new(x: &Excursion) -> Self {
        ExcursionView {
            mfe: exact(x.mfe),
            mae: exact(x.mae),
            mfe_r: x.mfe_r.map(ratio),
            mae_r: x.mae_r.map(ratio),
            exits: x
                .exits
                .iter()
                .map(|e| ExitExcursionView {
                    event: e.event + 1,
                    left: e.left.map(exact),
                    saved: e.saved.map(exact),
                })
                .collect(),
        }
    }
}

/// A rule broken, as written in [`TradeView::violations`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationView {
    /// The rule's stable id.
    pub rule: String,
    /// The 1-based number of the event that broke it.
    pub event: usize,
    /// That event's time.
    pub at: String,
    /// The violation in words.
    pub message: String,
}

/// Scale-out counterfactuals, as written in [`TradeView::scale_out`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleOutView {
    /// Actual gross P&L.
    pub actual: String,
    /// Gross P&L had everything been held to the last exit.
    pub held_to_last_exit: String,
    /// Gross P&L had everything been sold at the first exit.
    pub all_out_at_first_exit: String,
    /// Actual minus held-to-last-exit.
    pub effect: String,
    /// `protected`, `capped` or `neutral`.
    pub verdict: String,
}

impl TradeView {
    /// The view of trade `id` and its analysis.
    pub fn new(id: TradeId, trade: &Trade, analysis: &TradeAnalysis) -> Self {
        TradeView {
            id: id.0,
            symbol: trade.symbol.clone(),
            side: trade.side.as_str().to_owned(),
            currency: trade.currency.clone(),
            rate: (trade.rate != rust_decimal::Decimal::ONE).then(|| exact(trade.rate)),
            opened_at: analysis.opened_at.as_ref().map(format_time),
            closed_at: analysis.closed_at.as_ref().map(format_time),
            open_qty: exact(analysis.open_qty),
            avg_entry: analysis.avg_entry.map(exact),
            gross_pnl: exact(analysis.gross_pnl),
            fees: exact(analysis.fees),
            net_pnl: exact(analysis.net_pnl),
            initial_risk: analysis.initial_risk.map(exact),
            r_multiple: analysis.r_multiple.map(ratio),
            adds: analysis.adds,
            partial_exits: analysis.partial_exits,
            score: analysis.score,
            violations: analysis.violations.iter().map(ViolationView::new).collect(),
            stops_judged: analysis.stops_judged,
            not_judged: (!analysis.stops_judged).then(|| STOPS_NOT_JUDGED.to_owned()),
            scale_out: analysis.scale_out.as_ref().map(ScaleOutView::new),
            twin: TwinView::new(&twin(trade, analysis)),
            excursion: None,
        }
    }

    /// The same view with the trade's excursion against the bars.
    pub fn with_excursion(mut self, excursion: Option<&Excursion>) -> Self {
        self.excursion = excursion.map(ExcursionView::new);
        self
    }
}

impl ViolationView {
    /// The view of one violation.
    pub fn new(violation: &Violation) -> Self {
        ViolationView {
            rule: violation.rule.id().to_owned(),
            event: violation.event + 1,
            at: format_time(&violation.at),
            message: violation.message.clone(),
        }
    }
}

impl ScaleOutView {
    /// The view of the scale-out counterfactuals.
    pub fn new(scale_out: &ScaleOut) -> Self {
        ScaleOutView {
            actual: exact(scale_out.actual),
            held_to_last_exit: exact(scale_out.held_to_last_exit),
            all_out_at_first_exit: exact(scale_out.all_out_at_first_exit),
            effect: exact(scale_out.effect),
            verdict: scale_out.verdict.as_str().to_owned(),
        }
    }
}

/// A figure written as [`exact`] writes it, without a string of its own:
/// rust_decimal serializes a decimal as the string its `Display` writes.
#[derive(Debug, Clone, Copy)]
struct Exact(Decimal);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_decimal(exact_value(self.0), serializer)
    }
}

/// Serializes `value` as rust_decimal does (the string its `Display`
/// writes), the text made without a `String` ([`DecimalBuffer`]).
fn serialize_decimal<S: Serializer>(value: Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    match DecimalBuffer::default().of(value) {
        Some(text) => serializer.serialize_str(text),
        None => Serialize::serialize(&value, serializer),
    }
}

/// A ratio written as [`ratio`] writes it, without a string of its own.
#[derive(Debug, Clone, Copy)]
struct Ratio(Decimal);

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_decimal(ratio_value(self.0), serializer)
    }
}

/// [`STOPS_NOT_JUDGED`], written as serde_json writes the string: it is
/// escaped once, by serde_json, and its JSON is copied into every trade that
/// needs it.
#[derive(Debug, Clone, Copy)]
struct NotJudged;

impl Serialize for NotJudged {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        static JSON: OnceLock<Option<Box<RawValue>>> = OnceLock::new();
        let json = JSON.get_or_init(|| serde_json::value::to_raw_value(STOPS_NOT_JUDGED).ok());
        match json {
            Some(json) => json.serialize(serializer),
            // Serializing a string to JSON does not fail; were it to, the
            // string is written as any other.
            None => serializer.serialize_str(STOPS_NOT_JUDGED),
        }
    }
}

/// Items serialized as a sequence, each made as it is written.
struct Each<I>(I);

impl<I> Serialize for Each<I>
where
    I: Iterator + Clone,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// [`TradeView`] as `tranche trades --json` writes it, borrowed from the
/// trade and its analysis: it serializes to exactly the bytes of the
/// [`TradeView`] of the same trade, without a string for every figure.
/// For writing only; [`TradeView`] is what the output reads back into.
#[derive(Serialize)]
pub struct TradeJson<'a> {
    id: i64,
    symbol: &'a str,
    side: &'static str,
    currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<Exact>,
    opened_at: Option<String>,
    closed_at: Option<String>,
    open_qty: Exact,
    avg_entry: Option<Exact>,
    gross_pnl: Exact,
    fees: Exact,
    net_pnl: Exact,
    initial_risk: Option<Exact>,
    r_multiple: Option<Ratio>,
    adds: u32,
    partial_exits: u32,
    score: u32,
    violations: Each<std::iter::Map<std::slice::Iter<'a, Violation>, ViolationFn<'a>>>,
    stops_judged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_judged: Option<NotJudged>,
    scale_out: Option<ScaleOutJson>,
    twin: TwinJson,
    excursion: Option<ExcursionJson<'a>>,
}

type ViolationFn<'a> = fn(&'a Violation) -> ViolationJson<'a>;

/// [`ViolationView`], borrowed.
#[derive(Serialize)]
struct ViolationJson<'a> {
    rule: &'static str,
    event: usize,
    at: String,
    message: &'a str,
}

impl<'a> ViolationJson<'a> {
    fn new(violation: &'a Violation) -> Self {
        ViolationJson {
            rule: violation.rule.id(),
            event: violation.event + 1,
            at: format_time(&violation.at),
            message: &violation.message,
        }
    }
}

/// [`ScaleOutView`], unwritten.
#[derive(Serialize)]
struct ScaleOutJson {
    actual: Exact,
    held_to_last_exit: Exact,
    all_out_at_first_exit: Exact,
    effect: Exact,
    verdict: &'static str,
}

/// [`TwinView`], unwritten.
#[derive(Serialize)]
struct TwinJson {
    net_pnl: Exact,
    r_multiple: Option<Ratio>,
    cost: Exact,
    removed_adds: Vec<usize>,
}

/// [`ExcursionView`], borrowed.
#[derive(Serialize)]
struct ExcursionJson<'a> {
    mfe: Exact,
    mae: Exact,
    mfe_r: Option<Ratio>,
    mae_r: Option<Ratio>,
    exits: Each<std::iter::Map<std::slice::Iter<'a, ExitExcursion>, ExitFn<'a>>>,
}

type ExitFn<'a> = fn(&'a ExitExcursion) -> ExitExcursionJson;

/// [`ExitExcursionView`], unwritten.
#[derive(Serialize)]
struct ExitExcursionJson {
    event: usize,
    left: Option<Exact>,
    saved: Option<Exact>,
}

impl<'a> TradeJson<'a> {
    /// The view of trade `id`, its analysis, its disciplined twin and its
    /// excursion against the bars, as [`TradeView::new`] and
    /// [`TradeView::with_excursion`] make it. `trade` needs only its
    /// details (symbol, side, currency, rate): the twin is given.
    pub fn new(
        id: TradeId,
        trade: &'a Trade,
        analysis: &'a TradeAnalysis,
        twin: TwinFigures,
        excursion: Option<&'a Excursion>,
    ) -> Self {
        TradeJson {
            id: id.0,
            symbol: &trade.symbol,
            side: trade.side.as_str(),
            currency: &trade.currency,
            rate: (trade.rate != Decimal::ONE).then_some(Exact(trade.rate)),
            opened_at: analysis.opened_at.as_ref().map(format_time),
            closed_at: analysis.closed_at.as_ref().map(format_time),
            open_qty: Exact(analysis.open_qty),
            avg_entry: analysis.avg_entry.map(Exact),
            gross_pnl: Exact(analysis.gross_pnl),
            fees: Exact(analysis.fees),
            net_pnl: Exact(analysis.net_pnl),
            initial_risk: analysis.initial_risk.map(Exact),
            r_multiple: analysis.r_multiple.map(Ratio),
            adds: analysis.adds,
            partial_exits: analysis.partial_exits,
            score: analysis.score,
            violations: Each(analysis.violations.iter().map(ViolationJson::new)),
            stops_judged: analysis.stops_judged,
            not_judged: (!analysis.stops_judged).then_some(NotJudged),
            scale_out: analysis.scale_out.as_ref().map(|s| ScaleOutJson {
                actual: Exact(s.actual),
                held_to_last_exit: Exact(s.held_to_last_exit),
                all_out_at_first_exit: Exact(s.all_out_at_first_exit),
                effect: Exact(s.effect),
                verdict: s.verdict.as_str(),
            }),
            twin: TwinJson {
                net_pnl: Exact(twin.net_pnl),
                r_multiple: twin.r_multiple.map(Ratio),
                cost: Exact(twin.cost),
                removed_adds: {
                    let mut removed = twin.removed_adds;
                    removed.iter_mut().for_each(|i| *i += 1);
                    removed
                },
            },
            excursion: excursion.map(|x| ExcursionJson {
                mfe: Exact(x.mfe),
                mae: Exact(x.mae),
                mfe_r: x.mfe_r.map(Ratio),
                mae_r: x.mae_r.map(Ratio),
                exits: Each(x.exits.iter().map(|e| ExitExcursionJson {
                    event: e.event + 1,
                    left: e.left.map(Exact),
                    saved: e.saved.map(Exact),
                })),
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decimals of every sign, scale and size, negative zero among them.
    fn decimals() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..=28, any::<bool>(), any::<bool>()).prop_map(
            |(mantissa, scale, negative, wide)| {
                let mut value = if wide {
                    // Up to 96 bits of mantissa.
                    Decimal::from_i128_with_scale(i128::from(mantissa) << 30, scale)
                } else {
                    Decimal::new(mantissa, scale)
                };
                value.set_sign_negative(negative);
                value
            },
        )
    }

    proptest! {
        #[test]
        fn figures_serialize_as_their_strings(value in decimals()) {
            prop_assert_eq!(
                serde_json::to_string(&Exact(value)).unwrap(),
                serde_json::to_string(&exact(value)).unwrap()
            );
            prop_assert_eq!(
                serde_json::to_string(&Ratio(value)).unwrap(),
                serde_json::to_string(&ratio(value)).unwrap()
            );
        }
    }

    #[test]
    fn negative_zero_and_the_longest_figures_serialize_as_their_strings() {
        let mut zero = Decimal::ZERO;
        zero.set_sign_negative(true);
        for value in [zero, Decimal::MAX, Decimal::MIN, Decimal::new(-1, 28)] {
            assert_eq!(
                serde_json::to_string(&Exact(value)).unwrap(),
                serde_json::to_string(&exact(value)).unwrap()
            );
            assert_eq!(
                serde_json::to_string(&Ratio(value)).unwrap(),
                serde_json::to_string(&ratio(value)).unwrap()
            );
        }
    }

    #[test]
    fn the_sentence_of_unknown_stops_serializes_as_its_string() {
        let mut bytes = Vec::new();
        let mut serializer = serde_json::Serializer::pretty(&mut bytes);
        NotJudged.serialize(&mut serializer).unwrap();
        assert_eq!(bytes, serde_json::to_vec(STOPS_NOT_JUDGED).unwrap());
    }
}
