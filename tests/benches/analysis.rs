//! Analysing a journal of 100,000 made-up trades (about a million events) and
//! computing its statistics: the target is under 150 ms in release on two cores.
//!
//! Run with `cargo bench --bench analysis`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use tranche::analysis::generate::journal;
use tranche::analysis::stats::{Filter, analyze_all, journal_stats, pair};
use tranche::analysis::{Messages, RuleSettings, analyze, analyze_with};

const TRADES: usize = 100_000;

fn analysis(c: &mut Criterion) {
    let trades = journal(TRADES, 2024);
    let events: usize = trades.iter().map(|(_, t)| t.events.len()).sum();
    let settings = RuleSettings::default();
    let filter = Filter::default();

    // The best of ten timed runs of each phase, to see where the time goes,
    // and the CPU time this thread spent on average (Linux only): on a busy
    // machine the wall clock says more about the neighbours than about us.
    let runs = 10;
    let best = |f: &mut dyn FnMut()| {
        let cpu = thread_cpu_ms();
        let wall = (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .min()
            .unwrap_or_default();
        let cpu = thread_cpu_ms()
            .zip(cpu)
            .map(|(after, before)| (after - before) / runs);
        (wall, cpu)
    };
    let one_thread = best(&mut || {
        black_box(
            trades
                .iter()
                .map(|(_, t)| analyze(t, &settings))
                .collect::<Vec<_>>(),
        );
    });
    let every_core = best(&mut || {
        black_box(analyze_all(&trades, &settings, Messages::Write));
    });
    let quiet_one_thread = best(&mut || {
        black_box(
            trades
                .iter()
                .map(|(_, t)| analyze_with(t, &settings, Messages::Skip))
                .collect::<Vec<_>>(),
        );
    });
    let quiet_every_core = best(&mut || {
        black_box(analyze_all(&trades, &settings, Messages::Skip));
    });
    let analyses = analyze_all(&trades, &settings, Messages::Skip);
    let paired = pair(&trades, &analyses);
    let summed = best(&mut || {
        black_box(journal_stats(&paired, &filter, &settings));
    });
    let process_cpu = cpu_ms("/proc/self/stat");
    let combined = best(&mut || {
        let analyses = analyze_all(&trades, &settings, Messages::Skip);
        black_box(journal_stats(&pair(&trades, &analyses), &filter, &settings));
    });
    let process_cpu = cpu_ms("/proc/self/stat")
        .zip(process_cpu)
        .map(|(after, before)| (after - before) / runs);
    println!(
        "analysis without messages and statistics, best of {runs}: {:?} ({:.1} M events/s); \
         mean CPU time of all threads {process_cpu:?} ms",
        combined.0,
        events as f64 / combined.0.as_secs_f64() / 1e6,
    );
    println!(
        "{TRADES} trades, {events} events, {} violations. Best of {runs} (wall clock, mean CPU ms of this thread):\n  \
         analysis on one thread {:?}\n  analysis on every core {:?}\n  \
         without messages, on one thread {:?}\n  without messages, on every core {:?}\n  \
         statistics {:?}",
        analyses.iter().map(|a| a.violations.len()).sum::<usize>(),
        one_thread,
        every_core,
        quiet_one_thread,
        quiet_every_core,
        summed,
    );

    let mut group = c.benchmark_group("journal");
    group.sample_size(20);
    group.throughput(criterion::Throughput::Elements(events as u64));
    group.bench_function("analyse 100k trades and compute statistics", |b| {
        b.iter(|| {
            let analyses = analyze_all(black_box(&trades), &settings, Messages::Skip);
            let stats = journal_stats(&pair(&trades, &analyses), &filter, &settings);
            black_box((analyses, stats))
        })
    });
    group.bench_function("analyse 100k trades with messages", |b| {
        b.iter(|| black_box(analyze_all(black_box(&trades), &settings, Messages::Write)))
    });
    group.bench_function("analysis only", |b| {
        b.iter(|| black_box(analyze_all(black_box(&trades), &settings, Messages::Skip)))
    });
    group.bench_function("statistics only", |b| {
        let paired = pair(&trades, &analyses);
        b.iter(|| black_box(journal_stats(black_box(&paired), &filter, &settings)))
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);

/// CPU time (user + system) spent by the calling thread, in milliseconds;
/// `None` where /proc does not exist.
fn thread_cpu_ms() -> Option<u64> {
    cpu_ms("/proc/thread-self/stat")
}

/// CPU time (user + system) in milliseconds from a /proc `stat` file.
fn cpu_ms(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name, which is in parentheses: state is field 3,
    // utime and stime are fields 14 and 15, in clock ticks (100 a second).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
}
