//! The desktop app's panels. Each panel owns its state, draws itself with
//! `ui(&mut self, ...)`, and returns the [`Command`]s the user asked for;
//! the app applies them after the frame, in one place.
//!
//! - [`filter`]: the filter the list and the review share.
//! - [`list`]: the trade list: a virtualized table, sorted and filtered.
//! - [`editor`]: the trade editor with its live preview; [`form`] is its
//!   text form, parsed exactly and validated without a window.
//! - [`detail`]: a trade's chart, timeline and violations; [`chart`] draws
//!   the trade on a price/time plot.
//! - [`planner`]: the pyramid planner, live in the editor and as a form in
//!   the detail.
//! - [`review`]: the review dashboard over the journal statistics;
//!   [`coaching`] its sections on the disciplined twin and tilt.
//! - [`import`]: the import dialog for broker statements; [`bars_import`]
//!   the one for price bars files.
//! - [`playbooks`]: the setups' playbooks, edited in Settings.
//! - [`settings`]: rule weights, risk tolerance, time zone, theme and the
//!   multipliers imports use.
//! - [`time`]: times in the chosen zone, as shown and typed.
//! - [`shell`]: the window around them: top and status bars, modals,
//!   dropped files and keyboard shortcuts.

pub mod bars_import;
pub mod bars_settings;
pub mod chart;
pub mod coaching;
pub mod detail;
pub mod editor;
pub mod filter;
pub mod form;
pub mod import;
pub mod list;
pub mod market_review;
pub mod planner;
pub mod playbooks;
pub mod review;
pub mod settings;
pub mod shell;
pub mod time;

use egui::{Color32, RichText};
use serde::{Deserialize, Serialize};

use crate::analysis::{Rule, RuleSettings, Step, format};
use crate::domain::{Trade, TradeId};
use crate::import::Reconciliation;
use crate::model::Multipliers;
use crate::model::Trades;
use crate::model::import::PreviewRequest;
use rust_decimal::Decimal;

use time::Zone;

/// What the user asked for, applied by the app after the frame.
#[must_use]
#[derive(Debug, Clone)]
pub enum Command {
    /// Open the editor on a new trade.
    NewTrade,
    /// Open the editor on a saved trade.
    Edit(TradeId),
    /// Select a trade (or none) and show its detail.
    Select(Option<TradeId>),
    /// Save the trade in the editor (`id` is `None` for a new trade).
    Save {
        /// The trade being replaced, if any.
        id: Option<TradeId>,
        /// The trade.
        trade: Trade,
    },
    /// Close the editor without saving (changes already confirmed lost).
    CloseEditor,
    /// Ask whether to delete a trade.
    AskDelete(TradeId),
    /// Delete a trade (already confirmed).
    Delete(TradeId),
    /// Undo the last delete.
    UndoDelete,
    /// Choose a file and import it.
    Import,
    /// Choose a file and export the journal to it.
    Export,
    /// Add the embedded sample trades to the journal.
    LoadSamples,
    /// Show a view in the main area.
    Show(View),
    /// Save new rule settings and re-score every trade.
    ApplyRuleSettings(RuleSettings),
    /// Change the time zone in which times are shown and typed.
    SetZone(Zone),
    /// Change the colour theme.
    SetTheme(Theme),
    /// Dismiss the error message at this position.
    DismissError(usize),
    /// Read a broker statement with the import dialog's options.
    PreviewImport(PreviewRequest),
    /// Say what committing this preview would add, writing nothing.
    CheckImport(u64),
    /// Commit this preview to the journal.
    CommitImport(u64),
    /// Close the import dialog (a statement's or a bars file's) without importing.
    CloseImport,
    /// Read a price bars file with the import dialog's symbol and time zone.
    PreviewBars(crate::model::bars_import::BarsPreviewRequest),
    /// Write the bars of this preview to the journal.
    CommitBars(u64),
    /// Save the multipliers imports use, by symbol or futures root.
    SetMultipliers(Multipliers),
    /// Change the filter the list and the review share.
    SetFilter(filter::TradeFilter),
    /// Import this file (dropped on the window, or its path typed).
    ImportFile(std::path::PathBuf),
    /// Export the journal to this file (its path typed).
    ExportTo(std::path::PathBuf),
    /// Show this error message in the status bar.
    ReportError(String),
    /// Move the selection this many rows down the list (up when negative).
    MoveSelection(isize),
    /// Save the editor's trade, as its Save button would.
    SaveEditor,
    /// Leave the editor as its Cancel button would: at once when nothing
    /// changed, else after asking.
    CancelEditor,
    /// Ask where to save the review's statistics, this CSV text, and save it there.
    SaveStatistics(String),
    /// Ask where to save the review as a web page, this HTML, and save it there.
    SaveReportPage(String),
    /// Take a picture of the window, ask where to save this part of it (in
    /// points), and save it there as a PNG image.
    SaveDashboard(egui::Rect),
    /// Read the price bars around a trade for its chart (a worker job).
    LoadBars(TradeId),
    /// Measure every trade against its price bars, for the review (a worker job).
    LoadExcursions,
    /// Save the map of trade symbols to price bars symbols.
    SetBarsSymbols(std::collections::BTreeMap<String, String>),
}

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    /// The selected trade.
    #[default]
    Detail,
    /// Settings.
    Settings,
    /// The review dashboard.
    Review,
}

