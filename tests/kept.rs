//! Analyses kept in the journal: an import keeps them, the statistics read
//! them, and a change to a trade (by this program or another), to the rule
//! settings or to a playbook means they are not used.

use rust_decimal_macros::dec;
use tranche::analysis::kept::Basis;
use tranche::analysis::stats::{self, Filter, JournalStats};
use tranche::analysis::{Messages, Rule};
use tranche::cli::stream;
use tranche::domain::{EventKind, Playbook, TradeId};
use tranche::storage::Journal;

use crate::helpers::{
    EVENTS_BACK_INTO_THEIR_TABLE, FILL_RECORDS_BACK_INTO_THEIR_TABLE, KEPT_STATS_AWAY,
    generated_trades, import_utc, raise_prices, run, sample_trades,
};

/// The statistics computed from every trade's events, as if nothing were kept.
fn fresh_stats(journal: &Journal, filter: &Filter) -> JournalStats {
    let settings = journal.rule_settings().unwrap();
    let trades = journal.trades().unwrap();
    let analyses = stats::analyze_all(&trades, &settings, Messages::Skip);
    stats::journal_stats(&stats::pair(&trades, &analyses), filter, &settings)
}

fn kept_stats(journal: &Journal) -> JournalStats {
    let settings = journal.rule_settings().unwrap();
    stream::journal_stats(journal, &Filter::default(), &settings, 7).unwrap()
}

fn kept_count(journal: &Journal) -> usize {
    let basis = Basis::of(&journal.rule_settings().unwrap());
    journal.kept_analysis_count(basis.0).unwrap()
}

/// A journal of `generated` disciplined trades and the sample trades, which
/// break rules.
fn journal_of(dir: &tempfile::TempDir, generated: usize) -> Journal {
    let mut journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    let mut trades = generated_trades(generated);
    trades.extend(sample_trades());
    journal.insert_trades(&trades, &mut |_, _| {}).unwrap();
    journal
}

fn is_kept(journal: &Journal, id: TradeId) -> bool {
    let basis = Basis::of(&journal.rule_settings().unwrap());
    journal.kept_analysis(id, basis.0).unwrap().is_some()
}

#[test]
fn an_import_keeps_the_analysis_of_every_trade_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fills.csv");
    std::fs::write(
        &csv,
        "Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n\
         2024-01-02,09:30:00,AAA,Buy,100,10.00,1,U1,E1\n\
         2024-01-02,09:31:00,AAA,Buy,50,10.50,1,U1,E2\n\
         2024-01-02,09:40:00,AAA,Sell,150,11.00,1,U1,E3\n\
         2024-01-02,09:45:00,BBB,Sell,10,50.00,1,U1,E4\n\
         2024-01-02,09:50:00,BBB,Buy,10,49.00,1,U1,E5\n\
         2024-01-03,10:00:00,AAA,Buy,20,12.00,1,U1,E6\n",
    )
    .unwrap();
    let path = dir.path().join("j.sqlite");
    import_utc(&path, &csv);
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.trade_count().unwrap(), 3);
    assert_eq!(kept_count(&journal), 3);
    assert_eq!(
        kept_stats(&journal),
        fresh_stats(&journal, &Filter::default())
    );

    // The open trade continued by a later fill is kept as it now is.
    std::fs::write(
        &csv,
        "Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n\
         2024-01-04,10:00:00,AAA,Sell,20,13.00,1,U1,E7\n",
    )
    .unwrap();
    import_utc(&path, &csv);
    assert_eq!(journal.trade_count().unwrap(), 3);
    assert_eq!(kept_count(&journal), 3);
    let stats = kept_stats(&journal);
    assert_eq!(stats, fresh_stats(&journal, &Filter::default()));
    assert_eq!(stats.performance.closed, 3);

    // The import set its triggers aside while it wrote, and put them back.
    let other = rusqlite::Connection::open(&path).unwrap();
    let triggers: i64 = other
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'
             AND name GLOB 'analysis_cache_*'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    // On the trade table, which holds its events: when it is added, changed
    // or deleted.
    assert_eq!(triggers, 3);
    other
        .execute(
            "UPDATE trade SET events = (
                 SELECT json_group_array(
                            CASE json_array_length(value)
                                WHEN 5 THEN json_replace(value, '$[4]', '2')
                                ELSE json(value)
                            END ORDER BY key)
                 FROM json_each(trade.events))",
            [],
        )
        .unwrap();
    assert_eq!(kept_count(&journal), 0);
    assert_eq!(
        kept_stats(&journal),
        fresh_stats(&journal, &Filter::default())
    );
}

