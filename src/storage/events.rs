//! A trade's events as the journal keeps them: in the trade's own row, as
//! one JSON array in the trade's order. An entry or exit is
//! `["entry", time, quantity, price, fee]`, a stop or target
//! `["stop", time, price]`; times as [`crate::domain::write_time`] writes them and
//! decimals as [`super::write_decimal`] does, all as JSON strings, so that
//! nothing is rounded and SQL's JSON functions (and the `event` view) can
//! read them.
//!
//! Events are only ever read and written with their trade, so a trade is
//! one row to read or write rather than one per event.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};

use super::{StorageError, event_from_columns, write_decimal};
use crate::domain::Event;
use crate::domain::write_time;

/// Appends `events` as the journal keeps them.
pub(super) fn write_events(out: &mut String, events: &[Event]) {
    // Every value is a kind's fixed name, a time or a decimal, whose text
    // is ASCII digits, signs, `.`, `:` and `T`: nothing JSON escapes, so
    // the strings are written between quotes as they are.
    out.push('[');
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("[\"");
        out.push_str(event.kind.name());
        out.push_str("\",\"");
        write_time(out, &event.at);
        out.push_str("\",\"");
        if let Some(fill) = event.kind.fill() {
            write_decimal(out, fill.qty);
            out.push_str("\",\"");
            write_decimal(out, fill.price);
            out.push_str("\",\"");
            write_decimal(out, fill.fee);
        } else {
            write_decimal(out, event.kind.price());
        }
        out.push_str("\"]");
    }
    out.push(']');
}

/// `events` as the journal keeps them.
pub(super) fn events_text(events: &[Event]) -> String {
    let mut out = String::with_capacity(2 + events.len() * 64);
    write_events(&mut out, events);
    out
}

/// The events kept as `text`.
pub(super) fn read_events(text: &[u8]) -> Result<Vec<Event>, StorageError> {
    let corrupt = || StorageError::Corrupt {
        what: "events",
        value: String::from_utf8_lossy(text).into_owned(),
    };
    let stored = match as_written(text) {
        Some(stored) => stored,
        None => serde_json::from_slice::<Vec<StoredEvent<'_>>>(text).map_err(|_| corrupt())?,
    };
    stored
        .iter()
        .map(|stored| {
            let [kind, at, qty, price, fee] = stored.texts.each_ref().map(|text| &**text);
            let event = if stored.len == 5 {
                event_from_columns(kind, at, Some(qty), price, Some(fee))?
            } else {
                // Three strings: kind, time and price.
                event_from_columns(kind, at, None, qty, None)?
            };
            // Only entries and exits have a quantity and a fee.
            if event.kind.fill().is_some() != (stored.len == 5) {
                return Err(StorageError::Corrupt {
                    what: "event",
                    value: stored.texts[..stored.len]
                        .iter()
                        .map(|text| String::from_utf8_lossy(text))
                        .collect::<Vec<_>>()
                        .join(","),
                });
            }
            Ok(event)
        })
        .collect()
}

/// The events' strings when `text` is exactly as [`write_events`] writes
/// it (no space, no escape), found without a JSON parser, which takes
/// several times as long; `None` for any other text, which serde_json
/// reads. (Every string goes on to the strict parsers of kinds, times and
/// decimals, which take nothing a JSON string would need to escape.)
fn as_written(text: &[u8]) -> Option<Vec<StoredEvent<'_>>> {
    let mut rest = text.strip_prefix(b"[")?;
    let mut events = Vec::with_capacity(4);
    if rest == b"]" {
        return Some(events);
    }
    loop {
        rest = rest.strip_prefix(b"[")?;
        let mut event = StoredEvent::new();
        loop {
            rest = rest.strip_prefix(b"\"")?;
            let end = rest.iter().position(|&b| b == b'"')?;
            let value = &rest[..end];
            if event.len == event.texts.len() || value.contains(&b'\\') {
                return None;
            }
            event.texts[event.len] = Cow::Borrowed(value);
            event.len += 1;
            match rest[end + 1..].split_first()? {
                (b',', after) => rest = after,
                (b']', after) => {
                    rest = after;
                    break;
                }
                _ => return None,
            }
        }
        if event.len != 3 && event.len != 5 {
            return None;
        }
        events.push(event);
        match rest.split_first()? {
            (b',', after) => rest = after,
            (b']', []) => return Some(events),
            _ => return None,
        }
    }
}