/// The colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// Every theme, in menu order.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// The theme's name.
    pub fn name(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// egui's preference for this theme.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Light => egui::ThemePreference::Light,
            Theme::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// What panels may read while they draw: borrowed, never owned.
pub struct ViewContext<'a> {
    /// Every loaded trade with its analysis.
    pub trades: &'a Trades,
    /// The rule settings the analyses use.
    pub rule_settings: &'a RuleSettings,
    /// The zone times are shown and typed in.
    pub zone: &'a Zone,
    /// The filter the list and the review share.
    pub filter: &'a filter::TradeFilter,
    /// The checks of statements' totals kept with imports, shared with
    /// work off the UI thread.
    pub statement_checks: &'a std::sync::Arc<Vec<crate::import::StatementCheck>>,
    /// Whether the journal is busy (a save or import under way).
    pub busy: bool,
    /// Starts work off the UI thread (the review's statistics).
    pub spawn: crate::model::Spawner,
    /// The price bars last read around a trade, for its chart.
    pub market: Option<&'a crate::model::market::TradeMarket>,
    /// Every trade against its bars, as last computed, for the review.
    pub excursions: Option<&'a crate::model::market::MarketExcursions>,
}

/// The colour for a score: green when clean, amber, then red.
pub fn score_color(ui: &egui::Ui, score: u32) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match score {
        90.. if dark => Color32::from_rgb(110, 200, 120),
        90.. => Color32::from_rgb(20, 130, 40),
        60..=89 if dark => Color32::from_rgb(230, 180, 80),
        60..=89 => Color32::from_rgb(170, 110, 0),
        _ if dark => Color32::from_rgb(240, 110, 100),
        _ => Color32::from_rgb(190, 30, 30),
    }
}

/// The colour for money: green for a gain, red for a loss.
pub fn pnl_color(ui: &egui::Ui, value: Decimal) -> Color32 {
    let dark = ui.visuals().dark_mode;
    if value.is_sign_negative() && !value.is_zero() {
        if dark {
            Color32::from_rgb(240, 110, 100)
        } else {
            Color32::from_rgb(190, 30, 30)
        }
    } else if value.is_zero() {
        ui.visuals().text_color()
    } else if dark {
        Color32::from_rgb(110, 200, 120)
    } else {
        Color32::from_rgb(20, 130, 40)
    }
}

/// The colour that marks a rule's violations.
pub fn rule_color(rule: Rule) -> Color32 {
    match rule {
        Rule::AveragingDown => Color32::from_rgb(200, 40, 40),
        Rule::RiskAboveInitial | Rule::StopLoosened | Rule::NoStop => {
            Color32::from_rgb(205, 95, 20)
        }
        Rule::AddNotSmaller | Rule::StopNotTrailed | Rule::RunnerUnprotected => {
            Color32::from_rgb(170, 130, 0)
        }
        Rule::ScaledInRange => Color32::from_rgb(110, 110, 150),
        Rule::TooManyAdds | Rule::OutsidePlaybookCondition => Color32::from_rgb(60, 120, 170),
    }
}

