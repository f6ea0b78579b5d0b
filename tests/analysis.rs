//! Tests of the per-trade analysis against RULES.md: the worked example,
//! a table of trades that break each rule and trades that barely don't (each
//! run as a long and as its mirrored short), the violation messages, and
//! property tests over random valid trades.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::format::ratio;
use tranche::analysis::{Rule, RuleSettings, TradeAnalysis, Verdict, analyze, analyze_with_steps};
use tranche::domain::{Event, EventKind, Fill, MarketCondition, Side, Trade};

/// 2024-03-04 09:30 New York time, plus `minute` minutes.
fn at(minute: i64) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(2024, 3, 4, 9, 30, 0)
        .unwrap()
        + Duration::minutes(minute)
}

fn stop(minute: i64, price: Decimal) -> Event {
    Event::stop(at(minute), price)
}

fn target(minute: i64, price: Decimal) -> Event {
    Event::target(at(minute), price)
}

fn entry(minute: i64, qty: Decimal, price: Decimal) -> Event {
    Event::entry(at(minute), qty, price, Decimal::ZERO)
}

fn exit(minute: i64, qty: Decimal, price: Decimal) -> Event {
    Event::exit(at(minute), qty, price, Decimal::ZERO)
}

fn with_fee(mut event: Event, fee: Decimal) -> Event {
    if let EventKind::Entry(fill) | EventKind::Exit(fill) = &mut event.kind {
        fill.fee = fee;
    }
    event
}

fn trade(side: Side, events: Vec<Event>) -> Trade {
    let mut trade = Trade::new("TEST", side);
    trade.market_condition = MarketCondition::Trending;
    trade.setup = "breakout".to_owned();
    trade.events = events;
    trade
}

fn long(events: Vec<Event>) -> Trade {
    trade(Side::Long, events)
}

/// The same trade in the other direction, with every price `p` replaced by
/// `200 - p`: every rule must judge it the same way.
fn mirrored(trade: &Trade) -> Trade {
    let mut mirror = trade.clone();
    mirror.side = match trade.side {
        Side::Long => Side::Short,
        Side::Short => Side::Long,
    };
    for event in &mut mirror.events {
        match &mut event.kind {
            EventKind::Entry(fill) | EventKind::Exit(fill) => fill.price = dec!(200) - fill.price,
            EventKind::Stop { price } | EventKind::Target { price } => *price = dec!(200) - *price,
        }
    }
    mirror
}

fn found(analysis: &TradeAnalysis) -> Vec<(Rule, usize)> {
    analysis
        .violations
        .iter()
        .map(|v| (v.rule, v.event))
        .collect()
}

fn defaults() -> RuleSettings {
    RuleSettings::default()
}

/// RULES.md's worked example: long 300 @ 100 with a stop at 95, add 200 @ 104,
/// trail to 99, sell 250 @ 110, stop to 102, sell 250 @ 106.
fn worked_example() -> Trade {
    long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        entry(10, dec!(200), dec!(104)),
        stop(10, dec!(99)),
        exit(20, dec!(250), dec!(110)),
        stop(20, dec!(102)),
        exit(30, dec!(250), dec!(106)),
    ])
}

#[test]
fn worked_example_comes_out_exactly() {
    let trade = worked_example();
    trade.validate().unwrap();
    let (analysis, steps) = analyze_with_steps(&trade, &defaults());

    // (Q, A, G, S) after each event, as in RULES.md's table.
    let expected: [(Decimal, Option<Decimal>, Decimal, Decimal); 7] = [
        (dec!(0), None, dec!(0), dec!(95)),
        (dec!(300), Some(dec!(100)), dec!(0), dec!(95)),
        (dec!(500), Some(dec!(101.6)), dec!(0), dec!(95)),
        (dec!(500), Some(dec!(101.6)), dec!(0), dec!(99)),
        (dec!(250), Some(dec!(101.6)), dec!(2100), dec!(99)),
        (dec!(250), Some(dec!(101.6)), dec!(2100), dec!(102)),
        (dec!(0), None, dec!(3200), dec!(102)),
    ];
    assert_eq!(steps.len(), expected.len());
    for (i, (step, (q, a, g, s))) in steps.iter().zip(expected).enumerate() {
        assert_eq!(step.open_qty, q, "Q after event {}", i + 1);
        assert_eq!(step.avg_entry, a, "A after event {}", i + 1);
        assert_eq!(step.realized, g, "G after event {}", i + 1);
        assert_eq!(step.stop, Some(s), "S after event {}", i + 1);
        assert_eq!(step.fees, dec!(0));
    }
    assert_eq!(steps[3].worst_case, Some(dec!(-1300)));

    assert_eq!(analysis.opened_at, Some(at(0)));
    assert_eq!(analysis.closed_at, Some(at(30)));
    assert_eq!(analysis.open_qty, dec!(0));
    assert_eq!(analysis.avg_entry, Some(dec!(101.6)));
    assert_eq!(analysis.initial_risk, Some(dec!(1500)));
    assert_eq!(analysis.gross_pnl, dec!(3200));
    assert_eq!(analysis.fees, dec!(0));
    assert_eq!(analysis.net_pnl, dec!(3200));
    let r = analysis.r_multiple.unwrap();
    assert_eq!(ratio(r), "2.1333");
    assert_eq!(r * dec!(1500), dec!(3200));
    assert_eq!(analysis.adds, 1);
    assert_eq!(analysis.partial_exits, 1);
    assert_eq!(analysis.violations, vec![]);
    assert_eq!(analysis.score, 100);

    let scale_out = analysis.scale_out.unwrap();
    assert_eq!(scale_out.actual, dec!(3200));
    assert_eq!(scale_out.held_to_last_exit, dec!(2200));
    assert_eq!(scale_out.all_out_at_first_exit, dec!(4200));
    assert_eq!(scale_out.effect, dec!(1000));
    assert_eq!(scale_out.verdict, Verdict::Protected);
}

