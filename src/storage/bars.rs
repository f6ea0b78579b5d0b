//! Price bars in the journal: series of one instrument and bar length, their
//! bars keyed by start, and the user's map of trade symbols to bars symbols.
//!
//! A series' prices are whole numbers of `10^-scale`; a file with more decimal
//! places than the series holds makes the series finer first. Importing bars
//! that are already there adds nothing. A trade's bars are read as one range
//! of the `(series, start)` key, never by a scan.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::{Journal, StorageError};
use crate::domain::bars::{Bar, BarSeries, MAX_BAR_SCALE};

/// The settings key of the map of trade symbols to bars symbols.
const BARS_SYMBOLS_KEY: &str = "bars_symbols";

/// How many bars an import writes between two progress reports.
const PROGRESS_EVERY: usize = 20_000;

/// A series of bars the journal holds, without its bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesInfo {
    /// The series' id in the journal.
    pub id: i64,
    /// The instrument.
    pub symbol: String,
    /// The bar length, in seconds.
    pub length: i64,
    /// Decimal places of the stored prices.
    pub scale: u32,
    /// Where the bars came from: the last file's name, or `sample data`.
    pub source: String,
    /// How many bars it holds.
    pub bars: i64,
    /// The start of its first bar (Unix seconds).
    pub first: Option<i64>,
    /// The start of its last bar (Unix seconds).
    pub last: Option<i64>,
}

impl SeriesInfo {
    /// Whether the series' bars span the moments `from` to `to` (inclusive):
    /// its first bar starts at or before `from` and its last one ends after `to`.
    pub fn spans(&self, from: i64, to: i64) -> bool {
        match (self.first, self.last) {
            (Some(first), Some(last)) => first <= from && to < last + self.length,
            _ => false,
        }
    }
}

/// What an import of bars did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarsOutcome {
    /// The series, as it is after the import.
    pub series: SeriesInfo,
    /// Bars added.
    pub added: usize,
    /// Bars skipped because the journal already held a bar at their start.
    pub known: usize,
}

fn read_info(row: &rusqlite::Row<'_>) -> rusqlite::Result<SeriesInfo> {
    Ok(SeriesInfo {
        id: row.get(0)?,
        symbol: row.get(1)?,
        length: row.get(2)?,
        scale: row.get(3)?,
        source: row.get(4)?,
        bars: row.get(5)?,
        first: row.get(6)?,
        last: row.get(7)?,
    })
}

const INFO_COLUMNS: &str = "id, symbol, length, scale, source, bars, first, last";

