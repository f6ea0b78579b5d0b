//! The import dialog for broker statements: choose how the file is read,
//! see what it holds and what it would add, then import it or cancel.
//!
//! [`ImportDialog`] owns the options the user picks: the format (detected
//! from the content, or another), the time zone of times the file gives
//! without one, the trading day of a file that gives times of day only (a
//! DAS Trader trades export), whether to skip rows that cannot be read, and,
//! for a CSV in no known layout, which column holds what. Whenever they
//! change it asks the worker for a new preview ([`Command::PreviewImport`]);
//! when one arrives it asks for a dry run against the journal
//! ([`Command::CheckImport`]). Import ([`Command::CommitImport`]) writes
//! what the preview showed, in one transaction; Cancel
//! ([`Command::CloseImport`]) writes nothing.
//!
//! A reply that answers an older request is ignored, so the dialog never
//! shows a preview of options the user has already changed.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use egui::{Id, Key, Modifiers, RichText, Ui};

use crate::import::{ColumnMapping, Format, ImportError, Warning, local_zone};
use crate::model::import::{
    CommitSummary, ImportFile, PreviewRequest, PreviewSummary, ReadOptions, StatementReply,
    next_request_id,
};

use super::time::Zone;
use super::{Command, error_color};

/// The state of the preview the dialog shows.
#[derive(Debug, Clone)]
enum PreviewState {
    /// The worker is reading the file.
    Reading,
    /// The column mapping lacks a required field; nothing can be read yet.
    Incomplete(String),
    /// What the file holds.
    Ready(PreviewSummary),
    /// The file, or one of its rows, cannot be read with these options.
    Failed(ImportError),
}

/// The dry run against the journal.
#[derive(Debug, Clone)]
enum CheckState {
    /// Not asked for (no preview yet).
    NotYet,
    /// To be asked for on the next frame.
    Wanted,
    /// Under way on the worker.
    Checking,
    /// What committing would do.
    Ready(CommitSummary),
    /// Why committing cannot be done.
    Failed(String),
}

/// A long job's progress, as the app's progress bar shows it.
#[derive(Debug, Clone, Copy)]
pub struct ProgressView<'a> {
    /// What is being done.
    pub label: &'a str,
    /// Units done.
    pub done: usize,
    /// Units in all; 0 when unknown.
    pub total: usize,
}

/// One field of a fill and the column that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Date,
    Time,
    Symbol,
    Side,
    Quantity,
    Price,
    Fee,
    Account,
    ExecId,
    OrderId,
    Currency,
    Multiplier,
}

impl Field {
    const ALL: [Field; 12] = [
        Field::Date,
        Field::Time,
        Field::Symbol,
        Field::Side,
        Field::Quantity,
        Field::Price,
        Field::Fee,
        Field::Account,
        Field::ExecId,
        Field::OrderId,
        Field::Currency,
        Field::Multiplier,
    ];

    /// The field's name, which also names its combo box.
    fn name(self) -> &'static str {
        match self {
            Field::Date => "Date and time",
            Field::Time => "Time of day",
            Field::Symbol => "Symbol",
            Field::Side => "Side",
            Field::Quantity => "Quantity",
            Field::Price => "Price",
            Field::Fee => "Fee",
            Field::Account => "Account",
            Field::ExecId => "Execution ID",
            Field::OrderId => "Order ID",
            Field::Currency => "Currency",
            Field::Multiplier => "Multiplier",
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            Field::Date | Field::Symbol | Field::Quantity | Field::Price
        )
    }

    fn hint(self) -> &'static str {
        match self {
            Field::Date => "required; or the date alone, with a time-of-day column",
            Field::Symbol | Field::Quantity | Field::Price => "required",
            Field::Time => "when the date column holds no time",
            Field::Side => "without it, a negative quantity is a sell",
            Field::ExecId => "makes re-imports exact",
            Field::OrderId => "fills of one order become one tranche",
            _ => "",
        }
    }

    fn column(self, m: &ColumnMapping) -> String {
        match self {
            Field::Date => m.date.clone(),
            Field::Time => m.time.clone(),
            Field::Symbol => m.symbol.clone(),
            Field::Side => m.side.clone(),
            Field::Quantity => m.quantity.clone(),
            Field::Price => m.price.clone(),
            Field::Fee => m.fees.join(" + "),
            Field::Account => m.account.clone(),
            Field::ExecId => m.exec_id.clone(),
            Field::OrderId => m.order_id.clone(),
            Field::Currency => m.currency.clone(),
            Field::Multiplier => m.multiplier.clone(),
        }
    }

    fn set_column(self, m: &mut ColumnMapping, name: String) {
        let slot = match self {
            Field::Date => &mut m.date,
            Field::Time => &mut m.time,
            Field::Symbol => &mut m.symbol,
            Field::Side => &mut m.side,
            Field::Quantity => &mut m.quantity,
            Field::Price => &mut m.price,
            Field::Fee => {
                m.fees = if name.is_empty() {
                    Vec::new()
                } else {
                    vec![name]
                };
                return;
            }
            Field::Account => &mut m.account,
            Field::ExecId => &mut m.exec_id,
            Field::OrderId => &mut m.order_id,
            Field::Currency => &mut m.currency,
            Field::Multiplier => &mut m.multiplier,
        };
        *slot = name;
    }
}

