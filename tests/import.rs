//! Import: every format on fixtures written for the project, grouping tables,
//! and properties (balance, P&L against cash flows, no panics on bad bytes).

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::analyze;
use tranche::domain::{EventKind, Side};
use tranche::import::group::{GroupOptions, group, split_fee};
use tranche::import::{
    ColumnMapping, Fill, FillSide, Format, Import, ImportOptions, ImportedTrade, InstrumentKind,
    StopOrder, detect, import, parse_as,
};

fn fixture(path: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/brokers");
    std::fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn new_york() -> ImportOptions {
    ImportOptions {
        tz: chrono_tz::America::New_York,
        ..ImportOptions::default()
    }
}

/// Imports a fixture, checking the detected format.
fn load(path: &str, format: Format) -> Import {
    let bytes = fixture(path);
    assert_eq!(detect(&bytes), Some(format), "{path}");
    import(&bytes, path, &new_york()).unwrap_or_else(|e| panic!("{e}"))
}

/// A trade in one line: account, symbol, side, multiplier, then its events.
fn describe(t: &ImportedTrade) -> String {
    let mut out = format!(
        "{} {} {} x{}{}{}:",
        t.trade.account,
        t.trade.symbol,
        t.trade.side,
        t.trade.multiplier.normalize(),
        if t.trade.rate == Decimal::ONE {
            String::new()
        } else {
            format!(" r{}", t.trade.rate.round_dp(6).normalize())
        },
        if t.open { " open" } else { "" }
    );
    for e in &t.trade.events {
        let at = e.at.format("%m-%d %H:%M:%S%z");
        let part = match e.kind {
            EventKind::Entry(f) => format!(
                " +{}@{} f{} {at};",
                f.qty.normalize(),
                f.price.normalize(),
                f.fee.normalize()
            ),
            EventKind::Exit(f) => format!(
                " -{}@{} f{} {at};",
                f.qty.normalize(),
                f.price.normalize(),
                f.fee.normalize()
            ),
            EventKind::Stop { price } => format!(" stop {} {at};", price.normalize()),
            EventKind::Target { price } => format!(" target {} {at};", price.normalize()),
        };
        out.push_str(&part);
    }
    out
}

fn describe_all(result: &Import) -> Vec<String> {
    result.trades().iter().map(describe).collect()
}

/// A trade's net P&L. A rate worked out from a broker's profit (a quotient
/// cut at 28 digits) leaves its money a few units of the 25th decimal off
/// the cent: nets are compared to 10 decimals.
fn net(t: &ImportedTrade) -> Decimal {
    analyze(&t.trade, &Default::default())
        .net_pnl
        .round_dp(10)
        .normalize()
}

/// Cash flows of a trade's events: what the account gained or paid.
fn cash_flows(t: &ImportedTrade) -> Decimal {
    let s = t.trade.side.sign();
    let m = t.trade.multiplier * t.trade.rate;
    t.trade
        .events
        .iter()
        .map(|e| match e.kind {
            EventKind::Entry(f) => -s * f.qty * f.price * m - f.fee,
            EventKind::Exit(f) => s * f.qty * f.price * m - f.fee,
            _ => Decimal::ZERO,
        })
        .sum()
}

/// Checks a fixture's trades (one line each) and their net P&L.
fn check(path: &str, format: Format, expected: &[(&str, Decimal)]) -> Import {
    let result = load(path, format);
    let got = describe_all(&result);
    let want: Vec<&str> = expected.iter().map(|(d, _)| *d).collect();
    assert_eq!(got, want, "{path}");
    for (t, (_, pnl)) in result.trades().iter().zip(expected) {
        assert_eq!(net(t), *pnl, "{path}: {}", describe(t));
        if !t.open {
            assert_eq!(cash_flows(t).round_dp(10), net(t), "{path}: cash flows");
        }
    }
    result
}

mod formats {
    use super::*;

    #[test]
    fn generic_csv_with_bom_crlf_extra_columns_and_blank_rows() {
        let result = check(
            "generic/fills.csv",
            Format::GenericCsv,
            &[
                (
                    "U1 AAPL long x1: +100@170 f1 03-15 09:30:00-0400; +50@171 f0.5 03-15 09:35:00-0400; -75@173 f0.75 03-15 10:00:00-0400; -75@172.5 f0.75 03-15 10:30:00-0400;",
                    dec!(359.5),
                ),
                (
                    "U1 TSLA short x1: +10@200 f1 03-15 11:00:00-0400; -10@195 f1 03-15 11:30:00-0400;",
                    dec!(48),
                ),
                (
                    "U1 ESZ4 long x50: +2@5000.25 f4.5 03-15 12:00:00-0400; -2@5003.75 f4.5 03-15 12:05:00-0400;",
                    dec!(341),
                ),
            ],
        );
        assert_eq!(result.fills.get(0).line, 2);
        assert_eq!(result.fills.get(0).exec_id.as_deref(), Some("E1"));
        assert_eq!(result.trades()[0].sources[0].key.0, "x:E1");
        assert!(result.warnings.is_empty());
    }

    #[test]
    fn generic_csv_signed_quantities_one_order_and_a_flip() {
        check(
            "generic/signed.csv",
            Format::GenericCsv,
            &[
                (
                    "default QQQ long x1: +50@10.04 f0.5 04-01 09:30:00-0400; -50@10.5 f0.5 04-01 10:00:00-0400;",
                    dec!(22),
                ),
                (
                    "default QQQ short x1: +100@10.5 f1 04-01 10:00:00-0400; -100@10.2 f1 04-01 10:30:00-0400;",
                    dec!(28),
                ),
            ],
        );
    }

    #[test]
    fn generic_csv_with_a_column_mapping() {
        let bytes = fixture("generic/mapped.csv");
        assert_eq!(detect(&bytes), None);
        let options = ImportOptions {
            column_mapping: Some(ColumnMapping {
                date: "When".into(),
                symbol: "What".into(),
                side: "Dir".into(),
                quantity: "How many".into(),
                price: "At".into(),
                fees: vec!["Cost".into()],
                ..ColumnMapping::default()
            }),
            ..new_york()
        };
        let result = import(&bytes, "mapped.csv", &options).unwrap();
        assert_eq!(result.format, Format::GenericCsv);
        assert_eq!(
            describe_all(&result),
            ["default SAP long x1 open: +10@180 f1 03-15 09:30:00-0400;"]
        );
    }

    #[test]
    fn ibkr_csv_wrappers_repeated_headers_orders_and_other_sections() {
        check(
            "ibkr/trades.csv",
            Format::IbkrFlexCsv,
            &[
                (
                    "U7654321 MSFT long x1: +200@400 f1 03-04 10:00:00-0500; -200@405 f1 03-04 11:00:00-0500;",
                    dec!(998),
                ),
                (
                    "U7654321 ESH4 short x50: +1@5100.25 f2.25 03-05 09:35:00-0500; -1@5090.25 f2.25 03-05 09:40:00-0500;",
                    dec!(495.5),
                ),
            ],
        );
    }

    #[test]
    fn ibkr_csv_header_and_data_descriptors_with_trade_date_and_time() {
        check(
            "ibkr/header_data.csv",
            Format::IbkrFlexCsv,
            &[(
                "U1 SPY 240419C00500000 long x100: +2@3.5 f1.3 04-10 10:15:00-0400; -2@4.25 f1.3 04-11 14:30:00-0400;",
                dec!(147.4),
            )],
        );
    }

    #[test]
    fn ibkr_xml_merges_executions_of_one_order_and_skips_orders_and_lots() {
        let result = check(
            "ibkr/flex.xml",
            Format::IbkrFlexXml,
            &[(
                "U7654321 NVDA long x1: +15@850.6 f1.5 03-04 09:31:00-0500; -15@870 f1.5 03-06 15:00:00-0500;",
                dec!(288),
            )],
        );
        assert_eq!(result.fills.len(), 3);
        let lines: Vec<usize> = result.trades()[0]
            .sources
            .iter()
            .filter(|s| s.event == 0)
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [6, 8]);
    }

    #[test]
    fn thinkorswim_trade_history_with_legs_fees_and_two_digit_years() {
        check(
            "thinkorswim/statement.csv",
            Format::Thinkorswim,
            &[
                (
                    "123456789 F long x1: +100@12.05 f0.65 03-04 09:45:12-0500; stop 11.9 03-04 09:46:03-0500; -100@12.3 f0.67 03-04 10:15:30-0500;",
                    dec!(23.68),
                ),
                (
                    "123456789 SPY 19 APR 24 500 CALL long x100: +2@3.5 f0 03-05 10:01:12-0500; -2@4.1 f0 03-06 11:20:00-0500;",
                    dec!(120),
                ),
                (
                    "123456789 SPY 19 APR 24 505 CALL short x100: +2@2.3 f0 03-05 10:01:12-0500; -2@2.6 f0 03-06 11:20:00-0500;",
                    dec!(-60),
                ),
                (
                    "123456789 XYZ long x1 open: +1000@0.06 f0 03-07 09:31:00-0500;",
                    dec!(0),
                ),
                (
                    "123456789 /MESH24 short x5 open: +1@5150.25 f0 03-08 14:02:00-0500; stop 5175 03-08 14:02:30-0500;",
                    dec!(0),
                ),
            ],
        );
    }

    #[test]
    fn mt4_statement_partial_close_stops_suffixes_and_cancelled_orders() {
        let result = check(
            "mt4/statement.htm",
            Format::Mt4Html,
            &[
                // A closed ticket's commission and swap go on its close, and
                // its S / L is the stop in force then, not at the open.
                (
                    "2089123 EURUSD.m long x100000: +1@1.085 f0 03-04 10:00:00-0500; stop 1.083 03-04 12:00:00-0500; -1@1.087 f7 03-04 12:00:00-0500;",
                    dec!(193),
                ),
                (
                    "2089123 GBPUSD short x100000: +2@1.268 f0 03-05 09:00:00-0500; -1@1.265 f7 03-05 11:00:00-0500; stop 1.271 03-05 11:00:00-0500; stop 1.268 03-05 15:00:00-0500; -1@1.263 f2.5 03-05 15:00:00-0500;",
                    dec!(790.5),
                ),
                (
                    "2089123 XAUUSD long x100: +10@2150 f0 03-06 10:00:00-0500; -10@2151.5 f70 03-06 16:00:00-0500;",
                    dec!(1430),
                ),
                // In the account's currency, at the rate the broker's profit
                // gives (334.45 USD for 50,000 JPY): no fee converted at the price.
                (
                    "2089123 USDJPY long x100000 r0.006689: +1@149 f0 03-07 10:00:00-0500; -1@149.5 f7 03-07 11:00:00-0500;",
                    dec!(327.45),
                ),
                // An open ticket's S / L is the stop in force at the report's time.
                (
                    "2089123 EURUSD.m long x100000 open: +0.5@1.09 f3.5 03-07 14:00:00-0500; stop 1.088 03-08 23:59:00-0500;",
                    dec!(-3.5),
                ),
                (
                    "2089123 US30.cash short x10: +2@39000 f0 03-07 15:00:00-0500; stop 39100 03-07 16:00:00-0500; -2@38950 f0 03-07 16:00:00-0500;",
                    dec!(1000),
                ),
            ],
        );
        // The cancelled buy limit on USDJPY (ticket 1004) is not a fill.
        assert!(result.fills.iter().all(|f| f.line != 24));
        assert_eq!(result.trades()[3].trade.currency, "USD");
        assert!(result.trades().iter().all(|t| !t.trade.stops_known));
        let check = result.reconciliation().unwrap();
        assert_eq!(check.label, "Closed P/L");
        assert_eq!(
            (check.statement, check.journal),
            (dec!(3740.95), dec!(3740.95))
        );
        assert!(check.agrees(), "{check}");
    }

    #[test]
    fn mt5_report_html_in_utf16() {
        let bytes = fixture("mt5/ReportHistory-51234567.html");
        assert_eq!(&bytes[..2], &[0xff, 0xfe]);
        check(
            "mt5/ReportHistory-51234567.html",
            Format::Mt5Html,
            &[(
                "51234567 EURUSD long x100000: +1@1.085 f3.5 03-04 10:00:00-0500; stop 1.083 03-04 10:00:00-0500; +0.5@1.086 f1.75 03-04 10:30:00-0500; stop 1.083 03-04 10:30:00-0500; stop 1.0855 03-04 12:00:00-0500; -1.5@1.088 f6.45 03-04 12:00:00-0500;",
                dec!(388.3),
            )],
        );
    }

    #[test]
    fn mt5_report_csv() {
        let result = check(
            "mt5/ReportHistory-51234567.csv",
            Format::Mt5Csv,
            &[(
                "51234567 EURUSD long x100000: +1@1.085 f3.5 03-04 10:00:00-0500; stop 1.083 03-04 10:00:00-0500; +0.5@1.086 f1.75 03-04 10:30:00-0500; stop 1.083 03-04 10:30:00-0500; stop 1.0855 03-04 12:00:00-0500; -1.5@1.088 f6.45 03-04 12:00:00-0500;",
                dec!(388.3),
            )],
        );
        assert_eq!(result.trades()[0].trade.currency, "USD");
        assert_eq!(result.trades()[0].sources[0].key.0, "x:5001");
        assert_eq!(result.fills.get(0).position, Some(Side::Long));
        assert!(result.stops_recorded);
    }

    #[test]
    fn tradovate_orders_stops_of_every_status() {
        let result = check(
            "tradovate/orders.csv",
            Format::TradovateOrders,
            &[
                (
                    "DEMO1234567 MESM4 long x5: +2@5210.25 f0 03-18 09:30:05-0400; stop 5200 03-18 09:30:05-0400; stop 5205 03-18 09:40:00-0400; -2@5204.75 f0 03-18 10:02:11-0400;",
                    dec!(-55),
                ),
                (
                    "DEMO1234567 MNQM4 long x2 open: +1@18250.5 f0 03-18 11:00:00-0400; stop 18200 03-18 11:00:00-0400;",
                    dec!(0),
                ),
            ],
        );
        let a = analyze(&result.trades()[0].trade, &Default::default());
        assert_eq!(a.initial_risk, Some(dec!(102.5)));
    }

    #[test]
    fn tradovate_times_follow_the_chosen_zone() {
        let bytes = fixture("tradovate/orders.csv");
        let options = ImportOptions {
            tz: chrono_tz::America::Chicago,
            ..ImportOptions::default()
        };
        let result = import(&bytes, "orders.csv", &options).unwrap();
        assert_eq!(
            result.fills.get(0).at.to_rfc3339(),
            "2024-03-18T09:30:05-05:00"
        );
    }

    #[test]
    fn ninjatrader_executions() {
        check(
            "ninjatrader/executions.csv",
            Format::NinjaTraderExecutions,
            &[(
                "Sim101 ES 06-24 long x50: +2@5200.25 f4.3 03-18 09:31:05-0400; +1@5201.5 f2.15 03-18 09:35:10-0400; -2@5205 f4.3 03-18 09:50:00-0400; -1@5203.25 f2.15 03-18 10:05:00-0400;",
                dec!(549.6),
            )],
        );
    }

    #[test]
    fn ninjatrader_trades_grid_states_its_cumulative_net_profit() {
        let result = load("ninjatrader/trades.csv", Format::NinjaTraderTrades);
        let check = result.reconciliation().expect("the grid states a total");
        assert_eq!(check.label, "Cum. net profit");
        assert_eq!(check.currency, "USD");
        assert_eq!(check.statement, dec!(289.69));
        assert_eq!(check.journal, dec!(289.69));
        assert!(check.agrees());
        assert_eq!(
            check.to_string(),
            "statement 289.69 USD; journal 289.69 USD: agrees"
        );
        // In another currency the figure cannot be compared with the
        // trades', which are in dollars.
        let euros = String::from_utf8(fixture("ninjatrader/trades.csv"))
            .expect("text")
            .replace("$289.69 ", "€289.69 ");
        let options = new_york();
        let read = import(euros.as_bytes(), "trades.csv", &options).expect("reads");
        assert_eq!(read.total, None);
    }

    #[test]
    fn ninjatrader_trades_grid_rejoins_a_scaled_out_position() {
        check(
            "ninjatrader/trades.csv",
            Format::NinjaTraderTrades,
            &[
                (
                    "Sim101 NQ 06-24 long x20: +2@18200 f2.1 03-18 09:31:05-0400; -1@18210 f1.05 03-18 09:40:00-0400; -1@18195 f1.05 03-18 09:45:00-0400;",
                    dec!(95.8),
                ),
                (
                    "Sim101 NQ 06-24 short x20: +2@18190 f2.1 03-18 10:00:00-0400; -2@18185.5 f2.11 03-18 10:20:00-0400;",
                    dec!(175.79),
                ),
                (
                    "Sim101 MNQ 06-24 long x2: +1@18000 f0.95 03-18 11:00:00-0400; -1@18010 f0.95 03-18 11:05:00-0400;",
                    dec!(18.1),
                ),
            ],
        );
    }

    #[test]
    fn webull_orders_at_prices_zones_short_and_cancelled() {
        check(
            "webull/orders.csv",
            Format::WebullOrders,
            &[
                (
                    "default GME short x1: +20@25 f0 01-10 10:00:00-0500; -20@24 f0 01-10 11:00:00-0500;",
                    dec!(20),
                ),
                (
                    "default AAPL long x1: +10@172.5 f0 03-15 09:31:02-0400; -10@175 f0 03-15 10:00:01-0400;",
                    dec!(25),
                ),
                (
                    "default TSLA260620C400 long x100 open: +2@3 f0 06-09 09:31:00-0400;",
                    dec!(0),
                ),
                (
                    "default SPY260903C00766000 long x100 open: +7@1.649 f0 09-02 15:50:11-0400;",
                    dec!(0),
                ),
            ],
        );
    }

    #[test]
    fn kraken_trades_in_utc() {
        let result = check(
            "kraken/trades.csv",
            Format::KrakenTrades,
            &[(
                "default XETHZUSD long x1: +0.5@3400 f2.72 03-01 10:00:00+0000; -0.5@3500 f4.55 03-02 11:00:00+0000;",
                dec!(42.73),
            )],
        );
        assert_eq!(result.trades()[0].trade.currency, "USD");
    }

    #[test]
    fn bad_rows_name_file_line_and_field_or_are_skipped_with_a_warning() {
        let csv = b"Date,Time,Symbol,Side,Quantity,Price\n2024-01-02,09:30,AAPL,Buy,10,100\n2024-01-02,09:31,AAPL,Buy,ten,101\n2024-01-02,09:32,AAPL,Sell,10,102\n";
        let err = import(csv, "fills.csv", &new_york()).unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.field.as_deref(), Some("quantity"));
        assert_eq!(
            err.to_string(),
            "fills.csv, line 3, field \"quantity\": \"ten\" is not a number"
        );
        let options = ImportOptions {
            skip_bad_rows: true,
            ..new_york()
        };
        let result = import(csv, "fills.csv", &options).unwrap();
        assert_eq!(result.fills.len(), 2);
        let preview = result.preview();
        assert_eq!(preview.warnings.len(), 1);
        assert_eq!(preview.warnings[0].line, Some(3));
        assert_eq!(
            (preview.fills, preview.trades, preview.open_trades),
            (2, 1, 0)
        );
        assert!(
            preview
                .to_string()
                .contains("line 3: quantity: row skipped")
        );
    }

    #[test]
    fn format_override_and_names() {
        for format in Format::ALL {
            assert_eq!(format.as_str().parse::<Format>().unwrap(), format);
        }
        assert!("pdf".parse::<Format>().is_err());
        let bytes = fixture("generic/fills.csv");
        let parsed = parse_as(Format::GenericCsv, &bytes, "x", &new_york()).unwrap();
        assert_eq!(parsed.fills.len(), 8);
        // Read as another format, a file gives an error, not a panic.
        assert!(parse_as(Format::Mt4Html, &bytes, "x", &new_york()).is_err());
    }
}

