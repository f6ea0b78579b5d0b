//! What the app needs from a journal, as a trait the background worker drives.
//!
//! [`Store`] is the slice of the journal's API that the desktop app uses. The
//! SQLite journal implements it; [`MemoryStore`] keeps trades in memory, for
//! tests and for trying the app without touching a file. It cannot import
//! broker statements: that needs the journal's record of imported fills, and
//! it says so rather than pretend.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::analysis::excursion::Excursion;
use crate::analysis::{RuleSettings, row_analysis};
use crate::domain::{Trade, TradeId};
use crate::import::{GroupOptions, Import};
use crate::model::TradeRow;
use crate::storage::{ImportOutcome, StatementCheck};

pub use crate::model::StoreError;

impl From<String> for StoreError {
    fn from(message: String) -> Self {
        StoreError::Refused(message)
    }
}

impl From<&str> for StoreError {
    fn from(message: &str) -> Self {
        StoreError::Refused(message.to_owned())
    }
}

pub use crate::model::Multipliers;

/// Why the in-memory journal refuses a broker import.
pub const MEMORY_CANNOT_IMPORT: &str = "the in-memory journal cannot import broker statements: \
     they need a journal file, which remembers every imported fill so that a re-import adds nothing";

/// A journal of trades that the app can load from and write to.
///
/// Every call may do I/O: the app calls these only on its worker thread.
pub trait Store: Send {
    /// Every trade, by id.
    fn trades(&self) -> Result<Vec<(TradeId, Trade)>, StoreError>;
    /// Every trade, by id, as the list's row with its analysis under `settings`.
    fn rows(&self, settings: &RuleSettings) -> Result<Vec<TradeRow>, StoreError> {
        use rayon::prelude::*;
        Ok(self
            .trades()?
            .into_par_iter()
            .map(|(id, trade)| {
                let analysis = row_analysis(&trade, settings);
                TradeRow::new(id, Arc::new(trade), analysis)
            })
            .collect())
    }
    /// Saves a new trade in one transaction and returns its id.
    fn insert_trade(&mut self, trade: &Trade) -> Result<TradeId, StoreError>;
    /// Saves many trades, all or nothing, reporting `(done, total)` as it goes.
    fn insert_trades(
        &mut self,
        trades: &[Trade],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError>;
    /// Saves many trades and replaces the setups' playbooks with
    /// `playbooks`, all or nothing, reporting `(done, total)` as it goes.
    fn insert_trades_with_playbooks(
        &mut self,
        trades: &[Trade],
        playbooks: &[crate::domain::Playbook],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError>;
    /// Replaces a saved trade in one transaction.
    fn update_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError>;
    /// Deletes a trade.
    fn delete_trade(&mut self, id: TradeId) -> Result<(), StoreError>;
    /// Puts a deleted trade back under its old id.
    fn restore_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError>;
    /// The journal's rule weights and risk tolerance.
    fn rule_settings(&self) -> Result<RuleSettings, StoreError>;
    /// Saves the journal's rule weights and risk tolerance.
    fn set_rule_settings(&mut self, settings: &RuleSettings) -> Result<(), StoreError>;
    /// Where the journal lives, for the title bar; `None` for an in-memory journal.
    fn location(&self) -> Option<String>;
    /// Commits a broker import in one transaction: fills the journal has seen
    /// are skipped, fills that continue an open imported trade extend it.
    /// With `dry_run` nothing is kept, and the outcome says what would be
    /// added. `progress(done, total)` counts trades written.
    fn commit_import(
        &mut self,
        import: &Import,
        options: &GroupOptions,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome, StoreError>;
    /// The checks of statements' own totals kept with imports, in the order
    /// they were committed. A store that cannot import has none.
    fn statement_checks(&self) -> Result<Vec<StatementCheck>, StoreError> {
        Ok(Vec::new())
    }
    /// The multipliers the user set for imports.
    fn import_multipliers(&self) -> Result<Multipliers, StoreError>;
    /// Saves the multipliers the user set for imports.
    fn set_import_multipliers(&mut self, multipliers: &Multipliers) -> Result<(), StoreError>;
    /// The price bars of `trade`'s life with `margin` bars more on each side;
    /// `None` when the store holds no bars that span it (a store without
    /// bars has none).
    fn trade_bars(
        &self,
        _trade: &Trade,
        _margin: i64,
    ) -> Result<Option<crate::domain::bars::BarSeries>, StoreError> {
        Ok(None)
    }
    /// Each of `trades` that price bars span, measured against them (RULES.md,
    /// "With price bars"); `progress` is told how many are done of how many.
    fn trade_excursions(
        &self,
        trades: &[(TradeId, Arc<Trade>)],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<HashMap<TradeId, Excursion>, StoreError> {
        let mut by_trade = HashMap::new();
        for (done, (id, trade)) in trades.iter().enumerate() {
            if let Some(x) = self
                .trade_bars(trade, 0)?
                .and_then(|bars| crate::analysis::excursion::excursion(trade, &bars))
            {
                by_trade.insert(*id, x);
            }
            progress(done + 1, trades.len());
        }
        Ok(by_trade)
    }
    /// The map of trade symbols to price bars symbols (empty for a store without bars).
    fn bars_symbol_map(&self) -> Result<BTreeMap<String, String>, StoreError> {
        Ok(BTreeMap::new())
    }
    /// Saves the map of trade symbols to price bars symbols.
    fn set_bars_symbol_map(&mut self, _map: &BTreeMap<String, String>) -> Result<(), StoreError> {
        Err(StoreError::Refused(
            "the in-memory journal keeps no price bars".to_owned(),
        ))
    }
    /// Adds price bars in one transaction (those already held are skipped),
    /// reporting `(done, total)` bars as it goes; returns how many were added.
    fn insert_bars(
        &mut self,
        _series: &crate::domain::bars::BarSeries,
        _source: &str,
        _progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, StoreError> {
        Err(StoreError::Refused(
            "the in-memory journal keeps no price bars".to_owned(),
        ))
    }
}

/// A journal held in memory: nothing is written anywhere.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    trades: BTreeMap<TradeId, Trade>,
    next_id: i64,
    settings: RuleSettings,
    multipliers: Multipliers,
}

impl MemoryStore {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// A journal holding `trades`, numbered from 1.
    pub fn with_trades(trades: impl IntoIterator<Item = Trade>) -> Self {
        let mut store = Self::new();
        for trade in trades {
            store.next_id += 1;
            store.trades.insert(TradeId(store.next_id), trade);
        }
        store
    }

    fn check(trade: &Trade) -> Result<(), StoreError> {
        trade.validate().map_err(|errors| {
            let first = errors.first().map_or_else(String::new, ToString::to_string);
            StoreError::from(format!("the trade is not valid: {first}"))
        })
    }
}

impl Store for MemoryStore {
    fn trades(&self) -> Result<Vec<(TradeId, Trade)>, StoreError> {
        Ok(self
            .trades
            .iter()
            .map(|(&id, trade)| (id, trade.clone()))
            .collect())
    }

    fn insert_trade(&mut self, trade: &Trade) -> Result<TradeId, StoreError> {
        Self::check(trade)?;
        self.next_id += 1;
        let id = TradeId(self.next_id);
        self.trades.insert(id, trade.clone());
        Ok(id)
    }

    fn insert_trades(
        &mut self,
        trades: &[Trade],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        for trade in trades {
            Self::check(trade)?;
        }
        let mut ids = Vec::with_capacity(trades.len());
        for (done, trade) in trades.iter().enumerate() {
            ids.push(self.insert_trade(trade)?);
            progress(done + 1, trades.len());
        }
        Ok(ids)
    }

    fn insert_trades_with_playbooks(
        &mut self,
        trades: &[Trade],
        playbooks: &[crate::domain::Playbook],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        let ids = self.insert_trades(trades, progress)?;
        self.settings.playbooks = playbooks.to_vec();
        Ok(ids)
    }

    fn update_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError> {
        Self::check(trade)?;
        match self.trades.get_mut(&id) {
            Some(slot) => {
                *slot = trade.clone();
                Ok(())
            }
            None => Err(format!("trade {id} is not in the journal").into()),
        }
    }

    fn delete_trade(&mut self, id: TradeId) -> Result<(), StoreError> {
        self.trades
            .remove(&id)
            .map(|_| ())
            .ok_or_else(|| format!("trade {id} is not in the journal").into())
    }

    fn restore_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError> {
        Self::check(trade)?;
        self.trades.insert(id, trade.clone());
        self.next_id = self.next_id.max(id.0);
        Ok(())
    }

    fn rule_settings(&self) -> Result<RuleSettings, StoreError> {
        Ok(self.settings.clone())
    }

    fn set_rule_settings(&mut self, settings: &RuleSettings) -> Result<(), StoreError> {
        self.settings = settings.clone();
        Ok(())
    }

    fn location(&self) -> Option<String> {
        None
    }

    fn commit_import(
        &mut self,
        _import: &Import,
        _options: &GroupOptions,
        _dry_run: bool,
        _progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome, StoreError> {
        Err(MEMORY_CANNOT_IMPORT.into())
    }

    fn import_multipliers(&self) -> Result<Multipliers, StoreError> {
        Ok(self.multipliers.clone())
    }

    fn set_import_multipliers(&mut self, multipliers: &Multipliers) -> Result<(), StoreError> {
        self.multipliers = multipliers.clone();
        Ok(())
    }
}
