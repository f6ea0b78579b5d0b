//! Rows of cells with their line numbers, and headers matched by name.
//!
//! Every tabular format (CSV, the tables of an HTML report) is read into [`Row`]s.
//! A [`Header`] finds columns by name: case, spaces and punctuation do not
//! matter, and each field is looked up under several aliases, so a column set
//! chosen by the user, in any order, with extra columns, is fine.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;

use super::RowError;
use super::text::{self, normalize_header};

/// One row of a table: its 1-based line in the file and its cells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    /// The 1-based line where the row starts.
    pub line: usize,
    /// The cells, untrimmed.
    pub cells: Vec<String>,
    /// Extra text attached to the row (HTML `title` attributes), if any.
    pub notes: Vec<String>,
}

impl Row {
    /// The trimmed cell at `index`, or `""`.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map(|c| trim(c)).unwrap_or("")
    }

    /// Whether every cell is blank.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    /// The non-blank cells, trimmed.
    pub fn filled(&self) -> impl Iterator<Item = &str> {
        self.cells
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    }
}

/// Turns byte offsets into 1-based line numbers, moving forward only.
///
/// (The csv crate counts a CRLF's line feed on the next record, so its line
/// numbers are off by one in CRLF files; byte offsets are exact.)
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    /// A counter at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// A counter at byte `offset` of `text` (the start of a line), which
    /// is on line `line`.
    pub fn starting_at(text: &'a str, offset: usize, line: usize) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset,
            line,
        }
    }

    /// The line of the record starting at byte `offset` (offsets must not
    /// decrease between calls). Line ends at the offset are skipped.
    pub fn line_at(&mut self, offset: usize) -> usize {
        let mut offset = offset.min(self.bytes.len());
        while offset < self.bytes.len() && matches!(self.bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset > self.offset {
            self.line += count_lines(&self.bytes[self.offset..offset]);
            self.offset = offset;
        }
        self.line
    }
}

/// How many line ends (`\n`) `bytes` holds.
pub fn count_lines(bytes: &[u8]) -> usize {
    // A row's worth of bytes is counted by a loop the compiler turns into
    // vector instructions; setting memchr's searcher up costs more there.
    if bytes.len() < 256 {
        bytes.iter().filter(|&&b| b == b'\n').count()
    } else {
        memchr::memchr_iter(b'\n', bytes).count()
    }
}

/// Picks the delimiter of a CSV from its first lines: comma, semicolon or tab.
pub fn sniff_delimiter(text: &str) -> u8 {
    let sample: Vec<&str> = text.lines().take(20).collect();
    let count = |d: char| sample.iter().map(|l| l.matches(d).count()).sum::<usize>();
    let (comma, semicolon, tab) = (count(','), count(';'), count('\t'));
    if tab > comma && tab >= semicolon {
        b'\t'
    } else if semicolon > comma {
        b';'
    } else {
        b','
    }
}

/// Reads every row of a CSV text (rows may have any number of cells).
pub fn csv_rows(text: &str) -> Vec<Row> {
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let byte = record.position().map(|p| p.byte() as usize).unwrap_or(0);
                let line = lines.line_at(byte);
                rows.push(Row {
                    line,
                    cells: record.iter().map(str::to_owned).collect(),
                    notes: Vec::new(),
                });
            }
            Ok(false) => break,
            // Invalid UTF-8 cannot happen on a &str; other errors end the table.
            Err(_) => break,
        }
    }
    rows
}

/// `144,250` as a number with a decimal point (`144.250`), spaces between
/// thousands dropped; `None` for a cell that is not such a number.
fn comma_number(cell: &str) -> Option<String> {
    let t = cell.trim();
    let (whole, fraction) = t.split_once(',')?;
    let whole: String = whole
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let digits = whole.strip_prefix('-').unwrap_or(&whole);
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit()))
    .then(|| format!("{whole}.{fraction}"))
}

/// Whether a file writes decimal commas, as programs do in the languages
/// that write numbers so: its plain numbers have commas and no decimal
/// points, and some comma is not followed by exactly three digits (which
/// could be a thousands separator). There `30,125`, a silver price, is
/// 30.125, not 30125.
pub fn writes_decimal_commas(rows: &[Row]) -> bool {
    let mut commas = false;
    for cell in rows.iter().flat_map(|r| r.cells.iter()) {
        // Money counts too: "2,36 €", "($4,30)".
        let t = cell.trim().trim_matches(|c: char| {
            matches!(c, '$' | '€' | '£' | '¥' | '(' | ')') || c.is_whitespace()
        });
        if t.contains(':') {
            continue; // times
        }
        if comma_number(t).is_some() {
            let after = t.rsplit(',').next().unwrap_or("");
            commas |= after.len() != 3;
        } else if t.matches('.').count() == 1
            && t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b' '))
        {
            return false; // a decimal point: the file writes points
        }
    }
    commas
}

/// Rewrites every plain number with a decimal comma (`30,125`) with a
/// decimal point, for a file that [`writes_decimal_commas`].
pub fn to_decimal_points(rows: &mut [Row]) {
    for cell in rows.iter_mut().flat_map(|r| r.cells.iter_mut()) {
        if let Some(number) = comma_number(cell) {
            *cell = number;
        }
    }
}

/// Column positions by normalized header name.
#[derive(Debug, Clone, Default)]
pub struct Header {
    positions: HashMap<String, Vec<usize>>,
}

impl Header {
    /// The header of a row of column names.
    pub fn new(row: &Row) -> Self {
        Header::from_names(row.cells.iter().map(String::as_str))
    }

