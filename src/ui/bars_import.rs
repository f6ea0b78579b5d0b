//! The import dialog for price bars files: say which instrument the bars
//! are of and which zone their times are in, see what the file holds, then
//! import it or cancel.
//!
//! [`BarsImportDialog`] opens on a file chosen with Import… or dropped on the
//! window whose content is a bars layout. The Symbol field starts with the
//! instrument the file's name gives (`EURUSD1.csv`), and is empty, and
//! required, when it gives none. The time zone starts with the one used for
//! the last bars file (MetaTrader server time is often UTC+2 or UTC+3), else
//! the computer's. Whenever either changes the dialog asks the worker for a
//! new preview ([`Command::PreviewBars`]): the layout, the bar length, how
//! many bars, the first and last bar's times and the first rows. Import
//! ([`Command::CommitBars`]) writes the bars previewed; Cancel
//! ([`Command::CloseImport`]) writes nothing. A row that cannot be read is
//! shown naming the file, line and field.
//!
//! A reply that answers an older request is ignored, so the dialog never
//! shows a preview of options the user has already changed.

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use egui::{Id, Key, Modifiers, RichText, Ui};

use crate::domain::bars::length_words;
use crate::import::{ImportError, local_zone};
use crate::model::bars_import::{
    BarsFile, BarsOptions, BarsPreview, BarsPreviewRequest, BarsReply,
};
use crate::model::import::next_request_id;

use super::import::{ProgressView, ZonePicker, commit_footer, counted, progress_bar, warnings_ui};
use super::time::Zone;
use super::{Command, error_color};

/// The state of the preview the dialog shows.
#[derive(Debug, Clone)]
enum PreviewState {
    /// The worker is reading the file.
    Reading,
    /// A field the reading needs is missing; nothing can be read yet.
    Incomplete(String),
    /// What the file holds.
    Ready(BarsPreview),
    /// The file, or one of its rows, cannot be read with these options.
    Failed(ImportError),
}

/// The import dialog for a price bars file.
pub struct BarsImportDialog {
    file: Arc<BarsFile>,
    /// The instrument as typed.
    symbol: String,
    tz: Tz,
    zones: ZonePicker,
    /// The request on its way, with the options it was made with.
    in_flight: Option<(u64, BarsOptions)>,
    /// The request whose result shows, with its options.
    shown: Option<(u64, BarsOptions)>,
    preview: PreviewState,
    /// The preview being committed.
    committing: Option<u64>,
    commit_error: Option<String>,
}

impl BarsImportDialog {
    /// A dialog on a bars file just read: the symbol its name gives, and
    /// times read in `tz` (the zone of the last bars file), else in the
    /// computer's zone.
    pub fn new(file: Arc<BarsFile>, tz: Option<Tz>) -> Self {
        let local = local_zone();
        BarsImportDialog {
            symbol: file.named_symbol.clone().unwrap_or_default(),
            file,
            tz: tz.unwrap_or(local),
            zones: ZonePicker::new(local),
            in_flight: None,
            shown: None,
            preview: PreviewState::Reading,
            committing: None,
            commit_error: None,
        }
    }

    /// The file being imported.
    pub fn file(&self) -> &BarsFile {
        &self.file
    }

