//! The trade editor: header fields, the event grid, and a live preview of the
//! position and the rules after every row.
//!
//! Every field is text, parsed exactly by [`TradeForm::preview`]; a field that
//! does not parse, or that the domain's validation rejects, is outlined with
//! the reason beside it, and Save stays disabled until the trade is valid.
//!
//! On a new trade the multiplier follows the symbol ([`usual_multiplier`]:
//! 100,000 a lot for EURUSD, 50 a point for ESZ4, 100 for an option) until
//! the trader types a multiplier of their own, which is then kept.

use egui::{Align, Layout, RichText, Stroke, StrokeKind, TextEdit, Ui};

use crate::analysis::{RuleSettings, STOPS_NOT_JUDGED, Violation, format};
use crate::domain::{MarketCondition, Side, Trade, TradeId};
use crate::import::instrument::usual_multiplier;

use super::form::{EventRow, Preview, RowField, RowKind, TradeField, TradeForm};
use super::time::Zone;
use super::{
    Command, NOT_JUDGED_R, ViewContext, error_color, money_text, r_text, rule_color, score_color,
    step_cells,
};

/// The editor's state: the form, the form as it was opened, and the preview.
pub struct TradeEditor {
    id: Option<TradeId>,
    form: TradeForm,
    original: TradeForm,
    preview: Preview,
    /// The inputs the preview was computed from.
    preview_of: Option<(TradeForm, Zone, RuleSettings)>,
    confirm_discard: bool,
    saving: bool,
    error: Option<String>,
    multiplier: MultiplierProposal,
    /// The planner's answer for the add being typed, with the preview.
    live_plan: Option<super::planner::LivePlan>,
}

/// The multiplier the editor proposes from the symbol of a new trade.
#[derive(Debug, Clone, Default)]
struct MultiplierProposal {
    /// Whether proposals are made: on a new trade, until the trader types a
    /// multiplier of their own.
    active: bool,
    /// The symbol the multiplier field was last filled for.
    symbol: String,
    /// The multiplier text as the editor last left it; any other text was typed.
    written: String,
    /// What the proposed multiplier is, for the hint beside the field.
    hint: Option<String>,
}

impl TradeEditor {
    /// An editor on a new, empty trade whose first row is an entry now.
    pub fn new_trade(zone: &Zone) -> Self {
        let mut form = TradeForm::default();
        let now = zone.editable(zone.now());
        form.rows.push(EventRow::new(RowKind::Stop, now.clone()));
        form.rows.push(EventRow::new(RowKind::Entry, now));
        let mut editor = Self::with_form(None, form.clone(), form);
        editor.multiplier = MultiplierProposal {
            active: true,
            symbol: editor.form.symbol.clone(),
            written: editor.form.multiplier.clone(),
            hint: None,
        };
        editor
    }

    /// An editor on a saved trade.
    pub fn edit(id: TradeId, trade: &Trade, zone: &Zone) -> Self {
        let form = TradeForm::from_trade(trade, zone);
        Self::with_form(Some(id), form.clone(), form)
    }

    fn with_form(id: Option<TradeId>, form: TradeForm, original: TradeForm) -> Self {
        TradeEditor {
            id,
            form,
            original,
            preview: Preview::default(),
            preview_of: None,
            confirm_discard: false,
            saving: false,
            error: None,
            multiplier: MultiplierProposal::default(),
            live_plan: None,
        }
    }

    /// What the multiplier field's hint says: the proposal from the symbol
    /// in force (`100,000 per lot, from the symbol`), if any.
    pub fn multiplier_hint(&self) -> Option<&str> {
        self.multiplier.hint.as_deref()
    }

