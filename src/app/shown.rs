//! How long the window takes to show the journal, for the start-up bench.
//!
//! With the environment variable `TRANCHE_EXIT_WHEN_SHOWN` set (to anything
//! but an empty string), the app asks for a screenshot of its first frame and
//! of the first frame that draws the loaded list. A screenshot's pixels are
//! read back after the frame is rendered, so its arrival marks the moment
//! the frame was really painted. When the list's frame has been painted the
//! app writes one line to standard output and closes:
//!
//! ```text
//! shown: window 412.3 ms, list 655.0 ms (242.7 ms after the window), 100000 trades
//! ```
//!
//! The times are since [`mark_start`] (the start of `main`'s app). Without the
//! variable nothing here does anything.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The environment variable that turns the measurement on.
pub const EXIT_WHEN_SHOWN: &str = "TRANCHE_EXIT_WHEN_SHOWN";

static START: OnceLock<Instant> = OnceLock::new();

/// Marks the start of the process's app, the zero of the times written.
pub fn mark_start() {
    let _ = START.get_or_init(Instant::now);
}

fn since_start() -> Duration {
    START.get_or_init(Instant::now).elapsed()
}

/// Asks for the screenshots and writes the line; one per app.
#[derive(Debug, Default)]
pub struct ShownProbe {
    enabled: bool,
    asked_window: bool,
    asked_list: bool,
    window: Arc<Mutex<Option<Duration>>>,
}

impl ShownProbe {
    /// A probe that is on when [`EXIT_WHEN_SHOWN`] is set.
    pub fn from_env() -> Self {
        ShownProbe {
            enabled: std::env::var_os(EXIT_WHEN_SHOWN).is_some_and(|v| !v.is_empty()),
            ..Default::default()
        }
    }

    /// Called at the end of every frame: `listed` is the number of trades the
    /// list holds once the journal is loaded, `None` before.
    pub fn frame(&mut self, ctx: &egui::Context, listed: Option<usize>) {
        if !self.enabled {
            return;
        }
        if !self.asked_window {
            self.asked_window = true;
            let window = Arc::clone(&self.window);
            ctx.request_screenshot(move |_| {
                if let Ok(mut window) = window.lock() {
                    window.get_or_insert_with(since_start);
                }
            });
        }
        let Some(count) = listed else {
            return;
        };
        if self.asked_list {
            return;
        }
        self.asked_list = true;
        let window = Arc::clone(&self.window);
        let close = ctx.clone();
        ctx.request_screenshot(move |_| {
            let list = since_start();
            // The first frame's screenshot is read back before this one.
            let window = window.lock().ok().and_then(|w| *w).unwrap_or(list);
            println!(
                "shown: window {:.1} ms, list {:.1} ms ({:.1} ms after the window), {count} trades",
                window.as_secs_f64() * 1e3,
                list.as_secs_f64() * 1e3,
                list.saturating_sub(window).as_secs_f64() * 1e3,
            );
            close.send_viewport_cmd(egui::ViewportCommand::Close);
            close.request_repaint();
        });
    }
}