/// A small badge naming a broken rule, with its description on hover.
pub fn rule_badge(ui: &mut egui::Ui, rule: Rule) -> egui::Response {
    egui::Frame::new()
        .fill(rule_color(rule))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(4, 0))
        .show(ui, |ui| {
            ui.label(RichText::new(rule.id()).small().color(Color32::WHITE))
        })
        .inner
        .on_hover_text(rule.description())
}

/// The position after one event, as four grid cells: open quantity, average
/// entry, stop and worst case; four empty cells when there is no step.
/// Prices are written to `price_dp` places ([`format::price_dp`]).
pub fn step_cells(ui: &mut egui::Ui, step: Option<&Step>, price_dp: u32) {
    let Some(step) = step else {
        for _ in 0..4 {
            ui.label("");
        }
        return;
    };
    let or_dash = |value: Option<Decimal>| {
        value.map_or_else(|| "–".to_owned(), |v| format::price(v, price_dp))
    };
    ui.label(format::num(step.open_qty));
    ui.label(or_dash(step.avg_entry));
    ui.label(or_dash(step.stop));
    match step.worst_case {
        Some(w) => ui.label(money_text(ui, w)),
        None => ui.label("–"),
    };
}

/// Money with two decimals and a sign colour.
pub fn money_text(ui: &egui::Ui, value: Decimal) -> RichText {
    RichText::new(format::money(value)).color(pnl_color(ui, value))
}

/// Money with two decimals, its currency after it, and a sign colour
/// (`-348604.00 JPY`).
pub fn money_text_in(ui: &egui::Ui, value: Decimal, currency: &str) -> RichText {
    RichText::new(format::money_in(value, currency)).color(pnl_color(ui, value))
}

/// What a trade whose stop rules were not judged shows in place of them.
pub const STOPS_NOT_JUDGED_SHORT: &str = "stops not judged";

/// Where a trade whose stop rules were not judged has an R-multiple.
pub const NOT_JUDGED_R: &str = "—";

/// A muted note that a trade's stop rules were not judged, explained on hover.
pub fn not_judged_badge(ui: &mut egui::Ui) -> egui::Response {
    ui.label(RichText::new(STOPS_NOT_JUDGED_SHORT).small().weak())
        .on_hover_text(crate::analysis::STOPS_NOT_JUDGED)
}

/// An R-multiple with two decimals, or a dash when undefined.
pub fn r_text(value: Option<Decimal>) -> String {
    value.map_or_else(|| "–".to_owned(), |r| format!("{}R", format::price(r, 2)))
}

/// The colour of a statement's total beside the journal's figure: green when
/// they agree, the warning colour when not.
pub fn agreement_color(ui: &egui::Ui, agrees: bool) -> Color32 {
    match (agrees, ui.visuals().dark_mode) {
        (true, true) => Color32::from_rgb(110, 200, 120),
        (true, false) => Color32::from_rgb(20, 130, 40),
        (false, _) => ui.visuals().warn_fg_color,
    }
}

/// A statement's own total beside the journal's figure for the same trades,
/// in one strong line coloured by whether they agree:
/// `Closed Trade P/L: statement -868.25 EUR; journal -868.25 EUR: agrees`.
pub fn reconciliation_label(ui: &mut egui::Ui, check: &Reconciliation) -> egui::Response {
    let text = format!("{}: {check}", check.label);
    ui.label(
        RichText::new(text)
            .strong()
            .color(agreement_color(ui, check.agrees())),
    )
    .on_hover_text(
        "The figure the file states for its own trades, beside the journal's net P&L \
         for the same trades. Where they differ, a row was left out or read otherwise: \
         the warnings may say which.",
    )
}

/// A message that something went wrong, for an error field.
pub fn error_color(ui: &egui::Ui) -> Color32 {
    ui.visuals().error_fg_color
}