/// What an unmapped optional column shows.
const NO_COLUMN: &str = "(none)";

/// The import dialog.
pub struct ImportDialog {
    file: Arc<ImportFile>,
    format: Format,
    tz: Tz,
    zones: ZonePicker,
    /// The trading day as typed, for a format whose files give times only.
    date_text: String,
    skip_bad_rows: bool,
    mapping: ColumnMapping,
    /// The request on its way, with the options it was made with.
    in_flight: Option<(u64, ReadOptions)>,
    /// The request whose result shows, with its options.
    shown: Option<(u64, ReadOptions)>,
    preview: PreviewState,
    check: CheckState,
    /// The preview being committed.
    committing: Option<u64>,
    commit_error: Option<String>,
}

impl ImportDialog {
    /// A dialog on a file just read: the detected format, the local time zone,
    /// bad rows not skipped, and the column mapping guessed from the header.
    pub fn new(file: Arc<ImportFile>) -> Self {
        let local = local_zone();
        let mapping = ColumnMapping::guess(&file.headers);
        ImportDialog {
            format: file.detected.unwrap_or(Format::GenericCsv),
            file,
            tz: local,
            zones: ZonePicker::new(local),
            date_text: String::new(),
            skip_bad_rows: false,
            mapping,
            in_flight: None,
            shown: None,
            preview: PreviewState::Reading,
            check: CheckState::NotYet,
            committing: None,
            commit_error: None,
        }
    }

    /// The same dialog with the trading day filled in (the last one typed).
    pub fn with_date(mut self, date: Option<NaiveDate>) -> Self {
        if let Some(date) = date {
            self.date_text = date.format("%Y-%m-%d").to_string();
        }
        self
    }

    /// The trading day typed, when it is a date.
    pub fn date(&self) -> Option<NaiveDate> {
        parse_day(&self.date_text)
    }

    /// Whether the format chosen needs the trading day typed.
    pub fn needs_date(&self) -> bool {
        self.format.needs_date()
    }

    /// The file being imported.
    pub fn file(&self) -> &ImportFile {
        &self.file
    }

    /// The format the file is read as.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The zone of times the file gives without one.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The column mapping (used when the file is a CSV in no known layout).
    pub fn mapping(&self) -> &ColumnMapping {
        &self.mapping
    }

    /// Whether the file needs its columns mapped: read as a CSV of fills
    /// though its header is not the common layout.
    pub fn needs_mapping(&self) -> bool {
        self.format == Format::GenericCsv && self.file.detected != Some(Format::GenericCsv)
    }

    /// The preview showing, if the file was read.
    pub fn preview(&self) -> Option<&PreviewSummary> {
        match &self.preview {
            PreviewState::Ready(summary) => Some(summary),
            _ => None,
        }
    }

    /// Why the file cannot be read with the options chosen, if it cannot.
    pub fn error(&self) -> Option<&ImportError> {
        match &self.preview {
            PreviewState::Failed(err) => Some(err),
            _ => None,
        }
    }

