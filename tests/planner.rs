//! The pyramid planner against RULES.md's formulas: a table of long and
//! short trades with fees, multipliers and rates; refusals; the quantity
//! step of each kind of instrument; a property test that the largest add
//! lands exactly on the initial risk to the quantity step; and `tranche plan`.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use clap::Parser;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::planner::{Limit, PlanError, PlanInput, Position, plan};
use tranche::analysis::{Rule, RuleSettings, analyze};
use tranche::cli::Cli;
use tranche::domain::{Event, MarketCondition, Side, Trade};
use tranche::import::instrument::quantity_step;
use tranche::storage::Journal;

fn at(minute: i64) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(2024, 3, 4, 9, 30, 0)
        .unwrap()
        + Duration::minutes(minute)
}

fn trade(
    symbol: &str,
    side: Side,
    multiplier: Decimal,
    rate: Decimal,
    events: Vec<Event>,
) -> Trade {
    let mut trade = Trade::new(symbol, side);
    trade.multiplier = multiplier;
    trade.rate = rate;
    trade.market_condition = MarketCondition::Trending;
    trade.events = events;
    trade
}

/// RULES.md's worked example up to the trailed stop: 500 open at 101.6, stop 99, R = 1500.
fn open_long() -> Trade {
    trade(
        "AAPL",
        Side::Long,
        dec!(1),
        dec!(1),
        vec![
            Event::stop(at(0), dec!(95)),
            Event::entry(at(0), dec!(300), dec!(100), dec!(0)),
            Event::entry(at(30), dec!(200), dec!(104), dec!(0)),
            Event::stop(at(30), dec!(99)),
        ],
    )
}

/// The same, short, with every price `p` replaced by `200 - p`.
fn open_short() -> Trade {
    trade(
        "AAPL",
        Side::Short,
        dec!(1),
        dec!(1),
        vec![
            Event::stop(at(0), dec!(105)),
            Event::entry(at(0), dec!(300), dec!(100), dec!(0)),
            Event::entry(at(30), dec!(200), dec!(96), dec!(0)),
            Event::stop(at(30), dec!(101)),
        ],
    )
}

fn input(
    price: Decimal,
    stop: Decimal,
    fee: Decimal,
    qty: Option<Decimal>,
    step: Decimal,
) -> PlanInput {
    PlanInput {
        price,
        stop,
        fee,
        qty,
        step,
    }
}

/// `W'` straight from RULES.md, with the average entry divided out.
fn worst_after(
    trade: &Trade,
    qty: Decimal,
    price: Decimal,
    fee: Decimal,
    stop: Decimal,
) -> Decimal {
    let p = Position::of(trade);
    let a = p.avg_entry().unwrap();
    let s = trade.side.sign();
    let m = trade.multiplier * trade.rate;
    p.realized - p.fees - fee + s * (stop - a) * p.qty * m + s * (stop - price) * qty * m
}

