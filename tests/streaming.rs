//! The streamed outputs (`trades --json`, `export`, `report --json`) read
//! the journal a chunk at a time: their bytes must be those of the whole
//! journal loaded at once, whatever the chunk size, and the chunked reader
//! must give every trade once, in id order.

use std::collections::BTreeMap;

use rust_decimal_macros::dec;
use tranche::analysis::stats::{self, Filter};
use tranche::analysis::{Messages, Rule, analyze};
use tranche::cli::stream;
use tranche::domain::bars::{Bar, BarSeries};
use tranche::domain::{Event, MarketCondition, Playbook, Side, Trade, TradeId};
use tranche::storage::Journal;
use tranche::views::TradeView;

use crate::helpers::{generated_trades, raise_prices, sample_trades, t, worked_example};

/// Chunk sizes that put the chunk boundaries in many places, the whole
/// journal in one chunk among them.
const CHUNKS: [usize; 6] = [1, 2, 3, 7, 64, 100_000];

/// Varied trades: long and short, open and closed, stops unknown, other
/// currencies and a rate, tags (repeated, blank), setups with playbooks,
/// and a trade whose symbol has price bars.
fn varied_trades() -> Vec<Trade> {
    let mut trades = sample_trades();
    let mut unknown = worked_example();
    unknown.symbol = "MSFT".into();
    unknown.stops_known = false;
    unknown.tags = vec!["earnings".into(), " earnings ".into(), "".into()];
    unknown.setup = " breakout ".into();
    trades.push(unknown);
    let mut euro = worked_example();
    // Text that JSON must escape: a quote, a backslash, a tab.
    euro.symbol = "SAP \"ü\"\\\t".into();
    euro.currency = "EUR".into();
    euro.rate = dec!(1.0825);
    euro.account = "europe".into();
    euro.market_condition = MarketCondition::Range;
    euro.notes = "Quotes \" and a\nnew line, and ünïcode ✓".into();
    trades.push(euro);
    let mut no_stop = Trade::new("TSLA", Side::Short);
    no_stop.events = vec![
        Event::entry(t("2024-05-02T15:00:00Z"), dec!(10), dec!(180.5), dec!(0.5)),
        Event::entry(t("2024-05-02T15:10:00Z"), dec!(10), dec!(182), dec!(0.5)),
        Event::exit(t("2024-05-03T15:00:00Z"), dec!(20), dec!(175.25), dec!(1)),
    ];
    trades.push(no_stop);
    for (i, mut trade) in generated_trades(40).into_iter().enumerate() {
        trade.setup = ["generated", "pullback", ""][i % 3].into();
        if i % 5 == 0 {
            trade.events.truncate(5); // still open
        }
        if i % 4 == 0 {
            trade.tags.push("a".into());
        }
        trades.push(trade);
    }
    trades
}

/// Hourly bars of AAPL over the worked example's life.
fn aapl_bars() -> BarSeries {
    let mut series = BarSeries::new("AAPL", 3600, 2);
    let start = t("2024-03-01T14:00:00Z").timestamp();
    for i in 0..110 {
        let mid = dec!(100) + rust_decimal::Decimal::from(i % 12);
        let units = |d| series.units(d).unwrap();
        let bar = Bar {
            start: start + 3600 * i,
            open: units(mid),
            high: units(mid + dec!(1.5)),
            low: units(mid - dec!(2.25)),
            close: units(mid + dec!(0.5)),
        };
        series.bars.push(bar);
    }
    series
}

