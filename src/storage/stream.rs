//! Every trade of the journal in id order, a chunk at a time, so that a
//! command can write or sum a large journal without holding it whole.
//!
//! [`Journal::read_trade_chunks`] reads in one read transaction, so that
//! the chunks are one consistent snapshot even while another process writes.
//! The trade table (each trade's events are in its row) and the tag table
//! are each read once, in key order, side by side (a merge join on the
//! trade id): never a query per trade.
//!
//! While it reads, the journal is cached no more than a few megabytes, and
//! only its first [`STREAM_MMAP_BYTES`] are memory-mapped: each page is read
//! once, and a mapped file's pages count in the process's memory as it goes
//! through them. A journal of up to tens of thousands of trades is read
//! through the map, without a system call and a copy for every page; the
//! rest of a larger one is read page by page, in bounded memory.
//!
//! A [`TradeChunk`] holds the rows' text as SQLite returned it; turning it
//! into trades ([`TradeChunk::decode`]: decimals, times, names) is most of
//! the cost of reading, and can be done on another thread while this one
//! reads the next chunk.

use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::types::ValueRef;

use super::events::read_events;
use super::{
    CACHE_KIB, Journal, MMAP_BYTES, StorageError, TradeColumns, trade_from_columns, trade_rows_sql,
};
use crate::domain::{Trade, TradeId};

/// The text columns of a trade row, after its id: symbol, side, multiplier,
/// currency, account, setup, market condition, notes, rate.
const TRADE_TEXTS: usize = 9;

/// The page cache while the trades are read, in KiB.
const STREAM_CACHE_KIB: i64 = 4 << 10;

/// How much of the journal file is memory-mapped while the trades are
/// read: at most this much more memory, to read most journals whole
/// without a system call per page.
const STREAM_MMAP_BYTES: i64 = 16 << 20;

/// Marks a NULL among the ends of [`Texts`].
const NULL: usize = 1 << (usize::BITS - 1);

/// Text values one after the other, as read.
#[derive(Debug, Clone, Default)]
pub(super) struct Texts {
    bytes: Vec<u8>,
    /// Where each value ends in `bytes`, with [`NULL`] set for a NULL.
    ends: Vec<usize>,
}

impl Texts {
    pub(super) fn push(
        &mut self,
        value: ValueRef<'_>,
        what: &'static str,
    ) -> Result<(), StorageError> {
        match value {
            ValueRef::Text(text) => {
                self.bytes.extend_from_slice(text);
                self.ends.push(self.bytes.len());
            }
            ValueRef::Null => self.ends.push(self.bytes.len() | NULL),
            other => {
                return Err(StorageError::Corrupt {
                    what,
                    value: format!("a value of type {}", other.data_type()),
                });
            }
        }
        Ok(())
    }

    /// Appends a BLOB value's bytes, or a NULL.
    pub(super) fn push_blob(
        &mut self,
        value: ValueRef<'_>,
        what: &'static str,
    ) -> Result<(), StorageError> {
        match value {
            ValueRef::Blob(bytes) => {
                self.bytes.extend_from_slice(bytes);
                self.ends.push(self.bytes.len());
                Ok(())
            }
            ValueRef::Null => {
                self.ends.push(self.bytes.len() | NULL);
                Ok(())
            }
            other => Err(StorageError::Corrupt {
                what,
                value: format!("a value of type {}", other.data_type()),
            }),
        }
    }

    /// The number of values.
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of value `i`, `None` for a NULL.
    pub(super) fn optional(&self, i: usize) -> Option<&[u8]> {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] & !NULL,
        };
        let end = self.ends[i];
        (end & NULL == 0).then(|| &self.bytes[start..end])
    }

    /// The bytes of value `i`, which may not be NULL.
    pub(super) fn bytes(&self, i: usize, what: &'static str) -> Result<&[u8], StorageError> {
        self.optional(i).ok_or_else(|| StorageError::Corrupt {
            what,
            value: "NULL".to_owned(),
        })
    }

    /// Value `i` as text, which may not be NULL.
    pub(super) fn text(&self, i: usize, what: &'static str) -> Result<&str, StorageError> {
        let bytes = self.bytes(i, what)?;
        std::str::from_utf8(bytes).map_err(|_| StorageError::Corrupt {
            what,
            value: String::from_utf8_lossy(bytes).into_owned(),
        })
    }
}

