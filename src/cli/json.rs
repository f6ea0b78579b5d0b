//! Pretty-printed JSON, written a value at a time with exactly the bytes
//! serde_json's pretty printer gives the whole document.
//!
//! [`Pretty`] is a serde_json formatter that starts at a given depth, so
//! that an element serialized alone has the bytes it has inside its
//! document. [`push_element`] writes the values the commands write over
//! and over (trades, by the thousand) with [`Fast`], a serializer for the
//! common shapes (structs, sequences, strings, integers, booleans, options)
//! that writes keys and plain strings as they are instead of scanning them
//! byte by byte for escapes as serde_json does. Any other value, or a string
//! that needs escaping, is written by serde_json with [`Pretty`] at the
//! same depth, so the bytes never differ.

use std::fmt;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Writes JSON as serde_json's pretty printer does (two spaces per level),
/// starting at a given depth: a value serialized alone with it has the
/// bytes it has inside a document at that depth.
#[derive(Debug, Clone, Copy)]
pub struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// A formatter for a value at `depth` (0 for the document itself).
    pub fn at(depth: usize) -> Pretty {
        Pretty {
            depth,
            has_value: false,
        }
    }
}

fn indent<W: ?Sized + Write>(out: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    let mut left = depth * 2;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.write_all(&SPACES[..n])?;
        left -= n;
    }
    Ok(())
}

/// Writes the comma (unless `first`), the new line and the indent before
/// an element or key at `depth`: in one write for the usual depths.
fn new_line<W: ?Sized + Write>(out: &mut W, depth: usize, first: bool) -> io::Result<()> {
    const LINE: &[u8] = b",\n                                                              ";
    let end = 2 + depth * 2;
    let start = usize::from(first);
    match LINE.get(start..end) {
        Some(bytes) => out.write_all(bytes),
        None => {
            out.write_all(&LINE[start..2])?;
            indent(out, depth)
        }
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            indent(out, self.depth)?;
        }
        out.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        new_line(out, self.depth, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            out.write_all(b"\n")?;
            indent(out, self.depth)?;
        }
        out.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        new_line(out, self.depth, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Appends `value` to `out` as an element of a pretty-printed array whose
/// elements sit at `depth`: the separator, the indent, the value.
pub(super) fn push_element<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
    depth: usize,
    first: bool,
) -> io::Result<()> {
    new_line(out, depth, first)?;
    push_value(out, value, depth)
}

/// Appends `value`, sitting at `depth`, as serde_json with [`Pretty`] writes
/// it: with [`Fast`] where it can, else (the bytes `Fast` wrote taken back)
/// with serde_json.
fn push_value<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T, depth: usize) -> io::Result<()> {
    let mark = out.len();
    if value.serialize(Fast { out, depth }).is_ok() {
        return Ok(());
    }
    out.truncate(mark);
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, Pretty::at(depth));
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// What [`Fast`] leaves to serde_json: a value of another shape, a string
/// that needs escaping, or an error of the value's own (which serde_json
/// then meets again, and reports).
#[derive(Debug)]
pub(crate) struct LeftToSerdeJson;

impl fmt::Display for LeftToSerdeJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for LeftToSerdeJson {}

impl ser::Error for LeftToSerdeJson {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        LeftToSerdeJson
    }
}

/// Whether serde_json escapes any byte of `text`: a control character, a
/// quote or a backslash. (It writes every other byte as it is.) Looked for
/// eight bytes at a time, in a word.
fn needs_escaping(text: &str) -> bool {
    let (words, rest) = text.as_bytes().as_chunks::<8>();
    if words
        .iter()
        .any(|word| word_needs_escaping(u64::from_ne_bytes(*word)))
    {
        return true;
    }
    // The last bytes, made up to a word with spaces (never escaped).
    let mut last = [b' '; 8];
    last[..rest.len()].copy_from_slice(rest);
    word_needs_escaping(u64::from_ne_bytes(last))
}

/// Whether any of the eight bytes of `word` is below 0x20, a quote or a
/// backslash. Subtracting `v` (at most 0x80) from every byte of a word and
/// keeping the bits the word does not have leaves a high bit set if and
/// only if some byte is below `v` (a borrow only changes the bytes above
/// one that borrowed); a byte equal to `c` is a zero byte of `word ^ c`,
/// one below 1.
fn word_needs_escaping(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH_BITS: u64 = ONES * 0x80;
    let below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word;
    let control = below(word, 0x20);
    let quote = below(word ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(word ^ (ONES * u64::from(b'\\')), 1);
    (control | quote | backslash) & HIGH_BITS != 0
}

/// A serializer that appends a value sitting at `depth` to `out`, as
/// serde_json with [`Pretty`] does, for the shapes it knows; any other
/// fails with [`LeftToSerdeJson`] (see [`push_value`]).
pub(crate) struct Fast<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
}