/// A journal file of the varied trades, with gaps in its ids (deleted
/// trades), playbooks, and bars.
fn varied_journal(dir: &tempfile::TempDir) -> Journal {
    let mut journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    let ids = journal
        .insert_trades(&varied_trades(), &mut |_, _| {})
        .unwrap();
    for id in [ids[1], ids[7], ids[8], ids[ids.len() - 1]] {
        journal.delete_trade(id).unwrap();
    }
    let mut breakout = Playbook::new("breakout");
    breakout.max_adds = Some(1);
    breakout.target_r = Some(dec!(2.5));
    breakout.weights = Some(BTreeMap::from([("averaging-down".to_owned(), 30)]));
    let mut pullback = Playbook::new("pullback");
    pullback.conditions = vec![MarketCondition::Trending];
    journal.set_playbooks(&[breakout, pullback]).unwrap();
    journal
        .insert_bars(&aapl_bars(), "aapl.csv", &mut |_, _| {})
        .unwrap();
    journal
}

/// `tranche trades --json` as it was written from every trade loaded at once.
fn trades_json_whole(journal: &Journal) -> Vec<u8> {
    let settings = journal.rule_settings().unwrap();
    let map = journal.bars_symbol_map().unwrap();
    let views: Vec<TradeView> = journal
        .trades()
        .unwrap()
        .iter()
        .map(|(id, trade)| {
            let excursion = tranche::market::trade_excursion(journal, trade, &map).unwrap();
            TradeView::new(*id, trade, &analyze(trade, &settings))
                .with_excursion(excursion.as_ref())
        })
        .collect();
    let mut bytes = serde_json::to_vec_pretty(&views).unwrap();
    bytes.push(b'\n');
    bytes
}

/// `tranche report --json` as it was written from every trade loaded at once.
fn whole_stats(journal: &Journal, filter: &Filter) -> stats::JournalStats {
    let settings = journal.rule_settings().unwrap();
    let trades = journal.trades().unwrap();
    let analyses = stats::analyze_all(&trades, &settings, Messages::Skip);
    stats::journal_stats(&stats::pair(&trades, &analyses), filter, &settings)
}

fn report_json_whole(stats: &stats::JournalStats) -> Vec<u8> {
    let value = tranche::report::report_json(stats);
    let mut bytes = serde_json::to_vec_pretty(&value).unwrap();
    bytes.push(b'\n');
    bytes
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn the_reader_gives_every_trade_once_in_id_order_whatever_the_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let journal = varied_journal(&dir);
    let whole = journal.trades().unwrap();
    assert!(whole.len() > 40);
    for size in [1, 2, 3, 5, 7, 13, whole.len() - 1, whole.len(), 1000] {
        let mut chunks: Vec<Vec<(TradeId, Trade)>> = Vec::new();
        journal
            .for_each_trade_chunk(size, |chunk| {
                chunks.push(chunk);
                Ok::<_, tranche::storage::StorageError>(())
            })
            .unwrap();
        let (last, full) = chunks.split_last().unwrap();
        assert!(full.iter().all(|c| c.len() == size), "size {size}");
        assert!(!last.is_empty() && last.len() <= size, "size {size}");
        let read: Vec<(TradeId, Trade)> = chunks.into_iter().flatten().collect();
        assert!(read.windows(2).all(|w| w[0].0 < w[1].0), "size {size}");
        assert_eq!(read, whole, "size {size}");
    }
    // The raw chunks say which trades they hold before they are decoded.
    let mut ids = Vec::new();
    journal
        .read_trade_chunks(4, |chunk| {
            assert_eq!(chunk.len(), chunk.ids().count());
            ids.extend(chunk.ids());
            Ok::<_, tranche::storage::StorageError>(())
        })
        .unwrap();
    assert_eq!(ids, whole.iter().map(|(id, _)| *id).collect::<Vec<_>>());
}

#[test]
fn an_error_of_the_reader_s_caller_stops_the_reading() {
    let dir = tempfile::tempdir().unwrap();
    let journal = varied_journal(&dir);
    let mut calls = 0;
    let result = journal.for_each_trade_chunk(5, |_| {
        calls += 1;
        if calls == 2 {
            return Err(tranche::storage::StorageError::Corrupt {
                what: "test",
                value: "stop".into(),
            });
        }
        Ok(())
    });
    assert!(result.is_err());
    assert_eq!(calls, 2);
    // The journal reads whole afterwards: no transaction was left open.
    assert_eq!(
        journal.trades().unwrap().len(),
        journal.trade_count().unwrap()
    );
}

