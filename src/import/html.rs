//! A small, forgiving reader for the HTML and XML that trading platforms write.
//!
//! [`tokens`] splits markup into tags (with attributes) and text, skipping
//! comments, declarations, scripts and styles, and never fails: broken markup
//! gives odd tokens, not errors. [`table_rows`] turns every `<tr>` of a page
//! into a [`Row`] of cell texts (entities decoded, whitespace collapsed,
//! `colspan` expanded, `title` attributes kept as notes, cells of class
//! `hidden` or `display: none` left out of the cells, their text kept as a note), with the line the row starts on.

use super::table::Row;

/// A piece of markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An opening (or self-closing) tag, name in lowercase.
    Open {
        /// Tag name, lowercase.
        name: String,
        /// Attributes as written (names lowercase, values decoded).
        attrs: Vec<(String, String)>,
        /// The byte offset of the `<`.
        offset: usize,
    },
    /// A closing tag, name in lowercase.
    Close {
        /// Tag name, lowercase.
        name: String,
    },
    /// Text between tags, entities decoded.
    Text(String),
}

/// Decodes the character references of HTML and XML.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let end = rest[1..]
            .find(|c: char| c == ';' || c == '&' || c.is_whitespace() || c == '<')
            .map(|e| e + 1);
        let decoded = end
            .filter(|&e| rest.as_bytes().get(e) == Some(&b';'))
            .and_then(|e| {
                let name = &rest[1..e];
                let c = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some('\u{a0}'),
                    _ => {
                        if let Some(hex) =
                            name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                        {
                            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                        } else if let Some(dec) = name.strip_prefix('#') {
                            dec.parse().ok().and_then(char::from_u32)
                        } else {
                            None
                        }
                    }
                };
                c.map(|c| (c, e + 1))
            });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_attrs(text: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = text[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                i += 1;
                let vstart = i;
                while i < b.len() && b[i] != quote {
                    i += 1;
                }
                value = decode_entities(&text[vstart..i]);
                i += 1;
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = decode_entities(&text[vstart..i.min(b.len())]);
            }
        }
        attrs.push((name, value));
    }
    attrs
}

/// Splits markup into tags and text.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    let len = text.len();
    while i < len {
        let Some(rel) = text[i..].find('<') else {
            out.push(Token::Text(decode_entities(&text[i..])));
            break;
        };
        if rel > 0 {
            out.push(Token::Text(decode_entities(&text[i..i + rel])));
        }
        let lt = i + rel;
        let rest = &text[lt..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map(|e| lt + e + 3).unwrap_or(len);
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            let end = rest.find("]]>").unwrap_or(rest.len());
            out.push(Token::Text(rest[9.min(end)..end].to_owned()));
            i = (lt + end + 3).min(len);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map(|e| lt + e + 1).unwrap_or(len);
            continue;
        }
        let Some(gt) = rest.find('>') else {
            out.push(Token::Text(decode_entities(rest)));
            break;
        };
        let inner = &rest[1..gt];
        i = lt + gt + 1;
        if let Some(name) = inner.strip_prefix('/') {
            out.push(Token::Close {
                name: name.trim().to_ascii_lowercase(),
            });
            continue;
        }
        let name_end = inner
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push(Token::Text(decode_entities(&rest[..gt + 1])));
            continue;
        }
        let attrs = parse_attrs(&inner[name_end..]);
        let self_closing = inner.ends_with('/');
        out.push(Token::Open {
            name: name.clone(),
            attrs,
            offset: lt,
        });
        if self_closing {
            out.push(Token::Close { name: name.clone() });
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            let lower = text[i..].to_ascii_lowercase();
            i = lower.find(&close).map(|e| i + e).unwrap_or(len);
        }
    }
    out
}

/// The value of an attribute (name matched without regard to case).
pub fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() && c != '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    // Non-breaking spaces are kept inside numbers ("1 000.00") but not at the ends.
    out.trim_matches(|c: char| c.is_whitespace()).to_owned()
}