/// A struct or sequence being written by [`Fast`]: its members sit one
/// level deeper than it.
pub(crate) struct FastCompound<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
    first: bool,
}

impl FastCompound<'_> {
    /// Writes the separator and indent of the next member.
    fn next_line(&mut self) {
        // Writing to a vector does not fail.
        let _ = new_line(self.out, self.depth + 1, self.first);
        self.first = false;
    }

    /// Closes the compound with `close`, on a line of its own unless empty.
    fn close(self, close: u8) {
        if !self.first {
            self.out.push(b'\n');
            // Writing to a vector does not fail.
            let _ = indent(self.out, self.depth);
        }
        self.out.push(close);
    }
}

impl<'a> Fast<'a> {
    fn integer(self, value: impl itoa::Integer) -> Result<(), LeftToSerdeJson> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        Ok(())
    }

    fn open(self, open: u8) -> FastCompound<'a> {
        self.out.push(open);
        FastCompound {
            out: self.out,
            depth: self.depth,
            first: true,
        }
    }
}

impl<'a> ser::Serializer for Fast<'a> {
    type Ok = ();
    type Error = LeftToSerdeJson;
    type SerializeSeq = FastCompound<'a>;
    type SerializeTuple = Impossible<(), LeftToSerdeJson>;
    type SerializeTupleStruct = Impossible<(), LeftToSerdeJson>;
    type SerializeTupleVariant = Impossible<(), LeftToSerdeJson>;
    type SerializeMap = Impossible<(), LeftToSerdeJson>;
    type SerializeStruct = FastCompound<'a>;
    type SerializeStructVariant = Impossible<(), LeftToSerdeJson>;

    fn serialize_bool(self, value: bool) -> Result<(), LeftToSerdeJson> {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_i16(self, value: i16) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_i32(self, value: i32) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_i64(self, value: i64) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_u8(self, value: u8) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_u16(self, value: u16) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_u32(self, value: u32) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_u64(self, value: u64) -> Result<(), LeftToSerdeJson> {
        self.integer(value)
    }

    fn serialize_f32(self, _value: f32) -> Result<(), LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_f64(self, _value: f64) -> Result<(), LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_char(self, _value: char) -> Result<(), LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_str(self, value: &str) -> Result<(), LeftToSerdeJson> {
        if needs_escaping(value) {
            return Err(LeftToSerdeJson);
        }
        self.out.reserve(value.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
        Ok(())
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<(), LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_none(self) -> Result<(), LeftToSerdeJson> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), LeftToSerdeJson> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), LeftToSerdeJson> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), LeftToSerdeJson> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), LeftToSerdeJson> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), LeftToSerdeJson> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<FastCompound<'a>, LeftToSerdeJson> {
        Ok(self.open(b'['))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<FastCompound<'a>, LeftToSerdeJson> {
        // serde_json's own values that serialize as structs of a private
        // name (a raw value, a number kept as text) are written its way.
        if name.starts_with('$') {
            return Err(LeftToSerdeJson);
        }
        Ok(self.open(b'{'))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, LeftToSerdeJson> {
        Err(LeftToSerdeJson)
    }
}

impl ser::SerializeSeq for FastCompound<'_> {
    type Ok = ();
    type Error = LeftToSerdeJson;

    fn serialize_element<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), LeftToSerdeJson> {
        self.next_line();
        push_value(self.out, value, self.depth + 1).map_err(|_| LeftToSerdeJson)
    }

    fn end(self) -> Result<(), LeftToSerdeJson> {
        self.close(b']');
        Ok(())
    }
}