#[test]
fn the_statistics_keep_what_they_analyse_and_read_it_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_of(&dir, 300);
    let count = journal.trade_count().unwrap();
    assert_eq!(kept_count(&journal), 0);
    let first = kept_stats(&journal);
    assert_eq!(kept_count(&journal), count);
    assert_eq!(kept_stats(&journal), first);
    for filter in [
        Filter {
            rule: Some(Rule::AveragingDown),
            ..Filter::default()
        },
        Filter {
            tag: Some("batch3".into()),
            ..Filter::default()
        },
    ] {
        let settings = journal.rule_settings().unwrap();
        let kept = stream::journal_stats(&journal, &filter, &settings, 64).unwrap();
        assert_eq!(kept, fresh_stats(&journal, &filter), "{filter:?}");
    }
}

#[test]
fn a_trade_changed_here_is_analysed_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = journal_of(&dir, 50);
    kept_stats(&journal);
    let trades = journal.trades().unwrap();

    // An edit: its last event moves.
    let (id, mut trade) = trades[3].clone();
    let last = trade.events.last_mut().unwrap();
    match &mut last.kind {
        EventKind::Entry(fill) | EventKind::Exit(fill) => fill.price += dec!(1.5),
        EventKind::Stop { price } | EventKind::Target { price } => *price += dec!(1.5),
    }
    journal.update_trade(id, &trade).unwrap();
    assert!(!is_kept(&journal, id));
    assert!(is_kept(&journal, trades[4].0));
    assert_eq!(
        kept_stats(&journal),
        fresh_stats(&journal, &Filter::default())
    );
    assert!(is_kept(&journal, id));

    // A change of setup (a playbook may judge it).
    let (id, mut trade) = trades[5].clone();
    trade.setup = "reversal".into();
    journal.update_trade(id, &trade).unwrap();
    assert!(!is_kept(&journal, id));

    // A delete, then the undo under the same id.
    let (id, trade) = trades[6].clone();
    journal.delete_trade(id).unwrap();
    assert!(!is_kept(&journal, id));
    assert_eq!(
        kept_stats(&journal),
        fresh_stats(&journal, &Filter::default())
    );
    journal.restore_trade(id, &trade).unwrap();
    assert_eq!(
        kept_stats(&journal),
        fresh_stats(&journal, &Filter::default())
    );
    assert_eq!(kept_count(&journal), journal.trade_count().unwrap());
}

#[test]
fn a_trade_changed_by_another_program_is_analysed_again() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_of(&dir, 40);
    let before = kept_stats(&journal);
    let trades = journal.trades().unwrap();
    let other = rusqlite::Connection::open(dir.path().join("j.sqlite")).unwrap();
    // Plain SQL, as any program might write: an exit's price, a trade's side
    // and the removal of a trade's last event.
    raise_prices(&other, "exit", trades[1].0.0);
    other
        .execute(
            "UPDATE trade SET multiplier = '2' WHERE id = ?1",
            [trades[2].0.0],
        )
        .unwrap();
    other
        .execute(
            "UPDATE trade SET events = json_remove(events, '$[#-1]') WHERE id = ?1",
            [trades[8].0.0],
        )
        .unwrap();
    for id in [trades[1].0, trades[2].0, trades[8].0] {
        assert!(!is_kept(&journal, id), "{id:?}");
    }
    let after = kept_stats(&journal);
    assert_eq!(after, fresh_stats(&journal, &Filter::default()));
    assert_ne!(after, before);
}

#[test]
fn new_rule_settings_or_playbooks_use_no_kept_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = journal_of(&dir, 200);
    let before = kept_stats(&journal);

    let mut settings = journal.rule_settings().unwrap();
    settings.weights[Rule::AveragingDown.index()] = 7;
    journal.set_rule_settings(&settings).unwrap();
    assert_eq!(kept_count(&journal), 0);
    let weighted = kept_stats(&journal);
    assert_ne!(weighted, before);
    assert_eq!(weighted, fresh_stats(&journal, &Filter::default()));

    let mut playbook = Playbook::new("generated");
    playbook.max_adds = Some(0);
    settings.playbooks.push(playbook);
    journal.set_rule_settings(&settings).unwrap();
    assert_eq!(kept_count(&journal), 0);
    let judged = kept_stats(&journal);
    assert_ne!(judged, weighted);
    assert_eq!(judged, fresh_stats(&journal, &Filter::default()));
    // The generated trades add twice: the playbook's limit costs them.
    assert!(judged.adherence.mean_score < weighted.adherence.mean_score);
}

