//! The window around the panels: the top bar, the status bar, the screens
//! shown while the journal opens or when it is empty, the modals (delete a
//! trade? which file?), files dropped on the window and the keyboard
//! shortcuts.
//!
//! [`Shell`] lays the other panels out ([`Panels`]) and draws itself from a
//! borrowed [`ShellState`] and the [`ViewContext`]; like every panel it
//! changes nothing outside itself and returns the [`Command`]s the user
//! asked for. It owns only what its modals hold: the trade it asks about and
//! the path being typed.

use std::path::PathBuf;

use egui::{Align, Key, KeyboardShortcut, Layout, Modifiers, RichText, Ui};

use crate::domain::TradeId;
use crate::ui::bars_import::BarsImportDialog;
use crate::ui::detail::TradeDetail;
use crate::ui::editor::TradeEditor;
use crate::ui::import::{ImportDialog, ProgressView};
use crate::ui::list::TradeList;
use crate::ui::review::ReviewPanel;
use crate::ui::settings::SettingsPanel;
use crate::ui::{Command, View, ViewContext};

/// A deleted trade that can still be brought back, as the status bar shows it.
#[derive(Debug, Clone, Copy)]
pub struct UndoView<'a> {
    /// The trade's symbol.
    pub symbol: &'a str,
    /// Seconds left to bring it back.
    pub seconds_left: f64,
}

/// What the shell shows of the app's state: borrowed, never owned.
#[derive(Debug, Clone, Copy)]
pub struct ShellState<'a> {
    /// Whether the journal has been loaded.
    pub loaded: bool,
    /// Why the journal could not be opened or read, if it could not.
    pub load_error: Option<&'a str>,
    /// Where the journal lives, if on disk.
    pub location: Option<&'a str>,
    /// The long job under way, if it has said how far it is.
    pub progress: Option<ProgressView<'a>>,
    /// The error messages showing.
    pub errors: &'a [String],
    /// A passing notice ("Trade saved").
    pub notice: Option<&'a str>,
    /// A deleted trade that can still be brought back.
    pub undo: Option<UndoView<'a>>,
    /// Whether a file dialog is open.
    pub dialog_open: bool,
    /// What the main area shows.
    pub view: View,
    /// The selected trade.
    pub selected: Option<TradeId>,
}

/// The panels the shell lays out, borrowed for one frame.
pub struct Panels<'a> {
    /// The trade list.
    pub list: &'a mut TradeList,
    /// The selected trade's detail.
    pub detail: &'a mut TradeDetail,
    /// The editor, while it is open.
    pub editor: Option<&'a mut TradeEditor>,
    /// The settings, while they are shown.
    pub settings: Option<&'a mut SettingsPanel>,
    /// The review dashboard.
    pub review: &'a mut ReviewPanel,
    /// The import dialog for a broker statement, while it is open.
    pub import: Option<&'a mut ImportDialog>,
    /// The import dialog for a price bars file, while it is open.
    pub bars_import: Option<&'a mut BarsImportDialog>,
}

/// A file's path typed by hand, when no file dialog could be shown.
#[derive(Debug, Clone)]
struct PathPrompt {
    /// Whether the journal is to be exported to the file (else the file imported).
    export: bool,
    text: String,
}

/// The window around the panels.
#[derive(Debug, Default)]
pub struct Shell {
    /// The trade the delete modal asks about.
    confirm_delete: Option<TradeId>,
    /// The path being typed when no file dialog could be shown.
    path_prompt: Option<PathPrompt>,
}