impl ser::SerializeStruct for FastCompound<'_> {
    type Ok = ();
    type Error = LeftToSerdeJson;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), LeftToSerdeJson> {
        if needs_escaping(key) {
            return Err(LeftToSerdeJson);
        }
        self.next_line();
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\": ");
        push_value(self.out, value, self.depth + 1).map_err(|_| LeftToSerdeJson)
    }

    fn end(self) -> Result<(), LeftToSerdeJson> {
        self.close(b'}');
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::value::RawValue;

    use super::*;

    /// What serde_json writes for `value` as an element at `depth`.
    fn serde_json_element<T: Serialize>(value: &T, depth: usize, first: bool) -> Vec<u8> {
        let mut out = Vec::new();
        new_line(&mut out, depth, first).unwrap();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, Pretty::at(depth));
        value.serialize(&mut serializer).unwrap();
        out
    }

    fn element<T: Serialize>(value: &T, depth: usize, first: bool) -> Vec<u8> {
        let mut out = b"[".to_vec();
        push_element(&mut out, value, depth, first).unwrap();
        out.split_off(1)
    }

    #[derive(Serialize)]
    enum Kind {
        Plain,
        Wrapped(u8),
    }

    #[derive(Serialize)]
    struct Inner {
        text: String,
        number: Option<i64>,
        kind: Kind,
        flags: Vec<bool>,
    }

    #[derive(Serialize)]
    struct Everything {
        id: u64,
        negative: i32,
        text: String,
        nothing: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        ratio: f64,
        letter: char,
        wide: i128,
        raw: Box<RawValue>,
        map: BTreeMap<String, u8>,
        pair: (u8, u8),
        empty_list: Vec<Inner>,
        empty_struct: Empty,
        inners: Vec<Inner>,
        wrapped: Kind,
        unit: (),
    }

    #[derive(Serialize)]
    struct Empty {}

    fn inner(text: &str, number: Option<i64>, kind: Kind) -> Inner {
        Inner {
            text: text.to_owned(),
            number,
            kind,
            flags: vec![true, false],
        }
    }

    #[test]
    fn every_shape_is_written_as_serde_json_writes_it() {
        let value = Everything {
            id: u64::MAX,
            negative: i32::MIN,
            text: "plain text, é and ✓".to_owned(),
            nothing: None,
            skipped: None,
            ratio: 0.1,
            letter: 'x',
            wide: i128::MIN,
            raw: RawValue::from_string("{\"kept\": [1,2]}".to_owned()).unwrap(),
            map: BTreeMap::from([("a".to_owned(), 1), ("b\n".to_owned(), 2)]),
            pair: (1, 2),
            empty_list: Vec::new(),
            empty_struct: Empty {},
            inners: vec![
                inner("needs \"escaping\"\n\t\u{1}\\", Some(-3), Kind::Plain),
                inner("", None, Kind::Wrapped(4)),
            ],
            wrapped: Kind::Wrapped(9),
            unit: (),
        };
        for depth in 0..4 {
            for first in [true, false] {
                assert_eq!(
                    String::from_utf8(element(&value, depth, first)).unwrap(),
                    String::from_utf8(serde_json_element(&value, depth, first)).unwrap()
                );
            }
        }
        let deep = vec![vec![vec![inner("deep", Some(1), Kind::Plain)]], vec![]];
        assert_eq!(
            element(&deep, 40, false),
            serde_json_element(&deep, 40, false)
        );
        assert_eq!(
            element(&OddKey { odd: 1 }, 1, true),
            serde_json_element(&OddKey { odd: 1 }, 1, true)
        );
    }

    #[derive(Serialize)]
    struct OddKey {
        #[serde(rename = "odd \"key\"")]
        odd: u8,
    }

    /// Every character below 0x80, and a few beyond, at every place of
    /// strings of up to 20 characters.
    #[test]
    fn a_string_needs_escaping_for_any_one_character_serde_json_escapes() {
        let characters = (0u8..0x80)
            .map(char::from)
            .chain(['é', '✓', '\u{7f}', '\u{10ffff}']);
        for c in characters {
            let escaped = c < ' ' || c == '"' || c == '\\';
            for len in 1..=20 {
                for at in 0..len {
                    let text: String = (0..len).map(|i| if i == at { c } else { 'a' }).collect();
                    assert_eq!(needs_escaping(&text), escaped, "{text:?}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn strings_are_escaped_exactly_when_serde_json_escapes_them(
            bytes in proptest::collection::vec(
                prop_oneof![0u8..0x80, Just(b'"'), Just(b'\\'), 0u8..0x20],
                0..40,
            ),
            tail in ".{0,3}",
        ) {
            let text = String::from_utf8(bytes).unwrap() + &tail;
            let escaped = text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escaping(&text), escaped);
            prop_assert_eq!(element(&text, 1, false), serde_json_element(&text, 1, false));
        }
    }
}
