//! The trade list: a virtualized table of every trade, sorted by any column,
//! filtered by the filter it shares with the review ([`TradeFilter`]) and by
//! its own text search and broken rule.
//!
//! Only the rows on screen are drawn, and the order of the visible rows is
//! computed again only when the trades, the sort or a filter change.
//!
//! Prices are written at each trade's own precision
//! ([`format::price_dp`]); a P&L carries its currency whenever the journal
//! holds more than one. A trade whose stop rules were not judged says so in
//! place of their badges, and has no R.

use egui::{Align, Layout, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use serde::{Deserialize, Serialize};

use crate::analysis::{Rule, format};
use crate::domain::TradeId;
use crate::model::{TradeRow, Trades};

use super::filter::TradeFilter;
use super::time::Zone;
use super::{
    Command, NOT_JUDGED_R, ViewContext, money_text, money_text_in, not_judged_badge, r_text,
    rule_badge, score_color,
};

/// A column the list can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortColumn {
    /// Time of the initial entry.
    #[default]
    Opened,
    /// Symbol.
    Symbol,
    /// Side.
    Side,
    /// Number of adds.
    Adds,
    /// Number of partial exits.
    PartialExits,
    /// Average entry price.
    AvgEntry,
    /// Net P&L.
    NetPnl,
    /// R-multiple.
    RMultiple,
    /// Score.
    Score,
    /// Number of violations.
    Violations,
}

impl SortColumn {
    /// Every column, in table order.
    pub const ALL: [SortColumn; 10] = [
        SortColumn::Opened,
        SortColumn::Symbol,
        SortColumn::Side,
        SortColumn::Adds,
        SortColumn::PartialExits,
        SortColumn::AvgEntry,
        SortColumn::NetPnl,
        SortColumn::RMultiple,
        SortColumn::Score,
        SortColumn::Violations,
    ];

    /// The column's heading.
    pub fn title(self) -> &'static str {
        match self {
            SortColumn::Opened => "Opened",
            SortColumn::Symbol => "Symbol",
            SortColumn::Side => "Side",
            SortColumn::Adds => "Adds",
            SortColumn::PartialExits => "Partials",
            SortColumn::AvgEntry => "Avg entry",
            SortColumn::NetPnl => "Net P&L",
            SortColumn::RMultiple => "R",
            SortColumn::Score => "Score",
            SortColumn::Violations => "Broken rules",
        }
    }

    /// Sorts `visible` (positions in `rows`) by this column, ties by id.
    fn sort(self, visible: &mut Vec<u32>, rows: &[TradeRow], descending: bool) {
        match self {
            SortColumn::Opened => sort_by_key(visible, rows, descending, |r| {
                r.analysis.opened_at.map(|t| t.timestamp_micros())
            }),
            SortColumn::Symbol => {
                sort_by_key(visible, rows, descending, |r| r.trade.symbol.as_str())
            }
            SortColumn::Side => sort_by_key(visible, rows, descending, |r| r.trade.side.as_str()),
            SortColumn::Adds => sort_by_key(visible, rows, descending, |r| r.analysis.adds),
            SortColumn::PartialExits => {
                sort_by_key(visible, rows, descending, |r| r.analysis.partial_exits)
            }
            SortColumn::AvgEntry => {
                sort_by_key(visible, rows, descending, |r| r.analysis.avg_entry)
            }
            SortColumn::NetPnl => sort_by_key(visible, rows, descending, |r| r.analysis.net_pnl),
            SortColumn::RMultiple => {
                sort_by_key(visible, rows, descending, |r| r.analysis.r_multiple)
            }
            SortColumn::Score => sort_by_key(visible, rows, descending, |r| r.analysis.score),
            SortColumn::Violations => {
                sort_by_key(visible, rows, descending, |r| r.analysis.violations.len())
            }
        }
    }
}

/// Sorts by a key read once per row: the rows are large and scattered in
/// memory, so comparing them directly would be slow with 100,000 trades.
fn sort_by_key<'a, K: Ord>(
    visible: &mut Vec<u32>,
    rows: &'a [TradeRow],
    descending: bool,
    key: impl Fn(&'a TradeRow) -> K,
) {
    let mut keyed: Vec<(K, TradeId, u32)> = visible
        .iter()
        .map(|&i| {
            let row = &rows[i as usize];
            (key(row), row.id, i)
        })
        .collect();
    keyed.sort_unstable_by(|a, b| {
        let order = a.0.cmp(&b.0).then(a.1.cmp(&b.1));
        if descending { order.reverse() } else { order }
    });
    *visible = keyed.into_iter().map(|(_, _, i)| i).collect();
}