    /// What committing would do, once the dry run has answered.
    pub fn check(&self) -> Option<&CommitSummary> {
        match &self.check {
            CheckState::Ready(summary) => Some(summary),
            _ => None,
        }
    }

    /// Whether the import is being written.
    pub fn is_committing(&self) -> bool {
        self.committing.is_some()
    }

    /// Whether Import can be pressed: a preview of the current options is
    /// showing, the journal can take it, and nothing is being written.
    pub fn can_commit(&self) -> bool {
        let current = self.read_options().ok();
        self.committing.is_none()
            && self.in_flight.is_none()
            && matches!(self.preview, PreviewState::Ready(_))
            && !matches!(self.check, CheckState::Failed(_))
            && self.shown.as_ref().map(|(_, options)| options) == current.as_ref()
    }

    /// The options to read with, or what the column mapping still lacks.
    fn read_options(&self) -> Result<ReadOptions, String> {
        let column_mapping = if self.needs_mapping() {
            if self.file.headers.is_empty() {
                return Err(
                    "No header row was found in this file, so its columns cannot be \
                     mapped. Choose its format if Tranche knows it."
                        .to_owned(),
                );
            }
            let missing: Vec<&str> = Field::ALL
                .iter()
                .filter(|f| f.required() && f.column(&self.mapping).trim().is_empty())
                .map(|f| f.name())
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "Choose the column for: {}.",
                    missing.join(", ").to_lowercase()
                ));
            }
            Some(self.mapping.clone())
        } else {
            None
        };
        let date = if self.needs_date() {
            match self.date() {
                Some(date) => Some(date),
                None if self.date_text.trim().is_empty() => {
                    return Err(
                        "This file gives times of day but no date: type its trading \
                                day above (YYYY-MM-DD)."
                            .to_owned(),
                    );
                }
                None => {
                    return Err(format!(
                        "{:?} is not a date: type the trading day as YYYY-MM-DD.",
                        self.date_text.trim()
                    ));
                }
            }
        } else {
            None
        };
        Ok(ReadOptions {
            format: self.format,
            tz: self.tz,
            skip_bad_rows: self.skip_bad_rows,
            column_mapping,
            date,
        })
    }

    /// Takes a reply from the worker; replies to older requests are ignored.
    pub fn on_reply(&mut self, reply: StatementReply) {
        match reply {
            StatementReply::Previewed { id, result } => {
                let Some((waiting, options)) = self.in_flight.take() else {
                    return;
                };
                if waiting != id {
                    self.in_flight = Some((waiting, options));
                    return;
                }
                self.shown = Some((id, options));
                match result {
                    Ok(summary) => {
                        self.preview = PreviewState::Ready(summary);
                        self.check = CheckState::Wanted;
                    }
                    Err(err) => {
                        self.preview = PreviewState::Failed(err);
                        self.check = CheckState::NotYet;
                    }
                }
            }
            StatementReply::Checked { id, result } => {
                if self.shown.as_ref().is_some_and(|(shown, _)| *shown == id) {
                    self.check = match result {
                        Ok(summary) => CheckState::Ready(summary),
                        Err(error) => CheckState::Failed(error.to_string()),
                    };
                }
            }
            StatementReply::CommitFailed { id, error } => {
                if self.committing == Some(id) {
                    self.committing = None;
                    self.commit_error = Some(error.to_string());
                }
            }
            StatementReply::Opened(_)
            | StatementReply::Committed { .. }
            | StatementReply::Discarded => {}
        }
    }

    /// Asks the worker for what the dialog needs next: a preview of the
    /// current options, or the dry run of the preview showing.
    fn request_work(&mut self, commands: &mut Vec<Command>) {
        if self.committing.is_some() {
            return;
        }
        let wanted = match self.read_options() {
            Ok(options) => options,
            Err(message) => {
                self.preview = PreviewState::Incomplete(message);
                self.check = CheckState::NotYet;
                self.shown = None;
                return;
            }
        };
        if self.in_flight.is_some() {
            // Its reply is compared with the options when it comes.
            return;
        }
        if self.shown.as_ref().map(|(_, options)| options) != Some(&wanted) {
            let id = next_request_id();
            commands.push(Command::PreviewImport(PreviewRequest {
                id,
                file: Arc::clone(&self.file),
                options: wanted.clone(),
            }));
            self.in_flight = Some((id, wanted));
            self.preview = PreviewState::Reading;
            self.check = CheckState::NotYet;
            self.commit_error = None;
            return;
        }
        if let (CheckState::Wanted, Some((id, _))) = (&self.check, &self.shown) {
            commands.push(Command::CheckImport(*id));
            self.check = CheckState::Checking;
        }
    }

    /// Draws the dialog over the window; times show in `zone`.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        zone: &Zone,
        progress: Option<ProgressView<'_>>,
    ) -> Vec<Command> {
        let mut commands = Vec::new();
        let modal = egui::Modal::new(Id::unique("import-dialog")).show(ctx, |ui| {
            ui.set_width(640.0);
            // An area lays its content out in the size it had last frame;
            // let the dialog grow to the window's height, scrolling beyond.
            let max_height = (ctx.content_rect().height() - 60.0).max(200.0);
            ui.set_max_height(max_height);
            egui::ScrollArea::vertical()
                .max_height(max_height)
                .show(ui, |ui| self.ui(ui, zone, progress, &mut commands));
        });
        // Esc cancels, unless a list is open or the import is being written.
        // A click beside the dialog does not: it would lose the choices made.
        if modal.is_top_modal
            && !modal.any_popup_open
            && self.committing.is_none()
            && ctx.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Escape))
        {
            commands.push(Command::CloseImport);
        }
        let closing = commands.iter().any(|c| matches!(c, Command::CloseImport));
        if !closing {
            self.request_work(&mut commands);
        }
        if !commands.is_empty() {
            ctx.request_repaint();
        }
        commands
    }

    fn ui(
        &mut self,
        ui: &mut Ui,
        zone: &Zone,
        progress: Option<ProgressView<'_>>,
        commands: &mut Vec<Command>,
    ) {
        ui.heading("Import a broker statement");
        ui.horizontal(|ui| {
            ui.label("File");
            ui.label(RichText::new(&self.file.name).strong())
                .on_hover_text(self.file.path.display().to_string());
        });
        ui.add_space(6.0);
        let editable = self.committing.is_none();
        ui.add_enabled_ui(editable, |ui| {
            egui::Grid::new("import-options")
                .num_columns(2)
                .spacing([10.0, 6.0])
                .show(ui, |ui| {
                    self.format_row(ui);
                    ui.end_row();
                    self.zone_row(ui);
                    ui.end_row();
                    if self.needs_date() {
                        self.date_row(ui);
                        ui.end_row();
                    }
                });
            ui.checkbox(&mut self.skip_bad_rows, "Skip rows that cannot be read")
                .on_hover_text("Each skipped row is listed as a warning with its line");
            if self.needs_mapping() {
                ui.add_space(6.0);
                self.mapping_ui(ui);
            }
        });
        ui.separator();
        self.preview_ui(ui, zone, progress);
        let footer = commit_footer(
            ui,
            progress,
            self.committing.is_some(),
            self.can_commit(),
            self.commit_error.as_deref(),
        );
        if footer.import
            && let Some((id, _)) = &self.shown
        {
            commands.push(Command::CommitImport(*id));
            self.committing = Some(*id);
            self.commit_error = None;
        }
        if footer.cancel {
            commands.push(Command::CloseImport);
        }
    }

    fn format_row(&mut self, ui: &mut Ui) {
        let label = ui.label("Format");
        let detected = self.file.detected;
        let describe = |format: Format| {
            if Some(format) == detected {
                format!("{} (detected)", format.title())
            } else {
                format.title().to_owned()
            }
        };
        egui::ComboBox::from_id_salt("import-format")
            .width(360.0)
            .selected_text(describe(self.format))
            .show_ui(ui, |ui| {
                for format in Format::ALL {
                    ui.selectable_value(&mut self.format, format, describe(format));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(if detected.is_some() {
                "Detected from the file's content; choose another if it is wrong"
            } else {
                "Tranche does not know this file's layout: map its columns below, or choose a format"
            });
    }

    fn zone_row(&mut self, ui: &mut Ui) {
        let label = ui.label("Time zone");
        ui.horizontal(|ui| {
            self.zones.show(ui, "import-zone", &mut self.tz, label.id);
            ui.weak("for times the file gives without a zone");
        });
    }

    fn date_row(&mut self, ui: &mut Ui) {
        let label = ui.label("Trading day");
        ui.horizontal(|ui| {
            let invalid = !self.date_text.trim().is_empty() && self.date().is_none();
            let mut edit = egui::TextEdit::singleline(&mut self.date_text)
                .hint_text("YYYY-MM-DD")
                .desired_width(110.0);
            if invalid {
                edit = edit.text_color(error_color(ui));
            }
            ui.add(edit)
                .labelled_by(label.id)
                .on_hover_text("The day the file's trades were made: it gives times only");
            if invalid {
                ui.colored_label(error_color(ui), "not a date (YYYY-MM-DD)");
            } else {
                ui.weak("the file gives times of day only");
            }
        });
    }

    fn mapping_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Columns").strong());
        if self.file.headers.is_empty() {
            return; // read_options explains it in the preview area
        }
        ui.weak("Tranche does not know this file's layout. Say which column holds what; the preview follows.");
        let headers: Vec<String> = self
            .file
            .headers
            .iter()
            .filter(|h| !h.trim().is_empty())
            .cloned()
            .collect();
        let file = Arc::clone(&self.file);
        // What the first row holds in a column, to check the choice by eye.
        let sample = |name: &str| -> Option<String> {
            let index = file.headers.iter().position(|h| h == name)?;
            let value = file.samples.first()?.get(index)?;
            Some(format!("e.g. {value}"))
        };
        egui::Grid::new("import-mapping")
            .num_columns(3)
            .spacing([10.0, 4.0])
            .show(ui, |ui| {
                for field in Field::ALL {
                    let label = ui.label(field.name()).on_hover_text(field.hint());
                    let current = field.column(&self.mapping);
                    let shown = match (current.is_empty(), field.required()) {
                        (false, _) => current.clone(),
                        (true, true) => "(choose a column)".to_owned(),
                        (true, false) => NO_COLUMN.to_owned(),
                    };
                    let mut choice = None;
                    egui::ComboBox::from_id_salt(("import-column", field.name()))
                        .width(220.0)
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            if !field.required()
                                && ui.selectable_label(current.is_empty(), NO_COLUMN).clicked()
                            {
                                choice = Some(String::new());
                            }
                            for header in &headers {
                                if ui.selectable_label(*header == current, header).clicked() {
                                    choice = Some(header.clone());
                                }
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if let Some(choice) = choice {
                        field.set_column(&mut self.mapping, choice);
                    }
                    let first_column = self.mapping_first_column(field);
                    match first_column.as_deref().and_then(sample) {
                        Some(example) => ui.label(example),
                        None => ui.weak(field.hint()),
                    };
                    ui.end_row();
                }
            });
    }

    /// The (first) column chosen for `field`, if any.
    fn mapping_first_column(&self, field: Field) -> Option<String> {
        match field {
            Field::Fee => self.mapping.fees.first().cloned(),
            _ => Some(field.column(&self.mapping)).filter(|c| !c.is_empty()),
        }
    }

    fn preview_ui(&mut self, ui: &mut Ui, zone: &Zone, progress: Option<ProgressView<'_>>) {
        match &self.preview {
            PreviewState::Reading => {
                if !progress_bar(ui, progress) {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("Reading {}…", self.file.name));
                    });
                }
            }
            PreviewState::Incomplete(message) => {
                ui.label(message.as_str());
            }
            PreviewState::Failed(err) => {
                ui.colored_label(error_color(ui), format!("Cannot read {err}"));
                if err.line.is_some() && !self.skip_bad_rows {
                    ui.horizontal(|ui| {
                        if ui.button("Skip bad rows").clicked() {
                            self.skip_bad_rows = true;
                        }
                        ui.label("with a warning for each, or cancel the import.");
                    });
                }
            }
            PreviewState::Ready(summary) => {
                let preview = &summary.preview;
                egui::Grid::new("import-preview")
                    .num_columns(2)
                    .spacing([10.0, 3.0])
                    .show(ui, |ui| {
                        ui.weak("Read as");
                        ui.label(preview.format.title());
                        ui.end_row();
                        ui.weak("Fills");
                        ui.label(counted(preview.fills, "fill", "fills"));
                        ui.end_row();
                        ui.weak("Trades");
                        ui.label(format!(
                            "{}, {} still open",
                            counted(preview.trades, "trade", "trades"),
                            grouped(preview.open_trades)
                        ));
                        ui.end_row();
                        ui.weak("Dates");
                        ui.horizontal(|ui| {
                            ui.label(date_range(preview.date_range, zone));
                            ui.weak(format!("in your display zone, {}", zone.name()));
                        });
                        ui.end_row();
                    });
                if let Some(check) = &preview.reconciliation {
                    ui.add_space(2.0);
                    super::reconciliation_label(ui, check);
                }
                warnings_ui(
                    ui,
                    &preview.warnings,
                    summary.warning_count,
                    "file-warnings",
                );
                ui.add_space(4.0);
                self.check_ui(ui, progress);
            }
        }
    }

    fn check_ui(&self, ui: &mut Ui, progress: Option<ProgressView<'_>>) {
        match &self.check {
            CheckState::NotYet | CheckState::Wanted | CheckState::Checking => {
                let checking = matches!(self.check, CheckState::Checking);
                if !(checking && progress_bar(ui, progress)) {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.weak("Comparing with the journal…");
                    });
                }
            }
            CheckState::Failed(message) => {
                ui.colored_label(
                    error_color(ui),
                    format!("This journal cannot take the import: {message}"),
                );
            }
            CheckState::Ready(summary) => {
                ui.label(RichText::new(outcome_text(summary)).strong());
                warnings_ui(
                    ui,
                    &summary.warnings,
                    summary.warnings.len(),
                    "journal-warnings",
                );
            }
        }
    }
}

