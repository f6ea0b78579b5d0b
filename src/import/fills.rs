//! The fills of a file, kept compact: what grouping and the preview need,
//! and nothing twice.
//!
//! A [`Fill`] holds five strings of its own (account, symbol, currency,
//! order id, execution id): five allocations per fill, most of them
//! repeating the same few names. A [`FillStore`] keeps each fill as a row
//! of fixed size: its numbers as they were read (decimals stay exact), its
//! account, symbol and currency as numbers into one list of the file's
//! names (each name once), and its order and execution ids in one string
//! they all share. The broker's profit and the file's multiplier, which
//! most files do not give, take room only once a fill has one.
//!
//! Readers push [`Fill`]s as they read them (the CSV reader a
//! `BorrowedFill`, whose strings are its row's), and the store compacts
//! each on push; [`FillStore::get`] gives one back whole.

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;

use super::{Fill, FillSide, InstrumentKind};
use crate::domain::Side;
use crate::domain::names::{NameIds, same_name};

/// The id a store gives a name (an account, a symbol or a currency).
pub type NameId = u32;

/// No id: the order or execution id a fill does not have.
const NONE: u32 = u32::MAX;

/// One fill, its strings as places in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    at: DateTime<FixedOffset>,
    qty: Decimal,
    price: Decimal,
    fee: Decimal,
    line: usize,
    /// Where the fill's order id and then its execution id start in `ids`.
    ids_at: usize,
    /// The order id's length, or [`NONE`].
    order_len: u32,
    /// The execution id's length, or [`NONE`].
    exec_len: u32,
    account: NameId,
    symbol: NameId,
    currency: NameId,
    kind: InstrumentKind,
    side: FillSide,
    position: Option<Side>,
}

/// How many rows a chunk of [`Rows`] holds (a power of two, so that a row's
/// chunk and place in it are a shift and a mask).
const CHUNK: usize = 1 << 12;

/// Rows in chunks of [`CHUNK`], every chunk full but the last: a store grows
/// without copying its rows, and the stores of a file's parts are put end to
/// end in the memory they already hold ([`Rows::append`]), so that the rows
/// are never held twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Rows {
    chunks: Vec<Vec<Row>>,
    len: usize,
}

impl Rows {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn last(&self) -> Option<&Row> {
        self.chunks.last().and_then(|chunk| chunk.last())
    }

    fn push(&mut self, row: Row) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(row),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(row);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &Row> {
        self.chunks.iter().flatten()
    }

    /// Adds the rows of `other` at the end, each changed by `change` first.
    /// The rows stay in `other`'s chunks: the last chunk here is filled up
    /// from the first rows of `other`, and each chunk of `other` then from
    /// the first rows of the next, its own moved down within it. Only the
    /// room left in the last chunk here is memory not held before.
    fn append(&mut self, other: Rows, change: impl Fn(&mut Row)) {
        self.len += other.len;
        for mut chunk in other.chunks {
            chunk.iter_mut().for_each(&change);
            if let Some(last) = self.chunks.last_mut() {
                let moved = CHUNK.saturating_sub(last.len()).min(chunk.len());
                last.extend(chunk.drain(..moved));
            }
            if !chunk.is_empty() {
                self.chunks.push(chunk);
            }
        }
    }
}

impl std::ops::Index<usize> for Rows {
    type Output = Row;

