//! The desktop app: the window, the loaded journal, and the one place where
//! the panels' commands are applied.
//!
//! [`TrancheApp`] holds every loaded trade with its analysis ([`crate::model::Trades`]),
//! recomputed only when the journal or the rule settings change. The journal
//! itself lives on a background thread ([`worker`]): opening, loading, saving,
//! importing and exporting never block a frame. Panels from [`crate::ui`] draw
//! themselves and return [`Command`]s, applied after the frame by
//! [`TrancheApp::apply`].
//!
//! Window size, panel sizes, the list's sort and filters, the time zone and the
//! theme are remembered by eframe; the journal's data never goes there.

mod dialogs;
mod interchange_io;
pub mod journal;
pub mod protocol;
pub mod sample;
pub mod statement;
pub mod store;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use egui::{Align, Key, KeyboardShortcut, Layout, Modifiers, RichText, Ui};
use serde::{Deserialize, Serialize};

use crate::analysis::RuleSettings;
use crate::domain::{Trade, TradeId};
use crate::storage::StatementCheck;
use crate::ui::detail::TradeDetail;
use crate::ui::editor::TradeEditor;
use crate::ui::filter::TradeFilter;
use crate::ui::import::{ImportDialog, ProgressView};
use crate::ui::list::{ListPrefs, TradeList};
use crate::ui::review::{ReviewPanel, ReviewPrefs};
use crate::ui::settings::SettingsPanel;
use crate::ui::time::Zone;
use crate::ui::{Command, Theme, View, ViewContext};

use crate::model::{TradeRow, Trades};
use dialogs::DialogResult;
use statement::{StatementJob, StatementReply};
use store::{Multipliers, Store};
use worker::{Job, JobKind, Opener, Reply, Worker};

/// How long a deleted trade can be brought back from the toast, in seconds.
pub const UNDO_SECONDS: f64 = 10.0;

/// Why the app could not run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The window could not be created.
    #[error("could not open the window: {0}")]
    Window(String),
}

/// Opens the window on the journal at `journal_path` and runs until it is closed.
pub fn run(journal_path: PathBuf) -> Result<(), AppError> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Tranche")
            .with_app_id("tranche")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([760.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "Tranche",
        options,
        Box::new(move |cc| Ok(Box::new(TrancheApp::new(cc, journal::opener(journal_path))))),
    )
    .map_err(|err| AppError::Window(err.to_string()))
}

/// What eframe remembers between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// The list's sort and filters.
    pub list: ListPrefs,
    /// The zone times are shown and typed in.
    pub zone: Zone,
    /// The colour theme.
    pub theme: Theme,
    /// The filter the list and the review share.
    pub filter: TradeFilter,
    /// The review dashboard's own choices.
    pub review: ReviewPrefs,
    /// The view the window showed, the trade or the review (settings are
    /// never reopened).
    pub view: View,
}

/// A long job's progress, for the progress bar.
#[derive(Debug, Clone)]
struct Progress {
    label: String,
    done: usize,
    total: usize,
}

/// A file's path typed by hand, when no file dialog could be shown.
#[derive(Debug, Clone)]
struct PathPrompt {
    /// Whether the journal is to be exported to the file (else the file imported).
    export: bool,
    text: String,
}

/// A path as typed: trimmed, quotes around it dropped, and a leading `~`
/// standing for the home folder.
fn typed_path(text: &str) -> PathBuf {
    let text = text.trim();
    let text = text
        .strip_prefix(['"', '\''])
        .and_then(|t| t.strip_suffix(['"', '\'']))
        .unwrap_or(text);
    let home = || directories::UserDirs::new().map(|dirs| dirs.home_dir().to_path_buf());
    if text == "~" {
        if let Some(home) = home() {
            return home;
        }
    } else if let Some(rest) = text.strip_prefix("~/")
        && let Some(home) = home()
    {
        return home.join(rest);
    }
    PathBuf::from(text)
}

/// A deleted trade that can still be brought back.
#[derive(Debug, Clone)]
struct Undo {
    id: TradeId,
    trade: Arc<Trade>,
    until: f64,
}

