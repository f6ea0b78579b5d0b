//! Import: every format on its fixtures, grouping tables and properties.

mod real_files {

    use std::path::PathBuf;

    use tranche::import::{Format, ImportOptions, import};

    fn shared(path: &str) -> Option<Vec<u8>> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/brokers");
        std::fs::read(dir.join(path)).ok()
    }

    fn options() -> ImportOptions {
        ImportOptions {
            tz: chrono_tz::America::New_York,
            ..ImportOptions::default()
        }
    }

    #[test]
    fn dump_real_files() {
        for (path, format) in [
            (
                "thinkorswim/TD_Ameritrade_TradeNote.csv",
                Format::Thinkorswim,
            ),
            (
                "tradovate/tradovate-orders-history.csv",
                Format::TradovateOrders,
            ),
            (
                "ninjatrader/ninjatrader-grid.csv",
                Format::NinjaTraderTrades,
            ),
            ("ibkr/ibkr-flex-report_tradetally.xml", Format::IbkrFlexXml),
            ("ibkr/vti-buy-on-ibkr_ghostfolio.csv", Format::IbkrFlexCsv),
            ("crypto/kraken-trades_CoinTaxman.csv", Format::KrakenTrades),
        ] {
            let Some(bytes) = shared(path) else { continue };
            assert_eq!(tranche::import::detect(&bytes), Some(format), "{path}");
            let result = import(&bytes, path, &options()).unwrap();
            println!("=== {path}\n{}", result.preview());
            for t in &result.trades {
                let a = tranche::analysis::analyze(&t.trade, &Default::default());
                println!(
                    "{} {} {} x{} open={} net={} events:",
                    t.trade.account,
                    t.trade.symbol,
                    t.trade.side,
                    t.trade.multiplier,
                    t.open,
                    a.net_pnl
                );
                for (e, k) in t.trade.events.iter().zip(&t.fill_keys) {
                    println!("   {} {:?} {:?}", e.at, e.kind, k);
                }
            }
        }
    }
}
