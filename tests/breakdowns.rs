//! Breakdowns by tag, account, weekday, hour, holding time and adds; the
//! R-multiples' median and tiny risks; the calendar; the filters that drive
//! them; `tranche report --tag/--account/--html`; and the review's calendar
//! and rows, clicked, filtering the list.

use std::collections::BTreeMap;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tranche::analysis::breakdown::{HoldingTime, WEEKDAYS, breakdowns, local};
use tranche::analysis::stats::{Filter, analyze_all, journal_stats, pair};
use tranche::analysis::{Messages, RuleSettings};
use tranche::app::TrancheApp;
use tranche::app::sample::sample_trades as app_samples;
use tranche::app::store::MemoryStore;
use tranche::domain::{Event, Side, Trade, TradeId};
use tranche::storage::Journal;
use tranche::ui::review::breakdowns::{row_label, tiny_label};
use tranche::ui::review::calendar::day_label;
use tranche::ui::time::Zone;

use crate::harness::{App, fill, settle};
use crate::helpers::{run, t, worked_example};

fn numbered(trades: Vec<Trade>) -> Vec<(TradeId, Trade)> {
    trades
        .into_iter()
        .enumerate()
        .map(|(i, t)| (TradeId(i as i64 + 1), t))
        .collect()
}

/// A trade of `qty` @ `price` with a stop at `stop`, out at `exit` after `minutes`.
fn trade(
    opened: &str,
    minutes: i64,
    (qty, price, stop, exit): (Decimal, Decimal, Decimal, Decimal),
    account: &str,
    tags: &[&str],
) -> Trade {
    let at = t(opened);
    let mut trade = Trade::new("XYZ", Side::Long);
    trade.account = account.to_owned();
    trade.tags = tags.iter().map(|s| (*s).to_owned()).collect();
    trade.events = vec![
        Event::stop(at, stop),
        Event::entry(at, qty, price, dec!(0)),
        Event::exit(at + chrono::Duration::minutes(minutes), qty, exit, dec!(0)),
    ];
    trade
}

/// Four trades in two accounts, with tags, at known times (New York).
fn small_journal() -> Vec<Trade> {
    vec![
        // Monday 09:35, 3 minutes, +2 R.
        trade(
            "2025-03-03T09:35:00-05:00",
            3,
            (dec!(100), dec!(50), dec!(49), dec!(52)),
            "prop-1",
            &["fomc", "a+"],
        ),
        // Monday 10:10, 2 hours, -1 R.
        trade(
            "2025-03-03T10:10:00-05:00",
            120,
            (dec!(100), dec!(50), dec!(49), dec!(49)),
            "prop-1",
            &["fomc"],
        ),
        // Wednesday 15:50, held to Friday: +0.5 R.
        trade(
            "2025-03-05T15:50:00-05:00",
            2 * 1440,
            (dec!(10), dec!(200), dec!(190), dec!(205)),
            "prop-2",
            &["swing", "swing "],
        ),
        // A tiny risk: 0.01% of the entry's value; -100 R.
        trade(
            "2025-03-05T09:31:00-05:00",
            30,
            (dec!(1000), dec!(100), dec!(99.99), dec!(99)),
            "prop-2",
            &[],
        ),
    ]
}

fn stats_of(
    trades: &[(TradeId, Trade)],
    filter: &Filter,
) -> tranche::analysis::stats::JournalStats {
    let settings = RuleSettings::default();
    let analyses = analyze_all(trades, &settings, Messages::Skip);
    journal_stats(&pair(trades, &analyses), filter, &settings)
}

