//! Trades and files shared by the tests.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::domain::{Event, MarketCondition, Side, Trade};

/// Parses an RFC 3339 time.
pub fn t(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("test time")
}

/// RULES.md's worked example: long 300 @ 100 with a stop at 95, an add of
/// 200 @ 104, stop trailed to 99, half out at 110, stop to 102, rest out at 106.
pub fn worked_example() -> Trade {
    let mut trade = Trade::new("AAPL", Side::Long);
    trade.account = "main".into();
    trade.setup = "breakout".into();
    trade.market_condition = MarketCondition::Trending;
    trade.tags = vec!["earnings".into(), "pyramid".into()];
    trade.notes = "Clean pyramid.".into();
    trade.events = vec![
        Event::stop(t("2024-03-01T09:35:00-05:00"), dec!(95)),
        Event::entry(
            t("2024-03-01T09:35:00-05:00"),
            dec!(300),
            dec!(100),
            dec!(0),
        ),
        Event::entry(
            t("2024-03-01T10:05:00-05:00"),
            dec!(200),
            dec!(104),
            dec!(0),
        ),
        Event::stop(t("2024-03-01T10:05:00-05:00"), dec!(99)),
        Event::exit(
            t("2024-03-04T11:00:00-05:00"),
            dec!(250),
            dec!(110),
            dec!(0),
        ),
        Event::stop(t("2024-03-04T11:00:00-05:00"), dec!(102)),
        Event::exit(
            t("2024-03-05T15:10:00-05:00"),
            dec!(250),
            dec!(106),
            dec!(0),
        ),
    ];
    trade
}

/// A journal's worth of varied trades: long and short, fees, multipliers,
/// targets, stops, same-timestamp events, a trade still open, non-ASCII text.
pub fn sample_trades() -> Vec<Trade> {
    let mut short = Trade::new("ESZ4", Side::Short);
    short.multiplier = dec!(50);
    short.account = "futures".into();
    short.setup = "failed breakout".into();
    short.market_condition = MarketCondition::Range;
    short.notes = "Sortie précipitée — 早すぎた 📉\nsecond line, \"quoted\"".into();
    short.tags = vec!["fomc".into(), "größe".into()];
    short.events = vec![
        Event::entry(
            t("2024-11-06T14:00:00+01:00"),
            dec!(2),
            dec!(5812.25),
            dec!(2.10),
        ),
        Event::stop(t("2024-11-06T14:00:00+01:00"), dec!(5820)),
        Event::target(t("2024-11-06T14:00:00+01:00"), dec!(5790.5)),
        Event::entry(
            t("2024-11-06T14:20:30.250+01:00"),
            dec!(1),
            dec!(5805.00),
            dec!(1.05),
        ),
        Event::stop(t("2024-11-06T14:20:30.250+01:00"), dec!(5812)),
        Event::exit(
            t("2024-11-06T15:00:00+01:00"),
            dec!(1),
            dec!(5795.75),
            dec!(1.05),
        ),
        Event::exit(
            t("2024-11-06T15:45:00+01:00"),
            dec!(2),
            dec!(5799.00),
            dec!(2.10),
        ),
    ];

    // Averaging down, in UTC, with fractional shares.
    let mut averaging = Trade::new("BTC-USD", Side::Long);
    averaging.currency = "USD".into();
    averaging.tags = vec!["crypto".into()];
    averaging.events = vec![
        Event::entry(
            t("2024-05-01T00:00:00+00:00"),
            dec!(0.5),
            dec!(60000),
            dec!(12.5),
        ),
        Event::entry(
            t("2024-05-01T06:00:00+00:00"),
            dec!(0.25),
            dec!(58000.5),
            dec!(6.25),
        ),
        Event::exit(
            t("2024-05-02T00:00:00+00:00"),
            dec!(0.75),
            dec!(61000),
            dec!(18.75),
        ),
    ];

    // Options, still open, in another currency.
    let mut open = Trade::new("SAP 250C", Side::Long);
    open.multiplier = dec!(100);
    open.currency = "EUR".into();
    open.events = vec![
        Event::stop(t("2024-06-03T09:00:00+02:00"), dec!(1.2)),
        Event::entry(
            t("2024-06-03T09:01:00+02:00"),
            dec!(10),
            dec!(2.35),
            dec!(7),
        ),
        Event::exit(t("2024-06-04T10:00:00+02:00"), dec!(4), dec!(3.1), dec!(3)),
    ];

    vec![worked_example(), short, averaging, open]
}

