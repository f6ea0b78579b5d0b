//! A trade's detail: the verdict, the chart, the timeline of the position
//! after every event, and each violation in words. Prices are written at the
//! trade's own precision ([`format::price_dp`]). A trade whose initial stop is
//! not known says that its stop rules were not judged, and how to judge them.

use egui::{RichText, Ui};

use crate::analysis::{STOPS_NOT_JUDGED, Step, TradeAnalysis, analyze_with_steps, format};
use crate::domain::{EventKind, Trade, TradeId};

use super::chart::{ChartData, chart_ui};
use super::time::Zone;
use super::{
    Command, NOT_JUDGED_R, STOPS_NOT_JUDGED_SHORT, ViewContext, money_text, r_text, rule_badge,
    rule_color, score_color, step_cells,
};

/// What the detail adds to [`STOPS_NOT_JUDGED`]: where the trader adds the stop.
pub const JUDGE_STOPS_HINT: &str = "Edit the trade and add a stop row at the initial entry's time: the stop rules are then judged.";

/// The detail panel: caches the selected trade's steps and chart.
#[derive(Default)]
pub struct TradeDetail {
    cached: Option<Cached>,
    /// The "Plan an add" form of an open trade.
    planner: super::planner::PlannerForm,
}

struct Cached {
    id: TradeId,
    revision: u64,
    zone: Zone,
    analysis: TradeAnalysis,
    steps: Vec<Step>,
    chart: ChartData,
    twin: crate::analysis::twin::Twin,
    /// Whether the chart holds the market's bars (read for this trade and revision).
    with_market: bool,
}