#[test]
fn nothing_is_kept_when_the_journal_changed_after_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_of(&dir, 20);
    let basis = Basis::of(&journal.rule_settings().unwrap()).0;
    let mut ids = Vec::new();
    let read = journal
        .read_kept_chunks(
            basis,
            8,
            |chunk| -> Result<(), tranche::storage::StorageError> {
                ids.extend(chunk.decode()?.into_iter().map(|(id, _)| id));
                Ok(())
            },
        )
        .unwrap();
    let count = journal.trade_count().unwrap();
    assert_eq!(ids.len(), count);
    let other = rusqlite::Connection::open(dir.path().join("j.sqlite")).unwrap();
    other
        .execute("UPDATE trade SET setup = 'late' WHERE id = ?1", [ids[0].0])
        .unwrap();
    let bytes = [1u8, 2, 3];
    let kept = journal
        .keep_analyses(basis, read, ids.iter().map(|&id| (id, &bytes[..])))
        .unwrap();
    assert!(!kept);
    assert_eq!(journal.kept_analysis_count(basis).unwrap(), 0);

    // Read again, nothing changed since: kept.
    let read = journal
        .read_kept_chunks(
            basis,
            8,
            |_| -> Result<(), tranche::storage::StorageError> { Ok(()) },
        )
        .unwrap();
    assert!(
        journal
            .keep_analyses(basis, read, ids.iter().map(|&id| (id, &bytes[..])))
            .unwrap()
    );
    assert_eq!(journal.kept_analysis_count(basis).unwrap(), count);
}

#[test]
fn unreadable_kept_bytes_are_forgotten_and_the_trades_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_of(&dir, 30);
    kept_stats(&journal);
    let other = rusqlite::Connection::open(dir.path().join("j.sqlite")).unwrap();
    other
        .execute(
            "UPDATE analysis_cache SET figures = x'ffff' WHERE trade_id % 3 = 0",
            [],
        )
        .unwrap();
    assert_eq!(
        kept_stats(&journal),
        fresh_stats(&journal, &Filter::default())
    );
    assert_eq!(kept_count(&journal), journal.trade_count().unwrap());
}

/// `tranche trades --json` over the journal at `path`, which must succeed.
fn trades_json_of(path: &std::path::Path) -> String {
    let output = run(&["--journal", path.to_str().unwrap(), "trades", "--json"]);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// `trades --json` of every trade analysed from its events, as it was
/// written from the whole journal at once.
fn fresh_trades_json(journal: &Journal) -> String {
    let settings = journal.rule_settings().unwrap();
    let views: Vec<tranche::views::TradeView> = journal
        .trades()
        .unwrap()
        .iter()
        .map(|(id, trade)| {
            tranche::views::TradeView::new(
                *id,
                trade,
                &tranche::analysis::analyze(trade, &settings),
            )
        })
        .collect();
    serde_json::to_string_pretty(&views).unwrap() + "\n"
}

#[test]
fn trades_json_after_an_import_adds_the_sentences_to_what_the_import_kept() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fills.csv");
    // Adds that break rules (larger than the entry, averaging down), and a
    // trade that breaks none.
    std::fs::write(
        &csv,
        "Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n\
         2024-01-02,09:30:00,AAA,Buy,100,10.00,1,U1,E1\n\
         2024-01-02,09:31:00,AAA,Buy,150,9.50,1,U1,E2\n\
         2024-01-02,09:40:00,AAA,Sell,100,11.00,1,U1,E3\n\
         2024-01-02,09:41:00,AAA,Sell,150,11.50,1,U1,E4\n\
         2024-01-02,09:45:00,BBB,Sell,10,50.00,1,U1,E5\n\
         2024-01-02,09:50:00,BBB,Buy,10,49.00,1,U1,E6\n",
    )
    .unwrap();
    let path = dir.path().join("j.sqlite");
    import_utc(&path, &csv);
    let journal = Journal::open(&path).unwrap();
    assert_eq!(kept_count(&journal), 2);
    let shown = |journal: &Journal| -> i64 {
        let basis = Basis::of(&journal.rule_settings().unwrap());
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM analysis_shown WHERE basis = ?1",
                [basis.0],
                |row| row.get(0),
            )
            .unwrap()
    };
    assert_eq!(shown(&journal), 0);
    let fresh = fresh_trades_json(&journal);
    assert!(fresh.contains("\"message\": \"Added"), "{fresh}");
    assert!(fresh.contains("\"removed_adds\": [\n"), "{fresh}");
    assert_eq!(trades_json_of(&path), fresh);
    assert_eq!(shown(&journal), 2);
    assert_eq!(trades_json_of(&path), fresh);
}

