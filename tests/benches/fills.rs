//! The generated file of fills the import benches read.

use std::fmt::Write as _;

/// A generic CSV of `n` fills: 50 symbols, each scaling in and out.
pub fn generate(n: usize) -> String {
    let mut out = String::with_capacity(n * 80);
    out.push_str("Date,Time,Symbol,Side,Quantity,Price,Commission,Account,Execution ID\n");
    let symbols: Vec<String> = (0..50).map(|i| format!("SYM{i:02}")).collect();
    let mut positions = [0i64; 50];
    for i in 0..n {
        let s = i % 50;
        let seconds = i / 50;
        let (day, rest) = (seconds / 23_400, seconds % 23_400);
        let (h, m, sec) = (
            9 + (rest + 1800) / 3600,
            ((rest + 1800) / 60) % 60,
            rest % 60,
        );
        // Scale in twice, then out twice: every symbol goes flat every 4 fills.
        let buy = positions[s] < 200 && (i / 50) % 4 < 2;
        let qty = 100;
        positions[s] += if buy { qty } else { -qty };
        let price = 100 + (i % 97) as i64;
        let _ = writeln!(
            out,
            "2024-{:02}-{:02},{h:02}:{m:02}:{sec:02},{},{},{qty},{price}.{:02},1.25,U1,E{i}",
            1 + (day / 28) % 12,
            1 + day % 28,
            symbols[s],
            if buy { "Buy" } else { "Sell" },
            i % 100,
        );
    }
    out
}
