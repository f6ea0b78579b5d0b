//! Running whole processes for the process benches: wall time and, where
//! GNU time is installed, peak memory (RSS), with the median of several runs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One run of a command: its wall time and, when GNU time is there, its peak RSS.
pub struct Run {
    /// Wall time.
    pub wall: Duration,
    /// Peak resident memory in KiB, when GNU time measured it.
    pub peak_kib: Option<u64>,
}

/// GNU time, when it is installed and works.
pub fn gnu_time() -> Option<PathBuf> {
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
pub fn measure(time: Option<&Path>, program: &str, args: &[&str], prepare: &dyn Fn()) -> Run {
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
pub fn median(mut runs: Vec<Run>) -> (Duration, Option<u64>) {
    runs.sort_by_key(|r| r.wall);
    let wall = runs[runs.len() / 2].wall;
    let mut peaks: Vec<u64> = runs.iter().filter_map(|r| r.peak_kib).collect();
    peaks.sort_unstable();
    (wall, peaks.get(peaks.len() / 2).copied())
}

/// Peak memory for people: `123 MB`, or `-` when unknown.
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "-".to_owned(),
        |k| format!("{:.0} MB", k as f64 / 1024.0),
    )
}

/// Whether `program` runs with `arg`.
pub fn runs_with(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Removes a SQLite database and its WAL files, if there.
pub fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A number from the environment variable `name`, else `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
