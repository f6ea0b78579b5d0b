//! The desktop window: for now a plain window that shows which journal is open
//! and how many trades it holds.

use std::path::PathBuf;

use crate::storage::{Journal, StorageError};

/// Why the desktop app could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The journal could not be opened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The window could not be created or failed while running.
    #[error("the window failed: {0}")]
    Window(String),
}

/// Opens the journal at `journal_path` and shows the main window until it is closed.
pub fn run(journal_path: PathBuf) -> Result<(), AppError> {
    let journal = Journal::open(&journal_path)?;
    let trade_count = journal.trade_count()?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Tranche")
            .with_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    let app = TrancheApp {
        journal_path,
        trade_count,
    };
    eframe::run_native("Tranche", options, Box::new(|_cc| Ok(Box::new(app))))
        .map_err(|e| AppError::Window(e.to_string()))
}

/// The window's state.
struct TrancheApp {
    journal_path: PathBuf,
    trade_count: usize,
}

impl eframe::App for TrancheApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let Self {
            journal_path,
            trade_count,
        } = self;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("Tranche");
            ui.label(format!("Journal: {}", journal_path.display()));
            ui.label(format!("Trades: {trade_count}"));
        });
    }
}
