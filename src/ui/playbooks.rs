//! The playbook editor in Settings: one playbook per setup, with the rules
//! that apply and their weights, the largest number of adds, the market
//! conditions the setup may be traded in, and a planned target in R.
//!
//! The playbooks are a draft until applied; applying them saves them in the
//! journal with the rule settings and re-scores every trade.

use egui::{RichText, Ui};
use rust_decimal::Decimal;

use crate::analysis::{Rule, RuleSettings};
use crate::domain::{MarketCondition, Playbook};

use super::form::parse_decimal;
use super::{Command, error_color};

/// One playbook as edited.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Draft {
    setup: String,
    /// Whether the playbook sets its own rules and weights.
    own_rules: bool,
    applies: [bool; Rule::COUNT],
    weights: [u32; Rule::COUNT],
    max_adds: String,
    conditions: [bool; 3],
    target_r: String,
}

impl Draft {
    fn new(playbook: &Playbook, settings: &RuleSettings) -> Self {
        let mut applies = [true; Rule::COUNT];
        let mut weights = [0; Rule::COUNT];
        for rule in Rule::EVERY {
            weights[rule.index()] = settings
                .weight_in(rule, Some(&Playbook::new("")))
                .unwrap_or(0);
            if let Some(own) = &playbook.weights {
                applies[rule.index()] = own.contains_key(rule.id());
                if let Some(&w) = own.get(rule.id()) {
                    weights[rule.index()] = w;
                }
            }
        }
        Draft {
            setup: playbook.setup.clone(),
            own_rules: playbook.weights.is_some(),
            applies,
            weights,
            max_adds: playbook.max_adds.map(|m| m.to_string()).unwrap_or_default(),
            conditions: MarketCondition::ALL.map(|c| playbook.conditions.contains(&c)),
            target_r: playbook
                .target_r
                .map(|t| t.normalize().to_string())
                .unwrap_or_default(),
        }
    }

    fn playbook(&self) -> Result<Playbook, String> {
        let max_adds = match self.max_adds.trim() {
            "" => None,
            text => Some(text.parse::<u32>().map_err(|_| {
                format!(
                    "{}: the largest number of adds must be a whole number",
                    self.setup
                )
            })?),
        };
        let target_r = match self.target_r.trim() {
            "" => None,
            text => {
                Some(parse_decimal(text, "target").map_err(|e| format!("{}: {e}", self.setup))?)
            }
        };
        if target_r.is_some_and(|t| t <= Decimal::ZERO) {
            return Err(format!("{}: the target must be more than 0 R", self.setup));
        }
        let weights = self.own_rules.then(|| {
            Rule::EVERY
                .into_iter()
                .filter(|r| self.applies[r.index()])
                .map(|r| (r.id().to_owned(), self.weights[r.index()]))
                .collect()
        });
        Ok(Playbook {
            setup: self.setup.trim().to_owned(),
            weights,
            max_adds,
            conditions: MarketCondition::ALL
                .into_iter()
                .filter(|c| self.conditions[*c as usize])
                .collect(),
            target_r,
        })
    }
}

/// The playbooks being edited.
#[derive(Debug, Clone, Default)]
pub struct PlaybookEditor {
    drafts: Vec<Draft>,
    new_setup: String,
}

impl PlaybookEditor {
    /// An editor on the journal's playbooks.
    pub fn new(settings: &RuleSettings) -> Self {
        PlaybookEditor {
            drafts: settings
                .playbooks
                .iter()
                .map(|p| Draft::new(p, settings))
                .collect(),
            new_setup: String::new(),
        }
    }

    /// The playbooks as typed, or the first thing wrong with them.
    pub fn playbooks(&self) -> Result<Vec<Playbook>, String> {
        self.drafts.iter().map(Draft::playbook).collect()
    }

    /// Draws the editor; returns the command that applies the playbooks.
    pub fn ui(&mut self, ui: &mut Ui, current: &RuleSettings) -> Option<Command> {
        ui.label(RichText::new("Setup playbooks").strong());
        ui.weak(
            "How each setup is meant to be traded. A trade whose setup has a playbook is judged \
             by it: its rules and weights, its largest number of adds (too-many-adds) and the \
             market conditions it allows (outside-playbook-condition).",
        );
        let mut remove = None;
        for (i, draft) in self.drafts.iter_mut().enumerate() {
            let name = draft.setup.clone();
            egui::CollapsingHeader::new(format!("Playbook: {name}"))
                .id_salt(("playbook", i))
                .default_open(true)
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label("Largest number of adds");
                        ui.add(
                            egui::TextEdit::singleline(&mut draft.max_adds)
                                .hint_text("any")
                                .desired_width(40.0),
                        )
                        .accessible_name(format!("{name} max adds"));
                        ui.label("Target");
                        ui.add(
                            egui::TextEdit::singleline(&mut draft.target_r)
                                .hint_text("none")
                                .desired_width(40.0),
                        )
                        .accessible_name(format!("{name} target R"));
                        ui.label("R");
                    });
                    ui.horizontal(|ui| {
                        ui.label("Traded in (none ticked: any)");
                        for condition in MarketCondition::ALL {
                            ui.checkbox(
                                &mut draft.conditions[condition as usize],
                                condition.as_str(),
                            )
                            .on_hover_text(format!("Allow {name} in a {condition} market"));
                        }
                    });
                    ui.checkbox(
                        &mut draft.own_rules,
                        format!("{name}: own rules and weights"),
                    );
                    if draft.own_rules {
                        egui::Grid::new(("playbook-weights", i))
                            .num_columns(2)
                            .show(ui, |ui| {
                                for rule in Rule::EVERY {
                                    ui.checkbox(&mut draft.applies[rule.index()], rule.id());
                                    ui.add_enabled(
                                        draft.applies[rule.index()],
                                        egui::DragValue::new(&mut draft.weights[rule.index()])
                                            .range(0..=100),
                                    )
                                    .accessible_name(format!("{name} {} weight", rule.id()));
                                    ui.end_row();
                                }
                            });
                    }
                    if ui.button(format!("Remove the {name} playbook")).clicked() {
                        remove = Some(i);
                    }
                });
        }
        if let Some(i) = remove {
            self.drafts.remove(i);
        }
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.new_setup)
                    .hint_text("setup")
                    .desired_width(140.0),
            )
            .accessible_name("New playbook setup");
            let setup = self.new_setup.trim().to_owned();
            let taken = self
                .drafts
                .iter()
                .any(|d| d.setup.trim().eq_ignore_ascii_case(&setup));
            if ui
                .add_enabled(
                    !setup.is_empty() && !taken,
                    egui::Button::new("Add playbook"),
                )
                .clicked()
            {
                self.drafts.push(Draft::new(&Playbook::new(setup), current));
                self.new_setup.clear();
            }
        });
        match self.playbooks() {
            Err(message) => {
                ui.colored_label(error_color(ui), message);
                None
            }
            Ok(playbooks) => {
                let changed = playbooks != current.playbooks;
                let apply = ui
                    .add_enabled(
                        changed,
                        egui::Button::new("Apply playbooks and re-score trades"),
                    )
                    .clicked();
                (apply && changed).then(|| {
                    Command::ApplyRuleSettings(RuleSettings {
                        playbooks,
                        ..current.clone()
                    })
                })
            }
        }
    }
}