#[test]
fn worked_example_as_a_short_comes_out_the_same() {
    let short = mirrored(&worked_example());
    short.validate().unwrap();
    let analysis = analyze(&short, &defaults());
    assert_eq!(analysis.avg_entry, Some(dec!(98.4)));
    assert_eq!(analysis.initial_risk, Some(dec!(1500)));
    assert_eq!(analysis.net_pnl, dec!(3200));
    assert_eq!(analysis.violations, vec![]);
    assert_eq!(analysis.scale_out.unwrap().effect, dec!(1000));
}

/// One row of a rule table.
struct Case {
    name: &'static str,
    events: Vec<Event>,
    condition: MarketCondition,
    setup: &'static str,
    settings: RuleSettings,
    expected: Vec<(Rule, usize)>,
}

fn case(name: &'static str, events: Vec<Event>, expected: &[(Rule, usize)]) -> Case {
    Case {
        name,
        events,
        condition: MarketCondition::Trending,
        setup: "breakout",
        settings: defaults(),
        expected: expected.to_vec(),
    }
}

impl Case {
    fn condition(mut self, condition: MarketCondition) -> Self {
        self.condition = condition;
        self
    }

    fn setup(mut self, setup: &'static str) -> Self {
        self.setup = setup;
        self
    }

    fn tolerance(mut self, tolerance: Decimal) -> Self {
        self.settings.risk_tolerance = tolerance;
        self
    }
}

/// Runs every case as the long trade it is written as and as the mirrored short.
fn check(cases: Vec<Case>) {
    for case in cases {
        let mut long = long(case.events.clone());
        long.market_condition = case.condition;
        long.setup = case.setup.to_owned();
        for trade in [mirrored(&long), long] {
            trade
                .validate()
                .unwrap_or_else(|e| panic!("{} is not a valid trade: {e:?}", case.name));
            let analysis = analyze(&trade, &case.settings);
            assert_eq!(
                found(&analysis),
                case.expected,
                "{} ({}): {:#?}",
                case.name,
                trade.side,
                analysis.violations
            );
            let penalty: u32 = case
                .expected
                .iter()
                .map(|&(rule, _)| case.settings.weight(rule))
                .sum();
            assert_eq!(
                analysis.score,
                100u32.saturating_sub(penalty),
                "{}",
                case.name
            );
        }
    }
}

use Rule::*;

#[test]
fn averaging_down() {
    check(vec![
        case(
            "add below the average entry",
            vec![
                stop(0, dec!(45)),
                entry(0, dec!(200), dec!(50)),
                entry(10, dec!(100), dec!(49)),
                stop(10, dec!(49.5)),
                exit(20, dec!(300), dec!(51)),
            ],
            &[(AveragingDown, 2)],
        ),
        case(
            "add exactly at the average entry is averaging down",
            vec![
                stop(0, dec!(45)),
                entry(0, dec!(200), dec!(50)),
                entry(10, dec!(100), dec!(50)),
                stop(10, dec!(47)),
                exit(20, dec!(300), dec!(51)),
            ],
            &[(AveragingDown, 2)],
        ),
        case(
            "add a cent above the average entry",
            vec![
                stop(0, dec!(45)),
                entry(0, dec!(200), dec!(50)),
                entry(10, dec!(100), dec!(50.01)),
                stop(10, dec!(47)),
                exit(20, dec!(300), dec!(51)),
            ],
            &[],
        ),
        case(
            "second add exactly at the average of the first two tranches",
            vec![
                stop(0, dec!(45)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(100), dec!(104)),
                stop(10, dec!(99)),
                entry(20, dec!(50), dec!(101)),
                stop(20, dec!(100)),
                exit(30, dec!(450), dec!(110)),
            ],
            &[(AveragingDown, 4)],
        ),
        case(
            "add below the average at the initial entry's time",
            vec![
                stop(0, dec!(45)),
                entry(0, dec!(200), dec!(50)),
                entry(0, dec!(100), dec!(49.99)),
                stop(5, dec!(47)),
                exit(20, dec!(300), dec!(51)),
            ],
            &[(AveragingDown, 2)],
        ),
        case(
            "add below the average of what is left after a partial exit",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(100), dec!(103)),
                stop(10, dec!(100)),
                entry(20, dec!(50), dec!(99.5)),
                stop(20, dec!(100.5)),
                exit(30, dec!(250), dec!(104)),
            ],
            &[(AveragingDown, 4)],
        ),
    ]);
}

