//! Whole processes, as the user runs them: the release `tranche` binary against
//! a generated file, wall time and peak memory (RSS), each beside its reference
//! measured in the same run.
//!
//! - `import` of a generic CSV of fills into a new journal, beside `sqlite3
//!   .import` of the same file into a plain table;
//! - `trades --json`, `export` and `report --json` over that journal, beside
//!   the size of the journal's file (the data they read).
//!
//! Run with `cargo bench --bench process` (`TRANCHE_BENCH_FILLS` sets the
//! number of fills, 1,000,000 by default; `TRANCHE_BENCH_RUNS` the runs of
//! each, 5 by default, of which the median is shown). Peak memory is read by
//! GNU time (`/usr/bin/time`, Debian's `time` package); without it only wall
//! time is shown. Without `sqlite3` on the PATH the import has no reference.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "fills.rs"]
mod fills;
use fills::generate;

/// One run of a command: its wall time and, when GNU time is there, its peak RSS.
struct Run {
    wall: Duration,
    peak_kib: Option<u64>,
}

fn gnu_time() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/time");
    let works = Command::new(&path)
        .args(["-f", "%M", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    works.then_some(path)
}

/// Runs `program args` once (after `prepare`), output to /dev/null.
fn measure(time: Option<&Path>, program: &str, args: &[&str], prepare: &dyn Fn()) -> Run {
    prepare();
    let report = std::env::temp_dir().join(format!("tranche-bench-{}.time", std::process::id()));
    let mut command = match time {
        Some(time) => {
            let mut c = Command::new(time);
            c.arg("-f").arg("%M").arg("-o").arg(&report).arg(program);
            c
        }
        None => Command::new(program),
    };
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = command.status().expect("run the command");
    let wall = started.elapsed();
    assert!(status.success(), "{program} {args:?} failed");
    let peak_kib = time.and_then(|_| {
        std::fs::read_to_string(&report)
            .ok()?
            .lines()
            .last()?
            .trim()
            .parse()
            .ok()
    });
    Run { wall, peak_kib }
}

/// The median run by wall time, and the median peak memory.
fn median(mut runs: Vec<Run>) -> (Duration, Option<u64>) {
    runs.sort_by_key(|r| r.wall);
    let wall = runs[runs.len() / 2].wall;
    let mut peaks: Vec<u64> = runs.iter().filter_map(|r| r.peak_kib).collect();
    peaks.sort_unstable();
    (wall, peaks.get(peaks.len() / 2).copied())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "-".to_owned(),
        |k| format!("{:.0} MB", k as f64 / 1024.0),
    )
}

fn main() {
    let fills: usize = std::env::var("TRANCHE_BENCH_FILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = std::env::var("TRANCHE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let tranche = env!("CARGO_BIN_EXE_tranche");
    let time = gnu_time();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fills.csv");
    std::fs::write(&csv, generate(fills)).unwrap();
    let csv_text = csv.to_str().unwrap().to_owned();
    let journal = dir.path().join("journal.sqlite");
    let journal_text = journal.to_str().unwrap().to_owned();
    let table = dir.path().join("plain.sqlite");
    let table_text = table.to_str().unwrap().to_owned();
    let remove = |path: &Path| {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    };
    let file_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!(
        "{fills} fills, {file_mb:.0} MB of CSV; median of {runs} runs{}",
        if time.is_none() {
            " (no /usr/bin/time: no peak memory)"
        } else {
            ""
        }
    );

    let import_args = [
        "--journal",
        journal_text.as_str(),
        "import",
        "--tz",
        "UTC",
        csv_text.as_str(),
    ];
    let import: Vec<Run> = (0..runs)
        .map(|_| measure(time.as_deref(), tranche, &import_args, &|| remove(&journal)))
        .collect();
    let (import_wall, import_peak) = median(import);
    let sqlite = Command::new("sqlite3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let reference = sqlite.then(|| {
        let import = format!(".import --csv {csv_text} fills");
        let args = [table_text.as_str(), import.as_str()];
        median(
            (0..runs)
                .map(|_| measure(time.as_deref(), "sqlite3", &args, &|| remove(&table)))
                .collect(),
        )
    });
    match reference {
        Some((wall, peak)) => println!(
            "import        {:>7.2} s {:>8}   sqlite3 .import {:>6.2} s {:>8}   {:.2}x",
            import_wall.as_secs_f64(),
            mib(import_peak),
            wall.as_secs_f64(),
            mib(peak),
            import_wall.as_secs_f64() / wall.as_secs_f64()
        ),
        None => println!(
            "import        {:>7.2} s {:>8}   (no sqlite3 on the PATH)",
            import_wall.as_secs_f64(),
            mib(import_peak)
        ),
    }

    // The journal the import left, read by the reading commands.
    remove(&journal);
    measure(time.as_deref(), tranche, &import_args, &|| {});
    let journal_mb = std::fs::metadata(&journal).unwrap().len() as f64 / 1e6;
    for (name, args) in [
        ("trades --json", vec!["trades", "--json"]),
        ("export", vec!["export", "--format", "json"]),
        ("report --json", vec!["report", "--json"]),
    ] {
        let mut full = vec!["--journal", journal_text.as_str()];
        full.extend(args);
        let (wall, peak) = median(
            (0..runs)
                .map(|_| measure(time.as_deref(), tranche, &full, &|| {}))
                .collect(),
        );
        println!(
            "{name:<13} {:>7.2} s {:>8}   journal file {journal_mb:.0} MB",
            wall.as_secs_f64(),
            mib(peak)
        );
    }
}
