//! The disciplined twin against RULES.md: a table of trades (no broken add,
//! an add removed before a partial exit, short with fees, a rate, a range),
//! exits scaled by a repeating fraction, and `trades --json`.

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use clap::Parser;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::twin::{twin, twin_totals, twin_without};
use tranche::analysis::{Rule, RuleSettings, analyze};
use tranche::cli::Cli;
use tranche::domain::{Event, EventKind, MarketCondition, Side, Trade};
use tranche::storage::Journal;

use crate::harness::{app_with, has_text_containing, settle};
use crate::helpers::worked_example;
use egui_kittest::kittest::Queryable;
use tranche::app::store::MemoryStore;
use tranche::domain::TradeId;

fn at(minute: i64) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2024, 5, 6, 14, 0, 0)
        .unwrap()
        + Duration::minutes(minute)
}

fn trade(side: Side, multiplier: Decimal, rate: Decimal, events: Vec<Event>) -> Trade {
    let mut trade = Trade::new("TEST", side);
    trade.multiplier = multiplier;
    trade.rate = rate;
    trade.market_condition = MarketCondition::Trending;
    trade.events = events;
    trade
}

/// Long 300 @ 100, an add of 300 @ 104 (not smaller), half out at 110, the rest at 106.
fn add_before_partial_exit() -> Trade {
    trade(
        Side::Long,
        dec!(1),
        dec!(1),
        vec![
            Event::stop(at(0), dec!(95)),
            Event::entry(at(0), dec!(300), dec!(100), dec!(0)),
            Event::entry(at(10), dec!(300), dec!(104), dec!(0)),
            Event::stop(at(10), dec!(99)),
            Event::exit(at(20), dec!(300), dec!(110), dec!(0)),
            Event::stop(at(20), dec!(103)),
            Event::exit(at(30), dec!(300), dec!(106), dec!(0)),
        ],
    )
}

/// Short 100 @ 50, averaging down with 50 @ 51, out at 53, with fees.
fn short_with_fees() -> Trade {
    trade(
        Side::Short,
        dec!(1),
        dec!(1),
        vec![
            Event::entry(at(0), dec!(100), dec!(50), dec!(1)),
            Event::stop(at(0), dec!(52)),
            Event::entry(at(5), dec!(50), dec!(51), dec!(1)),
            Event::exit(at(9), dec!(150), dec!(53), dec!(3)),
        ],
    )
}

#[test]
#[allow(clippy::type_complexity)]
fn the_table_of_twins() {
    let short_with_fees = short_with_fees();
    let with_rate = trade(
        Side::Long,
        dec!(100000),
        dec!(0.0067),
        vec![
            Event::stop(at(0), dec!(149.5)),
            Event::entry(at(0), dec!(1), dec!(150), dec!(0)),
            Event::entry(at(5), dec!(1), dec!(150.2), dec!(0)),
            Event::stop(at(5), dec!(150)),
            Event::exit(at(9), dec!(2), dec!(151), dec!(0)),
        ],
    );
    let mut in_range = trade(
        Side::Long,
        dec!(1),
        dec!(1),
        vec![
            Event::stop(at(0), dec!(9)),
            Event::entry(at(0), dec!(100), dec!(10), dec!(0)),
            Event::entry(at(5), dec!(50), dec!(11), dec!(0)),
            Event::stop(at(5), dec!(10.5)),
            Event::exit(at(9), dec!(150), dec!(10.5), dec!(0)),
        ],
    );
    in_range.market_condition = MarketCondition::Range;
    // (name, trade, N, N', cost, removed event numbers (1-based), twin R)
    let cases: Vec<(
        &str,
        Trade,
        Decimal,
        Decimal,
        Decimal,
        Vec<usize>,
        Option<Decimal>,
    )> = vec![
        (
            "no broken add",
            worked_example(),
            dec!(3200),
            dec!(3200),
            dec!(0),
            vec![],
            Some(dec!(3200) / dec!(1500)),
        ),
        // Actual: 600 at 102; 300 out at 110 (+2400), 300 at 106 (+1200).
        // Twin: 300 at 100; 150 out at 110 (+1500), 150 at 106 (+900).
        (
            "an add removed before a partial exit",
            add_before_partial_exit(),
            dec!(3600),
            dec!(2400),
            dec!(1200),
            vec![3],
            Some(dec!(1.6)),
        ),
        // Actual: -(7950 - 7550) - 5 = -405. Twin: -(5300 - 5000) - (1 + 3*100/150) = -303.
        (
            "short, averaging down, fees",
            short_with_fees,
            dec!(-405),
            dec!(-303),
            dec!(-102),
            vec![3],
            Some(dec!(-303) / dec!(200)),
        ),
        // m × rate = 670. Actual: (302 - 300.2)*670 = 1206. Twin: 1*670.
        (
            "a rate",
            with_rate,
            dec!(1206),
            dec!(670),
            dec!(536),
            vec![3],
            Some(dec!(2)),
        ),
        // Actual: 150*10.5 - 1550 = 25. Twin: 100*0.5 = 50.
        (
            "scaled in a range",
            in_range,
            dec!(25),
            dec!(50),
            dec!(-25),
            vec![3],
            Some(dec!(0.5)),
        ),
    ];
    for (name, trade, n, n_twin, cost, removed, r) in cases {
        assert_eq!(trade.validate(), Ok(()), "{name}");
        let analysis = analyze(&trade, &RuleSettings::default());
        assert_eq!(analysis.net_pnl, n, "{name}");
        let twin = twin(&trade, &analysis);
        assert_eq!(twin.net_pnl, n_twin, "{name}");
        assert_eq!(twin.cost, cost, "{name}");
        assert_eq!(twin.cost, analysis.net_pnl - twin.net_pnl, "{name}");
        assert_eq!(
            twin.removed_adds.iter().map(|i| i + 1).collect::<Vec<_>>(),
            removed,
            "{name}"
        );
        assert_eq!(twin.r_multiple, r, "{name}");
        assert_eq!(twin.differs(), !removed.is_empty(), "{name}");
        // The twin keeps every stop and target at its time.
        let kept = |t: &[Event]| {
            t.iter()
                .filter(|e| matches!(e.kind, EventKind::Stop { .. } | EventKind::Target { .. }))
                .copied()
                .collect::<Vec<_>>()
        };
        let twin_events: Vec<Event> = twin.events.iter().map(|(_, e)| *e).collect();
        assert_eq!(kept(&twin_events), kept(&trade.events), "{name}");
    }
}

