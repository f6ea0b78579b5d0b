//! The `tranche` binary: global options, import/export round trip, the
//! `trades --json` contract, `show`, refusals that write nothing, and a
//! crash in the middle of an import.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tranche::domain::Trade;
use tranche::interchange::to_json;
use tranche::storage::Journal;
use tranche::views::TradeView;

use crate::helpers::{files_in, generated_trades, run, sample_trades, tranche, worked_example};

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "tranche failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn write_file(path: &Path, trades: &[Trade]) {
    let numbered: Vec<_> = trades
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, t)| (tranche::domain::TradeId(i as i64 + 1), t))
        .collect();
    fs::write(path, to_json(&numbered)).unwrap();
}

#[test]
fn journal_option_works_before_and_after_the_command_and_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let file = dir.path().join("trades.json");
    write_file(&file, &sample_trades());
    let j = journal.to_str().unwrap();
    let f = file.to_str().unwrap();

    let added = stdout(&run(&["--journal", j, "import", f]));
    assert!(added.contains("added 4 trades"), "{added}");
    let before = stdout(&run(&["--journal", j, "trades"]));
    let after = stdout(&run(&["trades", "--journal", j]));
    let from_env = stdout(
        &tranche()
            .env("TRANCHE_JOURNAL", j)
            .arg("trades")
            .output()
            .unwrap(),
    );
    assert_eq!(before, after);
    assert_eq!(before, from_env);
    assert_eq!(before.lines().count(), 5, "{before}");
    assert!(before.starts_with("ID  SYMBOL"), "{before}");
}

#[test]
fn export_import_export_through_the_command_line_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let first_journal = dir.path().join("a.sqlite");
    let second_journal = dir.path().join("b.sqlite");
    let mut journal = Journal::open(&first_journal).unwrap();
    journal
        .insert_trades(&sample_trades(), &mut |_, _| {})
        .unwrap();
    drop(journal);

    let a = first_journal.to_str().unwrap();
    let exported = dir.path().join("export.json");
    let out = run(&[
        "--journal",
        a,
        "export",
        "--format",
        "json",
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let first = fs::read_to_string(&exported).unwrap();
    assert_eq!(
        first,
        stdout(&run(&["--journal", a, "export", "--format", "json"]))
    );

    let b = second_journal.to_str().unwrap();
    stdout(&run(&[
        "--journal",
        b,
        "import",
        exported.to_str().unwrap(),
    ]));
    let second = stdout(&run(&["--journal", b, "export", "--format", "json"]));
    assert_eq!(first, second);
}

#[test]
fn trades_json_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    journal
        .insert_trades(&sample_trades(), &mut |_, _| {})
        .unwrap();
    drop(journal);
    let text = stdout(&run(&[
        "--journal",
        path.to_str().unwrap(),
        "trades",
        "--json",
    ]));
    let views: Vec<TradeView> = serde_json::from_str(&text).unwrap();
    assert_eq!(views.len(), 4);

    // RULES.md's worked example.
    let worked = &views[0];
    assert_eq!(worked.id, 1);
    assert_eq!(worked.side, "long");
    assert_eq!(
        worked.opened_at.as_deref(),
        Some("2024-03-01T09:35:00-05:00")
    );
    assert_eq!(
        worked.closed_at.as_deref(),
        Some("2024-03-05T15:10:00-05:00")
    );
    assert_eq!(worked.open_qty, "0");
    assert_eq!(worked.avg_entry.as_deref(), Some("101.6"));
    assert_eq!(worked.gross_pnl, "3200");
    assert_eq!(worked.net_pnl, "3200");
    assert_eq!(worked.initial_risk.as_deref(), Some("1500"));
    assert_eq!(worked.r_multiple.as_deref(), Some("2.1333"));
    assert_eq!(
        (worked.adds, worked.partial_exits, worked.score),
        (1, 1, 100)
    );
    assert!(worked.violations.is_empty());
    let scale_out = worked.scale_out.as_ref().unwrap();
    assert_eq!(scale_out.held_to_last_exit, "2200");
    assert_eq!(scale_out.all_out_at_first_exit, "4200");
    assert_eq!(scale_out.effect, "1000");
    assert_eq!(scale_out.verdict, "protected");

    // The averaging-down trade: violations with 1-based events.
    let averaging = &views[2];
    let rule = averaging
        .violations
        .iter()
        .find(|v| v.rule == "averaging-down")
        .unwrap();
    assert_eq!(rule.event, 2);
    assert_eq!(rule.at, "2024-05-01T06:00:00+00:00");
    assert!(averaging.score < 50);
    assert_eq!(averaging.initial_risk, None);
    assert_eq!(averaging.r_multiple, None);

    // The open trade.
    assert_eq!(views[3].closed_at, None);
    assert_eq!(views[3].open_qty, "6");

    // Keys exactly as the contract names them.
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = raw[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "id",
        "symbol",
        "side",
        "currency",
        "opened_at",
        "closed_at",
        "open_qty",
        "avg_entry",
        "gross_pnl",
        "fees",
        "net_pnl",
        "initial_risk",
        "r_multiple",
        "adds",
        "partial_exits",
        "score",
        "violations",
        "stops_judged",
        "scale_out",
        "twin",
        "excursion",
    ];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
    assert!(raw[0]["score"].is_u64());
}