    /// Fills the multiplier of a new trade from its symbol, unless the trader
    /// typed one: each new symbol gets its usual multiplier, or 1.
    pub fn propose_multiplier(&mut self) {
        let proposal = &mut self.multiplier;
        if !proposal.active {
            return;
        }
        if self.form.multiplier != proposal.written {
            // The trader typed a multiplier: theirs stays.
            proposal.active = false;
            proposal.hint = None;
            return;
        }
        if self.form.symbol == proposal.symbol {
            return;
        }
        proposal.symbol = self.form.symbol.clone();
        let usual = usual_multiplier(&self.form.symbol);
        proposal.hint = usual.map(|(multiplier, unit)| {
            format!("{} {unit}, from the symbol", format::grouped(multiplier))
        });
        proposal.written = usual.map_or_else(|| "1".to_owned(), |(m, _)| format::exact(m));
        self.form.multiplier = proposal.written.clone();
    }

    /// The trade being edited, `None` for a new one.
    pub fn id(&self) -> Option<TradeId> {
        self.id
    }

    /// The form, for tests and for the app.
    pub fn form(&self) -> &TradeForm {
        &self.form
    }

    /// The form, to change it (tests use this to fill it quickly).
    pub fn form_mut(&mut self) -> &mut TradeForm {
        &mut self.form
    }

    /// Whether the form differs from what was opened.
    pub fn is_dirty(&self) -> bool {
        self.form != self.original
    }

    /// Whether a save is under way.
    pub fn is_saving(&self) -> bool {
        self.saving
    }

    /// Marks the save as under way, or as failed with a reason.
    pub fn set_saving(&mut self, saving: bool, error: Option<String>) {
        self.saving = saving;
        self.error = error;
    }

    /// The latest preview (computed during [`TradeEditor::ui`], or by [`TradeEditor::refresh`]).
    pub fn preview(&self) -> &Preview {
        &self.preview
    }

    /// The planner's answer for the add row being typed, if any.
    pub fn live_plan(&self) -> Option<&super::planner::LivePlan> {
        self.live_plan.as_ref()
    }

    /// Recomputes the preview if the form, the zone or the settings changed.
    pub fn refresh(&mut self, zone: &Zone, settings: &RuleSettings) {
        self.propose_multiplier();
        let stale = match &self.preview_of {
            Some((form, z, s)) => form != &self.form || z != zone || s != settings,
            None => true,
        };
        if stale {
            self.preview = self.form.preview(zone, settings);
            self.live_plan = super::planner::live_plan(&self.form, zone);
            self.preview_of = Some((self.form.clone(), zone.clone(), settings.clone()));
        }
    }

    /// The command that saves the trade, if it is valid and no save is running.
    pub fn save_command(&self) -> Option<Command> {
        if self.saving {
            return None;
        }
        let trade = self.preview.trade.clone()?;
        Some(Command::Save { id: self.id, trade })
    }

    /// Cancel: closes at once when nothing changed, otherwise asks first.
    pub fn cancel(&mut self) -> Option<Command> {
        if self.is_dirty() && !self.saving {
            self.confirm_discard = true;
            None
        } else {
            Some(Command::CloseEditor)
        }
    }

    /// Whether the "discard changes?" question is showing.
    pub fn is_asking_to_discard(&self) -> bool {
        self.confirm_discard
    }

