//! The desktop app: the loaded journal, and the one place where the panels'
//! commands are applied.
//!
//! [`TrancheApp`] holds every loaded trade with its analysis ([`crate::model::Trades`]),
//! recomputed only when the journal or the rule settings change. The journal
//! itself lives on a background thread ([`worker`]), which starts opening and
//! loading it before the window is made: opening, loading, saving,
//! importing, exporting and writing files never block a frame, and file
//! dialogs open on threads of their own ([`dialogs`]). The window is drawn by
//! the panels of [`crate::ui`], laid out by [`crate::ui::shell::Shell`]; they
//! return [`Command`]s, applied after the frame by [`TrancheApp::apply`].
//! Each frame the app takes the worker's replies and the dialogs' answers,
//! has the shell draw, and applies what it returned; nothing else.
//!
//! Window size, panel sizes, the list's sort and filters, the time zone, the
//! theme and the zone of the last price bars file imported are remembered by
//! eframe; the journal's data never goes there.

pub mod bars_import;
pub mod dialogs;
mod interchange_io;
pub mod journal;
pub mod protocol;
pub mod sample;
pub mod shown;
pub mod statement;
pub mod store;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::analysis::RuleSettings;
use crate::domain::{Trade, TradeId};
use crate::storage::StatementCheck;
use crate::ui::bars_import::BarsImportDialog;
use crate::ui::detail::TradeDetail;
use crate::ui::editor::TradeEditor;
use crate::ui::filter::TradeFilter;
use crate::ui::import::{ImportDialog, ProgressView};
use crate::ui::list::{ListPrefs, TradeList};
use crate::ui::review::{ReviewPanel, ReviewPrefs};
use crate::ui::settings::SettingsPanel;
use crate::ui::shell::{Panels, Shell, ShellState, UndoView};
use crate::ui::time::Zone;
use crate::ui::{Command, Theme, View, ViewContext};

use crate::model::{TradeRow, Trades};
use bars_import::{BarsJob, BarsReply};
use dialogs::{Answer, Chooser, Dialogs, Purpose, SaveKind};
use statement::{StatementJob, StatementReply};
use store::{Multipliers, Store};
use worker::{Contents, Job, Opener, Operation, Reply, Worker};

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
    shown::mark_start();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Tranche")
            .with_app_id("tranche")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([760.0, 480.0]),
        ..Default::default()
    };
    // The journal opens and loads while the window is being made.
    let mut worker = Worker::start(journal::opener(journal_path));
    TrancheApp::send_first_jobs(&mut worker);
    eframe::run_native(
        "Tranche",
        options,
        Box::new(move |cc| {
            worker.wake(cc.egui_ctx.clone());
            Ok(Box::new(TrancheApp::with_started_worker(
                &cc.egui_ctx,
                worker,
                remembered(cc),
            )))
        }),
    )
    .map_err(|err| AppError::Window(err.to_string()))
}

/// The preferences eframe remembered from the last run, or the defaults.
fn remembered(cc: &eframe::CreationContext<'_>) -> Preferences {
    cc.storage
        .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
        .unwrap_or_default()
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
    /// The time zone of the last price bars file imported (an IANA name),
    /// offered for the next.
    pub bars_zone: Option<String>,
}

/// A long job's progress, for the progress bar.
#[derive(Debug, Clone)]
struct Progress {
    label: String,
    done: usize,
    total: usize,
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
    /// The window around the panels, with its modals.
    shell: Shell,
    /// Every file dialog.
    dialogs: Dialogs,
    /// Where a screenshot of the window arrives, for the review's picture.
    screenshots: (
        Sender<Arc<egui::ColorImage>>,
        Receiver<Arc<egui::ColorImage>>,
    ),
    /// The part of the window (in points) the screenshot asked for is to keep.
    screenshot_rect: Option<egui::Rect>,
    /// While a file of the review is written: whether to a place chosen
    /// without a dialog (when none could be shown).
    review_write: Option<bool>,
    /// The import dialog for a broker statement, while it is open.
    import_dialog: Option<ImportDialog>,
    /// The import dialog for a price bars file, while it is open.
    bars_dialog: Option<BarsImportDialog>,
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
    /// Start-up timing for the bench, when asked for ([`shown`]).
    shown: shown::ShownProbe,
}

impl TrancheApp {
    /// The app on the journal that `open` opens (on the worker thread).
    pub fn new(cc: &eframe::CreationContext<'_>, open: Opener) -> Self {
        Self::with_preferences(&cc.egui_ctx, open, remembered(cc))
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
        Self::with_worker(ctx, Worker::spawn(open, ctx.clone()), prefs)
    }