#[test]
fn show_prints_the_timeline_with_violations_next_to_their_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    journal
        .insert_trades(&sample_trades(), &mut |_, _| {})
        .unwrap();
    drop(journal);
    let text = stdout(&run(&["--journal", path.to_str().unwrap(), "show", "3"]));
    let lines: Vec<&str> = text.lines().collect();
    let add = lines
        .iter()
        .position(|l| l.trim_start().starts_with("2 "))
        .unwrap();
    assert!(lines[add].contains("entry"), "{text}");
    assert!(lines[add + 1].contains("! averaging-down:"), "{text}");
    assert!(text.contains("Trade 3: BTC-USD long"), "{text}");

    let worked = stdout(&run(&["--journal", path.to_str().unwrap(), "show", "1"]));
    assert!(worked.contains("R-multiple 2.1333"), "{worked}");
    assert!(worked.contains("Scaling out protected 1000.00"), "{worked}");
    assert!(!worked.contains(" ! "), "{worked}");

    let missing = run(&["--journal", path.to_str().unwrap(), "show", "99"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no trade with id 99"));
}

#[test]
fn bad_imports_fail_with_the_place_of_the_problem_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    Journal::open(&path)
        .unwrap()
        .insert_trade(&worked_example())
        .unwrap();
    let j = path.to_str().unwrap();
    let before = stdout(&run(&["--journal", j, "export"]));

    for (name, text, expected) in crate::interchange::bad_inputs() {
        let file = dir.path().join("bad.json");
        fs::write(&file, text).unwrap();
        let out = run(&["--journal", j, "import", file.to_str().unwrap()]);
        assert!(!out.status.success(), "{name}: import succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains("nothing was imported"), "{name}: {stderr}");
        assert_eq!(stdout(&run(&["--journal", j, "export"])), before, "{name}");
    }
}

#[test]
fn a_dry_run_lists_the_trades_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.sqlite");
    let file = dir.path().join("trades.json");
    write_file(&file, &sample_trades());
    let text = stdout(&run(&[
        "--journal",
        path.to_str().unwrap(),
        "import",
        "--dry-run",
        file.to_str().unwrap(),
    ]));
    assert!(
        text.contains("4 trades with 20 events would be added"),
        "{text}"
    );
    assert!(text.contains("ESZ4"), "{text}");
    assert!(!path.exists(), "a dry run must not create the journal");
}

fn count_trades(path: &Path) -> (Vec<String>, usize) {
    let journal = Journal::open(path).unwrap();
    (
        journal.integrity_check().unwrap(),
        journal.trade_count().unwrap(),
    )
}

/// A child imports a large file and is killed with SIGKILL part way through.
/// Afterwards the journal is sound and holds all of the import or none of it.
/// Kills come at fractions of a full import's duration, and just after the
/// child reports (`--progress`) that it has written 1000 trades inside
/// the import's transaction; at least one kill must land inside that transaction.
#[test]
fn an_import_killed_part_way_leaves_none_or_all_of_it() {
    const TRADES: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.json");
    write_file(&file, &generated_trades(TRADES));
    let template = dir.path().join("template.sqlite");
    let mut journal = Journal::open(&template).unwrap();
    journal.insert_trade(&worked_example()).unwrap();
    drop(journal);
    kill_imports_part_way(dir.path(), &file, Some(&template), 1, TRADES);
}

