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

/// A share of 1 as a percentage with one decimal, for people (`82.1%`).
pub fn percent(share: Decimal) -> String {
    format!("{}%", price(share * Decimal::ONE_HUNDRED, 1))
}

/// The decimal places of a currency's minor unit: 0 for the yen, the won
/// and others without one, 3 for the dinars of Bahrain, Kuwait, Jordan,
/// Iraq and Libya, the Omani rial and the Tunisian dinar, else 2.
pub fn minor_unit(currency: &str) -> u32 {
    match currency.trim().to_ascii_uppercase().as_str() {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "PYG" | "UGX" | "XAF" | "XOF" | "XPF" | "KMF"
        | "GNF" | "RWF" | "VUV" | "DJF" | "BIF" => 0,
        "BHD" | "KWD" | "JOD" | "IQD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `value` to `dp` places (half away from zero) with its thousands grouped
/// by commas (`-348,604`, `44,754.00`): for people, never for input.
pub fn grouped_to(value: Decimal, dp: u32) -> String {
    let text = price(value, dp);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// Money for people: to the currency's minor unit, thousands grouped, with
/// the currency (`44,754.00 USD`, `-348,604 JPY`).
pub fn money_for_people(value: Decimal, currency: &str) -> String {
    format!("{} {currency}", grouped_to(value, minor_unit(currency)))
}

/// An exact decimal string with no trailing zeros, for files and JSON.
pub fn exact(value: Decimal) -> String {
    exact_value(value).to_string()
}

/// The decimal whose `Display` is [`exact`]'s string: `value` without
/// trailing zeros.
pub fn exact_value(value: Decimal) -> Decimal {
    value.normalize()
}

/// A ratio or R-multiple rounded half away from zero to 4 places, without trailing zeros.
pub fn ratio(value: Decimal) -> String {
    ratio_value(value).to_string()
}

/// The decimal whose `Display` is [`ratio`]'s string: `value` rounded half
/// away from zero to 4 places, without trailing zeros.
pub fn ratio_value(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn exact_and_ratio_write_what_display_writes() {
        let mut values: Vec<Decimal> = [
            "0",
            "-0",
            "-0.000",
            "1",
            "-3",
            "1.50",
            "0.001",
            "-0.5",
            "5812.25",
            "100",
            "1e3",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616.5",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-7922816251426433759354395033.5",
            "1.23456789012345678901234567",
            "0.00005",
            "-0.00005",
            "2.33335",
        ]
        .iter()
        .map(|text| {
            Decimal::from_scientific(text)
                .or_else(|_| Decimal::from_str(text))
                .unwrap()
        })
        .collect();
        for i in 0..2000_i64 {
            let mantissa = i * i * 7919 - 1_000_000 * (i % 7);
            values.push(Decimal::new(mantissa, (i % 29) as u32));
        }
        for value in values {
            assert_eq!(exact(value), value.normalize().to_string(), "{value:?}");
            let rounded = value.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
            assert_eq!(ratio(value), rounded.normalize().to_string(), "{value:?}");
        }
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn figures_for_people() {
        assert_eq!(percent(d("0.82142857")), "82.1%");
        assert_eq!(percent(d("0.5")), "50.0%");
        assert_eq!(percent(d("0.0005")), "0.1%");
        assert_eq!(money_for_people(d("44754"), "USD"), "44,754.00 USD");
        assert_eq!(money_for_people(d("-348604.4"), "JPY"), "-348,604 JPY");
        assert_eq!(money_for_people(d("999.995"), "EUR"), "1,000.00 EUR");
        assert_eq!(money_for_people(d("-0.5"), "KWD"), "-0.500 KWD");
        assert_eq!(grouped_to(d("1234567.891"), 1), "1,234,567.9");
        assert_eq!(grouped_to(d("-100"), 0), "-100");
    }
}
