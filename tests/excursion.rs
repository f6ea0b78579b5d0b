//! Excursions against price bars (RULES.md, "With price bars"): tables of a
//! trade, its bars, and the figures expected.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::excursion::excursion;
use tranche::domain::bars::{Bar, BarSeries};
use tranche::domain::{Event, Side, Trade};

use crate::helpers::t;

/// Bars of `length` seconds at 2 decimal places: (start, open, high, low, close).
fn bars(length: i64, rows: &[(&str, Decimal, Decimal, Decimal, Decimal)]) -> BarSeries {
    let mut s = BarSeries::new("TEST", length, 2);
    for (start, o, h, l, c) in rows {
        let u = |d: &Decimal| s.units(*d).unwrap();
        let bar = Bar {
            start: t(start).timestamp(),
            open: u(o),
            high: u(h),
            low: u(l),
            close: u(c),
        };
        s.bars.push(bar);
    }
    s
}

/// One-minute bars from 10:00 UTC: (high, low) each, opening and closing midway.
fn minutes(rows: &[(Decimal, Decimal)]) -> BarSeries {
    let mut s = BarSeries::new("TEST", 60, 2);
    let base = t("2024-01-02T10:00:00Z").timestamp();
    for (i, (h, l)) in rows.iter().enumerate() {
        let mid = (h + l) / dec!(2);
        s.bars.push(Bar {
            start: base + 60 * i as i64,
            open: s.units(mid.round_dp(2)).unwrap(),
            high: s.units(*h).unwrap(),
            low: s.units(*l).unwrap(),
            close: s.units(mid.round_dp(2)).unwrap(),
        });
    }
    s
}

fn at(minute_second: &str) -> chrono::DateTime<chrono::FixedOffset> {
    t(&format!("2024-01-02T10:{minute_second}Z"))
}

/// A long of 100 @ 100 at 10:00:30 with a stop at 98, half out at 10:02:10 at
/// 103, the rest out at 10:04:20 at 101.
fn long_trade() -> Trade {
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = vec![
        Event::stop(at("00:30"), dec!(98)),
        Event::entry(at("00:30"), dec!(100), dec!(100), dec!(1)),
        Event::exit(at("02:10"), dec!(50), dec!(103), dec!(1)),
        Event::exit(at("04:20"), dec!(50), dec!(101), dec!(1)),
    ];
    trade
}

#[test]
fn a_long_trade_its_extremes_and_its_scale_out() {
    // Bars 10:00 .. 10:06; the trade lives in bars 0 to 4.
    let b = minutes(&[
        (dec!(100.50), dec!(99.50)),  // 10:00 entry
        (dec!(101.00), dec!(97.00)),  // 10:01 worst: 97
        (dec!(103.50), dec!(102.00)), // 10:02 partial exit
        (dec!(106.00), dec!(102.50)), // 10:03 best after the exit: 106
        (dec!(102.00), dec!(100.75)), // 10:04 final exit
        (dec!(120.00), dec!(90.00)),  // 10:05 after the trade: ignored
    ]);
    let x = excursion(&long_trade(), &b).unwrap();
    assert_eq!(x.mfe, dec!(6)); // 106 - 100
    assert_eq!(x.mae, dec!(-3)); // 97 - 100
    assert_eq!(x.mfe_r, Some(dec!(3))); // 6 / |100 - 98|
    assert_eq!(x.mae_r, Some(dec!(-1.5)));
    assert_eq!(x.best.at, at("03:00").timestamp());
    assert_eq!(x.worst.at, at("01:00").timestamp());
    assert_eq!(x.exits.len(), 1, "the final exit is not a scale-out");
    let e = &x.exits[0];
    assert_eq!(e.event, 2);
    // After the exit's bar (10:02) up to the final exit's bar (10:04): best 106, worst 100.75.
    assert_eq!(e.left, Some(dec!(150))); // (106 - 103) * 50
    assert_eq!(e.saved, Some(dec!(112.5))); // (103 - 100.75) * 50
}