#[test]
fn groups_by_tag_account_time_and_adds() {
    let trades = numbered(small_journal());
    let stats = stats_of(&trades, &Filter::default());
    let b = &stats.breakdowns;
    let fomc = &b.by_tag["fomc"];
    assert_eq!((fomc.trades, fomc.closed, fomc.wins), (2, 2, 1));
    assert_eq!(fomc.win_rate, Some(dec!(0.5)));
    assert_eq!(fomc.expectancy_r, Some(dec!(0.5)));
    assert_eq!(fomc.expectancy["USD"], dec!(50));
    assert!(fomc.small_sample);
    // A tag named twice counts once; an untagged trade is under no tag.
    assert_eq!(b.by_tag["swing"].trades, 1);
    assert_eq!(b.by_tag.keys().collect::<Vec<_>>(), ["a+", "fomc", "swing"]);
    assert_eq!(b.by_account["prop-1"].trades, 2);
    assert_eq!(b.by_account["prop-2"].expectancy["USD"], dec!(-475));
    // Read in each time's own offset: New York.
    assert_eq!(b.by_weekday[0].trades, 2, "monday");
    assert_eq!(b.by_weekday[2].trades, 2, "wednesday");
    assert_eq!(b.by_hour[9].trades, 2);
    assert_eq!(b.by_hour[10].trades, 1);
    assert_eq!(b.by_hour[15].trades, 1);
    let held = |h: HoldingTime| b.by_holding_time[h as usize].trades;
    assert_eq!(held(HoldingTime::Under5Min), 1);
    assert_eq!(held(HoldingTime::Min5To60), 1);
    assert_eq!(held(HoldingTime::Hours1To4), 1);
    assert_eq!(held(HoldingTime::Days1To5), 1);
    assert_eq!(b.by_adds[0].trades, 4);
    // In UTC, 09:31 and 09:35 New York are 14:31 and 14:35, 15:50 is 20:50.
    let utc = stats_of(
        &trades,
        &Filter {
            zone: Some(chrono_tz::UTC),
            ..Filter::default()
        },
    );
    assert_eq!(utc.breakdowns.by_hour[14].trades, 2);
    assert_eq!(utc.breakdowns.by_hour[20].trades, 1);

    // The tiny risk is flagged; without it the mean R is that of the others.
    let r = &b.robust_r;
    assert_eq!(r.r_trades, 4);
    assert_eq!(r.tiny.len(), 1);
    assert_eq!(r.tiny[0].id, TradeId(4));
    assert_eq!(r.tiny[0].r_multiple, dec!(-100));
    assert_eq!(r.tiny[0].risk_share, dec!(0.0001));
    assert_eq!(r.mean_r, Some(dec!(-24.625)));
    assert_eq!(r.median_r, Some(dec!(-0.25)));
    assert_eq!(r.mean_r_without_tiny, Some(dec!(0.5)));
    assert_eq!(r.median_r_without_tiny, Some(dec!(0.5)));
    // The calendar: the day each trade opened.
    let days: Vec<_> = b
        .calendar
        .iter()
        .map(|d| (d.date.to_string(), d.trades))
        .collect();
    assert_eq!(
        days,
        [("2025-03-03".to_owned(), 2), ("2025-03-05".to_owned(), 2)]
    );
    assert_eq!(b.calendar[0].net_pnl["USD"], dec!(100));
}

#[test]
fn the_filter_picks_tags_accounts_holding_times_and_hours() {
    let trades = numbered(small_journal());
    let count = |filter: Filter| stats_of(&trades, &filter).trades;
    let tag = |t: &str| Filter {
        tag: Some(t.to_owned()),
        ..Filter::default()
    };
    assert_eq!(count(tag("FOMC")), 2, "any case");
    assert_eq!(count(tag("swing")), 1);
    assert_eq!(count(tag("none such")), 0);
    let account = Filter {
        account: Some(" prop-2 ".to_owned()),
        ..Filter::default()
    };
    assert_eq!(count(account), 2);
    let held = Filter {
        holding: Some(HoldingTime::Days1To5),
        ..Filter::default()
    };
    assert_eq!(count(held), 1);
    let hour = Filter {
        hour: Some(9),
        weekday: Some(chrono::Weekday::Mon),
        ..Filter::default()
    };
    assert_eq!(count(hour), 1);
    let adds = Filter {
        adds: Some(1),
        ..Filter::default()
    };
    assert_eq!(count(adds), 0);
}

