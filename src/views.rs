//! What the command line prints about trades, as plain serializable values.
//!
//! [`TradeView`] is one element of `tranche trades --json`, the contract that
//! outside checks read: money as exact decimal strings, ratios and R-multiples
//! as strings rounded to 4 places, times in RFC 3339 with their offset, event
//! numbers 1-based in the trade's time-ordered events.

use serde::{Deserialize, Serialize};

use crate::analysis::excursion::Excursion;
use crate::analysis::format::{exact, ratio};
use crate::analysis::twin::{Twin, twin};
use crate::analysis::{STOPS_NOT_JUDGED, ScaleOut, TradeAnalysis, Violation};
use crate::domain::{Trade, TradeId};
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

/// Writes views as JSON by hand, with the bytes serde_json's pretty printer
/// gives them (two spaces per level): the keys are written as they are, and
/// only text that may need it is escaped. `tranche trades --json` writes a
/// few hundred bytes per trade this way, several times faster than through
/// serde; the serde form stays the reference (see the tests).
struct PrettyJson<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    /// Whether the object or array being written has no member yet.
    empty: bool,
}

impl PrettyJson<'_> {
    fn new_line(&mut self) {
        self.out
            .extend_from_slice(if self.empty { b"\n" } else { b",\n" });
        self.out.resize(self.out.len() + self.depth * 2, b' ');
        self.empty = false;
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        self.empty = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if !self.empty {
            self.out.push(b'\n');
            self.out.resize(self.out.len() + self.depth * 2, b' ');
        }
        self.out.push(bracket);
        // The object or array closed is a member of the one around it.
        self.empty = false;
    }

    fn key(&mut self, key: &str) {
        self.new_line();
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\": ");
    }

    fn text(&mut self, value: &str) {
        let plain = value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        if plain {
            self.out.push(b'"');
            self.out.extend_from_slice(value.as_bytes());
            self.out.push(b'"');
        } else {
            // Writing a string to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *self.out, value);
        }
    }

    fn optional_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn number(&mut self, value: i64) {
        let mut digits = [0u8; 20];
        let mut n = value.unsigned_abs();
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if value < 0 {
            self.out.push(b'-');
        }
        self.out.extend_from_slice(&digits[at..]);
    }

    fn count(&mut self, value: usize) {
        self.number(i64::try_from(value).unwrap_or(i64::MAX));
    }

    fn boolean(&mut self, value: bool) {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn field_text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.text(value);
    }

    fn field_optional(&mut self, key: &str, value: Option<&str>) {
        self.key(key);
        self.optional_text(value);
    }
}

impl TradeView {
    /// Appends the view to `out` as an element of a pretty-printed JSON
    /// array at `depth` (its separator, unless `first`, its indent, and the
    /// object): the bytes serde_json's pretty printer writes for it there.
    pub fn write_json_element(&self, out: &mut Vec<u8>, depth: usize, first: bool) {
        let mut json = PrettyJson {
            out,
            depth,
            empty: first,
        };
        json.new_line();
        json.open(b'{');
        json.key("id");
        json.number(self.id);
        json.field_text("symbol", &self.symbol);
        json.field_text("side", &self.side);
        json.field_text("currency", &self.currency);
        if let Some(rate) = &self.rate {
            json.field_text("rate", rate);
        }
        json.field_optional("opened_at", self.opened_at.as_deref());
        json.field_optional("closed_at", self.closed_at.as_deref());
        json.field_text("open_qty", &self.open_qty);
        json.field_optional("avg_entry", self.avg_entry.as_deref());
        json.field_text("gross_pnl", &self.gross_pnl);
        json.field_text("fees", &self.fees);
        json.field_text("net_pnl", &self.net_pnl);
        json.field_optional("initial_risk", self.initial_risk.as_deref());
        json.field_optional("r_multiple", self.r_multiple.as_deref());
        json.key("adds");
        json.number(i64::from(self.adds));
        json.key("partial_exits");
        json.number(i64::from(self.partial_exits));
        json.key("score");
        json.number(i64::from(self.score));
        json.key("violations");
        json.open(b'[');
        for violation in &self.violations {
            json.new_line();
            json.open(b'{');
            json.field_text("rule", &violation.rule);
            json.key("event");
            json.count(violation.event);
            json.field_text("at", &violation.at);
            json.field_text("message", &violation.message);
            json.close(b'}');
        }
        json.close(b']');
        json.key("stops_judged");
        json.boolean(self.stops_judged);
        if let Some(not_judged) = &self.not_judged {
            json.field_text("not_judged", not_judged);
        }
        json.key("scale_out");
        match &self.scale_out {
            None => json.optional_text(None),
            Some(s) => {
                json.open(b'{');
                json.field_text("actual", &s.actual);
                json.field_text("held_to_last_exit", &s.held_to_last_exit);
                json.field_text("all_out_at_first_exit", &s.all_out_at_first_exit);
                json.field_text("effect", &s.effect);
                json.field_text("verdict", &s.verdict);
                json.close(b'}');
            }
        }
        json.key("twin");
        json.open(b'{');
        json.field_text("net_pnl", &self.twin.net_pnl);
        json.field_optional("r_multiple", self.twin.r_multiple.as_deref());
        json.field_text("cost", &self.twin.cost);
        json.key("removed_adds");
        json.open(b'[');
        for &add in &self.twin.removed_adds {
            json.new_line();
            json.count(add);
        }
        json.close(b']');
        json.close(b'}');
        json.key("excursion");
        match &self.excursion {
            None => json.optional_text(None),
            Some(x) => {
                json.open(b'{');
                json.field_text("mfe", &x.mfe);
                json.field_text("mae", &x.mae);
                json.field_optional("mfe_r", x.mfe_r.as_deref());
                json.field_optional("mae_r", x.mae_r.as_deref());
                json.key("exits");
                json.open(b'[');
                for exit in &x.exits {
                    json.new_line();
                    json.open(b'{');
                    json.key("event");
                    json.count(exit.event);
                    json.field_optional("left", exit.left.as_deref());
                    json.field_optional("saved", exit.saved.as_deref());
                    json.close(b'}');
                }
                json.close(b']');
                json.close(b'}');
            }
        }
        json.close(b'}');
    }
}