fn at(minute: i64) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(4 * 3600)
        .and_then(|z| z.with_ymd_and_hms(2024, 3, 15, 9, 30, 0).single())
        .map(|t| t + Duration::minutes(minute))
        .unwrap_or_default()
}

fn fill(
    symbol: &str,
    side: FillSide,
    qty: Decimal,
    price: Decimal,
    fee: Decimal,
    minute: i64,
) -> Fill {
    Fill {
        account: "A".into(),
        symbol: symbol.into(),
        kind: InstrumentKind::Other,
        side,
        qty,
        price,
        fee,
        at: at(minute),
        currency: "USD".into(),
        multiplier: None,
        order_id: None,
        exec_id: None,
        profit: None,
        position: None,
        line: minute as usize + 2,
    }
}

use FillSide::{Buy, Sell};

fn stop(symbol: &str, side: Option<FillSide>, price: Decimal, minute: i64) -> StopOrder {
    StopOrder {
        account: "A".into(),
        symbol: symbol.into(),
        at: at(minute),
        price,
        status: "Working".into(),
        side,
        line: (100 + minute) as usize,
    }
}

fn grouped(fills: &[Fill], stops: &[StopOrder]) -> Vec<String> {
    let (trades, _) = group(fills, stops, &GroupOptions::default());
    trades.iter().map(describe).collect()
}