    /// The header of a list of column names.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut positions: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, name) in names.into_iter().enumerate() {
            let key = normalize_header(name);
            if !key.is_empty() {
                positions.entry(key).or_default().push(i);
            }
        }
        Header { positions }
    }

    /// The first column named by any of `aliases` (tried in order).
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        self.find_nth(aliases, 0)
    }

    /// The `n`th (0-based) column named by any of `aliases`, for headers that
    /// repeat a name (MetaTrader's two `Price` columns).
    pub fn find_nth(&self, aliases: &[&str], n: usize) -> Option<usize> {
        aliases
            .iter()
            .find_map(|a| {
                self.positions
                    .get(&normalize_header(a))
                    .and_then(|v| v.get(n))
            })
            .copied()
    }

    /// Another column with the same (normalized) name as column `col`, if
    /// the header repeats it.
    pub fn same_name_as(&self, col: usize) -> Option<usize> {
        self.positions
            .values()
            .find(|positions| positions.contains(&col))
            .and_then(|positions| positions.iter().copied().find(|&p| p != col))
    }

    /// Whether every one of `names` is a column.
    pub fn has_all(&self, names: &[&str]) -> bool {
        names
            .iter()
            .all(|n| self.positions.contains_key(&normalize_header(n)))
    }

    /// How many of `names` are columns.
    pub fn count(&self, names: &[&str]) -> usize {
        names
            .iter()
            .filter(|n| self.positions.contains_key(&normalize_header(n)))
            .count()
    }
}

/// Anything with cells by index: a [`Row`] or a CSV record.
pub trait Cells {
    /// The trimmed cell at `index`, or `""`.
    fn cell(&self, index: usize) -> &str;
}

impl Cells for Row {
    fn cell(&self, index: usize) -> &str {
        Row::cell(self, index)
    }
}

impl Cells for csv::StringRecord {
    fn cell(&self, index: usize) -> &str {
        self.get(index).map(trim).unwrap_or("")
    }
}

pub use crate::domain::trim;

/// The text of an optional column.
pub fn opt_text<R: Cells + ?Sized>(row: &R, col: Option<usize>) -> &str {
    col.map(|c| row.cell(c)).unwrap_or("")
}

/// A required number.
pub fn req_number<R: Cells + ?Sized>(
    row: &R,
    col: usize,
    field: &str,
) -> Result<Decimal, RowError> {
    let cell = row.cell(col);
    if cell.is_empty() {
        return Err(RowError::new(field, "is empty"));
    }
    text::number(cell).ok_or_else(|| RowError::new(field, text::not_a_number(cell)))
}

/// An optional number: empty is `None`, unreadable is an error.
pub fn opt_number<R: Cells + ?Sized>(
    row: &R,
    col: Option<usize>,
    field: &str,
) -> Result<Option<Decimal>, RowError> {
    let Some(col) = col else { return Ok(None) };
    let cell = row.cell(col);
    if cell.is_empty() || cell == "-" || cell.eq_ignore_ascii_case("n/a") || cell == "--" {
        return Ok(None);
    }
    text::number(cell)
        .map(Some)
        .ok_or_else(|| RowError::new(field, text::not_a_number(cell)))
}

/// A required date and time.
pub fn req_datetime<R: Cells + ?Sized>(
    row: &R,
    col: usize,
    field: &str,
    tz: chrono_tz::Tz,
) -> Result<DateTime<FixedOffset>, RowError> {
    let cell = row.cell(col);
    if cell.is_empty() {
        return Err(RowError::new(field, "is empty"));
    }
    let at = text::datetime(cell, tz).ok_or_else(|| {
        RowError::new(
            field,
            format!("{} is not a date and time", text::quoted(cell)),
        )
    })?;
    text::plausible_year(at).map_err(|message| RowError::new(field, message))
}

/// A fee: commissions are often written negative; the fee is the cost, so
/// its magnitude. Empty is zero.
pub fn fee<R: Cells + ?Sized>(
    row: &R,
    cols: &[Option<usize>],
    field: &str,
) -> Result<Decimal, RowError> {
    let mut total = Decimal::ZERO;
    for col in cols {
        if let Some(v) = opt_number(row, *col, field)? {
            total += v.abs();
        }
    }
    Ok(total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rows(cells: &[&[&str]]) -> Vec<Row> {
        cells
            .iter()
            .enumerate()
            .map(|(i, r)| Row {
                line: i + 1,
                cells: r.iter().map(|c| (*c).to_owned()).collect(),
                notes: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn decimal_commas_are_told_by_the_whole_file() {
        // Three-decimal prices alone could be thousands; the money says not.
        let german = rows(&[
            &["SI 07-26", "30,125", "2,36 €"],
            &["SI 07-26", "30,250", "(2,36 €)"],
        ]);
        assert!(writes_decimal_commas(&german));
        let mut converted = german.clone();
        to_decimal_points(&mut converted);
        assert_eq!(converted[0].cells[1], "30.125");
        assert_eq!(converted[0].cells[2], "2,36 €");
        // Thousands separators and decimal points.
        assert!(!writes_decimal_commas(&rows(&[&[
            "NQ",
            "18,200",
            "$1,250.00"
        ]])));
        assert!(!writes_decimal_commas(&rows(&[&[
            "EURUSD", "1,5", "1.08533"
        ]])));
        assert!(!writes_decimal_commas(&rows(&[&[
            "2024.03.04 10:00:00",
            "1 000"
        ]])));
    }
}
