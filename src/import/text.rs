//! Text as brokers write it: encodings, numbers with money signs, dates and times.
//!
//! - [`decode`] turns bytes into text, by BOM (UTF-8, UTF-16LE/BE), by the
//!   charset a markup file declares, or by guess (UTF-16 without BOM, UTF-8,
//!   else the legacy code page `chardetng` finds).
//! - [`number`] reads `1,234.50`, `$48.10 `, `($75.90)`, `@12.3`, `.06`, `1 000.00`.
//! - [`datetime`] reads the many date and time layouts of broker files, with an
//!   optional zone (`EDT`, `+01:00`, `Z`); times without one are read in the
//!   import time zone.

use std::borrow::Cow;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use rust_decimal::Decimal;

/// Decodes a file's bytes to text, dropping any byte order mark.
///
/// In order: a byte order mark (UTF-8, UTF-16LE/BE; a stray byte after
/// UTF-16 text, an odd byte count, is dropped); UTF-16 without a mark (zero
/// bytes at every other position); UTF-8 when the bytes are valid UTF-8; else the charset a markup file
/// declares (`<meta charset="windows-1251">`, `<meta http-equiv=
/// "Content-Type" content="text/html; charset=gbk">`, `<?xml ...
/// encoding="...">`); else the legacy code page `chardetng` guesses from
/// the bytes (Windows-1252, Windows-1251, GBK, Shift_JIS...): statements
/// saved by older terminals come in their system's code page and often
/// declare none. Valid UTF-8 wins over a declaration, as a file saved
/// again by an editor keeps its old `<meta>`.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = utf16_whole(encoding, &bytes[bom_len..]);
        let (text, _) = encoding.decode_without_bom_handling(body);
        return text;
    }
    // UTF-16 without a BOM: many zero bytes at odd (LE) or even (BE) positions.
    if bytes.len() >= 4 {
        let sample = &bytes[..bytes.len().min(512)];
        let odd_zeros = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count();
        let even_zeros = sample.iter().step_by(2).filter(|&&b| b == 0).count();
        let half = sample.len() / 2;
        if odd_zeros * 10 > half * 8 && even_zeros * 10 < half {
            let body = utf16_whole(encoding_rs::UTF_16LE, bytes);
            return encoding_rs::UTF_16LE.decode_without_bom_handling(body).0;
        }
        if even_zeros * 10 > half * 8 && odd_zeros * 10 < half {
            let body = utf16_whole(encoding_rs::UTF_16BE, bytes);
            return encoding_rs::UTF_16BE.decode_without_bom_handling(body).0;
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let encoding = declared_charset(bytes).unwrap_or_else(|| {
                // The bytes are not UTF-8 (checked above): a legacy code page.
                let mut detector =
                    chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                detector.feed(bytes, true);
                detector.guess(None, chardetng::Utf8Detection::Deny)
            });
            encoding.decode_without_bom_handling(bytes).0
        }
    }
}

/// UTF-16 text without a stray last byte (an odd byte count), which would
/// otherwise decode as a replacement character.
fn utf16_whole<'a>(encoding: &'static encoding_rs::Encoding, bytes: &'a [u8]) -> &'a [u8] {
    let utf16 = encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE;
    if utf16 && bytes.len() % 2 == 1 {
        &bytes[..bytes.len() - 1]
    } else {
        bytes
    }
}

/// The encoding a markup file declares in its first 4 KiB: `<meta
/// charset=...>`, a `<meta>` whose content names a `charset=`, or the XML
/// declaration's `encoding=`. A UTF-16 label is not believed (the bytes
/// are not UTF-16 by then), as the HTML standard says.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let find = |from: usize, needle: &[u8]| {
        lower[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut from = 0;
    while let Some(start) = find(from, b"<meta").or_else(|| find(from, b"<?xml")) {
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |p| start + p);
        let tag = &lower[start..end];
        let key = [&b"charset"[..], b"encoding"].into_iter().find_map(|k| {
            tag.windows(k.len())
                .position(|w| w == k)
                .map(|p| p + k.len())
        });
        if let Some(after) = key {
            let rest = &tag[after..];
            let rest = rest
                .iter()
                .position(|&b| b == b'=')
                .map_or(&rest[rest.len()..], |p| &rest[p + 1..]);
            let label: Vec<u8> = rest
                .iter()
                .copied()
                .skip_while(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'')
                .take_while(|b| {
                    !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b';' | b'/' | b'>')
                })
                .collect();
            if let Some(encoding) = encoding_rs::Encoding::for_label(&label) {
                return Some(encoding.output_encoding());
            }
        }
        from = end.max(start + 1);
        if from >= lower.len() {
            break;
        }
    }
    None
}

