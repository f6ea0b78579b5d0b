//! Tests of the journal statistics over a small journal worked out by hand.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::format::ratio;
use tranche::analysis::stats::{Filter, JournalStats, analyze_all, journal_stats, pair};
use tranche::analysis::{Messages, Rule, RuleSettings};
use tranche::domain::{Event, MarketCondition, Side, Trade, TradeId};

fn at(month: u32, day: u32, hour: u32) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .with_ymd_and_hms(2024, month, day, hour, 0, 0)
        .unwrap()
}

fn trade(symbol: &str, side: Side, setup: &str, events: Vec<Event>) -> Trade {
    let mut trade = Trade::new(symbol, side);
    trade.setup = setup.to_owned();
    trade.market_condition = MarketCondition::Trending;
    trade.events = events;
    trade
}

fn entry(at: DateTime<FixedOffset>, qty: Decimal, price: Decimal) -> Event {
    Event::entry(at, qty, price, Decimal::ZERO)
}

fn exit(at: DateTime<FixedOffset>, qty: Decimal, price: Decimal) -> Event {
    Event::exit(at, qty, price, Decimal::ZERO)
}

/// Five trades:
/// 1. RULES.md's worked example, March 4: +3200, R 2.1333, protected 1000, clean.
/// 2. A loser stopped out, March 5: -500, R -1, clean.
/// 3. Averaged down, April 2: +400, R 0.4, score 50.
/// 4. A short future in EUR in a range, April 10: +2500, R 2, clean.
/// 5. Still open since April 15, without a stop: score 90.
fn journal() -> Vec<(TradeId, Trade)> {
    let d = at(3, 4, 10);
    let worked = trade(
        "AAPL",
        Side::Long,
        "breakout",
        vec![
            Event::stop(d, dec!(95)),
            entry(d, dec!(300), dec!(100)),
            entry(at(3, 4, 11), dec!(200), dec!(104)),
            Event::stop(at(3, 4, 11), dec!(99)),
            exit(at(3, 4, 12), dec!(250), dec!(110)),
            Event::stop(at(3, 4, 12), dec!(102)),
            exit(at(3, 4, 13), dec!(250), dec!(106)),
        ],
    );
    let loser = trade(
        "MSFT",
        Side::Long,
        "pullback",
        vec![
            Event::stop(at(3, 5, 10), dec!(95)),
            entry(at(3, 5, 10), dec!(100), dec!(100)),
            exit(at(3, 5, 11), dec!(100), dec!(95)),
        ],
    );
    let averaged = trade(
        "AAPL",
        Side::Long,
        "Breakout ",
        vec![
            Event::stop(at(4, 2, 10), dec!(45)),
            entry(at(4, 2, 10), dec!(200), dec!(50)),
            entry(at(4, 2, 11), dec!(100), dec!(49)),
            Event::stop(at(4, 2, 11), dec!(49.5)),
            exit(at(4, 2, 12), dec!(300), dec!(51)),
        ],
    );
    let mut future = trade(
        "FDAX",
        Side::Short,
        "reversal",
        vec![
            Event::stop(at(4, 10, 10), dec!(105)),
            entry(at(4, 10, 10), dec!(10), dec!(100)),
            exit(at(4, 10, 11), dec!(10), dec!(90)),
        ],
    );
    future.currency = "EUR".to_owned();
    future.multiplier = dec!(25);
    future.market_condition = MarketCondition::Range;
    let open = trade(
        "AAPL",
        Side::Long,
        "breakout",
        vec![entry(at(4, 15, 10), dec!(100), dec!(20))],
    );
    [worked, loser, averaged, future, open]
        .into_iter()
        .enumerate()
        .map(|(i, t)| (TradeId(i as i64 + 1), t))
        .collect()
}

fn stats(filter: &Filter) -> JournalStats {
    let settings = RuleSettings::default();
    let trades = journal();
    for (_, trade) in &trades {
        trade.validate().unwrap();
    }
    let analyses = analyze_all(&trades, &settings, Messages::Write);
    journal_stats(&pair(&trades, &analyses), filter, &settings)
}

fn money(pairs: &[(&str, Decimal)]) -> std::collections::BTreeMap<String, Decimal> {
    pairs.iter().map(|(c, v)| (c.to_string(), *v)).collect()
}

