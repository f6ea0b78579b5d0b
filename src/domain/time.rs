//! Times written as text: RFC 3339, as chrono's `to_rfc3339` writes them,
//! without chrono's formatting machinery for the common case.

use chrono::{DateTime, FixedOffset};

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
