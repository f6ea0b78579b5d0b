//! `tranche plan ID --price P --stop S [--fee F] [--qty Q] [--json]`: the
//! pyramid planner on the command line.
//!
//! Without `--qty` the stop needed and the worst case are for the largest
//! add; with it, for that size. `--json` prints `max_add`, `limit`,
//! `stop_needed` and `worst_case_after`, numbers as exact decimal strings
//! (`null` where there is no add to speak of).

use std::io::Write;
use std::path::Path;

use clap::Args;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{CliError, open_for_reading};
use crate::analysis::format::{exact, money, num, price, price_dp};
use crate::analysis::planner::{PlanInput, Position, plan_position};
use crate::domain::TradeId;
use crate::import::instrument::quantity_step;

/// Arguments of `tranche plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The open trade's id, as listed by `tranche trades`.
    pub id: i64,
    /// The price of the add.
    #[arg(long, value_name = "P", value_parser = parse_decimal)]
    pub price: Decimal,
    /// The stop the position will have once the add is made.
    #[arg(long, value_name = "S", value_parser = parse_decimal)]
    pub stop: Decimal,
    /// The add's fee, in the trade's currency.
    #[arg(long, value_name = "F", value_parser = parse_decimal, default_value = "0")]
    pub fee: Decimal,
    /// A size in mind: give the stop it needs and its worst case.
    #[arg(long, value_name = "Q", value_parser = parse_decimal)]
    pub qty: Option<Decimal>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A decimal number as the options take it, exactly as written.
fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| format!("{text:?} is not a decimal number"))
}

/// What `tranche plan --json` prints.
#[derive(Debug, Serialize)]
struct PlanJson {
    max_add: String,
    limit: &'static str,
    stop_needed: Option<String>,
    worst_case_after: Option<String>,
}

/// Carries out `tranche plan`.
pub(super) fn plan(
    args: &PlanArgs,
    journal_path: &Path,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let journal = open_for_reading(journal_path)?;
    let id = TradeId(args.id);
    let trade = journal.trade(id)?.ok_or(CliError::NoSuchTrade(id))?;
    let position = Position::of(&trade);
    let step = quantity_step(&trade);
    let input = PlanInput {
        price: args.price,
        stop: args.stop,
        fee: args.fee,
        qty: args.qty,
        step,
    };
    let plan = plan_position(&position, &input)
        .map_err(|e| CliError::Usage(format!("cannot plan an add to trade {id}: {e}")))?;
    if args.json {
        let json = PlanJson {
            max_add: exact(plan.max_add),
            limit: plan.limit.id(),
            stop_needed: plan.stop_needed.map(exact),
            worst_case_after: plan.worst_case_after.map(exact),
        };
        // Serializing plain strings cannot fail.
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        writeln!(out, "{text}")?;
        return Ok(());
    }
    let dp = price_dp(&trade);
    writeln!(
        out,
        "Trade {id}: {} {}, {} open at an average of {}, initial risk {} {}",
        trade.symbol,
        trade.side,
        num(position.qty),
        position
            .avg_entry()
            .map(|a| price(a, dp))
            .unwrap_or_default(),
        money(position.initial_risk.unwrap_or_default()),
        trade.currency
    )?;
    writeln!(
        out,
        "Largest add at {} with the stop at {}: {} (limit: {}; quantity step {})",
        price(args.price, dp),
        price(args.stop, dp),
        num(plan.max_add),
        plan.limit,
        num(step)
    )?;
    if let Some(reason) = &plan.refusal {
        writeln!(out, "No add: {reason}.")?;
    }
    if let (Some(qty), Some(stop), Some(worst)) =
        (plan.qty, plan.stop_needed, plan.worst_case_after)
    {
        writeln!(
            out,
            "An add of {} needs the stop at {} or better; with the stop at {} the worst case is {}",
            num(qty),
            price(stop, dp.max(2) + 2),
            price(args.stop, dp),
            money(worst)
        )?;
    }
    Ok(())
}
