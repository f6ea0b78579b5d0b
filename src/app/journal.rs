//! The SQLite journal as the app's [`Store`], opened on the worker thread.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::excursion::Excursion;
use crate::analysis::{RuleSettings, row_analysis};
use crate::domain::{Trade, TradeId};
use crate::import::{GroupOptions, Import};
use crate::model::TradeRow;
use crate::storage::{ImportOutcome, Journal, StatementCheck};

use super::store::{Multipliers, Store, StoreError};
use super::worker::Opener;

/// Opens (creating or migrating) the journal at `path`, on the worker thread.
pub fn opener(path: PathBuf) -> Opener {
    Box::new(move || Ok(Box::new(Journal::open(&path)?) as Box<dyn Store>))
}

impl Store for Journal {
    fn trades(&self) -> Result<Vec<(TradeId, Trade)>, StoreError> {
        Ok(Journal::trades(self)?)
    }

    /// Read on as many connections as there are cores, each trade analysed
    /// on the thread that read it.
    fn rows(&self, settings: &RuleSettings) -> Result<Vec<TradeRow>, StoreError> {
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(self.map_trades(parts, |id, trade| {
            let analysis = row_analysis(&trade, settings);
            TradeRow::new(id, Arc::new(trade), analysis)
        })?)
    }

    fn insert_trade(&mut self, trade: &Trade) -> Result<TradeId, StoreError> {
        Ok(Journal::insert_trade(self, trade)?)
    }

    fn insert_trades(
        &mut self,
        trades: &[Trade],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        Ok(Journal::insert_trades(self, trades, progress)?)
    }

    fn insert_trades_with_playbooks(
        &mut self,
        trades: &[Trade],
        playbooks: &[crate::domain::Playbook],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<TradeId>, StoreError> {
        Ok(Journal::insert_trades_with_playbooks(
            self,
            trades,
            Some(playbooks),
            progress,
        )?)
    }

    fn update_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError> {
        Ok(Journal::update_trade(self, id, trade)?)
    }

    fn delete_trade(&mut self, id: TradeId) -> Result<(), StoreError> {
        Ok(Journal::delete_trade(self, id)?)
    }

    fn restore_trade(&mut self, id: TradeId, trade: &Trade) -> Result<(), StoreError> {
        Ok(Journal::restore_trade(self, id, trade)?)
    }

    fn rule_settings(&self) -> Result<RuleSettings, StoreError> {
        Ok(Journal::rule_settings(self)?)
    }

    fn set_rule_settings(&mut self, settings: &RuleSettings) -> Result<(), StoreError> {
        Ok(Journal::set_rule_settings(self, settings)?)
    }

    fn location(&self) -> Option<String> {
        self.path().map(|path| path.display().to_string())
    }

    fn commit_import(
        &mut self,
        import: &Import,
        options: &GroupOptions,
        dry_run: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome, StoreError> {
        Ok(Journal::commit_import(
            self, import, options, dry_run, progress,
        )?)
    }

    fn statement_checks(&self) -> Result<Vec<StatementCheck>, StoreError> {
        Ok(Journal::statement_checks(self)?)
    }

    fn import_multipliers(&self) -> Result<Multipliers, StoreError> {
        Ok(Journal::import_multipliers(self)?)
    }

    fn trade_bars(
        &self,
        trade: &Trade,
        margin: i64,
    ) -> Result<Option<crate::domain::bars::BarSeries>, StoreError> {
        let map = self.bars_symbol_map()?;
        Ok(crate::market::trade_bars(self, trade, &map, margin)?)
    }

    fn trade_excursions(
        &self,
        trades: &[(TradeId, Arc<Trade>)],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<HashMap<TradeId, Excursion>, StoreError> {
        let market = crate::market::MarketBars::load(self)?;
        let mut by_trade = HashMap::new();
        if market.is_empty() {
            return Ok(by_trade);
        }
        for (done, (id, trade)) in trades.iter().enumerate() {
            if let Some(x) = market.excursion(self, trade)? {
                by_trade.insert(*id, x);
            }
            progress(done + 1, trades.len());
        }
        Ok(by_trade)
    }

    fn bars_symbol_map(&self) -> Result<std::collections::BTreeMap<String, String>, StoreError> {
        Ok(Journal::bars_symbol_map(self)?)
    }

    fn set_bars_symbol_map(
        &mut self,
        map: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        Ok(Journal::set_bars_symbol_map(self, map)?)
    }

    fn insert_bars(
        &mut self,
        series: &crate::domain::bars::BarSeries,
        source: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, StoreError> {
        Ok(Journal::insert_bars(self, series, source, progress)?.added)
    }

    fn set_import_multipliers(&mut self, multipliers: &Multipliers) -> Result<(), StoreError> {
        Ok(Journal::set_import_multipliers(self, multipliers)?)
    }
}
