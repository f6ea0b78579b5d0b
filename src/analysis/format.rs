//! How numbers are written: in messages for traders, and as exact strings in files.

use rust_decimal::{Decimal, RoundingStrategy};

/// A quantity as typed: no trailing zeros (`100`, `0.5`).
pub fn num(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A price with at least `dp` decimal places, rounded half away from zero
/// when it has more (`49.00`, `49.67`).
pub fn price(value: Decimal, dp: u32) -> String {
    let rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    format!("{:.*}", dp as usize, rounded)
}

/// An amount of money with two decimal places (`-1300.00`).
pub fn money(value: Decimal) -> String {
    price(value, 2)
}

/// An exact decimal string with no trailing zeros, for files and JSON.
pub fn exact(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A ratio or R-multiple rounded half away from zero to 4 places, without trailing zeros.
pub fn ratio(value: Decimal) -> String {
    value
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}