/// Every table row of a page, in order.
pub fn table_rows(text: &str) -> Vec<Row> {
    let toks = tokens(text);
    // Line numbers: count newlines up to each row's offset, incrementally.
    let mut lines = super::table::LineCounter::new(text);
    let mut line_at = |offset: usize| lines.line_at(offset);

    let mut rows = Vec::new();
    let mut row: Option<Row> = None;
    let mut cell: Option<(String, usize, bool)> = None; // text, colspan, hidden
    let finish_cell = |row: &mut Option<Row>, cell: &mut Option<(String, usize, bool)>| {
        if let (Some(r), Some((text, span, hidden))) = (row.as_mut(), cell.take()) {
            let text = collapse(&text);
            if hidden {
                // MT5 keeps a position's comment in a hidden spacer cell.
                if !text.is_empty() {
                    r.notes.push(text);
                }
            } else {
                for _ in 0..span.max(1) {
                    r.cells.push(text.clone());
                }
            }
        }
    };
    for tok in toks {
        match tok {
            Token::Open {
                name,
                attrs,
                offset,
            } => match name.as_str() {
                "tr" => {
                    finish_cell(&mut row, &mut cell);
                    if let Some(r) = row.take() {
                        rows.push(r);
                    }
                    row = Some(Row {
                        line: line_at(offset),
                        cells: Vec::new(),
                        notes: Vec::new(),
                    });
                }
                "td" | "th" => {
                    finish_cell(&mut row, &mut cell);
                    if row.is_none() {
                        row = Some(Row {
                            line: line_at(offset),
                            cells: Vec::new(),
                            notes: Vec::new(),
                        });
                    }
                    let span = attr(&attrs, "colspan")
                        .and_then(|s| s.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, 64);
                    let hidden = attr(&attrs, "class")
                        .is_some_and(|c| c.split_whitespace().any(|w| w == "hidden"))
                        || attr(&attrs, "style").is_some_and(|s| {
                            s.to_ascii_lowercase()
                                .replace(' ', "")
                                .contains("display:none")
                        });
                    if let (Some(title), Some(r)) = (attr(&attrs, "title"), row.as_mut())
                        && !title.trim().is_empty()
                    {
                        r.notes.push(title.trim().to_owned());
                    }
                    cell = Some((String::new(), span, hidden));
                }
                "br" | "p" | "div" => {
                    if let Some((text, _, _)) = cell.as_mut() {
                        text.push(' ');
                    }
                }
                _ => {}
            },
            Token::Close { name } => match name.as_str() {
                "td" | "th" => finish_cell(&mut row, &mut cell),
                "tr" | "table" => {
                    finish_cell(&mut row, &mut cell);
                    if let Some(r) = row.take() {
                        rows.push(r);
                    }
                }
                _ => {}
            },
            Token::Text(t) => {
                if let Some((text, _, _)) = cell.as_mut() {
                    text.push_str(&t);
                }
            }
        }
    }
    finish_cell(&mut row, &mut cell);
    if let Some(r) = row.take() {
        rows.push(r);
    }
    rows
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_spans_entities_and_titles() {
        let html = "<table>\n<tr><td title=\"to #2\">1</td><td colspan=2>a&amp;b&nbsp;c</td></tr>\n<tr><td class=hidden>x</td><td>1&#160;000.00</td></table>";
        let rows = table_rows(html);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells, vec!["1", "a&b\u{a0}c", "a&b\u{a0}c"]);
        assert_eq!(rows[0].notes, vec!["to #2"]);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].cells, vec!["1\u{a0}000.00"]);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn broken_markup_does_not_fail() {
        for s in [
            "<",
            "<tr",
            "<td colspan=>",
            "&#xZZ;",
            "<a b='",
            "<!--",
            "<![CDATA[x",
        ] {
            let _ = table_rows(s);
        }
    }
}