/// One event's strings as kept: five of an entry or exit, three of a stop
/// or target (the rest empty). Borrowed from the text, but where JSON
/// escapes a character.
struct StoredEvent<'a> {
    texts: [Cow<'a, [u8]>; 5],
    len: usize,
}

impl StoredEvent<'_> {
    fn new() -> Self {
        StoredEvent {
            texts: std::array::from_fn(|_| Cow::Borrowed(&b""[..])),
            len: 0,
        }
    }
}

/// A JSON string, borrowed from the text unless it has escapes.
#[derive(Deserialize)]
struct JsonText<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for StoredEvent<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Strings;
        impl<'de> Visitor<'de> for Strings {
            type Value = StoredEvent<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an event: an array of three or five strings")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut event = StoredEvent::new();
                while let Some(JsonText(text)) = seq.next_element()? {
                    if event.len == event.texts.len() {
                        return Err(de::Error::invalid_length(event.len + 1, &self));
                    }
                    event.texts[event.len] = match text {
                        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                    };
                    event.len += 1;
                }
                if event.len != 3 && event.len != 5 {
                    return Err(de::Error::invalid_length(event.len, &self));
                }
                Ok(event)
            }
        }
        deserializer.deserialize_seq(Strings)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, Fill};
    use chrono::{DateTime, FixedOffset};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn events_read_back_as_written() {
        let events = vec![
            Event {
                at: at("2024-03-01T09:35:00.250-05:00"),
                kind: EventKind::Entry(Fill {
                    qty: dec("100"),
                    price: dec("12.50"),
                    fee: dec("1.005"),
                }),
            },
            Event {
                at: at("2024-03-01T09:35:00-05:00"),
                kind: EventKind::Stop { price: dec("-0.5") },
            },
            Event {
                at: at("2024-03-01T10:00:00+01:00"),
                kind: EventKind::Target { price: dec("14") },
            },
            Event {
                at: at("2024-03-01T11:00:00.000000001+00:00"),
                kind: EventKind::Exit(Fill {
                    qty: dec("0.25"),
                    price: dec("13.000"),
                    fee: dec("0"),
                }),
            },
        ];
        let text = events_text(&events);
        assert!(
            text.starts_with(
                r#"[["entry","2024-03-01T09:35:00.250-05:00","100","12.50","1.005"],["stop","#
            ),
            "{text}"
        );
        let read = read_events(text.as_bytes()).unwrap();
        assert_eq!(read, events);
        // Scales are kept: `13.000` stays `13.000`.
        assert_eq!(read[3].kind.price().to_string(), "13.000");
        assert_eq!(read_events(b"[]").unwrap(), Vec::new());
        // What SQL's JSON functions might write instead (spaces, escapes)
        // reads the same.
        let spaced = text.replace(",", ", ").replace("entry", "\\u0065ntry");
        assert!(as_written(spaced.as_bytes()).is_none());
        assert_eq!(read_events(spaced.as_bytes()).unwrap(), events);
    }

    #[test]
    fn malformed_events_are_corrupt() {
        for text in [
            "",
            "{}",
            r#"[["entry","2024-03-01T09:35:00+00:00","100","12.50"]]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00","1","2","3","4"]]"#,
            r#"[["entry","2024-03-01T09:35:00+00:00","1.2.3","12.50","1"]]"#,
            r#"[["entry","yesterday","1","12.50","1"]]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00",12]]"#,
            r#"[["hold","2024-03-01T09:35:00+00:00","12"]]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00","1","2","3"]]"#,
            r#"[["exit","2024-03-01T09:35:00+00:00","12"]]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00","12"]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00","12"]]]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00","12"],]"#,
            r#"[["stop","2024-03-01T09:35:00+00:00","12\"]]"#,
        ] {
            assert!(
                matches!(
                    read_events(text.as_bytes()),
                    Err(StorageError::Corrupt { .. })
                ),
                "{text}"
            );
        }
    }
}
