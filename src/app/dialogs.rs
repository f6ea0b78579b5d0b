//! File dialogs on their own threads, so the window keeps drawing while one is open.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::thread;

/// A file the user chose.
#[derive(Debug)]
pub enum DialogResult {
    /// Import this file.
    Import(PathBuf),
    /// Export to this file.
    Export(PathBuf),
    /// No file was chosen; `quickly` when the dialog came back at once, which
    /// usually means no dialog could be shown at all.
    NoFile {
        /// Whether the dialog returned within half a second.
        quickly: bool,
        /// Whether the file was to be exported to (else imported).
        export: bool,
    },
}

fn no_file(started: std::time::Instant, export: bool) -> DialogResult {
    DialogResult::NoFile {
        quickly: started.elapsed() < std::time::Duration::from_millis(500),
        export,
    }
}

/// Asks for a file to import (a journal or a broker statement); sends the
/// choice (if any) and wakes the UI.
pub fn pick_import(results: Sender<DialogResult>, ctx: egui::Context) {
    let fallback = results.clone();
    spawn(fallback, false, move || {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Import trades")
            .add_filter(
                "Journals and broker statements",
                &["json", "csv", "txt", "xml", "htm", "html"],
            )
            .add_filter("All files", &["*"]);
        let started = std::time::Instant::now();
        let result = match pollster::block_on(dialog.pick_file()) {
            Some(file) => DialogResult::Import(file.path().to_path_buf()),
            None => no_file(started, false),
        };
        let _ = results.send(result);
        ctx.request_repaint();
    });
}

/// Asks where to export the journal; sends the choice (if any) and wakes the UI.
pub fn pick_export(results: Sender<DialogResult>, ctx: egui::Context) {
    let fallback = results.clone();
    spawn(fallback, true, move || {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Export the journal")
            .set_file_name("tranche-journal.json")
            .add_filter("Tranche journal (JSON)", &["json"]);
        let started = std::time::Instant::now();
        let result = match pollster::block_on(dialog.save_file()) {
            Some(file) => DialogResult::Export(file.path().to_path_buf()),
            None => no_file(started, true),
        };
        let _ = results.send(result);
        ctx.request_repaint();
    });
}

/// Runs a dialog on a thread of its own. If no thread can be started there
/// is no dialog: `results` hears at once that no file was chosen, as when no
/// file chooser can be shown, so the app asks for a path instead (and its
/// Import and Export buttons are free again).
fn spawn(results: Sender<DialogResult>, export: bool, job: impl FnOnce() + Send + 'static) {
    let started = std::time::Instant::now();
    let spawned = thread::Builder::new()
        .name("file-dialog".to_owned())
        .spawn(job);
    if spawned.is_err() {
        let _ = results.send(no_file(started, export));
    }
}
