//! Settings: the rule weights and risk tolerance (kept in the journal), the
//! time zone and the theme (kept with the window's preferences).

use egui::{RichText, Ui};
use rust_decimal::Decimal;

use crate::analysis::{Rule, RuleSettings, format};

use super::form::parse_decimal;
use super::time::Zone;
use super::{Command, Theme, error_color};

/// The settings panel: a draft that is applied on request.
pub struct SettingsPanel {
    weights: [u32; 8],
    tolerance: String,
    zone: String,
    theme: Theme,
}

impl SettingsPanel {
    /// A panel showing the current settings.
    pub fn new(rules: &RuleSettings, zone: &Zone, theme: Theme) -> Self {
        SettingsPanel {
            weights: rules.weights,
            tolerance: format::exact(rules.risk_tolerance * Decimal::ONE_HUNDRED),
            zone: zone.name().to_owned(),
            theme,
        }
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, current: &RuleSettings) -> Vec<Command> {
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
        ui.add_space(10.0);
        if ui.button("Close settings").clicked() {
            commands.push(Command::Show(super::View::Detail));
        }
        commands
    }
}