    /// Draws the editor.
    pub fn ui(&mut self, ui: &mut Ui, view: &ViewContext<'_>) -> Vec<Command> {
        self.refresh(view.zone, view.rule_settings);
        let mut commands = Vec::new();

        ui.horizontal(|ui| {
            let title = match self.id {
                Some(id) => format!("Edit trade #{id}"),
                None => "New trade".to_owned(),
            };
            ui.heading(title);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if let Some(id) = self.id
                    && ui.button("Delete…").clicked()
                {
                    commands.push(Command::AskDelete(id));
                }
                if ui.button("Cancel").on_hover_text("Esc").clicked() {
                    commands.extend(self.cancel());
                }
                let valid = self.preview.is_valid() && !self.saving;
                let save = ui
                    .add_enabled(valid, egui::Button::new(RichText::new("Save").strong()))
                    .on_hover_text("Ctrl+S")
                    .on_disabled_hover_text("Fix the marked fields first");
                if save.clicked() {
                    commands.extend(self.save_command());
                }
                if self.saving {
                    ui.spinner();
                    ui.label("Saving…");
                }
            });
        });
        if let Some(error) = &self.error {
            ui.colored_label(error_color(ui), format!("Not saved: {error}"));
        }
        ui.separator();

        egui::ScrollArea::both()
            .id_salt("editor-scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.header_ui(ui);
                ui.add_space(6.0);
                self.summary_ui(ui, view.zone);
                ui.add_space(6.0);
                self.grid_ui(ui, view.zone);
                if let Some(live) = &self.live_plan {
                    ui.add_space(4.0);
                    super::planner::live_plan_ui(ui, live);
                }
                ui.add_space(4.0);
                self.add_row_buttons(ui, view.zone);
            });

        if self.confirm_discard {
            let modal =
                egui::Modal::new(egui::Id::unique("confirm-discard")).show(ui.ctx(), |ui| {
                    ui.set_width(320.0);
                    ui.heading("Discard changes?");
                    ui.label("The changes to this trade have not been saved.");
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Discard").clicked() {
                            commands.push(Command::CloseEditor);
                            self.confirm_discard = false;
                        }
                        if ui.button("Keep editing").clicked() {
                            self.confirm_discard = false;
                        }
                    });
                });
            if modal.should_close() {
                self.confirm_discard = false;
            }
        }
        commands
    }

    fn header_ui(&mut self, ui: &mut Ui) {
        let errors = self.preview.errors.clone();
        let multiplier_hint = self.multiplier.hint.clone();
        let form = &mut self.form;
        egui::Grid::new("trade-header")
            .num_columns(4)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                text_field(
                    ui,
                    "Symbol",
                    &mut form.symbol,
                    110.0,
                    errors.field(TradeField::Symbol),
                    None,
                );
                let label = ui.label("Side");
                egui::ComboBox::from_id_salt("side")
                    .selected_text(form.side.as_str())
                    .show_ui(ui, |ui| {
                        for side in Side::ALL {
                            ui.selectable_value(&mut form.side, side, side.as_str());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();

                text_field(
                    ui,
                    "Multiplier",
                    &mut form.multiplier,
                    110.0,
                    errors.field(TradeField::Multiplier),
                    multiplier_hint.as_deref(),
                );
                let label = ui.label("Market");
                egui::ComboBox::from_id_salt("market")
                    .selected_text(form.market_condition.as_str())
                    .show_ui(ui, |ui| {
                        for condition in MarketCondition::ALL {
                            ui.selectable_value(
                                &mut form.market_condition,
                                condition,
                                condition.as_str(),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();

                text_field(
                    ui,
                    "Currency",
                    &mut form.currency,
                    110.0,
                    errors.field(TradeField::Currency),
                    None,
                );
                text_field(ui, "Setup", &mut form.setup, 160.0, None, None);
                ui.end_row();

                text_field(ui, "Account", &mut form.account, 110.0, None, None);
                text_field(ui, "Tags", &mut form.tags, 160.0, None, None);
                ui.end_row();
            });
        ui.horizontal(|ui| {
            let label = ui.label("Notes");
            ui.add(
                TextEdit::multiline(&mut form.notes)
                    .id_salt("trade-notes")
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
        if let Some(message) = errors.field(TradeField::Events) {
            ui.colored_label(error_color(ui), message);
        }
    }

    fn summary_ui(&self, ui: &mut Ui, zone: &Zone) {
        let _ = zone;
        let Some((analysis, _)) = &self.preview.analysis else {
            ui.weak("The preview appears once the initial entry is complete.");
            return;
        };
        let partial = self.preview.analysed_rows < self.form.rows.len();
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Score {}", analysis.score))
                    .heading()
                    .color(score_color(ui, analysis.score)),
            );
            ui.separator();
            ui.label("R");
            if analysis.stops_judged {
                ui.strong(
                    analysis
                        .initial_risk
                        .map_or_else(|| "no initial stop".to_owned(), format::money),
                );
            } else {
                ui.strong(NOT_JUDGED_R);
            }
            ui.separator();
            ui.label("Net P&L");
            ui.label(money_text(ui, analysis.net_pnl).strong());
            ui.separator();
            ui.label("R-multiple");
            ui.strong(r_text(analysis.r_multiple));
            ui.separator();
            ui.label(format!(
                "{} add{}, {} partial exit{}",
                analysis.adds,
                if analysis.adds == 1 { "" } else { "s" },
                analysis.partial_exits,
                if analysis.partial_exits == 1 { "" } else { "s" },
            ));
            if let Some(scale) = &analysis.scale_out {
                ui.separator();
                ui.label(format!(
                    "scaling out {} {}",
                    scale.verdict.as_str(),
                    format::money(scale.effect.abs())
                ));
            }
            if !analysis.is_closed() {
                ui.separator();
                ui.label(format!("open {}", format::num(analysis.open_qty)));
            }
            if partial {
                ui.separator();
                ui.weak(format!(
                    "(preview of the first {} rows)",
                    self.preview.analysed_rows
                ));
            }
        });
        if !analysis.stops_judged {
            ui.add(egui::Label::new(RichText::new(STOPS_NOT_JUDGED).weak()).wrap());
        }
    }

    fn grid_ui(&mut self, ui: &mut Ui, zone: &Zone) {
        let preview = &self.preview;
        let steps = preview.analysis.as_ref().map(|(_, steps)| steps.as_slice());
        let violations: Vec<&Violation> = preview
            .analysis
            .as_ref()
            .map(|(a, _)| a.violations.iter().collect())
            .unwrap_or_default();
        let mut remove = None;
        let mut copy_time_from_above = None;
        let roles = row_roles(&self.form.rows);
        let rows = &mut self.form.rows;
        let now_text = zone.editable(zone.now());

        egui::Grid::new("event-grid")
            .striped(true)
            .spacing([6.0, 4.0])
            .min_col_width(0.0)
            .show(ui, |ui| {
                for heading in [
                    "#",
                    "Event",
                    "Time",
                    "",
                    "Qty",
                    "Price",
                    "Fee",
                    "",
                    "Open",
                    "Avg entry",
                    "Stop",
                    "Worst case",
                    "Rules",
                ] {
                    ui.strong(heading);
                }
                ui.end_row();

                for (i, row) in rows.iter_mut().enumerate() {
                    let n = i + 1;
                    ui.label(n.to_string());
                    ui.label(&roles[i]);
                    text_cell(
                        ui,
                        &mut row.at,
                        &format!("Row {n} time"),
                        "2025-03-04 09:35",
                        138.0,
                        preview.errors.row(i, RowField::Time),
                    );
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(i > 0, egui::Button::new("same").small())
                            .on_hover_text("Same time as the row above")
                            .accessible_name(format!("Row {n} same time as above"))
                            .clicked()
                        {
                            copy_time_from_above = Some(i);
                        }
                        if ui
                            .small_button("now")
                            .on_hover_text("The current time")
                            .accessible_name(format!("Row {n} now"))
                            .clicked()
                        {
                            row.at = now_text.clone();
                        }
                    });
                    if row.kind.is_fill() {
                        text_cell(
                            ui,
                            &mut row.qty,
                            &format!("Row {n} qty"),
                            "qty",
                            64.0,
                            preview.errors.row(i, RowField::Qty),
                        );
                    } else {
                        ui.label("");
                    }
                    text_cell(
                        ui,
                        &mut row.price,
                        &format!("Row {n} price"),
                        "price",
                        78.0,
                        preview.errors.row(i, RowField::Price),
                    );
                    if row.kind.is_fill() {
                        text_cell(
                            ui,
                            &mut row.fee,
                            &format!("Row {n} fee"),
                            "0",
                            52.0,
                            preview.errors.row(i, RowField::Fee),
                        );
                    } else {
                        ui.label("");
                    }
                    if ui
                        .small_button("×")
                        .on_hover_text("Remove this row")
                        .accessible_name(format!("Remove row {n}"))
                        .clicked()
                    {
                        remove = Some(i);
                    }

                    step_cells(
                        ui,
                        steps
                            .and_then(|s| s.get(i))
                            .filter(|_| i < preview.analysed_rows),
                        preview.price_dp,
                    );

                    ui.vertical(|ui| {
                        ui.set_max_width(ui.available_width().max(300.0));
                        if let Some((field, message)) = preview.errors.first_in_row(i) {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("{}: {message}", field.label()))
                                        .color(error_color(ui)),
                                )
                                .wrap(),
                            );
                        }
                        for violation in violations.iter().filter(|v| v.event == i) {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!(
                                        "{}: {}",
                                        violation.rule.id(),
                                        violation.message
                                    ))
                                    .color(rule_color(violation.rule)),
                                )
                                .wrap(),
                            );
                        }
                    });
                    ui.end_row();
                }
            });

        if let Some(i) = copy_time_from_above
            && i > 0
        {
            let above = self.form.rows[i - 1].at.clone();
            self.form.rows[i].at = above;
        }
        if let Some(i) = remove {
            self.form.rows.remove(i);
        }
    }

    fn add_row_buttons(&mut self, ui: &mut Ui, zone: &Zone) {
        ui.horizontal(|ui| {
            for kind in RowKind::ALL {
                if ui
                    .button(format!("+ {}", kind.name()))
                    .on_hover_text(format!("Add a {} row", kind.name().to_lowercase()))
                    .clicked()
                {
                    let at = self
                        .form
                        .rows
                        .last()
                        .map_or_else(|| zone.editable(zone.now()), |row| row.at.clone());
                    self.form.rows.push(EventRow::new(kind, at));
                }
            }
            ui.weak("New rows start at the time of the row above.");
        });
    }
}

