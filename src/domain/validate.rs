//! Validation of a trade: what makes a list of events a position from flat to flat.

use std::fmt;

use rust_decimal::Decimal;

use super::{EventKind, Trade};

/// The part of a trade that a [`ValidationError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The trade's symbol.
    Symbol,
    /// The trade's multiplier.
    Multiplier,
    /// The trade's rate (money currency per price currency).
    Rate,
    /// The trade's currency.
    Currency,
    /// The list of events as a whole.
    Events,
    /// An event's time.
    Time,
    /// An event's quantity.
    Qty,
    /// An event's price.
    Price,
    /// An event's fee.
    Fee,
    /// An event's kind (entry, exit, stop, target).
    Kind,
}

impl Field {
    /// The field's name as it appears in the JSON format.
    pub fn name(self) -> &'static str {
        match self {
            Field::Symbol => "symbol",
            Field::Multiplier => "multiplier",
            Field::Rate => "rate",
            Field::Currency => "currency",
            Field::Events => "events",
            Field::Time => "at",
            Field::Qty => "qty",
            Field::Price => "price",
            Field::Fee => "fee",
            Field::Kind => "type",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something wrong with a trade. Event positions are 0-based indexes into
/// [`Trade::events`]; messages leave them out so that callers can name the
/// event the way their user knows it (a row in the editor, a line in a file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The symbol is blank.
    #[error("the symbol is empty")]
    EmptySymbol,
    /// The multiplier is zero or negative.
    #[error("the multiplier must be positive, not {0}")]
    NonPositiveMultiplier(Decimal),
    /// The currency is blank.
    #[error("the currency is empty")]
    EmptyCurrency,
    /// There is no entry at all.
    #[error("the trade has no entry")]
    NoEntry,
    /// An event is earlier than the one before it.
    #[error("this event is earlier than the event before it")]
    OutOfOrder {
        /// The event at fault.
        event: usize,
    },
    /// A fill's quantity is zero or negative.
    #[error("the quantity must be positive, not {qty}")]
    NonPositiveQty {
        /// The event at fault.
        event: usize,
        /// The quantity given.
        qty: Decimal,
    },
    /// A price is zero or negative.
    #[error("the price must be positive, not {price}")]
    NonPositivePrice {
        /// The event at fault.
        event: usize,
        /// The price given.
        price: Decimal,
    },
    /// An exit's price is negative (an exit at zero is an option that
    /// expired worthless).
    #[error("the exit price must be zero or more, not {price}")]
    NegativeExitPrice {
        /// The event at fault.
        event: usize,
        /// The price given.
        price: Decimal,
    },
    /// The rate is zero or negative.
    #[error("the rate must be positive, not {0}")]
    NonPositiveRate(Decimal),
    /// The trade's prices, quantities, multiplier and rate together are too
    /// large for its money to be worked out exactly.
    #[error("the trade is too large: its prices × quantity × multiplier × rate pass {max}")]
    TradeTooLarge {
        /// The largest accepted product.
        max: Decimal,
    },
    /// An exit comes before any entry.
    #[error("an exit comes before the first entry")]
    ExitBeforeEntry {
        /// The event at fault.
        event: usize,
    },
    /// An exit is larger than the quantity still open.
    #[error("the exit of {qty} is larger than the open quantity {open}")]
    ExitExceedsOpen {
        /// The event at fault.
        event: usize,
        /// The exit's quantity.
        qty: Decimal,
        /// The quantity open before the exit.
        open: Decimal,
    },
    /// A number is beyond what the journal accepts (see [`MAX_QTY`], [`MAX_PRICE`],
    /// [`MAX_MULTIPLIER`]).
    #[error("{value} is larger than the largest accepted {field}, {max}")]
    TooLarge {
        /// The event at fault, if the number is an event's.
        event: Option<usize>,
        /// The field holding the number.
        field: Field,
        /// The number given.
        value: Decimal,
        /// The largest accepted value.
        max: Decimal,
    },
    /// An event comes after the position was closed: a new position is a new trade.
    #[error("this {kind} comes after the position was closed; a new position is a new trade")]
    AfterClose {
        /// The event at fault.
        event: usize,
        /// The event's kind name.
        kind: &'static str,
    },
}

impl ValidationError {
    /// The 0-based index of the event at fault, if the error is about one event.
    pub fn event(&self) -> Option<usize> {
        match *self {
            ValidationError::EmptySymbol
            | ValidationError::NonPositiveMultiplier(_)
            | ValidationError::NonPositiveRate(_)
            | ValidationError::TradeTooLarge { .. }
            | ValidationError::EmptyCurrency
            | ValidationError::NoEntry => None,
            ValidationError::OutOfOrder { event }
            | ValidationError::NonPositiveQty { event, .. }
            | ValidationError::NonPositivePrice { event, .. }
            | ValidationError::NegativeExitPrice { event, .. }
            | ValidationError::ExitBeforeEntry { event }
            | ValidationError::ExitExceedsOpen { event, .. }
            | ValidationError::AfterClose { event, .. } => Some(event),
            ValidationError::TooLarge { event, .. } => event,
        }
    }

