//! Committing an import into a journal: deciding what it adds, then having
//! the journal write exactly that.
//!
//! The journal ([`crate::storage`]) knows nothing of files, fills or
//! grouping: it tells what it holds and writes what it is given. Here, above
//! it, an import is planned from what the journal holds and then written:
//!
//! 1. a journal that remembers no imported fill, given a file whose trades
//!    continue none of its own, gets the file's own grouping as it is (its
//!    trades made again one at a time as they are written, see
//!    [`Import::for_each_trade`]);
//! 2. otherwise the file's fills are keyed ([`group::fill_keys`]) and the
//!    journal says which it has ([`Journal::import_snapshot`]); only the
//!    others are grouped ([`group::group_keyed`]), under the keys they have
//!    in the whole file, continuing the journal's open imported trades of
//!    the same account and symbol. Trades the new fills do not touch are not
//!    written at all, so whatever the user changed in them stays as it is;
//! 3. new trades get ids from the journal's next id on, continued trades
//!    keep theirs, and where the file states its own total, the check of it
//!    names the trades that hold the fills the total covers, new or known;
//! 4. [`Journal::write_import`] writes the plan in one transaction, after
//!    making sure, under the write lock, that the journal is still as it was
//!    read. If another program changed it in between, the import is planned
//!    again from what the journal now holds. Each trade's analysis is kept
//!    as it is written, and, into a journal that holds nothing, the
//!    statistics of them all (see `Keeping`).
//!
//! A file read but not yet grouped ([`FileRead`]) can instead be committed
//! into a journal that remembers no imported fill by
//! [`Journal::commit_streamed`]: its trades are booked once, as they are
//! written ([`group::stream`]), rather than outlined for a preview first
//! and made again for the write; the journal ends up the same.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::group::{self, FileKeys, FillKey, GroupOptions, Grouped, ImportedTrade};
use super::{FileRead, Fill, Import, Preview};
use crate::analysis::kept::{self, Basis};
use crate::analysis::stats::{Analysed, Filter, JournalSums, SumsAdder};
use crate::analysis::{Messages, RuleSettings, analyze_with};
use crate::domain::imported::{
    CheckRecord, ImportOutcome, ImportWrite, KeepAnalyses, KeepStats, SplitPart, TradeFeed,
};
use crate::domain::{DEFAULT_ACCOUNT, Trade, TradeId};
use crate::storage::{Journal, StorageError};

/// How many times an import is planned again when another program keeps
/// changing the journal in between.
const MAX_PLANS: usize = 8;

/// The account a fill is recorded under (a blank account is the default one,
/// as in the trade it becomes part of).
pub fn account_of(fill: &Fill) -> &str {
    recorded_account(&fill.account)
}

/// The account a fill of account `account` is recorded under (see
/// [`account_of`]).
pub fn recorded_account(account: &str) -> &str {
    let account = crate::domain::trim(account);
    if account.is_empty() {
        DEFAULT_ACCOUNT
    } else {
        account
    }
}

/// The file's fills regrouped without those the journal has: the options
/// and outline of their grouping.
struct Regrouped {
    /// The options the new fills were grouped with (the journal's open
    /// trades among them).
    options: GroupOptions,
    /// The new fills' trades, counted and ordered (or held: see
    /// [`group::outline`]).
    grouped: Grouped,
}

impl Regrouped {
    /// Hands the new fills' trades, in order, to `each` until it returns
    /// `false`.
    fn for_each_trade(&self, import: &Import, each: &mut dyn FnMut(ImportedTrade) -> bool) {
        match &self.grouped {
            Grouped::Trades(trades) => {
                for trade in trades {
                    if !each(trade.clone()) {
                        return;
                    }
                }
            }
            Grouped::Outline(outline) => {
                group::produce(&import.fills, &import.stops, &self.options, outline, each)
            }
        }
    }
}

/// An import decided: the trades to write, their ids, and what the outcome
/// will say.
struct Plan<'a> {
    version: crate::domain::imported::JournalVersion,
    /// Whether the journal held nothing.
    empty: bool,
    /// The new fills regrouped, or `None` for the file's own trades.
    regrouped: Option<Regrouped>,
    import: &'a Import,
    ids: Vec<TradeId>,
    /// When a check needs them, for each fill of the file the trade that
    /// held it before (else empty).
    holders: Vec<Option<TradeId>>,
    outcome: ImportOutcome,
}