/// How each row reads to a trader: Initial entry, Add 1, Partial exit, Exit, Stop, Target.
fn row_roles(rows: &[EventRow]) -> Vec<String> {
    let mut entries = 0;
    let exits_total = rows.iter().filter(|r| r.kind == RowKind::Exit).count();
    let mut exits = 0;
    rows.iter()
        .map(|row| match row.kind {
            RowKind::Entry => {
                entries += 1;
                if entries == 1 {
                    "Entry".to_owned()
                } else {
                    format!("Add {}", entries - 1)
                }
            }
            RowKind::Exit => {
                exits += 1;
                if exits == exits_total {
                    "Exit".to_owned()
                } else {
                    "Partial exit".to_owned()
                }
            }
            RowKind::Stop => "Stop".to_owned(),
            RowKind::Target => "Target".to_owned(),
        })
        .collect()
}

/// A labelled header field with an error outline and reason, or else a note.
fn text_field(
    ui: &mut Ui,
    name: &str,
    text: &mut String,
    width: f32,
    error: Option<&str>,
    note: Option<&str>,
) {
    let label = ui.label(name);
    ui.horizontal(|ui| {
        let response = ui
            .add(
                TextEdit::singleline(text)
                    .id_salt(("trade-field", name))
                    .desired_width(width),
            )
            .labelled_by(label.id);
        if let Some(error) = error {
            mark_error(ui, &response, error);
            ui.colored_label(error_color(ui), error);
        } else if let Some(note) = note {
            ui.weak(note);
        }
    });
}

/// A text cell of the event grid, named for screen readers and tests.
fn text_cell(
    ui: &mut Ui,
    text: &mut String,
    name: &str,
    hint: &str,
    width: f32,
    error: Option<&str>,
) -> egui::Response {
    let response = ui
        .add(
            TextEdit::singleline(text)
                .id_salt(name)
                .hint_text(hint)
                .desired_width(width)
                .min_size(egui::vec2(width, 0.0)),
        )
        .accessible_name(name);
    if let Some(error) = error {
        mark_error(ui, &response, error);
    }
    response
}

fn mark_error(ui: &Ui, response: &egui::Response, error: &str) {
    ui.painter().rect_stroke(
        response.rect.expand(1.0),
        3.0,
        Stroke::new(1.5, error_color(ui)),
        StrokeKind::Outside,
    );
    let _ = response.clone().on_hover_text(error);
}
