//! How numbers are written: in messages for traders, and as exact strings in files.
//!
//! Prices are written at their trade's precision ([`price_dp`]): EURUSD
//! 1.08517, USDJPY 107.337, ES 5012.25, never cut to two places.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::Trade;

/// The fewest decimal places prices are shown with.
pub const MIN_PRICE_DP: u32 = 2;
/// The most decimal places prices are shown with.
pub const MAX_PRICE_DP: u32 = 8;

/// The decimal places a trade's prices are shown with: the most that any of
/// its events' prices has (trailing zeros aside), at least [`MIN_PRICE_DP`]
/// and at most [`MAX_PRICE_DP`]. A trade in EURUSD at 1.08517 gets 5, so its
/// average entry and stops are written to 5 places as well.
pub fn price_dp(trade: &Trade) -> u32 {
    trade
        .events
        .iter()
        .map(|e| e.kind.price().normalize().scale())
        .max()
        .unwrap_or(0)
        .clamp(MIN_PRICE_DP, MAX_PRICE_DP)
}

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

/// An amount of money to the cent with its currency (`-348604.00 JPY`, `12.50 EUR`).
pub fn money_in(value: Decimal, currency: &str) -> String {
    format!("{} {currency}", money(value))
}

/// A number with its thousands grouped by commas, without trailing zeros
/// (`100,000`, `0.5`, `12,500`): for figures in sentences, never for input.
pub fn grouped(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
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