impl<'a> Plan<'a> {
    /// The trades to write: the regrouped new fills', or the file's own,
    /// held or made by `produce` as they are written.
    fn feed<'p>(&'p self, produce: &'p crate::domain::imported::Produce<'p>) -> TradeFeed<'p> {
        let held = match &self.regrouped {
            Some(regrouped) => match &regrouped.grouped {
                Grouped::Trades(trades) => Some(trades.as_slice()),
                Grouped::Outline(_) => None,
            },
            None => self.import.held_trades(),
        };
        match held {
            Some(trades) => TradeFeed::Held(trades),
            None => TradeFeed::Produced {
                count: self.trade_count(),
                produce,
            },
        }
    }

    /// How many trades the plan writes.
    fn trade_count(&self) -> usize {
        self.ids.len()
    }

    /// Hands the trades to write, in order, to `each` until it returns
    /// `false`: made one at a time.
    fn for_each_trade(&self, each: &mut dyn FnMut(ImportedTrade) -> bool) {
        match &self.regrouped {
            Some(regrouped) => regrouped.for_each_trade(self.import, each),
            None => self.import.for_each_trade(each),
        }
    }
}

/// Decides what `import` adds to `journal` as it is now.
fn plan<'a>(
    journal: &Journal,
    import: &'a Import,
    options: &GroupOptions,
    with_check: bool,
) -> Result<Plan<'a>, StorageError> {
    let state = journal.import_state()?;
    let mut outcome = ImportOutcome::default();
    // The file's trades continue none of the journal's (they were grouped
    // without them) unless a caller grouped them otherwise.
    let standalone = import.continued().is_empty();
    let mut regrouped = None;
    let mut holders = Vec::new();
    let mut open_ids = Vec::new();
    if state.any_imported || !standalone {
        let snapshot = journal.import_snapshot(&FileKeys::new(&import.fills), with_check)?;
        let known = snapshot.known;
        outcome.known_fills = known.iter().filter(|k| **k).count();
        holders = snapshot.holders;
        if outcome.known_fills != 0 || !snapshot.open_trades.is_empty() || !standalone {
            let (ids, open_trades): (Vec<TradeId>, Vec<_>) =
                snapshot.open_trades.into_iter().unzip();
            open_ids = ids;
            // A fill split by a flip is booked again, for the part the
            // journal lacks, even where it counts as known.
            let mut skip = known.clone();
            for (i, part) in &snapshot.split {
                if let (Some(skip), SplitPart::Opening { .. }) = (skip.get_mut(*i), part) {
                    *skip = false;
                }
            }
            let options = GroupOptions {
                open_trades,
                open_fills: snapshot.open_fills,
                split: snapshot.split,
                ..import.group_options(options)
            };
            // Only the fills the journal does not have are grouped, under
            // the keys they have in the whole file. A stop order the trade
            // already has is not added again (grouping leaves out a stop
            // equal to one of the trade's).
            let (grouped, warnings) =
                group::outline_except(&import.fills, &skip, &import.stops, &options);
            outcome.warnings = warnings;
            regrouped = Some(Regrouped { options, grouped });
        }
    }
    let count = match &regrouped {
        Some(regrouped) => regrouped.grouped.len(),
        None => import.trade_count(),
    };
    let mut continues = vec![None; count];
    let continued = match &regrouped {
        Some(regrouped) => regrouped.grouped.continued(),
        None => import.continued(),
    };
    for (position, open) in continued {
        if let Some(slot) = continues.get_mut(position) {
            *slot = Some(open);
        }
    }
    let mut next_id = state.next_id.0;
    let mut ids = Vec::with_capacity(continues.len());
    for continued in continues {
        let id = match continued.and_then(|i| open_ids.get(i)) {
            Some(&id) => {
                outcome.extended.push(id);
                id
            }
            None if continued.is_some() => {
                return Err(StorageError::Plan(
                    "a trade continues an open trade the journal does not hold",
                ));
            }
            None => {
                let id = TradeId(next_id);
                next_id += 1;
                outcome.added.push(id);
                id
            }
        };
        ids.push(id);
    }
    Ok(Plan {
        version: state.version,
        empty: state.empty,
        regrouped,
        import,
        ids,
        holders,
        outcome,
    })
}