impl Journal {
    /// Adds the bars of `series` that the journal does not hold yet, in one
    /// transaction, under its symbol and length; `source` says where they
    /// came from. `progress` is told (bars written, bars in all) as it goes.
    pub fn insert_bars(
        &mut self,
        series: &BarSeries,
        source: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<BarsOutcome, StorageError> {
        let tx = self.conn.transaction()?;
        let existing: Option<(i64, u32)> = tx
            .prepare_cached("SELECT id, scale FROM bar_series WHERE symbol = ?1 AND length = ?2")?
            .query_row(params![series.symbol, series.length], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (id, scale) = match existing {
            Some(found) => found,
            None => {
                tx.prepare_cached(
                    "INSERT INTO bar_series (symbol, length, scale, source) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![series.symbol, series.length, series.scale, source])?;
                (tx.last_insert_rowid(), series.scale)
            }
        };
        let too_fine = || StorageError::BarsTooFine {
            symbol: series.symbol.clone(),
        };
        // One scale for the series: the finer of the two.
        let scale = if series.scale > scale {
            let factor = 10i64
                .checked_pow(series.scale - scale)
                .filter(|_| series.scale <= MAX_BAR_SCALE)
                .ok_or_else(too_fine)?;
            tx.prepare_cached(
                "UPDATE bar SET open = open * ?2, high = high * ?2, low = low * ?2,
                        close = close * ?2
                 WHERE series_id = ?1",
            )?
            .execute(params![id, factor])?;
            tx.prepare_cached("UPDATE bar_series SET scale = ?2 WHERE id = ?1")?
                .execute(params![id, series.scale])?;
            series.scale
        } else {
            scale
        };
        let rescaled;
        let bars = if series.scale < scale {
            rescaled = series.rescaled(scale).ok_or_else(too_fine)?;
            &rescaled.bars
        } else {
            &series.bars
        };

        let total = bars.len();
        let mut added = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO bar (series_id, start, open, high, low, close)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, b) in bars.iter().enumerate() {
                added += insert.execute(params![id, b.start, b.open, b.high, b.low, b.close])?;
                if (i + 1) % PROGRESS_EVERY == 0 {
                    progress(i + 1, total);
                }
            }
        }
        let (first, last) = (bars.first().map(|b| b.start), bars.last().map(|b| b.start));
        tx.prepare_cached(
            "UPDATE bar_series SET bars = bars + ?2, source = ?3,
                    first = min(coalesce(first, ?4), ?4), last = max(coalesce(last, ?5), ?5)
             WHERE id = ?1",
        )?
        .execute(params![id, added as i64, source, first, last])?;
        let info = tx
            .prepare_cached(&format!(
                "SELECT {INFO_COLUMNS} FROM bar_series WHERE id = ?1"
            ))?
            .query_row([id], read_info)?;
        tx.commit()?;
        progress(total, total);
        Ok(BarsOutcome {
            series: info,
            added,
            known: total - added,
        })
    }

    /// Every series of bars the journal holds, by symbol and length.
    pub fn bar_series(&self) -> Result<Vec<SeriesInfo>, StorageError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM bar_series ORDER BY symbol, length"
        ))?;
        let rows = stmt.query_map([], read_info)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The series of `symbols` (compared without regard to case), shortest bars first.
    pub fn bar_series_of(&self, symbols: &[String]) -> Result<Vec<SeriesInfo>, StorageError> {
        let mut found = Vec::new();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM bar_series WHERE symbol = ?1 ORDER BY length"
        ))?;
        for symbol in symbols {
            for info in stmt.query_map([symbol], read_info)? {
                let info = info?;
                if !found.iter().any(|f: &SeriesInfo| f.id == info.id) {
                    found.push(info);
                }
            }
        }
        found.sort_by_key(|f| f.length);
        Ok(found)
    }

    /// The bars of series `id` that start from `from` to `to` (inclusive),
    /// read by the key's range.
    pub fn bars(&self, id: i64, from: i64, to: i64) -> Result<BarSeries, StorageError> {
        let info = self
            .conn
            .prepare_cached(&format!(
                "SELECT {INFO_COLUMNS} FROM bar_series WHERE id = ?1"
            ))?
            .query_row([id], read_info)?;
        self.bars_of(&info, from, to)
    }

    /// The bars of the series `info` describes that start from `from` to
    /// `to` (inclusive), read by the key's range: [`Journal::bars`] for a
    /// caller that already holds the series' description.
    pub fn bars_of(
        &self,
        info: &SeriesInfo,
        from: i64,
        to: i64,
    ) -> Result<BarSeries, StorageError> {
        let id = info.id;
        let mut series = BarSeries::new(info.symbol.clone(), info.length, info.scale);
        let mut stmt = self.conn.prepare_cached(
            "SELECT start, open, high, low, close FROM bar
             WHERE series_id = ?1 AND start >= ?2 AND start <= ?3 ORDER BY start",
        )?;
        let mut rows = stmt.query(params![id, from, to])?;
        while let Some(row) = rows.next()? {
            series.bars.push(Bar {
                start: row.get(0)?,
                open: row.get(1)?,
                high: row.get(2)?,
                low: row.get(3)?,
                close: row.get(4)?,
            });
        }
        Ok(series)
    }

    /// The bars to measure a trade against: of the shortest series of
    /// `symbols` whose bars span its life (`from`, the initial entry, to
    /// `to`, the final exit, or for an open trade the entry alone), the bars
    /// that cover its life, and `margin` bars more on each side; for an open
    /// trade, every bar from its entry on. `None` when no series spans it.
    pub fn trade_bars(
        &self,
        symbols: &[String],
        from: i64,
        to: Option<i64>,
        margin: i64,
    ) -> Result<Option<BarSeries>, StorageError> {
        let series = self.bar_series_of(symbols)?;
        let Some(info) = series.iter().find(|s| s.spans(from, to.unwrap_or(from))) else {
            return Ok(None);
        };
        self.life_bars(info, from, to, margin).map(Some)
    }

    /// The bars of series `info` that cover a life from `from` to `to` (the
    /// final exit; `None` while open, then every bar from `from` on), and
    /// `margin` bars more on each side.
    pub fn life_bars(
        &self,
        info: &SeriesInfo,
        from: i64,
        to: Option<i64>,
        margin: i64,
    ) -> Result<BarSeries, StorageError> {
        let length = info.length;
        let lo = from.saturating_sub(length.saturating_mul(margin.saturating_add(1)));
        let hi = match to {
            Some(to) => to.saturating_add(length.saturating_mul(margin)),
            None => i64::MAX,
        };
        self.bars_of(info, lo, hi)
    }

    /// Removes a series and its bars.
    pub fn delete_bar_series(&mut self, id: i64) -> Result<(), StorageError> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached("DELETE FROM bar WHERE series_id = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM bar_series WHERE id = ?1")?
            .execute([id])?;
        tx.commit()?;
        Ok(())
    }

    /// The journal's size in bytes (pages in use times the page size), for
    /// measuring how much the bars take.
    pub fn page_bytes(&self) -> Result<i64, StorageError> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok(pages * size)
    }

    /// SQLite's plan for reading a trade's bars, in words (for checking that
    /// it uses the key).
    #[doc(hidden)]
    pub fn bars_query_plan(&self) -> Result<String, StorageError> {
        let mut stmt = self.conn.prepare(
            "EXPLAIN QUERY PLAN SELECT start, open, high, low, close FROM bar
             WHERE series_id = ?1 AND start >= ?2 AND start <= ?3 ORDER BY start",
        )?;
        let rows = stmt.query_map(params![1, 0, 1], |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?.join("; "))
    }

    /// The user's map of trade symbols to bars symbols (Settings); empty when none is set.
    pub fn bars_symbol_map(&self) -> Result<BTreeMap<String, String>, StorageError> {
        match self.setting(BARS_SYMBOLS_KEY)? {
            None => Ok(BTreeMap::new()),
            Some(json) => serde_json::from_str(&json).map_err(|source| StorageError::Setting {
                key: BARS_SYMBOLS_KEY.to_owned(),
                source,
            }),
        }
    }

    /// Stores the map of trade symbols to bars symbols, replacing the old one.
    pub fn set_bars_symbol_map(
        &mut self,
        map: &BTreeMap<String, String>,
    ) -> Result<(), StorageError> {
        let json = serde_json::to_string(map).map_err(|source| StorageError::Setting {
            key: BARS_SYMBOLS_KEY.to_owned(),
            source,
        })?;
        self.set_setting(BARS_SYMBOLS_KEY, &json)
    }
}
