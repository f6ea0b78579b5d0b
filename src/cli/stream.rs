//! The commands that go through every trade of the journal (`trades --json`,
//! `export`, `report`), in bounded memory and on every core.
//!
//! The journal is read a chunk of [`CHUNK`] trades at a time
//! ([`Journal::read_trade_chunks`], one snapshot). While this thread reads
//! the next chunk, the thread pool decodes, analyses and serializes (or sums)
//! the chunks read before; their results are written (or added up) here, in
//! id order. Only a few chunks are ever in memory.
//!
//! `report` and `trades --json` read each trade's analysis as the journal
//! keeps it ([`crate::analysis::kept`]) instead of its events where one is
//! kept under the current settings ([`Journal::read_kept_chunks`],
//! [`Journal::read_shown_chunks`]; `trades --json` reads the events of a
//! trade it measures against price bars), and keep the analyses they had
//! to make once they are done.
//!
//! The bytes are those the whole journal gave at once: each trade is
//! serialized alone by a formatter that writes JSON as serde_json's pretty
//! printer does at the depth the trade sits at in the document ([`Pretty`]),
//! and statistics are summed by part and merged in order
//! ([`JournalSums`]), which gives exactly the statistics of all the trades.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde::Serialize;

use super::CliError;
pub use super::json::Pretty;
use super::json::push_element;
use crate::analysis::excursion::{Excursion, excursion};
use crate::analysis::kept::{self, Basis, KeptAnalysis};
use crate::analysis::stats::{Analysed, Filter, JournalStats, JournalSums};
use crate::analysis::twin::twin;
use crate::analysis::{Messages, RuleSettings, analyze, analyze_with};
use crate::domain::bars::BarSeries;
use crate::domain::{Trade, TradeId};
use crate::interchange;
use crate::storage::{Journal, KeptChunk, KeptRow, ReadVersion, StorageError, TradeChunk};
use crate::views::TradeJson;

/// Trades per chunk: enough that handing a chunk to another thread costs
/// nothing beside its work, few enough that several chunks in flight hold
/// a few megabytes.
pub const CHUNK: usize = 2048;

/// Reads the journal's trades `chunk` at a time; `prepare` turns each chunk
/// into a job on this thread (which holds the journal), `work` does the job
/// on the thread pool, and `done` takes the results here in the order of
/// the chunks. At most a few jobs are in flight, so memory stays bounded.
fn in_chunks<J: Send, T: Send>(
    journal: &Journal,
    chunk: usize,
    prepare: impl FnMut(TradeChunk) -> Result<J, CliError>,
    work: impl Fn(usize, J) -> Result<T, CliError> + Sync,
    done: impl FnMut(T) -> Result<(), CliError>,
) -> Result<(), CliError> {
    in_read_chunks(
        |each| journal.read_trade_chunks(chunk, |read| each(Some(read))),
        prepare,
        work,
        done,
    )
}

/// [`in_chunks`] over the chunks `read` hands out, one at a time, to the
/// function it is given; returns what `read` returns. Given `None` instead
/// of a chunk, that function returns once every job is done.
fn in_read_chunks<C, J: Send, T: Send, R>(
    read: impl FnOnce(&mut dyn FnMut(Option<C>) -> Result<(), CliError>) -> Result<R, CliError>,
    mut prepare: impl FnMut(C) -> Result<J, CliError>,
    work: impl Fn(usize, J) -> Result<T, CliError> + Sync,
    mut done: impl FnMut(T) -> Result<(), CliError>,
) -> Result<R, CliError> {
    let in_flight = rayon::current_num_threads().max(1) * 2;
    let (sender, results) = std::sync::mpsc::channel::<(usize, Result<T, CliError>)>();
    let work = &work;
    rayon::in_place_scope(|scope| {
        let mut sent = 0;
        let mut next = 0;
        let mut finished: BTreeMap<usize, Result<T, CliError>> = BTreeMap::new();
        // Hands over the results that are next in order; with `wait`, waits
        // until fewer than `wait` jobs are left in flight.
        let mut collect = |sent: usize, wait: usize| -> Result<(), CliError> {
            loop {
                while let Ok((index, result)) = results.try_recv() {
                    finished.insert(index, result);
                }
                while let Some(result) = finished.remove(&next) {
                    done(result?)?;
                    next += 1;
                }
                if sent - next < wait.max(1) {
                    return Ok(());
                }
                match results.recv() {
                    Ok((index, result)) => {
                        finished.insert(index, result);
                    }
                    // Invariant: every job sends its result before it ends,
                    // and the sender lives as long as this scope.
                    Err(_) => return Ok(()),
                }
            }
        };
        let read = read(&mut |trades| {
            let Some(trades) = trades else {
                return collect(sent, 1);
            };
            let job = prepare(trades)?;
            let index = sent;
            let sender = sender.clone();
            scope.spawn(move |_| {
                // The receiver only goes away after every job is done.
                let _ = sender.send((index, work(index, job)));
            });
            sent += 1;
            collect(sent, in_flight)
        })?;
        collect(sent, 1)?;
        Ok(read)
    })
}