#[test]
fn trades_json_streamed_is_byte_for_byte_the_whole_journal_s() {
    let dir = tempfile::tempdir().unwrap();
    let journal = varied_journal(&dir);
    let whole = trades_json_whole(&journal);
    assert!(text(&whole).contains("\"mfe\""), "a trade has an excursion");
    assert!(text(&whole).contains("\"rate\": \"1.0825\""));
    assert!(text(&whole).contains(r#""symbol": "SAP \"ü\"\\\t""#));
    for chunk in CHUNKS {
        let mut streamed = Vec::new();
        stream::write_trades_json(&journal, chunk, &mut streamed).unwrap();
        assert_eq!(text(&streamed), text(&whole), "chunk {chunk}");
    }
}

#[test]
fn export_streamed_is_byte_for_byte_the_whole_journal_s() {
    let dir = tempfile::tempdir().unwrap();
    let journal = varied_journal(&dir);
    let trades = journal.trades().unwrap();
    let playbooks = journal.playbooks().unwrap();
    assert_eq!(playbooks.len(), 2);
    let mut whole = Vec::new();
    tranche::interchange::write_json_with(&trades, &playbooks, &mut whole).unwrap();
    for chunk in CHUNKS {
        let mut streamed = Vec::new();
        stream::write_export_json(&journal, chunk, &mut streamed).unwrap();
        assert_eq!(text(&streamed), text(&whole), "chunk {chunk}");
    }
}

#[test]
fn report_streamed_is_byte_for_byte_the_whole_journal_s() {
    let dir = tempfile::tempdir().unwrap();
    let journal = varied_journal(&dir);
    let settings = journal.rule_settings().unwrap();
    let filters = [
        Filter::default(),
        Filter {
            tag: Some("earnings".into()),
            ..Filter::default()
        },
        Filter {
            rule: Some(Rule::AveragingDown),
            zone: Some(chrono_tz::America::New_York),
            ..Filter::default()
        },
        Filter {
            setup: Some("breakout".into()),
            side: Some(Side::Long),
            ..Filter::default()
        },
    ];
    for filter in &filters {
        let whole = whole_stats(&journal, filter);
        let whole_json = report_json_whole(&whole);
        assert!(whole.trades > 0, "{filter:?}");
        for chunk in CHUNKS {
            let streamed = stream::journal_stats(&journal, filter, &settings, chunk).unwrap();
            assert_eq!(streamed, whole, "chunk {chunk}, {filter:?}");
            let mut bytes = Vec::new();
            tranche::report::write_report_json(&streamed, &mut bytes).unwrap();
            assert_eq!(text(&bytes), text(&whole_json), "chunk {chunk}, {filter:?}");
        }
    }
}

#[test]
fn an_empty_journal_streams_as_it_always_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("empty.sqlite")).unwrap();
    let mut trades = Vec::new();
    stream::write_trades_json(&journal, 3, &mut trades).unwrap();
    assert_eq!(text(&trades), text(&trades_json_whole(&journal)));
    let mut export = Vec::new();
    stream::write_export_json(&journal, 3, &mut export).unwrap();
    let mut whole = Vec::new();
    tranche::interchange::write_json_with(&[], &[], &mut whole).unwrap();
    assert_eq!(text(&export), text(&whole));
    let settings = journal.rule_settings().unwrap();
    let stats = stream::journal_stats(&journal, &Filter::default(), &settings, 3).unwrap();
    let mut report = Vec::new();
    tranche::report::write_report_json(&stats, &mut report).unwrap();
    assert_eq!(
        text(&report),
        text(&report_json_whole(&whole_stats(
            &journal,
            &Filter::default()
        )))
    );
}

