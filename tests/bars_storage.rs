//! Price bars in a real journal file: re-imports add nothing, finer prices
//! make the series finer, a trade's bars come from the shortest series that
//! spans it, and a trade's bars are read by the key, never by a scan.

use tranche::domain::bars::{Bar, BarSeries};
use tranche::storage::Journal;

fn series(symbol: &str, length: i64, scale: u32, starts: std::ops::Range<i64>) -> BarSeries {
    let mut s = BarSeries::new(symbol, length, scale);
    for i in starts {
        s.bars.push(Bar {
            start: i * length,
            open: 1000 + i,
            high: 1010 + i,
            low: 990 + i,
            close: 1001 + i,
        });
    }
    s
}

#[test]
fn reimporting_overlapping_bars_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    let first = journal
        .insert_bars(&series("EURUSD", 60, 5, 0..100), "a.csv", &mut |_, _| {})
        .unwrap();
    assert_eq!((first.added, first.known), (100, 0));
    let again = journal
        .insert_bars(&series("eurusd", 60, 5, 50..150), "b.csv", &mut |_, _| {})
        .unwrap();
    assert_eq!((again.added, again.known), (50, 50));
    assert_eq!(again.series.bars, 150);
    assert_eq!(
        (again.series.first, again.series.last),
        (Some(0), Some(149 * 60))
    );
    drop(journal);

    let journal = Journal::open(&path).unwrap();
    let all = journal.bar_series().unwrap();
    assert_eq!(all.len(), 1, "one series, whatever the case of its symbol");
    let read = journal.bars(all[0].id, 10 * 60, 12 * 60).unwrap();
    assert_eq!(read.bars.len(), 3);
    assert_eq!(read.bars[0], series("X", 60, 5, 10..11).bars[0]);
}

#[test]
fn a_file_with_more_decimal_places_makes_the_series_finer() {
    let mut journal = Journal::open_in_memory().unwrap();
    journal
        .insert_bars(&series("XAUUSD", 60, 2, 0..10), "a", &mut |_, _| {})
        .unwrap();
    let out = journal
        .insert_bars(&series("XAUUSD", 60, 3, 10..20), "b", &mut |_, _| {})
        .unwrap();
    assert_eq!(out.series.scale, 3);
    let read = journal.bars(out.series.id, 0, i64::MAX).unwrap();
    assert_eq!(
        read.price(read.bars[0].open),
        rust_decimal_macros::dec!(10.00)
    );
    assert_eq!(
        read.price(read.bars[10].open),
        rust_decimal_macros::dec!(1.010)
    );
}