#[test]
#[allow(clippy::type_complexity)]
fn the_table_of_plans() {
    // (name, trade, price, stop, fee, step, max_add, limit)
    let usdjpy = trade(
        "USDJPY",
        Side::Long,
        dec!(100000),
        dec!(0.0067),
        vec![
            Event::stop(at(0), dec!(149.50)),
            Event::entry(at(0), dec!(2), dec!(150.00), dec!(7)),
        ],
    );
    let es_short = trade(
        "ESZ4",
        Side::Short,
        dec!(50),
        dec!(1),
        vec![
            Event::entry(at(0), dec!(4), dec!(5000), dec!(8.40)),
            Event::stop(at(0), dec!(5010)),
            Event::exit(at(20), dec!(1), dec!(4980), dec!(2.10)),
            Event::stop(at(20), dec!(5000)),
        ],
    );
    let cases: Vec<(
        &str,
        Trade,
        Decimal,
        Decimal,
        Decimal,
        Decimal,
        Decimal,
        Limit,
    )> = vec![
        // room = (100*500 - 50800) + 1500 = 700; per unit 6: 116.67 → 116.
        (
            "long, risk binds",
            open_long(),
            dec!(106),
            dec!(100),
            dec!(0),
            dec!(1),
            dec!(116),
            Limit::Risk,
        ),
        // room 1200 / 5 = 240, but the last add was 200.
        (
            "long, last tranche binds",
            open_long(),
            dec!(106),
            dec!(101),
            dec!(0),
            dec!(1),
            dec!(199),
            Limit::SmallerThanLast,
        ),
        // a fee of 10 leaves 690 / 6 = 115.
        (
            "long, the fee counts",
            open_long(),
            dec!(106),
            dec!(100),
            dec!(10),
            dec!(1),
            dec!(115),
            Limit::Risk,
        ),
        (
            "long at the average",
            open_long(),
            dec!(101.6),
            dec!(99),
            dec!(0),
            dec!(1),
            dec!(0),
            Limit::AveragingDown,
        ),
        (
            "long below the average",
            open_long(),
            dec!(101),
            dec!(98),
            dec!(0),
            dec!(1),
            dec!(0),
            Limit::AveragingDown,
        ),
        (
            "short, risk binds",
            open_short(),
            dec!(94),
            dec!(100),
            dec!(0),
            dec!(1),
            dec!(116),
            Limit::Risk,
        ),
        (
            "short, last tranche binds",
            open_short(),
            dec!(94),
            dec!(99),
            dec!(0),
            dec!(1),
            dec!(199),
            Limit::SmallerThanLast,
        ),
        (
            "short above the average",
            open_short(),
            dec!(99),
            dec!(102),
            dec!(0),
            dec!(1),
            dec!(0),
            Limit::AveragingDown,
        ),
        // room = -10.5 + (149.8*2 - 300)*670 + 670 = 391.5; per lot 0.6*670 = 402: 0.9738 → 0.97 lot.
        (
            "lots with a rate and fees",
            usdjpy.clone(),
            dec!(150.40),
            dec!(149.80),
            dec!(3.5),
            dec!(0.01),
            dec!(0.97),
            Limit::Risk,
        ),
        // room = -10.5 + 670 = 659.5; 659.5 / 268 = 2.46, but the entry was 2 lots.
        (
            "lots, last tranche binds",
            usdjpy,
            dec!(150.40),
            dec!(150.00),
            dec!(3.5),
            dec!(0.01),
            dec!(1.99),
            Limit::SmallerThanLast,
        ),
        // Short ES: 3 open at 5000, G = 1000, F = 10.50, R = 4*10*50 = 2000.
        // room = 1000 - 10.5 - 2.1 + (-1)(5000*3 - 15000)*50 + 2000 = 2987.4;
        // per contract -(4990 - 5000)*50 = 500: 5.97 → 5, under the last tranche of 4? No: 3.
        (
            "futures short after a partial exit",
            es_short.clone(),
            dec!(4990),
            dec!(5000),
            dec!(2.10),
            dec!(1),
            dec!(3),
            Limit::SmallerThanLast,
        ),
        // with the stop at 5006: room = 2987.4 - 300*... = 1000-12.6-900+2000 = 2087.4; per contract 800: 2.6 → 2.
        (
            "futures short, risk binds",
            es_short,
            dec!(4990),
            dec!(5006),
            dec!(2.10),
            dec!(1),
            dec!(2),
            Limit::Risk,
        ),
    ];
    for (name, trade, price, stop, fee, step, max_add, limit) in cases {
        assert_eq!(trade.validate(), Ok(()), "{name}");
        let plan = plan(&trade, &input(price, stop, fee, None, step)).unwrap();
        assert_eq!((plan.max_add, plan.limit), (max_add, limit), "{name}");
        if max_add.is_zero() {
            assert!(plan.refusal.is_some(), "{name}");
            assert_eq!(plan.stop_needed, None, "{name}");
        } else {
            assert_eq!(plan.refusal, None, "{name}");
            let worst = worst_after(&trade, max_add, price, fee, stop);
            assert_eq!(plan.worst_case_after, Some(worst), "{name}");
            let r = analyze(&trade, &RuleSettings::default())
                .initial_risk
                .unwrap();
            assert!(worst >= -r, "{name}: {worst} < -{r}");
            if limit == Limit::Risk {
                let beyond = worst_after(&trade, max_add + step, price, fee, stop);
                assert!(beyond < -r, "{name}: one step more is still within R");
            }
        }
    }
}

#[test]
fn the_stop_an_add_needs_puts_the_worst_case_exactly_at_the_initial_risk() {
    let long = open_long();
    let got = plan(
        &long,
        &input(dec!(106), dec!(100), dec!(0), Some(dec!(116)), dec!(1)),
    )
    .unwrap();
    // (50800 + 106*116 - 1500) / 616
    assert_eq!(got.stop_needed, Some(dec!(61596) / dec!(616)));
    assert_eq!(got.qty, Some(dec!(116)));
    assert_eq!(got.worst_case_after, Some(dec!(-1496)));
    // At the stop it needs, the worst case is -R, to the last digit of the division.
    let needed = got.stop_needed.unwrap();
    let w = worst_after(&long, dec!(116), dec!(106), dec!(0), needed);
    assert!((w + dec!(1500)).abs() < dec!(0.000000001), "{w}");

    let short = open_short();
    let got = plan(
        &short,
        &input(dec!(94), dec!(100), dec!(5), Some(dec!(50)), dec!(1)),
    )
    .unwrap();
    // (49200 + 94*50 + s*(0 + 5 - 0 - 1500)) / 550 with s = -1.
    assert_eq!(
        got.stop_needed,
        Some((dec!(49200) + dec!(4700) + dec!(1495)) / dec!(550))
    );
    let w = worst_after(
        &short,
        dec!(50),
        dec!(94),
        dec!(5),
        got.stop_needed.unwrap(),
    );
    assert!((w + dec!(1500)).abs() < dec!(0.000000001), "{w}");
    // A size given to the planner does not change the largest add.
    // room = -5 - 800 + 1500 = 695, 6 a share: 115.
    assert_eq!((got.max_add, got.limit), (dec!(115), Limit::Risk));
}

