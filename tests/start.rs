//! Opening a journal fast: the trades read on several connections at once
//! and analysed as they are read, and the journal loading before the window
//! exists, with every figure the same as a fresh read and analysis.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use egui_kittest::Harness;
use rust_decimal_macros::dec;
use tranche::analysis::{RuleSettings, analyze, row_analysis};
use tranche::app::worker::{Job, Reply, Worker};
use tranche::app::{Preferences, TrancheApp};
use tranche::domain::{Event, Trade, TradeId};
use tranche::storage::Journal;

use crate::harness::{App, has_text_containing, settle};
use crate::helpers::{generated_trades, t, worked_example};

/// A journal file of `n` generated trades, with some deleted (gaps in the
/// ids) and some with several tags or none.
fn journal_of(dir: &tempfile::TempDir, n: usize) -> std::path::PathBuf {
    let path = dir.path().join("journal.sqlite");
    let mut journal = Journal::open(&path).expect("open");
    let mut trades = generated_trades(n);
    for (i, trade) in trades.iter_mut().enumerate() {
        match i % 5 {
            0 => trade.tags.clear(),
            1 => trade.tags.push(format!("extra{i}")),
            _ => {}
        }
    }
    trades.push(worked_example());
    let ids = journal
        .insert_trades(&trades, &mut |_, _| {})
        .expect("insert");
    for id in ids.iter().step_by(97) {
        journal.delete_trade(*id).expect("delete");
    }
    path
}

#[test]
fn trades_read_in_parts_are_the_journal_as_read_on_one_connection() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = journal_of(&dir, 4000);
    let journal = Journal::open(&path).expect("open");
    let expected = journal.trades().expect("trades");
    assert!(expected.len() > 3900);
    for parts in [1, 2, 3, 4, 7] {
        let read = journal
            .map_trades(parts, |id, trade| (id, trade))
            .expect("read in parts");
        assert_eq!(read.len(), expected.len(), "{parts} parts");
        assert!(read == expected, "{parts} parts read other trades");
    }
    // Mapped on the reading threads: each trade with its own id.
    let ids = journal
        .map_trades(4, |id, trade| (id, trade.symbol))
        .expect("read");
    let by_id: Vec<(TradeId, String)> = expected
        .iter()
        .map(|(id, trade)| (*id, trade.symbol.clone()))
        .collect();
    assert_eq!(ids, by_id);

    let memory = Journal::open_in_memory().expect("in memory");
    assert!(memory.map_trades(4, |id, _| id).expect("read").is_empty());
}

#[test]
fn a_journal_changed_by_another_program_while_it_is_read_is_read_as_one_state() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = journal_of(&dir, 4000);
    let journal = Journal::open(&path).expect("open");
    let before = journal.trades().expect("trades");
    let (first, last) = (before[0].0, before[before.len() - 1].0);
    // Another program renames the first and the last trade, in one
    // transaction, while the first trade read is being handed over: the
    // ranges read before it and after it must not be mixed.
    let other = Mutex::new(rusqlite::Connection::open(&path).expect("plain SQLite"));
    let written = AtomicBool::new(false);
    let read = journal
        .map_trades(2, |id, trade| {
            if !written.swap(true, Ordering::SeqCst) {
                let other = other.lock().expect("the other program");
                other
                    .execute(
                        "UPDATE trade SET symbol = 'RENAMED' WHERE id IN (?1, ?2)",
                        [first.0, last.0],
                    )
                    .expect("the other program's write");
            }
            (id, trade)
        })
        .expect("read");
    assert!(written.load(Ordering::SeqCst));
    let after = journal.trades().expect("trades");
    assert_eq!(after[0].1.symbol, "RENAMED");
    assert_eq!(after[after.len() - 1].1.symbol, "RENAMED");
    assert!(
        read == after,
        "the trades read mix two states of the journal"
    );
}

#[test]
fn an_event_changed_by_another_program_is_seen_at_the_next_read() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = journal_of(&dir, 1500);
    let journal = Journal::open(&path).expect("open");
    let settings = RuleSettings::default();
    let analyse = |journal: &Journal| {
        journal
            .map_trades(2, |id, trade| (id, analyze(&trade, &settings)))
            .expect("read")
    };
    let old = analyse(&journal);
    let (id, old_analysis) = old[old.len() - 1].clone();
    let other = rusqlite::Connection::open(&path).expect("plain SQLite");
    // The worked example's last exit, at another price.
    let changed = other
        .execute(
            "UPDATE trade SET events = json_replace(events, '$[' || (
                 SELECT max(key) FROM json_each(trade.events) WHERE value ->> 0 = 'exit'
             ) || '][3]', '130') WHERE id = ?1",
            [id.0],
        )
        .expect("the other program's write");
    assert_eq!(changed, 1);
    let new = analyse(&journal);
    let fresh = analyze(
        &journal.trade(id).expect("read").expect("the trade"),
        &settings,
    );
    assert_eq!(new[new.len() - 1], (id, fresh.clone()));
    assert_ne!(fresh.net_pnl, old_analysis.net_pnl);
}