/// Which trades to show by the rules they broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RuleFilter {
    /// Every trade.
    #[default]
    Any,
    /// Trades that broke no rule.
    Clean,
    /// Trades that broke at least one rule.
    Broken,
    /// Trades that broke this rule.
    Broke(Rule),
}

impl RuleFilter {
    fn name(self) -> String {
        match self {
            RuleFilter::Any => "any rules".to_owned(),
            RuleFilter::Clean => "no rule broken".to_owned(),
            RuleFilter::Broken => "some rule broken".to_owned(),
            RuleFilter::Broke(rule) => format!("broke {}", rule.id()),
        }
    }
}

/// The list's own filters (beside the shared [`TradeFilter`]), remembered
/// between runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    /// Text searched in symbol, setup and tags, case-insensitive.
    pub text: String,
    /// Rules.
    pub rule: RuleFilter,
}

/// The list's sort and filters, remembered between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPrefs {
    /// Column sorted by.
    pub sort: SortColumn,
    /// Whether the sort is descending.
    pub descending: bool,
    /// Filters.
    pub filter: ListFilter,
}

impl Default for ListPrefs {
    fn default() -> Self {
        ListPrefs {
            sort: SortColumn::Opened,
            descending: true,
            filter: ListFilter::default(),
        }
    }
}

/// The trade list's state.
#[derive(Default)]
pub struct TradeList {
    /// Sort and filters.
    pub prefs: ListPrefs,
    /// Positions in [`Trades::rows`] of the rows shown, in order.
    visible: Vec<u32>,
    /// What `visible` was computed from.
    computed_for: Option<(u64, ListPrefs, TradeFilter, Zone)>,
    /// Every row in the current sort order, and the (revision, column,
    /// descending) it was sorted for: a new filter only filters this again.
    sorted: Vec<u32>,
    sorted_for: Option<(u64, SortColumn, bool)>,
    /// Whether the trades are in more than one currency, and the revision
    /// of the trades that was found for.
    multi_currency: Option<(u64, bool)>,
    /// Scroll the selected trade into view on the next frame.
    scroll_to_selected: bool,
}

impl TradeList {
    /// A list with these preferences.
    pub fn new(prefs: ListPrefs) -> Self {
        TradeList {
            prefs,
            ..Default::default()
        }
    }

    /// The ids of the rows shown, in order (for tests).
    pub fn visible_ids(&self, trades: &Trades) -> Vec<TradeId> {
        self.visible
            .iter()
            .map(|&i| trades.rows()[i as usize].id)
            .collect()
    }

    /// The trade `step` rows below (or above, if negative) `from` in the list
    /// as shown; the first row when nothing is selected.
    pub fn neighbour(
        &self,
        trades: &Trades,
        from: Option<TradeId>,
        step: isize,
    ) -> Option<TradeId> {
        let rows = trades.rows();
        let id_at = |pos: usize| self.visible.get(pos).map(|&i| rows[i as usize].id);
        let Some(from) = from else {
            return id_at(0);
        };
        let pos = self
            .visible
            .iter()
            .position(|&i| rows[i as usize].id == from)?;
        let target = pos
            .checked_add_signed(step)?
            .min(self.visible.len().checked_sub(1)?);
        id_at(target)
    }

    /// Whether the list writes each P&L with its currency: when the trades
    /// are in more than one (as of the last [`TradeList::refresh`]).
    pub fn shows_currencies(&self) -> bool {
        self.multi_currency.is_some_and(|(_, multi)| multi)
    }

    /// Scrolls the selected trade into view on the next frame.
    pub fn reveal_selected(&mut self) {
        self.scroll_to_selected = true;
    }