/// As above for the first import of fills into an empty journal, which is
/// written under a rollback journal instead of the WAL; the journal is in
/// WAL mode again afterwards however the import ended. The import's pages
/// outgrow the page cache an import keeps, so that a late kill comes after
/// SQLite has spilled some of them into the journal's file.
#[test]
fn a_first_import_of_fills_killed_part_way_leaves_none_or_all_of_it() {
    const TRADES: usize = 12_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fills.csv");
    let mut csv =
        String::from("Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n");
    for n in 0..TRADES {
        // A round trip of two fills per trade, a minute apart.
        let (hour, minute) = (n / 60 % 24, n % 60);
        let day = 1 + n / 1440;
        for (side, price, at) in [("Buy", 100 + n % 50, 0), ("Sell", 101 + n % 50, 30)] {
            csv.push_str(&format!(
                "2024-01-{day:02},{hour:02}:{minute:02}:{at:02},S{},{side},10,{price}.25,1,U1,E{n}{side}\n",
                n % 7
            ));
        }
    }
    fs::write(&file, csv).unwrap();
    let template = dir.path().join("template.sqlite");
    drop(Journal::open(&template).unwrap());
    kill_imports_part_way(dir.path(), &file, Some(&template), 0, TRADES);
    // Into a journal that does not exist yet: the import is written into a
    // new journal made aside, which takes its name once it is committed.
    kill_imports_part_way(dir.path(), &file, None, 0, TRADES);
}

/// A first import into a journal that does not exist yet is written as its
/// trades are booked, into a journal made aside: it says and keeps exactly
/// what the same import into an existing empty journal does, warnings,
/// flips and left-out rows included, and leaves nothing aside.
#[test]
fn a_first_import_into_a_new_journal_says_and_keeps_what_any_first_import_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fills.csv");
    let mut csv =
        String::from("Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n");
    let mut positions = [[0i64; 5]; 2];
    for n in 0..3_000usize {
        let (account, symbol) = (n / 7 % 2, n % 5);
        let position = &mut positions[account][symbol];
        // In twice, out twice, and now and then a fill that goes from long
        // to short at once (a flip).
        let qty: i64 = match n / 10 % 4 {
            0 | 1 => 10,
            _ if n % 13 == 0 => -(*position + 10),
            _ => -10,
        };
        *position += qty;
        let side = if qty > 0 { "Buy" } else { "Sell" };
        let (minute, second) = (n / 60 % 60, n % 60);
        // Every hundredth execution comes again (a warning), and one row
        // in a thousand is not a fill (left out with --skip-bad-rows).
        let exec = if n % 100 == 99 { n - 1 } else { n };
        let price = if n % 1000 == 500 {
            "n/a".to_owned()
        } else {
            format!("{}.5", 100 + n % 9)
        };
        csv.push_str(&format!(
            "2024-03-{:02},10:{minute:02}:{second:02},S{symbol},{side},{},{price},1,U{account},E{exec}\n",
            1 + n / 3600,
            qty.abs()
        ));
    }
    fs::write(&file, csv).unwrap();
    let file = file.to_str().unwrap();
    // What a command says about `journal`, having succeeded.
    let said_of = |journal: &Path, command: &[&str]| {
        let mut args = vec!["--journal", journal.to_str().unwrap()];
        args.extend(command);
        stdout(&run(&args))
    };
    let import = ["import", "--tz", "UTC", "--skip-bad-rows", file];
    let existing = dir.path().join("existing.sqlite");
    drop(Journal::open(&existing).unwrap());
    let new = dir.path().join("new.sqlite");
    let said = said_of(&new, &import);
    assert_eq!(said, said_of(&existing, &import));
    assert!(said.contains("appears again"), "{said}");
    assert!(said.contains("row skipped"), "{said}");
    assert!(!said.contains("trades: 0 "), "{said}");
    for command in [
        &["trades", "--json"][..],
        &["export", "--format", "json"],
        &["report", "--json"],
    ] {
        assert!(
            said_of(&new, command) == said_of(&existing, command),
            "{command:?}"
        );
    }
    let journal = Journal::open(&new).unwrap();
    assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
    assert!(journal.trade_count().unwrap() > 400);
    drop(journal);
    assert_eq!(journal_mode(&new), "wal");
    let names = files_in(dir.path());
    assert!(
        !names.iter().any(|name| name.contains(".new-")),
        "{names:?}"
    );
}