/// The app.
pub struct TrancheApp {
    worker: Worker,
    trades: Trades,
    rule_settings: RuleSettings,
    prefs: Preferences,
    list: TradeList,
    detail: TradeDetail,
    editor: Option<TradeEditor>,
    settings_panel: Option<SettingsPanel>,
    review: ReviewPanel,
    view: View,
    selected: Option<TradeId>,
    loaded: bool,
    /// Why the journal could not be opened or read, if it could not.
    load_error: Option<String>,
    location: Option<String>,
    progress: Option<Progress>,
    errors: Vec<String>,
    notice: Option<(String, f64)>,
    undo: Option<Undo>,
    confirm_delete: Option<TradeId>,
    dialog_tx: Sender<DialogResult>,
    dialog_rx: Receiver<DialogResult>,
    /// A file dialog is open.
    dialog_open: bool,
    started: bool,
    /// The import dialog for a broker statement, while it is open.
    import_dialog: Option<ImportDialog>,
    /// The path being typed when no file dialog could be shown.
    path_prompt: Option<PathPrompt>,
    /// The multipliers imports use, as stored in the journal.
    multipliers: Multipliers,
    /// The checks of statements' totals kept with imports, loaded with the
    /// journal (the review compares them with the trades as they are now).
    statement_checks: Arc<Vec<StatementCheck>>,
    /// The last trading day typed in the import dialog, offered the next
    /// time it asks for one (for this run of the app only).
    import_date: Option<chrono::NaiveDate>,
    /// The price bars around the selected trade, as last read.
    market: Option<Arc<crate::model::market::TradeMarket>>,
    /// The trade and revision whose bars were last asked for.
    market_asked: Option<(TradeId, u64)>,
    /// Every trade against its bars, for the review, as last computed.
    excursions: Option<Arc<crate::model::market::MarketExcursions>>,
    /// The revision whose excursions were last asked for.
    excursions_asked: Option<u64>,
    /// The map of trade symbols to price bars symbols, as stored.
    bars_symbols: std::collections::BTreeMap<String, String>,
}

impl TrancheApp {
    /// The app on the journal that `open` opens (on the worker thread).
    pub fn new(cc: &eframe::CreationContext<'_>, open: Opener) -> Self {
        let prefs: Preferences = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        Self::with_preferences(&cc.egui_ctx, open, prefs)
    }

    /// The app on an in-memory store, with default preferences (for tests and demos).
    pub fn with_store(ctx: &egui::Context, store: impl Store + 'static) -> Self {
        Self::with_preferences(
            ctx,
            Box::new(move || Ok(Box::new(store) as Box<dyn Store>)),
            Preferences::default(),
        )
    }

    /// The app on the journal that `open` opens, with these preferences.
    pub fn with_preferences(ctx: &egui::Context, open: Opener, prefs: Preferences) -> Self {
        ctx.set_theme(prefs.theme.preference());
        let mut worker = Worker::spawn(open, ctx.clone());
        worker.send(Job::Load);
        worker.send(Job::LoadMultipliers);
        worker.send(Job::LoadBarsSymbols);
        let (dialog_tx, dialog_rx) = channel();
        let view = match prefs.view {
            View::Review => View::Review,
            View::Detail | View::Settings => View::Detail,
        };
        TrancheApp {
            worker,
            trades: Trades::default(),
            rule_settings: RuleSettings::default(),
            list: TradeList::new(prefs.list.clone()),
            review: ReviewPanel::new(prefs.review.clone()),
            prefs,
            detail: TradeDetail::default(),
            editor: None,
            settings_panel: None,
            view,
            selected: None,
            loaded: false,
            load_error: None,
            location: None,
            progress: None,
            errors: Vec::new(),
            notice: None,
            undo: None,
            confirm_delete: None,
            dialog_tx,
            dialog_rx,
            dialog_open: false,
            started: false,
            import_dialog: None,
            path_prompt: None,
            multipliers: Multipliers::new(),
            statement_checks: Arc::default(),
            import_date: None,
            market: None,
            market_asked: None,
            excursions: None,
            excursions_asked: None,
            bars_symbols: Default::default(),
        }
    }

    /// Imports the file at `path` as if the user had chosen it in the file
    /// dialog: a journal is added at once, a broker statement opens the
    /// import dialog.
    pub fn import_file(&mut self, path: PathBuf) {
        self.worker.send(Job::Import { path });
    }

    /// Asks for a file's path in a text field, as when no file dialog can be
    /// shown: the file to import, or (with `export`) the file to export to.
    pub fn ask_for_path(&mut self, export: bool) {
        self.path_prompt = Some(PathPrompt {
            export,
            text: String::new(),
        });
    }