#[test]
fn performance_over_closed_trades_per_currency() {
    let stats = stats(&Filter::default());
    assert_eq!((stats.trades, stats.closed, stats.open), (5, 4, 1));
    assert_eq!(stats.currencies, ["USD", "EUR"]);
    let p = &stats.performance;
    assert_eq!((p.closed, p.wins, p.losses), (4, 3, 1));
    assert_eq!(p.win_rate, Some(dec!(0.75)));
    assert_eq!(
        p.average_win,
        money(&[("USD", dec!(1800)), ("EUR", dec!(2500))])
    );
    assert_eq!(p.average_loss, money(&[("USD", dec!(-500))]));
    assert_eq!(ratio(p.expectancy["USD"]), "1033.3333");
    assert_eq!(p.expectancy["EUR"], dec!(2500));
    assert_eq!(p.r_trades, 4);
    // (3200/1500 - 1 + 0.4 + 2) / 4
    assert_eq!(ratio(p.expectancy_r.unwrap()), "0.8833");
    assert_eq!(p.profit_factor, money(&[("USD", dec!(7.2))]));
    assert_eq!(
        p.max_drawdown,
        money(&[("USD", dec!(500)), ("EUR", dec!(0))])
    );
}

#[test]
fn adherence_and_rule_comparisons() {
    let stats = stats(&Filter::default());
    let a = &stats.adherence;
    assert_eq!(a.mean_score, Some(dec!(88)));
    assert_eq!(a.clean_trades, 3);
    assert_eq!(
        a.violations_by_rule
            .iter()
            .map(|(r, n)| (*r, *n))
            .collect::<Vec<_>>(),
        [(Rule::AveragingDown, 1), (Rule::NoStop, 1)]
    );
    let averaging = &a.by_rule[0];
    assert_eq!(averaging.rule, Rule::AveragingDown);
    assert_eq!((averaging.broke.trades, averaging.broke.closed), (1, 1));
    assert_eq!(averaging.broke.mean_r, Some(dec!(0.4)));
    assert_eq!(averaging.broke.mean_net_pnl, money(&[("USD", dec!(400))]));
    let no_stop = &a.by_rule[1];
    assert_eq!((no_stop.broke.trades, no_stop.broke.closed), (1, 0));
    assert_eq!(no_stop.broke.mean_r, None);
    assert_eq!(no_stop.broke.mean_score, Some(dec!(90)));
    assert_eq!(
        (a.clean.trades, a.clean.closed, a.clean.r_trades),
        (3, 3, 3)
    );
    assert_eq!(
        a.clean.mean_net_pnl,
        money(&[("USD", dec!(1350)), ("EUR", dec!(2500))])
    );

    let s = &stats.scaling;
    assert_eq!((s.scaled_in.trades, s.single_entry.trades), (2, 3));
    assert_eq!((s.pyramided.trades, s.averaged_down.trades), (1, 1));
    assert_eq!(s.averaged_down.mean_score, Some(dec!(50)));
    assert_eq!(s.pyramided.mean_net_pnl, money(&[("USD", dec!(3200))]));
}

#[test]
fn scale_out_breakdowns_and_series() {
    let stats = stats(&Filter::default());
    let s = &stats.scale_out;
    assert_eq!((s.trades, s.protected_trades, s.capped_trades), (1, 1, 0));
    assert_eq!(s.protected, money(&[("USD", dec!(1000))]));
    assert_eq!(s.capped, money(&[("USD", dec!(0))]));
    assert_eq!(s.net_effect, money(&[("USD", dec!(1000))]));
    assert_eq!(stats.scale_out_effects.len(), 1);
    assert_eq!(stats.scale_out_effects[0].id, TradeId(1));

    // Setups are grouped as written, trimmed, case-sensitive for display.
    let setups: Vec<_> = stats
        .by_setup
        .iter()
        .map(|(k, v)| (k.as_str(), v.trades))
        .collect();
    assert_eq!(
        setups,
        [
            ("Breakout", 1),
            ("breakout", 2),
            ("pullback", 1),
            ("reversal", 1)
        ]
    );
    let trending = &stats.by_condition["trending"];
    assert_eq!((trending.trades, trending.closed), (4, 3));
    assert_eq!(stats.by_condition["range"].expectancy_r, Some(dec!(2)));
    assert!(!stats.by_condition.contains_key("unknown"));

    let months: Vec<_> = stats
        .monthly
        .iter()
        .map(|m| (m.month.as_str(), m.trades, m.mean_score))
        .collect();
    assert_eq!(
        months,
        [("2024-03", 2, dec!(100)), ("2024-04", 2, dec!(75))]
    );
    assert_eq!(stats.monthly[0].net_pnl, money(&[("USD", dec!(2700))]));
    assert_eq!(
        stats.monthly[1].net_pnl,
        money(&[("USD", dec!(400)), ("EUR", dec!(2500))])
    );

    let curve: Vec<_> = stats
        .equity_curve
        .iter()
        .map(|p| (p.id.0, p.currency, p.equity, p.worst_rule))
        .collect();
    assert_eq!(
        curve,
        [
            (1, 0, dec!(3200), None),
            (2, 0, dec!(2700), None),
            (3, 0, dec!(3100), Some(Rule::AveragingDown)),
            (4, 1, dec!(2500), None),
        ]
    );
    assert_eq!(
        ratio(stats.equity_curve[3].equity_r),
        ratio(dec!(3200) / dec!(1500) + dec!(1.4))
    );
}