#[test]
fn the_journal_loads_before_there_is_a_window_and_its_replies_wait() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = journal_of(&dir, 50);
    let expected = Journal::open(&path)
        .expect("open")
        .trades()
        .expect("trades");
    let mut worker = Worker::start(tranche::app::journal::opener(path.clone()));
    worker.send(Job::Load);
    // Nothing to wake yet: the load runs, and its reply waits to be polled.
    let mut replies = Vec::new();
    for _ in 0..5000 {
        replies.extend(worker.poll());
        if !worker.is_busy() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    worker.wake(egui::Context::default());
    let loaded = replies
        .into_iter()
        .find_map(|reply| match reply {
            Reply::Loaded(loaded) => Some(loaded),
            _ => None,
        })
        .expect("the journal, loaded");
    assert_eq!(loaded.rows.len(), expected.len());
    for (row, (id, trade)) in loaded.rows.iter().zip(&expected) {
        assert_eq!(row.id, *id);
        assert_eq!(*row.trade, *trade);
        assert_eq!(row.analysis, row_analysis(trade, &loaded.settings));
    }
}

/// The app on the journal file at `path`, as `tranche` opens it.
fn app_on(path: &std::path::Path) -> App {
    let opener = tranche::app::journal::opener(path.to_path_buf());
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            TrancheApp::with_preferences(&cc.egui_ctx, opener, Preferences::default())
        });
    settle(&mut harness);
    assert!(
        harness.state().is_loaded(),
        "errors: {:?}",
        harness.state().errors()
    );
    harness
}

#[test]
fn the_list_shows_every_trade_with_the_figures_of_a_fresh_analysis() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = journal_of(&dir, 3000);
    // Rule settings of the journal's own, which the analyses must use.
    let mut settings = RuleSettings::default();
    settings.weights[0] = 3;
    settings.risk_tolerance = dec!(0.1);
    Journal::open(&path)
        .expect("open")
        .set_rule_settings(&settings)
        .expect("settings");
    let expected = Journal::open(&path)
        .expect("open")
        .trades()
        .expect("trades");

    let harness = app_on(&path);
    let app = harness.state();
    assert_eq!(app.rule_settings(), &settings);
    let rows = app.trades().rows();
    assert_eq!(rows.len(), expected.len());
    for (row, (id, trade)) in rows.iter().zip(&expected) {
        assert_eq!(row.id, *id);
        assert_eq!(*row.trade, *trade);
        assert_eq!(row.analysis, row_analysis(trade, &settings), "trade {id}");
        // Everything but the violations' sentences, which the detail writes.
        let full = analyze(trade, &settings);
        assert_eq!(
            row.analysis
                .violations
                .iter()
                .map(|v| v.rule)
                .collect::<Vec<_>>(),
            full.violations.iter().map(|v| v.rule).collect::<Vec<_>>()
        );
        assert_eq!(row.analysis.score, full.score);
        assert_eq!(row.analysis.net_pnl, full.net_pnl);
        assert_eq!(row.analysis.r_multiple, full.r_multiple);
    }
    assert_eq!(app.listed_ids().len(), expected.len());
    let count = expected.len();
    assert!(has_text_containing(
        &harness,
        &format!("{count} of {count} trades")
    ));

    // The detail of a trade that broke a rule says how, in words.
    let (id, trade) = expected
        .iter()
        .find(|(_, trade)| !analyze(trade, &settings).violations.is_empty())
        .expect("a trade that broke a rule");
    let message = analyze(trade, &settings).violations[0].message.clone();
    assert!(!message.is_empty());
    let mut harness = harness;
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .apply(tranche::ui::Command::Select(Some(*id)), &ctx);
    settle(&mut harness);
    assert!(has_text_containing(&harness, &message), "{message}");
}

#[test]
fn a_trade_saved_by_another_program_is_in_the_list_when_the_app_opens() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = journal_of(&dir, 1200);
    {
        let mut other = Journal::open(&path).expect("another process's journal");
        let mut trade = Trade::new("LATE", tranche::domain::Side::Long);
        trade.events = vec![
            Event::stop(t("2024-05-01T10:00:00-04:00"), dec!(9)),
            Event::entry(t("2024-05-01T10:00:00-04:00"), dec!(10), dec!(10), dec!(0)),
            Event::exit(t("2024-05-01T10:30:00-04:00"), dec!(10), dec!(12), dec!(0)),
        ];
        other.insert_trade(&trade).expect("saved");
    }
    let harness = app_on(&path);
    let app = harness.state();
    let row = app
        .trades()
        .rows()
        .iter()
        .find(|row| row.trade.symbol == "LATE")
        .expect("the other program's trade");
    assert_eq!(row.analysis.net_pnl, dec!(20));
    assert_eq!(row.analysis.r_multiple, Some(dec!(2)));
}
