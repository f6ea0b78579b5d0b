//! A journal in several currencies, with a trade whose stops are not known:
//! the report's total net P&L per currency and main currency, the count of
//! trades not judged, and how `tranche show` and `tranche report` say so.

use std::process::Command;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::stats::{Filter, JournalStats, analyze_all, journal_stats, pair};
use tranche::analysis::{Messages, RuleSettings, STOPS_NOT_JUDGED};
use tranche::domain::{Event, Side, Trade, TradeId};
use tranche::storage::Journal;

use crate::helpers::{t, worked_example};

/// A forex trade: `lots` of 100,000 from `open` to `close`, money in `currency`.
pub fn fx(
    symbol: &str,
    side: Side,
    currency: &str,
    day: u32,
    lots: Decimal,
    open: Decimal,
    close: Decimal,
) -> Trade {
    let mut trade = Trade::new(symbol, side);
    trade.multiplier = dec!(100000);
    trade.currency = currency.to_owned();
    let at = |hour: u32| t(&format!("2024-05-{day:02}T{hour:02}:00:00+00:00"));
    // A stop 1% away, at the entry price's places (two at least).
    let stop = match side {
        Side::Long => open * dec!(0.99),
        Side::Short => open * dec!(1.01),
    }
    .round_dp(open.scale().max(2));
    trade.events = vec![
        Event::stop(at(8), stop),
        Event::entry(at(8), lots, open, Decimal::ZERO),
        Event::exit(at(12), lots, close, Decimal::ZERO),
    ];
    trade
}

/// A trade as a statement that shows only the stop at the close gives it:
/// GBPUSD, one lot long from 1.27053 to 1.27353, the stop known only at the close.
pub fn not_judged() -> Trade {
    let mut trade = Trade::new("GBPUSD", Side::Long);
    trade.multiplier = dec!(100000);
    trade.stops_known = false;
    trade.events = vec![
        Event::entry(
            t("2024-05-20T08:00:00+00:00"),
            dec!(1),
            dec!(1.27053),
            Decimal::ZERO,
        ),
        Event::stop(t("2024-05-20T15:00:00+00:00"), dec!(1.27201)),
        Event::exit(
            t("2024-05-20T15:00:00+00:00"),
            dec!(1),
            dec!(1.27353),
            Decimal::ZERO,
        ),
    ];
    trade
}

/// Two closed trades in JPY (-32600 and +50000), one in USD (+3200, the
/// worked example), one open in EUR, and the GBPUSD trade not judged (+300 USD).
pub fn journal() -> Vec<Trade> {
    let mut open = fx(
        "EURCHF",
        Side::Long,
        "EUR",
        21,
        dec!(1),
        dec!(0.98),
        dec!(0.99),
    );
    open.events.pop();
    vec![
        worked_example(),
        fx(
            "USDJPY",
            Side::Short,
            "JPY",
            2,
            dec!(2),
            dec!(107.337),
            dec!(107.5),
        ),
        fx(
            "USDJPY",
            Side::Long,
            "JPY",
            3,
            dec!(1),
            dec!(107.5),
            dec!(108),
        ),
        open,
        not_judged(),
    ]
}

fn stats_of(trades: Vec<Trade>) -> JournalStats {
    let trades: Vec<(TradeId, Trade)> = trades
        .into_iter()
        .enumerate()
        .map(|(i, t)| (TradeId(i as i64 + 1), t))
        .collect();
    for (_, trade) in &trades {
        trade.validate().expect("a valid trade");
    }
    let settings = RuleSettings::default();
    let analyses = analyze_all(&trades, &settings, Messages::Skip);
    journal_stats(&pair(&trades, &analyses), &Filter::default(), &settings)
}