#[test]
fn twin_exits_follow_the_share_it_still_holds() {
    let twin_of = add_before_partial_exit();
    let analysis = analyze(&twin_of, &RuleSettings::default());
    let replayed = twin(&twin_of, &analysis);
    let exits: Vec<(usize, Decimal)> = replayed
        .events
        .iter()
        .filter_map(|(i, e)| match e.kind {
            EventKind::Exit(fill) => Some((*i, fill.qty)),
            _ => None,
        })
        .collect();
    assert_eq!(exits, vec![(4, dec!(150)), (6, dec!(150))]);

    // A third of the position kept: the exits are a third, the last closes the rest.
    let thirds = trade(
        Side::Long,
        dec!(1),
        dec!(1),
        vec![
            Event::stop(at(0), dec!(9)),
            Event::entry(at(0), dec!(100), dec!(10), dec!(3)),
            Event::entry(at(5), dec!(200), dec!(11), dec!(3)),
            Event::stop(at(5), dec!(10.5)),
            Event::exit(at(6), dec!(100), dec!(12), dec!(3)),
            Event::exit(at(9), dec!(200), dec!(13), dec!(3)),
        ],
    );
    let analysis = analyze(&thirds, &RuleSettings::default());
    let twin = twin(&thirds, &analysis);
    assert_eq!(twin.removed_adds, vec![2]);
    let qtys: Vec<Decimal> = twin
        .events
        .iter()
        .filter_map(|(_, e)| e.kind.fill().map(|f| f.qty))
        .collect();
    assert_eq!(qtys[0], dec!(100));
    assert_eq!(qtys[1], dec!(100) / dec!(3));
    assert_eq!(qtys[1] + qtys[2], dec!(100));
    // 100 @ 10 closed at 12 for a third and 13 for the rest, fees 3 + 1 + 1.
    let expected =
        dec!(100) / dec!(3) * dec!(2) + (dec!(100) - dec!(100) / dec!(3)) * dec!(3) - dec!(5);
    assert!(
        (twin.net_pnl - expected).abs() < dec!(0.000000000001),
        "{}",
        twin.net_pnl
    );
}

#[test]
fn each_rule_has_its_own_twin() {
    // The add is averaging down and not smaller: each rule's twin leaves it out.
    let mut both = add_before_partial_exit();
    both.events[2] = Event::entry(at(10), dec!(300), dec!(99), dec!(0));
    let analysis = analyze(&both, &RuleSettings::default());
    assert!(analysis.broke(Rule::AveragingDown) && analysis.broke(Rule::AddNotSmaller));
    let all = twin(&both, &analysis);
    let down = twin_without(&both, &analysis, &[Rule::AveragingDown]);
    let range = twin_without(&both, &analysis, &[Rule::ScaledInRange]);
    assert_eq!(all, down);
    assert_eq!(range.cost, Decimal::ZERO);
    assert!(range.removed_adds.is_empty());
}

