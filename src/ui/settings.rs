//! Settings: the rule weights and risk tolerance (kept in the journal), the
//! time zone and the theme (kept with the window's preferences), and the
//! multipliers broker imports use, by symbol or futures root (kept in the
//! journal).

use egui::{RichText, Ui};
use rust_decimal::Decimal;

use crate::analysis::{Rule, RuleSettings, format};
use crate::domain::MAX_MULTIPLIER;
use crate::model::Multipliers;

use super::form::parse_decimal;
use super::time::Zone;
use super::{Command, Theme, error_color};

/// The settings panel: a draft that is applied on request.
pub struct SettingsPanel {
    weights: [u32; 8],
    tolerance: String,
    zone: String,
    theme: Theme,
    /// The multiplier table as typed: symbol or root, and multiplier.
    multipliers: Vec<(String, String)>,
    /// The multipliers as stored in the journal.
    saved_multipliers: Multipliers,
    /// A row was just added: its symbol field takes the keyboard.
    focus_new_multiplier: bool,
    /// The setups' playbooks, as edited.
    playbooks: super::playbooks::PlaybookEditor,
    /// The map of trade symbols to price bars symbols.
    bars_symbols: super::bars_settings::BarsSymbolsEditor,
}

/// One row of the multiplier table, checked: the symbol and the multiplier,
/// or the reason each is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiplierRow {
    /// The symbol or futures root, in upper case, or why it is not one.
    pub symbol: Result<String, String>,
    /// The multiplier, or why it is not one.
    pub multiplier: Result<Decimal, String>,
}

/// Checks the multiplier table as typed. Rows left entirely blank are
/// ignored; symbols are trimmed and upper-cased (imports look them up in
/// upper case), and a symbol listed twice is an error on its second row.
pub fn check_multipliers(rows: &[(String, String)]) -> Vec<Option<MultiplierRow>> {
    let mut seen = std::collections::HashSet::new();
    rows.iter()
        .map(|(symbol, multiplier)| {
            if symbol.trim().is_empty() && multiplier.trim().is_empty() {
                return None;
            }
            let symbol = symbol.trim().to_uppercase();
            let symbol = if symbol.is_empty() {
                Err("enter a symbol or a futures root such as ES".to_owned())
            } else if !seen.insert(symbol.clone()) {
                Err(format!("{symbol} is listed twice"))
            } else {
                Ok(symbol)
            };
            let multiplier = parse_decimal(multiplier, "multiplier").and_then(|m| {
                if m <= Decimal::ZERO {
                    Err("the multiplier must be more than 0".to_owned())
                } else if m > MAX_MULTIPLIER {
                    Err(format!("the multiplier must be at most {MAX_MULTIPLIER}"))
                } else {
                    Ok(m.normalize())
                }
            });
            Some(MultiplierRow { symbol, multiplier })
        })
        .collect()
}

/// The multipliers of a checked table, if every row is right.
pub fn multipliers_of(rows: &[Option<MultiplierRow>]) -> Option<Multipliers> {
    rows.iter()
        .flatten()
        .map(|row| match (&row.symbol, &row.multiplier) {
            (Ok(symbol), Ok(multiplier)) => Some((symbol.clone(), *multiplier)),
            _ => None,
        })
        .collect()
}

fn multiplier_rows(multipliers: &Multipliers) -> Vec<(String, String)> {
    multipliers
        .iter()
        .map(|(symbol, m)| (symbol.clone(), format::exact(*m)))
        .collect()
}

impl SettingsPanel {
    /// A panel showing the current settings.
    pub fn new(rules: &RuleSettings, zone: &Zone, theme: Theme) -> Self {
        SettingsPanel {
            weights: rules.weights,
            tolerance: format::exact(rules.risk_tolerance * Decimal::ONE_HUNDRED),
            zone: zone.name().to_owned(),
            theme,
            multipliers: Vec::new(),
            saved_multipliers: Multipliers::new(),
            focus_new_multiplier: false,
            playbooks: super::playbooks::PlaybookEditor::new(rules),
            bars_symbols: Default::default(),
        }
    }

    /// The panel with the journal's map of trade symbols to bars symbols.
    pub fn with_bars_symbols(mut self, map: &std::collections::BTreeMap<String, String>) -> Self {
        self.set_bars_symbols(map);
        self
    }

    /// The journal's map of trade symbols to bars symbols was read or saved.
    pub fn set_bars_symbols(&mut self, map: &std::collections::BTreeMap<String, String>) {
        self.bars_symbols = super::bars_settings::BarsSymbolsEditor::new(map);
    }

    /// The panel with the journal's import multipliers in its table.
    pub fn with_multipliers(mut self, multipliers: &Multipliers) -> Self {
        self.set_saved_multipliers(multipliers);
        self
    }

