//! The review dashboard with 100,000 trades: how long the statistics take to
//! recompute after a filter change (on their own thread) and to show, the
//! frame that takes the change, and the CPU time of a dashboard frame
//! (egui's pass plus tessellation).
//!
//! Run with `cargo bench --bench review`; it prints medians.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use egui_kittest::Harness;

use tranche::analysis::generate;
use tranche::analysis::stats::{Analysed, journal_stats};
use tranche::app::TrancheApp;
use tranche::app::store::MemoryStore;
use tranche::ui::filter::TradeFilter;
use tranche::ui::time::Zone;
use tranche::ui::{Command, View};

const TRADES: usize = 100_000;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn frame(harness: &mut Harness<'static, TrancheApp>) {
    harness.step();
    let output = harness.output();
    let ctx = harness.ctx.clone();
    black_box(ctx.tessellate(output.shapes.clone(), output.pixels_per_point));
}

fn main() {
    let store = MemoryStore::with_trades(
        generate::journal(TRADES, 7)
            .into_iter()
            .map(|(_, trade)| trade),
    );
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| TrancheApp::with_store(&cc.egui_ctx, store));
    while !harness.state().is_loaded() || harness.state().is_busy() {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Show(View::Review), &ctx);
    harness.run_steps(3);
    assert_eq!(harness.state().trades().len(), TRADES);

    // A filter change: the frame that takes it starts the statistics on
    // another thread (and filters the list); the dashboard shows them when
    // they come.
    let mut refresh = Vec::new();
    let mut changed_frame = Vec::new();
    let mut until_shown = Vec::new();
    for i in 0..12 {
        let filter = TradeFilter {
            from: if i % 2 == 0 {
                "2020-02-01".to_owned()
            } else {
                String::new()
            },
            ..TradeFilter::default()
        };
        harness.state_mut().apply(Command::SetFilter(filter), &ctx);
        let started = Instant::now();
        frame(&mut harness);
        changed_frame.push(started.elapsed().as_secs_f64() * 1000.0);
        // Frames go on while the statistics are computed, as a window's
        // would (at most one every 4 ms here).
        while harness.state().review().is_computing() {
            std::thread::sleep(Duration::from_millis(4));
            frame(&mut harness);
        }
        until_shown.push(started.elapsed().as_secs_f64() * 1000.0);
        refresh.push(
            harness
                .state()
                .review()
                .last_refresh_ms()
                .unwrap_or(f64::NAN),
        );
    }
    // The statistics alone, for comparison.
    let mut stats_alone = Vec::new();
    {
        let app = harness.state();
        let analysed: Vec<Analysed<'_>> = app
            .trades()
            .rows()
            .iter()
            .map(|row| Analysed::new(row.id, &row.trade, &row.analysis))
            .collect();
        let filter = app.filter().to_filter(&Zone::Local);
        for _ in 0..12 {
            let started = Instant::now();
            black_box(journal_stats(&analysed, &filter, app.rule_settings()));
            stats_alone.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let mut frames = Vec::new();
    for _ in 0..60 {
        let started = Instant::now();
        frame(&mut harness);
        frames.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "review, {TRADES} trades: statistics after a filter change {:.1} ms on their thread, \
         shown {:.1} ms after the change (medians of 12); the frame taking the change {:.1} ms; \
         journal_stats alone {:.1} ms; a dashboard frame {:.2} ms CPU (median of 60)",
        median(refresh),
        median(until_shown),
        median(changed_frame),
        median(stats_alone),
        median(frames)
    );
}