#[test]
fn a_trade_gets_the_shortest_series_that_spans_it() {
    let mut journal = Journal::open_in_memory().unwrap();
    journal
        .insert_bars(&series("ES", 3600, 2, 0..48), "h", &mut |_, _| {})
        .unwrap();
    journal
        .insert_bars(&series("ES", 60, 2, 60..120), "m", &mut |_, _| {})
        .unwrap();
    let symbols = vec!["ES".to_owned()];
    // Inside the minutes: minute bars, with two more on each side.
    let b = journal
        .trade_bars(&symbols, 80 * 60 + 5, Some(90 * 60 + 5), 2)
        .unwrap()
        .unwrap();
    assert_eq!(b.length, 60);
    assert_eq!(b.bars.first().unwrap().start, 78 * 60);
    assert_eq!(b.bars.last().unwrap().start, 92 * 60);
    // Beyond the minutes: hours.
    let b = journal
        .trade_bars(&symbols, 80 * 60, Some(200 * 60), 0)
        .unwrap()
        .unwrap();
    assert_eq!(b.length, 3600);
    // Beyond every series: nothing.
    assert!(
        journal
            .trade_bars(&symbols, 80 * 60, Some(100 * 3600), 0)
            .unwrap()
            .is_none()
    );
    assert!(
        journal
            .trade_bars(&["NQ".into()], 0, None, 0)
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_symbol_map_is_kept() {
    let mut journal = Journal::open_in_memory().unwrap();
    assert!(journal.bars_symbol_map().unwrap().is_empty());
    let map = [("ESH4".to_owned(), "ES 03-24".to_owned())].into();
    journal.set_bars_symbol_map(&map).unwrap();
    assert_eq!(journal.bars_symbol_map().unwrap(), map);
}

#[test]
fn a_trades_bars_are_read_by_the_key_and_a_bar_is_small() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    let before = journal.page_bytes().unwrap();
    // Realistic prices: EURUSD at 5 places moving a few points a minute.
    let mut s = BarSeries::new("EURUSD", 60, 5);
    let mut price = 108_000i64;
    for i in 0..100_000i64 {
        price += (i * 7919 % 13) - 6;
        s.bars.push(Bar {
            start: 1_704_153_600 + i * 60,
            open: price,
            high: price + 9,
            low: price - 8,
            close: price + 3,
        });
    }
    journal.insert_bars(&s, "f", &mut |_, _| {}).unwrap();
    let per_bar = (journal.page_bytes().unwrap() - before) as f64 / 100_000.0;
    assert!(per_bar <= 40.0, "{per_bar} bytes a bar");
    let plan = journal.bars_query_plan().unwrap();
    assert!(plan.contains("USING PRIMARY KEY"), "{plan}");
    assert!(!plan.contains("SCAN"), "{plan}");
}

#[test]
fn many_trades_looked_up_at_once_get_the_bars_each_gets_alone() {
    use tranche::market::{MarketBars, trade_bars, trade_excursion};
    let mut journal = Journal::open_in_memory().unwrap();
    // The generated trades start 2020-01-02 14:30 UTC and one an hour after.
    let first = 1_577_975_400;
    let minutes = BarSeries {
        bars: (0..30 * 60)
            .map(|i| Bar {
                start: first - 3600 + i * 60,
                open: 10_000 + i % 700,
                high: 10_900 + i % 700,
                low: 9_000 + i % 700,
                close: 10_050 + i % 700,
            })
            .collect(),
        ..BarSeries::new("SYM1", 60, 2)
    };
    let hours = BarSeries {
        bars: (0..80)
            .map(|i| Bar {
                start: first - 3600 + i * 3600,
                open: 10_000,
                high: 60_000,
                low: 1_000,
                close: 10_100,
            })
            .collect(),
        ..BarSeries::new("sym1", 3600, 2)
    };
    journal.insert_bars(&minutes, "m", &mut |_, _| {}).unwrap();
    journal.insert_bars(&hours, "h", &mut |_, _| {}).unwrap();
    let map = [("OTHER".to_owned(), "Sym1".to_owned())].into();
    journal.set_bars_symbol_map(&map).unwrap();

    let mut trades = crate::helpers::generated_trades(100);
    for (i, trade) in trades.iter_mut().enumerate() {
        trade.symbol = ["SYM1", "sym1.m", "OTHER", "SYM2"][i % 4].to_owned();
        if i % 5 == 0 {
            trade.events.pop();
        }
    }
    let market = MarketBars::load(&journal).unwrap();
    let (mut minute_bars, mut hour_bars, mut none) = (0, 0, 0);
    for trade in &trades {
        for margin in [0, 2] {
            let alone = trade_bars(&journal, trade, &map, margin).unwrap();
            assert_eq!(market.trade_bars(&journal, trade, margin).unwrap(), alone);
            match alone.map(|b| b.length) {
                Some(60) => minute_bars += 1,
                Some(3600) => hour_bars += 1,
                _ => none += 1,
            }
        }
        assert_eq!(
            market.excursion(&journal, trade).unwrap(),
            trade_excursion(&journal, trade, &map).unwrap()
        );
    }
    assert!(minute_bars > 0 && hour_bars > 0 && none > 0);
}