/// The groups a trade belongs to in one breakdown.
type GroupKey = Box<dyn Fn(&Trade, &tranche::analysis::TradeAnalysis) -> Vec<String>>;

/// Every group of `by` worked out apart from the library: trades, wins over
/// closed trades, and mean score.
fn independent(
    trades: &[(TradeId, Trade)],
    key: impl Fn(&Trade, &tranche::analysis::TradeAnalysis) -> Vec<String>,
) -> BTreeMap<String, (usize, Option<Decimal>, Decimal)> {
    let settings = RuleSettings::default();
    let mut groups: BTreeMap<String, (usize, usize, usize, u64)> = BTreeMap::new();
    for (_, trade) in trades {
        let a = tranche::analysis::analyze(trade, &settings);
        for k in key(trade, &a) {
            let g = groups.entry(k).or_default();
            g.0 += 1;
            g.3 += u64::from(a.score);
            if a.closed_at.is_some() {
                g.1 += 1;
                if a.net_pnl > Decimal::ZERO {
                    g.2 += 1;
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(k, (n, closed, wins, score))| {
            let rate = (closed > 0).then(|| Decimal::from(wins) / Decimal::from(closed));
            (k, (n, rate, Decimal::from(score) / Decimal::from(n)))
        })
        .collect()
}

#[test]
fn report_json_has_every_breakdown_exact() {
    let mut trades = small_journal();
    trades.push(worked_example());
    trades.extend(crate::helpers::sample_trades());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    Journal::open(&path)
        .unwrap()
        .insert_trades(&trades, &mut |_, _| {})
        .unwrap();
    let out = run(&["--journal", path.to_str().unwrap(), "report", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let numbered = numbered(trades);
    let checks: [(&str, GroupKey); 5] = [
        (
            "by_tag",
            Box::new(|t, _| {
                let mut tags: Vec<String> = t.tags.iter().map(|s| s.trim().to_owned()).collect();
                tags.sort();
                tags.dedup();
                tags
            }),
        ),
        ("by_account", Box::new(|t, _| vec![t.account.clone()])),
        (
            "by_weekday",
            Box::new(|_, a| {
                let at = a.opened_at.unwrap().naive_local();
                vec![
                    WEEKDAYS[chrono::Datelike::weekday(&at).num_days_from_monday() as usize]
                        .to_owned(),
                ]
            }),
        ),
        (
            "by_hour",
            Box::new(|_, a| {
                vec![format!(
                    "{:02}",
                    chrono::Timelike::hour(&a.opened_at.unwrap())
                )]
            }),
        ),
        (
            "by_adds",
            Box::new(|_, a| {
                vec![if a.adds >= 3 {
                    "3+".to_owned()
                } else {
                    a.adds.to_string()
                }]
            }),
        ),
    ];
    for (name, key) in checks {
        let expected = independent(&numbered, key);
        let shown = json[name]
            .as_object()
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(shown.len(), expected.len(), "{name}: {shown:?}");
        for (group, (trades, win_rate, score)) in expected {
            let g = &shown[&group];
            assert_eq!(g["trades"], trades, "{name}.{group}");
            let rate: Option<Decimal> = g["win_rate"].as_str().map(|s| s.parse().unwrap());
            assert_eq!(rate, win_rate, "{name}.{group}.win_rate");
            let mean: Decimal = g["mean_score"].as_str().unwrap().parse().unwrap();
            assert_eq!(mean, score, "{name}.{group}.mean_score");
        }
    }
    assert!(json["by_holding_time"]["1_to_5_days"]["trades"].as_u64() >= Some(2));
    let tiny = &json["r_distribution"]["tiny_risk_trades"];
    assert_eq!(tiny.as_array().map(Vec::len), Some(1));
    assert_eq!(tiny[0]["risk_share"], "0.0001");

    // --tag and --account narrow the report.
    let report = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--journal", path.to_str().unwrap(), "report", "--json"];
        all.extend_from_slice(args);
        let out = run(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(
        report(&["--tag", "fomc"])["trades"],
        3,
        "two here, one in the samples"
    );
    assert_eq!(report(&["--account", "prop-2"])["trades"], 2);
    assert_eq!(
        report(&["--tag", "fomc", "--account", "prop-1"])["trades"],
        2
    );
    let text = run(&[
        "--journal",
        path.to_str().unwrap(),
        "report",
        "--tag",
        "fomc",
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("By tag"), "{text}");
    assert!(text.contains("R-multiples"), "{text}");
}

/// Whether an HTML page asks for anything from elsewhere.
fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for attr in [
        "src=", "href=", "url(", "@import", "<link", "<script", "<img", "<iframe",
    ] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(attr) {
            let tail = &rest[at..(at + 60).min(rest.len())];
            found.push(tail.to_owned());
            rest = &rest[at + attr.len()..];
        }
    }
    found
}

#[test]
fn the_html_report_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut trades = small_journal();
    trades.extend(crate::helpers::sample_trades());
    Journal::open(&path)
        .unwrap()
        .insert_trades(&trades, &mut |_, _| {})
        .unwrap();
    let file = dir.path().join("review.html");
    let out = run(&[
        "--journal",
        path.to_str().unwrap(),
        "report",
        "--html",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.matches("<svg").count() >= 3,
        "the charts are inline SVG"
    );
    assert!(html.contains("Median R"));
    assert!(html.contains("By tag"));
    assert!(html.contains("fomc"));
    assert!(html.contains("Calendar"));
    assert_eq!(external_references(&html), Vec::<String>::new());
    // The check itself sees what it looks for.
    assert_eq!(
        external_references(r#"<img src="https://example.org/x.png">"#).len(),
        2
    );
}

/// The sample journal in the app, on the review, in a tall window.
fn review_app() -> App {
    let trades = app_samples().expect("samples parse");
    let mut harness = Harness::builder()
        .with_size([1600.0, 2600.0])
        .build_eframe(move |cc| {
            TrancheApp::with_store(&cc.egui_ctx, MemoryStore::with_trades(trades))
        });
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);
    harness
}

fn click_into_view(harness: &mut App, label: &str) {
    harness.get_by_label(label).scroll_to_me();
    harness.run();
    harness.get_by_label(label).click();
    settle(harness);
}

fn sorted(mut ids: Vec<TradeId>) -> Vec<TradeId> {
    ids.sort();
    ids
}

/// The ids of the loaded trades that `keep` keeps.
fn ids_where(
    harness: &App,
    keep: impl Fn(&Trade, &tranche::analysis::TradeAnalysis) -> bool,
) -> Vec<TradeId> {
    sorted(
        harness
            .state()
            .trades()
            .rows()
            .iter()
            .filter(|row| keep(&row.trade, &row.analysis))
            .map(|row| row.id)
            .collect(),
    )
}

#[test]
fn clicking_a_calendar_day_filters_the_list() {
    let mut harness = review_app();
    let all = harness.state().listed_ids().len();
    let days = harness
        .state()
        .review()
        .stats()
        .expect("computed")
        .breakdowns
        .calendar
        .clone();
    // The calendar opens on the last month with trades.
    let day = days.last().expect("a day").date;
    let zone = Zone::Local.calendar();
    click_into_view(&mut harness, &day_label(day));
    assert_eq!(harness.state().filter().from, day.to_string());
    assert_eq!(harness.state().filter().to, day.to_string());
    let expected = ids_where(&harness, |_, a| {
        a.opened_at.is_some_and(|at| local(at, zone).date() == day)
    });
    assert!(!expected.is_empty() && expected.len() < all);
    assert_eq!(sorted(harness.state().listed_ids()), expected);
    let stats = harness.state().review().stats().expect("computed");
    assert_eq!(stats.trades, expected.len(), "the review follows the list");
}

#[test]
fn clicking_a_breakdown_row_filters_the_list() {
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| {
            TrancheApp::with_store(
                &cc.egui_ctx,
                MemoryStore::with_trades(app_samples().expect("samples parse")),
            )
        });
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);
    let all = harness.state().listed_ids().len();
    click_into_view(&mut harness, &row_label("By tag", "tilt"));
    assert_eq!(harness.state().filter().tag, "tilt");
    let expected = ids_where(&harness, |t, _| t.tags.iter().any(|x| x == "tilt"));
    assert!(!expected.is_empty() && expected.len() < all);
    assert_eq!(sorted(harness.state().listed_ids()), expected);

    // A row of another breakdown narrows further.
    let zone = Zone::Local.calendar();
    let hour = harness
        .state()
        .review()
        .stats()
        .expect("computed")
        .breakdowns
        .by_hour
        .iter()
        .position(|g| g.trades > 0)
        .expect("an hour") as u32;
    click_into_view(
        &mut harness,
        &row_label("By hour of entry", &format!("{hour:02}:00")),
    );
    assert_eq!(harness.state().filter().hour, Some(hour));
    let expected = ids_where(&harness, |t, a| {
        t.tags.iter().any(|x| x == "tilt")
            && a.opened_at
                .is_some_and(|at| chrono::Timelike::hour(&local(at, zone)) == hour)
    });
    assert_eq!(sorted(harness.state().listed_ids()), expected);
}

#[test]
fn the_tag_filter_narrows_the_review() {
    let mut harness = review_app();
    let before = harness.state().review().report_json().expect("computed");
    fill(&mut harness, "Tag filter", "TILT");
    let after = harness.state().review().report_json().expect("computed");
    let expected = ids_where(&harness, |t, _| {
        t.tags.iter().any(|x| x.eq_ignore_ascii_case("tilt"))
    });
    assert!(after["trades"].as_u64() < before["trades"].as_u64());
    assert_eq!(after["trades"], expected.len());
    assert_eq!(after["by_tag"]["tilt"]["trades"], expected.len());
    assert_eq!(sorted(harness.state().listed_ids()), expected);
    // The statistics' CSV export follows the filter too.
    let csv = harness.state().review().csv().expect("computed");
    assert!(csv.contains(&format!("trades,{}", expected.len())), "{csv}");
    assert!(csv.contains("by_tag.tilt.trades"));
}

#[test]
fn a_tiny_risk_is_flagged_and_opens_its_trade() {
    let trades = small_journal();
    let mut harness = Harness::builder()
        .with_size([1600.0, 1200.0])
        .build_eframe(move |cc| {
            TrancheApp::with_store(&cc.egui_ctx, MemoryStore::with_trades(trades))
        });
    settle(&mut harness);
    harness.get_by_label("Review").click();
    settle(&mut harness);
    let tiny = harness
        .state()
        .review()
        .stats()
        .expect("computed")
        .breakdowns
        .robust_r
        .tiny
        .clone();
    assert_eq!(tiny.len(), 1);
    assert!(
        harness
            .query_all_by_label_contains("risked less than 0.05%")
            .next()
            .is_some()
    );
    click_into_view(&mut harness, &tiny_label(tiny[0].id));
    assert_eq!(harness.state().selected(), Some(tiny[0].id));
}

#[test]
fn breakdowns_match_in_parts_and_whole_on_a_large_journal() {
    let trades = numbered(crate::helpers::generated_trades(9_000));
    let settings = RuleSettings::default();
    let analyses = analyze_all(&trades, &settings, Messages::Skip);
    let all = pair(&trades, &analyses);
    let filter = Filter::default();
    let whole = breakdowns(&all, &filter);
    let first = breakdowns(&all[..4_000], &filter);
    let second = breakdowns(&all[4_000..], &filter);
    for (tag, g) in &whole.by_tag {
        let parts = first.by_tag.get(tag).map_or(0, |g| g.trades)
            + second.by_tag.get(tag).map_or(0, |g| g.trades);
        assert_eq!(g.trades, parts, "{tag}");
    }
    assert_eq!(whole.robust_r.r_trades, 9_000);
}