/// The searchable list of time zones the import dialogs ask the file's zone
/// with: every IANA zone, the computer's first.
#[derive(Debug, Clone)]
pub struct ZonePicker {
    local: Tz,
    search: String,
}

impl ZonePicker {
    /// A picker that offers the computer's zone first.
    pub fn new(local: Tz) -> Self {
        ZonePicker {
            local,
            search: String::new(),
        }
    }

    /// The computer's zone.
    pub fn local(&self) -> Tz {
        self.local
    }

    /// Draws the combo box (its id from `salt`, named by the label
    /// `label`); a zone picked goes to `tz`.
    pub fn show(&mut self, ui: &mut Ui, salt: &str, tz: &mut Tz, label: Id) {
        let search_id = Id::unique((salt, "search"));
        let selected = if *tz == self.local {
            format!("{} (local)", zone_label(*tz))
        } else {
            zone_label(*tz)
        };
        let combo = egui::ComboBox::from_id_salt(salt)
            .width(260.0)
            .height(320.0)
            .selected_text(selected)
            .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
            .show_ui(ui, |ui| {
                let search = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.search)
                            .id(search_id)
                            .hint_text("Search: new york, tokyo, utc+2…")
                            .desired_width(240.0),
                    )
                    .accessible_name("Search time zones");
                let matches = matching_zones(&self.search, self.local);
                let enter = search.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                if matches.is_empty() {
                    ui.weak("No zone matches");
                }
                let row_height = ui.spacing().interact_size.y;
                let mut picked = None;
                egui::ScrollArea::vertical()
                    .max_height(240.0)
                    .auto_shrink([false, true])
                    .show_rows(ui, row_height, matches.len(), |ui, rows| {
                        for &zone in &matches[rows] {
                            if ui.selectable_label(zone == *tz, zone_label(zone)).clicked() {
                                picked = Some(zone);
                            }
                        }
                    });
                if enter && picked.is_none() {
                    // Enter takes the first zone that matches.
                    picked = matches.first().copied();
                }
                if let Some(zone) = picked {
                    *tz = zone;
                    self.search.clear();
                    ui.close();
                }
            });
        let response = combo.response.labelled_by(label);
        if response.clicked() {
            ui.memory_mut(|memory| memory.request_focus(search_id));
        }
    }
}