#[test]
fn a_short_trade_with_a_multiplier_and_a_rate() {
    let mut trade = Trade::new("TEST", Side::Short);
    trade.multiplier = dec!(50);
    trade.rate = dec!(0.9);
    trade.events = vec![
        Event::entry(at("00:10"), dec!(2), dec!(100), dec!(0)),
        Event::stop(at("00:10"), dec!(104)),
        Event::exit(at("01:30"), dec!(1), dec!(98), dec!(0)),
        Event::exit(at("03:05"), dec!(1), dec!(97), dec!(0)),
    ];
    let b = minutes(&[
        (dec!(101.00), dec!(99.00)), // entry bar: adverse high 101
        (dec!(99.00), dec!(97.50)),  // partial exit bar
        (dec!(99.25), dec!(95.00)),  // after the exit: best 95, worst 99.25
        (dec!(98.00), dec!(96.50)),  // final exit bar
    ]);
    let x = excursion(&trade, &b).unwrap();
    assert_eq!(x.mfe, dec!(5)); // -(95 - 100)
    assert_eq!(x.mae, dec!(-1)); // -(101 - 100)
    assert_eq!(x.mfe_r, Some(dec!(1.25))); // 5 / 4: the stop logged with the entry counts
    assert_eq!(x.mae_r, Some(dec!(-0.25)));
    let e = &x.exits[0];
    // left = (98 - 95) * 1 * 50 * 0.9; saved = -(98 - 99.25) * 1 * 50 * 0.9.
    assert_eq!(e.left, Some(dec!(135)));
    assert_eq!(e.saved, Some(dec!(56.25)));
}

#[test]
fn gaps_between_bars_are_skipped_and_exits_in_a_gap_still_have_windows() {
    // Bars at 10:00, 10:01, then a hole until 10:05, 10:06.
    let b = bars(
        60,
        &[
            (
                "2024-01-02T10:00:00Z",
                dec!(100),
                dec!(100.5),
                dec!(99.5),
                dec!(100),
            ),
            (
                "2024-01-02T10:01:00Z",
                dec!(100),
                dec!(101),
                dec!(99),
                dec!(100),
            ),
            (
                "2024-01-02T10:05:00Z",
                dec!(104),
                dec!(107),
                dec!(103),
                dec!(104),
            ),
            (
                "2024-01-02T10:06:00Z",
                dec!(104),
                dec!(105),
                dec!(100.5),
                dec!(101),
            ),
        ],
    );
    let mut trade = long_trade();
    // The partial exit at 10:02:10 falls in the hole: the window is 10:05 and 10:06.
    trade.events[3].at = at("06:30");
    let x = excursion(&trade, &b).unwrap();
    assert_eq!(x.mfe, dec!(7));
    assert_eq!(x.mae, dec!(-1));
    assert_eq!(x.exits[0].left, Some(dec!(200))); // (107 - 103) * 50
    assert_eq!(x.exits[0].saved, Some(dec!(125))); // (103 - 100.5) * 50
}

#[test]
fn nothing_saved_when_the_price_never_came_back_below_the_exit() {
    let b = minutes(&[
        (dec!(100.5), dec!(99.5)),
        (dec!(103.5), dec!(102)),
        (dec!(106), dec!(103.25)),
    ]);
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = vec![
        Event::entry(at("00:30"), dec!(2), dec!(100), dec!(0)),
        Event::exit(at("01:30"), dec!(1), dec!(103), dec!(0)),
        Event::exit(at("02:30"), dec!(1), dec!(105), dec!(0)),
    ];
    let x = excursion(&trade, &b).unwrap();
    assert_eq!(x.exits[0].saved, Some(dec!(0)));
    assert_eq!(x.exits[0].left, Some(dec!(3)));
}

#[test]
fn a_trade_inside_one_bar() {
    let b = minutes(&[(dec!(101), dec!(99.5)), (dec!(130), dec!(80))]);
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = vec![
        Event::stop(at("00:05"), dec!(99)),
        Event::entry(at("00:05"), dec!(10), dec!(100), dec!(0)),
        Event::exit(at("00:20"), dec!(5), dec!(100.5), dec!(0)),
        Event::exit(at("00:50"), dec!(5), dec!(100.8), dec!(0)),
    ];
    let x = excursion(&trade, &b).unwrap();
    assert_eq!((x.mfe, x.mae), (dec!(1), dec!(-0.5)));
    assert_eq!(x.mfe_r, Some(dec!(1)));
    // No bar starts after the partial exit's bar within the life: undefined.
    assert_eq!(x.exits[0].left, None);
    assert_eq!(x.exits[0].saved, None);
}

#[test]
fn an_open_trade_runs_to_the_last_bar_and_every_exit_is_partial() {
    let b = minutes(&[
        (dec!(100.5), dec!(99.5)),
        (dec!(102), dec!(100)),
        (dec!(104), dec!(101)),
        (dec!(109), dec!(103)),
    ]);
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = vec![
        Event::entry(at("00:30"), dec!(10), dec!(100), dec!(0)),
        Event::exit(at("01:30"), dec!(4), dec!(101.5), dec!(0)),
    ];
    let x = excursion(&trade, &b).unwrap();
    assert_eq!(x.mfe, dec!(9));
    assert_eq!(x.exits[0].event, 1);
    assert_eq!(x.mae, dec!(-0.5));
    assert_eq!(x.exits[0].left, Some(dec!(30))); // (109 - 101.5) * 4
    assert_eq!(x.exits[0].saved, Some(dec!(2))); // (101.5 - 101) * 4
}