impl TradeDetail {
    /// Draws the detail of trade `id`, or a hint when none is selected.
    pub fn ui(&mut self, ui: &mut Ui, view: &ViewContext<'_>, id: Option<TradeId>) -> Vec<Command> {
        let mut commands = Vec::new();
        let Some(row) = id.and_then(|id| view.trades.row(id)) else {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.weak("Select a trade to see its chart, timeline and violations.");
            });
            return commands;
        };
        let market = view
            .market
            .filter(|m| m.id == row.id && m.revision == view.trades.revision());
        if market.is_none() {
            commands.push(Command::LoadBars(row.id));
        }
        let stale = self.cached.as_ref().is_none_or(|c| {
            c.id != row.id
                || c.revision != view.trades.revision()
                || &c.zone != view.zone
                || c.with_market != market.is_some()
        });
        if stale {
            let (analysis, steps) = analyze_with_steps(&row.trade, view.rule_settings);
            let twin = crate::analysis::twin::twin(&row.trade, &analysis);
            let mut chart = ChartData::new(&row.trade, &steps, view.zone)
                .with_twin(&row.trade, &twin, view.zone);
            if let Some(market) = market {
                chart = chart.with_market(&row.trade, market, view.zone);
            }
            self.cached = Some(Cached {
                id: row.id,
                revision: view.trades.revision(),
                zone: view.zone.clone(),
                analysis,
                steps,
                chart,
                twin,
                with_market: market.is_some(),
            });
        }
        let Some(cached) = &self.cached else {
            return commands;
        };
        let trade = &row.trade;
        let a = &cached.analysis;

        ui.horizontal(|ui| {
            ui.heading(RichText::new(format!("{} {}", trade.symbol, trade.side)).strong());
            ui.label(
                RichText::new(format!("score {}", a.score))
                    .heading()
                    .color(score_color(ui, a.score)),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Delete…").clicked() {
                    commands.push(Command::AskDelete(row.id));
                }
                if ui
                    .button("Edit")
                    .on_hover_text("Double-click a row to edit")
                    .clicked()
                {
                    commands.push(Command::Edit(row.id));
                }
            });
        });
        ui.horizontal_wrapped(|ui| {
            let opened = a.opened_at.map(|t| view.zone.short(t)).unwrap_or_default();
            let closed = a
                .closed_at
                .map_or_else(|| "open".to_owned(), |t| view.zone.short(t));
            ui.label(format!("{opened} to {closed}"));
            ui.separator();
            ui.label("Net");
            ui.label(money_text(ui, a.net_pnl).strong());
            ui.label(&trade.currency);
            ui.separator();
            if a.stops_judged {
                ui.label(format!(
                    "R {}",
                    a.initial_risk.map_or_else(|| "–".to_owned(), format::money)
                ));
                ui.strong(r_text(a.r_multiple));
            } else {
                ui.label(format!("R {NOT_JUDGED_R}"))
                    .on_hover_text("No R: the initial stop is not known");
            }
            if let Some(scale) = &a.scale_out {
                ui.separator();
                ui.label(format!(
                    "scaling out {} {}",
                    scale.verdict.as_str(),
                    format::money(scale.effect.abs())
                ))
                .on_hover_text(format!(
                    "Held to the last exit: {}\nAll out at the first exit: {}",
                    format::money(scale.held_to_last_exit),
                    format::money(scale.all_out_at_first_exit)
                ));
            }
            if cached.twin.differs() {
                ui.separator();
                ui.label(twin_text(&cached.twin, &trade.currency))
                    .on_hover_text(
                        "The same trade without its adds that broke averaging-down, \
                         add-not-smaller or scaled-in-range, drawn faintly on the chart",
                    );
            }
            let mut details = Vec::new();
            if trade.multiplier != rust_decimal::Decimal::ONE {
                details.push(format!("×{}", format::exact(trade.multiplier)));
            }
            if !trade.setup.is_empty() {
                details.push(trade.setup.clone());
            }
            details.push(trade.market_condition.as_str().to_owned());
            details.extend(trade.tags.iter().map(|t| format!("#{t}")));
            ui.separator();
            ui.weak(details.join(" · "));
        });
        if !a.violations.is_empty() || !a.stops_judged {
            ui.horizontal_wrapped(|ui| {
                let mut seen = [false; crate::analysis::Rule::COUNT];
                for v in &a.violations {
                    if !std::mem::replace(&mut seen[v.rule.index()], true) {
                        rule_badge(ui, v.rule);
                    }
                }
                if !a.stops_judged {
                    ui.weak(STOPS_NOT_JUDGED_SHORT);
                }
            });
        }
        ui.add_space(4.0);

        let chart_height = (ui.available_height() * 0.42).clamp(140.0, 360.0);
        chart_ui(
            ui,
            &cached.chart,
            view.zone,
            egui::Id::unique(("trade-chart", row.id)),
            chart_height,
        );
        ui.add_space(4.0);
        let width = ui.available_width();
        egui::ScrollArea::vertical()
            .id_salt("detail-timeline")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                // Sentences wrap at the panel's edge even when the grid is wider.
                timeline_ui(ui, trade, &cached.steps, a, view.zone, width - 16.0);
                if !a.is_closed() {
                    ui.add_space(6.0);
                    egui::CollapsingHeader::new("Plan an add")
                        .id_salt("plan-an-add")
                        .show(ui, |ui| {
                            self.planner.ui(ui, trade, format::price_dp(trade));
                        });
                }
                if !trade.notes.is_empty() {
                    ui.add_space(6.0);
                    ui.label(RichText::new("Notes").strong());
                    ui.label(&trade.notes);
                }
            });
        commands
    }
}

/// The twin in words: "without its broken adds: net 2,400.00 USD, 1.60 R;
/// the broken adds paid 1,200.00 USD".
pub fn twin_text(twin: &crate::analysis::twin::Twin, currency: &str) -> String {
    format!(
        "without its broken adds: net {}{}; the broken adds {} {}",
        format::money_for_people(twin.net_pnl, currency),
        twin.r_multiple
            .map(|r| format!(", {} R", format::price(r, 2)))
            .unwrap_or_default(),
        if twin.cost < rust_decimal::Decimal::ZERO {
            "cost"
        } else {
            "paid"
        },
        format::money_for_people(twin.cost.abs(), currency)
    )
}

