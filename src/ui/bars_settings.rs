//! The Settings section that maps trade symbols to the symbols of price bars
//! (`ESH5` → `ES 03-25`), for trades whose bars are kept under another name.
//! A broker's suffix needs no entry: `EURUSD.m` takes the bars of `EURUSD`.

use std::collections::BTreeMap;

use egui::{RichText, Ui};

use super::Command;

/// The map as typed, beside the map as stored in the journal.
#[derive(Debug, Clone, Default)]
pub struct BarsSymbolsEditor {
    /// Trade symbol and bars symbol, as typed.
    rows: Vec<(String, String)>,
    /// The map as stored.
    saved: BTreeMap<String, String>,
}

impl BarsSymbolsEditor {
    /// The editor showing the stored map.
    pub fn new(saved: &BTreeMap<String, String>) -> Self {
        BarsSymbolsEditor {
            rows: saved.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            saved: saved.clone(),
        }
    }

    /// The map as typed, when every row names both symbols.
    fn typed(&self) -> Option<BTreeMap<String, String>> {
        self.rows
            .iter()
            .map(|(trade, bars)| {
                let (trade, bars) = (trade.trim().to_uppercase(), bars.trim().to_uppercase());
                (!trade.is_empty() && !bars.is_empty()).then_some((trade, bars))
            })
            .collect()
    }

    /// Draws the section; returns the command to save the map.
    pub fn ui(&mut self, ui: &mut Ui) -> Option<Command> {
        let mut command = None;
        ui.label(RichText::new("Price bars symbols").strong());
        ui.weak(
            "A trade takes the bars of its own symbol, or of its base without a broker's suffix \
             (EURUSD.m takes EURUSD). Map a trade symbol to the bars of another name here.",
        );
        let mut remove = None;
        if !self.rows.is_empty() {
            egui::Grid::new("bars-symbols")
                .num_columns(3)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    ui.weak("Trade symbol");
                    ui.weak("Bars symbol");
                    ui.end_row();
                    for (i, (trade, bars)) in self.rows.iter_mut().enumerate() {
                        let n = i + 1;
                        ui.add(
                            egui::TextEdit::singleline(trade)
                                .hint_text("ESH5")
                                .desired_width(120.0),
                        )
                        .on_hover_text(format!("Bars symbol {n}: the trade's symbol"));
                        ui.add(
                            egui::TextEdit::singleline(bars)
                                .hint_text("ES 03-25")
                                .desired_width(120.0),
                        )
                        .on_hover_text(format!("Bars symbol {n}: the bars' symbol"));
                        if ui.small_button("Remove").clicked() {
                            remove = Some(i);
                        }
                        ui.end_row();
                    }
                });
        }
        if let Some(i) = remove {
            self.rows.remove(i);
        }
        let typed = self.typed();
        ui.horizontal(|ui| {
            if ui.button("Add bars symbol").clicked() {
                self.rows.push((String::new(), String::new()));
            }
            let changed = typed.as_ref().is_some_and(|m| *m != self.saved);
            if ui
                .add_enabled(changed, egui::Button::new("Save bars symbols"))
                .clicked()
                && let Some(map) = typed
            {
                command = Some(Command::SetBarsSymbols(map));
            }
        });
        command
    }
}