#[test]
fn add_not_smaller() {
    let two_adds = |second: Decimal| {
        vec![
            stop(0, dec!(95)),
            entry(0, dec!(300), dec!(100)),
            entry(10, dec!(200), dec!(104)),
            stop(10, dec!(100)),
            entry(20, second, dec!(106)),
            stop(20, dec!(102)),
            exit(30, dec!(300) + dec!(200) + second, dec!(110)),
        ]
    };
    check(vec![
        case(
            "first add as large as the initial entry",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(300), dec!(104)),
                stop(10, dec!(100)),
                exit(20, dec!(600), dec!(110)),
            ],
            &[(AddNotSmaller, 2)],
        ),
        case(
            "first add larger than the initial entry",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(100), dec!(100)),
                entry(10, dec!(150), dec!(104)),
                stop(10, dec!(101)),
                exit(20, dec!(250), dec!(110)),
            ],
            &[(AddNotSmaller, 2)],
        ),
        case(
            "first add just smaller than the initial entry",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(299.99), dec!(104)),
                stop(10, dec!(100)),
                exit(20, dec!(599.99), dec!(110)),
            ],
            &[],
        ),
        case(
            "second add as large as the first",
            two_adds(dec!(200)),
            &[(AddNotSmaller, 4)],
        ),
        case(
            "second add just smaller than the first",
            two_adds(dec!(199)),
            &[],
        ),
        case(
            "second add smaller than the initial entry but larger than the first add",
            two_adds(dec!(201)),
            &[(AddNotSmaller, 4)],
        ),
    ]);
}

#[test]
fn stop_not_trailed() {
    check(vec![
        case(
            "no stop move after the add (and the risk grows)",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                exit(20, dec!(500), dec!(110)),
            ],
            &[(StopNotTrailed, 2), (RiskAboveInitial, 2)],
        ),
        case(
            "stop re-placed at the same price is not trailed",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(5, dec!(100), dec!(106)),
                stop(5, dec!(100)),
                entry(10, dec!(50), dec!(104)),
                stop(10, dec!(100)),
                exit(20, dec!(250), dec!(110)),
            ],
            &[(StopNotTrailed, 4)],
        ),
        case(
            "stop moved a cent in the trade's favour is trailed",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(5, dec!(100), dec!(106)),
                stop(5, dec!(100)),
                entry(10, dec!(50), dec!(104)),
                stop(10, dec!(100.01)),
                exit(20, dec!(250), dec!(110)),
            ],
            &[],
        ),
        case(
            "stop moved at the add's time, logged before the add, counts",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                stop(10, dec!(99)),
                entry(10, dec!(200), dec!(104)),
                exit(20, dec!(500), dec!(110)),
            ],
            &[],
        ),
        case(
            "stop moved at the next fill's time, logged before it, counts",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                stop(20, dec!(99)),
                exit(20, dec!(500), dec!(110)),
            ],
            &[],
        ),
        case(
            "stop moved only after the next fill is too late",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                exit(20, dec!(100), dec!(110)),
                stop(20, dec!(102)),
                exit(30, dec!(400), dec!(108)),
            ],
            &[(StopNotTrailed, 2), (RiskAboveInitial, 2)],
        ),
        case(
            "a trade still open: the stop moved after the last fill counts",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                target(15, dec!(120)),
                stop(20, dec!(99)),
            ],
            &[],
        ),
        case(
            "a trade still open: the add's stop was never moved",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
            ],
            &[(StopNotTrailed, 2), (RiskAboveInitial, 2)],
        ),
    ]);
}