    /// The app on `worker`, with these preferences.
    fn with_worker(ctx: &egui::Context, mut worker: Worker, prefs: Preferences) -> Self {
        Self::send_first_jobs(&mut worker);
        Self::with_started_worker(ctx, worker, prefs)
    }

    /// What the app asks of a new worker: the journal, and the settings imports use.
    fn send_first_jobs(worker: &mut Worker) {
        worker.send(Job::Load);
        worker.send(Job::LoadMultipliers);
        worker.send(Job::LoadBarsSymbols);
    }

    /// The app on `worker`, which was sent [`TrancheApp::send_first_jobs`].
    fn with_started_worker(ctx: &egui::Context, worker: Worker, prefs: Preferences) -> Self {
        ctx.set_theme(prefs.theme.preference());
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
            shell: Shell::default(),
            dialogs: Dialogs::desktop(),
            screenshots: channel(),
            screenshot_rect: None,
            review_write: None,
            import_dialog: None,
            bars_dialog: None,
            multipliers: Multipliers::new(),
            statement_checks: Arc::default(),
            import_date: None,
            market: None,
            market_asked: None,
            excursions: None,
            excursions_asked: None,
            bars_symbols: Default::default(),
            shown: shown::ShownProbe::from_env(),
        }
    }

    /// Imports the file at `path` as if the user had chosen it in the file
    /// dialog: a journal is added at once, a broker statement or a price
    /// bars file opens its import dialog.
    pub fn import_file(&mut self, path: PathBuf) {
        self.worker.send(Job::Import { path });
    }

    /// Asks for a file's path in a text field, as when no file dialog can be
    /// shown: the file to import, or (with `export`) the file to export to.
    pub fn ask_for_path(&mut self, export: bool) {
        self.shell.ask_for_path(export);
    }

    /// Asks for files with `chooser` instead of the desktop's file dialog.
    pub fn with_file_chooser(mut self, chooser: Chooser) -> Self {
        self.dialogs.set_chooser(chooser);
        self
    }

    /// Whether a file dialog is open.
    pub fn is_dialog_open(&self) -> bool {
        self.dialogs.is_open()
    }

    /// Whether the path prompt (shown when no file dialog could be) is open.
    pub fn is_asking_for_path(&self) -> bool {
        self.shell.is_asking_for_path()
    }

    /// The trade the delete modal asks about, while it is open.
    pub fn asking_to_delete(&self) -> Option<TradeId> {
        self.shell.asking_to_delete()
    }

    /// The import dialog, while it is open.
    pub fn import_dialog(&self) -> Option<&ImportDialog> {
        self.import_dialog.as_ref()
    }

    /// The import dialog for a price bars file, while it is open.
    pub fn bars_dialog(&self) -> Option<&BarsImportDialog> {
        self.bars_dialog.as_ref()
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

    /// Whether work is under way: a job on the worker, a file dialog, or
    /// the statistics of the review on show.
    pub fn is_busy(&self) -> bool {
        self.worker.is_busy()
            || self.dialogs.is_open()
            || (self.view == View::Review && self.review.is_computing())
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
            Reply::Bars(reply) => self.bars_reply(reply, now),
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
                self.trades.replace_all(rows);
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
            Reply::Written { path } => {
                let message = if self.review_write.take() == Some(true) {
                    format!("No file dialog could be shown; saved to {}", path.display())
                } else {
                    format!("Saved to {}", path.display())
                };
                self.review.saved(Some(message));
            }
            Reply::Failed(err) => {
                if let Operation::Write { path } = &err.operation {
                    // Said where it was asked for, on the review.
                    self.review_write = None;
                    self.review.saved(Some(format!(
                        "Could not write {}: {}",
                        path.display(),
                        err.cause
                    )));
                    return;
                }
                if err.stops_loading() {
                    self.load_error = Some(err.cause.to_string());
                }
                if err.operation == Operation::Save
                    && let Some(editor) = self.editor.as_mut()
                {
                    editor.set_saving(false, Some(err.cause.to_string()));
                }
                self.errors.push(err.to_string());
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

    fn bars_reply(&mut self, reply: BarsReply, now: f64) {
        match reply {
            BarsReply::Opened(file) => {
                let tz = self
                    .prefs
                    .bars_zone
                    .as_deref()
                    .and_then(|name| name.parse().ok());
                self.bars_dialog = Some(BarsImportDialog::new(file, tz));
            }
            BarsReply::Committed { id: _, added } => {
                // The zone used is offered for the next bars file.
                if let Some(dialog) = self.bars_dialog.take() {
                    self.prefs.bars_zone = Some(dialog.time_zone().name().to_owned());
                }
                // The chart and the review read the bars again.
                self.market = None;
                self.market_asked = None;
                self.excursions = None;
                self.excursions_asked = None;
                self.notice = Some((added.to_string(), now + 6.0));
            }
            reply => {
                if let Some(dialog) = self.bars_dialog.as_mut() {
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
            Command::AskDelete(id) => self.shell.ask_delete(id),
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
            Command::Delete(id) => {
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
            // One dialog at a time: the buttons wait while one is open.
            Command::Import => {
                let _ = self.dialogs.open(Purpose::Import, ctx);
            }
            Command::Export => {
                let _ = self.dialogs.open(Purpose::Export, ctx);
            }
            Command::ImportFile(path) => self.worker.send(Job::Import { path }),
            Command::ExportTo(path) => self.worker.send(Job::Export { path }),
            Command::ReportError(message) => self.errors.push(message),
            Command::MoveSelection(step) => {
                if let Some(id) = self.list.neighbour(&self.trades, self.selected, step) {
                    self.list.reveal_selected();
                    self.apply(Command::Select(Some(id)), ctx);
                }
            }
            Command::SaveEditor => {
                let save = self.editor.as_mut().and_then(|editor| {
                    editor.refresh(&self.prefs.zone, &self.rule_settings);
                    editor.save_command()
                });
                if let Some(save) = save {
                    self.apply(save, ctx);
                }
            }
            Command::CancelEditor => {
                if let Some(close) = self.editor.as_mut().and_then(TradeEditor::cancel) {
                    self.apply(close, ctx);
                }
            }
            Command::SaveStatistics(text) => {
                let purpose = Purpose::Save {
                    kind: SaveKind::Csv,
                    contents: Contents::Text(text),
                };
                if self.dialogs.open(purpose, ctx).is_err() {
                    self.review.saved(None);
                }
            }
            Command::SaveReportPage(page) => {
                let purpose = Purpose::Save {
                    kind: SaveKind::Html,
                    contents: Contents::Text(page),
                };
                if self.dialogs.open(purpose, ctx).is_err() {
                    self.review.saved(None);
                }
            }
            Command::SaveDashboard(rect) => {
                let (tx, _) = &self.screenshots;
                let tx = tx.clone();
                let repaint = ctx.clone();
                self.screenshot_rect = Some(rect);
                ctx.request_screenshot(move |image| {
                    let _ = tx.send(image);
                    repaint.request_repaint();
                });
            }
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
                // The worker frees what it read; nothing was written.
                if self.import_dialog.take().is_some() {
                    self.worker.send(Job::Statement(StatementJob::Discard));
                }
                if self.bars_dialog.take().is_some() {
                    self.worker.send(Job::Bars(BarsJob::Discard));
                }
            }
            Command::PreviewBars(request) => self
                .worker
                .send(Job::Bars(BarsJob::Preview(Box::new(request)))),
            Command::CommitBars(id) => self.worker.send(Job::Bars(BarsJob::Commit { id })),
            Command::SetMultipliers(multipliers) => {
                self.worker.send(Job::SetMultipliers(multipliers));
            }
            Command::SetFilter(filter) => self.prefs.filter = filter,
        }
    }

    /// Acts on the user's answer to a file dialog.
    fn answered(&mut self, answer: Answer) {
        let Answer {
            purpose,
            path,
            quickly,
        } = answer;
        match (purpose, path) {
            (Purpose::Import, Some(path)) => self.worker.send(Job::Import { path }),
            (Purpose::Export, Some(path)) => self.worker.send(Job::Export { path }),
            // No dialog could be shown: ask for the path in the window.
            (Purpose::Import, None) if quickly => self.ask_for_path(false),
            (Purpose::Export, None) if quickly => self.ask_for_path(true),
            (Purpose::Import | Purpose::Export, None) => {}
            (Purpose::Save { contents, .. }, Some(path)) => {
                self.review_write = Some(false);
                self.worker.send(Job::Write { path, contents });
            }
            // No dialog could be shown: save under a name with the time.
            (Purpose::Save { kind, contents }, None) if quickly => match kind.fallback_path() {
                Some(path) => {
                    self.review_write = Some(true);
                    self.worker.send(Job::Write { path, contents });
                }
                None => self.review.saved(Some(
                    "No file dialog could be shown, and no folder to save in was found.".to_owned(),
                )),
            },
            (Purpose::Save { .. }, None) => self.review.saved(None),
        }
    }

    /// Asks where to save the screenshot that arrived, if one did.
    fn screenshot_taken(&mut self, ctx: &egui::Context) {
        let (_, rx) = &self.screenshots;
        let Ok(image) = rx.try_recv() else {
            return;
        };
        let Some(rect) = self.screenshot_rect.take() else {
            return;
        };
        let purpose = Purpose::Save {
            kind: SaveKind::Png,
            contents: Contents::Image {
                image,
                rect,
                pixels_per_point: ctx.pixels_per_point(),
            },
        };
        if self.dialogs.open(purpose, ctx).is_err() {
            self.review.saved(None);
        }
    }
}

impl eframe::App for TrancheApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let now = ctx.input(|i| i.time);

        for reply in self.worker.poll() {
            self.handle_reply(reply, now);
        }
        if !self.worker.is_busy() {
            self.progress = None;
        }
        for answer in self.dialogs.poll() {
            self.answered(answer);
        }
        self.screenshot_taken(&ctx);
        if self.undo.as_ref().is_some_and(|u| u.until <= now) {
            self.undo = None;
        }
        if self.notice.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.notice = None;
        }

        let view = ViewContext {
            trades: &self.trades,
            rule_settings: &self.rule_settings,
            zone: &self.prefs.zone,
            filter: &self.prefs.filter,
            statement_checks: &self.statement_checks,
            busy: self.worker.is_busy(),
            spawn: worker::spawn_thread,
            market: self.market.as_deref(),
            excursions: self.excursions.as_deref(),
        };
        let state = ShellState {
            loaded: self.loaded,
            load_error: self.load_error.as_deref(),
            location: self.location.as_deref(),
            progress: self.progress.as_ref().map(|p| ProgressView {
                label: &p.label,
                done: p.done,
                total: p.total,
            }),
            errors: &self.errors,
            notice: self.notice.as_ref().map(|(notice, _)| notice.as_str()),
            undo: self.undo.as_ref().map(|undo| UndoView {
                symbol: &undo.trade.symbol,
                seconds_left: undo.until - now,
            }),
            dialog_open: self.dialogs.is_open(),
            view: self.view,
            selected: self.selected,
        };
        let panels = Panels {
            list: &mut self.list,
            detail: &mut self.detail,
            editor: self.editor.as_mut(),
            settings: self.settings_panel.as_mut(),
            review: &mut self.review,
            import: self.import_dialog.as_mut(),
            bars_import: self.bars_dialog.as_mut(),
        };
        let commands = self.shell.ui(ui, &view, &state, panels);
        if let Some(date) = self.import_dialog.as_ref().and_then(ImportDialog::date) {
            self.import_date = Some(date);
        }

        for command in commands {
            self.apply(command, &ctx);
        }
        let listed = self.loaded.then(|| self.trades.len());
        self.shown.frame(&ctx, listed);

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

    #[test]
    fn a_journal_thread_that_cannot_start_is_said_in_the_window() {
        use egui_kittest::kittest::Queryable;
        let open: Opener = Box::new(|| Ok(Box::new(store::MemoryStore::new()) as Box<dyn Store>));
        let mut harness = egui_kittest::Harness::builder()
            .with_size([1280.0, 800.0])
            .build_eframe(move |cc| {
                let worker = Worker::spawn_with(open, cc.egui_ctx.clone(), |_, _| {
                    Err(std::io::Error::other("no threads left"))
                });
                TrancheApp::with_worker(&cc.egui_ctx, worker, Preferences::default())
            });
        harness.run();
        let app = harness.state();
        assert!(
            !app.is_busy(),
            "nothing will answer: the window must not wait"
        );
        assert!(!app.is_loaded());
        assert_eq!(
            app.errors(),
            [
                "Opening the journal failed: the journal's thread could not be started: \
              no threads left"
            ]
        );
        assert!(
            harness
                .query_all_by_label("The journal could not be opened")
                .next()
                .is_some()
        );
        assert!(
            harness
                .query_all_by_label_contains("could not be started")
                .next()
                .is_some()
        );
        assert!(
            harness
                .query_all_by_label("Opening the journal…")
                .next()
                .is_none()
        );
    }
}
