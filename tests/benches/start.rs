//! Opening the app, as the user sees it: the release `tranche` binary started
//! under Xvfb on a journal of 100,000 trades, beside the same on an empty
//! journal, measuring from the window's first painted frame to the first
//! painted frame of the loaded list.
//!
//! The app measures itself with `TRANCHE_EXIT_WHEN_SHOWN=1` (see
//! `src/app/shown.rs`): it reads back the pixels of both frames, writes the
//! times, and closes. Each run has a home folder of its own, so no remembered
//! window state carries over.
//!
//! - `copied` opens a fresh copy of the journal each time (its pages just
//!   written, as after an import by another process);
//! - the other rows open the same files again and again.
//!
//! Run with `cargo bench --bench start` (`TRANCHE_BENCH_FILLS` sets the
//! number of fills, 400,000 by default, which make 100,000 trades;
//! `TRANCHE_BENCH_RUNS` the runs of each, 5 by default, of which the median
//! is shown; `TRANCHE_BENCH_COMPARE` the path of another build of `tranche`
//! to measure beside this one, run for run, as before and after a change;
//! each build opens journals it made itself).
//! Needs `Xvfb` on the PATH (`apt-get install xvfb`); an X display of its
//! own is started and stopped.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "fills.rs"]
mod fills;
use fills::generate;
#[path = "measure.rs"]
mod measure;
use measure::{env_number, remove_database, runs_with};

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One start: milliseconds from the start of the process to the window's
/// first painted frame, and to the loaded list's; the trades listed.
struct Shown {
    window: f64,
    list: f64,
    trades: usize,
}

impl Shown {
    fn after_window(&self) -> f64 {
        self.list - self.window
    }
}

/// An X server of its own, stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let number = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1920x1080x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let socket = format!("/tmp/.X11-unix/X{number}");
        let started = Instant::now();
        while !Path::new(&socket).exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "Xvfb did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Xvfb { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the app on `journal` and reads the line it writes once the list is shown.
fn open(tranche: &str, journal: &Path, display: &str, home: &Path) -> Shown {
    let _ = std::fs::remove_dir_all(home);
    std::fs::create_dir_all(home).unwrap();
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let mut child = Command::new(tranche)
        .arg("--journal")
        .arg(journal)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TRANCHE_EXIT_WHEN_SHOWN", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tranche");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the app did not show its list within two minutes");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(status.success(), "tranche failed: {out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("shown: "))
        .unwrap_or_else(|| panic!("no timing line in {out:?}"));
    // shown: window 412.3 ms, list 655.0 ms (242.7 ms after the window), 100000 trades
    let number = |after: &str| -> f64 {
        let rest = &line[line.find(after).unwrap() + after.len()..];
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    let trades = line
        .rsplit(", ")
        .next()
        .and_then(|t| t.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    Shown {
        window: number("window "),
        list: number("list "),
        trades,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(name: &str, runs: &[Shown]) {
    let after = median(runs.iter().map(Shown::after_window).collect());
    let window = median(runs.iter().map(|r| r.window).collect());
    let list = median(runs.iter().map(|r| r.list).collect());
    let all: Vec<String> = runs
        .iter()
        .map(|r| format!("{:.0}", r.after_window()))
        .collect();
    println!(
        "{name:<26} list {after:>7.1} ms after the window   (window {window:>6.1} ms, list \
         {list:>6.1} ms after start; runs: {} ms)",
        all.join(", ")
    );
}

fn main() {
    if !runs_with("Xvfb", "-help") {
        println!("no Xvfb on the PATH: nothing measured (apt-get install xvfb)");
        return;
    }
    let fills = env_number("TRANCHE_BENCH_FILLS", 400_000);
    let runs = env_number("TRANCHE_BENCH_RUNS", 5).max(1);
    let tranche = env!("CARGO_BIN_EXE_tranche");
    // Another build of tranche to measure beside this one, run for run.
    let other = std::env::var("TRANCHE_BENCH_COMPARE").ok();
    let mut programs = vec![("", tranche.to_owned())];
    if let Some(other) = other {
        programs.push((" (compared)", other));
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("fills.csv");
    std::fs::write(&csv, generate(fills)).unwrap();
    // Each program makes its own journals (another build may keep a journal
    // of another version).
    let import = |program: &str, target: &Path, file: Option<&Path>| {
        remove_database(target);
        let mut command = Command::new(program);
        command.arg("--journal").arg(target);
        match file {
            Some(file) => command.args(["import", "--tz", "UTC"]).arg(file),
            None => command.args(["trades", "--json"]),
        };
        let status = command.stdout(Stdio::null()).status().unwrap();
        assert!(status.success(), "{program} could not make its journal");
    };
    let journals: Vec<(std::path::PathBuf, std::path::PathBuf)> = programs
        .iter()
        .enumerate()
        .map(|(p, (_, program))| {
            let journal = dir.path().join(format!("journal-{p}.sqlite"));
            let empty = dir.path().join(format!("empty-{p}.sqlite"));
            import(program, &journal, Some(&csv));
            import(program, &empty, None);
            (journal, empty)
        })
        .collect();
    let xvfb = Xvfb::start();
    let home = dir.path().join("home");
    let fresh = dir.path().join("fresh.sqlite");
    println!(
        "{fills} fills; median of {runs} runs, under Xvfb {}",
        xvfb.display
    );

    // Run by run, each program on each journal in turn, so that a busy
    // moment of the machine falls on all of them alike.
    let cases = 3;
    let mut shown: Vec<Vec<Shown>> = (0..programs.len() * cases).map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (p, (_, program)) in programs.iter().enumerate() {
            let (journal, empty) = &journals[p];
            shown[p * cases].push(open(program, empty, &xvfb.display, &home));
            // A fresh copy of the journal, as after an import by another process.
            remove_database(&fresh);
            std::fs::copy(journal, &fresh).unwrap();
            shown[p * cases + 1].push(open(program, &fresh, &xvfb.display, &home));
            shown[p * cases + 2].push(open(program, journal, &xvfb.display, &home));
        }
    }
    let trades = shown[2][0].trades;
    for (p, (name, _)) in programs.iter().enumerate() {
        assert!(shown[p * cases].iter().all(|r| r.trades == 0));
        assert!(shown[p * cases + 2].iter().all(|r| r.trades == trades));
        report(&format!("empty journal{name}"), &shown[p * cases]);
        report(
            &format!("{trades} trades, copied{name}"),
            &shown[p * cases + 1],
        );
        report(&format!("{trades} trades{name}"), &shown[p * cases + 2]);
    }
}