    /// The import dialog, while it is open.
    pub fn import_dialog(&self) -> Option<&ImportDialog> {
        self.import_dialog.as_ref()
    }

    /// The multipliers imports use, as stored in the journal.
    pub fn multipliers(&self) -> &Multipliers {
        &self.multipliers
    }

    /// The checks of statements' totals kept with imports, as loaded.
    pub fn statement_checks(&self) -> &[StatementCheck] {
        &self.statement_checks
    }

    /// Every loaded trade with its analysis.
    pub fn trades(&self) -> &Trades {
        &self.trades
    }

    /// The loaded trade with this id.
    pub fn trade(&self, id: TradeId) -> Option<&TradeRow> {
        self.trades.row(id)
    }

    /// The price bars last read around a trade, for its chart.
    pub fn market(&self) -> Option<&crate::model::market::TradeMarket> {
        self.market.as_deref()
    }

    /// The selected trade.
    pub fn selected(&self) -> Option<TradeId> {
        self.selected
    }

    /// The open editor, if any.
    pub fn editor(&self) -> Option<&TradeEditor> {
        self.editor.as_ref()
    }

    /// The open editor, to change it.
    pub fn editor_mut(&mut self) -> Option<&mut TradeEditor> {
        self.editor.as_mut()
    }

    /// Whether the journal has been loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Whether work is under way: a job on the worker, or the statistics
    /// of the review on show.
    pub fn is_busy(&self) -> bool {
        self.worker.is_busy() || (self.view == View::Review && self.review.is_computing())
    }

    /// The error messages showing.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The rule settings in use.
    pub fn rule_settings(&self) -> &RuleSettings {
        &self.rule_settings
    }

    /// The ids of the trades in the list, in the order shown.
    pub fn listed_ids(&self) -> Vec<TradeId> {
        self.list.visible_ids(&self.trades)
    }

    /// The preferences eframe remembers.
    pub fn preferences(&self) -> Preferences {
        Preferences {
            list: self.list.prefs.clone(),
            review: self.review.prefs.clone(),
            view: match self.view {
                View::Review => View::Review,
                View::Detail | View::Settings => View::Detail,
            },
            ..self.prefs.clone()
        }
    }

    /// The review dashboard.
    pub fn review(&self) -> &ReviewPanel {
        &self.review
    }

    /// The filter the list and the review share.
    pub fn filter(&self) -> &TradeFilter {
        &self.prefs.filter
    }

    /// The review dashboard, to change its choices.
    pub fn review_mut(&mut self) -> &mut ReviewPanel {
        &mut self.review
    }

    /// Whether a deleted trade can still be brought back.
    pub fn can_undo_delete(&self) -> bool {
        self.undo.is_some()
    }