/// A zone as the picker lists it: its IANA name, and for the fixed offsets
/// (whose `Etc/GMT` names have the sign the other way round) the offset as
/// people write it: `Etc/GMT-2 (UTC+2)`.
pub fn zone_label(tz: Tz) -> String {
    let name = tz.name();
    let offset = name.strip_prefix("Etc/GMT").and_then(|rest| {
        let (sign, hours) = match rest.split_at_checked(1)? {
            ("-", h) => ('+', h),
            ("+", h) => ('-', h),
            _ => return None,
        };
        hours.parse::<u8>().ok().map(|h| format!("UTC{sign}{h}"))
    });
    match offset {
        Some(offset) => format!("{name} ({offset})"),
        None => name.to_owned(),
    }
}

/// A day typed as `YYYY-MM-DD`.
fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// The progress of the worker's job as a bar; `false` when there is none.
/// What was clicked at the foot of an import dialog.
pub(super) struct Footer {
    /// Import (only when it was enabled).
    pub import: bool,
    /// Cancel.
    pub cancel: bool,
}

/// The foot of an import dialog: the commit's progress while it runs, why it
/// failed if it did, then Import (enabled when `can_commit`) and Cancel
/// (disabled while committing).
pub(super) fn commit_footer(
    ui: &mut Ui,
    progress: Option<ProgressView<'_>>,
    committing: bool,
    can_commit: bool,
    commit_error: Option<&str>,
) -> Footer {
    if committing {
        progress_bar(ui, progress);
    }
    if let Some(message) = commit_error {
        ui.colored_label(error_color(ui), format!("Nothing was imported: {message}"));
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let label = if committing { "Importing…" } else { "Import" };
        let import = ui
            .add_enabled(can_commit, egui::Button::new(RichText::new(label).strong()))
            .on_disabled_hover_text("Available once the file reads without errors")
            .clicked();
        let cancel = ui
            .add_enabled(!committing, egui::Button::new("Cancel"))
            .on_hover_text("Close without importing anything (Esc)")
            .clicked();
        Footer { import, cancel }
    })
    .inner
}

