//! Frame CPU time of the desktop app with 100,000 trades loaded, and the
//! time from start to the first frame.
//!
//! Run with `cargo bench --bench ui`. Each frame is measured as egui's pass
//! plus tessellation (everything the CPU does before the GPU draws).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use tranche::analysis::generate;
use tranche::app::store::MemoryStore;
use tranche::app::{Preferences, TrancheApp};
use tranche::domain::Trade;
use tranche::storage::Journal;
use tranche::ui::Command;

const TRADES: usize = 100_000;

const SEED: u64 = 0x5eed_1234_abcd_ef01;

/// The trades of the benchmark journal: the project's deterministic generator.
fn trades() -> Vec<Trade> {
    generate::journal(TRADES, SEED)
        .into_iter()
        .map(|(_, trade)| trade)
        .collect()
}

fn journal() -> MemoryStore {
    MemoryStore::with_trades(trades())
}

fn loaded_harness() -> Harness<'static, TrancheApp> {
    let store = journal();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| TrancheApp::with_store(&cc.egui_ctx, store));
    while !harness.state().is_loaded() {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(3);
    harness
}

/// One frame: the egui pass, then tessellation of what it drew.
fn frame(harness: &mut Harness<'static, TrancheApp>) {
    harness.step();
    let output = harness.output();
    let ctx = harness.ctx.clone();
    let primitives = ctx.tessellate(output.shapes.clone(), output.pixels_per_point);
    black_box(primitives);
}

fn bench_frames(c: &mut Criterion) {
    let mut harness = loaded_harness();
    assert_eq!(harness.state().trades().len(), TRADES);
    let mut group = c.benchmark_group("frame with 100k trades");
    group
        .sample_size(60)
        .measurement_time(Duration::from_secs(6));
    group.bench_function("list visible", |b| b.iter(|| frame(&mut harness)));

    let id = harness.state().listed_ids()[0];
    let ctx = harness.ctx.clone();
    harness.state_mut().apply(Command::Select(Some(id)), &ctx);
    harness.run_steps(3);
    group.bench_function("list and trade chart", |b| b.iter(|| frame(&mut harness)));

    // A keystroke in the search box: the frame that filters and sorts all trades again.
    harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search trades")
        .focus();
    harness.run_steps(2);
    let mut typed = false;
    group.bench_function("keystroke in the search box", |b| {
        b.iter(|| {
            if typed {
                harness.key_press(egui::Key::Backspace);
            } else {
                harness.event(egui::Event::Text("a".to_owned()));
            }
            typed = !typed;
            frame(&mut harness);
        });
    });
    group.finish();
}

fn bench_startup(c: &mut Criterion) {
    let mut group = c.benchmark_group("startup with 100k trades");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("to first frame", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let store = journal();
                let started = Instant::now();
                let mut harness = Harness::builder()
                    .with_size([1280.0, 800.0])
                    .build_eframe(move |cc| TrancheApp::with_store(&cc.egui_ctx, store));
                harness.step();
                total += started.elapsed();
                black_box(&harness);
            }
            total
        });
    });
    group.finish();

    // Once, for the note: the same on a real SQLite journal of 100,000 trades,
    // from start to the first frame and to the whole journal loaded and analysed.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("journal.sqlite");
    {
        let trades = trades();
        let mut journal = Journal::open(&path).expect("a journal");
        journal
            .insert_trades(&trades, &mut |_, _| {})
            .expect("trades saved");
    }
    let started = Instant::now();
    let opener = tranche::app::journal::opener(path.clone());
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            TrancheApp::with_preferences(&cc.egui_ctx, opener, Preferences::default())
        });
    harness.step();
    let first_frame = started.elapsed();
    while !harness.state().is_loaded() {
        harness.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    let loaded = started.elapsed();
    assert_eq!(harness.state().trades().len(), TRADES);
    println!(
        "startup on a SQLite journal of {TRADES} trades: first frame after {:.1} ms, \
         all trades loaded and analysed after {:.0} ms",
        first_frame.as_secs_f64() * 1000.0,
        loaded.as_secs_f64() * 1000.0
    );
}

criterion_group!(benches, bench_frames, bench_startup);
criterion_main!(benches);