    fn handle_reply(&mut self, reply: Reply, now: f64) {
        match reply {
            Reply::Opened { location } => self.location = location,
            Reply::Market(market) => self.market = Some(market),
            Reply::Excursions(excursions) => self.excursions = Some(excursions),
            Reply::BarsSymbols { map, saved } => {
                if let Some(panel) = self.settings_panel.as_mut() {
                    panel.set_bars_symbols(&map);
                }
                self.bars_symbols = map;
                if saved {
                    self.market = None;
                    self.market_asked = None;
                    self.excursions = None;
                    self.excursions_asked = None;
                    self.notice = Some(("Bars symbols saved".to_owned(), now + 3.0));
                }
            }
            Reply::BarsAdded { message } => {
                // The chart and the review read the bars again.
                self.market = None;
                self.market_asked = None;
                self.excursions = None;
                self.excursions_asked = None;
                self.notice = Some((message, now + 5.0));
            }
            Reply::Progress { label, done, total } => {
                self.progress = Some(Progress { label, done, total });
            }
            Reply::Loaded(worker::Loaded {
                rows,
                settings,
                checks,
            }) => {
                self.rule_settings = settings;
                self.statement_checks = Arc::new(checks);
                self.trades.replace_all(
                    rows.into_iter()
                        .map(|(id, trade, analysis)| TradeRow::new(id, trade, analysis))
                        .collect(),
                );
                self.loaded = true;
            }
            Reply::Saved { id, trade, created } => {
                self.trades.upsert(id, trade, &self.rule_settings);
                self.editor = None;
                self.selected = Some(id);
                self.view = View::Detail;
                self.list.reveal_selected();
                let message = if created {
                    "Trade saved"
                } else {
                    "Changes saved"
                };
                self.notice = Some((message.to_owned(), now + 3.0));
            }
            Reply::Deleted { id, trade } => {
                self.trades.remove(id);
                if self.selected == Some(id) {
                    self.selected = None;
                }
                if self.editor.as_ref().is_some_and(|e| e.id() == Some(id)) {
                    self.editor = None;
                }
                self.undo = Some(Undo {
                    id,
                    trade,
                    until: now + UNDO_SECONDS,
                });
            }
            Reply::Restored { id, trade } => {
                self.trades.upsert(id, trade, &self.rule_settings);
                self.selected = Some(id);
                self.list.reveal_selected();
                self.notice = Some(("Trade restored".to_owned(), now + 3.0));
            }
            Reply::Inserted { rows, what } => {
                let count = rows.len();
                let first = rows.first().map(|(id, ..)| *id);
                self.trades.extend(
                    rows.into_iter()
                        .map(|(id, trade, analysis)| TradeRow::new(id, trade, analysis)),
                );
                if self.selected.is_none() {
                    self.selected = first;
                }
                self.list.reveal_selected();
                self.notice = Some((format!("Added {count} {what}"), now + 4.0));
            }
            Reply::Exported { path, count } => {
                self.notice = Some((
                    format!("Exported {count} trades to {}", path.display()),
                    now + 5.0,
                ));
            }
            Reply::Reanalysed {
                settings,
                analyses,
                revision,
            } => {
                self.rule_settings = settings.clone();
                if revision == self.trades.revision() {
                    self.trades.set_analyses(analyses);
                } else {
                    // Trades changed while they were re-scored: score them again.
                    self.apply_rule_settings(settings);
                }
                self.notice = Some(("Trades re-scored".to_owned(), now + 3.0));
            }
            Reply::Statement(reply) => self.statement_reply(reply, now),
            Reply::Multipliers { multipliers, saved } => {
                if let Some(panel) = self.settings_panel.as_mut() {
                    panel.set_saved_multipliers(&multipliers);
                }
                self.multipliers = multipliers;
                if saved {
                    self.notice = Some(("Multipliers saved".to_owned(), now + 3.0));
                }
            }
            Reply::Failed { job, what, message } => {
                if matches!(job, JobKind::Open | JobKind::Load) {
                    self.load_error = Some(message.clone());
                }
                if job == JobKind::Save
                    && let Some(editor) = self.editor.as_mut()
                {
                    editor.set_saving(false, Some(message.clone()));
                }
                self.errors.push(format!("{what} failed: {message}"));
            }
        }
    }

    fn statement_reply(&mut self, reply: StatementReply, now: f64) {
        match reply {
            StatementReply::Opened(file) => {
                self.import_dialog = Some(ImportDialog::new(file).with_date(self.import_date));
            }
            StatementReply::Committed {
                id: _,
                file,
                summary,
                loaded,
            } => {
                self.import_dialog = None;
                self.handle_reply(Reply::Loaded(loaded), now);
                if self.selected.is_none() {
                    self.selected = summary.first_added;
                }
                self.list.reveal_selected();
                let mut message = format!(
                    "Imported {file}: {}",
                    crate::ui::import::added_text(&summary)
                );
                // The file's own total beside the journal's figure: read
                // for longer, as it says whether the two agree.
                let mut seconds = 6.0;
                if let Some(check) = &summary.reconciliation {
                    message.push_str(&format!(" {}: {check}.", check.label));
                    seconds = 12.0;
                }
                self.notice = Some((message, now + seconds));
            }
            reply => {
                if let Some(dialog) = self.import_dialog.as_mut() {
                    dialog.on_reply(reply);
                }
            }
        }
    }

    fn apply_rule_settings(&mut self, settings: RuleSettings) {
        // Re-scoring sends the trades in row order; the analyses come back in
        // the same order. A change in between changes the revision, and the
        // reply is then used only to start again with the trades as they are.
        let trades = self.trades.shared_trades();
        let revision = self.trades.revision();
        self.worker.send(Job::SetRuleSettings {
            settings,
            trades,
            revision,
        });
    }