#[test]
fn stop_loosened() {
    check(vec![
        case(
            "stop moved a cent away from the trade",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                stop(10, dec!(94.99)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[(StopLoosened, 2)],
        ),
        case(
            "stop re-placed at the same price",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                stop(10, dec!(95)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[],
        ),
        case(
            "stop loosened before the entry, at the same time",
            vec![
                stop(0, dec!(95)),
                stop(0, dec!(94)),
                entry(0, dec!(300), dec!(100)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[(StopLoosened, 1)],
        ),
        case(
            "stop loosened after being trailed past break-even",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                stop(10, dec!(103)),
                stop(20, dec!(102)),
                stop(25, dec!(104)),
                exit(30, dec!(300), dec!(105)),
            ],
            &[(StopLoosened, 3)],
        ),
    ]);
}

#[test]
fn risk_above_initial() {
    // R = 300 x 5 = 1500. After the add Q = 500 and C = 50800, so a stop at
    // 98.6 makes W = 500 x 98.6 - 50800 = -1500 exactly.
    let add_then_stop = |stop_price: Decimal, fee: Decimal| {
        vec![
            stop(0, dec!(95)),
            with_fee(entry(0, dec!(300), dec!(100)), fee),
            entry(10, dec!(200), dec!(104)),
            stop(10, stop_price),
            exit(20, dec!(500), dec!(110)),
        ]
    };
    check(vec![
        case(
            "W exactly -R is fine",
            add_then_stop(dec!(98.6), dec!(0)),
            &[],
        ),
        case(
            "W a little beyond -R",
            add_then_stop(dec!(98.59), dec!(0)),
            &[(RiskAboveInitial, 2)],
        ),
        case(
            "fees count: W = -1500 - 2",
            add_then_stop(dec!(98.6), dec!(2)),
            &[(RiskAboveInitial, 2)],
        ),
        case(
            "fees count: a stop 0.004 higher pays for them",
            add_then_stop(dec!(98.604), dec!(2)),
            &[],
        ),
        case(
            "tolerance 0.1 allows W = -1.1 R exactly",
            add_then_stop(dec!(98.3), dec!(0)),
            &[],
        )
        .tolerance(dec!(0.1)),
        case(
            "tolerance 0.1 but W beyond -1.1 R",
            add_then_stop(dec!(98.29), dec!(0)),
            &[(RiskAboveInitial, 2)],
        )
        .tolerance(dec!(0.1)),
        case(
            "stop moves up to the next fill belong to the add",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                stop(10, dec!(97)),
                stop(15, dec!(98.6)),
                exit(20, dec!(500), dec!(110)),
            ],
            &[],
        ),
        case(
            "realized profit from an earlier partial exit counts in W",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(5, dec!(100), dec!(110)),
                stop(5, dec!(100)),
                entry(10, dec!(150), dec!(108)),
                stop(10, dec!(100.01)),
                exit(20, dec!(350), dec!(112)),
            ],
            // W = 1000 + 350 x 100.01 - (20000 + 16200) = -196.5, within -1500.
            &[],
        ),
        case(
            "adds at the initial entry's time are checked against R too",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(0, dec!(200), dec!(104)),
                entry(0, dec!(100), dec!(106)),
                stop(5, dec!(99)),
                exit(10, dec!(600), dec!(110)),
            ],
            // The first add is settled by the second, with the stop still at 95:
            // W = 500 x 95 - 50800 = -3300. The second: W = 600 x 99 - 61400 = -2000.
            &[
                (StopNotTrailed, 2),
                (RiskAboveInitial, 2),
                (RiskAboveInitial, 3),
            ],
        ),
    ]);
}