/// A header name reduced for matching: lowercase, without spaces, punctuation
/// or a BOM. `"Buy/Sell"`, `" buy sell "` and `"BUY_SELL"` all give `buysell`.
pub fn normalize_header(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric() || *c == '#')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads a number as brokers write it. Accepts thousands separators (`,`,
/// spaces, non-breaking spaces, `'`), a leading `@`, currency signs, a
/// trailing space, parentheses or a trailing `-` for negatives, and `.06`.
/// Returns `None` for empty or unreadable text.
pub fn number(text: &str) -> Option<Decimal> {
    let mut t = crate::domain::trim(text);
    if t.is_empty() {
        return None;
    }
    // The common case, in one pass without copying: "-1234.5".
    if let Some(plain) = plain_number(t) {
        return Some(plain);
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
    {
        return Decimal::from_str_exact(t).ok().map(|d| d.normalize());
    }
    // A trailing currency code: "0.39 USD".
    if let Some((value, code)) = t.rsplit_once(' ')
        && code.len() == 3
        && code.bytes().all(|b| b.is_ascii_uppercase())
    {
        t = value.trim_end();
    }
    let mut negative = false;
    if t.starts_with('(') && t.ends_with(')') && t.len() >= 2 {
        negative = true;
        t = t[1..t.len() - 1].trim();
    }
    // Which of '.' and ',' is the decimal separator: the later one when both
    // appear ("1.250,50", "1,250.50"); a lone ',' unless three digits follow
    // it ("0,39" but "1,250"); several of one kind are thousands ("1.250.000").
    let decimal = match (t.rfind('.'), t.rfind(',')) {
        (Some(dot), Some(comma)) if comma > dot => ',',
        (Some(_), Some(_)) => '.',
        (None, Some(comma)) => {
            let after = t[comma + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            if t.matches(',').count() == 1 && after != 3 {
                ','
            } else {
                '.'
            }
        }
        (Some(_), None) if t.matches('.').count() > 1 => ',',
        _ => '.',
    };
    let mut cleaned = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '.' | ',' if c == decimal => cleaned.push('.'),
            '.' | ',' => {}
            '0'..='9' | 'e' | 'E' => cleaned.push(c),
            '-' => {
                if cleaned.is_empty() {
                    negative = !negative;
                } else if cleaned.ends_with(['e', 'E']) {
                    cleaned.push(c);
                } else {
                    // A trailing minus: "12.50-".
                    negative = !negative;
                }
            }
            '+' => {
                if cleaned.ends_with(['e', 'E']) {
                    cleaned.push(c);
                }
            }
            ' ' | '\u{a0}' | '\u{202f}' | '\'' | '_' => {}
            '@' => {
                if !cleaned.is_empty() {
                    return None;
                }
            }
            '$' | '€' | '£' | '¥' => {}
            _ => return None,
        }
    }
    if cleaned.is_empty() || !cleaned.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if cleaned.starts_with('.') {
        cleaned.insert(0, '0');
    }
    let value = if cleaned.contains(['e', 'E']) {
        Decimal::from_scientific(&cleaned).ok()?
    } else {
        Decimal::from_str_exact(&cleaned).ok()?
    };
    Some(if negative { -value } else { value }.normalize())
}

/// Why `text` is not read as a number, for an error message: it has more
/// digits than a decimal holds exactly (never rounded on input), or it is
/// not a number at all. The text is quoted as [`quoted`] quotes it.
pub fn not_a_number(text: &str) -> String {
    let digits = text
        .trim()
        .trim_start_matches(['-', '+', '0', '.', ','])
        .bytes()
        .filter(u8::is_ascii_digit)
        .count();
    let looks_numeric = text
        .trim()
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b'+' | b' ' | b'\''));
    if looks_numeric && (digits > 28 || fraction_digits(text) > 28) {
        format!(
            "{} has more than 28 significant digits, which cannot be held exactly; \
             it is not rounded",
            quoted(text)
        )
    } else {
        format!("{} is not a number", quoted(text))
    }
}

/// The digits after the last `.` of a number's text.
fn fraction_digits(text: &str) -> usize {
    text.trim().rsplit_once('.').map_or(0, |(_, fraction)| {
        fraction.bytes().filter(u8::is_ascii_digit).count()
    })
}