    /// The instrument as typed.
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// The zone of times the file gives without one.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// The preview showing, once the file was read.
    pub fn preview(&self) -> Option<&BarsPreview> {
        match &self.preview {
            PreviewState::Ready(preview) => Some(preview),
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

    /// Whether the bars are being written.
    pub fn is_committing(&self) -> bool {
        self.committing.is_some()
    }

    /// Whether Import can be pressed: a preview of the current options is
    /// showing and nothing is being written.
    pub fn can_commit(&self) -> bool {
        let current = self.read_options().ok();
        self.committing.is_none()
            && self.in_flight.is_none()
            && matches!(&self.preview, PreviewState::Ready(p) if p.count > 0)
            && self.shown.as_ref().map(|(_, options)| options) == current.as_ref()
    }

    /// The options to read with, or what is still missing.
    fn read_options(&self) -> Result<BarsOptions, String> {
        if self.symbol.trim().is_empty() {
            return Err(match self.file.named_symbol {
                None => "The file's name does not say which instrument these bars are of: \
                         type its symbol above (EURUSD, AAPL, ES)."
                    .to_owned(),
                Some(_) => "Type the symbol of the instrument these bars are of.".to_owned(),
            });
        }
        Ok(BarsOptions {
            symbol: self.symbol.clone(),
            tz: self.tz,
        })
    }

    /// Takes a reply from the worker; replies to older requests are ignored.
    pub fn on_reply(&mut self, reply: BarsReply) {
        match reply {
            BarsReply::Previewed { id, result } => {
                let Some((waiting, options)) = self.in_flight.take() else {
                    return;
                };
                if waiting != id {
                    self.in_flight = Some((waiting, options));
                    return;
                }
                self.shown = Some((id, options));
                self.preview = match result {
                    Ok(preview) => PreviewState::Ready(preview),
                    Err(err) => PreviewState::Failed(err),
                };
            }
            BarsReply::CommitFailed { id, message } => {
                if self.committing == Some(id) {
                    self.committing = None;
                    self.commit_error = Some(message);
                }
            }
            BarsReply::Opened(_) | BarsReply::Committed { .. } | BarsReply::Discarded => {}
        }
    }

    /// Asks the worker for a preview of the current options when the one
    /// showing is of others.
    fn request_work(&mut self, commands: &mut Vec<Command>) {
        if self.committing.is_some() {
            return;
        }
        let wanted = match self.read_options() {
            Ok(options) => options,
            Err(message) => {
                self.preview = PreviewState::Incomplete(message);
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
            commands.push(Command::PreviewBars(BarsPreviewRequest {
                id,
                file: Arc::clone(&self.file),
                options: wanted.clone(),
            }));
            self.in_flight = Some((id, wanted));
            if !matches!(self.preview, PreviewState::Ready(_)) {
                self.preview = PreviewState::Reading;
            }
            self.commit_error = None;
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
        let modal = egui::Modal::new(Id::unique("bars-import-dialog")).show(ctx, |ui| {
            ui.set_width(640.0);
            let max_height = (ctx.content_rect().height() - 60.0).max(200.0);
            ui.set_max_height(max_height);
            egui::ScrollArea::vertical()
                .max_height(max_height)
                .show(ui, |ui| self.ui(ui, zone, progress, &mut commands));
        });
        // Esc cancels, unless a list is open or the bars are being written.
        if modal.is_top_modal
            && !modal.any_popup_open
            && self.committing.is_none()
            && ctx.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Escape))
        {
            commands.push(Command::CloseImport);
        }
        if !commands.iter().any(|c| matches!(c, Command::CloseImport)) {
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
        ui.heading("Import price bars");
        ui.horizontal(|ui| {
            ui.label("File");
            ui.label(RichText::new(&self.file.name).strong())
                .on_hover_text(self.file.path.display().to_string());
        });
        ui.add_space(6.0);
        ui.add_enabled_ui(self.committing.is_none(), |ui| {
            egui::Grid::new("bars-import-options")
                .num_columns(2)
                .spacing([10.0, 6.0])
                .show(ui, |ui| {
                    self.symbol_row(ui);
                    ui.end_row();
                    let label = ui.label("Time zone");
                    ui.horizontal(|ui| {
                        self.zones
                            .show(ui, "bars-import-zone", &mut self.tz, label.id);
                        ui.weak(
                            "of the file's times; MetaTrader server time is often UTC+2 or UTC+3",
                        );
                    });
                    ui.end_row();
                });
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
            commands.push(Command::CommitBars(*id));
            self.committing = Some(*id);
            self.commit_error = None;
        }
        if footer.cancel {
            commands.push(Command::CloseImport);
        }
    }

    fn symbol_row(&mut self, ui: &mut Ui) {
        let label = ui.label("Symbol");
        ui.horizontal(|ui| {
            let missing = self.symbol.trim().is_empty();
            ui.add(
                egui::TextEdit::singleline(&mut self.symbol)
                    .hint_text("EURUSD")
                    .desired_width(140.0),
            )
            .labelled_by(label.id)
            .on_hover_text("The instrument the bars are of; trades match it by symbol");
            match (&self.file.named_symbol, missing) {
                (_, true) => {
                    ui.colored_label(error_color(ui), "required");
                }
                (Some(named), false) if named.eq_ignore_ascii_case(self.symbol.trim()) => {
                    ui.weak("from the file's name");
                }
                _ => {}
            }
        });
    }

    fn preview_ui(&self, ui: &mut Ui, zone: &Zone, progress: Option<ProgressView<'_>>) {
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
            }
            PreviewState::Ready(preview) => {
                if self.in_flight.is_some() {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.weak("Reading again with the new options…");
                    });
                }
                preview_grid(ui, preview, zone);
                ui.add_space(4.0);
                rows_table(ui, preview, zone);
                warnings_ui(
                    ui,
                    &preview.warnings,
                    preview.warnings.len(),
                    "bars-warnings",
                );
                ui.add_space(4.0);
                ui.weak("Bars the journal already holds are skipped.");
            }
        }
    }
}

/// A bar's start in `zone`, with the offset.
fn bar_time(start: i64, zone: &Zone) -> String {
    match DateTime::from_timestamp(start, 0) {
        Some(at) => {
            let at: DateTime<FixedOffset> = at.fixed_offset();
            zone.convert(at).format("%Y-%m-%d %H:%M %:z").to_string()
        }
        None => start.to_string(),
    }
}

fn preview_grid(ui: &mut Ui, preview: &BarsPreview, zone: &Zone) {
    egui::Grid::new("bars-import-preview")
        .num_columns(2)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            ui.weak("Read as");
            ui.label(preview.format.title());
            ui.end_row();
            ui.weak("Bars");
            ui.label(format!(
                "{} of {}",
                counted(preview.count, "bar", "bars"),
                preview.symbol
            ));
            ui.end_row();
            ui.weak("Bar length");
            ui.label(length_words(preview.length));
            ui.end_row();
            if let Some((first, last)) = preview.range {
                ui.weak("First bar");
                ui.label(bar_time(first, zone));
                ui.end_row();
                ui.weak("Last bar");
                ui.horizontal(|ui| {
                    ui.label(bar_time(last, zone));
                    ui.weak(format!("times in your display zone, {}", zone.name()));
                });
                ui.end_row();
            }
        });
}

fn rows_table(ui: &mut Ui, preview: &BarsPreview, zone: &Zone) {
    if preview.rows.is_empty() {
        return;
    }
    egui::Grid::new("bars-import-rows")
        .num_columns(5)
        .striped(true)
        .spacing([14.0, 2.0])
        .show(ui, |ui| {
            for title in ["Bar start", "Open", "High", "Low", "Close"] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for row in &preview.rows {
                ui.label(bar_time(row.start, zone));
                for price in &row.prices {
                    ui.monospace(price.to_string());
                }
                ui.end_row();
            }
            if preview.count > preview.rows.len() {
                ui.weak(format!(
                    "… and {} more",
                    super::import::grouped(preview.count - preview.rows.len())
                ));
                ui.end_row();
            }
        });
}
