//! The sample trades offered on an empty journal, embedded in the program.

use crate::domain::Trade;

use super::interchange_io;

/// The sample journal, in the tranche-journal JSON format.
pub const SAMPLE_JOURNAL: &str = include_str!("../../assets/sample-journal.json");

/// The sample trades.
pub fn sample_trades() -> Result<Vec<Trade>, String> {
    interchange_io::parse(SAMPLE_JOURNAL)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::analysis::{Rule, RuleSettings, Verdict, analyze};
    use crate::domain::Side;

    #[test]
    fn samples_break_and_keep_every_rule() {
        let trades = sample_trades().expect("the sample journal parses");
        assert!((25..=40).contains(&trades.len()), "{} trades", trades.len());
        let settings = RuleSettings::default();
        let analyses: Vec<_> = trades.iter().map(|t| analyze(t, &settings)).collect();
        for (t, a) in trades.iter().zip(&analyses) {
            eprintln!(
                "{:6} {:5} adds {} partial {} net {:>10} score {:3} {:?} {:?}",
                t.symbol,
                t.side.as_str(),
                a.adds,
                a.partial_exits,
                a.net_pnl,
                a.score,
                a.violations.iter().map(|v| v.rule.id()).collect::<Vec<_>>(),
                a.scale_out.map(|s| s.verdict)
            );
        }
        for rule in Rule::ALL {
            assert!(
                analyses.iter().any(|a| a.broke(rule)),
                "no sample trade breaks {rule}"
            );
            assert!(
                analyses.iter().any(|a| a.is_scaled_in() && !a.broke(rule)),
                "no scaled-in sample trade keeps {rule}"
            );
        }
        assert!(trades.iter().any(|t| t.side == Side::Long));
        assert!(trades.iter().any(|t| t.side == Side::Short));
        for multiplier in ["1", "50", "20", "1000"] {
            assert!(
                trades
                    .iter()
                    .any(|t| t.multiplier.to_string() == multiplier),
                "no trade with multiplier {multiplier}"
            );
        }
        let verdicts: Vec<_> = analyses
            .iter()
            .filter_map(|a| a.scale_out.map(|s| s.verdict))
            .collect();
        assert!(verdicts.contains(&Verdict::Capped));
        assert!(verdicts.contains(&Verdict::Protected));
        assert!(analyses.iter().filter(|a| !a.is_closed()).count() >= 2);
        assert!(
            analyses
                .iter()
                .any(|a| a.violations.is_empty() && a.adds >= 2)
        );
    }
}
