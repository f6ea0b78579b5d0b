//! Instruments: their kind, futures roots and the built-in multiplier table.
//!
//! A futures symbol is a root, a month code and a year: `ESZ4`, `ESZ24`,
//! `ESZ2024`, `/ESZ24`, `MNQH5`, or the root and an expiry word as NinjaTrader
//! writes it (`MNQ SEP26`, `ES 12-24`). [`futures_root`] finds the root,
//! [`FUTURES`] gives its multiplier. Options are 100 (US equity options).
//! [`user_multiplier`] looks a symbol up in the multipliers the user set, by
//! the symbol or by its root, whether or not the table knows the root.

use std::collections::HashMap;

use rust_decimal::Decimal;

/// What kind of instrument a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InstrumentKind {
    /// Shares or ETFs.
    Stock,
    /// A futures contract.
    Future,
    /// An option (on shares or on a future).
    Option,
    /// A currency pair.
    Forex,
    /// A crypto currency.
    Crypto,
    /// Anything else, or not known.
    #[default]
    Other,
}

impl InstrumentKind {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentKind::Stock => "stock",
            InstrumentKind::Future => "future",
            InstrumentKind::Option => "option",
            InstrumentKind::Forex => "forex",
            InstrumentKind::Crypto => "crypto",
            InstrumentKind::Other => "other",
        }
    }
}

/// Common futures roots and their multipliers (money per point per contract).
pub const FUTURES: &[(&str, &str)] = &[
    // CME equity index
    ("ES", "50"),
    ("MES", "5"),
    ("NQ", "20"),
    ("MNQ", "2"),
    ("YM", "5"),
    ("MYM", "0.5"),
    ("RTY", "50"),
    ("M2K", "5"),
    ("EMD", "100"),
    ("NKD", "5"),
    // energy
    ("CL", "1000"),
    ("MCL", "100"),
    ("QM", "500"),
    ("NG", "10000"),
    ("MNG", "1000"),
    ("QG", "2500"),
    ("RB", "42000"),
    ("HO", "42000"),
    ("BZ", "1000"),
    // metals
    ("GC", "100"),
    ("MGC", "10"),
    ("SI", "5000"),
    ("SIL", "1000"),
    ("HG", "25000"),
    ("MHG", "2500"),
    ("PL", "50"),
    ("PA", "100"),
    ("QO", "50"),
    ("QI", "2500"),
    // rates
    ("ZB", "1000"),
    ("UB", "1000"),
    ("ZN", "1000"),
    ("TN", "1000"),
    ("ZF", "1000"),
    ("ZT", "2000"),
    ("SR3", "2500"),
    // currencies
    ("6E", "125000"),
    ("M6E", "12500"),
    ("6B", "62500"),
    ("M6B", "6250"),
    ("6J", "12500000"),
    ("6A", "100000"),
    ("M6A", "10000"),
    ("6C", "100000"),
    ("6S", "125000"),
    ("6N", "100000"),
    ("6M", "500000"),
    ("E7", "62500"),
    ("J7", "6250000"),
    // grains and softs
    ("ZC", "50"),
    ("ZS", "50"),
    ("ZW", "50"),
    ("ZM", "100"),
    ("ZL", "600"),
    ("KE", "50"),
    ("LE", "400"),
    ("HE", "400"),
    ("GF", "500"),
    ("ZO", "50"),
    ("ZR", "2000"),
    // crypto
    ("BTC", "5"),
    ("MBT", "0.1"),
    ("ETH", "50"),
    ("MET", "0.1"),
    // volatility and Eurex
    ("VX", "1000"),
    ("VXM", "100"),
    ("FDAX", "25"),
    ("FDXM", "5"),
    ("FESX", "10"),
    ("FDXS", "1"),
    ("FGBL", "1000"),
    ("FGBM", "1000"),
    ("FGBS", "1000"),
];

/// The multiplier of a futures root in the built-in table.
pub fn root_multiplier(root: &str) -> Option<Decimal> {
    let root = root.to_ascii_uppercase();
    FUTURES
        .iter()
        .find(|(r, _)| *r == root)
        .and_then(|(_, m)| m.parse().ok())
}

const MONTH_CODES: &[u8] = b"FGHJKMNQUVXZ";