    /// The journal's import multipliers were read or saved: the table shows them.
    pub fn set_saved_multipliers(&mut self, multipliers: &Multipliers) {
        self.saved_multipliers = multipliers.clone();
        self.multipliers = multiplier_rows(multipliers);
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, current: &RuleSettings) -> Vec<Command> {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| self.contents(ui, current))
            .inner
    }

    fn contents(&mut self, ui: &mut Ui, current: &RuleSettings) -> Vec<Command> {
        let mut commands = Vec::new();
        ui.heading("Settings");
        ui.add_space(6.0);
        ui.label(RichText::new("Rule weights").strong());
        ui.weak("Points a trade loses for each violation. A score starts at 100 and never goes below 0.");
        egui::Grid::new("weights")
            .num_columns(3)
            .spacing([10.0, 4.0])
            .show(ui, |ui| {
                for rule in Rule::ALL {
                    let label = ui.label(rule.id());
                    ui.add(egui::DragValue::new(&mut self.weights[rule.index()]).range(0..=100))
                        .labelled_by(label.id);
                    ui.add(egui::Label::new(RichText::new(rule.description()).weak()).wrap());
                    ui.end_row();
                }
            });
        let minor: u32 = Rule::ALL[1..].iter().map(|r| self.weights[r.index()]).sum();
        if self.weights[Rule::AveragingDown.index()] <= minor {
            ui.colored_label(
                error_color(ui),
                format!(
                    "averaging-down ({}) no longer costs more than all the other rules together ({minor}).",
                    self.weights[Rule::AveragingDown.index()]
                ),
            );
        }
        if ui.button("Restore default weights").clicked() {
            self.weights = RuleSettings::default().weights;
        }
        ui.add_space(8.0);
        let tolerance = parse_decimal(&self.tolerance, "risk tolerance").and_then(|t| {
            if t < Decimal::ZERO {
                Err("the tolerance cannot be negative".to_owned())
            } else {
                Ok(t / Decimal::ONE_HUNDRED)
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("Risk tolerance (% of the initial risk)");
            ui.add(egui::TextEdit::singleline(&mut self.tolerance).desired_width(60.0))
                .labelled_by(label.id);
            if let Err(message) = &tolerance {
                ui.colored_label(error_color(ui), message);
            }
        });
        ui.weak("0 means the worst case after an add must stay within the initial risk exactly.");
        ui.add_space(6.0);
        if let Ok(tolerance) = tolerance {
            let draft = RuleSettings {
                weights: self.weights,
                risk_tolerance: tolerance,
                playbooks: current.playbooks.clone(),
            };
            let changed = &draft != current;
            if ui
                .add_enabled(changed, egui::Button::new("Apply and re-score trades"))
                .clicked()
            {
                commands.push(Command::ApplyRuleSettings(draft));
            }
        }

        ui.separator();
        commands.extend(self.playbooks.ui(ui, current));
        ui.separator();
        ui.label(RichText::new("Display").strong());
        let zone = Zone::parse(&self.zone);
        ui.horizontal(|ui| {
            let label = ui.label("Time zone");
            let response = ui
                .add(egui::TextEdit::singleline(&mut self.zone).desired_width(180.0))
                .labelled_by(label.id)
                .on_hover_text("Local, UTC, or a name like America/New_York");
            match &zone {
                Ok(zone) => {
                    if response.lost_focus() || ui.button("Use").clicked() {
                        commands.push(Command::SetZone(zone.clone()));
                    }
                }
                Err(message) => {
                    ui.colored_label(error_color(ui), message);
                }
            }
        });
        ui.weak("Times are shown and typed in this zone; times with another offset keep it.");
        ui.horizontal(|ui| {
            ui.label("Theme");
            for theme in Theme::ALL {
                if ui
                    .selectable_value(&mut self.theme, theme, theme.name())
                    .clicked()
                {
                    commands.push(Command::SetTheme(theme));
                }
            }
        });
        ui.separator();
        self.multipliers_ui(ui, &mut commands);
        ui.separator();
        commands.extend(self.bars_symbols.ui(ui));
        ui.add_space(10.0);
        if ui.button("Close settings").clicked() {
            commands.push(Command::Show(super::View::Detail));
        }
        commands
    }

    fn multipliers_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.label(RichText::new("Import multipliers").strong());
        ui.weak(
            "Broker imports use these instead of the file's multiplier or the built-in table. \
             A futures root such as ES covers every ES contract (ESZ4, ESH5); a full symbol \
             covers only itself.",
        );
        let checked = check_multipliers(&self.multipliers);
        let mut remove = None;
        let count = self.multipliers.len();
        let focus_new = std::mem::take(&mut self.focus_new_multiplier);
        if !self.multipliers.is_empty() {
            egui::Grid::new("multipliers")
                .num_columns(3)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    ui.weak("Symbol or root");
                    ui.weak("Multiplier");
                    ui.end_row();
                    for (i, ((symbol, multiplier), row)) in
                        self.multipliers.iter_mut().zip(&checked).enumerate()
                    {
                        let n = i + 1;
                        let symbol_error = row.as_ref().and_then(|r| r.symbol.as_ref().err());
                        let value_error = row.as_ref().and_then(|r| r.multiplier.as_ref().err());
                        let symbol_cell = multiplier_cell(
                            ui,
                            symbol,
                            &format!("Multiplier {n} symbol"),
                            ("ES", 120.0),
                            symbol_error,
                        );
                        if n == count && focus_new {
                            symbol_cell.request_focus();
                        }
                        multiplier_cell(
                            ui,
                            multiplier,
                            &format!("Multiplier {n} value"),
                            ("50", 90.0),
                            value_error,
                        );
                        ui.horizontal(|ui| {
                            if ui
                                .small_button("Remove")
                                .on_hover_text("Remove this multiplier")
                                .clicked()
                            {
                                remove = Some(i);
                            }
                            for error in [symbol_error, value_error].into_iter().flatten() {
                                ui.colored_label(error_color(ui), error);
                            }
                        });
                        ui.end_row();
                    }
                });
        }
        if let Some(i) = remove {
            self.multipliers.remove(i);
        }
        let valid = multipliers_of(&checked);
        ui.horizontal(|ui| {
            if ui.button("Add multiplier").clicked() {
                self.multipliers.push((String::new(), String::new()));
                // Typing goes to the new row's symbol, drawn next frame.
                self.focus_new_multiplier = true;
            }
            let changed = valid.as_ref().is_some_and(|m| *m != self.saved_multipliers);
            if ui
                .add_enabled(changed, egui::Button::new("Save multipliers"))
                .clicked()
                && let Some(multipliers) = valid
            {
                commands.push(Command::SetMultipliers(multipliers));
            }
        });
        ui.weak("They apply to the next import; trades already imported keep their multiplier.");
    }
}

