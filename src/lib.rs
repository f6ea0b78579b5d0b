//! Tranche: a trade journal that scores how trades were scaled in and out.
//!
//! The crate is layered; dependencies point one way, from the top down:
//!
//! - [`domain`]: trades, their events and validation. Pure values over `Decimal`.
//! - [`analysis`]: position arithmetic, the scaling rules, score and scale-out effects,
//!   journal statistics. Pure.
//! - [`import`]: broker statements (CSV, XML, HTML) read into fills and grouped into trades. Pure.
//! - [`storage`]: the SQLite journal; the only module with SQL.
//! - [`interchange`]: the lossless tranche-journal JSON format.
//! - [`files`]: writing files atomically (exports, saved reports).
//! - [`market`]: a trade's price bars in the journal, and its excursions against them.
//! - [`views`]: trades with their analysis as the command line prints them.
//! - [`report`]: journal statistics as JSON and text for `tranche report`.
//! - [`html_report`]: the review as one self-contained HTML page with its charts.
//! - [`cli`]: the command line (`tranche import`, `export`, `trades`, `show`, `report`).
//! - [`model`]: the app's state as its panels see it, shared by `app` and `ui`.
//! - [`app`]: the desktop app: the loaded journal, a worker thread for I/O
//!   (file writes included), file dialogs, and the one place commands are applied.
//! - [`ui`]: the app's panels: trade list, editor, chart, detail, review,
//!   settings, and the shell around them (bars, modals, shortcuts). They draw
//!   and return commands; they write no file and start no thread.
pub mod analysis;
pub mod app;
pub mod cli;
pub mod domain;
pub mod files;
pub mod html_report;
pub mod import;
pub mod interchange;
pub mod market;
pub mod model;
pub mod report;
pub mod storage;
pub mod ui;
pub mod views;