/// `n` generated trades of ten events each, all valid.
pub fn generated_trades(n: usize) -> Vec<Trade> {
    (0..n)
        .map(|i| {
            let side = if i % 3 == 0 { Side::Short } else { Side::Long };
            let s = side.sign();
            let base = Decimal::from(100 + (i % 400) as i64) + dec!(0.25);
            let day = t("2020-01-02T09:30:00-05:00") + chrono::Duration::hours(i as i64);
            let at = |minutes: i64| day + chrono::Duration::minutes(minutes);
            let mut trade = Trade::new(format!("SYM{}", i % 500), side);
            trade.setup = "generated".into();
            trade.tags = vec![format!("batch{}", i % 7)];
            trade.events = vec![
                Event::stop(at(0), base - s * dec!(2)),
                Event::entry(at(0), dec!(300), base, dec!(1)),
                Event::entry(at(5), dec!(200), base + s * dec!(1), dec!(1)),
                Event::stop(at(5), base - s * dec!(1)),
                Event::entry(at(10), dec!(100), base + s * dec!(2), dec!(1)),
                Event::stop(at(10), base),
                Event::exit(at(20), dec!(300), base + s * dec!(3), dec!(1)),
                Event::stop(at(20), base + s * dec!(1.5)),
                Event::exit(at(30), dec!(200), base + s * dec!(2.5), dec!(1)),
                Event::exit(at(40), dec!(100), base + s * dec!(4), dec!(1)),
            ];
            trade
        })
        .collect()
}

/// A tranche-journal document holding `trades` (JSON objects, already written).
pub fn journal_json(trades: &[&str]) -> String {
    let mut text = String::from(r#"{"format": "tranche-journal", "version": 1, "trades": ["#);
    for (i, trade) in trades.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        write!(text, "\n{trade}").expect("write to string");
    }
    text.push_str("]}");
    text
}

/// Writes `trade` into a journal file of an older schema (version 1 to 3:
/// trades without a rate), as that version of Tranche wrote it. Returns its id.
pub fn insert_trade_before_v4(path: &std::path::Path, trade: &Trade) -> i64 {
    use tranche::interchange::format_time;
    let conn = rusqlite::Connection::open(path).expect("journal file");
    conn.execute(
        "INSERT INTO trade (symbol, side, multiplier, currency, account, setup,
         market_condition, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            trade.symbol,
            trade.side.as_str(),
            trade.multiplier.to_string(),
            trade.currency,
            trade.account,
            trade.setup,
            trade.market_condition.as_str(),
            trade.notes
        ],
    )
    .expect("trade row");
    let id = conn.last_insert_rowid();
    for (seq, event) in trade.events.iter().enumerate() {
        let fill = event.kind.fill();
        conn.execute(
            "INSERT INTO event (trade_id, seq, kind, at, at_utc, qty, price, fee)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                id,
                seq as i64,
                event.kind.name(),
                format_time(&event.at),
                event.at.timestamp_millis(),
                fill.map(|f| f.qty.to_string()),
                event.kind.price().to_string(),
                fill.map(|f| f.fee.to_string())
            ],
        )
        .expect("event row");
    }
    for (position, tag) in trade.tags.iter().enumerate() {
        conn.execute(
            "INSERT INTO trade_tag (trade_id, position, tag) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, position as i64, tag],
        )
        .expect("tag row");
    }
    id
}