/// The varied journal without price bars: `trades --json` writes it from
/// the analyses it keeps.
fn varied_journal_without_bars(dir: &tempfile::TempDir) -> Journal {
    let journal = varied_journal(dir);
    let other = rusqlite::Connection::open(dir.path().join("j.sqlite")).unwrap();
    other
        .execute_batch("DELETE FROM bar; DELETE FROM bar_series;")
        .unwrap();
    journal
}

/// The rows of `analysis_cache` under the journal's basis, and how many of
/// them keep what `trades --json` shows.
fn kept_rows(journal: &Journal, path: &std::path::Path) -> (usize, usize) {
    let basis = tranche::analysis::kept::Basis::of(&journal.rule_settings().unwrap());
    let other = rusqlite::Connection::open(path).unwrap();
    other
        .query_row(
            "SELECT (SELECT count(*) FROM analysis_cache WHERE basis = ?1),
                    (SELECT count(*) FROM analysis_shown WHERE basis = ?1)",
            [basis.0],
            |row| {
                Ok((
                    row.get::<_, i64>(0)? as usize,
                    row.get::<_, i64>(1)? as usize,
                ))
            },
        )
        .unwrap()
}

fn trades_json(journal: &Journal, chunk: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    stream::write_trades_json(journal, chunk, &mut bytes).unwrap();
    bytes
}

#[test]
fn trades_json_from_kept_analyses_is_byte_for_byte_a_fresh_analysis_s() {
    for chunk in CHUNKS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut journal = varied_journal_without_bars(&dir);
        let count = journal.trade_count().unwrap();
        let whole = trades_json_whole(&journal);
        assert!(text(&whole).contains("\"message\": \""));
        assert!(text(&whole).contains("\"removed_adds\": [\n"));
        assert!(text(&whole).contains(r#""symbol": "SAP \"ü\"\\\t""#));
        // The insert kept no analysis: every trade is analysed, then kept
        // with what it shows; the second run reads only kept rows.
        assert_eq!(kept_rows(&journal, &path), (0, 0));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );
        assert_eq!(kept_rows(&journal, &path), (count, count));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );

        // An edit here, and changes by another program in plain SQL: the
        // rows of those trades are forgotten and the trades analysed again.
        let trades = journal.trades().unwrap();
        let (id, mut trade) = trades[2].clone();
        trade.events.pop();
        journal.update_trade(id, &trade).unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        raise_prices(&other, "entry", trades[5].0.0);
        other
            .execute(
                "UPDATE trade SET multiplier = '2' WHERE id = ?1",
                [trades[9].0.0],
            )
            .unwrap();
        other
            .execute("DELETE FROM trade WHERE id = ?1", [trades[11].0.0])
            .unwrap();
        assert_eq!(kept_rows(&journal, &path), (count - 4, count - 4));
        let changed = trades_json_whole(&journal);
        assert_ne!(changed, whole);
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&changed),
            "chunk {chunk}"
        );
        assert_eq!(kept_rows(&journal, &path), (count - 1, count - 1));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&changed),
            "chunk {chunk}"
        );

        // New weights: nothing kept is used, and the bytes follow them.
        let mut settings = journal.rule_settings().unwrap();
        settings.weights[Rule::AveragingDown.index()] = 3;
        journal.set_rule_settings(&settings).unwrap();
        let weighted = trades_json_whole(&journal);
        assert_ne!(weighted, changed);
        assert_eq!(kept_rows(&journal, &path), (0, 0));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&weighted),
            "chunk {chunk}"
        );
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&weighted),
            "chunk {chunk}"
        );
    }
}