/// The earliest year a date in a file may have: anything before is a typo
/// or a placeholder, never a trade.
pub const EARLIEST_YEAR: i32 = 1900;

/// `at`, or why its year cannot be a trade's.
pub fn plausible_year(at: DateTime<FixedOffset>) -> Result<DateTime<FixedOffset>, String> {
    use chrono::Datelike;
    if at.year() < EARLIEST_YEAR {
        Err(format!(
            "the year {} is before {EARLIEST_YEAR}; no trade is that old",
            at.year()
        ))
    } else {
        Ok(at)
    }
}

/// The longest text quoted whole in a message; longer text is cut.
pub const QUOTE_LIMIT: usize = 80;

/// `text` quoted for a message (as `{:?}` would), cut to about
/// [`QUOTE_LIMIT`] characters with the full length said, so that a huge field
/// never makes a huge message.
pub fn quoted(text: &str) -> String {
    let count = text.chars().count();
    if count <= QUOTE_LIMIT {
        return format!("{text:?}");
    }
    let head: String = text.chars().take(QUOTE_LIMIT).collect();
    format!("{head:?}… ({count} characters)")
}

/// A number of up to 18 digits with an optional sign and point (`-12.50`),
/// normalized as `Decimal::normalize` does (`-12.5`), read without the
/// general parser; `None` for anything else.
fn plain_number(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.ends_with('.') {
        return None;
    }
    let (mut mantissa, mut scale, mut count, mut point) = (0i64, 0u32, 0, false);
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                count += 1;
                if count > 18 {
                    return None;
                }
                mantissa = mantissa * 10 + i64::from(b - b'0');
                scale += u32::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    if mantissa == 0 {
        return Some(Decimal::ZERO);
    }
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale,
    ))
}

/// A time zone given in the text itself.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

fn zone_abbreviation(word: &str) -> Option<Zone> {
    let hours = match word.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" => 0,
        "EDT" => -4,
        "EST" => -5,
        "CDT" => -5,
        "CST" => -6,
        "MDT" => -6,
        "MST" => -7,
        "PDT" => -7,
        "PST" => -8,
        "BST" => 1,
        "CET" => 1,
        "CEST" => 2,
        "WET" => 0,
        "WEST" => 1,
        "EET" => 2,
        "EEST" => 3,
        "MSK" => 3,
        "AKST" => -9,
        "AKDT" => -8,
        "HST" => -10,
        "HKT" | "SGT" | "AWST" => 8,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        "NZST" => 12,
        "NZDT" => 13,
        "ET" => return Some(Zone::Named(chrono_tz::America::New_York)),
        "CT" => return Some(Zone::Named(chrono_tz::America::Chicago)),
        "PT" => return Some(Zone::Named(chrono_tz::America::Los_Angeles)),
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600).map(Zone::Fixed)
}

