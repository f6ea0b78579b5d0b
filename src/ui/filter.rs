//! The trade filter that the trade list, the review dashboard and its
//! exports share: open dates, symbol, setup, tag, account, market condition,
//! side and holding time; and, set by clicking a row of the review's
//! breakdowns, the weekday, hour of entry or number of adds. It is drawn
//! once, in a bar above both, and kept in the app's preferences; a change
//! goes back to the app as [`Command::SetFilter`].

use egui::Ui;
use serde::{Deserialize, Serialize};

use chrono::Weekday;

use crate::analysis::breakdown::{ADDS, HoldingTime, WEEKDAYS};
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
    /// Tag, as typed (empty for any); matched whole, ignoring case.
    pub tag: String,
    /// Account, as typed (empty for any); matched whole, ignoring case.
    pub account: String,
    /// Holding time, if one is chosen (closed trades only).
    pub holding: Option<HoldingTime>,
    /// Weekday of entry, if one was chosen.
    pub weekday: Option<Weekday>,
    /// Hour of entry (0 to 23), if one was chosen.
    pub hour: Option<u32>,
    /// Number of adds (3 for 3 or more), if one was chosen.
    pub adds: Option<u32>,
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

    /// The statistics' filter for what is typed, with dates, weekdays and
    /// hours in `zone`'s calendar (the zone times are shown in); a date that
    /// does not parse is ignored (the field says why).
    pub fn to_filter(&self, zone: &Zone) -> Filter {
        let text = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        };
        let from = parse_date(&self.from).ok().flatten();
        let to = parse_date(&self.to).ok().flatten();
        Filter {
            zone: zone.calendar(),
            from,
            to,
            symbol: text(&self.symbol),
            setup: text(&self.setup),
            condition: self.condition,
            side: self.side,
            rule: None,
            tag: text(&self.tag),
            account: text(&self.account),
            holding: self.holding,
            weekday: self.weekday,
            hour: self.hour,
            adds: self.adds,
        }
    }

    /// The filter narrowed to the trades opened on `day`, as a calendar day
    /// is clicked: every other field stays.
    pub fn on_day(&self, day: chrono::NaiveDate) -> TradeFilter {
        TradeFilter {
            from: day.to_string(),
            to: day.to_string(),
            ..self.clone()
        }
    }

    /// The chips of the fields set by the review's breakdowns, each with
    /// what clearing it leaves.
    fn chips(&self) -> Vec<(String, TradeFilter)> {
        let mut chips = Vec::new();
        if let Some(day) = self.weekday {
            let name = WEEKDAYS[day.num_days_from_monday() as usize];
            chips.push((
                format!("entered on a {name}"),
                TradeFilter {
                    weekday: None,
                    ..self.clone()
                },
            ));
        }
        if let Some(hour) = self.hour {
            chips.push((
                format!("entered {hour:02}:00–{hour:02}:59"),
                TradeFilter {
                    hour: None,
                    ..self.clone()
                },
            ));
        }
        if let Some(adds) = self.adds {
            chips.push((
                format!("{} adds", ADDS[(adds.min(3)) as usize]),
                TradeFilter {
                    adds: None,
                    ..self.clone()
                },
            ));
        }
        chips
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
                (&mut edited.tag, "Tag filter", "tag"),
                (&mut edited.account, "Account filter", "account"),
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
            egui::ComboBox::from_id_salt("holding-filter")
                .selected_text(edited.holding.map_or("any holding time", |h| h.title()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut edited.holding, None, "any holding time");
                    for h in HoldingTime::ALL {
                        ui.selectable_value(&mut edited.holding, Some(h), h.title());
                    }
                })
                .response
                .accessible_name("Holding filter")
                .on_hover_text(
                    "How long closed trades were held: under 5 min, 5–60 min, 1–4 h, \
                     4 h or more closed the same day, closed 1 to 5 days later, or later still",
                );
            for (chip, without) in self.chips() {
                if ui
                    .button(format!("{chip} x"))
                    .on_hover_text("Set by the review's breakdowns; click to clear")
                    .clicked()
                {
                    edited = without;
                }
            }
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
            tag: " FOMC ".to_owned(),
            holding: Some(HoldingTime::SameDay),
            ..TradeFilter::default()
        };
        let filter = typed.to_filter(&Zone::Named("America/New_York".to_owned()));
        assert_eq!(filter.from, parse_date("2025-03-01").ok().flatten());
        assert_eq!(filter.to, None, "a date that does not parse is ignored");
        assert_eq!(filter.symbol, None);
        assert_eq!(filter.setup.as_deref(), Some("Breakout"));
        assert_eq!(filter.zone, Some(chrono_tz::America::New_York));
        assert_eq!(filter.tag.as_deref(), Some("FOMC"));
        assert_eq!(filter.account, None);
        assert_eq!(filter.holding, Some(HoldingTime::SameDay));
        assert!(!typed.is_empty());
        assert!(TradeFilter::default().is_empty());
        assert!(
            TradeFilter::default()
                .to_filter(&Zone::Named("Europe/Paris".to_owned()))
                .is_empty(),
            "a zone alone filters nothing"
        );
        let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 4).unwrap();
        let on_day = typed.on_day(day).to_filter(&Zone::Local);
        assert_eq!((on_day.from, on_day.to), (Some(day), Some(day)));
        assert_eq!(on_day.tag.as_deref(), Some("FOMC"));
    }
}
