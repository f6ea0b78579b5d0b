//! Reading and writing tranche-journal JSON for the app's import, export and
//! sample trades, with errors written for the window.

use crate::domain::{Trade, TradeId};
use crate::interchange;

/// Whether a file's content is a tranche-journal document (not a broker statement).
pub fn is_journal(bytes: &[u8]) -> bool {
    interchange::looks_like_journal(bytes)
}

/// Reads the trades of a tranche-journal JSON document.
pub fn parse(text: &str) -> Result<Vec<Trade>, String> {
    interchange::from_json(text).map_err(|err| err.to_string())
}

/// Reads the trades and the setups' playbooks of a tranche-journal JSON document.
pub fn parse_with_playbooks(
    text: &str,
) -> Result<(Vec<Trade>, Vec<crate::domain::Playbook>), String> {
    interchange::from_json_with_playbooks(text).map_err(|err| err.to_string())
}

/// Writes trades and the setups' playbooks as a tranche-journal JSON document.
pub fn write(trades: &[(TradeId, Trade)], playbooks: &[crate::domain::Playbook]) -> String {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = interchange::write_json_with(trades, playbooks, &mut bytes);
    // Invariant: serde_json writes UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}