/// SQL that takes a journal's events back into the `event` table of schema
/// versions 1 to 8 (without that table's triggers), out of `trade.events`,
/// where version 9 keeps them.
pub const EVENTS_BACK_INTO_THEIR_TABLE: &str = "
    DROP VIEW event;
    CREATE TABLE event (
        trade_id INTEGER NOT NULL REFERENCES trade (id) ON DELETE CASCADE,
        seq      INTEGER NOT NULL CHECK (seq >= 0),
        kind     TEXT NOT NULL CHECK (kind IN ('entry', 'exit', 'stop', 'target')),
        at       TEXT NOT NULL,
        at_utc   INTEGER NOT NULL,
        qty      TEXT CHECK ((qty IS NOT NULL) = (kind IN ('entry', 'exit'))),
        price    TEXT NOT NULL,
        fee      TEXT CHECK ((fee IS NOT NULL) = (kind IN ('entry', 'exit'))),
        PRIMARY KEY (trade_id, seq)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO event
    SELECT trade.id, stored.key, stored.value ->> 0, stored.value ->> 1,
           CAST(unixepoch(stored.value ->> 1, 'subsec') * 1000 AS INTEGER),
           CASE json_array_length(stored.value) WHEN 5 THEN stored.value ->> 2 END,
           CASE json_array_length(stored.value) WHEN 5 THEN stored.value ->> 3
                ELSE stored.value ->> 2 END,
           CASE json_array_length(stored.value) WHEN 5 THEN stored.value ->> 4 END
    FROM trade, json_each(trade.events) AS stored;
    ALTER TABLE trade DROP COLUMN events;";

/// The names of the files in `dir`, sorted.
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Takes away a journal's kept statistics and their triggers, as a journal
/// of version 11 had none (for tests of older journals; first, before the
/// SQL that takes a journal further back).
pub const KEPT_STATS_AWAY: &str = "
    DROP TRIGGER kept_stats_trade_insert;
    DROP TRIGGER kept_stats_trade_update;
    DROP TRIGGER kept_stats_trade_delete;
    DROP TRIGGER kept_stats_tag_insert;
    DROP TRIGGER kept_stats_tag_update;
    DROP TRIGGER kept_stats_tag_delete;
    DROP TABLE kept_stats;";

/// Takes a journal's fill records back into one row per fill, as a journal
/// of version 10 held them (for tests of older journals).
pub const FILL_RECORDS_BACK_INTO_THEIR_TABLE: &str = "
    CREATE TABLE imported_fill_v10 (
        account  TEXT NOT NULL,
        key      TEXT NOT NULL,
        trade_id INTEGER NOT NULL,
        seq      INTEGER NOT NULL CHECK (seq >= 0),
        PRIMARY KEY (account, key)
    ) STRICT, WITHOUT ROWID;
    INSERT OR REPLACE INTO imported_fill_v10 (account, key, trade_id, seq)
    SELECT account, key, trade_id, seq FROM imported_fill ORDER BY trade_id;
    DROP VIEW imported_fill;
    DROP TABLE fill_record;
    ALTER TABLE imported_fill_v10 RENAME TO imported_fill;";

/// Raises by 3 the price of every event of `kind` of trade `id`, in plain
/// SQL, as another program might; returns the rows changed.
pub fn raise_prices(conn: &rusqlite::Connection, kind: &str, id: i64) -> usize {
    conn.execute(
        "UPDATE trade SET events = (
             SELECT json_group_array(
                        CASE value ->> 0
                            WHEN ?2 THEN json_replace(
                                value, '$[3]', CAST(value ->> 3 + 3 AS TEXT))
                            ELSE json(value)
                        END ORDER BY key)
             FROM json_each(trade.events))
         WHERE id = ?1",
        rusqlite::params![id, kind],
    )
    .expect("the other program's write")
}

/// The `tranche` binary, with no journal named by the environment.
pub fn tranche() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tranche"));
    command.env_remove("TRANCHE_JOURNAL");
    command
}

/// Runs `tranche` with `args` and waits for it.
pub fn run(args: &[&str]) -> std::process::Output {
    tranche().args(args).output().expect("run tranche")
}

/// The path of a broker file under `tests/fixtures/brokers`.
pub fn broker_fixture(path: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/brokers")
        .join(path)
        .to_str()
        .expect("a UTF-8 path")
        .to_owned()
}

/// `tranche import --tz UTC` of `csv` into the journal at `path`, which must
/// succeed.
pub fn import_utc(path: &std::path::Path, csv: &std::path::Path) {
    let output = run(&[
        "--journal",
        path.to_str().unwrap(),
        "import",
        csv.to_str().unwrap(),
        "--tz",
        "UTC",
    ]);
    assert!(output.status.success(), "{output:?}");
}
