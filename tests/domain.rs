//! Validation as a table: events in, the errors expected out.

use rust_decimal_macros::dec;
use tranche::domain::{Event, Field, Side, Trade, ValidationError};

use crate::helpers::{t, worked_example};

fn trade(events: Vec<Event>) -> Trade {
    let mut trade = Trade::new("TEST", Side::Long);
    trade.events = events;
    trade
}

#[test]
fn validation_table() {
    let at = |m: u32| t(&format!("2024-01-02T10:{m:02}:00+00:00"));
    let entry = |m, q, p| Event::entry(at(m), q, p, dec!(0));
    let exit = |m, q, p| Event::exit(at(m), q, p, dec!(0));
    let cases: Vec<(&str, Trade, Vec<ValidationError>)> = vec![
        ("worked example", worked_example(), vec![]),
        (
            "entry and full exit",
            trade(vec![
                entry(0, dec!(10), dec!(5)),
                exit(1, dec!(10), dec!(6)),
            ]),
            vec![],
        ),
        (
            "still open",
            trade(vec![entry(0, dec!(10), dec!(5))]),
            vec![],
        ),
        (
            "an option that expired worthless exits at zero",
            trade(vec![
                entry(0, dec!(2), dec!(1.35)),
                exit(1, dec!(2), dec!(0)),
            ]),
            vec![],
        ),
        (
            "negative exit price",
            trade(vec![
                entry(0, dec!(2), dec!(1.35)),
                exit(1, dec!(2), dec!(-0.01)),
            ]),
            vec![ValidationError::NegativeExitPrice {
                event: 1,
                price: dec!(-0.01),
            }],
        ),
        ("no events", trade(vec![]), vec![ValidationError::NoEntry]),
        (
            "only a stop",
            trade(vec![Event::stop(at(0), dec!(4))]),
            vec![ValidationError::NoEntry],
        ),
        (
            "zero quantity",
            trade(vec![entry(0, dec!(0), dec!(5))]),
            vec![ValidationError::NonPositiveQty {
                event: 0,
                qty: dec!(0),
            }],
        ),
        (
            "negative quantity",
            trade(vec![entry(0, dec!(-3), dec!(5))]),
            vec![ValidationError::NonPositiveQty {
                event: 0,
                qty: dec!(-3),
            }],
        ),
        (
            "zero price",
            trade(vec![entry(0, dec!(1), dec!(0))]),
            vec![ValidationError::NonPositivePrice {
                event: 0,
                price: dec!(0),
            }],
        ),
        (
            "negative stop",
            trade(vec![
                Event::stop(at(0), dec!(-1)),
                entry(0, dec!(1), dec!(2)),
            ]),
            vec![ValidationError::NonPositivePrice {
                event: 0,
                price: dec!(-1),
            }],
        ),
        (
            "exit before the first entry",
            trade(vec![exit(0, dec!(1), dec!(2)), entry(1, dec!(1), dec!(2))]),
            vec![ValidationError::ExitBeforeEntry { event: 0 }],
        ),
        (
            "exit over the open quantity",
            trade(vec![
                entry(0, dec!(300), dec!(2)),
                exit(1, dec!(400), dec!(3)),
            ]),
            vec![ValidationError::ExitExceedsOpen {
                event: 1,
                qty: dec!(400),
                open: dec!(300),
            }],
        ),
        (
            "event after the close",
            trade(vec![
                entry(0, dec!(1), dec!(2)),
                exit(1, dec!(1), dec!(3)),
                Event::stop(at(2), dec!(2)),
            ]),
            vec![ValidationError::AfterClose {
                event: 2,
                kind: "stop",
            }],
        ),
        (
            "out of time order",
            trade(vec![
                entry(5, dec!(1), dec!(2)),
                Event::stop(at(1), dec!(1)),
            ]),
            vec![ValidationError::OutOfOrder { event: 1 }],
        ),
    ];
    for (name, trade, expected) in cases {
        let got = trade.validate().err().unwrap_or_default();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn trade_level_fields_are_checked() {
    let mut trade = worked_example();
    trade.symbol = "".into();
    trade.multiplier = dec!(0);
    trade.currency = " ".into();
    let errors = trade.validate().unwrap_err();
    assert_eq!(
        errors,
        vec![
            ValidationError::EmptySymbol,
            ValidationError::NonPositiveMultiplier(dec!(0)),
            ValidationError::EmptyCurrency,
        ]
    );
    assert_eq!(errors[1].field(), Field::Multiplier);
    assert_eq!(
        errors[1].describe(&trade, |i| i + 1),
        "multiplier: the multiplier must be positive, not 0"
    );
}

#[test]
fn errors_describe_the_event_and_field() {
    let mut trade = worked_example();
    trade.events[4] = Event::exit(
        t("2024-03-04T11:00:00-05:00"),
        dec!(600),
        dec!(110),
        dec!(0),
    );
    let errors = trade.validate().unwrap_err();
    assert_eq!(
        errors[0].describe(&trade, |i| i + 1),
        "event 5 (exit), qty: the exit of 600 is larger than the open quantity 500"
    );
}

#[test]
fn sorting_keeps_same_time_events_in_their_logged_order() {
    let mut trade = worked_example();
    trade.events.reverse();
    let order = trade.sort_events();
    assert_eq!(trade, {
        // Same-time pairs come out in reversed (logged) order: stop then entry.
        let mut expected = worked_example();
        expected.events.swap(0, 1);
        expected.events.swap(2, 3);
        expected.events.swap(4, 5);
        expected
    });
    assert_eq!(order, vec![5, 6, 3, 4, 1, 2, 0]);
}

#[test]
fn a_negative_fee_is_a_credit_and_the_rate_is_checked() {
    let mut trade = worked_example();
    // A positive swap or a rebate: a credit to the account.
    trade.events[2] = Event::entry(
        t("2024-03-01T10:05:00-05:00"),
        dec!(200),
        dec!(104),
        dec!(-0.75),
    );
    assert_eq!(trade.validate(), Ok(()));

    trade.rate = dec!(0);
    let errors = trade.validate().unwrap_err();
    assert_eq!(errors, vec![ValidationError::NonPositiveRate(dec!(0))]);
    assert_eq!(
        errors[0].describe(&trade, |i| i + 1),
        "rate: the rate must be positive, not 0"
    );

    // Each number within its limit, the product beyond what can be exact.
    trade.rate = dec!(1000);
    trade.multiplier = dec!(1000000);
    trade.events = vec![Event::entry(
        t("2024-03-01T10:00:00Z"),
        dec!(1000000000000),
        dec!(1000000000),
        dec!(0),
    )];
    assert!(matches!(
        trade.validate().unwrap_err()[..],
        [ValidationError::TradeTooLarge { .. }]
    ));
}