#[test]
fn no_stop() {
    check(vec![
        case(
            "stop placed a minute after the entry",
            vec![
                entry(0, dec!(300), dec!(100)),
                stop(1, dec!(95)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[(NoStop, 0)],
        ),
        case(
            "stop at the entry's time, logged after the entry, is the initial stop",
            vec![
                entry(0, dec!(300), dec!(100)),
                stop(0, dec!(95)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[],
        ),
        case(
            "stop placed before the entry",
            vec![
                stop(-5, dec!(95)),
                target(-5, dec!(110)),
                entry(0, dec!(300), dec!(100)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[],
        ),
        case(
            "never a stop",
            vec![
                entry(0, dec!(300), dec!(100)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[(NoStop, 0)],
        ),
        case(
            "a target is not a stop",
            vec![
                target(0, dec!(110)),
                entry(0, dec!(300), dec!(100)),
                stop(1, dec!(95)),
                exit(20, dec!(300), dec!(101)),
            ],
            &[(NoStop, 1)],
        ),
    ]);
}

#[test]
fn runner_unprotected() {
    let partial_then = |stop_price: Decimal| {
        vec![
            stop(0, dec!(95)),
            entry(0, dec!(300), dec!(100)),
            exit(10, dec!(100), dec!(110)),
            stop(10, stop_price),
            exit(20, dec!(200), dec!(108)),
        ]
    };
    check(vec![
        case(
            "stop left at the initial stop",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(100), dec!(110)),
                exit(20, dec!(200), dec!(108)),
            ],
            &[(RunnerUnprotected, 2)],
        ),
        case(
            "stop exactly at break-even protects the runner",
            partial_then(dec!(100)),
            &[],
        ),
        case(
            "stop a cent short of break-even",
            partial_then(dec!(99.99)),
            &[(RunnerUnprotected, 2)],
        ),
        case(
            "break-even is the average entry after adds",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                stop(10, dec!(99)),
                exit(20, dec!(250), dec!(110)),
                stop(20, dec!(101.6)),
                exit(30, dec!(250), dec!(106)),
            ],
            &[],
        ),
        case(
            "a cent short of the average entry after adds",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                entry(10, dec!(200), dec!(104)),
                stop(10, dec!(99)),
                exit(20, dec!(250), dec!(110)),
                stop(20, dec!(101.59)),
                exit(30, dec!(250), dec!(106)),
            ],
            &[(RunnerUnprotected, 4)],
        ),
        case(
            "stop to break-even at the next fill's time, logged before it",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(100), dec!(110)),
                stop(20, dec!(100)),
                exit(20, dec!(200), dec!(108)),
            ],
            &[],
        ),
        case(
            "stop to break-even only after the next fill",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(100), dec!(110)),
                exit(20, dec!(100), dec!(108)),
                stop(20, dec!(100)),
                exit(30, dec!(100), dec!(108)),
            ],
            &[(RunnerUnprotected, 2)],
        ),
        case(
            "only the first partial exit is judged",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(100), dec!(110)),
                stop(10, dec!(100)),
                exit(20, dec!(100), dec!(108)),
                exit(30, dec!(100), dec!(108)),
            ],
            &[],
        ),
        case(
            "a single final exit needs no runner stop",
            vec![
                stop(0, dec!(95)),
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(300), dec!(110)),
            ],
            &[],
        ),
        case(
            "no stop at all for the runner",
            vec![
                entry(0, dec!(300), dec!(100)),
                exit(10, dec!(100), dec!(110)),
                exit(20, dec!(200), dec!(108)),
            ],
            &[(NoStop, 0), (RunnerUnprotected, 1)],
        ),
    ]);
}

#[test]
fn scaled_in_range() {
    let one_add = || {
        vec![
            stop(0, dec!(95)),
            entry(0, dec!(300), dec!(100)),
            entry(10, dec!(200), dec!(104)),
            stop(10, dec!(99)),
            exit(20, dec!(500), dec!(110)),
        ]
    };
    let two_adds = || {
        vec![
            stop(0, dec!(95)),
            entry(0, dec!(300), dec!(100)),
            entry(10, dec!(200), dec!(104)),
            stop(10, dec!(100)),
            entry(20, dec!(100), dec!(106)),
            stop(20, dec!(102)),
            exit(30, dec!(600), dec!(110)),
        ]
    };
    let no_add = || {
        vec![
            stop(0, dec!(95)),
            entry(0, dec!(300), dec!(100)),
            exit(20, dec!(300), dec!(110)),
        ]
    };
    check(vec![
        case("an add in a range", one_add(), &[(ScaledInRange, 2)])
            .condition(MarketCondition::Range),
        case(
            "every add in a range",
            two_adds(),
            &[(ScaledInRange, 2), (ScaledInRange, 4)],
        )
        .condition(MarketCondition::Range),
        case("an add on a scalp", one_add(), &[(ScaledInRange, 2)]).setup("Quick scalp"),
        case("an add in a trend", one_add(), &[]),
        case("an add in an unknown market", one_add(), &[]).condition(MarketCondition::Unknown),
        case("no add in a range", no_add(), &[]).condition(MarketCondition::Range),
        case("no add on a scalp", no_add(), &[]).setup("scalp"),
    ]);
}

#[test]
fn a_scalp_tag_counts_as_a_scalp() {
    let mut trade = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        entry(10, dec!(200), dec!(104)),
        stop(10, dec!(99)),
        exit(20, dec!(500), dec!(110)),
    ]);
    trade.tags = vec!["SCALP".to_owned()];
    let analysis = analyze(&trade, &defaults());
    assert_eq!(found(&analysis), vec![(ScaledInRange, 2)]);
    assert!(analysis.violations[0].message.contains("on a scalp"));
}

#[test]
fn the_score_sums_the_weights_and_stops_at_zero() {
    // Averages down twice, never trails, never had a stop, loosened nothing.
    let trade = long(vec![
        entry(0, dec!(100), dec!(50)),
        entry(10, dec!(100), dec!(49)),
        entry(20, dec!(100), dec!(48)),
        exit(30, dec!(300), dec!(47)),
    ]);
    let analysis = analyze(&trade, &defaults());
    assert_eq!(
        found(&analysis),
        vec![
            (NoStop, 0),
            (AveragingDown, 1),
            (AddNotSmaller, 1),
            (StopNotTrailed, 1),
            (AveragingDown, 2),
            (AddNotSmaller, 2),
            (StopNotTrailed, 2),
        ]
    );
    assert_eq!(analysis.score, 0);
    assert_eq!(analysis.r_multiple, None);
    assert_eq!(analysis.initial_risk, None);

    let mut settings = defaults();
    settings.weights = [1; 8];
    assert_eq!(analyze(&trade, &settings).score, 93);
}