/// Imports `file` into copies of `template` (which holds `before` trades),
/// or into journals that do not exist yet, and kills each import at
/// another point; see the tests above.
fn kill_imports_part_way(
    dir: &Path,
    file: &Path,
    template: Option<&Path>,
    before: usize,
    added: usize,
) {
    let fresh_copy = |name: &str| {
        let path = dir.join(name);
        for suffix in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(dir.join(format!("{name}{suffix}")));
        }
        if let Some(template) = template {
            fs::copy(template, &path).unwrap();
        }
        path
    };
    let spawn = |journal: &Path| {
        let mut child = tranche()
            .args([
                "--journal",
                journal.to_str().unwrap(),
                "import",
                "--progress",
            ])
            .arg(file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Collect the progress lines as they come.
        let (sender, receiver) = mpsc::channel::<String>();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        (child, receiver)
    };

    // A full import, to time it.
    let full = fresh_copy("full.sqlite");
    let started = Instant::now();
    assert!(spawn(&full).0.wait().unwrap().success());
    let duration = started.elapsed();
    assert_eq!(count_trades(&full), (vec!["ok".to_owned()], before + added));
    assert_eq!(journal_mode(&full), "wal");

    enum KillAt {
        Time(Duration),
        Progress(usize),
    }
    let mut points: Vec<KillAt> = [0.4, 0.8]
        .iter()
        .map(|f| KillAt::Time(duration.mul_f64(*f)))
        .collect();
    points.push(KillAt::Progress(1000));
    points.push(KillAt::Progress(added * 3 / 4));

    let mut inside_transaction = 0;
    for (n, point) in points.iter().enumerate() {
        let journal = fresh_copy(&format!("killed-{n}.sqlite"));
        let (mut child, progress) = spawn(&journal);
        let started = Instant::now();
        let mut written = 0;
        loop {
            while let Ok(line) = progress.try_recv() {
                // Trades written ("importing: 1000 of 2000 trades"), or the
                // share of them ("writing: 34%").
                let trades = line
                    .strip_prefix("importing: ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|done| done.parse::<usize>().ok());
                let share = line
                    .strip_prefix("writing: ")
                    .and_then(|rest| rest.strip_suffix('%'))
                    .and_then(|percent| percent.parse::<usize>().ok())
                    .map(|percent| added * percent / 100);
                if let Some(done) = trades.or(share) {
                    written = done;
                }
            }
            let due = match point {
                KillAt::Time(after) => started.elapsed() >= *after,
                KillAt::Progress(trades) => written >= *trades,
            };
            if due || child.try_wait().unwrap().is_some() || started.elapsed() > duration * 3 {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = child.kill(); // SIGKILL on Unix; an error only if it has already exited
        child.wait().unwrap();

        let (integrity, count) = count_trades(&journal);
        assert_eq!(integrity, vec!["ok".to_owned()], "kill point {n}");
        // Whatever the killed import made aside is gone once the journal
        // has been opened again.
        let aside = files_in(dir);
        assert!(
            !aside.iter().any(|name| name.contains(".new-")),
            "kill point {n}: {aside:?}"
        );
        // Opened (by `count_trades`) after the kill: whole, and in WAL mode.
        assert_eq!(journal_mode(&journal), "wal", "kill point {n}");
        assert!(
            count == before || count == before + added,
            "kill point {n}: the journal holds {count} trades, neither none nor all of the import"
        );
        if count == before && written > 0 {
            inside_transaction += 1;
        }
    }
    assert!(
        inside_transaction > 0,
        "no kill landed while the import was writing (full import took {duration:?})"
    );
}

/// The journal mode of the journal at `path`, as a plain SQLite connection
/// finds it.
fn journal_mode(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap()
}

/// `trades --json` and `export` are written as they are made; their bytes are
/// those of the whole document serialized at once.
#[test]
fn streamed_outputs_are_the_bytes_of_the_whole_document() {
    use tranche::analysis::{RuleSettings, analyze};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let mut journal = Journal::open(&path).unwrap();
    journal
        .insert_trades(&generated_trades(300), &mut |_, _| {})
        .unwrap();
    journal.insert_trade(&worked_example()).unwrap();
    let trades = journal.trades().unwrap();
    drop(journal);
    let j = path.to_str().unwrap();

    let views: Vec<TradeView> = trades
        .iter()
        .map(|(id, t)| TradeView::new(*id, t, &analyze(t, &RuleSettings::default())))
        .collect();
    let whole = serde_json::to_string_pretty(&views).unwrap() + "\n";
    assert_eq!(stdout(&run(&["--journal", j, "trades", "--json"])), whole);

    let exported = stdout(&run(&["--journal", j, "export", "--format", "json"]));
    assert_eq!(exported, to_json(&trades));
    let file = dir.path().join("export.json");
    stdout(&run(&[
        "--journal",
        j,
        "export",
        "--output",
        file.to_str().unwrap(),
    ]));
    assert_eq!(fs::read_to_string(&file).unwrap(), exported);
}

#[test]
fn bars_files_import_and_trades_are_measured_against_them() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let trades = dir.path().join("trades.json");
    write_file(&trades, &[worked_example()]);
    let j = journal.to_str().unwrap();
    stdout(&run(&["--journal", j, "import", trades.to_str().unwrap()]));

    // Daily bars of the worked example's days (a weekend between them).
    let bars = dir.path().join("AAPL.csv");
    fs::write(
        &bars,
        "Date,Open,High,Low,Close,Volume\n\
         2024-02-29,99,101,98.5,100,1\n\
         2024-03-01,100,105,98,104,1\n\
         2024-03-04,104,112,104,110,1\n\
         2024-03-05,110,109.5,105,106,1\n",
    )
    .unwrap();
    let b = bars.to_str().unwrap();
    let err = run(&["--journal", j, "import", b, "--tz", "UTC"]);
    assert!(!err.status.success(), "the open above the high is refused");
    let stderr = String::from_utf8_lossy(&err.stderr);
    assert!(
        stderr.contains("AAPL.csv, line 5, field \"Open\""),
        "{stderr}"
    );

    fs::write(
        &bars,
        "Date,Open,High,Low,Close,Volume\n\
         2024-02-29,99,101,98.5,100,1\n\
         2024-03-01,100,105,98,104,1\n\
         2024-03-04,104,112,104,110,1\n\
         2024-03-05,109,109,105,106,1\n",
    )
    .unwrap();
    let text = stdout(&run(&["--journal", j, "import", b, "--tz", "UTC"]));
    assert!(text.contains("4 bars of 1 day for AAPL"), "{text}");
    assert!(
        text.contains("4 bars added, 0 already in the journal"),
        "{text}"
    );
    let again = stdout(&run(&["--journal", j, "import", b, "--tz", "UTC"]));
    assert!(
        again.contains("0 bars added, 4 already in the journal"),
        "{again}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["--journal", j, "trades", "--json"]))).unwrap();
    let x = &json[0]["excursion"];
    assert_eq!(x["mfe"], "12");
    assert_eq!(x["mae"], "-2");
    assert_eq!(x["mfe_r"], "2.4");
    assert_eq!(x["mae_r"], "-0.4");
    assert_eq!(x["exits"].as_array().unwrap().len(), 1);
    assert_eq!(x["exits"][0]["event"], 5);
    // After the exit at 110 on 3/4, the 3/5 bar: high 109, low 105.
    assert_eq!(x["exits"][0]["left"], "0");
    assert_eq!(x["exits"][0]["saved"], "1250");

    let show = stdout(&run(&["--journal", j, "show", "1"]));
    assert!(
        show.contains("Against 1 day bars: MFE 12.00 (2.4R)"),
        "{show}"
    );
    assert!(show.contains("after exit #5"), "{show}");
}

#[test]
fn without_bars_the_excursion_is_null() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let trades = dir.path().join("trades.json");
    write_file(&trades, &[worked_example()]);
    let j = journal.to_str().unwrap();
    stdout(&run(&["--journal", j, "import", trades.to_str().unwrap()]));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["--journal", j, "trades", "--json"]))).unwrap();
    assert!(json[0]["excursion"].is_null());
    let show = stdout(&run(&["--journal", j, "show", "1"]));
    assert!(show.contains("no price bars span this trade"), "{show}");
}