    /// The error in words, naming the event and field at fault, e.g.
    /// `event 2 (exit), qty: the exit of 400 is larger than the open quantity 300`.
    ///
    /// `number` turns the 0-based index into [`Trade::events`] into the number
    /// the user knows the event by (its 1-based row, or its position in a file).
    pub fn describe(&self, trade: &Trade, number: impl Fn(usize) -> usize) -> String {
        match self.event() {
            Some(index) => {
                let kind = trade.events.get(index).map_or("event", |e| e.kind.name());
                format!("event {} ({kind}), {}: {self}", number(index), self.field())
            }
            None => format!("{}: {self}", self.field()),
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Field {
        match self {
            ValidationError::EmptySymbol => Field::Symbol,
            ValidationError::NonPositiveMultiplier(_) => Field::Multiplier,
            ValidationError::EmptyCurrency => Field::Currency,
            ValidationError::NoEntry => Field::Events,
            ValidationError::OutOfOrder { .. } => Field::Time,
            ValidationError::NonPositiveQty { .. } | ValidationError::ExitExceedsOpen { .. } => {
                Field::Qty
            }
            ValidationError::NonPositivePrice { .. }
            | ValidationError::NegativeExitPrice { .. } => Field::Price,
            ValidationError::NonPositiveRate(_) => Field::Rate,
            ValidationError::TradeTooLarge { .. } => Field::Events,
            ValidationError::ExitBeforeEntry { .. } | ValidationError::AfterClose { .. } => {
                Field::Kind
            }
            ValidationError::TooLarge { field, .. } => *field,
        }
    }
}

/// The largest accepted quantity. Together with [`MAX_PRICE`] and
/// [`MAX_MULTIPLIER`] it keeps every product of the trade arithmetic well
/// inside `Decimal`'s range, so the analysis can never overflow.
pub const MAX_QTY: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0); // 1e12
/// The largest accepted price or fee.
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0); // 1e9
/// The largest accepted multiplier.
pub const MAX_MULTIPLIER: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0); // 1e6
/// The largest accepted rate (money currency per price currency).
pub const MAX_RATE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0); // 1e6
/// The largest accepted `highest price × total entered quantity × multiplier ×
/// rate` of a trade: every product and sum of the trade arithmetic stays
/// below it, well inside `Decimal`'s range (about 7.9e28).
pub const MAX_TRADE_SIZE: Decimal =
    Decimal::from_parts(0xE800_0000, 0x9FD0_803C, 0x033B_2E3C, false, 0); // 1e27

/// Whether `value` is above zero (a decimal's sign and digits say it
/// without the general comparison, which lines up scales).
fn is_positive(value: Decimal) -> bool {
    value.is_sign_positive() && !value.is_zero()
}

/// Whether `value` is below zero (see [`is_positive`]).
fn is_negative(value: Decimal) -> bool {
    value.is_sign_negative() && !value.is_zero()
}

/// Whether `|value| <= max`. A value whose digits, as an integer, are no
/// more than a whole `max` is within it (dividing by a power of ten only
/// makes it smaller): the usual case, told without lining up scales.
fn within(value: Decimal, max: Decimal) -> bool {
    if max.scale() == 0 && value.mantissa().unsigned_abs() <= max.mantissa().unsigned_abs() {
        return true;
    }
    value.abs() <= max
}

fn check_max(
    errors: &mut Vec<ValidationError>,
    event: Option<usize>,
    field: Field,
    value: Decimal,
    max: Decimal,
) -> bool {
    if !within(value, max) {
        errors.push(ValidationError::TooLarge {
            event,
            field,
            value,
            max,
        });
        false
    } else {
        true
    }
}