/// Writes `tranche trades --json`: every trade with its analysis (and its
/// excursion against the journal's bars, where they span it), as one
/// pretty-printed JSON array ending in a newline; `chunk` trades at a time.
pub fn write_trades_json(
    journal: &Journal,
    chunk: usize,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let settings = journal.rule_settings()?;
    let market = crate::market::MarketBars::load(journal)?;
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    out.write_all(b"[")?;
    let any = trades_json_kept(journal, &settings, &market, chunk, &mut out)?;
    out.write_all(if any { b"\n]\n" } else { b"]\n" })?;
    out.flush()?;
    Ok(())
}

/// Some elements of `trades --json`, written on the pool from kept rows and
/// fresh analyses, with the places of the trades whose kept rows did not
/// decode: those are analysed on the reading thread.
#[derive(Default)]
struct Listed {
    bytes: Vec<u8>,
    /// `(where in bytes, trade, whether it is the first element)`.
    unreadable: Vec<(usize, TradeId, bool)>,
    fresh: Fresh,
}

/// The elements of `trades --json`; whether there was any.
///
/// A trade whose analysis is kept with what it shows (its sentences and
/// twin, [`kept::decode_shown`]) under these settings is written from it
/// (one row read instead of its events, no analysis); any other is analysed
/// from its events and its analysis kept with what it shows: chunk by chunk
/// while the journal is read, by a [`Keeper`](crate::storage::Keeper) on a
/// connection of its own, as long as no other program writes to the
/// journal meanwhile (a journal in memory keeps them after the read, as
/// [`journal_stats`] keeps its fresh analyses). A kept row that does not
/// decode is passed over: its trade is read again in the same snapshot and
/// analysed, and the row replaced. A trade in a symbol the journal holds
/// bars of is read with its events and analysed every time, and measured
/// against its bars (which only this thread may read) on the pool.
fn trades_json_kept(
    journal: &Journal,
    settings: &RuleSettings,
    market: &crate::market::MarketBars,
    chunk: usize,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let basis = Basis::of(settings);
    let mut fresh = Fresh::default();
    let mut any = false;
    // A journal that cannot be written keeps nothing: nothing is held.
    let keeps = !journal.is_read_only();
    // Made before the read starts: it keeps only what was computed from the
    // journal as it still is.
    let mut keeper = match keeps {
        true => journal.keeper(basis.0)?,
        false => None,
    };
    // One trade analysed from its events: its element (the first of the
    // document or not) and what to keep: nothing with an excursion (such a
    // trade is read with its events every time), else its figures unless
    // they are kept, and what it shows.
    let analysed = |id: TradeId,
                    trade: &Trade,
                    (first, figures_kept): (bool, bool),
                    excursion: Option<&Excursion>,
                    bytes: &mut Vec<u8>,
                    fresh: &mut Fresh| {
        let analysis = analyze(trade, settings);
        let twin = twin(trade, &analysis).figures();
        if excursion.is_none() && keeps {
            let figures = (!figures_kept).then(|| kept::encode(trade, &analysis));
            fresh.add(
                id,
                figures.as_deref(),
                Some(&kept::encode_shown(&analysis, &twin)),
            );
        }
        push_element(
            bytes,
            &TradeJson::new(id, trade, &analysis, twin, excursion),
            1,
            first,
        )
    };
    let wants_events = |symbol: &str| market.has_series_of(symbol);
    let read = in_read_chunks(
        |each| journal.read_shown_chunks(basis.0, chunk, &wants_events, each),
        |chunk: KeptChunk| {
            // The bars of the trades read for them, read here.
            let mut bars: HashMap<TradeId, BarSeries> = HashMap::new();
            if chunk.wants_any_events() {
                for (i, (id, row)) in chunk.decode()?.into_iter().enumerate() {
                    if let (true, KeptRow::Trade(trade)) = (chunk.events_wanted(i), row)
                        && let Some(series) = market.trade_bars(journal, &trade, 0)?
                    {
                        bars.insert(id, series);
                    }
                }
            }
            Ok((chunk, bars))
        },
        |index, (chunk, bars): (KeptChunk, HashMap<TradeId, BarSeries>)| {
            let mut listed = Listed {
                bytes: Vec::with_capacity(chunk.len() * 1536),
                ..Listed::default()
            };
            for (i, (id, row)) in chunk.decode()?.into_iter().enumerate() {
                let first = index == 0 && i == 0;
                match row {
                    KeptRow::Kept { bytes, shown, .. } => {
                        let decoded = kept::decode(bytes).and_then(|mut kept| {
                            let twin = kept::decode_shown(shown?, &mut kept.analysis)?;
                            Some((kept, twin))
                        });
                        match decoded {
                            Some((kept, twin)) => {
                                let view =
                                    TradeJson::new(id, &kept.trade, &kept.analysis, twin, None);
                                push_element(&mut listed.bytes, &view, 1, first)?;
                            }
                            None => listed.unreadable.push((listed.bytes.len(), id, first)),
                        }
                    }
                    KeptRow::Trade(trade) => {
                        let figures_kept = chunk.figures_kept(i);
                        let excursion = bars.get(&id).and_then(|series| excursion(&trade, series));
                        analysed(
                            id,
                            &trade,
                            (first, figures_kept),
                            excursion.as_ref(),
                            &mut listed.bytes,
                            &mut listed.fresh,
                        )?;
                    }
                }
            }
            Ok(listed)
        },
        |listed| {
            any |= !listed.bytes.is_empty() || !listed.unreadable.is_empty();
            let mut written = 0;
            let mut element = Vec::new();
            for &(at, id, first) in &listed.unreadable {
                out.write_all(&listed.bytes[written..at])?;
                written = at;
                // Read in the snapshot of the rows: `done` runs while the
                // read is open (`read_shown_chunks` waits for it at the end).
                let trade = journal.trade(id)?.ok_or(StorageError::Corrupt {
                    what: UNREADABLE,
                    value: id.0.to_string(),
                })?;
                element.clear();
                // Its symbol has no bars: it was read from a kept row.
                analysed(id, &trade, (first, false), None, &mut element, &mut fresh)?;
                out.write_all(&element)?;
            }
            out.write_all(&listed.bytes[written..])?;
            fresh.append(listed.fresh);
            if let Some(keeper) = keeper.as_mut() {
                keeper.keep(
                    fresh
                        .iter()
                        .filter_map(|(id, figures, shown)| Some((id, figures, shown?))),
                )?;
                fresh = Fresh::default();
            }
            Ok(())
        },
    )?;
    journal.keep_shown_analyses(
        basis.0,
        read,
        fresh
            .iter()
            .filter_map(|(id, figures, shown)| Some((id, figures, shown?))),
    )?;
    Ok(any)
}

