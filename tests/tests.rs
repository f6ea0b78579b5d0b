//! Integration tests, compiled as one binary. Each module tests one part;
//! `helpers` holds the trades and files they share, `harness` the driving of
//! the app.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analysis;
mod bars_dialog;
mod bars_import;
mod bars_storage;
mod bars_ui;
mod breakdowns;
mod cli;
mod currencies;
mod domain;
mod durability;
mod excursion;
mod harness;
mod helpers;
mod import;
mod import_das;
mod import_dialog;
mod import_journal;
mod interchange;
mod kept;
mod kept_stats;
mod layers;
mod money;
mod planner;
mod planner_ui;
mod playbooks;
mod review;
mod shell;
mod start;
mod statement_checks;
mod stats;
mod storage;
mod streaming;
mod tilt;
mod trade_views;
mod twin;
mod ui;