#[test]
fn the_report_gives_the_total_net_pnl_per_currency_and_the_main_currency() {
    let json = tranche::report::report_json(&stats_of(journal()));
    let performance = &json["performance"];
    // Closed trades only: the open EUR trade has booked nothing.
    assert_eq!(
        performance["net_pnl"],
        serde_json::json!({"JPY": "17400", "USD": "3500"})
    );
    // JPY has two closed trades, USD two as well (the worked example and
    // GBPUSD): the tie goes to the larger absolute total, JPY's 17400.
    assert_eq!(performance["main_currency"], "JPY");
    // The fields that were there keep their values.
    assert_eq!(
        performance["expectancy"],
        serde_json::json!({"JPY": "8700", "USD": "1750"})
    );
    assert_eq!(performance["wins"], 3);
    assert_eq!(performance["losses"], 1);

    let text = tranche::report::report_text(&stats_of(journal()));
    assert!(
        text.contains("net P&L        17,400 JPY, 3,500.00 USD"),
        "{text}"
    );
    assert!(text.contains("main currency  JPY"), "{text}");
}

#[test]
fn the_main_currency_is_the_one_with_the_most_closed_trades_then_the_larger_total_then_the_name() {
    let usd = |close: Decimal| fx("EURUSD", Side::Long, "USD", 2, dec!(1), dec!(1), close);
    let eur = |close: Decimal| fx("EURGBP", Side::Long, "EUR", 3, dec!(1), dec!(1), close);
    let main = |trades: Vec<Trade>| stats_of(trades).performance.main_currency;
    // Most closed trades, even with a smaller total.
    assert_eq!(
        main(vec![usd(dec!(1.001)), usd(dec!(1.001)), eur(dec!(1.1))]),
        Some("USD".to_owned())
    );
    // A tie in trades: the larger absolute total, a loss counting as much as a gain.
    assert_eq!(
        main(vec![usd(dec!(1.001)), eur(dec!(0.99))]),
        Some("EUR".to_owned())
    );
    // A tie in both: the name.
    assert_eq!(
        main(vec![usd(dec!(1.001)), eur(dec!(1.001))]),
        Some("EUR".to_owned())
    );
    assert_eq!(main(Vec::new()), None);
}

#[test]
fn trades_not_judged_are_counted_and_never_clean() {
    let stats = stats_of(journal());
    let adherence = &stats.adherence;
    assert_eq!(adherence.stops_not_judged, 1);
    // Every other trade kept every rule; GBPUSD broke none but was not judged.
    assert_eq!(adherence.clean_trades, 4);
    assert_eq!(adherence.clean.trades, 4);
    assert!(adherence.violations_by_rule.is_empty());
    // And no R for it: three closed trades with an R (worked example, two USDJPY).
    assert_eq!(stats.performance.r_trades, 3);

    let json = tranche::report::report_json(&stats);
    assert_eq!(json["adherence"]["stops_not_judged"], 1);
    assert_eq!(json["adherence"]["clean_trades"], 4);
    let text = tranche::report::report_text(&stats);
    assert!(text.contains("stops not judged 1"), "{text}");
}

fn tranche(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tranche"))
        .env_remove("TRANCHE_JOURNAL")
        .args(args)
        .output()
        .expect("run tranche");
    assert!(
        output.status.success(),
        "tranche failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn show_and_report_on_the_command_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("j.sqlite");
    let ids = Journal::open(&path)
        .expect("journal")
        .insert_trades(&journal(), &mut |_, _| {})
        .expect("inserted");
    let j = path.to_str().expect("UTF-8 path");

    let json: serde_json::Value =
        serde_json::from_str(&tranche(&["--journal", j, "report", "--json"])).expect("JSON");
    assert_eq!(
        json["performance"]["net_pnl"],
        serde_json::json!({"JPY": "17400", "USD": "3500"})
    );
    assert_eq!(json["performance"]["main_currency"], "JPY");
    assert_eq!(json["adherence"]["stops_not_judged"], 1);

    // The trade not judged says so, and why; its prices keep their five places.
    let gbpusd = ids[4].to_string();
    let shown = tranche(&["--journal", j, "show", &gbpusd]);
    assert!(shown.contains(STOPS_NOT_JUDGED), "{shown}");
    assert!(shown.contains("Initial stop not known"), "{shown}");
    assert!(shown.contains("1.27053"), "{shown}");
    // A trade whose stops are known does not.
    let worked = tranche(&["--journal", j, "show", &ids[0].to_string()]);
    assert!(!worked.contains("not judged"), "{worked}");
    // USDJPY's average entry at three places, not two.
    let usdjpy = tranche(&["--journal", j, "show", &ids[1].to_string()]);
    assert!(usdjpy.contains("107.337"), "{usdjpy}");
}