/// Writes `tranche export --format json`: the tranche-journal document of
/// the whole journal with its playbooks, as [`interchange::write_json_with`]
/// writes it; `chunk` trades at a time.
pub fn write_export_json(
    journal: &Journal,
    chunk: usize,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let playbooks = journal.playbooks()?;
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut head = Vec::new();
    head.extend_from_slice(b"{\n  \"format\": ");
    serde_json::to_writer(&mut head, interchange::FORMAT_NAME).map_err(io::Error::from)?;
    head.extend_from_slice(format!(",\n  \"version\": {}", interchange::FORMAT_VERSION).as_bytes());
    if !playbooks.is_empty() {
        head.extend_from_slice(b",\n  \"playbooks\": ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut head, Pretty::at(1));
        playbooks
            .serialize(&mut serializer)
            .map_err(io::Error::from)?;
    }
    head.extend_from_slice(b",\n  \"trades\": [");
    out.write_all(&head)?;
    let mut any = false;
    in_chunks(
        journal,
        chunk,
        Ok,
        |index, read| {
            let trades = read.decode()?;
            let mut bytes = Vec::with_capacity(trades.len() * 1024);
            for (i, (_, trade)) in trades.iter().enumerate() {
                push_element(
                    &mut bytes,
                    &interchange::trade_out(trade),
                    2,
                    index == 0 && i == 0,
                )?;
            }
            Ok(bytes)
        },
        |bytes| {
            any |= !bytes.is_empty();
            Ok(out.write_all(&bytes)?)
        },
    )?;
    out.write_all(if any { b"\n  ]\n}\n" } else { b"]\n}\n" })?;
    out.flush()?;
    Ok(())
}

/// The statistics of the journal's trades that pass `filter`, as
/// [`crate::analysis::stats::journal_stats`] gives them for all of its
/// trades at once, summed `chunk` trades at a time.
///
/// Each trade's analysis is the one the journal keeps for it under these
/// settings ([`crate::analysis::kept`]); a trade without one is analysed
/// from its events, and its analysis is kept afterwards, unless the journal
/// changed in the meantime or cannot be written.
pub fn journal_stats(
    journal: &Journal,
    filter: &Filter,
    settings: &RuleSettings,
    chunk: usize,
) -> Result<JournalStats, CliError> {
    Ok(journal_stats_as_read(journal, filter, settings, chunk)?.0)
}

/// The statistics a report prints: [`journal_stats`] without the per-trade
/// curves ([`JournalStats::equity_curve`], [`JournalStats::scale_out_effects`]).
///
/// Those of the whole journal (no filter, each time read as it was
/// recorded) are the ones the journal keeps (`migrations/0012_kept_stats.sql`)
/// under these settings, where it keeps any; otherwise they are added up,
/// and then kept, unless the journal changed in the meantime or cannot be
/// written.
pub fn report_stats(
    journal: &Journal,
    filter: &Filter,
    settings: &RuleSettings,
    chunk: usize,
) -> Result<JournalStats, CliError> {
    let whole = *filter == Filter::default();
    let basis = Basis::of_stats(settings).0;
    if whole
        && let Some(stats) = journal
            .kept_stats(basis)?
            .as_deref()
            .and_then(kept::decode_stats)
    {
        return Ok(stats);
    }
    let (mut stats, read) = journal_stats_as_read(journal, filter, settings, chunk)?;
    stats.equity_curve = Vec::new();
    stats.scale_out_effects = Vec::new();
    if whole {
        journal.keep_stats(basis, read, &kept::encode_stats(&stats))?;
    }
    Ok(stats)
}

/// [`journal_stats`], and the journal's version as they were read.
fn journal_stats_as_read(
    journal: &Journal,
    filter: &Filter,
    settings: &RuleSettings,
    chunk: usize,
) -> Result<(JournalStats, ReadVersion), CliError> {
    match stats_of_kept(journal, filter, settings, chunk) {
        // Bytes this program cannot read under its own basis are forgotten
        // (every trade is then analysed from its events), not a dead end.
        Err(CliError::Storage(StorageError::Corrupt { what, .. })) if what == UNREADABLE => {
            journal.forget_kept_analyses()?;
            stats_of_kept(journal, filter, settings, chunk)
        }
        result => result,
    }
}

/// What a kept analysis that does not decode is called in its error.
const UNREADABLE: &str = "kept analysis of trade";

fn stats_of_kept(
    journal: &Journal,
    filter: &Filter,
    settings: &RuleSettings,
    chunk: usize,
) -> Result<(JournalStats, ReadVersion), CliError> {
    let basis = Basis::of(settings);
    let mut sums: Option<JournalSums> = None;
    let mut fresh = Fresh::default();
    let read = in_read_chunks(
        |each| journal.read_kept_chunks(basis.0, chunk, |read| each(Some(read))),
        Ok,
        |_, chunk: KeptChunk| {
            let mut made = Fresh::default();
            let mut adder = JournalSums::adding(filter, settings);
            adder.reserve(chunk.len());
            // One slot for every kept analysis of the chunk: decoding one
            // reuses the last one's texts instead of allocating its own.
            let mut slot = KeptAnalysis::blank();
            for (id, row) in chunk.decode()? {
                match row {
                    KeptRow::Kept { bytes, tags, .. } => {
                        if !kept::decode_into(bytes, &mut slot) {
                            return Err(StorageError::Corrupt {
                                what: UNREADABLE,
                                value: id.0.to_string(),
                            }
                            .into());
                        }
                        slot.trade.tags = tags;
                        adder.add(&Analysed {
                            id,
                            trade: &slot.trade,
                            analysis: &slot.analysis,
                            notional: slot.notional,
                        });
                    }
                    KeptRow::Trade(trade) => {
                        let analysis = analyze_with(&trade, settings, Messages::Skip);
                        let analysed = Analysed::new(id, &trade, &analysis);
                        made.add(id, Some(&kept::encode_analysed(&analysed)), None);
                        adder.add(&analysed);
                    }
                }
            }
            Ok((adder.finish(), made))
        },
        |(part, made)| {
            match &mut sums {
                Some(sums) => sums.merge(part),
                None => sums = Some(part),
            }
            fresh.append(made);
            Ok(())
        },
    )?;
    journal.keep_analyses(
        basis.0,
        read,
        fresh
            .iter()
            .filter_map(|(id, figures, _)| Some((id, figures?))),
    )?;
    Ok((sums.unwrap_or_default().finish(), read))
}

/// Analyses made while reading, to keep: for each, its figures and (for
/// `trades --json`) what is shown beside them. They are held as the chunks
/// made them (a part each), never copied into one buffer: a buffer doubling
/// as it grew would hold up to twice their bytes.
#[derive(Debug, Default)]
struct Fresh {
    parts: Vec<FreshPart>,
}

/// The analyses one chunk made, as bytes one after the other.
#[derive(Debug, Default)]
struct FreshPart {
    ids: Vec<TradeId>,
    figures: Packed,
    shown: Packed,
}

/// Byte strings one after the other.
#[derive(Debug, Default)]
struct Packed {
    ends: Vec<usize>,
    bytes: Vec<u8>,
}

impl Packed {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len());
    }

    fn shrink_to_fit(&mut self) {
        self.ends.shrink_to_fit();
        self.bytes.shrink_to_fit();
    }

    /// String `i`, if there is one.
    fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1],
        };
        Some(&self.bytes[start..end])
    }
}