/// The journal's trades that hold the fills of the file's trades its total
/// covers, in id order, once each: among the trades the plan writes and,
/// through the holders the journal named, among those that held the file's
/// fills before.
fn checked_trades(plan: &Plan<'_>) -> Vec<TradeId> {
    let import = plan.import;
    let mut found = BTreeSet::new();
    if plan.regrouped.is_none() {
        for (trade, id) in import.trades().iter().zip(&plan.ids) {
            if import.reconciles(trade) {
                found.insert(*id);
            }
        }
        return found.into_iter().collect();
    }
    let keys = FileKeys::new(&import.fills);
    let mut holder: HashMap<(String, FillKey), TradeId> = HashMap::new();
    for (i, id) in plan.holders.iter().enumerate() {
        if let Some(id) = id {
            holder.insert(
                (
                    recorded_account(import.fills.account(i)).to_owned(),
                    keys.key_of(i),
                ),
                *id,
            );
        }
    }
    let mut position = 0;
    plan.for_each_trade(&mut |trade| {
        if let Some(&id) = plan.ids.get(position) {
            for source in trade.sources {
                holder
                    .entry((trade.trade.account.clone(), source.key))
                    .or_insert(id);
            }
        }
        position += 1;
        true
    });
    for trade in import.reconciled_trades() {
        for source in &trade.sources {
            let key = (trade.trade.account.clone(), source.key.clone());
            if let Some(&id) = holder.get(&key) {
                found.insert(id);
            }
        }
    }
    found.into_iter().collect()
}

impl Journal {
    /// Commits an import (see the module documentation): only the fills the
    /// journal has not seen are added, fills that continue an open imported
    /// trade extend it, all in one transaction. `options` carries the
    /// user's multipliers; its open trades are ignored (the journal's are
    /// used). `progress(done, total)` is told how many trades were written:
    /// from `(0, total)` on, `(total, total)` once everything is written, and
    /// once more when the transaction is committed. With `dry_run`,
    /// everything is done and then rolled back: the outcome says what the
    /// import would add.
    pub fn commit_import(
        &mut self,
        import: &Import,
        options: &GroupOptions,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome, StorageError> {
        // The file's total, when it states one and the import is to be kept.
        let reconciliation = import.reconciliation().filter(|_| !dry_run);
        // Each trade written is analysed as the statistics will read it, and
        // its analysis kept (with the statistics of them all, into a
        // journal that holds nothing).
        let settings = self.rule_settings()?;
        let whole = Filter::default();
        for _ in 0..MAX_PLANS {
            let plan = plan(self, import, options, reconciliation.is_some())?;
            let keeping = Keeping::new(
                &settings,
                &whole,
                plan.empty && !dry_run,
                plan.trade_count(),
            );
            let encode = |id, trade: &Trade| keeping.encode(id, trade);
            let finish = || keeping.finish();
            let checked;
            let check = match &reconciliation {
                Some(reconciliation) => {
                    checked = checked_trades(&plan);
                    Some(CheckRecord {
                        file: &import.file,
                        format: import.format.as_str(),
                        reconciliation,
                        trades: &checked,
                    })
                }
                None => None,
            };
            let produce = |each: &mut dyn FnMut(ImportedTrade) -> bool| {
                plan.for_each_trade(each);
            };
            let write = ImportWrite {
                version: plan.version,
                trades: plan.feed(&produce),
                ids: &plan.ids,
                check,
                keep: Some(keeping.keep(&encode, &finish)),
            };
            if let Some(recorded) = self.write_import(&write, dry_run, progress)? {
                let mut outcome = plan.outcome;
                outcome.new_fills = recorded;
                return Ok(outcome);
            }
        }
        Err(StorageError::KeptChanging(MAX_PLANS))
    }

    /// Commits a file's trades into this journal, which has no imported
    /// fills, booking each once as it is written ([`group::stream`])
    /// instead of outlining them before: the same trades under the same ids
    /// as [`Journal::commit_import`] of the file's [`FileRead::group`].
    /// `None`, with nothing written, where the file's trades cannot be
    /// booked that way ([`FileRead::streams`]), or it makes none: it is
    /// then to be grouped and committed as usual. Progress is counted in
    /// fills.
    pub fn commit_streamed(
        &mut self,
        read: &FileRead,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Option<StreamedImport>, StorageError> {
        if !read.streams() {
            return Ok(None);
        }
        let state = self.import_state()?;
        if state.any_imported {
            return Ok(None);
        }
        let settings = self.rule_settings()?;
        let whole = Filter::default();
        // Every closed trade has an entry and an exit, most of them a fill
        // each: half the fills is about as many trades as a file can make.
        let keeping = Keeping::new(&settings, &whole, state.empty, read.parsed.fills.len() / 2);
        let encode = |id, trade: &Trade| keeping.encode(id, trade);
        let finish = || keeping.finish();
        let options = read.group_options();
        // What was booked, with its preview: made on the thread that booked
        // it, while this one still writes the last trades.
        let booked = Mutex::new(None);
        let stream = |each: &mut dyn FnMut(ImportedTrade) -> bool| {
            let streamed = group::stream(&read.parsed.fills, &read.parsed.stops, &options, each);
            let made = streamed.as_ref().is_some_and(|s| s.trades > 0);
            let previewed = streamed.map(|streamed| {
                let preview = read.preview(&streamed);
                (streamed, preview)
            });
            if let Ok(mut booked) = booked.lock() {
                *booked = previewed;
            }
            made
        };
        let write = ImportWrite {
            version: state.version,
            trades: TradeFeed::Streamed {
                first_id: state.next_id,
                fills: read.parsed.fills.len(),
                stream: &stream,
            },
            ids: &[],
            check: None,
            keep: Some(keeping.keep(&encode, &finish)),
        };
        let written = self.write_import(&write, false, progress);
        let booked = booked.into_inner().ok().flatten();
        match (written, booked) {
            (Ok(Some(recorded)), Some((booked, preview))) if booked.trades > 0 => {
                let outcome = ImportOutcome {
                    new_fills: recorded,
                    added: (0..booked.trades as i64)
                        .map(|i| TradeId(state.next_id.0 + i))
                        .collect(),
                    ..ImportOutcome::default()
                };
                Ok(Some(StreamedImport { preview, outcome }))
            }
            // Not booked whole (the write then fails its plan), or the
            // journal changed meanwhile: nothing was written.
            (Ok(_) | Err(StorageError::Plan(_)), _) => Ok(None),
            (Err(error), _) => Err(error),
        }
    }
}

/// What an import keeps as it writes (see [`KeepAnalyses`]): each trade's
/// analysis, and, into a journal that holds nothing, the statistics of the
/// whole journal, added up as the trades are analysed.
struct Keeping<'s> {
    settings: &'s RuleSettings,
    /// The statistics being added up, where they are, until finished.
    sums: Option<Mutex<Option<SumsAdder<'s>>>>,
}

impl<'s> Keeping<'s> {
    /// Keeping under `settings`; the statistics of the trades (all of them:
    /// `whole` is the empty filter) are added up where `adds_up`, with room
    /// made for `trades` of them at once: grown a trade at a time, their
    /// figures would be copied to larger memory, again and again.
    fn new(
        settings: &'s RuleSettings,
        whole: &'s Filter,
        adds_up: bool,
        trades: usize,
    ) -> Keeping<'s> {
        let adder = || {
            let mut adder = JournalSums::adding(whole, settings);
            adder.reserve(trades);
            Mutex::new(Some(adder))
        };
        Keeping {
            settings,
            sums: adds_up.then(adder),
        }
    }

