//! Setup playbooks: their rules (`too-many-adds`,
//! `outside-playbook-condition`), their weights overriding the journal's, a
//! trade without a playbook judged as before, the journal keeping them, and
//! editing one in Settings re-scoring a trade.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use egui_kittest::kittest::Queryable;
use rust_decimal_macros::dec;
use tranche::analysis::{Rule, RuleSettings, analyze};
use tranche::app::store::MemoryStore;
use tranche::domain::{Event, MarketCondition, Playbook, Side, Trade};
use tranche::storage::Journal;

use crate::harness::{app_with, click, fill, has_text_containing, settle};

fn at(minute: i64) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2024, 6, 3, 14, 0, 0)
        .unwrap()
        + Duration::minutes(minute)
}

/// A clean pyramid with three adds, each smaller and in profit, the stop
/// trailed after each.
fn pyramid(setup: &str, condition: MarketCondition) -> Trade {
    let mut trade = Trade::new("MSFT", Side::Long);
    trade.setup = setup.to_owned();
    trade.market_condition = condition;
    trade.events = vec![
        Event::stop(at(0), dec!(95)),
        Event::entry(at(0), dec!(400), dec!(100), dec!(0)),
        Event::entry(at(10), dec!(200), dec!(103), dec!(0)),
        Event::stop(at(10), dec!(99)),
        Event::entry(at(20), dec!(100), dec!(106), dec!(0)),
        Event::stop(at(20), dec!(101)),
        Event::entry(at(30), dec!(50), dec!(108), dec!(0)),
        Event::stop(at(30), dec!(103)),
        Event::exit(at(40), dec!(750), dec!(110), dec!(0)),
    ];
    trade
}

fn settings_with(playbook: Playbook) -> RuleSettings {
    RuleSettings {
        playbooks: vec![playbook],
        ..RuleSettings::default()
    }
}

#[test]
fn a_playbook_judges_its_setup() {
    let clean = pyramid("Breakout", MarketCondition::Trending);
    let plain = analyze(&clean, &RuleSettings::default());
    assert!(plain.violations.is_empty(), "{:?}", plain.violations);
    assert_eq!(plain.score, 100);

    // Two adds allowed: the third is one too many (event 7), at the default 5.
    let two_adds = Playbook {
        max_adds: Some(2),
        ..Playbook::new(" breakout ")
    };
    let a = analyze(&clean, &settings_with(two_adds.clone()));
    let found: Vec<(Rule, usize)> = a.violations.iter().map(|v| (v.rule, v.event)).collect();
    assert_eq!(found, vec![(Rule::TooManyAdds, 6)]);
    assert_eq!(a.score, 95);
    assert_eq!(
        a.violations[0].message,
        "Add 3 (50 at 108.00): the breakout playbook allows 2 adds."
    );

    // Trending only: a range trade is outside the playbook (at the initial
    // entry), and its adds break scaled-in-range as before.
    let trending = Playbook {
        conditions: vec![MarketCondition::Trending],
        ..Playbook::new("breakout")
    };
    let ranged = pyramid("breakout", MarketCondition::Range);
    let a = analyze(&ranged, &settings_with(trending.clone()));
    assert!(a.broke(Rule::OutsidePlaybookCondition));
    assert_eq!(
        a.violations
            .iter()
            .find(|v| v.rule == Rule::OutsidePlaybookCondition)
            .unwrap()
            .event,
        1
    );
    assert_eq!(a.score, 100 - 3 - 3 * 2);

    // Its own weights: scaled-in-range does not apply, the condition costs 20.
    let own = Playbook {
        weights: Some(BTreeMap::from([
            ("averaging-down".to_owned(), 50),
            ("outside-playbook-condition".to_owned(), 20),
        ])),
        ..trending
    };
    let a = analyze(&ranged, &settings_with(own));
    let rules: Vec<Rule> = a.violations.iter().map(|v| v.rule).collect();
    assert_eq!(rules, vec![Rule::OutsidePlaybookCondition]);
    assert_eq!(a.score, 80);

    // A trade with another setup, or none, is judged as without playbooks.
    for setup in ["pullback", ""] {
        let other = pyramid(setup, MarketCondition::Range);
        assert_eq!(
            analyze(&other, &settings_with(two_adds.clone())),
            analyze(&other, &RuleSettings::default()),
            "{setup:?}"
        );
    }
    assert_eq!("too-many-adds".parse::<Rule>(), Ok(Rule::TooManyAdds));
    assert_eq!(
        "outside-playbook-condition".parse::<Rule>(),
        Ok(Rule::OutsidePlaybookCondition)
    );
}

#[test]
fn the_journal_keeps_playbooks_with_the_rule_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let settings = RuleSettings {
        playbooks: vec![
            Playbook {
                weights: Some(BTreeMap::from([("no-stop".to_owned(), 15)])),
                max_adds: Some(1),
                conditions: vec![MarketCondition::Trending, MarketCondition::Unknown],
                target_r: Some(dec!(2.50)),
                ..Playbook::new("Breakout")
            },
            Playbook::new("pullback"),
        ],
        ..RuleSettings::default()
    };
    {
        let mut journal = Journal::open(&path).unwrap();
        assert_eq!(journal.rule_settings().unwrap().playbooks, vec![]);
        journal.set_rule_settings(&settings).unwrap();
    }
    let journal = Journal::open(&path).unwrap();
    let read = journal.rule_settings().unwrap();
    assert_eq!(read.playbooks.len(), 2);
    assert_eq!(read.playbooks[0].setup, "Breakout");
    assert_eq!(read.playbooks[0].target_r, Some(dec!(2.5)));
    assert_eq!(
        read.playbooks[0].conditions,
        settings.playbooks[0].conditions
    );
    assert_eq!(read.playbooks[0].weights, settings.playbooks[0].weights);
    assert_eq!(read.playbooks[1], settings.playbooks[1]);
    // Replacing them leaves only the new ones.
    let mut journal = journal;
    journal.set_rule_settings(&RuleSettings::default()).unwrap();
    assert!(journal.playbooks().unwrap().is_empty());
}