impl Fresh {
    /// Adds a trade's figures (`None` where they are kept already), and
    /// what is shown beside them if any: the analyses of one `Fresh` all
    /// have it or none does.
    fn add(&mut self, id: TradeId, figures: Option<&[u8]>, shown: Option<&[u8]>) {
        if self.parts.is_empty() {
            self.parts.push(FreshPart::default());
        }
        let last = self.parts.len() - 1;
        let part = &mut self.parts[last];
        part.ids.push(id);
        // Encoded figures are never empty: empty stands for none.
        part.figures.push(figures.unwrap_or_default());
        if let Some(shown) = shown {
            part.shown.push(shown);
        }
    }

    /// Takes the analyses of `later`, after these.
    fn append(&mut self, later: Fresh) {
        for mut part in later.parts {
            part.ids.shrink_to_fit();
            part.figures.shrink_to_fit();
            part.shown.shrink_to_fit();
            self.parts.push(part);
        }
    }

    fn iter(&self) -> impl Iterator<Item = (TradeId, Option<&[u8]>, Option<&[u8]>)> {
        self.parts.iter().flat_map(|part| {
            part.ids.iter().enumerate().map(|(i, &id)| {
                let figures = part.figures.get(i).filter(|figures| !figures.is_empty());
                (id, figures, part.shown.get(i))
            })
        })
    }
}
