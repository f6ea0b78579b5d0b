//! Dates and times as the user types and reads them: in a chosen time zone,
//! with the offset spelled out only when it differs from that zone's.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The time zone in which times are shown and typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Zone {
    /// The computer's local time zone.
    #[default]
    Local,
    /// A named IANA time zone, e.g. `America/New_York`.
    Named(String),
}

impl Zone {
    /// Parses `Local`, `UTC` or an IANA name.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("local") {
            return Ok(Zone::Local);
        }
        text.parse::<chrono_tz::Tz>()
            .map(|tz| Zone::Named(tz.name().to_owned()))
            .map_err(|_| format!("{text:?} is not a time zone; try Local, UTC or America/New_York"))
    }

    /// The zone's name as the user typed it.
    pub fn name(&self) -> &str {
        match self {
            Zone::Local => "Local",
            Zone::Named(name) => name,
        }
    }

    fn tz(&self) -> Option<chrono_tz::Tz> {
        match self {
            Zone::Local => None,
            Zone::Named(name) => name.parse().ok(),
        }
    }

    /// The zone as an IANA zone, for the filters' calendar dates: a named
    /// zone, or the computer's zone when its name can be found.
    pub fn calendar(&self) -> Option<chrono_tz::Tz> {
        static LOCAL: std::sync::OnceLock<Option<chrono_tz::Tz>> = std::sync::OnceLock::new();
        match self {
            Zone::Local => *LOCAL.get_or_init(|| {
                iana_time_zone::get_timezone()
                    .ok()
                    .and_then(|name| name.parse().ok())
            }),
            Zone::Named(_) => self.tz(),
        }
    }

    /// The zone's UTC offset at the instant `utc`.
    pub fn offset_at(&self, utc: NaiveDateTime) -> FixedOffset {
        match self.tz() {
            Some(tz) => tz.offset_from_utc_datetime(&utc).fix(),
            None => Local.offset_from_utc_datetime(&utc).fix(),
        }
    }

    /// `at` converted to this zone.
    pub fn convert(&self, at: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.offset_at(at.naive_utc()))
    }

    /// The instant a wall-clock time in this zone names, or why it names none or two.
    pub fn from_local(&self, naive: NaiveDateTime) -> Result<DateTime<FixedOffset>, String> {
        let result = match self.tz() {
            Some(tz) => tz.from_local_datetime(&naive).map(|t| t.fixed_offset()),
            None => Local.from_local_datetime(&naive).map(|t| t.fixed_offset()),
        };
        match result {
            chrono::LocalResult::Single(at) => Ok(at),
            chrono::LocalResult::Ambiguous(..) => Err(format!(
                "{naive} happens twice in {} (clocks went back); add the offset, e.g. {} -05:00",
                self.name(),
                naive.format("%Y-%m-%d %H:%M")
            )),
            chrono::LocalResult::None => Err(format!(
                "{naive} does not exist in {} (clocks went forward)",
                self.name()
            )),
        }
    }

    /// A time for a table: `2025-03-04 09:35` in this zone.
    pub fn short(&self, at: DateTime<FixedOffset>) -> String {
        self.convert(at).format("%Y-%m-%d %H:%M").to_string()
    }

    /// The date of `at` in this zone.
    pub fn date(&self, at: DateTime<FixedOffset>) -> NaiveDate {
        self.convert(at).date_naive()
    }

    /// A time for the editor, which [`Zone::parse_time`] reads back to the same
    /// instant *and* offset: wall-clock time in this zone when the offsets agree,
    /// with the event's own offset appended when they do not.
    pub fn editable(&self, at: DateTime<FixedOffset>) -> String {
        let wall = if at.timestamp_subsec_nanos() != 0 {
            "%Y-%m-%d %H:%M:%S%.f"
        } else if at.format("%S").to_string() != "00" {
            "%Y-%m-%d %H:%M:%S"
        } else {
            "%Y-%m-%d %H:%M"
        };
        if self.offset_at(at.naive_utc()) == *at.offset() {
            at.format(wall).to_string()
        } else {
            format!("{} {}", at.format(wall), at.format("%:z"))
        }
    }

    /// Reads a time typed by the user: `2025-03-04 09:35` (in this zone),
    /// with optional seconds, and optionally followed by an offset
    /// (`-05:00`) or written in RFC 3339.
    pub fn parse_time(&self, text: &str) -> Result<DateTime<FixedOffset>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("enter a date and time, e.g. 2025-03-04 09:35".to_owned());
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(at);
        }
        const WITH_OFFSET: [&str; 4] = [
            "%Y-%m-%d %H:%M:%S%.f %:z",
            "%Y-%m-%d %H:%M %:z",
            "%Y-%m-%d %H:%M:%S%.f%:z",
            "%Y-%m-%d %H:%M%:z",
        ];
        for format in WITH_OFFSET {
            if let Ok(at) = DateTime::parse_from_str(text, format) {
                return Ok(at);
            }
        }
        if text.ends_with('Z') || text.ends_with(" UTC") {
            let naive = text.trim_end_matches('Z').trim_end_matches(" UTC");
            if let Some(naive) = parse_naive(naive) {
                return Ok(Utc.from_utc_datetime(&naive).fixed_offset());
            }
        }
        match parse_naive(text) {
            Some(naive) => self.from_local(naive),
            None => Err(format!(
                "{text:?} is not a date and time; write it like 2025-03-04 09:35"
            )),
        }
    }

    /// The current time in this zone, to the minute.
    pub fn now(&self) -> DateTime<FixedOffset> {
        use chrono::Timelike;
        let at = self.convert(Utc::now().fixed_offset());
        at.with_nanosecond(0)
            .and_then(|t| t.with_second(0))
            .unwrap_or(at)
    }
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// Reads a date typed as `2025-03-04`; empty text is no date.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{text:?} is not a date like 2025-03-04"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn named_zone_round_trips_wall_clock_and_offset() {
        let zone = Zone::parse("America/New_York").unwrap();
        let at = zone.parse_time("2025-03-04 09:35").unwrap();
        assert_eq!(at.to_rfc3339(), "2025-03-04T09:35:00-05:00");
        assert_eq!(zone.editable(at), "2025-03-04 09:35");
        let foreign = DateTime::parse_from_rfc3339("2025-03-04T15:35:30+01:00").unwrap();
        let text = zone.editable(foreign);
        assert_eq!(text, "2025-03-04 15:35:30 +01:00");
        assert_eq!(zone.parse_time(&text).unwrap(), foreign);
        assert_eq!(zone.parse_time(&text).unwrap().offset(), foreign.offset());
    }

    #[test]
    fn impossible_and_ambiguous_local_times_are_explained() {
        let zone = Zone::parse("America/New_York").unwrap();
        assert!(
            zone.parse_time("2025-03-09 02:30")
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            zone.parse_time("2025-11-02 01:30")
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            zone.parse_time("yesterday")
                .unwrap_err()
                .contains("not a date")
        );
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