pub(super) fn progress_bar(ui: &mut Ui, progress: Option<ProgressView<'_>>) -> bool {
    let Some(progress) = progress else {
        return false;
    };
    let bar = if progress.total > 0 {
        egui::ProgressBar::new(progress.done as f32 / progress.total as f32).text(format!(
            "{} {}%",
            progress.label,
            progress.done * 100 / progress.total
        ))
    } else {
        egui::ProgressBar::new(0.0)
            .animate(true)
            .text(progress.label)
    };
    ui.add(bar);
    true
}

/// What committing would add, in a sentence.
pub fn outcome_text(summary: &CommitSummary) -> String {
    outcome_sentence(summary, "Adds")
}

/// What committing added, in a sentence.
pub fn added_text(summary: &CommitSummary) -> String {
    outcome_sentence(summary, "Added")
}

fn outcome_sentence(summary: &CommitSummary, verb: &str) -> String {
    let known = match summary.known_fills {
        0 => String::new(),
        1 => " 1 fill was imported before and is skipped.".to_owned(),
        n => format!(
            " {} fills were imported before and are skipped.",
            grouped(n)
        ),
    };
    if summary.new_fills == 0 {
        return match summary.known_fills {
            0 => "Nothing to add: the file holds no fills.".to_owned(),
            1 => "Nothing new: its only fill was imported before.".to_owned(),
            n => format!(
                "Nothing new: all {} fills were imported before.",
                grouped(n)
            ),
        };
    }
    format!(
        "{verb} {}: {}, {} extended.{known}",
        counted(summary.new_fills, "new fill", "new fills"),
        counted(summary.added, "new trade", "new trades"),
        counted(summary.extended, "open trade", "open trades"),
    )
}

