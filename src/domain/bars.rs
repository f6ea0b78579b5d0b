//! Price bars: open, high, low and close over a span of time.
//!
//! A [`BarSeries`] is one instrument's bars of one length, sorted by their
//! start. Prices are kept as whole numbers of the series' smallest unit
//! (`10^-scale`), which is exact for every price the series' files gave and
//! compact enough to hold millions of bars; [`BarSeries::price`] turns one
//! back into a [`Decimal`]. Times are Unix seconds (UTC) of each bar's
//! *start*: a bar covers `[start, start + length)` (RULES.md, "With price
//! bars").

use rust_decimal::Decimal;

/// The most decimal places a series' prices may have.
pub const MAX_BAR_SCALE: u32 = 12;

/// One bar; prices in units of `10^-scale` of its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bar {
    /// When the bar starts, in Unix seconds (UTC).
    pub start: i64,
    /// The first price.
    pub open: i64,
    /// The highest price.
    pub high: i64,
    /// The lowest price.
    pub low: i64,
    /// The last price.
    pub close: i64,
}

/// One instrument's bars of one length, sorted by start, no two at one start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BarSeries {
    /// The instrument the bars are of, e.g. `EURUSD`.
    pub symbol: String,
    /// The length of every bar, in seconds.
    pub length: i64,
    /// Decimal places of the prices: a stored price `p` means `p * 10^-scale`.
    pub scale: u32,
    /// The bars, sorted by start.
    pub bars: Vec<Bar>,
}

impl BarSeries {
    /// An empty series.
    pub fn new(symbol: impl Into<String>, length: i64, scale: u32) -> Self {
        BarSeries {
            symbol: symbol.into(),
            length,
            scale: scale.min(MAX_BAR_SCALE),
            bars: Vec::new(),
        }
    }

    /// The exact price of `units` in this series.
    pub fn price(&self, units: i64) -> Decimal {
        Decimal::new(units, self.scale)
    }

    /// `price` in units of this series, when it is exact at its scale and fits.
    pub fn units(&self, price: Decimal) -> Option<i64> {
        to_units(price, self.scale)
    }

    /// The index of the first bar that starts at or after `t`.
    pub fn first_from(&self, t: i64) -> usize {
        self.bars.partition_point(|b| b.start < t)
    }

    /// The index of the first bar that starts after `t`.
    pub fn first_after(&self, t: i64) -> usize {
        self.bars.partition_point(|b| b.start <= t)
    }

    /// The bar that covers the moment `t`, if there is one.
    pub fn covering(&self, t: i64) -> Option<usize> {
        let i = self.first_after(t).checked_sub(1)?;
        (t < self.bars[i].start + self.length).then_some(i)
    }

    /// Where the bars end: the end of the last bar.
    pub fn end(&self) -> Option<i64> {
        self.bars.last().map(|b| b.start + self.length)
    }

    /// The same bars at a finer `scale` (more decimal places); `None` when a
    /// price would not fit.
    pub fn rescaled(&self, scale: u32) -> Option<BarSeries> {
        if scale < self.scale || scale > MAX_BAR_SCALE {
            return None;
        }
        let factor = 10i64.checked_pow(scale - self.scale)?;
        let up = |v: i64| v.checked_mul(factor);
        let bars = self
            .bars
            .iter()
            .map(|b| {
                Some(Bar {
                    start: b.start,
                    open: up(b.open)?,
                    high: up(b.high)?,
                    low: up(b.low)?,
                    close: up(b.close)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(BarSeries {
            symbol: self.symbol.clone(),
            length: self.length,
            scale,
            bars,
        })
    }
}

/// `price` as a whole number of `10^-scale`, when that is exact and fits in an `i64`.
pub fn to_units(price: Decimal, scale: u32) -> Option<i64> {
    if price.scale() > scale {
        let normal = price.normalize();
        if normal.scale() > scale {
            return None;
        }
        return to_units(normal, scale);
    }
    let factor = 10i128.checked_pow(scale - price.scale())?;
    let units = price.mantissa().checked_mul(factor)?;
    i64::try_from(units).ok()
}

/// A bar length in words: `1 minute`, `4 hours`, `1 day`, `90 seconds`.
pub fn length_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match seconds {
        s if s > 0 && s % 604_800 == 0 => plural(s / 604_800, "week"),
        s if s > 0 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s > 0 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s > 0 && s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn bar(start: i64) -> Bar {
        Bar {
            start,
            open: 1,
            high: 2,
            low: 0,
            close: 1,
        }
    }

    #[test]
    fn a_bar_covers_its_start_and_not_its_end() {
        let mut s = BarSeries::new("X", 60, 0);
        s.bars = vec![bar(0), bar(60), bar(180)];
        assert_eq!(s.covering(0), Some(0));
        assert_eq!(s.covering(59), Some(0));
        assert_eq!(s.covering(60), Some(1));
        assert_eq!(s.covering(150), None, "a gap between bars");
        assert_eq!(s.covering(239), Some(2));
        assert_eq!(s.covering(240), None);
        assert_eq!(s.covering(-1), None);
    }

    #[test]
    fn units_are_exact_or_none() {
        assert_eq!(to_units(dec!(1.08125), 5), Some(108_125));
        assert_eq!(to_units(dec!(1.1), 5), Some(110_000));
        assert_eq!(to_units(dec!(1.10000000), 5), Some(110_000));
        assert_eq!(to_units(dec!(1.081255), 5), None);
        assert_eq!(BarSeries::new("X", 60, 5).price(108_125), dec!(1.08125));
    }

    #[test]
    fn lengths_in_words() {
        assert_eq!(length_words(60), "1 minute");
        assert_eq!(length_words(14_400), "4 hours");
        assert_eq!(length_words(86_400), "1 day");
        assert_eq!(length_words(90), "90 seconds");
    }
}