#[test]
fn trades_that_cannot_be_planned_say_why() {
    let mut unknown = open_long();
    unknown.stops_known = false;
    assert_eq!(
        plan(
            &unknown,
            &input(dec!(106), dec!(100), dec!(0), None, dec!(1))
        ),
        Err(PlanError::NoInitialRisk)
    );
    let mut closed = open_long();
    closed
        .events
        .push(Event::exit(at(60), dec!(500), dec!(110), dec!(0)));
    assert_eq!(
        plan(
            &closed,
            &input(dec!(106), dec!(100), dec!(0), None, dec!(1))
        ),
        Err(PlanError::NotOpen)
    );
    let refused = plan(
        &open_long(),
        &input(dec!(100), dec!(98), dec!(0), None, dec!(1)),
    )
    .unwrap();
    assert!(refused.refusal.unwrap().contains("averaging down"));
}

#[test]
fn each_kind_of_instrument_has_its_quantity_step() {
    let with = |symbol: &str, multiplier: Decimal, qty: Decimal| {
        trade(
            symbol,
            Side::Long,
            multiplier,
            dec!(1),
            vec![Event::entry(at(0), qty, dec!(10), dec!(0))],
        )
    };
    assert_eq!(quantity_step(&with("AAPL", dec!(1), dec!(100))), dec!(1));
    assert_eq!(quantity_step(&with("AAPL", dec!(1), dec!(2.5))), dec!(0.1));
    assert_eq!(
        quantity_step(&with("EURUSD", dec!(100000), dec!(1))),
        dec!(0.01)
    );
    assert_eq!(
        quantity_step(&with("XAUUSD", dec!(100), dec!(0.5))),
        dec!(0.01)
    );
    assert_eq!(
        quantity_step(&with("EURUSD", dec!(100000), dec!(0.125))),
        dec!(0.001)
    );
    assert_eq!(
        quantity_step(&with("EURUSD", dec!(1), dec!(20000))),
        dec!(1)
    );
    assert_eq!(quantity_step(&with("ESZ4", dec!(50), dec!(2))), dec!(1));
    assert_eq!(
        quantity_step(&with("AAPL  230120C00150000", dec!(100), dec!(3))),
        dec!(1)
    );
    assert_eq!(
        quantity_step(&with("BTCUSD", dec!(1), dec!(1))),
        dec!(0.00000001)
    );
}