#[test]
fn what_is_shown_is_not_kept_when_the_journal_changed_after_it_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let journal = journal_of(&dir, 12);
    let basis = Basis::of(&journal.rule_settings().unwrap()).0;
    // The statistics keep figures only: the shown read reads every trade,
    // notes that their figures are kept, and ends with `None` in the read.
    kept_stats(&journal);
    let mut ids = Vec::new();
    let mut ended = false;
    let read = journal
        .read_shown_chunks(
            basis,
            5,
            &|_| false,
            |chunk: Option<tranche::storage::KeptChunk>| -> Result<(), tranche::storage::StorageError> {
                let Some(chunk) = chunk else {
                    ended = true;
                    return Ok(());
                };
                assert!(!ended);
                for (i, (id, row)) in chunk.decode()?.into_iter().enumerate() {
                    assert!(matches!(row, tranche::storage::KeptRow::Trade(_)));
                    assert!(chunk.figures_kept(i));
                    ids.push(id);
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(ended);
    assert_eq!(ids.len(), journal.trade_count().unwrap());
    let other = rusqlite::Connection::open(dir.path().join("j.sqlite")).unwrap();
    other
        .execute("UPDATE trade SET setup = 'late' WHERE id = ?1", [ids[0].0])
        .unwrap();
    let shown = [0u8, 0];
    let kept = journal
        .keep_shown_analyses(basis, read, ids.iter().map(|&id| (id, None, &shown[..])))
        .unwrap();
    assert!(!kept);
    let with_shown: i64 = other
        .query_row("SELECT count(*) FROM analysis_shown", [], |row| row.get(0))
        .unwrap();
    assert_eq!(with_shown, 0);
}

/// Takes the journal at `path` back to schema version 8, where events were
/// rows of their own table (with its triggers) and what is shown was kept
/// beside the figures, keeping what is kept.
fn back_to_version_8(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(KEPT_STATS_AWAY).unwrap();
    conn.execute_batch(FILL_RECORDS_BACK_INTO_THEIR_TABLE)
        .unwrap();
    conn.execute_batch(
        "ALTER TABLE analysis_cache ADD COLUMN shown BLOB;
         UPDATE analysis_cache SET shown = (
             SELECT shown FROM analysis_shown
             WHERE analysis_shown.trade_id = analysis_cache.trade_id
             AND analysis_shown.basis = analysis_cache.basis);
         DROP TABLE analysis_shown;
         DROP TRIGGER analysis_cache_trade_insert;
         DROP TRIGGER analysis_cache_trade_delete;
         CREATE TRIGGER analysis_cache_trade_insert AFTER INSERT ON trade
         BEGIN
             DELETE FROM analysis_cache WHERE trade_id = NEW.id;
         END;
         CREATE TRIGGER analysis_cache_trade_delete AFTER DELETE ON trade
         BEGIN
             DELETE FROM analysis_cache WHERE trade_id = OLD.id;
         END;
         DROP TRIGGER analysis_cache_trade_update;",
    )
    .unwrap();
    conn.execute_batch(EVENTS_BACK_INTO_THEIR_TABLE).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER analysis_cache_trade_update AFTER UPDATE ON trade
         BEGIN
             DELETE FROM analysis_cache WHERE trade_id IN (OLD.id, NEW.id);
         END;
         CREATE TRIGGER analysis_cache_event_insert AFTER INSERT ON event
         BEGIN
             DELETE FROM analysis_cache WHERE trade_id = NEW.trade_id;
         END;
         PRAGMA user_version = 8;",
    )
    .unwrap();
}

/// A stored event: trade id, seq, kind, time, quantity, price, fee.
type EventRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

/// The rows of the journal's `event` table or view, in order.
fn event_rows(path: &std::path::Path) -> Vec<EventRow> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT trade_id, seq, kind, at, qty, price, fee FROM event ORDER BY 1, 2")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn a_journal_of_version_8_moves_its_events_into_its_trades_and_keeps_its_analyses() {
    let count_shown = |path: &std::path::Path, table: &str| -> usize {
        let conn = rusqlite::Connection::open(path).unwrap();
        let sql = match table {
            "analysis_cache" => "SELECT count(shown) FROM analysis_cache",
            _ => "SELECT count(*) FROM analysis_shown",
        };
        conn.query_row(sql, [], |row| row.get::<_, i64>(0)).unwrap() as usize
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = journal_of(&dir, 30);
    let trades = journal.trades().unwrap();
    assert!(
        trades.iter().any(|(_, trade)| trade
            .events
            .iter()
            .any(|event| matches!(event.kind, EventKind::Stop { .. }))),
        "stops are among the events"
    );
    let stats = kept_stats(&journal);
    let kept = kept_count(&journal);
    assert_eq!(kept, trades.len());
    let json = trades_json_of(&path);
    assert_eq!(count_shown(&path, "analysis_shown"), trades.len());
    drop(journal);
    back_to_version_8(&path);
    assert_eq!(count_shown(&path, "analysis_cache"), trades.len());
    let old_rows = event_rows(&path);
    assert!(old_rows.len() > trades.len());

    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.trades().unwrap(), trades);
    assert_eq!(
        kept_count(&journal),
        kept,
        "moving the events changes no trade"
    );
    assert_eq!(kept_stats(&journal), stats);
    assert_eq!(count_shown(&path, "analysis_shown"), trades.len());
    assert_eq!(trades_json_of(&path), json);
    // The view shows the events as the table held them.
    let rows = event_rows(&path);
    assert_eq!(rows, old_rows);
    // A change of a trade's events is a change of its row: its analysis goes.
    let (id, _) = trades[3];
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE trade SET events = json_remove(events, '$[#-1]') WHERE id = ?1",
        [id.0],
    )
    .unwrap();
    assert!(!is_kept(&journal, id));
    assert_eq!(count_shown(&path, "analysis_shown"), trades.len() - 1);
}