#[test]
fn without_an_initial_stop_there_is_no_r() {
    let b = minutes(&[(dec!(101), dec!(99)), (dec!(102), dec!(98))]);
    let mut trade = long_trade();
    trade.events.remove(0);
    let x = excursion(&trade, &b).unwrap();
    assert_eq!((x.mfe_r, x.mae_r), (None, None));
    assert_eq!(x.mfe, dec!(2));

    // A stop shown only at the close is not the initial stop either.
    let mut trade = long_trade();
    trade.stops_known = false;
    assert_eq!(excursion(&trade, &b).unwrap().mfe_r, None);

    // A stop placed after the entry is not the initial stop.
    let mut trade = long_trade();
    trade.events[0].at = at("00:40");
    trade.sort_events();
    assert_eq!(excursion(&trade, &b).unwrap().mfe_r, None);
}

#[test]
fn ninjatrader_end_stamps_read_as_starts_give_the_same_bars() {
    use tranche::import::bars::{BarOptions, read_bars};
    // Stamped 10:01, 10:02, 10:03 UTC: the bars of 10:00, 10:01, 10:02.
    let file = "20240102 100100;100;100.5;99.5;100;1\n\
                20240102 100200;100;104;97;103;1\n\
                20240102 100300;103;103.5;102;103;1\n";
    let options = BarOptions {
        tz: chrono_tz::UTC,
        ..BarOptions::default()
    };
    let b = read_bars(file.as_bytes(), "TEST.Last.txt", &options)
        .unwrap()
        .series;
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = vec![
        Event::entry(at("00:30"), dec!(1), dec!(100), dec!(0)),
        Event::exit(at("01:59"), dec!(1), dec!(103), dec!(0)),
    ];
    let x = excursion(&trade, &b).unwrap();
    // The bar stamped 10:03 starts at 10:02, after the exit: not in the life.
    assert_eq!((x.mfe, x.mae), (dec!(4), dec!(-3)));
}

#[test]
fn bars_of_several_lengths_each_give_their_own_figures() {
    // Hourly bars see the whole hour; the trade's own minutes see less.
    let hourly = bars(
        3600,
        &[(
            "2024-01-02T10:00:00Z",
            dec!(100),
            dec!(110),
            dec!(90),
            dec!(100),
        )],
    );
    let minute = minutes(&[(dec!(101), dec!(99.5)), (dec!(102), dec!(100))]);
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = vec![
        Event::entry(at("00:30"), dec!(1), dec!(100), dec!(0)),
        Event::exit(at("01:30"), dec!(1), dec!(101), dec!(0)),
    ];
    assert_eq!(excursion(&trade, &hourly).unwrap().mfe, dec!(10));
    assert_eq!(excursion(&trade, &minute).unwrap().mfe, dec!(2));
}

#[test]
fn no_bars_in_the_life_is_no_excursion() {
    let b = minutes(&[(dec!(101), dec!(99))]);
    let mut trade = long_trade();
    for e in &mut trade.events {
        e.at += chrono::Duration::hours(2);
    }
    assert_eq!(excursion(&trade, &b), None);
}

#[test]
fn the_summary_counts_winners_beyond_1r_and_sums_left_and_saved_by_setup() {
    use tranche::analysis::excursion::summarize;
    let b = minutes(&[
        (dec!(100.50), dec!(99.50)),
        (dec!(101.00), dec!(97.00)),
        (dec!(103.50), dec!(102.00)),
        (dec!(106.00), dec!(102.50)),
        (dec!(102.00), dec!(100.75)),
    ]);
    let mut a = long_trade();
    a.setup = "breakout".into();
    let xa = excursion(&a, &b).unwrap(); // MAE -1.5R, left 150, saved 112.5
    let mut c = long_trade();
    c.setup = "breakout".into();
    c.events[0] = Event::stop(at("00:30"), dec!(95)); // 1R = 5: MAE -0.6R
    let xc = excursion(&c, &b).unwrap();
    let mut d = long_trade();
    d.setup = "pullback".into();
    let xd = excursion(&d, &b).unwrap();
    let s = summarize([
        (&a, dec!(100), &xa),
        (&c, dec!(100), &xc),
        (&d, dec!(-50), &xd),
    ]);
    assert_eq!(s.measured, 3);
    assert_eq!(s.points.len(), 3);
    assert_eq!((s.winners, s.winners_beyond_1r), (2, 1));
    let breakout = s.by_setup[&("USD".to_owned(), "breakout".to_owned())];
    assert_eq!(
        (breakout.trades, breakout.left, breakout.saved),
        (2, dec!(300), dec!(225))
    );
    assert_eq!(s.overall["USD"].left, dec!(450));
}