pub(super) fn warnings_ui(ui: &mut Ui, warnings: &[Warning], count: usize, id: &str) {
    if count == 0 {
        return;
    }
    ui.label(
        RichText::new(counted(count, "warning", "warnings")).color(ui.visuals().warn_fg_color),
    );
    egui::ScrollArea::vertical()
        .id_salt(id)
        .max_height(120.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for warning in warnings {
                ui.add(egui::Label::new(warning.to_string()).wrap());
            }
            if count > warnings.len() {
                ui.weak(format!("… and {} more", count - warnings.len()));
            }
        });
}

/// The first and last fill times in `zone`, with the offset.
fn date_range(
    range: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    zone: &Zone,
) -> String {
    let show = |at| zone.convert(at).format("%Y-%m-%d %H:%M %:z").to_string();
    match range {
        Some((first, last)) => format!("From {} to {}", show(first), show(last)),
        None => "No fills".to_owned(),
    }
}

/// `count` and the noun that fits it, the count in groups of three digits.
pub(super) fn counted(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", grouped(count))
    }
}

/// `1234567` as `1,234,567`.
pub(super) fn grouped(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The zones whose labels ([`zone_label`]) contain every word of `query`
/// (spaces match underscores), the local zone first; every zone when the
/// query is empty.
fn matching_zones(query: &str, local: Tz) -> Vec<Tz> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.to_lowercase().replace('_', " "))
        .collect();
    let matches = |tz: &Tz| {
        let name = zone_label(*tz).to_lowercase().replace('_', " ");
        words.iter().all(|w| name.contains(w.as_str()))
    };
    let mut zones: Vec<Tz> = Vec::new();
    if matches(&local) {
        zones.push(local);
    }
    zones.extend(
        chrono_tz::TZ_VARIANTS
            .iter()
            .filter(|tz| **tz != local && matches(tz))
            .copied(),
    );
    zones
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn zones_match_every_word_and_spaces_match_underscores() {
        let zones = matching_zones("new york", Tz::UTC);
        assert_eq!(zones, [Tz::America__New_York]);
        let zones = matching_zones("  ", Tz::Asia__Tokyo);
        assert_eq!(zones.first(), Some(&Tz::Asia__Tokyo));
        assert_eq!(zones.len(), chrono_tz::TZ_VARIANTS.len());
        assert!(matching_zones("nowhere at all", Tz::UTC).is_empty());
    }

    #[test]
    fn fixed_offsets_are_labelled_and_found_as_people_write_them() {
        assert_eq!(zone_label(Tz::Etc__GMTMinus2), "Etc/GMT-2 (UTC+2)");
        assert_eq!(zone_label(Tz::Etc__GMTPlus5), "Etc/GMT+5 (UTC-5)");
        assert_eq!(zone_label(Tz::Etc__GMT), "Etc/GMT");
        assert_eq!(zone_label(Tz::Europe__Athens), "Europe/Athens");
        assert_eq!(matching_zones("utc+2", Tz::UTC), [Tz::Etc__GMTMinus2]);
        assert_eq!(matching_zones("UTC+3", Tz::UTC), [Tz::Etc__GMTMinus3]);
    }

    #[test]
    fn counts_are_grouped_in_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(200_000), "200,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(counted(1_000_000, "fill", "fills"), "1,000,000 fills");
    }

    #[test]
    fn outcomes_read_naturally() {
        let summary = CommitSummary {
            new_fills: 4,
            known_fills: 1,
            added: 2,
            extended: 0,
            ..CommitSummary::default()
        };
        assert_eq!(
            outcome_text(&summary),
            "Adds 4 new fills: 2 new trades, 0 open trades extended. \
             1 fill was imported before and is skipped."
        );
        let extended = CommitSummary {
            new_fills: 1,
            extended: 1,
            ..CommitSummary::default()
        };
        assert_eq!(
            outcome_text(&extended),
            "Adds 1 new fill: 0 new trades, 1 open trade extended."
        );
        let again = CommitSummary {
            known_fills: 6,
            ..CommitSummary::default()
        };
        assert_eq!(
            outcome_text(&again),
            "Nothing new: all 6 fills were imported before."
        );
    }
}