#[test]
fn a_keeper_keeps_chunk_by_chunk_until_another_program_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = journal_of(&dir, 12);
    let basis = Basis::of(&journal.rule_settings().unwrap()).0;
    kept_stats(&journal);
    let ids: Vec<TradeId> = journal
        .trades()
        .unwrap()
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let other = rusqlite::Connection::open(&path).unwrap();
    let shown_rows = || -> i64 {
        other
            .query_row("SELECT count(*) FROM analysis_shown", [], |row| row.get(0))
            .unwrap()
    };
    let shown = [0u8, 0];
    let mut keeper = journal
        .keeper(basis)
        .unwrap()
        .expect("a journal on disk has one");
    // Kept at once, each chunk in its own transaction, while this
    // connection may still be reading.
    assert!(
        keeper
            .keep(ids[..5].iter().map(|&id| (id, None, &shown[..])))
            .unwrap()
    );
    assert_eq!(shown_rows(), 5);
    assert!(
        keeper
            .keep(ids[5..8].iter().map(|&id| (id, None, &shown[..])))
            .unwrap()
    );
    assert_eq!(shown_rows(), 8);
    // Another program writes: nothing more is kept, even after.
    other
        .execute("UPDATE trade SET setup = 'late' WHERE id = ?1", [ids[0].0])
        .unwrap();
    assert!(
        !keeper
            .keep(ids[8..].iter().map(|&id| (id, None, &shown[..])))
            .unwrap()
    );
    assert!(
        !keeper
            .keep(ids[8..].iter().map(|&id| (id, None, &shown[..])))
            .unwrap()
    );
    // The changed trade's rows went with the change.
    assert_eq!(shown_rows(), 7);

    // A keeper that finds the journal locked by another program keeps
    // nothing rather than wait for it.
    let mut keeper = journal.keeper(basis).unwrap().unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(
        !keeper
            .keep(ids[8..].iter().map(|&id| (id, None, &shown[..])))
            .unwrap()
    );
    other.execute_batch("COMMIT").unwrap();
    assert_eq!(shown_rows(), 7);

    // A journal in memory has none.
    let memory = Journal::open_in_memory().unwrap();
    assert!(memory.keeper(basis).unwrap().is_none());
}