#[test]
fn one_averaging_down_costs_more_than_every_minor_rule_together() {
    let settings = defaults();
    let minor: u32 = Rule::ALL[1..].iter().map(|&r| settings.weight(r)).sum();
    assert!(settings.weight(AveragingDown) > minor);
}

/// `analyze` of `events` on a long trade, and the message of its only violation of `rule`.
fn message(trade: &Trade, rule: Rule) -> String {
    let analysis = analyze(trade, &defaults());
    let messages: Vec<_> = analysis
        .violations
        .iter()
        .filter(|v| v.rule == rule)
        .map(|v| v.message.clone())
        .collect();
    assert!(
        !messages.is_empty(),
        "no {rule} in {:#?}",
        analysis.violations
    );
    messages.join(" | ")
}

#[test]
fn messages_carry_the_numbers() {
    let averaging = long(vec![
        stop(0, dec!(45)),
        entry(0, dec!(200), dec!(50)),
        entry(10, dec!(100), dec!(49)),
        stop(10, dec!(46)),
        entry(20, dec!(100), dec!(49)),
        stop(20, dec!(47)),
        exit(30, dec!(400), dec!(51)),
    ]);
    let text = message(&averaging, AveragingDown);
    assert!(
        text.contains("Added 100 at 49.00 while the average entry was 49.67: averaging down."),
        "{text}"
    );
    assert!(
        text.contains("Added 100 at 49.00 while the average entry was 50.00: averaging down."),
        "{text}"
    );
    let text = message(&averaging, AddNotSmaller);
    assert!(
        text.contains("Added 100") && text.contains("previous add of 100"),
        "{text}"
    );
    let text = message(&averaging, RiskAboveInitial);
    // R = 200 x 5 = 1000; after the first add W = 300 x 46 - 14900 = -1100.
    assert!(
        text.contains("-1100.00") && text.contains("-1000.00"),
        "{text}"
    );

    let not_trailed = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        entry(10, dec!(200), dec!(104)),
        exit(20, dec!(500), dec!(110)),
    ]);
    let text = message(&not_trailed, StopNotTrailed);
    assert!(
        text.contains("200") && text.contains("104.00") && text.contains("95.00"),
        "{text}"
    );
    let text = message(&not_trailed, RiskAboveInitial);
    assert!(
        text.contains("-3300.00") && text.contains("-1500.00"),
        "{text}"
    );

    let loosened = mirrored(&long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        stop(10, dec!(94.5)),
        exit(20, dec!(300), dec!(101)),
    ]));
    let text = message(&loosened, StopLoosened);
    assert!(text.contains("from 105.00 to 105.50"), "{text}");

    let unstopped = long(vec![
        entry(0, dec!(300), dec!(100.125)),
        stop(61, dec!(95)),
        exit(120, dec!(300), dec!(101)),
    ]);
    let text = message(&unstopped, NoStop);
    assert!(
        text.contains("300 at 100.125") && text.contains("2024-03-04 10:31"),
        "{text}"
    );

    let runner = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        entry(10, dec!(200), dec!(104)),
        stop(10, dec!(99)),
        exit(20, dec!(250), dec!(110)),
        exit(30, dec!(250), dec!(106)),
    ]);
    let text = message(&runner, RunnerUnprotected);
    assert!(text.contains("99.00") && text.contains("101.60"), "{text}");

    let mut ranged = worked_example();
    ranged.market_condition = MarketCondition::Range;
    let text = message(&ranged, ScaledInRange);
    assert!(
        text.contains("200 at 104.00 in a range-bound market"),
        "{text}"
    );
}

#[test]
fn violations_name_their_event_and_time() {
    let trade = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        stop(45, dec!(90)),
        exit(60, dec!(300), dec!(101)),
    ]);
    let analysis = analyze(&trade, &defaults());
    assert_eq!(analysis.violations.len(), 1);
    assert_eq!(analysis.violations[0].event, 2);
    assert_eq!(analysis.violations[0].at, at(45));
}

#[test]
fn an_open_trade_is_analysed_up_to_its_last_event() {
    let trade = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        exit(10, dec!(100), dec!(110)),
        stop(10, dec!(100)),
    ]);
    let analysis = analyze(&trade, &defaults());
    assert_eq!(analysis.closed_at, None);
    assert_eq!(analysis.open_qty, dec!(200));
    assert_eq!(analysis.avg_entry, Some(dec!(100)));
    assert_eq!(analysis.gross_pnl, dec!(1000));
    assert_eq!(analysis.partial_exits, 1);
    assert_eq!(analysis.scale_out, None);
    assert_eq!(analysis.violations, vec![]);
}

