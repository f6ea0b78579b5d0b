//! Integration tests, compiled as one binary. Each module tests one part;
//! `helpers` holds the trades and files they share, `harness` the driving of
//! the app.

mod analysis;
mod cli;
mod domain;
mod harness;
mod helpers;
mod import;
mod import_das;
mod import_dialog;
mod import_journal;
mod interchange;
mod review;
mod stats;
mod storage;
mod ui;