/// A path as typed: trimmed, quotes around it dropped, and a leading `~`
/// standing for the home folder.
pub fn typed_path(text: &str) -> PathBuf {
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

impl Shell {
    /// Asks whether to delete this trade.
    pub fn ask_delete(&mut self, id: TradeId) {
        self.confirm_delete = Some(id);
    }

    /// The trade the delete modal asks about, while it is open.
    pub fn asking_to_delete(&self) -> Option<TradeId> {
        self.confirm_delete
    }

    /// Asks for a file's path in a text field, as when no file dialog can be
    /// shown: the file to import, or (with `export`) the file to export to.
    pub fn ask_for_path(&mut self, export: bool) {
        self.path_prompt = Some(PathPrompt {
            export,
            text: String::new(),
        });
    }

    /// Whether the path prompt is open.
    pub fn is_asking_for_path(&self) -> bool {
        self.path_prompt.is_some()
    }

    /// Draws the window: the bars, the panels and the modals over them.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        view: &ViewContext<'_>,
        state: &ShellState<'_>,
        panels: Panels<'_>,
    ) -> Vec<Command> {
        let Panels {
            list,
            detail,
            mut editor,
            settings,
            review,
            import,
            bars_import,
        } = panels;
        let importing = import.is_some() || bars_import.is_some();
        let ctx = ui.ctx().clone();
        let asking_to_discard = editor
            .as_deref()
            .is_some_and(TradeEditor::is_asking_to_discard);
        let mut commands =
            self.shortcuts(&ctx, state, editor.is_some(), asking_to_discard, importing);

        egui::Panel::top("top-bar").show(ui, |ui| {
            ui.add_space(2.0);
            commands.extend(top_bar(ui, view, state, editor.is_some()));
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            commands.extend(status_bar(ui, view, state));
        });

        // The shared filter, over the list and the review alike.
        if editor.is_none() && state.loaded && !view.trades.is_empty() {
            egui::Panel::top("filter-bar").show(ui, |ui| {
                ui.add_space(2.0);
                commands.extend(view.filter.ui(ui));
                ui.add_space(2.0);
            });
        }
        // The editor gets the whole width; the list comes back when it closes.
        if editor.is_none() {
            egui::Panel::left("trade-list")
                .resizable(true)
                .default_size(740.0)
                .min_size(320.0)
                .show(ui, |ui| {
                    if state.loaded {
                        commands.extend(list.ui(ui, view, state.selected));
                    } else {
                        opening_ui(ui, state.load_error);
                    }
                });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(editor) = editor.as_deref_mut() {
                commands.extend(editor.ui(ui, view));
                return;
            }
            match state.view {
                View::Settings => {
                    if let Some(panel) = settings {
                        commands.extend(panel.ui(ui, view.rule_settings));
                    }
                }
                View::Review => commands.extend(review.ui(ui, view)),
                View::Detail => {
                    if state.loaded && view.trades.is_empty() {
                        commands.extend(empty_journal_ui(ui));
                    } else {
                        commands.extend(detail.ui(ui, view, state.selected));
                    }
                }
            }
        });

        commands.extend(self.delete_modal(&ctx, view));
        commands.extend(self.path_modal(&ctx));
        let ready = state.loaded
            && editor.is_none()
            && !importing
            && self.path_prompt.is_none()
            && !view.busy;
        commands.extend(dropped_files(&ctx, ready));
        if let Some(dialog) = import {
            commands.extend(dialog.show(&ctx, view.zone, state.progress));
        }
        if let Some(dialog) = bars_import {
            commands.extend(dialog.show(&ctx, view.zone, state.progress));
        }
        commands
    }

    /// The keyboard shortcuts: Ctrl+N for a new trade, Ctrl+S to save the
    /// editor, Esc to leave it (or the settings and the review), and the
    /// arrow keys to move through the list.
    fn shortcuts(
        &self,
        ctx: &egui::Context,
        state: &ShellState<'_>,
        editing: bool,
        asking_to_discard: bool,
        importing: bool,
    ) -> Vec<Command> {
        let mut commands = Vec::new();
        let modal_open = self.confirm_delete.is_some() || importing || asking_to_discard;
        let (new, save, escape) = ctx.input_mut(|input| {
            (
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::N)),
                input.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S)),
                !modal_open && input.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if new && state.loaded && !importing {
            commands.push(Command::NewTrade);
        }
        // Up and down move through the list when no field has the keyboard.
        let typing = ctx.memory(|memory| memory.focused().is_some());
        if !editing && !modal_open && !typing {
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
            if step != 0 {
                commands.push(Command::MoveSelection(step));
            }
        }
        if editing {
            if save {
                commands.push(Command::SaveEditor);
            }
            if escape {
                commands.push(Command::CancelEditor);
            }
        } else if escape && state.view != View::Detail {
            commands.push(Command::Show(View::Detail));
        }
        commands
    }

    /// Asks before a trade is deleted.
    fn delete_modal(&mut self, ctx: &egui::Context, view: &ViewContext<'_>) -> Vec<Command> {
        let mut commands = Vec::new();
        let Some(id) = self.confirm_delete else {
            return commands;
        };
        let description = view.trades.row(id).map_or_else(
            || format!("trade #{id}"),
            |row| {
                let opened = row
                    .analysis
                    .opened_at
                    .map(|t| view.zone.short(t))
                    .unwrap_or_default();
                format!(
                    "the {} {} trade opened {opened}",
                    row.trade.symbol, row.trade.side
                )
            },
        );
        let mut close = false;
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
                    close = true;
                }
                if ui.button("Keep it").clicked() {
                    close = true;
                }
            });
        });
        if close || modal.should_close() {
            self.confirm_delete = None;
        }
        commands
    }

    /// The text field for a file's path, when no file dialog could be shown.
    fn path_modal(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let mut commands = Vec::new();
        let Some(prompt) = self.path_prompt.as_mut() else {
            return commands;
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
            commands.push(if prompt.export {
                Command::ExportTo(path)
            } else {
                Command::ImportFile(path)
            });
            self.path_prompt = None;
        } else if cancel || modal.should_close() {
            self.path_prompt = None;
        }
        commands
    }
}