    /// Recomputes the visible rows if the trades, the sort or the filters changed.
    pub fn refresh(&mut self, trades: &Trades, shared: &TradeFilter, zone: &Zone) {
        let fresh = self
            .computed_for
            .as_ref()
            .is_some_and(|(rev, prefs, f, z)| {
                *rev == trades.revision() && prefs == &self.prefs && f == shared && z == zone
            });
        if fresh {
            return;
        }
        let filter = &self.prefs.filter;
        let needle = filter.text.trim().to_lowercase();
        let shared_filter = shared.to_filter(zone);
        let check_shared = !shared_filter.is_empty();
        let shared_matcher = shared_filter.matcher();
        let rows = trades.rows();
        if self
            .multi_currency
            .is_none_or(|(rev, _)| rev != trades.revision())
        {
            let multi = rows.first().is_some_and(|first| {
                rows.iter()
                    .any(|r| r.trade.currency != first.trade.currency)
            });
            self.multi_currency = Some((trades.revision(), multi));
        }
        let sort_key = (trades.revision(), self.prefs.sort, self.prefs.descending);
        if self.sorted_for != Some(sort_key) {
            let mut all: Vec<u32> = (0..rows.len() as u32).collect();
            self.prefs.sort.sort(&mut all, rows, self.prefs.descending);
            self.sorted = all;
            self.sorted_for = Some(sort_key);
        }
        // Typing more of the search text only narrows what is shown: when
        // nothing else changed, the rows shown are the only ones to look at.
        let narrowing = self
            .computed_for
            .as_ref()
            .is_some_and(|(rev, prefs, f, z)| {
                let old = prefs.filter.text.trim().to_lowercase();
                *rev == trades.revision()
                    && f == shared
                    && z == zone
                    && prefs.sort == self.prefs.sort
                    && prefs.descending == self.prefs.descending
                    && prefs.filter.rule == filter.rule
                    && needle.contains(old.as_str())
            });
        let candidates = if narrowing {
            std::mem::take(&mut self.visible)
        } else {
            self.sorted.clone()
        };
        let visible: Vec<u32> = candidates
            .into_iter()
            .filter(|&i| {
                let row = &rows[i as usize];
                let a = &row.analysis;
                if !needle.is_empty() && !row.haystack.contains(&needle) {
                    return false;
                }
                match filter.rule {
                    RuleFilter::Any => {}
                    RuleFilter::Clean if !a.violations.is_empty() => return false,
                    RuleFilter::Broken if a.violations.is_empty() => return false,
                    RuleFilter::Broke(rule) if !a.broke(rule) => return false,
                    _ => {}
                }
                if shared
                    .only
                    .as_ref()
                    .is_some_and(|only| !only.ids.contains(&row.id))
                {
                    return false;
                }
                !check_shared || shared_matcher.accepts(&row.trade, a)
            })
            .collect();
        self.visible = visible;
        self.computed_for = Some((
            trades.revision(),
            self.prefs.clone(),
            shared.clone(),
            zone.clone(),
        ));
    }