#[test]
fn filters() {
    let ids = |filter: Filter| -> Vec<i64> {
        let stats = stats(&filter);
        let mut ids: Vec<i64> = stats.equity_curve.iter().map(|p| p.id.0).collect();
        ids.extend(std::iter::repeat_n(0, stats.open));
        ids
    };
    let date = |m, d| NaiveDate::from_ymd_opt(2024, m, d);
    assert_eq!(
        ids(Filter {
            from: date(4, 1),
            to: date(4, 10),
            ..Filter::default()
        }),
        [3, 4]
    );
    assert_eq!(
        ids(Filter {
            from: date(4, 2),
            to: date(4, 2),
            ..Filter::default()
        }),
        [3]
    );
    assert_eq!(
        ids(Filter {
            from: date(4, 11),
            ..Filter::default()
        }),
        [0]
    );
    assert_eq!(
        ids(Filter {
            to: date(3, 4),
            ..Filter::default()
        }),
        [1]
    );
    assert_eq!(
        ids(Filter {
            symbol: Some("aapl".into()),
            ..Filter::default()
        }),
        [1, 3, 0]
    );
    assert_eq!(
        ids(Filter {
            setup: Some("BREAKOUT".into()),
            ..Filter::default()
        }),
        [1, 3, 0]
    );
    assert_eq!(
        ids(Filter {
            side: Some(Side::Short),
            ..Filter::default()
        }),
        [4]
    );
    assert_eq!(
        ids(Filter {
            condition: Some(MarketCondition::Range),
            ..Filter::default()
        }),
        [4]
    );
    assert_eq!(
        ids(Filter {
            rule: Some(Rule::NoStop),
            ..Filter::default()
        }),
        [0]
    );
    let none = stats(&Filter {
        symbol: Some("TSLA".into()),
        ..Filter::default()
    });
    assert_eq!(none.trades, 0);
    assert_eq!(none.adherence.mean_score, None);
    assert_eq!(none.performance.win_rate, None);
}

#[test]
fn parallel_analysis_matches_one_by_one() {
    let settings = RuleSettings::default();
    let trades = tranche::analysis::generate::journal(3_000, 11);
    let parallel = analyze_all(&trades, &settings, Messages::Write);
    assert_eq!(parallel.len(), trades.len());
    let quiet = analyze_all(&trades, &settings, Messages::Skip);
    for (((_, trade), analysis), quiet) in trades.iter().zip(&parallel).zip(quiet) {
        assert_eq!(&tranche::analysis::analyze(trade, &settings), analysis);
        // Without messages, everything else is the same.
        assert!(quiet.violations.iter().all(|v| v.message.is_empty()));
        let mut silenced = analysis.clone();
        for violation in &mut silenced.violations {
            assert!(!violation.message.is_empty());
            violation.message.clear();
        }
        assert_eq!(silenced, quiet);
    }
}

