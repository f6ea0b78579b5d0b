//! Integration tests, compiled as one binary. Each module tests one part;
//! `helpers` holds the trades and files they share, `harness` the driving of
//! the app.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analysis;
mod breakdowns;
mod cli;
mod currencies;
mod domain;
mod durability;
mod harness;
mod helpers;
mod import;
mod import_das;
mod import_dialog;
mod import_journal;
mod interchange;
mod layers;
mod money;
mod review;
mod statement_checks;
mod stats;
mod storage;
mod trade_views;
mod ui;