mod grouping {
    use super::*;

    #[test]
    fn scale_in_then_partial_exits() {
        let fills = [
            fill("X", Buy, dec!(300), dec!(100), dec!(1), 0),
            fill("X", Buy, dec!(200), dec!(104), dec!(1), 5),
            fill("X", Sell, dec!(250), dec!(110), dec!(1), 10),
            fill("X", Sell, dec!(250), dec!(106), dec!(1), 20),
        ];
        let (trades, warnings) = group(
            &fills,
            &[stop("X", Some(Sell), dec!(95), -1)],
            &GroupOptions::default(),
        );
        assert!(warnings.is_empty());
        assert_eq!(trades.len(), 1);
        let a = analyze(&trades[0].trade, &Default::default());
        assert_eq!(a.net_pnl, dec!(3196));
        assert_eq!(a.initial_risk, Some(dec!(1500)));
        assert_eq!((a.adds, a.partial_exits), (1, 1));
    }

    #[test]
    fn a_flip_is_split_with_the_fee_split_exactly() {
        let fills = [
            fill("X", Buy, dec!(100), dec!(10), dec!(1), 0),
            fill("X", Sell, dec!(300), dec!(11), dec!(1.00), 1),
            fill("X", Buy, dec!(200), dec!(10.5), dec!(0), 2),
        ];
        assert_eq!(
            grouped(&fills, &[]),
            [
                "A X long x1: +100@10 f1 03-15 09:30:00-0400; -100@11 f0.33 03-15 09:31:00-0400;",
                "A X short x1: +200@11 f0.67 03-15 09:31:00-0400; -200@10.5 f0 03-15 09:32:00-0400;",
            ]
        );
        assert_eq!(
            split_fee(dec!(0.01), dec!(1), dec!(3)),
            (dec!(0.00), dec!(0.01))
        );
        assert_eq!(
            split_fee(dec!(1.235), dec!(1), dec!(2)),
            (dec!(0.618), dec!(0.617))
        );
    }

    #[test]
    fn fills_of_one_order_at_one_time_become_one_tranche() {
        let mut a = fill("X", Buy, dec!(30), dec!(10), dec!(0.3), 0);
        let mut b = fill("X", Buy, dec!(20), dec!(10.1), dec!(0.2), 0);
        let mut c = fill("X", Sell, dec!(50), dec!(11), dec!(0), 1);
        a.order_id = Some("o1".into());
        b.order_id = Some("o1".into());
        c.order_id = Some("o2".into());
        let (trades, _) = group(
            &[a.clone(), b.clone(), c.clone()],
            &[],
            &GroupOptions::default(),
        );
        assert_eq!(
            describe(&trades[0]),
            "A X long x1: +50@10.04 f0.5 03-15 09:30:00-0400; -50@11 f0 03-15 09:31:00-0400;"
        );
        assert_eq!(trades[0].keys_of(0).count(), 2);
        // Another order, or another instant: separate tranches.
        b.order_id = Some("o3".into());
        assert_eq!(
            group(
                &[a.clone(), b.clone(), c.clone()],
                &[],
                &GroupOptions::default()
            )
            .0[0]
                .trade
                .events
                .len(),
            3
        );
        // An average that is not an exact decimal keeps the fills apart.
        let mut d = fill("X", Buy, dec!(1), dec!(10.01), dec!(0), 0);
        let mut e = fill("X", Buy, dec!(2), dec!(10), dec!(0), 0);
        d.order_id = Some("o4".into());
        e.order_id = Some("o4".into());
        c.qty = dec!(3);
        let (trades, _) = group(&[d, e, c], &[], &GroupOptions::default());
        assert_eq!(trades[0].trade.events.len(), 3);
        assert_eq!(cash_flows(&trades[0]), net(&trades[0]));
    }

    #[test]
    fn multipliers_from_the_table_the_file_and_the_user() {
        let mk = |symbol: &str, kind| {
            let mut f = fill(symbol, Buy, dec!(1), dec!(10), dec!(0), 0);
            f.kind = kind;
            f
        };
        let table = [
            ("ESZ4", InstrumentKind::Future, dec!(50)),
            ("ESZ2024", InstrumentKind::Future, dec!(50)),
            ("/ESZ24", InstrumentKind::Future, dec!(50)),
            ("MESZ4", InstrumentKind::Future, dec!(5)),
            ("MNQH5", InstrumentKind::Other, dec!(2)),
            ("MYMM5", InstrumentKind::Future, dec!(0.5)),
            ("CLF5", InstrumentKind::Future, dec!(1000)),
            ("6EH5", InstrumentKind::Future, dec!(125000)),
            ("AAPL 240419C00170000", InstrumentKind::Option, dec!(100)),
            ("AAPL", InstrumentKind::Stock, dec!(1)),
            ("ZZZZ9", InstrumentKind::Future, dec!(1)),
        ];
        for (symbol, kind, m) in table {
            let (trades, _) = group(&[mk(symbol, kind)], &[], &GroupOptions::default());
            assert_eq!(trades[0].trade.multiplier, m, "{symbol}");
        }
        let mut from_file = mk("ESZ4", InstrumentKind::Future);
        from_file.multiplier = Some(dec!(5));
        assert_eq!(
            group(&[from_file], &[], &GroupOptions::default()).0[0]
                .trade
                .multiplier,
            dec!(5)
        );
        let options = GroupOptions {
            multipliers: HashMap::from([
                ("ES".to_owned(), dec!(42)),
                ("ZZZZ9".to_owned(), dec!(7)),
            ]),
            ..GroupOptions::default()
        };
        assert_eq!(
            group(&[mk("ESZ4", InstrumentKind::Future)], &[], &options).0[0]
                .trade
                .multiplier,
            dec!(42)
        );
        assert_eq!(
            group(&[mk("ZZZZ9", InstrumentKind::Future)], &[], &options).0[0]
                .trade
                .multiplier,
            dec!(7)
        );
    }

    #[test]
    fn stops_attach_to_the_trade_they_protect() {
        let fills = [
            fill("X", Buy, dec!(10), dec!(100), dec!(0), 10),
            fill("X", Sell, dec!(10), dec!(105), dec!(0), 20),
            fill("X", Sell, dec!(10), dec!(104), dec!(0), 60),
        ];
        let stops = [
            stop("X", Some(Sell), dec!(97), 0),   // 10 min early: too early
            stop("X", Some(Sell), dec!(98), 8),   // 2 min before: initial stop
            stop("X", Some(Buy), dec!(110), 12),  // a buy stop does not protect a long
            stop("X", Some(Sell), dec!(101), 20), // at the final exit: before it
            stop("X", None, dec!(107), 58),       // before the short: its initial stop
            stop("Y", None, dec!(1), 15),         // another symbol
        ];
        let (trades, warnings) = group(&fills, &stops, &GroupOptions::default());
        assert_eq!(
            trades.iter().map(describe).collect::<Vec<_>>(),
            [
                "A X long x1: stop 98 03-15 09:38:00-0400; +10@100 f0 03-15 09:40:00-0400; stop 101 03-15 09:50:00-0400; -10@105 f0 03-15 09:50:00-0400;",
                "A X short x1 open: stop 107 03-15 10:28:00-0400; +10@104 f0 03-15 10:30:00-0400;",
            ]
        );
        assert_eq!(
            warnings.iter().filter_map(|w| w.line).collect::<Vec<_>>(),
            [100, 112, 115]
        );
    }

    #[test]
    fn accounts_and_symbols_are_grouped_apart_and_open_trades_stay_open() {
        let mut other = fill("X", Buy, dec!(5), dec!(100), dec!(0), 1);
        other.account = "B".into();
        let fills = [
            fill("X", Buy, dec!(10), dec!(100), dec!(0), 0),
            other,
            fill("Y", Sell, dec!(1), dec!(50), dec!(0), 2),
            fill("X", Sell, dec!(4), dec!(101), dec!(0), 3),
        ];
        let (trades, _) = group(&fills, &[], &GroupOptions::default());
        assert_eq!(trades.len(), 3);
        assert!(trades.iter().all(|t| t.open));
        assert_eq!(trades[0].trade.events.len(), 2);
    }