/// The position after every event, with the rules each event broke beside it,
/// then every violation in words.
pub fn timeline_ui(
    ui: &mut Ui,
    trade: &Trade,
    steps: &[Step],
    analysis: &TradeAnalysis,
    zone: &Zone,
    wrap_width: f32,
) {
    let mut labels = Vec::with_capacity(trade.events.len());
    let dp = format::price_dp(trade);
    egui::Grid::new("timeline")
        .striped(true)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            for heading in [
                "Time",
                "Event",
                "Qty",
                "Price",
                "Open",
                "Avg entry",
                "Stop",
                "Worst case",
                "Rules",
            ] {
                ui.strong(heading);
            }
            ui.end_row();
            let mut entries = 0;
            let mut last_date = None;
            for (i, event) in trade.events.iter().enumerate() {
                let date = zone.date(event.at);
                let time = if last_date == Some(date) {
                    zone.convert(event.at).format("%H:%M").to_string()
                } else {
                    zone.short(event.at)
                };
                last_date = Some(date);
                let (kind, qty) = match event.kind {
                    EventKind::Entry(fill) => {
                        entries += 1;
                        let name = if entries == 1 {
                            "Entry".to_owned()
                        } else {
                            format!("Add {}", entries - 1)
                        };
                        (name, format::num(fill.qty))
                    }
                    EventKind::Exit(fill) => ("Exit".to_owned(), format::num(fill.qty)),
                    EventKind::Stop { .. } => ("Stop".to_owned(), String::new()),
                    EventKind::Target { .. } => ("Target".to_owned(), String::new()),
                };
                ui.label(&time);
                ui.label(&kind);
                labels.push(format!("{time} {kind}"));
                ui.label(qty);
                ui.label(format::price(event.kind.price(), dp));
                step_cells(ui, steps.get(i), dp);
                let broken: Vec<_> = analysis
                    .violations
                    .iter()
                    .filter(|v| v.event == i)
                    .map(|v| v.rule)
                    .collect();
                match broken.first() {
                    Some(&first) => {
                        let text = if broken.len() == 1 {
                            first.id().to_owned()
                        } else {
                            format!("{} +{}", first.id(), broken.len() - 1)
                        };
                        ui.label(RichText::new(text).small().color(rule_color(first)))
                            .on_hover_text(
                                broken.iter().map(|r| r.id()).collect::<Vec<_>>().join("\n"),
                            );
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });
    if !analysis.stops_judged {
        ui.add_space(4.0);
        ui.allocate_ui(egui::vec2(wrap_width.max(200.0), 0.0), |ui| {
            ui.add(egui::Label::new(RichText::new(STOPS_NOT_JUDGED).strong()).wrap());
            ui.add(egui::Label::new(RichText::new(JUDGE_STOPS_HINT).weak()).wrap());
        });
    }
    if analysis.violations.is_empty() {
        ui.add_space(4.0);
        let kept = if analysis.stops_judged {
            "Every scaling rule kept."
        } else {
            "Every rule judged was kept."
        };
        ui.label(RichText::new(kept).color(score_color(ui, 100)));
        return;
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Violations").strong());
    ui.allocate_ui(egui::vec2(wrap_width.max(200.0), 0.0), |ui| {
        for v in &analysis.violations {
            let at = labels.get(v.event).cloned().unwrap_or_default();
            let mut job = egui::text::LayoutJob::default();
            let body = egui::TextStyle::Body.resolve(ui.style());
            let strong = egui::TextFormat::simple(body.clone(), rule_color(v.rule));
            let weak = egui::TextFormat::simple(body.clone(), ui.visuals().weak_text_color());
            let plain = egui::TextFormat::simple(body, ui.visuals().text_color());
            job.append(v.rule.id(), 0.0, strong);
            job.append(&at, 8.0, weak);
            job.append(&v.message, 8.0, plain);
            ui.add(egui::Label::new(job).wrap());
        }
    });
}
