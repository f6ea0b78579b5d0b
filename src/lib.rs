//! Tranche: a trade journal that scores how trades were scaled in and out.
//!
//! The crate is layered; dependencies point one way, from the top down:
//!
//! - [`domain`]: trades, their events and validation. Pure values over `Decimal`.
//! - [`analysis`]: position arithmetic, the scaling rules, score and scale-out effects,
//!   journal statistics. Pure.
//! - [`report`]: journal statistics as JSON and text for `tranche report`.
pub mod analysis;
pub mod domain;
pub mod report;