    /// Applies one command. Every change of state the panels ask for goes through here.
    pub fn apply(&mut self, command: Command, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        match command {
            Command::NewTrade => {
                if self.editor.is_none() {
                    self.editor = Some(TradeEditor::new_trade(&self.prefs.zone));
                }
            }
            Command::Edit(id) => {
                if self.editor.as_ref().is_some_and(TradeEditor::is_dirty) {
                    if let Some(editor) = self.editor.as_mut() {
                        let _ = editor.cancel();
                    }
                } else if let Some(row) = self.trades.row(id) {
                    self.editor = Some(TradeEditor::edit(id, &row.trade, &self.prefs.zone));
                    self.selected = Some(id);
                }
            }
            Command::Select(id) => {
                match self.editor.as_mut() {
                    Some(editor) if editor.is_dirty() => {
                        let _ = editor.cancel();
                        return;
                    }
                    Some(_) => self.editor = None,
                    None => {}
                }
                self.selected = id;
                self.view = View::Detail;
            }
            Command::Save { id, trade } => {
                if let Some(editor) = self.editor.as_mut() {
                    editor.set_saving(true, None);
                }
                self.worker.send(Job::Save { id, trade });
            }
            Command::CloseEditor => self.editor = None,
            Command::SetBarsSymbols(map) => self.worker.send(Job::SetBarsSymbols(map)),
            Command::LoadExcursions => {
                let revision = self.trades.revision();
                if self.excursions_asked != Some(revision) {
                    self.excursions_asked = Some(revision);
                    let trades = self
                        .trades
                        .rows()
                        .iter()
                        .map(|row| (row.id, row.trade.clone()))
                        .collect();
                    self.worker.send(Job::LoadExcursions { trades, revision });
                }
            }
            Command::LoadBars(id) => {
                let revision = self.trades.revision();
                if self.market_asked != Some((id, revision))
                    && let Some(row) = self.trades.row(id)
                {
                    self.market_asked = Some((id, revision));
                    self.worker.send(Job::LoadBars {
                        id,
                        trade: row.trade.clone(),
                        revision,
                    });
                }
            }
            Command::AskDelete(id) => self.confirm_delete = Some(id),
            Command::Delete(id) => {
                self.confirm_delete = None;
                if let Some(row) = self.trades.row(id) {
                    let trade = Arc::clone(&row.trade);
                    self.worker.send(Job::Delete { id, trade });
                }
            }
            Command::UndoDelete => {
                if let Some(undo) = self.undo.take() {
                    self.worker.send(Job::Restore {
                        id: undo.id,
                        trade: undo.trade,
                    });
                }
            }
            Command::Import if !self.dialog_open => {
                self.dialog_open = true;
                dialogs::pick_import(self.dialog_tx.clone(), ctx.clone());
            }
            Command::Export if !self.dialog_open => {
                self.dialog_open = true;
                dialogs::pick_export(self.dialog_tx.clone(), ctx.clone());
            }
            Command::Import | Command::Export => {}
            Command::LoadSamples => self.worker.send(Job::LoadSamples),
            Command::Show(view) => {
                self.view = view;
                if view == View::Settings {
                    self.settings_panel = Some(
                        SettingsPanel::new(&self.rule_settings, &self.prefs.zone, self.prefs.theme)
                            .with_multipliers(&self.multipliers)
                            .with_bars_symbols(&self.bars_symbols),
                    );
                }
            }
            Command::ApplyRuleSettings(settings) => self.apply_rule_settings(settings),
            Command::SetZone(zone) => self.prefs.zone = zone,
            Command::SetTheme(theme) => {
                self.prefs.theme = theme;
                ctx.set_theme(theme.preference());
            }
            Command::DismissError(i) => {
                if i < self.errors.len() {
                    self.errors.remove(i);
                }
            }
            Command::PreviewImport(request) => self
                .worker
                .send(Job::Statement(StatementJob::Preview(Box::new(request)))),
            Command::CheckImport(id) => {
                self.worker.send(Job::Statement(StatementJob::Check { id }))
            }
            Command::CommitImport(id) => self
                .worker
                .send(Job::Statement(StatementJob::Commit { id })),
            Command::CloseImport => {
                self.import_dialog = None;
                // The worker frees what it read; nothing was written.
                self.worker.send(Job::Statement(StatementJob::Discard));
            }
            Command::SetMultipliers(multipliers) => {
                self.worker.send(Job::SetMultipliers(multipliers));
            }
            Command::SetFilter(filter) => self.prefs.filter = filter,
        }
        let _ = now;
    }