fn numeric_offset(word: &str) -> Option<FixedOffset> {
    let (sign, rest) = match word.as_bytes().first()? {
        b'+' => (1, &word[1..]),
        b'-' => (-1, &word[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

fn year_of(text: &str) -> Option<i32> {
    let y: i32 = text.parse().ok()?;
    match text.len() {
        2 => Some(if y < 70 { 2000 + y } else { 1900 + y }),
        4 => Some(y),
        _ => None,
    }
}

fn month_name(text: &str) -> Option<u32> {
    let t = text.to_ascii_lowercase();
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    if t.len() < 3 {
        return None;
    }
    names
        .iter()
        .position(|n| t.starts_with(n))
        .map(|i| i as u32 + 1)
}

/// Reads a date: `2024-03-15`, `2024/03/15`, `2024.03.15`, `20240315`,
/// `03/15/2024`, `3/15/24` (US order; day first when the first part is over 12),
/// `15.03.2024` (with dots and the year last, always day first), `15-Mar-2024`,
/// `15 MAR 24`.
pub fn date(text: &str) -> Option<NaiveDate> {
    date_with(text, false)
}

/// Reads a date like [`date`], with `day_first` deciding the order of an
/// ambiguous `05/03/2024` (the file's other dates tell; see [`day_first`]).
pub fn date_with(text: &str, day_first: bool) -> Option<NaiveDate> {
    let t = crate::domain::trim(text);
    // The common case, without allocating: 2024-03-15.
    let b = t.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        if let (Some(y), Some(m), Some(d)) = (n(0..4), n(5..7), n(8..10)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d);
        }
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::from_ymd_opt(
            t[..4].parse().ok()?,
            t[4..6].parse().ok()?,
            t[6..].parse().ok()?,
        );
    }
    let parts: Vec<&str> = t
        .split(['-', '/', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    if let Some(m) = month_name(parts[1]) {
        let d: u32 = parts[0].parse().ok()?;
        return NaiveDate::from_ymd_opt(year_of(parts[2])?, m, d);
    }
    if let Some(m) = month_name(parts[0]) {
        let d: u32 = parts[1].parse().ok()?;
        return NaiveDate::from_ymd_opt(year_of(parts[2])?, m, d);
    }
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| {
            if p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 4 {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    if parts[0].len() == 4 {
        return NaiveDate::from_ymd_opt(nums[0] as i32, nums[1], nums[2]);
    }
    let year = year_of(parts[2])?;
    // Dots with the year last are European: day first ("05.09.2026").
    let dotted = t.contains('.') && !t.contains(['/', '-']);
    if nums[1] <= 12 && (nums[0] > 12 || day_first || dotted) {
        NaiveDate::from_ymd_opt(year, nums[1], nums[0])
    } else {
        NaiveDate::from_ymd_opt(year, nums[0], nums[1])
    }
}

/// Whether the numeric dates of a file put the day first: true when one of
/// them can only be read that way (`16/09/2026`) and none only the other way
/// (`09/16/2026`). A file writes all its dates in one order, so its
/// ambiguous `05/09/2026` follow the unambiguous ones.
pub fn day_first<'a>(samples: impl IntoIterator<Item = &'a str>) -> bool {
    let mut day = false;
    for sample in samples {
        let Some(word) = sample.split_whitespace().next() else {
            continue;
        };
        let word = word.split([';', ',', 'T']).next().unwrap_or(word);
        let parts: Vec<&str> = word.split(['/', '-', '.']).collect();
        if parts.len() != 3 || parts[0].len() > 2 || parts[1].len() > 2 {
            continue;
        }
        let (Ok(first), Ok(second)) = (parts[0].parse::<u32>(), parts[1].parse::<u32>()) else {
            continue;
        };
        if first > 12 && second <= 12 {
            day = true;
        } else if second > 12 && first <= 12 {
            return false;
        }
    }
    day
}

/// Reads a time of day: `9:30`, `09:30:15`, `09:30:15.123`, `093015`, with an
/// optional `AM`/`PM` (attached or as the next word).
pub fn time(text: &str) -> Option<NaiveTime> {
    // The common case, without allocating: 09:30:15 or 9:30.
    let b = crate::domain::trim(text).as_bytes();
    let two = |i: usize| -> Option<u32> {
        let (x, y) = (*b.get(i)?, *b.get(i + 1)?);
        (x.is_ascii_digit() && y.is_ascii_digit())
            .then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    };
    let fast = match b.len() {
        8 if b[2] == b':' && b[5] == b':' => {
            two(0).zip(two(3)).zip(two(6)).map(|((h, m), s)| (h, m, s))
        }
        5 if b[2] == b':' => two(0).zip(two(3)).map(|(h, m)| (h, m, 0)),
        _ => None,
    };
    if let Some((h, m, s)) = fast {
        return NaiveTime::from_hms_opt(h, m, s);
    }
    let mut t = text.trim().to_ascii_uppercase();
    let mut pm = None;
    if let Some(rest) = t.strip_suffix("AM") {
        pm = Some(false);
        t = rest.trim().to_owned();
    } else if let Some(rest) = t.strip_suffix("PM") {
        pm = Some(true);
        t = rest.trim().to_owned();
    }
    let (mut h, m, s, nanos) = if t.contains(':') {
        let mut it = t.split(':');
        let h: u32 = it.next()?.trim().parse().ok()?;
        let m: u32 = it.next()?.trim().parse().ok()?;
        let (s, nanos) = match it.next() {
            Some(sec) => seconds(sec)?,
            None => (0, 0),
        };
        if it.next().is_some() {
            return None;
        }
        (h, m, s, nanos)
    } else if (t.len() == 6 || t.len() == 4) && t.bytes().all(|b| b.is_ascii_digit()) {
        let h = t[..2].parse().ok()?;
        let m = t[2..4].parse().ok()?;
        let s = if t.len() == 6 {
            t[4..].parse().ok()?
        } else {
            0
        };
        (h, m, s, 0)
    } else {
        return None;
    };
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        Some(_) if h > 12 => return None,
        _ => {}
    }
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

fn seconds(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let s: u32 = whole.parse().ok()?;
    if frac.is_empty() {
        return Some((s, 0));
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    Some((s, digits.parse().ok()?))
}

/// What a local time without a zone meant, where the zone's clock changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    /// The time does not exist: the clocks went forward over it. It is read
    /// as the instant they did (the first moment after the gap), so that
    /// fills on either side of the gap keep their order.
    Skipped {
        /// The instant it was read as.
        read_as: DateTime<FixedOffset>,
    },
    /// The time exists twice: the clocks went back over it. It is read as
    /// the first; `later` is the second, which a reader takes where the
    /// first would put a fill before the one above it in the file.
    Repeated {
        /// The instant it was read as (the first).
        read_as: DateTime<FixedOffset>,
        /// The second instant the time names.
        later: DateTime<FixedOffset>,
    },
}

thread_local! {
    /// The clock changes met while reading the current row (see
    /// [`take_clock_changes`]).
    static CLOCK_CHANGES: std::cell::RefCell<Vec<(NaiveDateTime, ClockChange)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The clock changes [`localize`] met on this thread since the last call:
/// readers turn them into warnings naming the row's line.
pub(crate) fn take_clock_changes() -> Vec<(NaiveDateTime, ClockChange)> {
    CLOCK_CHANGES.with(|changes| std::mem::take(&mut *changes.borrow_mut()))
}

fn note_clock_change(naive: NaiveDateTime, change: ClockChange) {
    CLOCK_CHANGES.with(|changes| changes.borrow_mut().push((naive, change)));
}

/// Places a local time in a zone. A time the clocks skipped (a daylight-saving
/// gap) is read as the instant they went forward; a time they showed twice is
/// read as its first occurrence. Both are noted (see [`ClockChange`]).
pub fn localize(naive: NaiveDateTime, tz: chrono_tz::Tz) -> DateTime<FixedOffset> {
    use chrono::Timelike;
    use chrono::offset::LocalResult;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.fixed_offset(),
        LocalResult::Ambiguous(first, second) => {
            let read_as = first.fixed_offset();
            note_clock_change(
                naive,
                ClockChange::Repeated {
                    read_as,
                    later: second.fixed_offset(),
                },
            );
            read_as
        }
        LocalResult::None => {
            // Clocks change on a whole minute: step a minute at a time from
            // the minute the time is in to the first one that exists.
            let mut probe = naive - Duration::seconds(i64::from(naive.second()));
            probe -= Duration::nanoseconds(i64::from(naive.nanosecond()));
            for _ in 0..=24 * 60 {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    let read_as = t.fixed_offset();
                    note_clock_change(naive, ClockChange::Skipped { read_as });
                    return read_as;
                }
            }
            naive.and_utc().fixed_offset()
        }
    }
}

fn with_zone(
    naive: NaiveDateTime,
    zone: Option<Zone>,
    tz: chrono_tz::Tz,
) -> Option<DateTime<FixedOffset>> {
    match zone {
        Some(Zone::Fixed(offset)) => offset.from_local_datetime(&naive).single(),
        Some(Zone::Named(named)) => Some(localize(naive, named)),
        None => Some(localize(naive, tz)),
    }
}

/// Reads a date and time in one field: ISO 8601 (`2024-03-15T09:30:00-04:00`),
/// IBKR (`20240315;093000`), `03/15/2024 09:30:00 EDT`, `2024.03.15 09:30`,
/// `7/2/2026 9:12 AM`, `11/12/22 11:27:19`. A date alone is midnight. A time
/// without a zone is read in `tz`.
pub fn datetime(text: &str, tz: chrono_tz::Tz) -> Option<DateTime<FixedOffset>> {
    datetime_with(text, tz, false)
}

/// Reads a date and time like [`datetime`], with `day_first` deciding the
/// order of an ambiguous date (see [`day_first`]).
pub fn datetime_with(
    text: &str,
    tz: chrono_tz::Tz,
    day_first: bool,
) -> Option<DateTime<FixedOffset>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt);
    }
    // Unix time: 10 digits of seconds (with a fraction) or 13 of milliseconds.
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    if whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b.is_ascii_digit()) {
        let utc = FixedOffset::east_opt(0)?;
        match whole.len() {
            10 => {
                let (_, nanos) = seconds(&format!("0.{fraction}")).unwrap_or((0, 0));
                return utc.timestamp_opt(whole.parse().ok()?, nanos).single();
            }
            13 if fraction.is_empty() => {
                return utc.timestamp_millis_opt(whole.parse().ok()?).single();
            }
            _ => {}
        }
    }
    // Split into words on the separators brokers use between date and time.
    // ISO's "T" between date and time (only between digits: "EST" keeps its T).
    let bytes = t.as_bytes();
    let iso: String = t
        .char_indices()
        .map(|(i, c)| {
            let between_digits = i > 0
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if c == 'T' && between_digits { ' ' } else { c }
        })
        .collect();
    let mut words: Vec<&str> = iso
        .split([' ', ';', ',', '\t'])
        .filter(|w| !w.is_empty())
        .collect();
    // A zone at the end: a name, a numeric offset, or glued to the time.
    let mut zone = None;
    if let Some(last) = words.last().copied() {
        if let Some(z) = zone_abbreviation(last) {
            zone = Some(z);
            words.pop();
        } else if let Some(offset) = numeric_offset(last).filter(|_| words.len() > 2) {
            zone = Some(Zone::Fixed(offset));
            words.pop();
        }
    }
    let mut glued = String::new();
    if zone.is_none() && words.len() >= 2 {
        let last = words[words.len() - 1];
        if let Some(stripped) = last.strip_suffix('Z') {
            zone = Some(Zone::Fixed(FixedOffset::east_opt(0)?));
            glued = stripped.to_owned();
        } else if let Some(pos) = last.rfind(['+', '-']).filter(|&p| p > 0)
            && let Some(offset) = numeric_offset(&last[pos..])
        {
            zone = Some(Zone::Fixed(offset));
            glued = last[..pos].to_owned();
        }
    }
    if !glued.is_empty() {
        let n = words.len();
        words[n - 1] = &glued;
    }
    // Date words: "15 MAR 24" has three; others one.
    // "15 MAR 24 ..." and "Mar 15 2024 ...": three words of date.
    let month_words = words.len() >= 3
        && (month_name(words[1]).is_some()
            || (month_name(words[0]).is_some() && words[1].bytes().all(|b| b.is_ascii_digit())));
    let (date_part, rest) = if month_words {
        (words[..3].join(" "), &words[3..])
    } else if !words.is_empty() {
        (words[0].to_owned(), &words[1..])
    } else {
        return None;
    };
    let (day, time_of_day) = match (date_with(&date_part, day_first), rest) {
        (Some(day), _) => (day, None),
        // A date glued to its time: "20240315093000", "2024-03-1509:30:00".
        (None, []) => {
            let (day, time_of_day) = date_glued_to_time(&date_part, day_first)?;
            (day, Some(time_of_day))
        }
        (None, _) => return None,
    };
    let time_of_day = match rest {
        [] => time_of_day.unwrap_or(NaiveTime::MIN),
        [t] => time(t)?,
        [t, ampm] if ampm.eq_ignore_ascii_case("am") || ampm.eq_ignore_ascii_case("pm") => {
            time(&format!("{t} {ampm}"))?
        }
        _ => return None,
    };
    with_zone(day.and_time(time_of_day), zone, tz)
}