/// The futures root of a symbol, when it looks like a futures contract whose
/// root is in the table: `ESZ4`, `/ESZ24`, `ESZ2024`, `MNQ SEP26`, `ES 12-24`,
/// `/ESZ24:XCME`.
pub fn futures_root(symbol: &str) -> Option<&'static str> {
    let s = symbol.trim().trim_start_matches('/');
    let s = s.split(':').next().unwrap_or(s);
    let mut words = s.split_whitespace();
    let first = words.next()?;
    let lookup = |root: &str| {
        FUTURES
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(root))
            .map(|(r, _)| *r)
    };
    // "MNQ SEP26", "ES 12-24": a known root followed by an expiry word.
    if words.next().is_some()
        && let Some(root) = lookup(first)
    {
        return Some(root);
    }
    lookup(dated_root(first)?)
}

/// The root of a word spelled root + month code + 1, 2 or 4 year digits
/// (`KC` of `KCH5`, `KCH25` or `KCH2025`).
fn dated_root(word: &str) -> Option<&str> {
    let bytes = word.as_bytes();
    let digits = bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !matches!(digits, 1 | 2 | 4) || bytes.len() < digits + 2 {
        return None;
    }
    let month = bytes[bytes.len() - digits - 1].to_ascii_uppercase();
    MONTH_CODES
        .contains(&month)
        .then(|| &word[..bytes.len() - digits - 1])
}