    fn shortcuts(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        let modal_open = self.confirm_delete.is_some()
            || self.import_dialog.is_some()
            || self
                .editor
                .as_ref()
                .is_some_and(TradeEditor::is_asking_to_discard);
        let (new, save, escape) = ctx.input_mut(|input| {
            (
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::N)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S)),
                !modal_open && input.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if new && self.loaded && self.import_dialog.is_none() {
            commands.push(Command::NewTrade);
        }
        // Up and down move through the list when no field has the keyboard.
        let typing = ctx.memory(|memory| memory.focused().is_some());
        if self.editor.is_none() && !modal_open && !typing {
            let step = ctx.input_mut(|input| {
                let mut step = 0isize;
                while input.consume_key(Modifiers::NONE, Key::ArrowDown) {
                    step += 1;
                }
                while input.consume_key(Modifiers::NONE, Key::ArrowUp) {
                    step -= 1;
                }
                step
            });
            if step != 0
                && let Some(id) = self.list.neighbour(&self.trades, self.selected, step)
            {
                commands.push(Command::Select(Some(id)));
                self.list.reveal_selected();
            }
        }
        if let Some(editor) = self.editor.as_mut() {
            if save {
                editor.refresh(&self.prefs.zone, &self.rule_settings);
                commands.extend(editor.save_command());
            }
            if escape {
                commands.extend(editor.cancel());
            }
        } else if escape && self.view != View::Detail {
            commands.push(Command::Show(View::Detail));
        }
        commands
    }