/// A date and a time of day written without a separator between them
/// (IBKR's Flex queries allow it): the time is the last 6 (`093000`) or 8
/// (`09:30:00`) characters.
fn date_glued_to_time(text: &str, day_first: bool) -> Option<(NaiveDate, NaiveTime)> {
    [6, 8].into_iter().find_map(|len| {
        let split = text.len().checked_sub(len).filter(|&s| s >= 6)?;
        let (d, t) = (text.get(..split)?, text.get(split..)?);
        if len == 6 && !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((date_with(d, day_first)?, time(t)?))
    })
}

/// Reads a date and a time given in two fields; the zone may follow the time.
pub fn date_and_time(
    date_text: &str,
    time_text: &str,
    tz: chrono_tz::Tz,
) -> Option<DateTime<FixedOffset>> {
    date_and_time_with(date_text, time_text, tz, false)
}

/// Reads a date and a time given in two fields like [`date_and_time`], with
/// `day_first` deciding the order of an ambiguous date (see [`day_first`]).
pub fn date_and_time_with(
    date_text: &str,
    time_text: &str,
    tz: chrono_tz::Tz,
    day_first: bool,
) -> Option<DateTime<FixedOffset>> {
    if crate::domain::trim(time_text).is_empty() {
        return datetime_with(date_text, tz, day_first);
    }
    if let (Some(d), Some(t)) = (date_with(date_text, day_first), time(time_text)) {
        return Some(localize(d.and_time(t), tz));
    }
    // A date field that holds the time as well wins over the time field.
    datetime_with(
        &format!("{} {}", date_text.trim(), time_text.trim()),
        tz,
        day_first,
    )
    .or_else(|| {
        date_text
            .contains(':')
            .then(|| datetime_with(date_text, tz, day_first))
            .flatten()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn legacy_code_pages_declared_or_not() {
        let page = "<html><head><title>Statement: 8801 - 王小明</title></head><body><table>\
            <tr><td>Name: 王小明</td><td>Currency: USD</td></tr>\
            <tr><td>备注: 平仓, 止损, 获利了结</td></tr></table></body></html>";
        let (gbk, _, _) = encoding_rs::GBK.encode(page);
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode(&gbk), page);
        let page = "<html><head><meta charset=\"windows-1251\"></head><body>Иван</body></html>";
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(page);
        assert_eq!(decode(&cp1251), page);
        let page = "<html><head><meta http-equiv=\"Content-Type\" \
            content=\"text/html; charset=windows-1252\"></head><body>Café</body></html>";
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(page);
        assert_eq!(decode(&cp1252), page);
        // Valid UTF-8 wins over an old declaration.
        let page = "<meta charset=\"windows-1251\">Иван";
        assert_eq!(decode(page.as_bytes()), page);
    }

    #[test]
    fn utf16_with_a_stray_last_byte() {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(
            "<html>約定</html>"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        bytes.push(b'\n');
        assert_eq!(decode(&bytes), "<html>約定</html>");
        assert_eq!(decode(&bytes[2..]), "<html>約定</html>");
    }

    #[test]
    fn numbers() {
        let d = |s: &str| number(s).map(|d| d.to_string());
        assert_eq!(d("$48.10 "), Some("48.1".into()));
        assert_eq!(d("($75.90)"), Some("-75.9".into()));
        assert_eq!(d(".06"), Some("0.06".into()));
        assert_eq!(d("@12.34"), Some("12.34".into()));
        assert_eq!(d("1 000.50"), Some("1000.5".into()));
        assert_eq!(d("\"1,930.00\""), None);
        assert_eq!(d("1,930.00"), Some("1930".into()));
        assert_eq!(d("-0.03"), Some("-0.03".into()));
        assert_eq!(d("+300"), Some("300".into()));
        assert_eq!(d(""), None);
        assert_eq!(d("abc"), None);
        assert_eq!(d("-"), None);
        assert_eq!(d("0,39"), Some("0.39".into()));
        assert_eq!(d("1 250,50 $"), Some("1250.5".into()));
        assert_eq!(d("1.250,50"), Some("1250.5".into()));
        assert_eq!(d("1,250"), Some("1250".into()));
        assert_eq!(d("1.250.000"), Some("1250000".into()));
        assert_eq!(d("0.39 USD"), Some("0.39".into()));
        assert_eq!(d("12.50-"), Some("-12.5".into()));
    }

    #[test]
    fn plain_numbers_read_as_the_general_parser_reads_them() {
        for text in [
            "0",
            "00",
            "-0",
            "-0.00",
            "1",
            "007",
            "12.50",
            "-12.50",
            "0.001",
            "100",
            "1.000",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234.5678",
            "0.10",
            "5.",
            "99999999999999999.9",
            "-1",
            ".",
            "-",
        ] {
            let general = Decimal::from_str_exact(text).ok().map(|d| d.normalize());
            let plain = plain_number(text);
            if let Some(plain) = plain {
                assert_eq!(Some(plain), general, "{text}");
                assert_eq!(plain.to_string(), general.unwrap().to_string(), "{text}");
            }
            assert_eq!(number(text), general, "{text}");
        }
        // Without a digit before the point, as the general parser reads it.
        assert_eq!(number(".5"), Some(Decimal::new(5, 1)));
        assert_eq!(number("-.5"), Some(Decimal::new(-5, 1)));
        assert_eq!(number(".50").map(|d| d.to_string()), Some("0.5".into()));
    }

    #[test]
    fn datetimes() {
        let ny = chrono_tz::America::New_York;
        let s = |t: &str| datetime(t, ny).map(|d| d.to_rfc3339());
        assert_eq!(
            s("20260126;115715"),
            Some("2026-01-26T11:57:15-05:00".into())
        );
        assert_eq!(
            s("11/12/22 11:27:19"),
            Some("2022-11-12T11:27:19-05:00".into())
        );
        assert_eq!(s("7/2/2026 9:12"), Some("2026-07-02T09:12:00-04:00".into()));
        assert_eq!(
            s("7/2/2026 9:12:03 PM"),
            Some("2026-07-02T21:12:03-04:00".into())
        );
        assert_eq!(
            s("03/15/2021 09:31:05 EST"),
            Some("2021-03-15T09:31:05-05:00".into())
        );
        assert_eq!(
            s("2023.01.05 10:15:22"),
            Some("2023-01-05T10:15:22-05:00".into())
        );
        assert_eq!(
            s("2024-03-15T09:30:00Z"),
            Some("2024-03-15T09:30:00+00:00".into())
        );
        assert_eq!(
            s("2024-03-15 09:30:00+01:00"),
            Some("2024-03-15T09:30:00+01:00".into())
        );
        assert_eq!(
            s("2021-02-02 13:30:51.7025"),
            Some("2021-02-02T13:30:51.702500-05:00".into())
        );
        assert_eq!(
            s("2024-03-15, 09:30:00"),
            Some("2024-03-15T09:30:00-04:00".into())
        );
        assert_eq!(s("garbage"), None);
        assert_eq!(
            s("Mar 15, 2024 9:30:00 AM"),
            Some("2024-03-15T09:30:00-04:00".into())
        );
        assert_eq!(s("1710509400"), Some("2024-03-15T13:30:00+00:00".into()));
        assert_eq!(
            s("1710509400.5"),
            Some("2024-03-15T13:30:00.500+00:00".into())
        );
        assert_eq!(s("1710509400000"), Some("2024-03-15T13:30:00+00:00".into()));
    }

    #[test]
    fn ibkr_date_and_time_layouts() {
        let ny = chrono_tz::America::New_York;
        let s = |t: &str| datetime(t, ny).map(|d| d.to_rfc3339());
        let want = Some("2024-01-15T09:30:00-05:00".to_owned());
        for t in [
            "20240115;093000",
            "2024-01-15;09:30:00",
            "20240115 093000",
            "20240115,093000",
            "2024-01-15, 09:30:00",
            "01/15/2024;093000",
            "01/15/24;09:30:00",
            "15-Jan-24;09:30:00",
            // No separator at all.
            "20240115093000",
            "2024-01-1509:30:00",
            "01/15/2024093000",
            // Old files: a "T" and the offset.
            "20240115T093000-0500",
        ] {
            assert_eq!(s(t), want, "{t}");
        }
        // Day first, as the whole file says.
        assert_eq!(
            datetime_with("05/01/2024;093000", ny, true).map(|d| d.to_rfc3339()),
            Some("2024-01-05T09:30:00-05:00".into())
        );
        assert_eq!(
            datetime_with("05/01/2024093000", ny, true).map(|d| d.to_rfc3339()),
            Some("2024-01-05T09:30:00-05:00".into())
        );
    }

    #[test]
    fn dotted_dates_put_the_day_first_and_files_tell_their_order() {
        assert_eq!(date("05.09.2026"), NaiveDate::from_ymd_opt(2026, 9, 5));
        assert_eq!(date("2026.09.05"), NaiveDate::from_ymd_opt(2026, 9, 5));
        assert_eq!(date("05/09/2026"), NaiveDate::from_ymd_opt(2026, 5, 9));
        assert_eq!(
            date_with("05/09/2026", true),
            NaiveDate::from_ymd_opt(2026, 9, 5)
        );
        assert!(day_first(["05/09/2026 10:00", "16/09/2026 09:00"]));
        assert!(!day_first(["05/09/2026 10:00", "09/16/2026 09:00"]));
        assert!(!day_first(["05/09/2026", "2026-09-16"]));
        assert!(day_first(["16/01/2024;093000"]));
        assert!(!day_first(["20240116;093000"]));
    }

    #[test]
    fn zones_of_other_markets() {
        let ny = chrono_tz::America::New_York;
        let s = |t: &str| datetime(t, ny).map(|d| d.to_rfc3339());
        assert_eq!(
            s("06/01/2026 09:21:32 HKT"),
            Some("2026-06-01T09:21:32+08:00".into())
        );
        assert_eq!(
            s("06/01/2026 09:21:32 AEST"),
            Some("2026-06-01T09:21:32+10:00".into())
        );
    }
}
