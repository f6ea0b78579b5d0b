//! Reading every trade on several connections at once, for the app's start.
//!
//! The trades are split into ranges of ids of about the same number of
//! trades; each range is read in one read transaction on a connection of its
//! own, on a thread of its own, and each trade is handed to the caller's
//! function on the thread that read it (the app analyses it there). The
//! ranges must all have seen the same state of the journal: `PRAGMA
//! data_version`, taken on every connection before and after, says whether
//! another connection committed meanwhile; if one did, everything is read
//! again (and in the end on one connection, in one transaction).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{BUSY_TIMEOUT, Journal, StorageError, find_from, read_trade_row};
use crate::domain::{Trade, TradeId};

/// How many times the ranges are read before reading on one connection.
const TRIES: usize = 3;

impl Journal {
    /// Every trade, in id order, each passed through `map` on the thread that
    /// read it. A journal on disk is read on up to `parts` connections at
    /// once (see the module's documentation); an in-memory or read-only one,
    /// or a small one, on its own connection. Either way every trade comes
    /// from one and the same state of the journal.
    pub fn map_trades<T, F>(&self, parts: usize, map: F) -> Result<Vec<T>, StorageError>
    where
        T: Send,
        F: Fn(TradeId, Trade) -> T + Sync,
    {
        let count = self.trade_count()?;
        let parts = parts.clamp(1, 16).min(count / 1000 + 1);
        if parts > 1
            && !self.read_only
            && let Some(path) = self.path.as_deref()
        {
            // Without a second connection, everything is read on this one.
            if let Ok(mut others) = (1..parts)
                .map(|_| reader(path))
                .collect::<Result<Vec<_>, _>>()
            {
                for _ in 0..TRIES {
                    if let Some(read) = self.read_in_parts(&mut others, &map)? {
                        return Ok(read);
                    }
                }
            }
        }
        let tx = self.conn.unchecked_transaction()?;
        let read = read_range(&tx, i64::MIN, i64::MAX, &map)?;
        tx.commit()?;
        Ok(read)
    }

    /// One try at reading the ranges on this connection and `others`;
    /// `None` when the journal changed meanwhile.
    fn read_in_parts<T, F>(
        &self,
        others: &mut [Connection],
        map: &F,
    ) -> Result<Option<Vec<T>>, StorageError>
    where
        T: Send,
        F: Fn(TradeId, Trade) -> T + Sync,
    {
        let before = versions(&self.conn, others)?;
        let bounds = self.range_bounds(others.len() + 1)?;
        let read = std::thread::scope(|scope| {
            let handles: Vec<_> = others
                .iter_mut()
                .zip(bounds.windows(2).skip(1))
                .map(|(conn, range)| {
                    let (low, high) = (range[0], range[1].saturating_sub(1));
                    scope.spawn(move || read_in_transaction(&*conn, low, high, map))
                })
                .collect();
            let mut all =
                read_in_transaction(&self.conn, bounds[0], bounds[1].saturating_sub(1), map)?;
            for handle in handles {
                let part = handle.join().map_err(|_| StorageError::Corrupt {
                    what: "a thread reading trades",
                    value: "it panicked".to_owned(),
                })??;
                all.extend(part);
            }
            Ok::<_, StorageError>(all)
        })?;
        let after = versions(&self.conn, others)?;
        Ok((before == after).then_some(read))
    }

    /// `parts + 1` ids: range `i` is from `bounds[i]` to `bounds[i + 1] - 1`.
    fn range_bounds(&self, parts: usize) -> Result<Vec<i64>, StorageError> {
        let count = self.trade_count()? as i64;
        let mut bounds = vec![i64::MIN];
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM trade ORDER BY id LIMIT 1 OFFSET ?1")?;
        for part in 1..parts {
            let offset = count * part as i64 / parts as i64;
            let id: Option<i64> = stmt
                .query_row([offset], |row| row.get(0))
                .map(Some)
                .or_else(|err| match err {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    err => Err(err),
                })?;
            let last = bounds.last().copied().unwrap_or(i64::MIN);
            bounds.push(id.unwrap_or(i64::MAX).max(last));
        }
        bounds.push(i64::MAX);
        Ok(bounds)
    }
}

/// A second connection to the journal, for reading only.
fn reader(path: &Path) -> Result<Connection, StorageError> {
    let open_error = |source| StorageError::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    super::steady_plans(&conn).map_err(open_error)?;
    Ok(conn)
}

/// `PRAGMA data_version` of every connection: it changes when another
/// connection commits.
fn versions(main: &Connection, others: &[Connection]) -> Result<Vec<i64>, StorageError> {
    std::iter::once(main)
        .chain(others)
        .map(|conn| Ok(conn.query_row("PRAGMA data_version", [], |row| row.get(0))?))
        .collect()
}

fn read_in_transaction<T, F>(
    conn: &Connection,
    low: i64,
    high: i64,
    map: &F,
) -> Result<Vec<T>, StorageError>
where
    F: Fn(TradeId, Trade) -> T,
{
    let tx = conn.unchecked_transaction()?;
    let read = read_range(&tx, low, high, map)?;
    tx.commit()?;
    Ok(read)
}

/// The trades with ids from `low` to `high`, in id order, through `map`.
fn read_range<T, F>(conn: &Connection, low: i64, high: i64, map: &F) -> Result<Vec<T>, StorageError>
where
    F: Fn(TradeId, Trade) -> T,
{
    let mut trades = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT id, symbol, side, multiplier, currency, account, setup, market_condition, notes,
                rate, stops_known, events
         FROM trade WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut rows = stmt.query([low, high])?;
    while let Some(row) = rows.next()? {
        trades.push(read_trade_row(row)?);
    }

    let mut stmt = conn.prepare_cached(
        "SELECT trade_id, tag FROM trade_tag
         WHERE trade_id BETWEEN ?1 AND ?2 ORDER BY trade_id, position",
    )?;
    let mut rows = stmt.query([low, high])?;
    let mut cursor = 0;
    while let Some(row) = rows.next()? {
        let trade = find_from(&mut trades, &mut cursor, TradeId(row.get(0)?))?;
        trade.tags.push(row.get(1)?);
    }
    Ok(trades
        .into_iter()
        .map(|(id, trade)| map(id, trade))
        .collect())
}