/// Every problem with `trade`, in the order of the events.
pub(super) fn validate(trade: &Trade) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    if super::trim(&trade.symbol).is_empty() {
        errors.push(ValidationError::EmptySymbol);
    }
    if !is_positive(trade.multiplier) {
        errors.push(ValidationError::NonPositiveMultiplier(trade.multiplier));
    }
    check_max(
        &mut errors,
        None,
        Field::Multiplier,
        trade.multiplier,
        MAX_MULTIPLIER,
    );
    if !is_positive(trade.rate) {
        errors.push(ValidationError::NonPositiveRate(trade.rate));
    }
    check_max(&mut errors, None, Field::Rate, trade.rate, MAX_RATE);
    if super::trim(&trade.currency).is_empty() {
        errors.push(ValidationError::EmptyCurrency);
    }
    if !trade
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Entry(_)))
    {
        errors.push(ValidationError::NoEntry);
    }

    let mut open = Decimal::ZERO;
    let mut entered = false;
    let mut closed = false;
    for (event, e) in trade.events.iter().enumerate() {
        if event > 0 && e.at < trade.events[event - 1].at {
            errors.push(ValidationError::OutOfOrder { event });
        }
        if closed {
            errors.push(ValidationError::AfterClose {
                event,
                kind: e.kind.name(),
            });
            continue;
        }
        let price = e.kind.price();
        if matches!(e.kind, EventKind::Exit(_)) {
            // An option that expired worthless leaves at zero.
            if is_negative(price) {
                errors.push(ValidationError::NegativeExitPrice { event, price });
            }
        } else if !is_positive(price) {
            errors.push(ValidationError::NonPositivePrice { event, price });
        }
        check_max(&mut errors, Some(event), Field::Price, price, MAX_PRICE);
        let Some(fill) = e.kind.fill() else {
            continue;
        };
        let mut qty_ok = is_positive(fill.qty);
        if !qty_ok {
            errors.push(ValidationError::NonPositiveQty {
                event,
                qty: fill.qty,
            });
        }
        qty_ok &= check_max(&mut errors, Some(event), Field::Qty, fill.qty, MAX_QTY);
        check_max(&mut errors, Some(event), Field::Fee, fill.fee, MAX_PRICE);
        match e.kind {
            EventKind::Entry(_) => {
                entered = true;
                if qty_ok {
                    open += fill.qty;
                }
            }
            EventKind::Exit(_) if !entered => {
                errors.push(ValidationError::ExitBeforeEntry { event });
            }
            EventKind::Exit(_) => {
                if fill.qty > open {
                    errors.push(ValidationError::ExitExceedsOpen {
                        event,
                        qty: fill.qty,
                        open,
                    });
                } else if qty_ok {
                    open -= fill.qty;
                    closed = open.is_zero();
                }
            }
            EventKind::Stop { .. } | EventKind::Target { .. } => {}
        }
    }
    if errors.is_empty() && !size_fits(trade) {
        errors.push(ValidationError::TradeTooLarge {
            max: MAX_TRADE_SIZE,
        });
    }
    errors
}

/// Whether `highest price × entered quantity × multiplier × rate` stays
/// within [`MAX_TRADE_SIZE`], for a trade whose numbers are each within
/// their own limits.
fn size_fits(trade: &Trade) -> bool {
    size_surely_fits(trade) || size_fits_exactly(trade)
}

/// Whether the product of the numbers' digits, as integers, is within
/// [`MAX_TRADE_SIZE`]: then so is the size, whose factors are each no more
/// than their digits (dividing by a power of ten only makes them smaller).
/// The usual case, told without decimal arithmetic.
fn size_surely_fits(trade: &Trade) -> bool {
    let digits = |value: Decimal| value.mantissa().unsigned_abs();
    let mut highest = 0u128;
    let mut entered = 0u128;
    for e in &trade.events {
        highest = highest.max(digits(e.kind.price()));
        if let EventKind::Entry(fill) = e.kind {
            entered = entered.saturating_add(digits(fill.qty));
        }
    }
    highest
        .checked_mul(entered)
        .and_then(|x| x.checked_mul(digits(trade.multiplier)))
        .and_then(|x| x.checked_mul(digits(trade.rate)))
        .is_some_and(|size| size <= digits(MAX_TRADE_SIZE))
}