/// The root a futures symbol spells, whether or not the built-in table knows
/// it: `KC` for `KCH5`, `/KCH25` or `KCH2025`, and the first word of `KC 03-25`
/// or `KC MAR25` (an expiry word has digits). `None` for anything else.
pub fn contract_root(symbol: &str) -> Option<&str> {
    let s = symbol.trim().trim_start_matches('/');
    let s = s.split(':').next().unwrap_or(s);
    let mut words = s.split_whitespace();
    let first = words.next()?;
    if let Some(expiry) = words.next() {
        let is_expiry = expiry.bytes().any(|b| b.is_ascii_digit());
        return (is_expiry && words.next().is_none() && !looks_like_option(symbol))
            .then_some(first);
    }
    dated_root(first).filter(|root| root.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The multiplier the user set for `symbol`: by the symbol (as written or in
/// upper case), else by its futures root (`ES` covers `ESZ4`, and `KC` covers
/// `KCH5` though the built-in table has no `KC`), else by the symbol without
/// a broker's suffix (`XAUUSD` covers `XAUUSD+` and `XAUUSD.m`).
pub fn user_multiplier(symbol: &str, multipliers: &HashMap<String, Decimal>) -> Option<Decimal> {
    if multipliers.is_empty() {
        return None;
    }
    let symbol = symbol.trim();
    multipliers
        .get(symbol)
        .or_else(|| multipliers.get(&symbol.to_ascii_uppercase()))
        .or_else(|| futures_root(symbol).and_then(|root| multipliers.get(root)))
        .or_else(|| {
            contract_root(symbol).and_then(|root| multipliers.get(&root.to_ascii_uppercase()))
        })
        .or_else(|| {
            // A broker's suffix (`XAUUSD+`, `EURUSD.m`): by the symbol without
            // it; not a `-` suffix, which names crypto pairs (`BTC-USD`).
            let base = base_symbol(symbol);
            let suffix = &symbol[base.len()..];
            (!suffix.is_empty() && !suffix.starts_with('-'))
                .then(|| multipliers.get(&base.to_ascii_uppercase()))
                .flatten()
        })
        .copied()
}

/// Whether a symbol looks like an OCC option symbol (`AAPL230120C00150000`,
/// `AAPL  230120P00150000`) or spells out an expiry and strike with a put or
/// call (`SPY 21 OCT 22 370 PUT`).
pub fn looks_like_option(symbol: &str) -> bool {
    let mut compact = [0u8; 40];
    let mut len = 0;
    for b in symbol.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if len == compact.len() {
            return false;
        }
        compact[len] = b;
        len += 1;
    }
    let b = &compact[..len];
    if b.len() >= 16 {
        let tail = &b[b.len() - 15..];
        if tail[..6].iter().all(u8::is_ascii_digit)
            && matches!(tail[6], b'C' | b'P' | b'c' | b'p')
            && tail[7..].iter().all(u8::is_ascii_digit)
            && b[..b.len() - 15].iter().all(u8::is_ascii_alphanumeric)
        {
            return true;
        }
    }
    let words = symbol.split_whitespace().count();
    words >= 3
        && symbol.split_whitespace().last().is_some_and(|w| {
            ["PUT", "CALL", "P", "C"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(w))
        })
}

/// Whether a symbol is a currency pair like `EURUSD`, `EUR/USD`, `EURUSD.m`.
pub fn looks_like_forex(symbol: &str) -> bool {
    const CURRENCIES: &[&str] = &[
        "USD", "EUR", "GBP", "JPY", "CHF", "AUD", "NZD", "CAD", "SEK", "NOK", "DKK", "HKD", "SGD",
        "MXN", "ZAR", "TRY", "PLN", "CNH", "HUF", "CZK",
    ];
    let core: String = base_symbol(symbol)
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let core = core.to_ascii_uppercase();
    core.len() == 6 && CURRENCIES.contains(&&core[..3]) && CURRENCIES.contains(&&core[3..])
}

/// A symbol without a broker's suffix: `EURUSD.m`, `EURUSD_m`, `EURUSD#`,
/// `EURUSD@`, `XAUUSD+` and `XAUUSD-ECN` → their first part; an upper-case
/// symbol with a lower-case tail of up to four letters (`EURUSDm`,
/// `XAUUSDpro`) → the upper-case part. A separator in the first three
/// characters is kept (`/ES...`); symbols without a suffix (`ESZ4`,
/// `AAPL  230120C00150000`, `SOL/EUR`) come back as they are.
pub fn base_symbol(symbol: &str) -> &str {
    let s = symbol.trim();
    let s = match s.find(['.', '-', '_', '#', '+', '@']) {
        Some(pos) if pos >= 3 => &s[..pos],
        _ => s,
    };
    let bytes = s.as_bytes();
    let tail = bytes
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_lowercase())
        .count();
    let head = &bytes[..bytes.len() - tail];
    let upper_case_head = head.len() >= 3
        && head
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && head.iter().any(u8::is_ascii_uppercase);
    if (1..=4).contains(&tail) && upper_case_head {
        &s[..head.len()]
    } else {
        s
    }
}

/// The kind a symbol suggests when the file does not say.
pub fn guess_kind(symbol: &str) -> InstrumentKind {
    if futures_root(symbol).is_some() {
        InstrumentKind::Future
    } else if looks_like_option(symbol) {
        InstrumentKind::Option
    } else {
        InstrumentKind::Other
    }
}

/// The multiplier a kind and symbol imply without the file or user saying:
/// 100 for options, the table for futures, 1 otherwise.
pub fn default_multiplier(kind: InstrumentKind, symbol: &str) -> Decimal {
    match kind {
        InstrumentKind::Option => Decimal::ONE_HUNDRED,
        // A future may be named by its bare root ("MNQ").
        InstrumentKind::Future => futures_root(symbol)
            .and_then(root_multiplier)
            .or_else(|| symbol.split_whitespace().next().and_then(root_multiplier))
            .unwrap_or(Decimal::ONE),
        InstrumentKind::Other => futures_root(symbol)
            .and_then(root_multiplier)
            .unwrap_or(Decimal::ONE),
        _ => Decimal::ONE,
    }
}

/// The kind and contract size of a spot or CFD symbol as forex and CFD
/// brokers (MetaTrader) quote them: a currency pair is 100,000 a standard lot,
/// gold (`XAUUSD`, `GOLD`) 100 ounces, silver (`XAGUSD`, `SILVER`) 5,000
/// ounces; crypto pairs and anything else have no usual size (`None`).
pub fn spot_contract(symbol: &str) -> (InstrumentKind, Option<Decimal>) {
    let base = base_symbol(symbol).to_ascii_uppercase();
    if looks_like_forex(symbol) {
        (InstrumentKind::Forex, Some(Decimal::from(100_000)))
    } else if base.starts_with("XAU") || base.starts_with("GOLD") {
        (InstrumentKind::Other, Some(Decimal::ONE_HUNDRED))
    } else if base.starts_with("XAG") || base.starts_with("SILVER") {
        (InstrumentKind::Other, Some(Decimal::from(5000)))
    } else if base.ends_with("USD")
        && ["BTC", "ETH", "LTC", "XRP"]
            .iter()
            .any(|c| base.starts_with(c))
    {
        (InstrumentKind::Crypto, None)
    } else {
        (InstrumentKind::Other, None)
    }
}

/// The multiplier a symbol usually has, and what one unit of quantity is,
/// for a trade typed by hand: a currency pair or metal 100,000 / 100 / 5,000
/// "per lot" ([`spot_contract`]), a futures contract its root's multiplier
/// "per point" (`ESZ4`, `/ESZ24`, `MNQ SEP26`, or the root after a slash,
/// `/ES`), an option 100 "per contract". Anything else is `None` (1): a bare
/// root such as `CL` or `ES` is also a stock ticker (Colgate, Eversource), so
/// it is not taken for a future.
pub fn usual_multiplier(symbol: &str) -> Option<(Decimal, &'static str)> {
    if let (_, Some(size)) = spot_contract(symbol) {
        return Some((size, "per lot"));
    }
    let slashed_root = symbol
        .trim()
        .strip_prefix('/')
        .and_then(|rest| root_multiplier(rest.trim()));
    let kind = match guess_kind(symbol) {
        InstrumentKind::Other if slashed_root.is_some() => InstrumentKind::Future,
        kind => kind,
    };
    let multiplier = match kind {
        InstrumentKind::Future => slashed_root.unwrap_or(default_multiplier(kind, symbol)),
        InstrumentKind::Option => default_multiplier(kind, symbol),
        _ => return None,
    };
    let unit = if kind == InstrumentKind::Option {
        "per contract"
    } else {
        "per point"
    };
    (multiplier != Decimal::ONE).then_some((multiplier, unit))
}

/// The smallest quantity a trade in this instrument can be sized in, for
/// the pyramid planner to round an add down to: one contract for a future or
/// an option, 0.01 lot for a currency pair or metal traded in lots (a
/// multiplier above 1: 100,000 a lot, 100 an ounce-lot of gold), a
/// hundred-millionth for crypto, one share or unit for anything else. A trade
/// whose own entries are finer than that (fractional shares, 0.001 lot) is
/// sized as finely as its entries were.
pub fn quantity_step(trade: &crate::domain::Trade) -> Decimal {
    let symbol = trade.symbol.as_str();
    let (spot_kind, lot) = spot_contract(symbol);
    let usual = if futures_root(symbol).is_some()
        || looks_like_option(symbol)
        || contract_root(symbol).is_some()
    {
        Decimal::ONE
    } else if lot.is_some() && trade.multiplier > Decimal::ONE {
        Decimal::new(1, 2)
    } else if spot_kind == InstrumentKind::Crypto {
        Decimal::new(1, 8)
    } else {
        Decimal::ONE
    };
    let finest = trade
        .events
        .iter()
        .filter_map(|e| match e.kind {
            crate::domain::EventKind::Entry(fill) => Some(fill.qty.normalize().scale()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    usual.min(Decimal::new(1, finest))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        for (symbol, root) in [
            ("ESZ4", Some("ES")),
            ("ESZ24", Some("ES")),
            ("ESZ2024", Some("ES")),
            ("/ESZ24", Some("ES")),
            ("/ESZ24:XCME", Some("ES")),
            ("MNQH5", Some("MNQ")),
            ("MNQM6", Some("MNQ")),
            ("MNQ SEP26", Some("MNQ")),
            ("ES 12-24", Some("ES")),
            ("M2KZ4", Some("M2K")),
            ("6EH25", Some("6E")),
            ("/VXMJ26", Some("VXM")),
            ("/VXK26", Some("VX")),
            ("FGBLM5", Some("FGBL")),
            ("AAPL", None),
            ("ES", None),
            ("SPY", None),
        ] {
            assert_eq!(futures_root(symbol), root, "{symbol}");
        }
        assert!(looks_like_option("AAPL  230120C00150000"));
        assert!(looks_like_option("SPY 21 OCT 22 370 PUT"));
        assert!(!looks_like_option("AAPL"));
        for (symbol, root) in [
            ("KCH5", Some("KC")),
            ("/KCH25:IFUS", Some("KC")),
            ("KC 03-25", Some("KC")),
            ("ESZ4", Some("ES")),
            ("AAPL", None),
            ("AAPL 240419C00170000", None),
            ("SPY 21 OCT 22 370 PUT", None),
            ("BRK B", None),
            ("X9", None),
        ] {
            assert_eq!(contract_root(symbol), root, "{symbol}");
        }
        let user = HashMap::from([
            ("KC".to_owned(), Decimal::from(37500)),
            ("ES".to_owned(), Decimal::from(42)),
            ("AAPL".to_owned(), Decimal::from(3)),
        ]);
        assert_eq!(user_multiplier("kch5", &user), Some(Decimal::from(37500)));
        assert_eq!(user_multiplier("/ESZ24", &user), Some(Decimal::from(42)));
        assert_eq!(user_multiplier(" AAPL ", &user), Some(Decimal::from(3)));
        assert_eq!(user_multiplier("AAPL 240419C00170000", &user), None);
        assert_eq!(user_multiplier("CLF5", &user), None);
        assert!(looks_like_forex("EURUSD.m"));
        assert!(!looks_like_forex("XAUUSD"));
    }

    #[test]
    fn usual_multipliers_for_a_trade_typed_by_hand() {
        let d = |n: i64| Decimal::from(n);
        for (symbol, expected) in [
            ("EURUSD", Some((d(100_000), "per lot"))),
            ("usdjpy", Some((d(100_000), "per lot"))),
            ("EURUSD.m", Some((d(100_000), "per lot"))),
            ("XAUUSD", Some((d(100), "per lot"))),
            ("ESZ4", Some((d(50), "per point"))),
            ("/ES", Some((d(50), "per point"))),
            ("/NQH25", Some((d(20), "per point"))),
            ("MNQ SEP26", Some((d(2), "per point"))),
            ("AAPL 240419C00170000", Some((d(100), "per contract"))),
            ("AAPL", None),
            ("ES", None),
            ("CL", None),
            ("BTCUSD", None),
            ("", None),
        ] {
            assert_eq!(usual_multiplier(symbol), expected, "{symbol}");
        }
    }

    #[test]
    fn broker_suffixes() {
        for (symbol, base) in [
            ("XAUUSD+", "XAUUSD"),
            ("EURUSD.m", "EURUSD"),
            ("EURUSD_m", "EURUSD"),
            ("EURUSD@", "EURUSD"),
            ("EURUSD#", "EURUSD"),
            ("EURUSDm", "EURUSD"),
            ("XAUUSDpro", "XAUUSD"),
            ("XAUUSD-ECN", "XAUUSD"),
            ("GBPJPY_i", "GBPJPY"),
            ("nq100_m", "nq100"),
            ("usdjpy", "usdjpy"),
            ("US30.cash", "US30"),
            // Futures, options and crypto pairs as before.
            ("ESZ4", "ESZ4"),
            ("/ESZ24", "/ESZ24"),
            ("MNQ SEP26", "MNQ SEP26"),
            ("AAPL  230120C00150000", "AAPL  230120C00150000"),
            ("BTC-USD", "BTC"),
            ("SOL/EUR", "SOL/EUR"),
            ("Brent", "Brent"),
        ] {
            assert_eq!(base_symbol(symbol), base, "{symbol}");
        }
        for symbol in ["XAUUSD+", "EURUSDm", "EURUSD#", "GBPUSD@", "AUDUSD_m"] {
            assert!(
                looks_like_forex(symbol) || symbol.starts_with("XAU"),
                "{symbol}"
            );
        }
        let user = HashMap::from([
            ("XAUUSD".to_owned(), Decimal::from(100)),
            ("BTC".to_owned(), Decimal::from(5)),
        ]);
        assert_eq!(user_multiplier("XAUUSD+", &user), Some(Decimal::from(100)));
        assert_eq!(user_multiplier("xauusd.m", &user), Some(Decimal::from(100)));
        assert_eq!(user_multiplier("BTC-USD", &user), None);
    }
}