#[test]
fn trades_json_carries_the_twin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    journal
        .insert_trades(
            &[worked_example(), add_before_partial_exit()],
            &mut |_, _| {},
        )
        .unwrap();
    drop(journal);
    let cli = Cli::try_parse_from([
        "tranche",
        "--journal",
        path.to_str().unwrap(),
        "trades",
        "--json",
    ])
    .unwrap();
    let mut out = Vec::new();
    tranche::cli::run(cli.command.as_ref().unwrap(), &path, &mut out).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        json[0]["twin"],
        serde_json::json!({"net_pnl": "3200", "r_multiple": "2.1333", "cost": "0", "removed_adds": []})
    );
    assert_eq!(
        json[1]["twin"],
        serde_json::json!({"net_pnl": "2400", "r_multiple": "1.6", "cost": "1200", "removed_adds": [3]})
    );
}

/// The worked example (no broken add), an add-not-smaller that paid 1200
/// (0.8 R), and an averaging down that cost 102 (0.51 R).
fn three_trades() -> Vec<Trade> {
    let mut paid = add_before_partial_exit();
    paid.setup = "breakout".into();
    vec![worked_example(), paid, short_with_fees()]
}

#[test]
fn totals_by_rule_and_setup_and_the_curves() {
    let trades = three_trades();
    let analyses: Vec<_> = trades
        .iter()
        .map(|t| analyze(t, &RuleSettings::default()))
        .collect();
    let totals = twin_totals(
        trades
            .iter()
            .zip(&analyses)
            .enumerate()
            .map(|(i, (t, a))| (TradeId(i as i64 + 1), t, a)),
    );
    assert_eq!(totals.trades, 3);
    assert_eq!(totals.all.trades, 2);
    assert_eq!(totals.all.cost["USD"], dec!(1098));
    assert_eq!(totals.all.cost_r, dec!(0.8) - dec!(0.51));
    assert_eq!(
        totals.all.sentence("breaking the scaling-in rules"),
        "breaking the scaling-in rules paid 0.3 R, 1,098.00 USD over 2 trades"
    );
    let by_rule: Vec<(Rule, usize, Decimal)> = totals
        .by_rule
        .iter()
        .map(|(r, t)| (*r, t.trades, t.cost.get("USD").copied().unwrap_or_default()))
        .collect();
    assert_eq!(
        by_rule,
        vec![
            (Rule::AveragingDown, 1, dec!(-102)),
            (Rule::AddNotSmaller, 1, dec!(1200)),
            (Rule::ScaledInRange, 0, dec!(0)),
        ]
    );
    assert_eq!(totals.by_setup["breakout"].cost["USD"], dec!(1200));
    assert_eq!(totals.by_setup["(none)"].cost["USD"], dec!(-102));
    // The worked example is its own twin; by close time: 2024-03-05, then the two of 2024-05-06.
    let curve: Vec<(Decimal, Decimal)> = totals
        .curve
        .iter()
        .map(|p| (p.actual_r, p.twin_r))
        .collect();
    let worked = dec!(3200) / dec!(1500);
    assert_eq!(curve[0], (worked, worked));
    assert_eq!(curve.len(), 3);
    assert_eq!(curve[2].0 - curve[2].1, totals.all.cost_r);
}

#[test]
fn the_review_and_the_detail_show_the_twin() {
    let mut harness = app_with(MemoryStore::with_trades(three_trades()));
    harness.get_by_label("Review").click();
    settle(&mut harness);
    assert!(has_text_containing(
        &harness,
        "Breaking the scaling-in rules paid 0.3 R, 1,098.00 USD over 2 trades"
    ));
    let totals = harness.state().review().coaching().twin_totals().unwrap();
    assert_eq!(totals.all.trades, 2);
}

#[test]
fn the_chart_draws_the_twin_only_where_it_differs() {
    use tranche::analysis::analyze_with_steps;
    use tranche::ui::chart::ChartData;
    use tranche::ui::detail::twin_text;
    use tranche::ui::time::Zone;
    let zone = Zone::parse("UTC").unwrap();
    for (trade, fills, differs) in [
        (add_before_partial_exit(), 3, true),
        (worked_example(), 0, false),
    ] {
        let (analysis, steps) = analyze_with_steps(&trade, &RuleSettings::default());
        let twin = twin(&trade, &analysis);
        let chart = ChartData::new(&trade, &steps, &zone).with_twin(&trade, &twin, &zone);
        assert_eq!(chart.twin_fills.len(), fills);
        assert_eq!(chart.twin_open_qty.is_empty(), !differs);
        if differs {
            // 300 open, then 150, then flat.
            let qty: Vec<f64> = chart.twin_open_qty.iter().map(|p| p.y).collect();
            assert!(qty.contains(&300.0) && qty.contains(&150.0), "{qty:?}");
            assert_eq!(
                twin_text(&twin, "USD"),
                "without its broken adds: net 2,400.00 USD, 1.60 R; the broken adds paid 1,200.00 USD"
            );
        }
    }
}