/// The top bar: the app's name, its actions, and where the journal is.
fn top_bar(
    ui: &mut Ui,
    view: &ViewContext<'_>,
    state: &ShellState<'_>,
    editing: bool,
) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Tranche").heading().strong());
        ui.separator();
        let ready = state.loaded;
        if ui
            .add_enabled(ready && !editing, egui::Button::new("New trade"))
            .on_hover_text("Ctrl+N")
            .clicked()
        {
            commands.push(Command::NewTrade);
        }
        let ready_for_dialog = ready && !state.dialog_open;
        if ui
            .add_enabled(ready_for_dialog, egui::Button::new("Import…"))
            .clicked()
        {
            commands.push(Command::Import);
        }
        if ui
            .add_enabled(
                ready_for_dialog && !view.trades.is_empty(),
                egui::Button::new("Export…"),
            )
            .clicked()
        {
            commands.push(Command::Export);
        }
        if ui
            .selectable_label(state.view == View::Settings, "Settings")
            .clicked()
        {
            commands.push(Command::Show(if state.view == View::Settings {
                View::Detail
            } else {
                View::Settings
            }));
        }
        if ui
            .selectable_label(state.view == View::Review, "Review")
            .clicked()
        {
            commands.push(Command::Show(if state.view == View::Review {
                View::Detail
            } else {
                View::Review
            }));
        }
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if let Some(location) = state.location {
                ui.weak(location).on_hover_text("The journal file");
            } else if state.loaded {
                ui.weak("in-memory journal");
            }
            if view.busy {
                let progress = state.progress.unwrap_or(ProgressView {
                    label: "Opening the journal",
                    done: 0,
                    total: 0,
                });
                let bar = if progress.total > 0 {
                    egui::ProgressBar::new(progress.done as f32 / progress.total as f32).text(
                        format!("{} {}/{}", progress.label, progress.done, progress.total),
                    )
                } else {
                    // While the journal opens the window stays still: a
                    // repaint for each step of an animation would take
                    // from the opening the time it is waited for.
                    egui::ProgressBar::new(0.0)
                        .animate(state.loaded)
                        .text(progress.label)
                };
                ui.add(bar.desired_width(260.0));
            }
        });
    });
    commands
}

/// The status bar: errors to dismiss, the undo of a delete, a notice or
/// the number of trades.
fn status_bar(ui: &mut Ui, view: &ViewContext<'_>, state: &ShellState<'_>) -> Vec<Command> {
    let mut commands = Vec::new();
    for (i, error) in state.errors.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().error_fg_color, error.as_str());
            if ui.small_button("Dismiss").clicked() {
                commands.push(Command::DismissError(i));
            }
        });
    }
    ui.horizontal(|ui| {
        if let Some(undo) = state.undo {
            ui.label(format!("Deleted the {} trade.", undo.symbol));
            if ui.button("Undo").clicked() {
                commands.push(Command::UndoDelete);
            }
            ui.weak(format!("{:.0} s", undo.seconds_left.max(0.0)));
            ui.separator();
        }
        if let Some(notice) = state.notice {
            ui.label(notice);
        } else if state.loaded {
            let count = view.trades.rows().len();
            ui.weak(format!("{count} trades in the journal"));
        }
    });
    commands
}

/// Where the list goes while the journal opens, or if it could not.
fn opening_ui(ui: &mut Ui, load_error: Option<&str>) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        if let Some(error) = load_error {
            ui.heading("The journal could not be opened");
            ui.add(egui::Label::new(error).wrap());
            ui.weak("Nothing was changed. Start Tranche with --journal PATH to open another file.");
        } else {
            ui.label("Opening the journal…");
        }
    });
}

/// What an empty journal shows: ways to fill it.
fn empty_journal_ui(ui: &mut Ui) -> Vec<Command> {
    let mut commands = Vec::new();
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
    commands
}

/// Imports a file dropped on the window, as if it had been chosen in the
/// file dialog, when the window is `ready` for it (else says why not);
/// while one is dragged over the window, says so.
fn dropped_files(ctx: &egui::Context, ready: bool) -> Vec<Command> {
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
    match dropped {
        Some(path) if ready => vec![Command::ImportFile(path)],
        Some(path) => vec![Command::ReportError(format!(
            "{} was not imported: finish what is open first, then drop it again.",
            path.display()
        ))],
        None => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_path_loses_its_quotes_and_spaces() {
        assert_eq!(typed_path("  \"/a b/c.csv\" "), PathBuf::from("/a b/c.csv"));
        assert_eq!(typed_path("'/x.json'"), PathBuf::from("/x.json"));
        assert_eq!(typed_path("rel/y.csv"), PathBuf::from("rel/y.csv"));
        if let Some(home) = directories::UserDirs::new().map(|d| d.home_dir().to_path_buf()) {
            assert_eq!(typed_path("~/z.csv"), home.join("z.csv"));
            assert_eq!(typed_path("~"), home);
        }
    }
}