#[test]
fn trades_json_analyses_trades_kept_without_what_they_show() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = varied_journal_without_bars(&dir);
    let count = journal.trade_count().unwrap();
    let whole = trades_json_whole(&journal);
    // The statistics keep analyses without sentences; `report` reads them
    // back as they were, and `trades --json` adds what it shows.
    let settings = journal.rule_settings().unwrap();
    let report = stream::journal_stats(&journal, &Filter::default(), &settings, 5).unwrap();
    assert_eq!(kept_rows(&journal, &path), (count, 0));
    assert_eq!(text(&trades_json(&journal, 4)), text(&whole));
    assert_eq!(kept_rows(&journal, &path), (count, count));
    assert_eq!(text(&trades_json(&journal, 4)), text(&whole));
    assert_eq!(
        stream::journal_stats(&journal, &Filter::default(), &settings, 5).unwrap(),
        report
    );
    assert_eq!(kept_rows(&journal, &path), (count, count));
}

#[test]
fn trades_json_passes_over_kept_rows_it_cannot_read() {
    for chunk in [1, 3, 100] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let journal = varied_journal_without_bars(&dir);
        let count = journal.trade_count().unwrap();
        let whole = trades_json_whole(&journal);
        trades_json(&journal, chunk);
        let other = rusqlite::Connection::open(&path).unwrap();
        // Bytes of no encoding, and the sentences of another trade (the
        // first trade's: they do not match the others' violations).
        other
            .execute_batch(
                "UPDATE analysis_shown SET shown = x'ff' WHERE trade_id % 3 = 0;
                 UPDATE analysis_cache SET figures = x'ffff' WHERE trade_id % 5 = 0;
                 UPDATE analysis_shown SET shown = (SELECT shown FROM analysis_shown
                     ORDER BY trade_id LIMIT 1) WHERE trade_id % 7 = 0;",
            )
            .unwrap();
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );
        assert_eq!(kept_rows(&journal, &path), (count, count));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );
    }
}

/// A journal that cannot be written (see durability.rs: folders where
/// SQLite's own files must go) writes the same bytes and keeps nothing.
#[test]
fn a_read_only_journal_writes_the_same_trades_json_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let journal = varied_journal_without_bars(&dir);
    let whole = trades_json_whole(&journal);
    drop(journal);
    std::fs::create_dir(dir.path().join("j.sqlite-shm")).unwrap();
    std::fs::create_dir(dir.path().join("j.sqlite-wal")).unwrap();
    let journal = Journal::open_for_reading(&path).unwrap();
    assert!(journal.is_read_only());
    assert_eq!(text(&trades_json(&journal, 4)), text(&whole));
    let basis = tranche::analysis::kept::Basis::of(&journal.rule_settings().unwrap());
    assert_eq!(journal.kept_analysis_count(basis.0).unwrap(), 0);
}

#[test]
fn trades_json_keeps_the_trades_without_bars_and_measures_the_others_every_time() {
    for chunk in [1, 3, 64] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let journal = varied_journal(&dir);
        let whole = trades_json_whole(&journal);
        assert!(text(&whole).contains("\"mfe\""), "a trade has an excursion");
        let trades = journal.trades().unwrap();
        let with_bars = trades
            .iter()
            .filter(|(_, trade)| trade.symbol.trim().eq_ignore_ascii_case("AAPL"))
            .count();
        assert!(with_bars > 0 && with_bars < trades.len());
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );
        // Only the trades in a symbol without bars are kept.
        let without = trades.len() - with_bars;
        assert_eq!(kept_rows(&journal, &path), (without, without));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );
        // Kept figures of a trade with bars (as `report` keeps them) are
        // not used: it is measured again.
        let settings = journal.rule_settings().unwrap();
        stream::journal_stats(&journal, &Filter::default(), &settings, 5).unwrap();
        assert_eq!(kept_rows(&journal, &path), (trades.len(), without));
        assert_eq!(
            text(&trades_json(&journal, chunk)),
            text(&whole),
            "chunk {chunk}"
        );
        assert_eq!(kept_rows(&journal, &path), (trades.len(), without));
    }
}
