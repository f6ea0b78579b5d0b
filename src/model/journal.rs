//! The journal as the app holds it in memory: every trade with its analysis.
//!
//! Loaded once off the UI thread, then kept in step with each save, delete
//! and import, so that no frame queries the database or re-analyses a trade.

use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis::{RuleSettings, TradeAnalysis, row_analysis};
use crate::domain::{Trade, TradeId};

/// One trade, its analysis, and what the list's text filter searches.
#[derive(Debug, Clone)]
pub struct TradeRow {
    /// The trade's id in the journal.
    pub id: TradeId,
    /// The trade.
    pub trade: Arc<Trade>,
    /// Its analysis under the current rule settings, made by
    /// [`row_analysis`]: its violations have no message (the detail and the
    /// editor analyse the one trade they show with the messages).
    pub analysis: TradeAnalysis,
    /// Symbol, setup and tags in lower case, for the text filter.
    pub haystack: String,
}

impl TradeRow {
    /// A row for `trade` with its analysis.
    pub fn new(id: TradeId, trade: Arc<Trade>, analysis: TradeAnalysis) -> Self {
        let mut haystack = format!("{}\u{1f}{}", trade.symbol, trade.setup);
        for tag in &trade.tags {
            haystack.push('\u{1f}');
            haystack.push_str(tag);
        }
        TradeRow {
            id,
            trade,
            analysis,
            haystack: haystack.to_lowercase(),
        }
    }
}

/// Every loaded trade, in id order, with a revision that changes on every edit.
///
/// The rows are shared ([`Trades::shared_rows`]) with work done off the UI
/// thread, such as the review's statistics; an edit while such work holds
/// them copies them first, so that work sees the rows it started with.
#[derive(Debug, Default)]
pub struct Trades {
    rows: Arc<Vec<TradeRow>>,
    positions: HashMap<TradeId, usize>,
    revision: u64,
}

impl Trades {
    /// Replaces everything.
    pub fn replace_all(&mut self, mut rows: Vec<TradeRow>) {
        rows.sort_by_key(|row| row.id);
        self.rows = Arc::new(rows);
        self.reindex();
    }

    fn reindex(&mut self) {
        self.positions = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| (row.id, i))
            .collect();
        self.revision += 1;
    }

    /// Adds or replaces one trade, analysing it with `settings`.
    pub fn upsert(&mut self, id: TradeId, trade: Arc<Trade>, settings: &RuleSettings) {
        let analysis = row_analysis(&trade, settings);
        let row = TradeRow::new(id, trade, analysis);
        match self.positions.get(&id) {
            Some(&i) => {
                Arc::make_mut(&mut self.rows)[i] = row;
                self.revision += 1;
            }
            None => {
                let at = self.rows.partition_point(|r| r.id < id);
                Arc::make_mut(&mut self.rows).insert(at, row);
                self.reindex();
            }
        }
    }

    /// Adds many analysed trades (replacing any with the same id).
    pub fn extend(&mut self, rows: impl IntoIterator<Item = TradeRow>) {
        let all = Arc::make_mut(&mut self.rows);
        for row in rows {
            match self.positions.get(&row.id) {
                Some(&i) => all[i] = row,
                None => all.push(row),
            }
        }
        all.sort_by_key(|row| row.id);
        self.reindex();
    }

    /// Removes a trade; returns it.
    pub fn remove(&mut self, id: TradeId) -> Option<TradeRow> {
        let i = *self.positions.get(&id)?;
        let row = Arc::make_mut(&mut self.rows).remove(i);
        self.reindex();
        Some(row)
    }

    /// Replaces every analysis (same order as [`Trades::rows`]).
    pub fn set_analyses(&mut self, analyses: Vec<TradeAnalysis>) {
        if analyses.len() != self.rows.len() {
            return;
        }
        for (row, analysis) in Arc::make_mut(&mut self.rows).iter_mut().zip(analyses) {
            row.analysis = analysis;
        }
        self.revision += 1;
    }

    /// The trades in id order.
    pub fn rows(&self) -> &[TradeRow] {
        &self.rows
    }

    /// One trade by id.
    pub fn row(&self, id: TradeId) -> Option<&TradeRow> {
        self.positions.get(&id).map(|&i| &self.rows[i])
    }

    /// How many trades are loaded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no trade is loaded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A number that changes whenever the trades or their analyses change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The rows themselves, shared, for work off the UI thread.
    pub fn shared_rows(&self) -> Arc<Vec<TradeRow>> {
        Arc::clone(&self.rows)
    }

    /// The trades themselves, shared, in row order.
    pub fn shared_trades(&self) -> Vec<Arc<Trade>> {
        self.rows.iter().map(|row| Arc::clone(&row.trade)).collect()
    }
}