    /// Draws the filters and the table.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        view: &ViewContext<'_>,
        selected: Option<TradeId>,
    ) -> Vec<Command> {
        let mut commands = Vec::new();
        self.filters_ui(ui);
        self.refresh(view.trades, view.filter, view.zone);
        ui.horizontal(|ui| {
            ui.weak(format!(
                "{} of {} trades",
                self.visible.len(),
                view.trades.len()
            ));
        });
        ui.separator();
        self.table_ui(ui, view, selected, &mut commands);
        commands
    }

    fn filters_ui(&mut self, ui: &mut Ui) {
        let filter = &mut self.prefs.filter;
        ui.horizontal_wrapped(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut filter.text)
                    .hint_text("Search symbol, setup, tag")
                    .desired_width(170.0),
            )
            .accessible_name("Search trades");
            egui::ComboBox::from_id_salt("rule-filter")
                .selected_text(filter.rule.name())
                .show_ui(ui, |ui| {
                    for choice in [RuleFilter::Any, RuleFilter::Clean, RuleFilter::Broken]
                        .into_iter()
                        .chain(Rule::ALL.map(RuleFilter::Broke))
                    {
                        ui.selectable_value(&mut filter.rule, choice, choice.name());
                    }
                })
                .response
                .accessible_name("Rule filter");
            if *filter != ListFilter::default() && ui.button("Clear search").clicked() {
                *filter = ListFilter::default();
            }
        });
    }

    fn table_ui(
        &mut self,
        ui: &mut Ui,
        view: &ViewContext<'_>,
        selected: Option<TradeId>,
        commands: &mut Vec<Command>,
    ) {
        let rows = view.trades.rows();
        // Rows are clicked to select them: labels must not take the click for text selection.
        ui.style_mut().interaction.selectable_labels = false;
        let text_height = egui::TextStyle::Body
            .resolve(ui.style())
            .size
            .max(ui.spacing().interact_size.y);
        let row_height = text_height + 4.0;
        let currencies = self.shows_currencies();
        // A P&L with its currency needs a wider column; a table of its own
        // keeps the widths the user chose for each layout.
        let mut table = TableBuilder::new(ui)
            .id_salt(("trade-table", currencies))
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::initial(112.0).at_least(70.0).clip(true))
            .column(Column::initial(66.0).at_least(40.0).clip(true))
            .column(Column::initial(40.0).at_least(30.0))
            .column(Column::initial(38.0).at_least(24.0))
            .column(Column::initial(54.0).at_least(24.0))
            .column(Column::initial(72.0).at_least(40.0).clip(true))
            .column(Column::initial(if currencies { 112.0 } else { 80.0 }).at_least(50.0))
            .column(Column::initial(54.0).at_least(36.0))
            .column(Column::initial(46.0).at_least(30.0))
            .column(Column::remainder().at_least(80.0).clip(true))
            .min_scrolled_height(0.0)
            .auto_shrink([false, false]);
        if std::mem::take(&mut self.scroll_to_selected)
            && let Some(selected) = selected
            && let Some(pos) = self
                .visible
                .iter()
                .position(|&i| rows[i as usize].id == selected)
        {
            table = table.scroll_to_row(pos, Some(Align::Center));
        }
        let prefs = &mut self.prefs;
        let visible = &self.visible;
        table
            .header(22.0, |mut header| {
                for column in SortColumn::ALL {
                    header.col(|ui| {
                        let active = prefs.sort == column;
                        let label = RichText::new(column.title()).strong();
                        let response = ui
                            .add(egui::Button::selectable(active, label).frame_when_inactive(false))
                            .on_hover_text(format!("Sort by {}", column.title().to_lowercase()));
                        if active {
                            sort_arrow(ui, &response, prefs.descending);
                        }
                        if response.clicked() {
                            if active {
                                prefs.descending = !prefs.descending;
                            } else {
                                prefs.sort = column;
                                prefs.descending =
                                    !matches!(column, SortColumn::Symbol | SortColumn::Side);
                            }
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, visible.len(), |mut table_row| {
                    let row = &rows[visible[table_row.index()] as usize];
                    let a = &row.analysis;
                    table_row.set_selected(selected == Some(row.id));
                    table_row.col(|ui| {
                        ui.label(a.opened_at.map_or_else(String::new, |t| view.zone.short(t)));
                    });
                    table_row.col(|ui| {
                        ui.label(RichText::new(&row.trade.symbol).strong());
                    });
                    table_row.col(|ui| {
                        ui.label(row.trade.side.as_str());
                    });
                    table_row.col(|ui| {
                        ui.label(a.adds.to_string());
                    });
                    table_row.col(|ui| {
                        ui.label(a.partial_exits.to_string());
                    });
                    table_row.col(|ui| {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            if let Some(avg) = a.avg_entry {
                                ui.label(format::price(avg, format::price_dp(&row.trade)));
                            }
                        });
                    });
                    table_row.col(|ui| {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            if currencies {
                                ui.label(money_text_in(ui, a.net_pnl, &row.trade.currency));
                            } else {
                                ui.label(money_text(ui, a.net_pnl));
                            }
                        });
                    });
                    table_row.col(|ui| {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            if a.stops_judged {
                                ui.label(r_text(a.r_multiple));
                            } else {
                                ui.weak(NOT_JUDGED_R)
                                    .on_hover_text("No R: the initial stop is not known");
                            }
                        });
                    });
                    table_row.col(|ui| {
                        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                            ui.label(
                                RichText::new(a.score.to_string())
                                    .strong()
                                    .color(score_color(ui, a.score)),
                            );
                        });
                    });
                    table_row.col(|ui| {
                        let mut broken: Vec<Rule> = a.violations.iter().map(|v| v.rule).collect();
                        broken.sort();
                        broken.dedup();
                        for &rule in broken.iter().take(2) {
                            rule_badge(ui, rule);
                        }
                        if broken.len() > 2 {
                            let rest: Vec<&str> = broken[2..].iter().map(|r| r.id()).collect();
                            ui.weak(format!("+{}", rest.len()))
                                .on_hover_text(rest.join("\n"));
                        }
                        if !a.stops_judged {
                            not_judged_badge(ui);
                        }
                        if !a.is_closed() {
                            ui.weak("open");
                        }
                    });
                    let response = table_row.response();
                    if response.clicked() {
                        commands.push(Command::Select(Some(row.id)));
                    }
                    if response.double_clicked() {
                        commands.push(Command::Edit(row.id));
                    }
                });
            });
    }
}

/// A small triangle after a sorted column's heading: pointing down when descending.
fn sort_arrow(ui: &Ui, response: &egui::Response, descending: bool) {
    let color = ui.visuals().strong_text_color();
    let center = egui::pos2(response.rect.right() + 6.0, response.rect.center().y);
    let (tip, base) = if descending { (3.0, -3.0) } else { (-3.0, 3.0) };
    let points = vec![
        egui::pos2(center.x - 4.0, center.y + base),
        egui::pos2(center.x + 4.0, center.y + base),
        egui::pos2(center.x, center.y + tip),
    ];
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
}