/// Some consecutive trades of the journal (by id) with their events and
/// tags, as read and not yet decoded ([`TradeChunk::decode`]).
#[derive(Debug, Clone, Default)]
pub struct TradeChunk {
    ids: Vec<i64>,
    stops_known: Vec<bool>,
    /// [`TRADE_TEXTS`] per trade.
    trades: Texts,
    /// Each trade's events, as kept (see [`super::events`]).
    events: Texts,
    /// For each tag, the index of its trade in `ids`.
    tag_owner: Vec<u32>,
    tags: Texts,
}

impl TradeChunk {
    /// The number of trades.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the chunk holds no trade.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The trades' ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = TradeId> + '_ {
        self.ids.iter().map(|&id| TradeId(id))
    }

    /// The trades, in id order, with their events (in their order) and tags.
    pub fn decode(&self) -> Result<Vec<(TradeId, Trade)>, StorageError> {
        let mut trades = Vec::with_capacity(self.ids.len());
        for (i, (&id, &stops_known)) in self.ids.iter().zip(&self.stops_known).enumerate() {
            let mut trade = trade_of(&self.trades, i * TRADE_TEXTS, true, stops_known)?;
            trade.events = read_events(self.events.bytes(i, "events")?)?;
            trades.push((TradeId(id), trade));
        }
        for (t, &owner) in self.tag_owner.iter().enumerate() {
            let tag = self.tags.text(t, "tag")?.to_owned();
            trades[owner as usize].1.tags.push(tag);
        }
        Ok(trades)
    }
}

/// The trade (without events or tags) whose text columns start at `base`
/// of `texts`: symbol, side, multiplier, currency, account, setup, market
/// condition, then its notes when `with_notes` (else it has none), then
/// its rate.
pub(super) fn trade_of(
    texts: &Texts,
    base: usize,
    with_notes: bool,
    stops_known: bool,
) -> Result<Trade, StorageError> {
    let text = |column: usize, what| texts.text(base + column, what);
    let rate = if with_notes { 8 } else { 7 };
    trade_from_columns(TradeColumns {
        symbol: text(0, "symbol")?.to_owned(),
        side: text(1, "side")?,
        multiplier: text(2, "multiplier")?,
        currency: text(3, "currency")?.to_owned(),
        account: text(4, "account")?.to_owned(),
        setup: text(5, "setup")?.to_owned(),
        market_condition: text(6, "market condition")?,
        notes: if with_notes {
            text(7, "notes")?.to_owned()
        } else {
            String::new()
        },
        rate: text(rate, "rate")?,
        stops_known,
    })
}

/// The index in `ids` (in order) of trade `id`, looking forward from
/// `cursor`: the trade a tag or kept row read in id order belongs to.
pub(super) fn owner(ids: &[i64], cursor: &mut usize, id: i64) -> Result<u32, StorageError> {
    while *cursor < ids.len() && ids[*cursor] < id {
        *cursor += 1;
    }
    match ids.get(*cursor) {
        // A chunk holds far fewer than 2^32 trades.
        Some(&found) if found == id => Ok(*cursor as u32),
        _ => Err(missing_trade(id)),
    }
}

/// Runs `read`, which goes through the whole journal once, with a small
/// memory map and page cache (see the module's doc), then puts the
/// journal's own back.
pub(super) fn reading_through<T, E: From<StorageError>>(
    conn: &rusqlite::Connection,
    read: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    conn.pragma_update(None, "mmap_size", STREAM_MMAP_BYTES)
        .and_then(|()| conn.pragma_update(None, "cache_size", -STREAM_CACHE_KIB))
        .map_err(StorageError::from)?;
    let result = read();
    let restored = conn
        .pragma_update(None, "mmap_size", MMAP_BYTES)
        .and_then(|()| conn.pragma_update(None, "cache_size", -CACHE_KIB));
    let value = result?;
    restored.map_err(StorageError::from)?;
    Ok(value)
}

pub(super) fn missing_trade(id: i64) -> StorageError {
    StorageError::Corrupt {
        what: "tag or kept row of a missing trade",
        value: id.to_string(),
    }
}