    #[test]
    fn keys_are_exec_ids_or_stable_fingerprints_and_repeats_are_dropped() {
        let a = fill("X", Buy, dec!(1), dec!(10), dec!(0), 0);
        let keys = tranche::import::group::fill_keys(&[a.clone(), a.clone()]);
        assert_ne!(keys[0], keys[1]);
        assert!(
            keys[0].0.starts_with("f:") && keys[0].0.ends_with(":1") && keys[1].0.ends_with(":2")
        );
        assert_eq!(
            keys,
            tranche::import::group::fill_keys(&[a.clone(), a.clone()])
        );
        // The fingerprint is a fixed function of the content: FNV-1a 64.
        let content = format!("A|X|{}.000000000|buy|1|10|", at(0).timestamp());
        let hash = content.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(keys[0].0, format!("f:{hash:016x}:1"));
        let mut x = a.clone();
        x.exec_id = Some("E1".into());
        let (trades, warnings) = group(&[x.clone(), x], &[], &GroupOptions::default());
        assert_eq!(trades[0].trade.events.len(), 1);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn newest_first_files_keep_the_order_of_simultaneous_fills() {
        // Listed newest first: the sell at 1 closes, then the buy at 1 reopens.
        let fills = [
            fill("X", Buy, dec!(5), dec!(12), dec!(0), 1),
            fill("X", Sell, dec!(10), dec!(11), dec!(0), 1),
            fill("X", Buy, dec!(10), dec!(10), dec!(0), 0),
        ];
        let got = grouped(&fills, &[]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[1].contains("long x1 open: +5@12"));
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// (buy?, qty, price in cents, fee in cents, minutes after the previous fill, symbol, order)
    type Step = (bool, u32, u32, u32, u8, u8, u8);

    fn fills_of(steps: &[Step]) -> Vec<Fill> {
        let mut minute = 0i64;
        steps
            .iter()
            .map(|&(buy, qty, price, fee, dt, symbol, order)| {
                minute += i64::from(dt);
                let mut f = fill(
                    ["X", "Y"][usize::from(symbol % 2)],
                    if buy { Buy } else { Sell },
                    Decimal::from(qty),
                    Decimal::new(i64::from(price), 2),
                    Decimal::new(i64::from(fee), 2),
                    minute,
                );
                f.order_id = (order < 3).then(|| format!("o{order}"));
                f
            })
            .collect()
    }

    fn fill_cash(f: &Fill) -> Decimal {
        -f.side.sign() * f.qty * f.price - f.fee
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn any_interleaving_balances_and_pnl_equals_cash_flows(
            steps in prop::collection::vec((any::<bool>(), 1u32..60, 1u32..20_000, 0u32..300, 0u8..3, 0u8..2, 0u8..6), 1..40)
        ) {
            let fills = fills_of(&steps);
            let (trades, warnings) = group(&fills, &[], &GroupOptions::default());
            prop_assert!(warnings.is_empty(), "{warnings:?}");
            // Counted, ordered, and made again one at a time, they are the same trades.
            let store = tranche::import::FillStore::from(&fills[..]);
            let options = GroupOptions::default();
            let (grouped, outline_warnings) = tranche::import::group::outline(&store, &[], &options);
            prop_assert!(outline_warnings.is_empty(), "{outline_warnings:?}");
            prop_assert_eq!(grouped.len(), trades.len());
            prop_assert_eq!(grouped.open(), trades.iter().filter(|t| t.open).count());
            let tranche::import::group::Grouped::Outline(outline) = grouped else {
                panic!("fills without broker profits are outlined");
            };
            let mut made = Vec::new();
            tranche::import::group::produce(&store, &[], &options, &outline, &mut |t| {
                made.push(t);
                true
            });
            prop_assert!(made == trades);
            let events = |kind: fn(&EventKind) -> Option<Decimal>| -> Decimal {
                trades.iter().flat_map(|t| t.trade.events.iter()).filter_map(|e| kind(&e.kind)).sum()
            };
            let entries = events(|k| match k { EventKind::Entry(f) => Some(f.qty), _ => None });
            let exits = events(|k| match k { EventKind::Exit(f) => Some(f.qty), _ => None });
            let fees = events(|k| k.fill().map(|f| f.fee));
            prop_assert_eq!(entries + exits, fills.iter().map(|f| f.qty).sum::<Decimal>());
            prop_assert_eq!(fees, fills.iter().map(|f| f.fee).sum::<Decimal>());
            prop_assert_eq!(
                trades.iter().map(cash_flows).sum::<Decimal>(),
                fills.iter().map(fill_cash).sum::<Decimal>()
            );
            for symbol in ["X", "Y"] {
                let position: Decimal = fills.iter().filter(|f| f.symbol == symbol).map(|f| f.side.sign() * f.qty).sum();
                let open: Vec<_> = trades.iter().filter(|t| t.trade.symbol == symbol && t.open).collect();
                prop_assert!(open.len() <= 1);
                let open_qty = open.first().map(|t| analyze(&t.trade, &Default::default()).open_qty).unwrap_or_default();
                prop_assert_eq!(open_qty, position.abs());
                if let Some(t) = open.first() {
                    prop_assert_eq!(t.trade.side.sign() * open_qty, position);
                }
            }
            for t in &trades {
                prop_assert!(t.trade.validate().is_ok());
                prop_assert_eq!(t.lines.len(), t.trade.events.len());
                prop_assert!(t.sources.iter().all(|s| t.trade.events[s.event].kind.is_fill()));
                if !t.open {
                    let a = analyze(&t.trade, &Default::default());
                    prop_assert!(a.is_closed());
                    // Exact to 20 places: analysis rounds the cost share of a
                    // partial exit when the average entry repeats.
                    let diff = (a.net_pnl - cash_flows(t)).abs();
                    prop_assert!(diff < Decimal::new(1, 20), "net {} cash {}", a.net_pnl, cash_flows(t));
                    let side = t.trade.side;
                    prop_assert!(side == Side::Long || side == Side::Short);
                }
            }
        }

        #[test]
        fn fills_a_journal_has_are_left_out_as_if_the_file_did_not_hold_them(
            steps in prop::collection::vec((any::<bool>(), 1u32..60, 1u32..20_000, 0u32..300, 0u8..3, 0u8..2, 0u8..6), 1..40),
            known in prop::collection::vec(any::<bool>(), 40),
            hedged in any::<bool>(),
        ) {
            use tranche::import::group::{Grouped, fill_keys, group_keyed, outline_except, produce};
            let mut fills = fills_of(&steps);
            for (i, f) in fills.iter_mut().enumerate() {
                // Two accounts, one blank; on a hedging account, positions
                // both ways.
                if i % 3 == 0 {
                    f.account = String::new();
                }
                if hedged {
                    f.position = Some(if i % 2 == 0 { Side::Long } else { Side::Short });
                }
            }
            let store = tranche::import::FillStore::from(&fills[..]);
            let known = &known[..fills.len()];
            let keys = fill_keys(&store);
            let new_keys: Vec<_> = (0..fills.len()).filter(|&i| !known[i]).map(|i| keys[i].clone()).collect();
            let options = GroupOptions::default();
            let alone = group_keyed(&store.subset(|i| !known[i]), new_keys, &[], &options);
            let (grouped, warnings) = outline_except(&store, known, &[], &options);
            prop_assert_eq!(&warnings, &alone.1);
            prop_assert_eq!(grouped.len(), alone.0.len());
            prop_assert_eq!(grouped.open(), alone.0.iter().filter(|t| t.open).count());
            let Grouped::Outline(outline) = grouped else {
                panic!("fills without broker profits are outlined");
            };
            let mut made = Vec::new();
            produce(&store, &[], &options, &outline, &mut |t| {
                made.push(t);
                true
            });
            prop_assert!(made == alone.0);
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            let _ = detect(&bytes);
            for format in Format::ALL {
                let _ = parse_as(format, &bytes, "random", &new_york());
            }
            let _ = import(&bytes, "random", &new_york());
        }

        #[test]
        fn truncated_and_damaged_fixtures_never_panic(
            which in 0usize..FIXTURES.len(),
            cut in 0.0f64..1.0,
            damage in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..4),
        ) {
            let mut bytes = fixture(FIXTURES[which]);
            let len = bytes.len();
            for (at, byte) in damage {
                let i = ((len as f64) * at) as usize;
                if i < len {
                    bytes[i] = byte;
                }
            }
            bytes.truncate(((len as f64) * cut) as usize);
            let _ = detect(&bytes);
            for format in Format::ALL {
                let options = ImportOptions { skip_bad_rows: true, ..new_york() };
                if let Ok(parsed) = parse_as(format, &bytes, "cut", &options) {
                    let _ = group(&parsed.fills, &parsed.stops, &GroupOptions::default());
                }
                let _ = parse_as(format, &bytes, "cut", &new_york());
            }
        }
    }

    const FIXTURES: &[&str] = &[
        "generic/fills.csv",
        "generic/signed.csv",
        "generic/mapped.csv",
        "ibkr/trades.csv",
        "ibkr/header_data.csv",
        "ibkr/flex.xml",
        "thinkorswim/statement.csv",
        "mt4/statement.htm",
        "mt5/ReportHistory-51234567.html",
        "mt5/ReportHistory-51234567.csv",
        "tradovate/orders.csv",
        "ninjatrader/executions.csv",
        "ninjatrader/trades.csv",
        "webull/orders.csv",
        "kraken/trades.csv",
        "ibkr/activity.csv",
        "thinkorswim/todays-trade-activity.csv",
        "tradovate/performance.csv",
        "ibkr/day-first.csv",
        "ibkr/no-separator.xml",
        "ibkr/activity-de.csv",
        "ibkr/activity-instruments.csv",
        "thinkorswim/order-groups.csv",
        "thinkorswim/spread-fees.csv",
        "mt4/numbered.htm",
        "mt5/ReportHistory-60817263-ru.html",
        "mt5/ReportHistory-60112233-it.csv",
        "mt4/detailed-jpy.htm",
        "mt4/statement-1251.htm",
        "mt5/ReportHistory-14186099-hedge.csv",
        "mt5/ReportHistory-70012345-ja.html",
        "ninjatrader/executions-dotted-dates.csv",
        "ninjatrader/executions-decimal-commas.csv",
        "webull/orders-new-layout.csv",
        "tradovate/performance-paired.csv",
        "kraken/trades-new-columns.csv",
        "ibkr/trade-confirm.csv",
        "thinkorswim/seconds-apart.csv",
        "ibkr/activity-es.csv",
    ];

    #[test]
    fn every_truncation_of_every_fixture_is_an_error_or_a_result() {
        for path in FIXTURES {
            let bytes = fixture(path);
            let step = (bytes.len() / 97).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                for format in Format::ALL {
                    let _ = parse_as(format, &bytes[..cut], path, &new_york());
                }
                let _ = import(&bytes[..cut], path, &new_york());
            }
        }
    }
}

/// The real, anonymised broker files next to the project, when they are there.
mod real_files {
    use super::*;