/// [`size_fits`], in decimals.
fn size_fits_exactly(trade: &Trade) -> bool {
    let highest = trade
        .events
        .iter()
        .map(|e| e.kind.price().abs())
        .max()
        .unwrap_or_default();
    let entered: Decimal = trade
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Entry(fill) => Some(fill.qty),
            _ => None,
        })
        .fold(Decimal::ZERO, |sum, q| sum.saturating_add(q));
    highest
        .checked_mul(entered)
        .and_then(|x| x.checked_mul(trade.multiplier))
        .and_then(|x| x.checked_mul(trade.rate))
        .is_some_and(|size| size <= MAX_TRADE_SIZE)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::{Event, Side};
    use proptest::prelude::*;

    /// Decimals of every sign, scale and size (zeros of either sign are
    /// tested on their own below).
    fn any_decimal() -> impl Strategy<Value = Decimal> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<bool>(),
            0u32..=28,
        )
            .prop_map(|(lo, mid, hi, negative, scale)| {
                // Small digits too, as prices and quantities have.
                let hi = if lo % 3 == 0 { 0 } else { hi };
                let mid = if lo % 2 == 0 { 0 } else { mid };
                Decimal::from_parts(lo, mid, hi, negative, scale)
            })
    }

    proptest! {
        #[test]
        fn the_quick_comparisons_agree_with_decimals_own(
            value in any_decimal(),
            max in prop_oneof![
                Just(MAX_QTY),
                Just(MAX_PRICE),
                Just(MAX_MULTIPLIER),
                Just(MAX_RATE),
                Just(Decimal::new(15, 1)),
                any_decimal().prop_map(|d| d.abs()),
            ],
        ) {
            prop_assert_eq!(is_positive(value), value > Decimal::ZERO);
            prop_assert_eq!(is_negative(value), value < Decimal::ZERO);
            prop_assert_eq!(within(value, max), value.abs() <= max);
        }

        #[test]
        fn a_size_that_surely_fits_fits(
            prices in proptest::collection::vec(any_decimal(), 1..4),
            qtys in proptest::collection::vec(any_decimal(), 1..4),
            multiplier in any_decimal(),
            rate in any_decimal(),
            stop in any_decimal(),
        ) {
            let at = chrono::DateTime::parse_from_rfc3339("2024-03-01T09:30:00Z").unwrap();
            let mut trade = Trade::new("X", Side::Long);
            trade.multiplier = multiplier;
            trade.rate = rate;
            for (price, qty) in prices.iter().zip(qtys.iter().cycle()) {
                trade.events.push(Event::entry(at, *qty, *price, Decimal::ZERO));
            }
            trade.events.push(Event::stop(at, stop));
            if size_surely_fits(&trade) {
                prop_assert!(size_fits_exactly(&trade));
            }
        }
    }

    #[test]
    fn a_usual_size_is_told_without_decimals_and_a_huge_one_is_not() {
        let at = chrono::DateTime::parse_from_rfc3339("2024-03-01T09:30:00Z").unwrap();
        let mut trade = Trade::new("EURUSD", Side::Long);
        trade.rate = Decimal::new(108_765, 5);
        trade.events.push(Event::entry(
            at,
            Decimal::new(100_000, 0),
            Decimal::new(108_765, 5),
            Decimal::ZERO,
        ));
        assert!(size_surely_fits(&trade));
        trade.multiplier = MAX_MULTIPLIER;
        trade.events[0] = Event::entry(at, MAX_QTY, MAX_PRICE, Decimal::ZERO);
        assert!(!size_surely_fits(&trade));
        assert!(!size_fits(&trade));
    }

    #[test]
    fn zero_of_either_sign_is_neither_positive_nor_negative() {
        let negative_zero = Decimal::from_parts(0, 0, 0, true, 3);
        for zero in [Decimal::ZERO, negative_zero] {
            assert!(!is_positive(zero));
            assert!(!is_negative(zero));
            assert!(within(zero, MAX_PRICE));
        }
    }

    #[test]
    fn a_number_past_its_limit_is_refused_at_any_scale() {
        // 1e9 + 0.001 has more digits than 1e9 and is larger.
        let past = MAX_PRICE + Decimal::new(1, 3);
        assert!(!within(past, MAX_PRICE));
        assert!(!within(-past, MAX_PRICE));
        // 1e10 / 1e3 = 1e7 has more digits than 1e9 and is within it.
        assert!(within(Decimal::new(10_000_000_000, 3), MAX_PRICE));
        assert!(within(MAX_PRICE, MAX_PRICE));
    }
}