impl Journal {
    /// Every trade in id order, `size` trades at a time (the last chunk may
    /// hold fewer), each chunk handed to `each` as it is read. All of it is
    /// read in one read transaction: the chunks are one snapshot of the
    /// journal. The first error (of reading, or returned by `each`) stops
    /// the reading and is returned.
    pub fn read_trade_chunks<E: From<StorageError>>(
        &self,
        size: usize,
        mut each: impl FnMut(TradeChunk) -> Result<(), E>,
    ) -> Result<(), E> {
        reading_through(&self.conn, || self.read_chunks(size.max(1), &mut each))
    }

    fn read_chunks<E: From<StorageError>>(
        &self,
        size: usize,
        each: &mut impl FnMut(TradeChunk) -> Result<(), E>,
    ) -> Result<(), E> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(StorageError::from)?;
        {
            let mut trade_stmt = tx
                .prepare_cached(trade_rows_sql())
                .map_err(StorageError::from)?;
            let mut tag_stmt = tx
                .prepare_cached("SELECT trade_id, tag FROM trade_tag ORDER BY trade_id, position")
                .map_err(StorageError::from)?;
            let mut trade_rows = trade_stmt.query([]).map_err(StorageError::from)?;
            let mut tag_rows = tag_stmt.query([]).map_err(StorageError::from)?;
            tag_rows.advance().map_err(StorageError::from)?;
            loop {
                let chunk = next_chunk(size, &mut trade_rows, &mut tag_rows)?;
                if chunk.is_empty() {
                    break;
                }
                each(chunk)?;
            }
            // Tags left over belong to no trade.
            if let Some(row) = tag_rows.get() {
                return Err(missing_trade(row.get(0).map_err(StorageError::from)?).into());
            }
        }
        tx.commit().map_err(StorageError::from)?;
        Ok(())
    }

    /// [`Journal::read_trade_chunks`], each chunk decoded.
    pub fn for_each_trade_chunk<E: From<StorageError>>(
        &self,
        size: usize,
        mut each: impl FnMut(Vec<(TradeId, Trade)>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.read_trade_chunks(size, |chunk| each(chunk.decode()?))
    }
}

/// Reads up to `size` trades with their events, then their tags (the rows
/// whose trade id is at most the last trade's).
fn next_chunk(
    size: usize,
    trade_rows: &mut rusqlite::Rows<'_>,
    tag_rows: &mut rusqlite::Rows<'_>,
) -> Result<TradeChunk, StorageError> {
    let mut chunk = TradeChunk {
        ids: Vec::with_capacity(size.min(1 << 16)),
        ..TradeChunk::default()
    };
    while chunk.ids.len() < size {
        let Some(row) = trade_rows.next()? else {
            break;
        };
        chunk.ids.push(row.get(0)?);
        for column in 1..=TRADE_TEXTS {
            chunk.trades.push(row.get_ref(column)?, "trade")?;
        }
        chunk
            .stops_known
            .push(row.get::<_, i64>(TRADE_TEXTS + 1)? != 0);
        chunk.events.push(row.get_ref(TRADE_TEXTS + 2)?, "events")?;
    }
    read_tags(&chunk.ids, tag_rows, &mut chunk.tag_owner, &mut chunk.tags)?;
    Ok(chunk)
}

/// Reads the tag rows (`trade_id, tag`, in trade id order) of the trades
/// `ids`, up to the last of them: each tag into `tags`, its trade's index
/// in `ids` into `owners`.
pub(super) fn read_tags(
    ids: &[i64],
    tag_rows: &mut rusqlite::Rows<'_>,
    owners: &mut Vec<u32>,
    tags: &mut Texts,
) -> Result<(), StorageError> {
    let Some(&last) = ids.last() else {
        return Ok(());
    };
    let mut cursor = 0;
    while let Some(row) = tag_rows.get() {
        let id: i64 = row.get(0)?;
        if id > last {
            break;
        }
        owners.push(owner(ids, &mut cursor, id)?);
        tags.push(row.get_ref(1)?, "tag")?;
        tag_rows.advance()?;
    }
    Ok(())
}