    fn index(&self, i: usize) -> &Row {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Rows {
    fn index_mut(&mut self, i: usize) -> &mut Row {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

/// The rows, a chunk at a time: each chunk is freed once its rows are taken.
impl IntoIterator for Rows {
    type Item = Row;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<Row>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

/// The names of a store, each once, by id.
#[derive(Debug, Clone, Default)]
struct Names(NameIds);

impl Names {
    /// The id of `name`: `before` (the id of a name seen just before) if
    /// that is `name`'s, without looking it up.
    fn id_as_before(&mut self, name: &str, before: Option<NameId>) -> NameId {
        match before {
            Some(id) if self.0.get(id).is_some_and(|seen| same_name(seen, name)) => id,
            _ => self.id(name),
        }
    }

    /// The id of `name`. A store holds fewer than 2^32 names: fewer than
    /// its fills, each of which takes more than a byte of a file held in
    /// memory.
    fn id(&mut self, name: &str) -> NameId {
        self.0.id(name)
    }
}

/// A [`Fill`] whose strings are borrowed: what a reader hands a store
/// without making strings of its own first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BorrowedFill<'a> {
    pub(crate) account: &'a str,
    pub(crate) symbol: &'a str,
    pub(crate) kind: InstrumentKind,
    pub(crate) side: FillSide,
    pub(crate) qty: Decimal,
    pub(crate) price: Decimal,
    pub(crate) fee: Decimal,
    pub(crate) at: DateTime<FixedOffset>,
    pub(crate) currency: &'a str,
    pub(crate) multiplier: Option<Decimal>,
    pub(crate) order_id: Option<&'a str>,
    pub(crate) exec_id: Option<&'a str>,
    pub(crate) profit: Option<Decimal>,
    pub(crate) position: Option<Side>,
    pub(crate) line: usize,
}

/// The fills of a file, compact (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct FillStore {
    rows: Rows,
    names: Names,
    /// Every order id and execution id, one after the other.
    ids: String,
    /// Each fill's multiplier and broker's profit, once one fill has either
    /// (empty until then).
    extras: Vec<(Option<Decimal>, Option<Decimal>)>,
}

/// The length of an id as stored, or [`NONE`].
fn id_len(id: Option<&str>) -> u32 {
    // An id of 4 GiB is not in a file that is read into memory whole.
    id.map_or(NONE, |id| id.len().min(NONE as usize - 1) as u32)
}

impl FillStore {
    /// Makes room for `more` fills (room is made a chunk at a time, as
    /// fills come).
    pub fn reserve(&mut self, more: usize) {
        self.rows.chunks.reserve(more.div_ceil(CHUNK));
    }

    /// Adds a fill at the end.
    pub fn push(&mut self, fill: Fill) {
        self.push_ref(&fill);
    }

    fn push_ref(&mut self, fill: &Fill) {
        self.push_borrowed(&BorrowedFill {
            account: &fill.account,
            symbol: &fill.symbol,
            kind: fill.kind,
            side: fill.side,
            qty: fill.qty,
            price: fill.price,
            fee: fill.fee,
            at: fill.at,
            currency: &fill.currency,
            multiplier: fill.multiplier,
            order_id: fill.order_id.as_deref(),
            exec_id: fill.exec_id.as_deref(),
            profit: fill.profit,
            position: fill.position,
            line: fill.line,
        });
    }

    /// Adds a fill at the end, its strings copied from where they are
    /// borrowed (a reader's row) straight into the store.
    pub(crate) fn push_borrowed(&mut self, fill: &BorrowedFill<'_>) {
        let ids_at = self.ids.len();
        let order_len = id_len(fill.order_id);
        let exec_len = id_len(fill.exec_id);
        if let Some(order) = fill.order_id {
            self.ids.push_str(order);
        }
        if let Some(exec) = fill.exec_id {
            self.ids.push_str(exec);
        }
        if fill.multiplier.is_some() || fill.profit.is_some() || !self.extras.is_empty() {
            self.extras.resize(self.rows.len(), (None, None));
            self.extras.push((fill.multiplier, fill.profit));
        }
        // Consecutive fills mostly share their account and currency, often
        // their symbol: the previous fill's name is compared first.
        let previous = self.rows.last().copied();
        let row = Row {
            at: fill.at,
            qty: fill.qty,
            price: fill.price,
            fee: fill.fee,
            line: fill.line,
            ids_at,
            order_len,
            exec_len,
            account: self
                .names
                .id_as_before(fill.account, previous.map(|r| r.account)),
            symbol: self
                .names
                .id_as_before(fill.symbol, previous.map(|r| r.symbol)),
            currency: self
                .names
                .id_as_before(fill.currency, previous.map(|r| r.currency)),
            kind: fill.kind,
            side: fill.side,
            position: fill.position,
        };
        self.rows.push(row);
    }

    /// Adds the fills of `other` at the end.
    pub fn append(&mut self, other: FillStore) {
        if self.rows.is_empty() && self.ids.is_empty() {
            *self = other;
            return;
        }
        let ids: Vec<NameId> = other
            .names
            .0
            .names()
            .iter()
            .map(|n| self.names.id(n))
            .collect();
        let offset = self.ids.len();
        self.ids.reserve_exact(other.ids.len());
        self.ids.push_str(&other.ids);
        if !other.extras.is_empty() || !self.extras.is_empty() {
            self.extras.resize(self.rows.len(), (None, None));
            self.extras.extend(other.extras);
            self.extras
                .resize(self.rows.len() + other.rows.len(), (None, None));
        }
        self.rows.append(other.rows, |row| {
            row.ids_at += offset;
            row.account = ids[row.account as usize];
            row.symbol = ids[row.symbol as usize];
            row.currency = ids[row.currency as usize];
        });
    }

    /// How many fills there are.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Fill `i`, whole.
    ///
    /// # Panics
    /// When there is no fill `i`, as indexing a slice does.
    pub fn get(&self, i: usize) -> Fill {
        let row = &self.rows[i];
        let (multiplier, profit) = self.extras.get(i).copied().unwrap_or((None, None));
        Fill {
            account: self.account(i).to_owned(),
            symbol: self.symbol(i).to_owned(),
            kind: row.kind,
            side: row.side,
            qty: row.qty,
            price: row.price,
            fee: row.fee,
            at: row.at,
            currency: self.currency(i).to_owned(),
            multiplier,
            order_id: self.order_id(i).map(str::to_owned),
            exec_id: self.exec_id(i).map(str::to_owned),
            profit,
            position: row.position,
            line: row.line,
        }
    }

    /// Every fill, whole, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Fill> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The fills, whole, as a vector (for readers that go over them again).
    pub fn into_vec(self) -> Vec<Fill> {
        self.iter().collect()
    }

    /// The name of id `id`.
    pub fn name(&self, id: NameId) -> &str {
        self.names.0.name(id)
    }

    /// How many names the store holds (ids are `0..name_count()`).
    pub fn name_count(&self) -> usize {
        self.names.0.len()
    }

    /// Fill `i`'s account, as the file gives it (empty when it does not).
    pub fn account(&self, i: usize) -> &str {
        self.name(self.rows[i].account)
    }

    /// Fill `i`'s account as an id of the store's names.
    pub fn account_id(&self, i: usize) -> NameId {
        self.rows[i].account
    }

    /// Fill `i`'s symbol, as the file gives it.
    pub fn symbol(&self, i: usize) -> &str {
        self.name(self.rows[i].symbol)
    }

    /// Fill `i`'s symbol as an id of the store's names.
    pub fn symbol_id(&self, i: usize) -> NameId {
        self.rows[i].symbol
    }

    /// Fill `i`'s currency (empty when the file does not say).
    pub fn currency(&self, i: usize) -> &str {
        self.name(self.rows[i].currency)
    }

    /// Fill `i`'s order id.
    pub fn order_id(&self, i: usize) -> Option<&str> {
        let row = &self.rows[i];
        (row.order_len != NONE).then(|| &self.ids[row.ids_at..row.ids_at + row.order_len as usize])
    }

    /// Fill `i`'s execution id.
    pub fn exec_id(&self, i: usize) -> Option<&str> {
        let row = &self.rows[i];
        let start = row.ids_at
            + if row.order_len == NONE {
                0
            } else {
                row.order_len as usize
            };
        (row.exec_len != NONE).then(|| &self.ids[start..start + row.exec_len as usize])
    }

    /// Fill `i`'s time.
    pub fn at(&self, i: usize) -> DateTime<FixedOffset> {
        self.rows[i].at
    }

    /// Sets fill `i`'s time.
    pub fn set_at(&mut self, i: usize, at: DateTime<FixedOffset>) {
        self.rows[i].at = at;
    }

    /// Fill `i`'s side.
    pub fn side(&self, i: usize) -> FillSide {
        self.rows[i].side
    }

    /// Fill `i`'s quantity.
    pub fn qty(&self, i: usize) -> Decimal {
        self.rows[i].qty
    }

    /// Fill `i`'s price.
    pub fn price(&self, i: usize) -> Decimal {
        self.rows[i].price
    }

    /// Fill `i`'s fee.
    pub fn fee(&self, i: usize) -> Decimal {
        self.rows[i].fee
    }

    /// Fill `i`'s instrument kind.
    pub fn kind(&self, i: usize) -> InstrumentKind {
        self.rows[i].kind
    }

    /// Fill `i`'s multiplier, as the file gives it.
    pub fn multiplier(&self, i: usize) -> Option<Decimal> {
        self.extras.get(i).and_then(|e| e.0)
    }

    /// Fill `i`'s broker's profit, as the file gives it.
    pub fn profit(&self, i: usize) -> Option<Decimal> {
        self.extras.get(i).and_then(|e| e.1)
    }

    /// Whether any fill gives the broker's profit.
    pub fn any_profit(&self) -> bool {
        self.extras.iter().any(|e| e.1.is_some())
    }

    /// Fill `i`'s position direction (on a hedging account).
    pub fn position(&self, i: usize) -> Option<Side> {
        self.rows[i].position
    }

    /// Fill `i`'s line in the file.
    pub fn line(&self, i: usize) -> usize {
        self.rows[i].line
    }

    /// The first and last fill times.
    pub fn date_range(&self) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
        // In one pass over the rows. Of times at one instant (in different
        // zones), the first is the earliest and the last the latest, as
        // `Iterator::min` and `max` pick them.
        let mut times = self.rows.iter().map(|r| r.at);
        let first = times.next()?;
        Some(times.fold((first, first), |(earliest, latest), at| {
            (earliest.min(at), latest.max(at))
        }))
    }

    /// The fills `keep` says to keep, in order, in a store of their own.
    pub fn subset(&self, keep: impl Fn(usize) -> bool) -> FillStore {
        let mut out = FillStore::default();
        for i in (0..self.len()).filter(|&i| keep(i)) {
            out.push(self.get(i));
        }
        out
    }
}

impl PartialEq for FillStore {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for FillStore {}

impl Extend<Fill> for FillStore {
    fn extend<I: IntoIterator<Item = Fill>>(&mut self, iter: I) {
        for fill in iter {
            self.push(fill);
        }
    }
}

impl FromIterator<Fill> for FillStore {
    fn from_iter<I: IntoIterator<Item = Fill>>(iter: I) -> Self {
        let mut store = FillStore::default();
        store.extend(iter);
        store
    }
}

impl From<Vec<Fill>> for FillStore {
    fn from(fills: Vec<Fill>) -> Self {
        fills.into_iter().collect()
    }
}

impl From<&[Fill]> for FillStore {
    fn from(fills: &[Fill]) -> Self {
        let mut store = FillStore::default();
        store.reserve(fills.len());
        for fill in fills {
            store.push_ref(fill);
        }
        store
    }
}

impl<const N: usize> From<&[Fill; N]> for FillStore {
    fn from(fills: &[Fill; N]) -> Self {
        FillStore::from(&fills[..])
    }
}

impl From<&Vec<Fill>> for FillStore {
    fn from(fills: &Vec<Fill>) -> Self {
        FillStore::from(&fills[..])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn fill(line: usize, account: &str, exec: Option<&str>, order: Option<&str>) -> Fill {
        Fill {
            account: account.to_owned(),
            symbol: " ESZ4 ".to_owned(),
            kind: InstrumentKind::Future,
            side: FillSide::Sell,
            qty: Decimal::new(15, 1),
            price: Decimal::new(5_012_250, 3),
            fee: Decimal::new(-1, 2),
            at: DateTime::parse_from_rfc3339("2024-03-15T09:30:00.123456789-05:00").unwrap(),
            currency: if line.is_multiple_of(2) { "USD" } else { "" }.to_owned(),
            multiplier: (line == 3).then(|| Decimal::from(50)),
            order_id: order.map(str::to_owned),
            exec_id: exec.map(str::to_owned),
            profit: (line == 4).then(|| Decimal::new(-125, 2)),
            position: (line == 2).then_some(Side::Short),
            line,
        }
    }

    #[test]
    fn the_date_range_takes_the_first_earliest_and_the_last_latest_time() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap();
        let times = [
            "2024-03-15T10:00:00-05:00",
            // The same instants as the first and the last, in other zones.
            "2024-03-15T09:00:00-06:00",
            "2024-03-15T12:00:00-05:00",
            "2024-03-15T10:30:00-05:00",
            "2024-03-15T11:00:00-06:00",
        ];
        let store = FillStore::from(
            times
                .iter()
                .enumerate()
                .map(|(line, time)| Fill {
                    at: at(time),
                    ..fill(line, "U1", None, None)
                })
                .collect::<Vec<_>>(),
        );
        let (first, last) = store.date_range().unwrap();
        assert_eq!(first.to_rfc3339(), "2024-03-15T10:00:00-05:00");
        assert_eq!(last.to_rfc3339(), "2024-03-15T11:00:00-06:00");
        assert_eq!(FillStore::default().date_range(), None);
    }

    #[test]
    fn fills_come_back_exactly_as_they_went_in() {
        let fills = vec![
            fill(1, "U1", Some("E1"), Some("O1")),
            fill(2, "", None, Some("")),
            fill(3, "U2", Some(""), None),
            fill(4, "U1", None, None),
            fill(5, "Ü1", Some("é"), Some("O1")),
            fill(6, "Ü1", None, None),
            fill(7, "U1", None, None),
        ];
        let mut store = FillStore::default();
        store.push(fills[0].clone());
        let mut rest = FillStore::from(&fills[1..3]);
        rest.append(FillStore::from(&fills[3..]));
        store.append(rest);
        assert_eq!(store.len(), fills.len());
        assert_eq!(store.into_vec(), fills);
        let store = FillStore::from(&fills);
        assert_eq!(store.account_id(0), store.account_id(3));
        assert_ne!(store.account_id(0), store.account_id(2));
        // A name as the fill before's, or another one.
        assert_eq!(store.account_id(4), store.account_id(5));
        assert_eq!(store.account_id(6), store.account_id(0));
        assert_ne!(store.account_id(5), store.account_id(6));
        assert!(store.any_profit());
        assert_eq!(
            store.subset(|i| i % 2 == 1).into_vec(),
            [fills[1].clone(), fills[3].clone(), fills[5].clone()]
        );
    }

    #[test]
    fn parts_put_end_to_end_keep_every_fill_across_chunks() {
        let fills: Vec<Fill> = (0..CHUNK * 2 + 123)
            .map(|n| {
                let account = ["U1", "U2", ""][n % 3];
                let exec = format!("E{n}");
                fill(n + 2, account, (n % 5 != 0).then_some(exec.as_str()), None)
            })
            .collect();
        let cut = CHUNK + 77;
        let mut store = FillStore::from(&fills[..cut]);
        store.append(FillStore::from(&fills[cut..]));
        assert_eq!(store.len(), fills.len());
        for i in [
            0,
            CHUNK - 1,
            CHUNK,
            cut - 1,
            cut,
            2 * CHUNK,
            fills.len() - 1,
        ] {
            assert_eq!(store.get(i), fills[i], "fill {i}");
        }
        assert!(store.iter().eq(fills.iter().cloned()));
    }

    #[test]
    fn appended_rows_fill_every_chunk_but_the_last() {
        let fills: Vec<Fill> = (0..CHUNK * 3 + 5)
            .map(|n| fill(n + 2, ["U1", "U2"][n % 2], Some(&format!("E{n}")), None))
            .collect();
        let pushed = FillStore::from(&fills);
        for cuts in [
            vec![1],
            vec![CHUNK - 1],
            vec![CHUNK],
            vec![CHUNK + 1, CHUNK + 2],
            vec![7, CHUNK * 2 - 3, CHUNK * 3],
            vec![CHUNK * 3 + 4],
        ] {
            let mut parts = std::iter::once(0).chain(cuts.iter().copied()).peekable();
            let mut store = FillStore::default();
            while let Some(from) = parts.next() {
                let until = parts.peek().copied().unwrap_or(fills.len());
                // A part from an odd fill on numbers its names the other
                // way round: they are changed as it is added.
                store.append(FillStore::from(&fills[from..until]));
            }
            let sizes: Vec<usize> = store.rows.chunks.iter().map(Vec::len).collect();
            let (last, full) = sizes.split_last().unwrap();
            assert!(full.iter().all(|&n| n == CHUNK), "{cuts:?}: {sizes:?}");
            assert!((1..=CHUNK).contains(last), "{cuts:?}: {sizes:?}");
            assert!(store == pushed, "{cuts:?}");
            assert_eq!(
                store.exec_id(CHUNK * 2),
                Some(format!("E{}", CHUNK * 2).as_str())
            );
        }
    }
}
