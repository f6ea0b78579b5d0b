//! Times and decimals written as text, as chrono and rust_decimal write
//! them (RFC 3339 as `to_rfc3339` writes it; a decimal as its `Display`
//! does), without their general formatting machinery for the common cases.

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;

/// Appends `at` as the journal writes and shows times: as chrono's
/// `to_rfc3339` does (`2024-03-01T09:35:00.250-05:00`), without building a
/// `String` for the common case of a year of four digits and an offset in
/// whole minutes.
pub fn write_time(out: &mut String, at: &DateTime<FixedOffset>) {
    use chrono::{Datelike, Timelike};
    let local = at.naive_local();
    let year = local.year();
    let nanos = local.nanosecond();
    let offset = at.offset().local_minus_utc();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 || offset % 60 != 0 {
        out.push_str(&at.to_rfc3339());
        return;
    }
    push_digits(out, year as u32, 4);
    out.push('-');
    push_digits(out, local.month(), 2);
    out.push('-');
    push_digits(out, local.day(), 2);
    out.push('T');
    push_digits(out, local.hour(), 2);
    out.push(':');
    push_digits(out, local.minute(), 2);
    out.push(':');
    push_digits(out, local.second(), 2);
    let (fraction, digits) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if digits > 0 {
        out.push('.');
        push_digits(out, fraction, digits);
    }
    out.push(if offset < 0 { '-' } else { '+' });
    let minutes = offset.unsigned_abs() / 60;
    push_digits(out, minutes / 60, 2);
    out.push(':');
    push_digits(out, minutes % 60, 2);
}

/// Appends the last `width` decimal digits of `n`, with leading zeros.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
    }
}

/// Writes `value` as its `Display` does (`-12.50`), a piece at a time to
/// `put`, without `Display`'s general machinery; false, with nothing
/// written, for a mantissa wider than 64 bits.
pub fn write_decimal_pieces(value: Decimal, mut put: impl FnMut(&str)) -> bool {
    /// Zeros enough for the largest scale (28).
    const ZEROS: &str = "0000000000000000000000000000";
    let Ok(magnitude) = u64::try_from(value.mantissa().unsigned_abs()) else {
        return false;
    };
    let scale = value.scale() as usize;
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(magnitude);
    if value.is_sign_negative() {
        put("-");
    }
    match digits.len().checked_sub(scale) {
        // Digits before the point, and `scale` after it.
        Some(whole) if whole > 0 => {
            put(&digits[..whole]);
            if scale > 0 {
                put(".");
                put(&digits[whole..]);
            }
        }
        // Fewer digits than the scale: `0.`, then zeros up to them.
        _ => {
            put("0.");
            put(&ZEROS[..scale - digits.len()]);
            put(digits);
        }
    }
    true
}

/// A buffer for a decimal's text as its `Display` writes it, made there
/// ([`write_decimal_pieces`]) rather than in a `String`.
#[derive(Debug, Clone)]
pub struct DecimalBuffer {
    bytes: [u8; 40],
}

impl Default for DecimalBuffer {
    fn default() -> Self {
        DecimalBuffer { bytes: [0; 40] }
    }
}

impl DecimalBuffer {
    /// The text of `value`; `None` for a mantissa wider than 64 bits.
    pub fn of(&mut self, value: Decimal) -> Option<&str> {
        let mut len = 0;
        let bytes = &mut self.bytes;
        // A sign, `0.`, up to 28 places and a point: at most 31 bytes.
        let written = write_decimal_pieces(value, |piece| {
            bytes[len..len + piece.len()].copy_from_slice(piece.as_bytes());
            len += piece.len();
        });
        // Pieces of text put together are text.
        written.then(|| std::str::from_utf8(&self.bytes[..len]).ok())?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        let mut values: Vec<Decimal> = [
            "0",
            "-0",
            "0.000",
            "-0.000",
            "1",
            "-3",
            "1.50",
            "0.001",
            "-0.5",
            "100",
            "12.345",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "18446744073709551615",
            "-18446744073709551615",
            "1844674407370955161.5",
            "0.18446744073709551615",
            "18446744073709551616",
        ]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
        values.push(Decimal::MAX);
        values.push(Decimal::MIN);
        for scale in 0..=28 {
            for mantissa in [0, 1, -1, 7, 10, -120, 123_456_789, i64::MAX, i64::MIN] {
                values.push(Decimal::new(mantissa, scale));
            }
            let mut zero = Decimal::new(0, scale);
            zero.set_sign_negative(true);
            values.push(zero);
        }
        let mut text = DecimalBuffer::default();
        for value in values {
            let wide = value.mantissa().unsigned_abs() > u128::from(u64::MAX);
            match text.of(value) {
                Some(written) => assert_eq!(written, value.to_string(), "{value:?}"),
                None => assert!(wide, "{value:?}"),
            }
        }
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let mut next = 0x9e37_79b9_7f4a_7c15u64;
        let mut count = 0;
        for offset in [0, 3600, -18000, 19800, -1800, 45900, -43200, 50400, 3601] {
            let zone = FixedOffset::east_opt(offset).unwrap();
            for _ in 0..500 {
                next ^= next << 13;
                next ^= next >> 7;
                next ^= next << 17;
                let seconds = (next % 400_000_000_000) as i64 - 62_000_000_000;
                let nanos = match next % 5 {
                    0 => 0,
                    1 => (next % 1000) as u32 * 1_000_000,
                    2 => (next % 1_000_000) as u32 * 1_000,
                    3 => (next % 1_000_000_000) as u32,
                    _ => 1_000_000_000 + (next % 1000) as u32,
                };
                // A leap second (nanoseconds past one second) only ends a minute.
                let seconds = if nanos >= 1_000_000_000 {
                    seconds - seconds.rem_euclid(60) + 59
                } else {
                    seconds
                };
                let at = DateTime::from_timestamp(seconds, nanos).unwrap();
                let at = at.with_timezone(&zone);
                let mut written = String::new();
                write_time(&mut written, &at);
                assert_eq!(written, at.to_rfc3339(), "{at:?}");
                count += 1;
            }
        }
        assert_eq!(count, 4500);
    }
}
