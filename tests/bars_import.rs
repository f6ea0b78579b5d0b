//! Price bar files: each layout with its quirks, the symbol and bar length,
//! and bad rows named by file, line and field.

use rust_decimal_macros::dec;
use tranche::import::bars::{
    BarFormat, BarOptions, bars_symbols_for, detect_bars, read_bars, symbol_from_file_name,
};

fn utc() -> BarOptions {
    BarOptions {
        tz: chrono_tz::UTC,
        ..BarOptions::default()
    }
}

fn ts(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp()
}

#[test]
fn metatrader_4_history_center_in_server_time() {
    let file = "2024.01.02,00:00,1.10381,1.10399,1.10371,1.10390,52\r\n\
                2024.01.02,00:01,1.10390,1.10402,1.10380,1.104,41\r\n\
                2024.01.02,00:03,1.104,1.1041,1.1039,1.1040,12\r\n";
    assert_eq!(detect_bars(file.as_bytes()), Some(BarFormat::Mt4));
    let options = BarOptions {
        tz: "Etc/GMT-2".parse().unwrap(),
        ..BarOptions::default()
    };
    let read = read_bars(file.as_bytes(), "/tmp/EURUSD.m1.csv", &options).unwrap();
    let s = &read.series;
    assert_eq!(s.symbol, "EURUSD");
    assert_eq!(s.length, 60, "the most common gap, not the one-bar hole");
    assert_eq!(s.scale, 5);
    assert_eq!(s.bars.len(), 3);
    assert_eq!(s.bars[0].start, ts("2024-01-01T22:00:00Z"));
    assert_eq!(s.price(s.bars[1].close), dec!(1.104));
    assert_eq!(s.price(s.bars[0].high), dec!(1.10399));
    assert!(read.preview().contains("3 bars of 1 minute for EURUSD"));
}

#[test]
fn metatrader_5_tab_separated_with_angle_headers() {
    let file = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n\
                2024.01.02\t09:00:00\t2063.10\t2065.55\t2062.00\t2064.80\t1200\t0\t20\n\
                2024.01.02\t10:00:00\t2064.80\t2066.00\t2063.35\t2065.05\t900\t0\t20\n";
    assert_eq!(detect_bars(file.as_bytes()), Some(BarFormat::Mt5));
    let read = read_bars(
        file.as_bytes(),
        "XAUUSD_H1_202401020000_202401022300.csv",
        &utc(),
    )
    .unwrap();
    assert_eq!(read.series.symbol, "XAUUSD");
    assert_eq!(read.series.length, 3600);
    assert_eq!(read.series.bars[1].start, ts("2024-01-02T10:00:00Z"));
    assert_eq!(read.series.price(read.series.bars[1].low), dec!(2063.35));
}

#[test]
fn metatrader_5_exports_in_utf16_read_the_same() {
    let text = "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n\
                2024.01.02\t09:00:00\t1\t2\t0.5\t1.5\t1\t0\t0\r\n\
                2024.01.02\t09:05:00\t1.5\t2\t1\t1.75\t1\t0\t0\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    assert_eq!(detect_bars(&bytes), Some(BarFormat::Mt5));
    let read = read_bars(&bytes, "GER40_M5_x.csv", &utc()).unwrap();
    assert_eq!(read.series.length, 300);
    assert_eq!(read.series.symbol, "GER40");
}

#[test]
fn tradingview_unix_seconds_and_indicator_columns() {
    let file = "time,open,high,low,close,EMA,Volume\n\
                1704205800,187.15,188.44,183.89,185.64,186.0,82488700\n\
                1704292200,184.22,185.88,183.43,184.25,,58414500\n";
    assert_eq!(detect_bars(file.as_bytes()), Some(BarFormat::TradingView));
    let read = read_bars(file.as_bytes(), "BATS_AAPL, 1D.csv", &utc()).unwrap();
    assert_eq!(read.series.symbol, "AAPL");
    assert_eq!(read.series.length, 86_400);
    assert_eq!(read.series.bars[0].start, 1_704_205_800);
}

#[test]
fn tradingview_iso_times_with_an_offset() {
    let file = "time,open,high,low,close\n\
                2024-01-02T09:30:00-05:00,100,101,99,100.5\n\
                2024-01-02T09:35:00-05:00,100.5,102,100,101\n";
    let read = read_bars(file.as_bytes(), "NASDAQ_QQQ, 5.csv", &utc()).unwrap();
    assert_eq!(read.series.bars[0].start, ts("2024-01-02T14:30:00Z"));
    assert_eq!(read.series.length, 300);
    assert_eq!(read.series.symbol, "QQQ");
}

#[test]
fn ninjatrader_bars_start_one_length_before_their_stamp() {
    let file = "20240102 093100;4750.25;4752.00;4749.50;4751.75;1200\n\
                20240102 093200;4751.75;4753.25;4751.00;4752.50;900\n";
    assert_eq!(detect_bars(file.as_bytes()), Some(BarFormat::NinjaTrader));
    let options = BarOptions {
        tz: "America/New_York".parse().unwrap(),
        ..BarOptions::default()
    };
    let read = read_bars(file.as_bytes(), "C:\\data\\ES 03-24.Last.txt", &options).unwrap();
    assert_eq!(read.series.symbol, "ES 03-24");
    assert_eq!(read.series.length, 60);
    // Stamped 9:31 New York: holds 9:30:00 to 9:30:59.
    assert_eq!(read.series.bars[0].start, ts("2024-01-02T09:30:00-05:00"));
    assert_eq!(
        read.series.covering(ts("2024-01-02T09:30:59-05:00")),
        Some(0)
    );
}