#[test]
fn editing_a_playbook_in_settings_rescores_its_trades() {
    let mut harness = app_with(MemoryStore::with_trades([
        pyramid("breakout", MarketCondition::Trending),
        pyramid("pullback", MarketCondition::Trending),
    ]));
    let scores = |harness: &crate::harness::App| -> Vec<(String, u32)> {
        harness
            .state()
            .trades()
            .rows()
            .iter()
            .map(|r| (r.trade.setup.clone(), r.analysis.score))
            .collect()
    };
    assert_eq!(
        scores(&harness),
        vec![("breakout".to_owned(), 100), ("pullback".to_owned(), 100)]
    );
    click(&mut harness, "Settings");
    fill(&mut harness, "New playbook setup", "Breakout");
    click(&mut harness, "Add playbook");
    fill(&mut harness, "Breakout max adds", "1");
    harness
        .get_by_label("Apply playbooks and re-score trades")
        .click();
    settle(&mut harness);
    // Two adds beyond the one allowed, 5 each; the pullback has no playbook.
    assert_eq!(
        scores(&harness),
        vec![("breakout".to_owned(), 90), ("pullback".to_owned(), 100)]
    );
    assert_eq!(
        harness.state().rule_settings().playbooks[0].max_adds,
        Some(1)
    );

    // The review compares the setup with its own playbook.
    click(&mut harness, "Review");
    assert!(has_text_containing(
        &harness,
        "Setups against their playbooks"
    ));
    assert!(has_text_containing(&harness, "0% (0 of 1)"));
}

fn two_playbooks() -> Vec<Playbook> {
    vec![
        Playbook {
            weights: Some(BTreeMap::from([
                ("averaging-down".to_owned(), 40),
                ("too-many-adds".to_owned(), 9),
            ])),
            max_adds: Some(2),
            conditions: vec![MarketCondition::Trending],
            target_r: Some(dec!(2.5)),
            ..Playbook::new("breakout")
        },
        Playbook::new("pullback"),
    ]
}

#[test]
fn the_journal_file_carries_playbooks_losslessly() {
    use tranche::domain::TradeId;
    use tranche::interchange::{from_json, from_json_with_playbooks, to_json, write_json_with};
    let trades = vec![(TradeId(1), pyramid("breakout", MarketCondition::Trending))];
    let mut bytes = Vec::new();
    write_json_with(&trades, &two_playbooks(), &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (read, playbooks) = from_json_with_playbooks(&text).unwrap();
    assert_eq!(playbooks, two_playbooks());
    assert_eq!(read, vec![trades[0].1.clone()]);
    // Without playbooks the document is as before, and a reader of trades alone reads it.
    let plain = to_json(&trades);
    assert!(!plain.contains("playbooks"));
    assert_eq!(from_json(&text).unwrap(), read);

    let bad = text.replace("too-many-adds", "too-many-add");
    let error = from_json_with_playbooks(&bad).unwrap_err().to_string();
    assert!(error.contains("unknown rule \"too-many-add\""), "{error}");
    let bad = text.replace("\"max_adds\": 2", "\"max_add\": 2");
    assert!(from_json_with_playbooks(&bad).is_err());

    // Through the command line: export, import into a new journal, export again.
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.sqlite");
    {
        let mut journal = Journal::open(&first).unwrap();
        journal
            .insert_trades(&[trades[0].1.clone()], &mut |_, _| {})
            .unwrap();
        journal
            .set_rule_settings(&RuleSettings {
                playbooks: two_playbooks(),
                ..RuleSettings::default()
            })
            .unwrap();
    }
    let export = |journal: &std::path::Path| {
        let out = crate::helpers::run(&["--journal", journal.to_str().unwrap(), "export"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let exported = export(&first);
    assert!(exported.contains("\"playbooks\""));
    let file = dir.path().join("export.json");
    std::fs::write(&file, &exported).unwrap();
    let second = dir.path().join("b.sqlite");
    let out = crate::helpers::run(&[
        "--journal",
        second.to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("added 2 playbooks"));
    assert_eq!(export(&second), exported);
}

#[test]
fn the_app_imports_a_journal_file_with_its_playbooks_and_rescores() {
    use tranche::domain::TradeId;
    use tranche::interchange::write_json_with;
    // The journal holds a breakout trade already; the file brings another and
    // a breakout playbook allowing one add (the pyramid makes three).
    let mut harness = app_with(MemoryStore::with_trades([pyramid(
        "breakout",
        MarketCondition::Trending,
    )]));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("with-playbooks.json");
    let playbook = Playbook {
        max_adds: Some(1),
        ..Playbook::new("breakout")
    };
    let trades = vec![(TradeId(1), pyramid("breakout", MarketCondition::Trending))];
    let mut bytes = Vec::new();
    write_json_with(&trades, std::slice::from_ref(&playbook), &mut bytes).unwrap();
    std::fs::write(&path, bytes).unwrap();

    harness.state_mut().import_file(path);
    settle(&mut harness);

    assert_eq!(harness.state().rule_settings().playbooks, vec![playbook]);
    let scores: Vec<u32> = harness
        .state()
        .trades()
        .rows()
        .iter()
        .map(|r| r.analysis.score)
        .collect();
    // Both trades, the one already there included, are judged by the playbook.
    assert_eq!(scores, vec![90, 90]);
}
