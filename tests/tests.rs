//! Integration tests, compiled as one binary. Each module tests one part;
//! `helpers` holds the trades and files they share.

mod cli;
mod domain;
mod helpers;
mod interchange;
mod storage;
mod ui;