#[test]
fn repeating_averages_still_close_to_the_cash_flows() {
    // 200 @ 50 plus 100 @ 49: A = 49.666...; selling a third at a time.
    let trade = long(vec![
        stop(0, dec!(45)),
        with_fee(entry(0, dec!(200), dec!(50)), dec!(1.25)),
        with_fee(entry(10, dec!(100), dec!(49)), dec!(1)),
        with_fee(exit(20, dec!(100), dec!(51.13)), dec!(0.5)),
        with_fee(exit(30, dec!(100), dec!(52.07)), dec!(0.5)),
        with_fee(exit(40, dec!(100), dec!(50.01)), dec!(0.5)),
    ]);
    let mut futures = trade.clone();
    futures.multiplier = dec!(50);
    for (trade, m) in [(trade, dec!(1)), (futures, dec!(50))] {
        let analysis = analyze(&trade, &defaults());
        let flows = (dec!(5113) + dec!(5207) + dec!(5001)) - (dec!(10000) + dec!(4900));
        assert_eq!(analysis.gross_pnl, flows * m);
        assert_eq!(analysis.fees, dec!(3.75));
        assert_eq!(analysis.net_pnl, flows * m - dec!(3.75));
    }
}

#[test]
fn capped_and_neutral_scale_outs() {
    let capped = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        exit(10, dec!(100), dec!(104)),
        stop(10, dec!(100)),
        exit(20, dec!(200), dec!(110)),
    ]);
    let scale_out = analyze(&capped, &defaults()).scale_out.unwrap();
    assert_eq!(scale_out.actual, dec!(2400));
    assert_eq!(scale_out.held_to_last_exit, dec!(3000));
    assert_eq!(scale_out.all_out_at_first_exit, dec!(1200));
    assert_eq!(scale_out.effect, dec!(-600));
    assert_eq!(scale_out.verdict, Verdict::Capped);

    let neutral = long(vec![
        stop(0, dec!(95)),
        entry(0, dec!(300), dec!(100)),
        exit(10, dec!(100), dec!(104)),
        stop(10, dec!(100)),
        exit(20, dec!(200), dec!(104)),
    ]);
    let scale_out = analyze(&neutral, &defaults()).scale_out.unwrap();
    assert_eq!(scale_out.effect, dec!(0));
    assert_eq!(scale_out.verdict, Verdict::Neutral);
}

/// Raw material for one event of a random trade: what kind, a quantity, its
/// decimal places, a price step, a fee in cents and a time step in minutes.
type RawEvent = (u8, u32, u32, i64, u32, i64);

/// Builds a valid trade from random raw material: entries and exits never
/// exceed the open quantity, prices and quantities are positive with a few
/// decimals, stops and targets fall anywhere near the price, and about one
/// event in three shares its time with the one before. With `close`, a final
/// exit closes whatever is still open.
fn build_trade(
    short: bool,
    multiplier: u32,
    start_price: i64,
    raw: &[RawEvent],
    close: bool,
) -> Trade {
    let side = if short { Side::Short } else { Side::Long };
    let mut trade = trade(side, Vec::new());
    trade.multiplier = Decimal::from(multiplier);
    trade.currency = "USD".to_owned();
    let mut minute = 0;
    let mut price = Decimal::new(start_price, 2);
    let mut open = Decimal::ZERO;
    let mut entered = false;
    for &(kind, qty_raw, qty_dp, step, fee_cents, dt) in raw {
        minute += dt;
        price = (price + Decimal::new(step, 3)).max(dec!(0.5));
        let qty = Decimal::new(i64::from(qty_raw), qty_dp);
        let fee = Decimal::new(i64::from(fee_cents), 2);
        let event = match kind % 10 {
            _ if !entered => {
                entered = true;
                open += qty;
                Event::entry(at(minute), qty, price, fee)
            }
            0..=2 => {
                open += qty;
                Event::entry(at(minute), qty, price, fee)
            }
            3..=5 => {
                // Never close here: a closed trade takes no more events.
                let qty = qty.min(open / dec!(2)).round_dp(qty_dp.max(2));
                if qty <= Decimal::ZERO || qty >= open {
                    continue;
                }
                open -= qty;
                Event::exit(at(minute), qty, price, fee)
            }
            6..=8 => {
                let offset = Decimal::new(i64::from(qty_raw % 2000), 2) - dec!(10);
                Event::stop(at(minute), (price - offset).max(dec!(0.01)))
            }
            _ => Event::target(at(minute), price + dec!(1)),
        };
        trade.events.push(event);
    }
    if close && open > Decimal::ZERO {
        trade
            .events
            .push(Event::exit(at(minute + 1), open, price, dec!(0.37)));
    }
    trade
}

