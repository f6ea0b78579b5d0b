//! Tranche: a trade journal that scores how trades were scaled in and out.
//!
//! The crate is layered; dependencies point one way, from the top down:
//!
//! - [`domain`]: trades, their events and validation. Pure values over `Decimal`.
//! - [`analysis`]: position arithmetic, the scaling rules, score and scale-out effects. Pure.
//! - [`import`]: broker statements (CSV, XML, HTML) read into fills and grouped into trades. Pure.
pub mod analysis;
pub mod domain;
pub mod import;
