//! The trade filter that the trade list and the review dashboard share: open
//! dates, symbol, setup, market condition and side. It is drawn once, in a
//! bar above both, and kept in the app's preferences; a change goes back to
//! the app as [`Command::SetFilter`].

use egui::Ui;
use serde::{Deserialize, Serialize};

use crate::analysis::stats::Filter;
use crate::domain::{MarketCondition, Side};

use super::time::{Zone, parse_date};
use super::{Command, error_color};

/// The shared filter as typed, remembered between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct TradeFilter {
    /// First open date, as typed (`YYYY-MM-DD`, empty for none), inclusive.
    pub from: String,
    /// Last open date, as typed, inclusive.
    pub to: String,
    /// Symbol, as typed (empty for any); matched whole, ignoring case.
    pub symbol: String,
    /// Setup, as typed (empty for any); matched whole, ignoring case.
    pub setup: String,
    /// Market condition, if one is chosen.
    pub condition: Option<MarketCondition>,
    /// Side, if one is chosen.
    pub side: Option<Side>,
    /// Only these trades, chosen by clicking a figure in the review (not
    /// remembered between runs); the list shows only them until cleared.
    #[serde(skip)]
    pub only: Option<TradeSet>,
}

/// A named set of trades the list is narrowed to, e.g. "after a loss".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TradeSet {
    /// What the trades are, in words.
    pub label: String,
    /// Their ids.
    pub ids: std::sync::Arc<std::collections::BTreeSet<crate::domain::TradeId>>,
}

impl TradeSet {
    /// A set named `label` of `ids`.
    pub fn new(
        label: impl Into<String>,
        ids: impl IntoIterator<Item = crate::domain::TradeId>,
    ) -> Self {
        TradeSet {
            label: label.into(),
            ids: std::sync::Arc::new(ids.into_iter().collect()),
        }
    }
}

impl TradeFilter {
    /// Whether nothing is filtered out.
    pub fn is_empty(&self) -> bool {
        self.only.is_none() && self.to_filter(&Zone::Local).is_empty()
    }

    /// The statistics' filter for what is typed, with dates in `zone`'s
    /// calendar (the zone times are shown in); a date that does not parse is
    /// ignored (the field says why).
    pub fn to_filter(&self, zone: &Zone) -> Filter {
        let text = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        };
        let from = parse_date(&self.from).ok().flatten();
        let to = parse_date(&self.to).ok().flatten();
        Filter {
            zone: (from.is_some() || to.is_some())
                .then(|| zone.calendar())
                .flatten(),
            from,
            to,
            symbol: text(&self.symbol),
            setup: text(&self.setup),
            condition: self.condition,
            side: self.side,
            rule: None,
        }
    }

    /// Draws the filter's fields; returns the changed filter as a command
    /// when the user changed it.
    pub fn ui(&self, ui: &mut Ui) -> Option<Command> {
        let mut edited = self.clone();
        ui.horizontal_wrapped(|ui| {
            ui.label("Filter:");
            for (text, name, hint) in [
                (&mut edited.from, "From date", "from date"),
                (&mut edited.to, "To date", "to date"),
            ] {
                let response = ui
                    .add(
                        egui::TextEdit::singleline(text)
                            .hint_text(hint)
                            .desired_width(96.0),
                    )
                    .accessible_name(name)
                    .on_hover_text("The open date, like 2025-03-04, inclusive");
                if let Err(message) = parse_date(text) {
                    ui.painter().rect_stroke(
                        response.rect.expand(1.0),
                        3.0,
                        egui::Stroke::new(1.5, error_color(ui)),
                        egui::StrokeKind::Outside,
                    );
                    let _ = response.on_hover_text(message);
                }
            }
            for (text, name, hint) in [
                (&mut edited.symbol, "Symbol filter", "symbol"),
                (&mut edited.setup, "Setup filter", "setup"),
            ] {
                ui.add(
                    egui::TextEdit::singleline(text)
                        .hint_text(hint)
                        .desired_width(80.0),
                )
                .accessible_name(name)
                .on_hover_text("The whole name, in any case");
            }
            egui::ComboBox::from_id_salt("condition-filter")
                .selected_text(edited.condition.map_or("any condition", |c| c.as_str()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut edited.condition, None, "any condition");
                    for c in MarketCondition::ALL {
                        ui.selectable_value(&mut edited.condition, Some(c), c.as_str());
                    }
                })
                .response
                .accessible_name("Condition filter");
            egui::ComboBox::from_id_salt("side-filter")
                .selected_text(edited.side.map_or("long & short", |s| s.as_str()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut edited.side, None, "long & short");
                    for s in Side::ALL {
                        ui.selectable_value(&mut edited.side, Some(s), s.as_str());
                    }
                })
                .response
                .accessible_name("Side filter");
            if let Some(only) = &self.only {
                ui.label(format!("only: {} ({})", only.label, only.ids.len()));
                if ui
                    .small_button("×")
                    .on_hover_text("Show every trade again")
                    .accessible_name("Clear the chosen trades")
                    .clicked()
                {
                    edited.only = None;
                }
            }
            if edited != TradeFilter::default()
                && ui
                    .button("Clear filter")
                    .on_hover_text("Show every trade, in the list and the review")
                    .clicked()
            {
                edited = TradeFilter::default();
            }
        });
        (edited != *self).then_some(Command::SetFilter(edited))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields_become_the_statistics_filter() {
        let typed = TradeFilter {
            from: " 2025-03-01 ".to_owned(),
            to: "not a date".to_owned(),
            symbol: "  ".to_owned(),
            setup: " Breakout ".to_owned(),
            condition: Some(MarketCondition::Range),
            side: Some(Side::Short),
            only: None,
        };
        let filter = typed.to_filter(&Zone::Named("America/New_York".to_owned()));
        assert_eq!(filter.from, parse_date("2025-03-01").ok().flatten());
        assert_eq!(filter.to, None, "a date that does not parse is ignored");
        assert_eq!(filter.symbol, None);
        assert_eq!(filter.setup.as_deref(), Some("Breakout"));
        assert_eq!(filter.zone, Some(chrono_tz::America::New_York));
        assert!(!typed.is_empty());
        assert!(TradeFilter::default().is_empty());
        assert_eq!(
            TradeFilter::default().to_filter(&Zone::Local).zone,
            None,
            "no dates, no calendar"
        );
    }
}
