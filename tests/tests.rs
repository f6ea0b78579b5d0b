//! Integration tests, compiled as one binary. Each module tests one part;
//! `helpers` holds the trades and files they share.

mod analysis;
mod cli;
mod domain;
mod helpers;
mod import;
mod import_dialog;
mod import_journal;
mod interchange;
mod review;
mod stats;
mod storage;
mod ui;