#[test]
fn yahoo_daily_with_adj_close_newest_first() {
    let file = "Date,Open,High,Low,Close,Adj Close,Volume\n\
                2024-01-03,184.22,185.88,183.43,184.25,183.50,58414500\n\
                2024-01-02,187.15,188.44,183.89,185.64,184.90,82488700\n\
                2023-12-29,193.90,194.40,191.73,192.53,191.80,42628800\n";
    assert_eq!(detect_bars(file.as_bytes()), Some(BarFormat::Generic));
    let read = read_bars(file.as_bytes(), "AAPL.csv", &utc()).unwrap();
    let s = &read.series;
    assert_eq!(s.length, 86_400, "the weekend is the rarer gap");
    assert_eq!(s.bars[0].start, ts("2023-12-29T00:00:00Z"));
    assert_eq!(
        s.price(s.bars[2].close),
        dec!(184.25),
        "Close, not Adj Close"
    );
}

#[test]
fn stooq_with_date_and_time_columns_and_a_symbol_given() {
    let file = "Date;Time;Open;High;Low;Close;Volume\n\
                2024-01-02;15:35:00;10.5;10.7;10.4;10.6;100\n\
                2024-01-02;15:40:00;10.6;10.8;10.6;10.8;100\n";
    assert_eq!(detect_bars(file.as_bytes()), Some(BarFormat::Generic));
    let options = BarOptions {
        symbol: Some("xyz".into()),
        ..utc()
    };
    let read = read_bars(file.as_bytes(), "export.csv", &options).unwrap();
    assert_eq!(read.series.symbol, "XYZ");
    assert_eq!(read.series.length, 300);
}

#[test]
fn a_bad_row_is_named_by_file_line_and_field() {
    let file = "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,x,1.5\n";
    let err = read_bars(file.as_bytes(), "SPY.csv", &utc()).unwrap_err();
    assert_eq!(err.line, Some(3));
    assert_eq!(err.field.as_deref(), Some("Low"));
    assert!(err.to_string().starts_with("SPY.csv, line 3"), "{err}");

    let file = "2024.01.02,00:00,1.1,1.2,1.3,1.15,5\n";
    let err = read_bars(file.as_bytes(), "EURUSD1.csv", &utc()).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(1), Some("low")));

    let file = "2024.01.02,00:00,1.1,1.2,1.0,1.15,5\n2024.01.32,00:01,1.1,1.2,1.0,1.15,5\n";
    let err = read_bars(file.as_bytes(), "EURUSD1.csv", &utc()).unwrap_err();
    assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("date")));
}

#[test]
fn without_a_symbol_in_the_name_one_must_be_given() {
    let file = "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,0.5,1.5\n";
    let err = read_bars(file.as_bytes(), "123.csv", &utc()).unwrap_err();
    assert!(err.message.contains("--symbol"), "{err}");
}

#[test]
fn a_second_bar_at_one_time_is_left_out_with_a_warning() {
    let file = "2024.01.02,00:00,1,2,0.5,1.5,1\n2024.01.02,00:01,1,2,0.5,1.5,1\n\
                2024.01.02,00:01,1,3,0.5,1.5,1\n";
    let read = read_bars(file.as_bytes(), "EURUSD1.csv", &utc()).unwrap();
    assert_eq!(read.series.bars.len(), 2);
    assert_eq!(read.warnings.len(), 1);
    assert_eq!(read.warnings[0].line, Some(3));
}

#[test]
fn symbols_and_periods_from_file_names() {
    let cases = [
        ("EURUSD1.csv", BarFormat::Mt4, "EURUSD", Some(60)),
        ("EURUSD1440.csv", BarFormat::Mt4, "EURUSD", Some(86_400)),
        ("US3015.csv", BarFormat::Mt4, "US30", Some(900)),
        ("EURUSD_M15_202401.csv", BarFormat::Mt5, "EURUSD", Some(900)),
        ("GBPUSD.m_H4_x.csv", BarFormat::Mt5, "GBPUSD", Some(14_400)),
        (
            "OANDA_EURUSD, 60.csv",
            BarFormat::TradingView,
            "EURUSD",
            Some(3600),
        ),
        ("aapl_us_d.csv", BarFormat::Generic, "AAPL", None),
    ];
    for (name, format, symbol, period) in cases {
        let (s, p) = symbol_from_file_name(name, format).unwrap();
        assert_eq!((s.as_str(), p), (symbol, period), "{name}");
    }
}

#[test]
fn trade_symbols_match_bars_by_base_or_by_the_users_map() {
    let none = Default::default();
    assert_eq!(bars_symbols_for("EURUSD.m", &none), ["EURUSD.M", "EURUSD"]);
    assert_eq!(
        bars_symbols_for("EURUSDpro", &none),
        ["EURUSDPRO", "EURUSD"]
    );
    let map = [("ESH4".to_owned(), "ES 03-24".to_owned())].into();
    assert_eq!(bars_symbols_for("esh4", &map), ["ES 03-24"]);
}

#[test]
fn statements_are_not_bars() {
    let fills = "Date,Time,Symbol,Side,Qty,Price\n2024-01-02,09:30,AAPL,buy,10,100\n";
    assert_eq!(detect_bars(fills.as_bytes()), None);
    assert_eq!(detect_bars(b"{\"trades\": []}"), None);
}
