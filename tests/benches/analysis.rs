//! Analysing a journal of 100,000 made-up trades (about a million events) and
//! computing its statistics: the target is under 150 ms in release on two cores.
//!
//! Run with `cargo bench --bench analysis`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use tranche::analysis::generate::journal;
use tranche::analysis::stats::{Filter, analyze_all, journal_stats, pair};
use tranche::analysis::{RuleSettings, analyze};

const TRADES: usize = 100_000;

fn analysis(c: &mut Criterion) {
    let trades = journal(TRADES, 2024);
    let events: usize = trades.iter().map(|(_, t)| t.events.len()).sum();
    let settings = RuleSettings::default();
    let filter = Filter::default();

    // The best of a few timed runs of each phase, to see where the time goes.
    let best = |f: &mut dyn FnMut()| {
        (0..5)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let one_thread = best(&mut || {
        black_box(
            trades
                .iter()
                .map(|(_, t)| analyze(t, &settings))
                .collect::<Vec<_>>(),
        );
    });
    let analysed = best(&mut || {
        black_box(analyze_all(&trades, &settings));
    });
    let analyses = analyze_all(&trades, &settings);
    let paired = pair(&trades, &analyses);
    let summed = best(&mut || {
        black_box(journal_stats(&paired, &filter, &settings));
    });
    println!(
        "{TRADES} trades, {events} events, {} violations. Best of 5: analysis on one thread {one_thread:?}, \
         on every core {analysed:?}; statistics {summed:?}",
        analyses.iter().map(|a| a.violations.len()).sum::<usize>(),
    );

    let mut group = c.benchmark_group("journal");
    group.sample_size(20);
    group.throughput(criterion::Throughput::Elements(events as u64));
    group.bench_function("analyse 100k trades and compute statistics", |b| {
        b.iter(|| {
            let analyses = analyze_all(black_box(&trades), &settings);
            let stats = journal_stats(&pair(&trades, &analyses), &filter, &settings);
            black_box((analyses, stats))
        })
    });
    group.bench_function("statistics only", |b| {
        let paired = pair(&trades, &analyses);
        b.iter(|| black_box(journal_stats(black_box(&paired), &filter, &settings)))
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