/// A text cell of the multiplier table, named for screen readers and tests,
/// outlined when its text is wrong.
fn multiplier_cell(
    ui: &mut Ui,
    text: &mut String,
    name: &str,
    (hint, width): (&str, f32),
    error: Option<&String>,
) -> egui::Response {
    let response = ui
        .add(
            egui::TextEdit::singleline(text)
                .id(egui::Id::unique(name))
                .hint_text(hint)
                .desired_width(width),
        )
        .accessible_name(name);
    if error.is_some() {
        ui.painter().rect_stroke(
            response.rect.expand(1.0),
            2.0,
            egui::Stroke::new(1.0, error_color(ui)),
            egui::StrokeKind::Outside,
        );
    }
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rows(rows: &[(&str, &str)]) -> Vec<(String, String)> {
        rows.iter()
            .map(|(s, m)| ((*s).to_owned(), (*m).to_owned()))
            .collect()
    }

    #[test]
    fn multipliers_are_checked_field_by_field() {
        let checked = check_multipliers(&rows(&[
            (" es ", "50"),
            ("", ""),
            ("ES", "20"),
            ("MNQ", "0"),
            ("", "2"),
            ("CL", "1,000"),
            ("GC", "2000000"),
        ]));
        assert_eq!(
            checked[0].as_ref().map(|r| r.symbol.clone()),
            Some(Ok("ES".to_owned()))
        );
        assert!(checked[1].is_none(), "a blank row is ignored");
        let row = |i: usize| checked[i].clone().expect("a checked row");
        assert_eq!(row(2).symbol, Err("ES is listed twice".to_owned()));
        assert_eq!(
            row(3).multiplier,
            Err("the multiplier must be more than 0".to_owned())
        );
        assert!(row(4).symbol.is_err());
        assert!(
            row(5)
                .multiplier
                .is_err_and(|e| e.contains("without commas"))
        );
        assert!(
            row(6)
                .multiplier
                .is_err_and(|e| e.contains("at most 1000000"))
        );
        assert_eq!(multipliers_of(&checked), None);

        let good = check_multipliers(&rows(&[("es", "50.0"), ("MESZ4", "5")]));
        let multipliers = multipliers_of(&good).expect("valid");
        assert_eq!(
            multipliers.into_iter().collect::<Vec<_>>(),
            [
                ("ES".to_owned(), Decimal::from(50)),
                ("MESZ4".to_owned(), Decimal::from(5))
            ]
        );
    }
}