    fn top_bar(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Tranche").heading().strong());
            ui.separator();
            let ready = self.loaded;
            if ui
                .add_enabled(
                    ready && self.editor.is_none(),
                    egui::Button::new("New trade"),
                )
                .on_hover_text("Ctrl+N")
                .clicked()
            {
                commands.push(Command::NewTrade);
            }
            let ready_for_dialog = ready && !self.dialog_open;
            if ui
                .add_enabled(ready_for_dialog, egui::Button::new("Import…"))
                .clicked()
            {
                commands.push(Command::Import);
            }
            if ui
                .add_enabled(
                    ready_for_dialog && !self.trades.is_empty(),
                    egui::Button::new("Export…"),
                )
                .clicked()
            {
                commands.push(Command::Export);
            }
            if ui
                .selectable_label(self.view == View::Settings, "Settings")
                .clicked()
            {
                commands.push(Command::Show(if self.view == View::Settings {
                    View::Detail
                } else {
                    View::Settings
                }));
            }
            if ui
                .selectable_label(self.view == View::Review, "Review")
                .clicked()
            {
                commands.push(Command::Show(if self.view == View::Review {
                    View::Detail
                } else {
                    View::Review
                }));
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if let Some(location) = &self.location {
                    ui.weak(location).on_hover_text("The journal file");
                } else if self.loaded {
                    ui.weak("in-memory journal");
                }
                if self.worker.is_busy() {
                    let progress = self.progress.clone().unwrap_or(Progress {
                        label: "Opening the journal".to_owned(),
                        done: 0,
                        total: 0,
                    });
                    let bar = if progress.total > 0 {
                        egui::ProgressBar::new(progress.done as f32 / progress.total as f32).text(
                            format!("{} {}/{}", progress.label, progress.done, progress.total),
                        )
                    } else {
                        egui::ProgressBar::new(0.0)
                            .animate(true)
                            .text(progress.label)
                    };
                    ui.add(bar.desired_width(260.0));
                }
            });
        });
    }

    fn status_bar(&mut self, ui: &mut Ui, now: f64, commands: &mut Vec<Command>) {
        for (i, error) in self.errors.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.colored_label(ui.visuals().error_fg_color, error.as_str());
                if ui.small_button("Dismiss").clicked() {
                    commands.push(Command::DismissError(i));
                }
            });
        }
        ui.horizontal(|ui| {
            if let Some(undo) = &self.undo {
                let left = (undo.until - now).max(0.0);
                ui.label(format!("Deleted the {} trade.", undo.trade.symbol));
                if ui.button("Undo").clicked() {
                    commands.push(Command::UndoDelete);
                }
                ui.weak(format!("{left:.0} s"));
                ui.separator();
            }
            if let Some((notice, _)) = &self.notice {
                ui.label(notice);
            } else if self.loaded {
                let broken = self.trades.rows().len();
                ui.weak(format!("{broken} trades in the journal"));
            }
        });
    }

    /// The text field for a file's path, when no file dialog could be shown.
    fn path_modal(&mut self, ctx: &egui::Context) {
        let Some(prompt) = self.path_prompt.as_mut() else {
            return;
        };
        let (title, action) = if prompt.export {
            ("Export the journal", "Export")
        } else {
            ("Import a file", "Import")
        };
        let mut submit = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::unique("path-prompt")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading(title);
            ui.label(
                "No file dialog could be shown (the desktop's file chooser, \
                 xdg-desktop-portal, is missing). Type the file's path instead.",
            );
            if !prompt.export {
                ui.weak("You can also drop a file on the window to import it.");
            }
            ui.add_space(6.0);
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut prompt.text)
                        .hint_text(if prompt.export {
                            "~/tranche-journal.json"
                        } else {
                            "~/Downloads/statement.csv"
                        })
                        .desired_width(f32::INFINITY),
                )
                .accessible_name("File path");
            if !response.has_focus() && prompt.text.is_empty() {
                response.request_focus();
            }
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ready = !prompt.text.trim().is_empty();
                submit = ui.add_enabled(ready, egui::Button::new(action)).clicked()
                    || (ready && entered);
                cancel = ui.button("Cancel").clicked();
            });
        });
        if submit {
            let path = typed_path(&prompt.text);
            let job = if prompt.export {
                Job::Export { path }
            } else {
                Job::Import { path }
            };
            self.worker.send(job);
            self.path_prompt = None;
        } else if cancel || modal.should_close() {
            self.path_prompt = None;
        }
    }

    /// Imports a file dropped on the window, as if it had been chosen in the
    /// file dialog; while one is dragged over the window, says so.
    fn dropped_files(&mut self, ctx: &egui::Context) {
        let ready = self.loaded
            && self.editor.is_none()
            && self.import_dialog.is_none()
            && self.path_prompt.is_none()
            && !self.worker.is_busy();
        let (hovering, dropped) = ctx.input(|i| {
            (
                !i.raw.hovered_files.is_empty(),
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_path_buf())
                    .find(|path| !path.as_os_str().is_empty()),
            )
        });
        if hovering {
            let text = if ready {
                "Drop the file to import it"
            } else {
                "Finish what is open first, then drop the file"
            };
            egui::Area::new(egui::Id::unique("drop-hint"))
                .order(egui::Order::Foreground)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.heading(text);
                    });
                });
        }
        if let Some(path) = dropped {
            if ready {
                self.worker.send(Job::Import { path });
            } else {
                self.errors.push(format!(
                    "{} was not imported: finish what is open first, then drop it again.",
                    path.display()
                ));
            }
        }
    }

    fn empty_journal_ui(ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.add_space(60.0);
        ui.vertical_centered(|ui| {
            ui.heading("Your journal is empty");
            ui.add_space(6.0);
            ui.label("Log your first trade, import a journal, or look around with sample trades.");
            ui.add_space(12.0);
            if ui
                .button(RichText::new("Load sample trades").strong())
                .clicked()
            {
                commands.push(Command::LoadSamples);
            }
            ui.add_space(4.0);
            if ui.button("Log a trade").clicked() {
                commands.push(Command::NewTrade);
            }
            if ui
                .button("Import a journal or a broker statement…")
                .clicked()
            {
                commands.push(Command::Import);
            }
        });
    }

    fn delete_modal(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some(id) = self.confirm_delete else {
            return;
        };
        let description = self.trades.row(id).map_or_else(
            || format!("trade #{id}"),
            |row| {
                let opened = row
                    .analysis
                    .opened_at
                    .map(|t| self.prefs.zone.short(t))
                    .unwrap_or_default();
                format!(
                    "the {} {} trade opened {opened}",
                    row.trade.symbol, row.trade.side
                )
            },
        );
        let modal = egui::Modal::new(egui::Id::unique("confirm-delete")).show(ctx, |ui| {
            ui.set_width(340.0);
            ui.heading("Delete this trade?");
            ui.label(format!(
                "This deletes {description}. You can undo it for a few seconds."
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Delete trade").clicked() {
                    commands.push(Command::Delete(id));
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_delete = None;
                }
            });
        });
        if modal.should_close() {
            self.confirm_delete = None;
        }
    }
}