#[test]
fn report_json_keys_and_number_formats() {
    let json = tranche::report::report_json(&stats(&Filter::default()));
    let adherence = &json["adherence"];
    assert_eq!(adherence["mean_score"], "88");
    assert_eq!(adherence["clean_trades"], 3);
    assert_eq!(
        adherence["violations_by_rule"],
        serde_json::json!({"averaging-down": 1, "no-stop": 1})
    );
    assert_eq!(adherence["by_rule"]["averaging-down"]["mean_r"], "0.4");
    assert_eq!(
        json["scale_out"],
        serde_json::json!({
            "trades": 1, "protected_trades": 1, "capped_trades": 0,
            "protected": {"USD": "1000"}, "capped": {"USD": "0"}, "net_effect": {"USD": "1000"}
        })
    );
    let performance = &json["performance"];
    assert_eq!(performance["win_rate"], "0.75");
    assert_eq!(performance["expectancy_r"], "0.8833");
    assert_eq!(
        performance["average_win"],
        serde_json::json!({"EUR": "2500", "USD": "1800"})
    );
    assert_eq!(
        performance["profit_factor"],
        serde_json::json!({"USD": "7.2"})
    );
    assert_eq!(
        performance["max_drawdown"],
        serde_json::json!({"EUR": "0", "USD": "500"})
    );
    assert_eq!(json["monthly"][1]["month"], "2024-04");
    assert_eq!(json["monthly"][1]["mean_score"], "75");
    assert_eq!(json["by_condition"]["range"]["expectancy_r"], "2");
    assert_eq!(json["scaling"]["averaged_down"]["trades"], 1);
    assert_eq!(
        (json["trades"].clone(), json["open"].clone()),
        (5.into(), 1.into())
    );
}

#[test]
fn report_text_reads_like_a_summary() {
    let text = tranche::report::report_text(&stats(&Filter::default()));
    assert!(text.starts_with("Trades: 5 (4 closed, 1 open)"), "{text}");
    assert!(
        text.contains("win rate       75.0% (3 wins, 1 losses)"),
        "{text}"
    );
    assert!(text.contains("averaging-down       1"), "{text}");
    assert!(text.contains("net effect     1,000.00 USD"), "{text}");
    assert!(
        text.contains("expectancy     2,500.00 EUR, 1,033.33 USD"),
        "{text}"
    );
    assert!(text.contains("fewer than 20 trades"), "{text}");
    assert!(text.contains("2024-04"), "{text}");
}

#[test]
fn filter_args_become_a_filter() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        filter: tranche::report::FilterArgs,
    }
    let cli = Cli::try_parse_from([
        "report",
        "--from",
        "2024-04-01",
        "--to",
        "2024-04-10",
        "--side",
        "short",
        "--condition",
        "range",
        "--symbol",
        "FDAX",
        "--setup",
        "reversal",
    ])
    .unwrap();
    let filter = Filter::from(cli.filter);
    assert_eq!(filter.from, NaiveDate::from_ymd_opt(2024, 4, 1));
    assert_eq!(filter.side, Some(Side::Short));
    assert_eq!(stats(&filter).trades, 1);
    assert!(Cli::try_parse_from(["report", "--side", "sideways"]).is_err());
}

#[test]
fn equity_points_name_each_trades_worst_rule() {
    let settings = RuleSettings::default();
    let trades = tranche::analysis::generate::journal(2_000, 5);
    let analyses = analyze_all(&trades, &settings, Messages::Write);
    let stats = journal_stats(&pair(&trades, &analyses), &Filter::default(), &settings);
    assert_eq!(stats.equity_curve.len(), stats.closed);
    for point in &stats.equity_curve {
        let index = trades.iter().position(|(id, _)| *id == point.id).unwrap();
        assert_eq!(point.worst_rule, analyses[index].worst_rule(&settings));
        assert_eq!(point.r_multiple, analyses[index].r_multiple);
    }
    let last = stats.equity_curve.last().unwrap();
    let total_r: Decimal = analyses
        .iter()
        .filter(|a| a.is_closed())
        .filter_map(|a| a.r_multiple)
        .map(|r| r.round_dp(tranche::analysis::stats::R_DP))
        .sum();
    assert_eq!(last.equity_r, total_r);
    for (currency, drawdown) in &stats.performance.max_drawdown {
        assert!(*drawdown >= Decimal::ZERO, "{currency}");
    }
}