    fn shared(path: &str) -> Option<Vec<u8>> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/brokers");
        std::fs::read(dir.join(path)).ok()
    }

    fn real(path: &str, format: Format) -> Option<Import> {
        let bytes = shared(path)?;
        assert_eq!(detect(&bytes), Some(format), "{path}");
        Some(import(&bytes, path, &new_york()).unwrap_or_else(|e| panic!("{e}")))
    }

    fn nets(result: &Import) -> Vec<Decimal> {
        result
            .trades()
            .iter()
            .map(cash_flows)
            .map(|d| d.normalize())
            .collect()
    }

    #[test]
    fn thinkorswim_statement() {
        let Some(r) = real(
            "thinkorswim/TD_Ameritrade_TradeNote.csv",
            Format::Thinkorswim,
        ) else {
            return;
        };
        assert_eq!(r.fills.len(), 11);
        let d = describe_all(&r);
        assert!(
            d[0].starts_with("00*****XX AMZN short x1: +100@9.65 f0.03"),
            "{d:?}"
        );
        assert!(
            d[1].starts_with(
                "00*****XX PYPL long x1: +300@13.39 f0 11-12 10:31:44-0500; +300@13.31"
            ),
            "{d:?}"
        );
        assert_eq!(r.trades()[1].trade.events.len(), 8);
        assert_eq!(nets(&r), [dec!(2.93), dec!(14.59)]);
        assert!(r.trades().iter().all(|t| !t.open));
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn tradovate_orders() {
        let Some(r) = real(
            "tradovate/tradovate-orders-history.csv",
            Format::TradovateOrders,
        ) else {
            return;
        };
        assert_eq!(r.fills.len(), 12);
        assert_eq!(
            nets(&r),
            [
                dec!(-400),
                dec!(1200),
                dec!(-492.5),
                dec!(1200),
                dec!(800),
                dec!(-363)
            ]
        );
        assert!(
            r.trades()
                .iter()
                .all(|t| t.trade.multiplier == dec!(2) && !t.open)
        );
        let with_stop = r
            .trades()
            .iter()
            .filter(|t| {
                t.trade
                    .events
                    .iter()
                    .any(|e| matches!(e.kind, EventKind::Stop { .. }))
            })
            .count();
        assert_eq!(with_stop, 5);
        // Brackets of orders that never filled are reported, not attached.
        assert_eq!(r.warnings.len(), 4);
    }

    #[test]
    fn ninjatrader_grid() {
        let Some(r) = real(
            "ninjatrader/ninjatrader-grid.csv",
            Format::NinjaTraderTrades,
        ) else {
            return;
        };
        assert_eq!(r.trades().len(), 6);
        assert_eq!(
            nets(&r),
            [
                dec!(48.1),
                dec!(48.1),
                dec!(-75.9),
                dec!(48.1),
                dec!(-55.4),
                dec!(48.1)
            ]
        );
        assert_eq!(r.trades()[1].trade.side, Side::Short);
    }

    #[test]
    fn ibkr_flex_xml() {
        let Some(r) = real("ibkr/ibkr-flex-report_tradetally.xml", Format::IbkrFlexXml) else {
            return;
        };
        assert_eq!(
            describe_all(&r),
            [
                "U1234567 GOLD long x1 open: +691@43.1 f3.455 01-26 11:57:15-0500; -100@44.19 f1.1108314 06-15 13:02:07-0400;",
                "U1234567 AAPL long x1 open: +240@300 f1.20072 05-18 09:30:04-0400;",
            ]
        );
    }

    #[test]
    fn ibkr_flex_csv() {
        let Some(r) = real("ibkr/vti-buy-on-ibkr_ghostfolio.csv", Format::IbkrFlexCsv) else {
            return;
        };
        assert_eq!(
            describe_all(&r),
            ["U1234567 VTI long x1 open: +17@204.3473 f1 04-03 09:58:53-0400;"]
        );
        assert_eq!(r.trades()[0].sources[0].key.0, "x:0000a123.123abcde.01.01");
    }

    #[test]
    fn kraken_trades() {
        let Some(r) = real("crypto/kraken-trades_CoinTaxman.csv", Format::KrakenTrades) else {
            return;
        };
        assert_eq!(r.fills.len(), 3);
        assert_eq!(r.fills.get(0).qty, dec!(0.03441778));
        assert_eq!(r.fills.get(0).currency, "EUR");
    }
}

mod ibkr_variants {
    use super::*;

    #[test]
    fn trade_confirmations_in_xml() {
        let xml = br#"<FlexQueryResponse queryName="Confirms" type="TC"><FlexStatements count="1"><FlexStatement accountId="U1">
<TradeConfirms>
<TradeConfirm accountId="U1" currency="USD" assetCategory="FUT" symbol="MESM4" dateTime="20240318;093000" quantity="2" price="5200.25" commission="-1.24" buySell="BUY" orderID="9" execID="a.1" multiplier="5" levelOfDetail="EXECUTION"/>
<TradeConfirm accountId="U1" currency="USD" assetCategory="FUT" symbol="MESM4" dateTime="20240318;100000" quantity="-2" price="5210.25" commission="-1.24" buySell="SELL" orderID="10" execID="a.2" multiplier="5" levelOfDetail="EXECUTION"/>
</TradeConfirms></FlexStatement></FlexStatements></FlexQueryResponse>"#;
        let r = import(xml, "confirms.xml", &new_york()).unwrap();
        assert_eq!(r.format, Format::IbkrFlexXml);
        assert_eq!(
            describe_all(&r),
            [
                "U1 MESM4 long x5: +2@5200.25 f1.24 03-18 09:30:00-0400; -2@5210.25 f1.24 03-18 10:00:00-0400;"
            ]
        );
    }

    #[test]
    fn a_query_of_orders_only_reads_each_order_as_a_fill() {
        let csv = b"Symbol,DateTime,Quantity,TradePrice,IBCommission,IBOrderID,LevelOfDetail\nAMD,20240318;093000,10,180,-1,1,ORDER\nAMD,20240318;100000,-10,185,-1,2,ORDER\nAMD,,0,0,0,,SYMBOL_SUMMARY\n";
        let r = import(csv, "orders.csv", &new_york()).unwrap();
        assert_eq!(r.format, Format::IbkrFlexCsv);
        assert_eq!(r.trades().len(), 1);
        assert_eq!(net(&r.trades()[0]), dec!(48));
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn a_commission_credit_is_not_a_negative_fee() {
        let csv = b"Symbol,DateTime,Quantity,TradePrice,IBCommission,Buy/Sell\nXYZ,20240318;093000,10,5,0.35,BUY\n";
        let r = import(csv, "credit.csv", &new_york()).unwrap();
        assert_eq!(r.fills.get(0).fee, Decimal::ZERO);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].field.as_deref(), Some("IBCommission"));
    }
}

#[test]
fn column_mapping_is_guessed_from_the_header_for_the_user_to_complete() {
    let bytes = b"\xef\xbb\xbfTrade Date,Exec Time,Ticker,Action,Shares,Fill Price,Comm,ECN Fee,Notes\n2024-03-15,09:30,AAPL,BOT,10,170,1,0.1,x\n";
    let names = tranche::import::generic::header_names(bytes);
    assert_eq!(names[0], "Trade Date");
    let mapping = ColumnMapping::guess(&names);
    assert!(mapping.is_complete());
    assert_eq!(
        (
            mapping.date.as_str(),
            mapping.time.as_str(),
            mapping.side.as_str()
        ),
        ("Trade Date", "Exec Time", "Action")
    );
    assert_eq!(mapping.fees, ["Comm", "ECN Fee"]);
    let options = ImportOptions {
        column_mapping: Some(mapping),
        ..new_york()
    };
    let r = import(bytes, "x.csv", &options).unwrap();
    assert_eq!(r.fills.get(0).fee, dec!(1.1));
    assert_eq!(r.fills.get(0).side, FillSide::Buy);
}

#[test]
fn ibkr_activity_statement_trades_section() {
    let r = check(
        "ibkr/activity.csv",
        Format::IbkrFlexCsv,
        &[
            (
                "U7654321 AMD long x1: +1000@180.25 f5 03-04 09:35:12-0500; -1000@182.5 f5.12 03-04 10:02:40-0500;",
                dec!(2239.88),
            ),
            (
                "U7654321 AMD 15MAR24 185 C long x100 open: +2@3.1 f1.3 03-04 11:00:00-0500;",
                dec!(-1.3),
            ),
        ],
    );
    assert_eq!(r.trades()[1].trade.currency, "USD");
    assert!(r.warnings.is_empty());
}