fn raw_trade() -> impl Strategy<Value = (bool, u32, i64, Vec<RawEvent>)> {
    (
        any::<bool>(),
        prop::sample::select(vec![1u32, 5, 50, 100]),
        500i64..20_000,
        prop::collection::vec(
            (
                any::<u8>(),
                1u32..100_000,
                0u32..4,
                -3_000i64..3_000,
                0u32..500,
                prop::sample::select(vec![0i64, 0, 1, 1, 5, 60]),
            ),
            1..16,
        ),
    )
}

/// `s*(Σ exit proceeds - Σ entry costs)*m - Σ fees`, computed from the events.
fn cash_flows(trade: &Trade) -> Decimal {
    let mut flows = Decimal::ZERO;
    let mut fees = Decimal::ZERO;
    for event in &trade.events {
        match event.kind {
            EventKind::Entry(Fill { qty, price, fee }) => {
                flows -= qty * price;
                fees += fee;
            }
            EventKind::Exit(Fill { qty, price, fee }) => {
                flows += qty * price;
                fees += fee;
            }
            EventKind::Stop { .. } | EventKind::Target { .. } => {}
        }
    }
    trade.side.sign() * flows * trade.multiplier - fees
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_closed_trade_nets_its_cash_flows_exactly(
        (short, multiplier, start, raw) in raw_trade()
    ) {
        let trade = build_trade(short, multiplier, start, &raw, true);
        prop_assert_eq!(trade.validate(), Ok(()));
        let analysis = analyze(&trade, &defaults());
        prop_assert!(analysis.is_closed());
        prop_assert_eq!(analysis.net_pnl, cash_flows(&trade));
        prop_assert_eq!(analysis.gross_pnl - analysis.fees, analysis.net_pnl);
    }

    #[test]
    fn exits_at_one_price_hold_to_the_last_exit_for_nothing(
        (short, multiplier, start, raw) in raw_trade(),
        close in any::<bool>(),
    ) {
        let mut trade = build_trade(short, multiplier, start, &raw, close);
        let mut first_exit = None;
        for event in &mut trade.events {
            if let EventKind::Exit(fill) = &mut event.kind {
                fill.price = *first_exit.get_or_insert(fill.price);
            }
        }
        prop_assert_eq!(trade.validate(), Ok(()));
        let analysis = analyze(&trade, &defaults());
        if let Some(scale_out) = analysis.scale_out {
            prop_assert_eq!(scale_out.held_to_last_exit, scale_out.actual);
            prop_assert_eq!(scale_out.all_out_at_first_exit, scale_out.actual);
            prop_assert_eq!(scale_out.effect, Decimal::ZERO);
            prop_assert_eq!(scale_out.verdict, Verdict::Neutral);
        }
    }

    #[test]
    fn a_mirrored_trade_breaks_the_same_rules(
        (short, multiplier, start, raw) in raw_trade(),
        close in any::<bool>(),
    ) {
        let trade = build_trade(short, multiplier, start, &raw, close);
        let mut mirror = trade.clone();
        mirror.side = if short { Side::Long } else { Side::Short };
        for event in &mut mirror.events {
            match &mut event.kind {
                EventKind::Entry(fill) | EventKind::Exit(fill) => fill.price = -fill.price,
                EventKind::Stop { price } | EventKind::Target { price } => *price = -*price,
            }
        }
        let settings = defaults();
        let (original, mirrored) = (analyze(&trade, &settings), analyze(&mirror, &settings));
        // The messages name the negated prices; the rules and events must agree.
        prop_assert_eq!(found(&original), found(&mirrored));
        prop_assert_eq!(original.score, mirrored.score);
        prop_assert_eq!(original.net_pnl, mirrored.net_pnl);
        prop_assert_eq!(original.initial_risk, mirrored.initial_risk);
        prop_assert_eq!(original.avg_entry.map(|a| -a), mirrored.avg_entry);
        prop_assert_eq!(original.scale_out.map(|s| s.effect), mirrored.scale_out.map(|s| s.effect));
    }

    #[test]
    fn the_score_stays_within_0_and_100(
        (short, multiplier, start, raw) in raw_trade(),
        close in any::<bool>(),
        weights in prop::array::uniform8(0u32..80),
        condition in prop::sample::select(MarketCondition::ALL.to_vec()),
    ) {
        let mut trade = build_trade(short, multiplier, start, &raw, close);
        trade.market_condition = condition;
        for settings in [defaults(), RuleSettings { weights, risk_tolerance: dec!(0.25), ..RuleSettings::default() }] {
            let analysis = analyze(&trade, &settings);
            prop_assert!(analysis.score <= 100);
            let penalty: u32 = analysis.violations.iter().map(|v| settings.weight(v.rule)).sum();
            prop_assert_eq!(analysis.score, 100u32.saturating_sub(penalty));
            prop_assert_eq!(analysis.violations.is_empty() || penalty == 0, analysis.score == 100);
        }
    }
}