#[test]
fn the_parts_of_a_large_journal_add_up() {
    let settings = RuleSettings::default();
    // Large enough to be summed in parts on several threads.
    let trades = tranche::analysis::generate::journal(12_000, 9);
    let analyses = analyze_all(&trades, &settings, Messages::Skip);
    let all = pair(&trades, &analyses);
    let stats = journal_stats(&all, &Filter::default(), &settings);
    assert_eq!(stats.trades, trades.len());
    assert_eq!(stats.closed + stats.open, stats.trades);

    // Counts partition the journal.
    let a = &stats.adherence;
    let broke = analyses.iter().filter(|a| !a.violations.is_empty()).count();
    assert_eq!(a.clean_trades + broke, stats.trades);
    let violations: usize = analyses.iter().map(|a| a.violations.len()).sum();
    assert_eq!(a.violations_by_rule.values().sum::<usize>(), violations);
    let s = &stats.scaling;
    assert_eq!(s.scaled_in.trades + s.single_entry.trades, stats.trades);
    assert_eq!(
        s.pyramided.trades + s.averaged_down.trades,
        s.scaled_in.trades
    );
    assert_eq!(
        stats.by_setup.values().map(|b| b.trades).sum::<usize>(),
        stats.trades
    );
    assert_eq!(
        stats.by_condition.values().map(|b| b.trades).sum::<usize>(),
        stats.trades
    );
    assert_eq!(
        stats.monthly.iter().map(|m| m.trades).sum::<usize>(),
        stats.closed
    );
    let p = &stats.performance;
    assert_eq!(
        p.win_rate,
        Some(Decimal::from(p.wins) / Decimal::from(p.closed))
    );

    // Money adds up per currency, never across.
    let mut net: std::collections::BTreeMap<String, Decimal> = Default::default();
    for ((_, trade), analysis) in trades.iter().zip(&analyses) {
        if analysis.is_closed() {
            *net.entry(trade.currency.clone()).or_default() += analysis.net_pnl;
        }
    }
    let mut monthly: std::collections::BTreeMap<String, Decimal> = Default::default();
    for month in &stats.monthly {
        for (currency, amount) in &month.net_pnl {
            *monthly.entry(currency.clone()).or_default() += amount;
        }
    }
    assert_eq!(monthly, net);
    for (currency, total) in &net {
        let index = stats.currencies.iter().position(|c| c == currency).unwrap();
        let last = stats
            .equity_curve
            .iter()
            .rev()
            .find(|p| p.currency == index)
            .unwrap();
        assert_eq!(last.equity, *total, "{currency}");
    }
    let o = &stats.scale_out;
    for (currency, effect) in &o.net_effect {
        assert_eq!(o.protected[currency] + o.capped[currency], *effect);
    }
    assert_eq!(stats.scale_out_effects.len(), o.trades);
    assert!(o.protected_trades + o.capped_trades <= o.trades);

    // The equity curve is in close-time order.
    assert!(
        stats
            .equity_curve
            .windows(2)
            .all(|w| (w[0].closed_at, w[0].id) < (w[1].closed_at, w[1].id))
    );

    // A filter by side splits the journal in two.
    let side = |side| {
        journal_stats(
            &all,
            &Filter {
                side: Some(side),
                ..Filter::default()
            },
            &settings,
        )
    };
    let (long, short) = (side(Side::Long), side(Side::Short));
    assert_eq!(long.trades + short.trades, stats.trades);
    assert_eq!(
        long.adherence.clean_trades + short.adherence.clean_trades,
        a.clean_trades
    );
}

mod zone_dates {
    use super::*;
    use proptest::prelude::*;
    use tranche::analysis::analyze;

    const ZONES: [chrono_tz::Tz; 4] = [
        chrono_tz::America::New_York,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::America::Santiago,
        chrono_tz::UTC,
    ];

    proptest! {
        /// The open date in a zone is inside the range exactly when the
        /// filter accepts the trade: bounds found once per filter agree with
        /// the calendar, across clock changes (Santiago's skip midnight).
        #[test]
        fn dates_in_a_zone_match_the_calendar(
            minutes in 0i64..(3 * 366 * 24 * 60),
            offset_quarters in -48i32..=56,
            zone in 0usize..ZONES.len(),
            from_day in proptest::option::of(0i64..(3 * 366)),
            span in proptest::option::of(0i64..40),
        ) {
            let zone = ZONES[zone];
            let offset = FixedOffset::east_opt(offset_quarters * 900).expect("an offset");
            let base = NaiveDate::from_ymd_opt(2023, 1, 1).expect("a date");
            let opened = (base.and_hms_opt(0, 0, 0).expect("midnight")
                + chrono::Duration::minutes(minutes))
                .and_utc()
                .with_timezone(&offset);
            let from = from_day.map(|d| base + chrono::Duration::days(d));
            let to = span.map(|s| from.unwrap_or(base) + chrono::Duration::days(s));
            let trade = trade(
                "T",
                Side::Long,
                "",
                vec![entry(opened, dec!(1), dec!(10))],
            );
            let analysis = analyze(&trade, &RuleSettings::default());
            let filter = Filter {
                from,
                to,
                zone: Some(zone),
                ..Filter::default()
            };
            let day = opened.with_timezone(&zone).date_naive();
            let expected = from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t);
            prop_assert_eq!(filter.accepts(&trade, &analysis), expected, "{} in {}", opened, zone);
        }
    }
}