    /// The bytes to keep for trade `id`, whose analysis is added to the
    /// statistics.
    fn encode(&self, id: TradeId, trade: &Trade) -> Vec<u8> {
        let analysis = analyze_with(trade, self.settings, Messages::Skip);
        let analysed = Analysed::new(id, trade, &analysis);
        if let Some(sums) = &self.sums
            && let Ok(mut sums) = sums.lock()
            && let Some(adder) = sums.as_mut()
        {
            adder.add(&analysed);
        }
        kept::encode_analysed(&analysed)
    }

    /// The statistics of every trade encoded, as bytes to keep; `None`
    /// where they are not added up (or were finished before).
    fn finish(&self) -> Option<Vec<u8>> {
        let adder = self.sums.as_ref()?.lock().ok()?.take()?;
        Some(kept::encode_stats(&adder.finish().finish()))
    }

    /// How the journal keeps them, through `encode` and `finish`
    /// ([`Keeping::encode`] and [`Keeping::finish`]).
    fn keep<'k>(
        &self,
        encode: &'k (dyn Fn(TradeId, &Trade) -> Vec<u8> + Sync),
        finish: &'k (dyn Fn() -> Option<Vec<u8>> + Sync),
    ) -> KeepAnalyses<'k> {
        KeepAnalyses {
            basis: Basis::of(self.settings).0,
            encode,
            stats: self.sums.is_some().then(|| KeepStats {
                basis: Basis::of_stats(self.settings).0,
                finish,
            }),
        }
    }
}

/// A file's trades committed as they were booked ([`Journal::commit_streamed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedImport {
    /// The preview the file's import gives ([`Import::preview`]).
    pub preview: Preview,
    /// What it added.
    pub outcome: ImportOutcome,
}