/// An open long or short with an add in profit and a trailed stop, in lots
/// or shares: (trade, add price, new stop, fee, step).
fn open_trade() -> impl Strategy<Value = (Trade, Decimal, Decimal, Decimal, Decimal)> {
    (
        any::<bool>(),
        prop_oneof![
            Just((dec!(1), dec!(1), dec!(1))),
            Just((dec!(100000), dec!(0.0067), dec!(0.01))),
            Just((dec!(50), dec!(1), dec!(1)))
        ],
        500u32..100_000, // initial price, hundredths (above the widest stop distance)
        1u32..500,       // initial stop distance, hundredths
        1u32..400,       // add distance in profit, hundredths
        51u32..100,      // the new stop's distance from the add, in % of the initial stop's
        1u32..50,        // initial quantity, in steps ×100 for lots
        0u32..1000,      // fee, hundredths
    )
        .prop_map(|(short, (m, rate, step), p0, d0, add, d1, q0, fee)| {
            let side = if short { Side::Short } else { Side::Long };
            let s = side.sign();
            let p0 = Decimal::new(p0.into(), 2);
            let stop0 = p0 - s * Decimal::new(d0.into(), 2);
            let price = p0 + s * Decimal::new(add.into(), 2);
            // The stop with the add: between the initial stop and the add
            // price, more than halfway back, so that the risk binds before
            // the size of the first tranche does.
            let d1 = ((d0 + add) * d1 / 100).max(1);
            let new_stop = price - s * Decimal::new(d1.into(), 2);
            // A first tranche large enough that the risk, not its size, binds.
            let q0 = Decimal::from(q0) * dec!(1000) * step;
            let fee = Decimal::new(fee.into(), 2);
            let mut trade = trade(
                if step == dec!(0.01) { "USDJPY" } else { "AAPL" },
                side,
                m,
                rate,
                vec![Event::stop(at(0), stop0), Event::entry(at(0), q0, p0, fee)],
            );
            trade.setup = "breakout".into();
            (trade, price, new_stop, fee, step)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_largest_add_keeps_the_initial_risk_to_the_step_and_one_step_more_breaks_it(
        (trade, price, new_stop, fee, step) in open_trade()
    ) {
        prop_assert_eq!(quantity_step(&trade), step);
        let plan = plan(&trade, &input(price, new_stop, fee, None, step)).unwrap();
        prop_assume!(plan.limit == Limit::Risk && plan.max_add > Decimal::ZERO);
        let r = analyze(&trade, &RuleSettings::default()).initial_risk.unwrap();
        let with_add = |qty: Decimal| {
            let mut t = trade.clone();
            t.events.push(Event::entry(at(10), qty, price, fee));
            t.events.push(Event::stop(at(10), new_stop));
            t
        };
        let kept = with_add(plan.max_add);
        prop_assert_eq!(kept.validate(), Ok(()));
        let kept_analysis = analyze(&kept, &RuleSettings::default());
        prop_assert!(!kept_analysis.broke(Rule::RiskAboveInitial), "{:?}", kept_analysis.violations);
        // W = -R to the quantity step: within one step's loss of it.
        let w = plan.worst_case_after.unwrap();
        let per_step = (price - new_stop).abs() * step * trade.money_multiplier();
        prop_assert!(w >= -r && w < -r + per_step, "W {} R {} step loss {}", w, r, per_step);
        let beyond = analyze(&with_add(plan.max_add + step), &RuleSettings::default());
        prop_assert!(beyond.broke(Rule::RiskAboveInitial), "{:?}", beyond.violations);
    }
}

/// Runs `tranche ARGS` in-process and returns what it printed.
fn tranche(args: &[&str]) -> Result<String, tranche::cli::CliError> {
    let cli = Cli::try_parse_from(std::iter::once("tranche").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    tranche::cli::run(
        cli.command.as_ref().unwrap(),
        cli.journal.as_ref().unwrap(),
        &mut out,
    )?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn tranche_plan_prints_the_plan_as_json_and_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    let ids = journal
        .insert_trades(&[open_long(), open_short()], &mut |_, _| {})
        .unwrap();
    drop(journal);
    let j = path.to_str().unwrap();
    let long = ids[0].to_string();

    let json: serde_json::Value = serde_json::from_str(
        &tranche(&[
            "--journal",
            j,
            "plan",
            &long,
            "--price",
            "106",
            "--stop",
            "100",
            "--json",
        ])
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["max_add"], "116");
    assert_eq!(json["limit"], "risk");
    assert_eq!(json["worst_case_after"], "-1496");
    let needed: Decimal = json["stop_needed"].as_str().unwrap().parse().unwrap();
    assert_eq!(needed, dec!(61596) / dec!(616));

    let json: serde_json::Value = serde_json::from_str(
        &tranche(&[
            "--journal",
            j,
            "plan",
            &long,
            "--price",
            "106",
            "--stop",
            "100",
            "--fee",
            "2",
            "--qty",
            "50",
            "--json",
        ])
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["max_add"], "116");
    // -800 - 2 + (100 - 106)*50
    assert_eq!(json["worst_case_after"], "-1102");
    let needed: Decimal = json["stop_needed"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        needed,
        (dec!(50800) + dec!(5300) + dec!(2) - dec!(1500)) / dec!(550)
    );

    let json: serde_json::Value = serde_json::from_str(
        &tranche(&[
            "--journal",
            j,
            "plan",
            &long,
            "--price",
            "101",
            "--stop",
            "98",
            "--json",
        ])
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["max_add"], "0");
    assert_eq!(json["limit"], "averaging-down");
    assert!(json["stop_needed"].is_null());

    let text = tranche(&[
        "--journal",
        j,
        "plan",
        &long,
        "--price",
        "101",
        "--stop",
        "98",
    ])
    .unwrap();
    assert!(text.contains("averaging down"), "{text}");
    let text = tranche(&[
        "--journal",
        j,
        "plan",
        &long,
        "--price",
        "106",
        "--stop",
        "100",
    ])
    .unwrap();
    assert!(
        text.contains("Largest add at 106.00 with the stop at 100.00: 116 (limit: risk"),
        "{text}"
    );

    let error = tranche(&[
        "--journal",
        j,
        "plan",
        "99",
        "--price",
        "106",
        "--stop",
        "100",
    ])
    .unwrap_err();
    assert!(error.to_string().contains("no trade with id 99"), "{error}");
}