impl eframe::App for TrancheApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let now = ctx.input(|i| i.time);
        if !self.started {
            self.started = true;
        }

        for reply in self.worker.poll() {
            self.handle_reply(reply, now);
        }
        if !self.worker.is_busy() {
            self.progress = None;
        }
        while let Ok(result) = self.dialog_rx.try_recv() {
            self.dialog_open = false;
            match result {
                DialogResult::Import(path) => self.worker.send(Job::Import { path }),
                DialogResult::Export(path) => self.worker.send(Job::Export { path }),
                DialogResult::NoFile {
                    quickly: true,
                    export,
                } => self.ask_for_path(export),
                DialogResult::NoFile { quickly: false, .. } => {}
            }
        }
        if self.undo.as_ref().is_some_and(|u| u.until <= now) {
            self.undo = None;
        }
        if self.notice.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.notice = None;
        }

        let mut commands = self.shortcuts(&ctx);

        egui::Panel::top("top-bar").show(ui, |ui| {
            ui.add_space(2.0);
            self.top_bar(ui, &mut commands);
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            self.status_bar(ui, now, &mut commands);
        });

        // The shared filter, over the list and the review alike.
        if self.editor.is_none() && self.loaded && !self.trades.is_empty() {
            egui::Panel::top("filter-bar").show(ui, |ui| {
                ui.add_space(2.0);
                commands.extend(self.prefs.filter.ui(ui));
                ui.add_space(2.0);
            });
        }
        let view = ViewContext {
            trades: &self.trades,
            rule_settings: &self.rule_settings,
            zone: &self.prefs.zone,
            filter: &self.prefs.filter,
            statement_checks: &self.statement_checks,
            busy: self.worker.is_busy(),
            market: self.market.as_deref(),
            excursions: self.excursions.as_deref(),
        };
        // The editor gets the whole width; the list comes back when it closes.
        if self.editor.is_none() {
            egui::Panel::left("trade-list")
                .resizable(true)
                .default_size(740.0)
                .min_size(320.0)
                .show(ui, |ui| {
                    if self.loaded {
                        commands.extend(self.list.ui(ui, &view, self.selected));
                    } else if let Some(error) = &self.load_error {
                        ui.add_space(40.0);
                        ui.vertical_centered(|ui| {
                            ui.heading("The journal could not be opened");
                            ui.add(egui::Label::new(error.as_str()).wrap());
                            ui.weak("Nothing was changed. Start Tranche with --journal PATH to open another file.");
                        });
                    } else {
                        ui.add_space(40.0);
                        ui.vertical_centered(|ui| {
                            ui.spinner();
                            ui.label("Opening the journal…");
                        });
                    }
                });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(editor) = self.editor.as_mut() {
                commands.extend(editor.ui(ui, &view));
                return;
            }
            match self.view {
                View::Settings => {
                    if let Some(panel) = self.settings_panel.as_mut() {
                        commands.extend(panel.ui(ui, view.rule_settings));
                    }
                }
                View::Review => commands.extend(self.review.ui(ui, &view)),
                View::Detail => {
                    if self.loaded && self.trades.is_empty() {
                        Self::empty_journal_ui(ui, &mut commands);
                    } else {
                        commands.extend(self.detail.ui(ui, &view, self.selected));
                    }
                }
            }
        });

        self.delete_modal(&ctx, &mut commands);
        self.path_modal(&ctx);
        self.dropped_files(&ctx);
        if let Some(dialog) = self.import_dialog.as_mut() {
            let progress = self.progress.as_ref().map(|p| ProgressView {
                label: &p.label,
                done: p.done,
                total: p.total,
            });
            commands.extend(dialog.show(&ctx, &self.prefs.zone, progress));
            if let Some(date) = dialog.date() {
                self.import_date = Some(date);
            }
        }

        for command in commands {
            self.apply(command, &ctx);
        }

        // Wake up to expire the undo toast and notices.
        let next = [
            self.undo.as_ref().map(|u| u.until),
            self.notice.as_ref().map(|(_, until)| *until),
        ]
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
        if next.is_finite() {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64((next - now).max(0.05)));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.preferences());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn preferences_survive_missing_and_unknown_fields() {
        let prefs: Preferences = serde_json::from_str("{}").expect("empty object");
        assert_eq!(prefs, Preferences::default());
        let prefs: Preferences =
            serde_json::from_str(r#"{"theme":"Dark","list":{"descending":false},"later":1}"#)
                .expect("partial object");
        assert_eq!(prefs.theme, Theme::Dark);
        assert!(!prefs.list.descending);
        assert_eq!(prefs.list.sort, crate::ui::list::SortColumn::Opened);
        let text = serde_json::to_string(&prefs).expect("serializes");
        assert_eq!(serde_json::from_str::<Preferences>(&text).ok(), Some(prefs));
    }
}