#[test]
fn progress_is_reported_while_reading() {
    let mut csv = String::from("Date,Time,Symbol,Side,Quantity,Price\n");
    for i in 0..40_000 {
        let side = if i % 2 == 0 { "Buy" } else { "Sell" };
        csv.push_str(&format!(
            "2024-03-15,09:{:02}:{:02},X,{side},1,10\n",
            (i / 60) % 60,
            i % 60
        ));
    }
    let mut reports = Vec::new();
    let r = tranche::import::import_with_progress(
        csv.as_bytes(),
        "big.csv",
        &new_york(),
        &mut |done, total| {
            reports.push((done, total));
        },
    )
    .unwrap();
    assert_eq!(r.fills.len(), 40_000);
    assert!(reports.len() >= 3, "{reports:?}");
    assert!(reports.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(reports.last(), Some(&(csv.len(), csv.len())));
}

#[test]
fn a_date_and_time_column_wins_over_a_date_column_alone() {
    // A Tradovate Fills export read as a generic CSV of fills.
    let csv = b"Fill ID,Order ID,Timestamp,Date,B/S,Quantity,Price,Contract,commission\n111,9,06/10/2026 16:00:05,6/10/26, Buy,1,28531.75,MNQM6,0.52\n112,10,06/10/2026 16:01:00,6/10/26, Sell,1,28541.75,MNQM6,0.52\n";
    assert_eq!(detect(csv), Some(Format::GenericCsv));
    let r = import(csv, "fills.csv", &new_york()).unwrap();
    assert_eq!(
        describe_all(&r),
        [
            "default MNQM6 long x2: +1@28531.75 f0.52 06-10 16:00:05-0400; -1@28541.75 f0.52 06-10 16:01:00-0400;"
        ]
    );
}

#[test]
fn ninjatrader_bare_roots_extra_fees_and_french_numbers() {
    let executions = "Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,\n\
        MNQ,Buy,1,\"21000,25\",16/09/2026 15:31:02,e1,Entry,1 L,o1,Entry,\"0,52 $\",1,SIM,Rithmic,\n\
        MNQ,SellShort,1,\"21010,25\",16/09/2026 15:40:00,e2,Exit,-,o2,Exit,\"0,52 $\",1,SIM,Rithmic,\n";
    let r = import(executions.as_bytes(), "x.csv", &new_york()).unwrap();
    assert_eq!(r.format, Format::NinjaTraderExecutions);
    assert_eq!(
        describe_all(&r),
        [
            "SIM MNQ long x2: +1@21000.25 f0.52 09-16 15:31:02-0400; -1@21010.25 f0.52 09-16 15:40:00-0400;"
        ]
    );
    let grid = "Trade number,Instrument,Account,Strategy,Market pos.,Qty,Entry price,Exit price,Entry time,Exit time,Entry name,Exit name,Profit,Cum. net profit,Commission,Clearing Fee,Exchange Fee,IP Fee,NFA Fee,MAE,MFE,ETD,Bars,\n\
        1,ES 12-26,Sim101,,Short,1,6000,5990,9/16/2026 9:30:00 AM,9/16/2026 9:45:00 AM,Entry,Exit,$500.00 ,$500.00 ,$2.50 ,$0.20 ,$1.00 ,$0.00 ,$0.02 ,$0.00 ,$0.00 ,$0.00 ,1,\n";
    let r = import(grid.as_bytes(), "grid.csv", &new_york()).unwrap();
    assert_eq!(r.format, Format::NinjaTraderTrades);
    assert_eq!(
        describe_all(&r),
        [
            "Sim101 ES 12-26 short x50: +1@6000 f1.86 09-16 09:30:00-0400; -1@5990 f1.86 09-16 09:45:00-0400;"
        ]
    );
}

#[test]
fn thinkorswim_todays_trade_activity_with_working_and_canceled_stops() {
    let r = check(
        "thinkorswim/todays-trade-activity.csv",
        Format::Thinkorswim,
        &[(
            "56037956SCHW OCTO long x1 open: +50@4.33 f0 09-25 09:31:30-0400; +50@4.29 f0 09-25 09:31:36-0400; stop 4.2 09-25 09:39:45-0400; stop 4.4 09-25 09:40:00-0400; -25@4.6 f0 09-25 09:45:10-0400;",
            dec!(7.25),
        )],
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn tradovate_performance_pairs_rejoin_shared_fills() {
    check(
        "tradovate/performance.csv",
        Format::TradovatePerformance,
        &[
            (
                "default MNQU6 long x2: +2@20000 f0 09-01 15:30:00-0400; -1@20010 f0 09-01 15:45:00-0400; -1@20020 f0 09-01 15:50:00-0400;",
                dec!(60),
            ),
            (
                "default MNQU6 short x2: +2@20100 f0 09-02 16:00:00-0400; -2@20130 f0 09-02 16:20:00-0400;",
                dec!(-120),
            ),
        ],
    );
}

#[test]
fn new_fills_continue_an_open_trade_of_the_journal() {
    use tranche::domain::{Event, Trade};
    let mut open = Trade::new("X", Side::Long);
    open.account = "A".into();
    open.tags = vec!["breakout".into()];
    open.notes = "by hand".into();
    open.events = vec![
        Event::entry(at(-10), dec!(100), dec!(10), dec!(1)),
        Event::stop(at(-9), dec!(9.5)),
    ];
    let fills = [
        fill("X", Sell, dec!(40), dec!(11), dec!(0.4), 0),
        fill("X", Sell, dec!(60), dec!(12), dec!(0.6), 1),
        fill("X", Buy, dec!(10), dec!(12.5), dec!(0.1), 2),
    ];
    let options = GroupOptions {
        open_trades: vec![open.clone()],
        ..GroupOptions::default()
    };
    let (trades, warnings) = group(&fills, &[], &options);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(trades.len(), 2);
    let continued = &trades[0];
    assert_eq!(continued.continues, Some(0));
    assert!(!continued.open);
    assert_eq!(continued.trade.tags, open.tags);
    assert_eq!(continued.trade.notes, "by hand");
    assert_eq!(
        describe(continued),
        "A X long x1: +100@10 f1 03-15 09:20:00-0400; stop 9.5 03-15 09:21:00-0400; -40@11 f0.4 03-15 09:30:00-0400; -60@12 f0.6 03-15 09:31:00-0400;"
    );
    assert_eq!(
        continued
            .sources
            .iter()
            .map(|s| s.event)
            .collect::<Vec<_>>(),
        [2, 3]
    );
    assert_eq!(net(continued), dec!(158));
    assert_eq!(trades[1].continues, None);
    assert!(trades[1].open);
}

#[test]
fn the_new_fills_of_a_file_keep_the_keys_they_have_in_the_whole_file() {
    let a = fill("X", Buy, dec!(1), dec!(10), dec!(0), 0);
    let all = [
        a.clone(),
        a.clone(),
        fill("X", Sell, dec!(2), dec!(11), dec!(0), 5),
    ];
    let keys = tranche::import::group::fill_keys(&all);
    // Say the journal knows the first fill: the other two are new.
    let (trades, _) = tranche::import::group::group_keyed(
        &all[1..],
        keys[1..].to_vec(),
        &[],
        &GroupOptions::default(),
    );
    let used: Vec<&str> = trades[0].sources.iter().map(|s| s.key.0.as_str()).collect();
    assert_eq!(used, [keys[1].0.as_str(), keys[2].0.as_str()]);
    assert!(used[0].ends_with(":2"));
}

#[test]
fn reading_a_file_again_gives_the_same_keys_and_a_shorter_copy_a_subset() {
    use std::collections::HashSet;
    for path in [
        "generic/fills.csv",
        "generic/signed.csv",
        "ibkr/trades.csv",
        "thinkorswim/statement.csv",
        "tradovate/orders.csv",
        "ninjatrader/executions.csv",
        "ninjatrader/trades.csv",
        "webull/orders.csv",
        "kraken/trades.csv",
        "mt5/ReportHistory-51234567.csv",
    ] {
        let bytes = fixture(path);
        let keys = |bytes: &[u8]| -> Vec<String> {
            let r = import(bytes, path, &new_york()).unwrap();
            tranche::import::group::fill_keys(&r.fills)
                .into_iter()
                .map(|k| k.0)
                .collect()
        };
        let all = keys(&bytes);
        assert_eq!(all, keys(&bytes), "{path}");
        assert_eq!(
            all.iter().collect::<HashSet<_>>().len(),
            all.len(),
            "{path}: keys repeat"
        );
        // The file as it was exported earlier: its last data line missing.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let Some(last) = lines
            .iter()
            .rposition(|l| l.chars().any(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        let shorter: String = lines[..last].concat() + &lines[last + 1..].concat();
        if let Ok(r) = import(shorter.as_bytes(), path, &new_york()) {
            let some: HashSet<String> = tranche::import::group::fill_keys(&r.fills)
                .into_iter()
                .map(|k| k.0)
                .collect();
            let all: HashSet<String> = all.iter().cloned().collect();
            assert!(some.is_subset(&all), "{path}");
        }
    }
}

#[test]
fn mt4_partial_close_written_as_comment_rows_and_plain_space_thousands() {
    let html = "<html><body><table>\n\
        <tr><td colspan=2><b>Account: 777</b></td><td colspan=2><b>Currency: USD</b></td></tr>\n\
        <tr><td colspan=13><b>Closed Transactions:</b></td></tr>\n\
        <tr><td>Ticket</td><td>Open Time</td><td>Type</td><td>Size</td><td>Item</td><td>Price</td><td>S / L</td><td>T / P</td><td>Close Time</td><td>Price</td><td>Commission</td><td>Taxes</td><td>Swap</td><td>Profit</td></tr>\n\
        <tr><td>501</td><td>2024.03.11 10:00:00</td><td>buy</td><td>1.00</td><td>xauusd</td><td>2 150.00</td><td>2 140.00</td><td>0.00</td><td>2024.03.11 11:00:00</td><td>2 160.00</td><td>-5.00</td><td>0.00</td><td>0.00</td><td>1 000.00</td></tr>\n\
        <tr><td colspan=14>to #502</td></tr>\n\
        <tr><td>502</td><td>2024.03.11 10:00:00</td><td>buy</td><td>1.00</td><td>xauusd</td><td>2 150.00</td><td>2 150.00</td><td>0.00</td><td>2024.03.11 12:00:00</td><td>2 170.00</td><td>-5.00</td><td>0.00</td><td>0.00</td><td>2 000.00</td></tr>\n\
        <tr><td colspan=14>from #501</td></tr>\n\
        </table></body></html>";
    let r = import(html.as_bytes(), "statement.htm", &new_york()).unwrap();
    assert_eq!(r.format, Format::Mt4Html);
    assert_eq!(
        describe_all(&r),
        [
            "777 XAUUSD long x100: +2@2150 f0 03-11 10:00:00-0400; -1@2160 f5 03-11 11:00:00-0400; stop 2140 03-11 11:00:00-0400; stop 2150 03-11 12:00:00-0400; -1@2170 f5 03-11 12:00:00-0400;"
        ]
    );
    assert_eq!(net(&r.trades()[0]), dec!(2990));
}

/// Layouts real broker files take beyond the plain ones above.
mod variants {
    use super::*;

    #[test]
    fn ibkr_flex_dates_written_day_first_follow_the_unambiguous_ones() {
        check(
            "ibkr/day-first.csv",
            Format::IbkrFlexCsv,
            &[
                (
                    "U2468 KO long x1: +300@60.1 f1.5 03-05 09:30:00-0500; -300@61.35 f1.52 03-11 10:05:00-0400;",
                    dec!(371.98),
                ),
                (
                    "U2468 PEP short x1: +50@168.4 f1 03-14 11:15:00-0400; -50@167.9 f1 03-14 14:15:00-0400;",
                    dec!(23),
                ),
            ],
        );
    }

    #[test]
    fn ibkr_flex_xml_with_no_separator_between_date_and_time() {
        check(
            "ibkr/no-separator.xml",
            Format::IbkrFlexXml,
            &[(
                "U1357 MNQM4 long x2: +3@18210.25 f1.86 03-18 14:02:10-0400; -3@18231.75 f1.86 03-18 14:20:45-0400;",
                dec!(125.28),
            )],
        );
    }

    #[test]
    fn ninjatrader_dotted_day_first_dates_and_decimal_commas() {
        check(
            "ninjatrader/executions-dotted-dates.csv",
            Format::NinjaTraderExecutions,
            &[(
                "Sim101 MES 12-26 long x5: +2@6012.25 f1.24 10-05 15:31:02-0400; -1@6015.75 f0.62 10-05 15:40:10-0400; -1@6009.5 f0.62 10-05 15:52:44-0400;",
                dec!(1.27),
            )],
        );
    }
}

#[test]
fn thinkorswim_order_groups_empty_line_sections_futures_fees_and_futures_options() {
    let r = check(
        "thinkorswim/order-groups.csv",
        Format::Thinkorswim,
        &[
            (
                "99887766 ACME long x1: +40@25.1 f0 06-02 09:41:07-0400; stop 23.5 06-02 09:41:07-0400; stop 23.8 06-02 15:30:12-0400; stop 24.2 06-03 10:12:55-0400; -40@24.2 f0.02 06-03 10:12:55-0400;",
                dec!(-36.02),
            ),
            (
                "99887766 /MESM26 long x5: +2@6020.25 f3.2 06-02 11:00:03-0400; -2@6031.5 f3.2 06-02 11:25:40-0400;",
                dec!(106.1),
            ),
            (
                "99887766 /OGQ26 28 JUL 26 2400 CALL long x100: +1@31.5 f0 06-04 10:30:00-0400; -1@36.2 f0 06-05 14:00:00-0400;",
                dec!(470),
            ),
        ],
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn mt5_report_in_russian_is_read_by_the_shape_of_its_tables() {
    let bytes = fixture("mt5/ReportHistory-60817263-ru.html");
    assert_eq!(&bytes[..2], &[0xff, 0xfe]);
    let r = check(
        "mt5/ReportHistory-60817263-ru.html",
        Format::Mt5Html,
        &[(
            "60817263 GBPUSD short x100000 r0.920833: +0.3@1.2645 f2.1 02-10 09:15:00-0500; stop 1.269 02-10 09:15:00-0500; +0.2@1.26325 f1.4 02-10 10:05:00-0500; stop 1.269 02-10 10:05:00-0500; stop 1.267 02-10 16:40:00-0500; -0.5@1.258 f3.5 02-10 16:40:00-0500;",
            dec!(269.25),
        )],
    );
    // A EUR account: the broker's 276.25 EUR for 300 USD of price move.
    assert_eq!(r.trades()[0].trade.currency, "EUR");
    let check = r.reconciliation().unwrap();
    assert_eq!(check.label, "Чистая прибыль");
    assert!(check.agrees(), "{check}");
    assert_eq!(r.trades()[0].sources[0].key.0, "x:990001");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn mt4_numbered_statement_with_account_number_label_and_short_column_names() {
    check(
        "mt4/numbered.htm",
        Format::Mt4Html,
        &[(
            "3317 AUDUSD long x100000: +3@0.642 f0 05-06 08:30:00-0400; -2@0.6445 f14 05-06 14:10:00-0400; stop 0.639 05-06 14:10:00-0400; stop 0.642 05-07 09:45:00-0400; -1@0.647 f1.3 05-07 09:45:00-0400;",
            dec!(984.7),
        )],
    );
}

#[test]
fn ibkr_activity_statement_in_german() {
    let r = check(
        "ibkr/activity-de.csv",
        Format::IbkrFlexCsv,
        &[
            (
                "U9753 SAP long x1: +40@215.3 f3 03-03 09:05:12-0500; -40@219.8 f3 03-05 15:40:00-0500;",
                dec!(174),
            ),
            (
                "U9753 SAP 21MAR25 220 C long x100: +2@4.1 f1.8 03-06 10:30:00-0500; -2@5 f1.8 03-07 11:45:30-0500;",
                dec!(176.4),
            ),
        ],
    );
    assert_eq!(r.trades()[0].trade.currency, "EUR");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn ibkr_activity_statement_multipliers_from_the_instrument_list() {
    check(
        "ibkr/activity-instruments.csv",
        Format::IbkrFlexCsv,
        &[(
            "U8642 EW3H5 C6000 long x50: +1@42.25 f2.47 03-10 10:00:00-0400; -1@55.75 f2.47 03-12 14:00:00-0400;",
            dec!(670.06),
        )],
    );
}

#[test]
fn webull_newer_layout_with_b_s_filled_qty_dollar_prices_and_fee_columns() {
    let r = check(
        "webull/orders-new-layout.csv",
        Format::WebullOrders,
        &[(
            "default QQQ260417P00540000 long x100: +3@4.35 f0.18 04-06 10:14:52-0400; -3@3.9 f0.21 04-06 13:40:03-0400;",
            dec!(-135.39),
        )],
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn tradovate_performance_with_spelled_out_column_names() {
    check(
        "tradovate/performance-paired.csv",
        Format::TradovatePerformance,
        &[
            (
                "default MESU6 short x5: +2@6447.5 f0 09-08 09:58:40-0400; -2@6450.25 f0 09-08 10:02:15-0400;",
                dec!(-27.5),
            ),
            (
                "default MESU6 long x5: +1@6452 f0 09-08 11:15:00-0400; -1@6458.75 f0 09-08 11:31:20-0400;",
                dec!(33.75),
            ),
        ],
    );
}

#[test]
fn mt5_report_csv_in_italian_with_semicolons_and_decimal_commas() {
    let r = check(
        "mt5/ReportHistory-60112233-it.csv",
        Format::Mt5Csv,
        &[(
            "60112233 USDJPY long x100000 r0.006945: +0.5@144.25 f1.75 06-02 09:00:00-0400; stop 143.75 06-02 09:00:00-0400; -0.5@144.91 f2.15 06-02 15:30:00-0400;",
            dec!(225.27),
        )],
    );
    // The account's currency, not the pair's quote currency.
    assert_eq!(r.trades()[0].trade.currency, "EUR");
    assert_eq!(r.price_currencies["USDJPY"], "JPY");
    assert_eq!(r.trades()[0].sources[0].key.0, "x:900101");
}

#[test]
fn kraken_export_with_asset_class_and_position_columns_and_slashed_pairs() {
    let r = check(
        "kraken/trades-new-columns.csv",
        Format::KrakenTrades,
        &[(
            "default SOL/EUR long x1: +10@120.5 f3.133 04-02 09:10:11+0000; -10@126 f3.276 04-03 15:00:00+0000;",
            dec!(48.591),
        )],
    );
    assert_eq!(r.trades()[0].trade.currency, "EUR");
}

#[test]
fn thinkorswim_fee_of_a_vertical_is_shared_by_its_legs() {
    check(
        "thinkorswim/spread-fees.csv",
        Format::Thinkorswim,
        &[
            (
                "44556677 IWM 27 MAR 26 200 PUT long x100: +5@1.1 f3.43 03-17 10:05:41-0400; -5@0.25 f3.4 03-19 14:31:07-0400;",
                dec!(-431.83),
            ),
            (
                "44556677 IWM 27 MAR 26 205 PUT short x100: +5@1.95 f3.43 03-17 10:05:41-0400; -5@0.55 f3.41 03-19 14:31:07-0400;",
                dec!(693.16),
            ),
        ],
    );
}

#[test]
fn ninjatrader_semicolons_and_decimal_commas_with_three_decimals() {
    let bytes = fixture("ninjatrader/executions-decimal-commas.csv");
    assert_eq!(detect(&bytes), Some(Format::NinjaTraderExecutions));
    let options = ImportOptions {
        tz: chrono_tz::Europe::Berlin,
        ..ImportOptions::default()
    };
    let r = import(&bytes, "executions.csv", &options).unwrap();
    assert_eq!(
        describe_all(&r),
        [
            "Sim101 SI 07-26 long x5000: +1@30.125 f2.36 06-08 14:02:11+0200; -1@30.2 f2.36 06-08 14:47:30+0200;"
        ]
    );
    assert_eq!(net(&r.trades()[0]), dec!(370.28));
}

#[test]
fn statements_whose_trades_come_after_long_sections_are_detected_by_how_they_begin() {
    // A year of thinkorswim cash rows puts the trade history past the part of
    // the file detection reads.
    let mut tos = String::from(
        "Account Statement for 123 (margin) since 1/1/24 through 12/31/24\n\nCash Balance\n\
         DATE,TIME,TYPE,REF #,DESCRIPTION,Misc Fees,Commissions & Fees,AMOUNT,BALANCE\n",
    );
    for i in 0..4000 {
        tos.push_str(&format!(
            "1/{}/24,10:00:{:02},TRD,=\"{}\",BOT +1 ABCD @1.00,,,-1.00,\"1,000.00\"\n",
            i % 28 + 1,
            i % 60,
            100_000 + i
        ));
    }
    tos.push_str(
        "\nAccount Trade History\n,Exec Time,Spread,Side,Qty,Pos Effect,Symbol,Exp,Strike,Type,Price,Net Price,Order Type\n\
         ,1/2/24 10:00:09,STOCK,BUY,+1,TO OPEN,ABCD,,,STOCK,1.00,1.00,LMT\n",
    );
    assert_eq!(detect(tos.as_bytes()), Some(Format::Thinkorswim));
    // An Activity Statement lists its open positions before its trades.
    let mut ibkr = String::from(
        "Statement,Header,Field Name,Field Value\nStatement,Data,BrokerName,Interactive Brokers LLC\n\
         Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code\n",
    );
    for i in 0..500 {
        ibkr.push_str(&format!(
            "Open Positions,Data,Summary,Stocks,USD,S{i},10,1,5,50,5,50,0,\n"
        ));
    }
    ibkr.push_str(
        "Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,T. Price,C. Price,Proceeds,Comm/Fee,Basis,Realized P/L,MTM P/L,Code\n\
         Trades,Data,Order,Stocks,USD,AMD,\"2024-03-04, 09:35:12\",10,180,181,-1800,-1,1801,0,10,O\n",
    );
    assert_eq!(detect(ibkr.as_bytes()), Some(Format::IbkrFlexCsv));
    let r = import(ibkr.as_bytes(), "statement.csv", &new_york()).unwrap();
    assert_eq!(r.fills.len(), 1);
}

#[test]
fn ibkr_trade_confirmation_query_with_order_time_and_commission_breakdown() {
    check(
        "ibkr/trade-confirm.csv",
        Format::IbkrFlexCsv,
        &[(
            "U3141 TSLA long x1: +50@176.4 f0.35 05-20 09:45:12-0400; -50@178.1 f0.41 05-20 10:30:15-0400;",
            dec!(84.24),
        )],
    );
}

#[test]
fn thinkorswim_cash_rows_a_second_or_two_from_the_trade_history_still_give_the_fees() {
    check(
        "thinkorswim/seconds-apart.csv",
        Format::Thinkorswim,
        &[(
            "31415926 KLM long x1: +100@5.1 f0.65 05-23 10:02:13-0400; -100@5.4 f0.03 05-23 10:31:01-0400;",
            dec!(29.32),
        )],
    );
}

#[test]
fn ibkr_activity_statement_in_spanish() {
    let bytes = fixture("ibkr/activity-es.csv");
    assert_eq!(detect(&bytes), Some(Format::IbkrFlexCsv));
    let options = ImportOptions {
        tz: chrono_tz::Europe::Madrid,
        ..ImportOptions::default()
    };
    let r = import(&bytes, "activity-es.csv", &options).unwrap();
    assert_eq!(
        describe_all(&r),
        ["U4455 ITX long x1: +100@44.1 f3 04-07 09:12:40+0200; -100@46.25 f3 04-09 16:05:00+0200;"]
    );
    assert_eq!(net(&r.trades()[0]), dec!(209));
    assert_eq!(r.trades()[0].trade.currency, "EUR");
}

#[test]
fn an_option_that_expired_worthless_closes_at_zero() {
    let r = check(
        "ibkr/option-expired.csv",
        Format::IbkrFlexCsv,
        &[(
            "U2468 QQQ 240419P00420000 long x100: +3@1.35 f1.95 04-12 10:15:00-0400; -3@0 f0 04-19 16:20:00-0400;",
            dec!(-406.95),
        )],
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn generic_csv_with_a_trade_date_column_short_and_cover_codes_and_fee_columns() {
    // KO: sold short 300 at 60.10, covered 100 at 59.80 and 200 at 59.95;
    // fees are the commission and every fee column of the row.
    check(
        "generic/trade-date-layout.csv",
        Format::GenericCsv,
        &[
            (
                "TR881 KO short x1: +300@60.1 f2.47 03-12 09:41:07-0400; -100@59.8 f0.7 03-12 10:05:44-0400; -200@59.95 f1.6 03-12 10:20:13-0400;",
                dec!(55.23),
            ),
            (
                "TR881 PEP long x1: +50@168.4 f0.4 03-12 11:02:31-0400; -50@169 f0.38 03-12 11:30:02-0400;",
                dec!(29.22),
            ),
        ],
    );
}

/// MetaTrader statements as they really come (GitHub issue 10): money in the
/// account's currency as the statement reports it, contract sizes and broker
/// suffixes, hedging accounts, stops the statement does not place in time,
/// and the languages and code pages the terminals write.
mod metatrader {
    use super::*;

    /// The trade's R-multiple, if it has one.
    fn r_multiple(t: &ImportedTrade) -> Option<Decimal> {
        analyze(&t.trade, &Default::default()).r_multiple
    }

    /// Entries by direction, in lots.
    fn entries(r: &Import, side: Side) -> Decimal {
        r.trades()
            .iter()
            .filter(|t| t.trade.side == side)
            .flat_map(|t| &t.trade.events)
            .filter_map(|e| match e.kind {
                EventKind::Entry(f) => Some(f.qty),
                _ => None,
            })
            .sum()
    }

    #[test]
    fn mt4_jpy_account_with_a_cfd_a_swap_credit_archive_rows_and_magic_numbers() {
        let r = check(
            "mt4/detailed-jpy.htm",
            Format::Mt4Html,
            &[
                // Profit 671 and swap -171 give +500 JPY; the size (100) is what
                // the profit implies at the rate the EURUSD ticket gives (134).
                (
                    "5550123 US_OIL long x100 r134.2: +1@83.5 f0 04-01 10:00:00-0400; stop 82.9 04-03 15:00:00-0400; -1@83.55 f171 04-03 15:00:00-0400;",
                    dec!(500),
                ),
                // A swap credit of 35 lowers the fee: commission 140 less 35.
                (
                    "5550123 EURUSD long x100000 r134: +0.1@1.08 f0 04-05 09:00:00-0400; stop 1.075 04-08 10:00:00-0400; -0.1@1.085 f105 04-08 10:00:00-0400;",
                    dec!(6595),
                ),
                // The remainder's "from #2003" is in a row of its own, after a
                // magic number: both tickets are one entry.
                (
                    "5550123 GBPJPY short x100000: +0.2@190 f0 04-10 09:00:00-0400; -0.1@189.8 f100 04-10 11:00:00-0400; stop 190.5 04-10 11:00:00-0400; stop 189.9 04-10 14:00:00-0400; -0.1@189.5 f100 04-10 14:00:00-0400;",
                    dec!(6800),
                ),
                (
                    "5550123 USDJPY long x100000 open: +0.1@156 f70 04-29 10:00:00-0400; stop 155 04-30 21:15:00-0400;",
                    dec!(-70),
                ),
            ],
        );
        assert!(r.trades().iter().all(|t| t.trade.currency == "JPY"));
        assert_eq!(r.price_currencies["US_OIL"], "USD");
        assert_eq!(r.price_currencies["EURUSD"], "USD");
        assert!(!r.price_currencies.contains_key("USDJPY"));
        // The statement records no stop with its time: no R, stops not judged.
        assert!(!r.stops_recorded);
        for t in r.trades() {
            assert!(!t.trade.stops_known, "{}", describe(t));
            assert_eq!(r_multiple(t), None, "{}", describe(t));
        }
        // One warning for the archive row, whose total is set apart.
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            r.warnings[0]
                .message
                .starts_with("1 \"Summary trade result\" row"),
            "{}",
            r.warnings[0]
        );
        let check = r.reconciliation().unwrap();
        assert_eq!(check.label, "Closed Trade P/L");
        assert_eq!(check.currency, "JPY");
        assert_eq!(
            (check.statement, check.excluded, check.journal),
            (dec!(3895), dec!(-10000), dec!(13895))
        );
        assert!(check.agrees(), "{check}");
        assert!(r.fills.iter().all(|f| f.position.is_some()));
    }

    #[test]
    fn mt4_short_statement_in_windows_1251_with_a_long_and_a_short_at_once() {
        let bytes = fixture("mt4/statement-1251.htm");
        assert!(std::str::from_utf8(&bytes).is_err());
        let text = tranche::import::text::decode(&bytes);
        assert!(text.contains("Name: Иван Петров"), "{}", &text[..300]);
        assert!(text.contains("ООО «Пример Брокер»"));
        let r = check(
            "mt4/statement-1251.htm",
            Format::Mt4Html,
            &[
                (
                    "4401 EURUSD long x100000: +1@1.08 f0 03-10 09:00:00-0400; stop 1.078 03-10 12:00:00-0400; -1@1.083 f7 03-10 12:00:00-0400;",
                    dec!(293),
                ),
                (
                    "4401 EURUSD short x100000: +0.5@1.082 f0 03-10 10:00:00-0400; stop 1.084 03-10 11:00:00-0400; -0.5@1.081 f3.5 03-10 11:00:00-0400;",
                    dec!(46.5),
                ),
                // Opened and closed within a second: its S / L would read as a
                // stop placed with the entry, and is left out.
                (
                    "4401 GBPUSD long x100000: +0.2@1.29 f0 03-11 10:00:00-0400; -0.2@1.2901 f1.4 03-11 10:00:00-0400;",
                    dec!(0.6),
                ),
            ],
        );
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            r.warnings[0]
                .message
                .starts_with("1 S / L in force at a close falls")
        );
        for t in r.trades() {
            assert_eq!(r_multiple(t), None, "{}", describe(t));
        }
        let check = r.reconciliation().unwrap();
        assert_eq!(check.label, "Closed Trade P/L");
        assert_eq!((check.statement, check.journal), (dec!(340.1), dec!(340.1)));
        assert!(check.agrees(), "{check}");
    }

    #[test]
    fn mt5_eur_hedge_csv_with_suffixes_a_close_by_and_an_open_position() {
        let r = check(
            "mt5/ReportHistory-14186099-hedge.csv",
            Format::Mt5Csv,
            &[
                (
                    "14186099 XAUUSD+ long x100 r0.925: +0.1@3300 f0.3 06-02 10:00:00-0400; stop 3290 06-02 10:00:00-0400; -0.1@3310 f0.3 06-02 12:00:00-0400;",
                    dec!(91.9),
                ),
                // Held while the long above was open: a trade of its own. Its
                // order's S / L, then the position's, moved, at the close.
                (
                    "14186099 XAUUSD+ short x100 r0.925: +0.05@3305 f0.15 06-02 11:00:00-0400; stop 3320 06-02 11:00:00-0400; stop 3315 06-02 13:00:00-0400; -0.05@3295 f0.15 06-02 13:00:00-0400;",
                    dec!(45.95),
                ),
                // A CFD quoted in USD: size 1 at the rate of the gold tickets.
                (
                    "14186099 US500 long x1 r0.925: +1@5300 f0 06-02 14:00:00-0400; -1@5310 f0 06-02 15:00:00-0400;",
                    dec!(9.25),
                ),
                // A swap credit of 1.20 on the out deal.
                (
                    "14186099 EURUSD+ long x100000 r0.92592: +1@1.08 f3.5 06-03 09:00:00-0400; -1@1.085 f2.3 06-05 09:00:00-0400;",
                    dec!(457.16),
                ),
                // A close by: the long books the pair's loss, the short closes at
                // its partner's price with no profit.
                (
                    "14186099 XAUUSD+ long x100 r0.925: +0.01@3320 f0.03 06-10 10:00:00-0400; -0.01@3310 f0 06-10 12:00:00-0400;",
                    dec!(-9.28),
                ),
                (
                    "14186099 XAUUSD+ short x100 r0.925: +0.01@3310 f0.03 06-10 11:00:00-0400; -0.01@3310 f0 06-10 12:00:00-0400;",
                    dec!(-0.03),
                ),
                // Opened by a buy stop whose order had an S / L.
                (
                    "14186099 XAUUSD+ long x100 r0.925 open: +0.02@3330 f0.06 06-20 10:00:00-0400; stop 3320 06-20 10:00:00-0400;",
                    dec!(-0.06),
                ),
            ],
        );
        assert!(r.trades().iter().all(|t| t.trade.currency == "EUR"));
        assert_eq!(r.price_currencies["XAUUSD+"], "USD");
        assert_eq!(r.price_currencies["EURUSD+"], "USD");
        assert_eq!(r.price_currencies["US500"], "USD");
        assert_eq!(entries(&r, Side::Long), dec!(2.13));
        assert_eq!(entries(&r, Side::Short), dec!(0.06));
        // The orders place their stops in time: those trades have an R.
        assert!(r.stops_recorded);
        assert_eq!(
            r_multiple(&r.trades()[0]).map(|m| m.round_dp(4)),
            Some(dec!(0.9935))
        );
        assert_eq!(r_multiple(&r.trades()[2]), None);
        assert!(r.trades()[2].trade.stops_known);
        let check = r.reconciliation().unwrap();
        assert_eq!(check.label, "Total Net Profit");
        assert_eq!(
            (check.statement, check.journal),
            (dec!(594.89), dec!(594.89))
        );
        assert!(check.agrees(), "{check}");
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn mt5_report_in_japanese_in_utf16_with_a_stray_last_byte() {
        let bytes = fixture("mt5/ReportHistory-70012345-ja.html");
        assert_eq!(&bytes[..2], &[0xff, 0xfe]);
        assert_eq!(bytes.len() % 2, 1);
        let r = check(
            "mt5/ReportHistory-70012345-ja.html",
            Format::Mt5Html,
            &[
                (
                    "70012345 EURUSD long x100000: +0.2@1.05 f0.7 03-03 09:00:00-0500; stop 1.048 03-03 09:00:00-0500; -0.2@1.053 f0.7 03-03 15:00:00-0500;",
                    dec!(58.6),
                ),
                // The account line does not say Hedge, but a short was held
                // while the long was open: two trades.
                (
                    "70012345 EURUSD short x100000: +0.1@1.052 f0.35 03-03 10:00:00-0500; stop 1.055 03-03 11:00:00-0500; -0.1@1.051 f0.35 03-03 11:00:00-0500;",
                    dec!(9.3),
                ),
            ],
        );
        assert_eq!(r_multiple(&r.trades()[0]), Some(dec!(1.465)));
        let check = r.reconciliation().unwrap();
        assert_eq!(check.label, "純損益");
        assert_eq!((check.statement, check.journal), (dec!(67.9), dec!(67.9)));
        assert!(check.agrees(), "{check}");
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }
}
