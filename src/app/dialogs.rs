//! File dialogs on their own threads, so the window keeps drawing while one is open.

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

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
    spawn(move || {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Import trades")
            .add_filter(
                "Journals and broker statements",
                &["json", "csv", "txt", "xml", "htm", "html"],
            )
            .add_filter("All files", &["*"]);
        let started = std::time::Instant::now();
        let result = match block_on(dialog.pick_file()) {
            Some(file) => DialogResult::Import(file.path().to_path_buf()),
            None => no_file(started, false),
        };
        let _ = results.send(result);
        ctx.request_repaint();
    });
}

/// Asks where to export the journal; sends the choice (if any) and wakes the UI.
pub fn pick_export(results: Sender<DialogResult>, ctx: egui::Context) {
    spawn(move || {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title("Export the journal")
            .set_file_name("tranche-journal.json")
            .add_filter("Tranche journal (JSON)", &["json"]);
        let started = std::time::Instant::now();
        let result = match block_on(dialog.save_file()) {
            Some(file) => DialogResult::Export(file.path().to_path_buf()),
            None => no_file(started, true),
        };
        let _ = results.send(result);
        ctx.request_repaint();
    });
}

fn spawn(job: impl FnOnce() + Send + 'static) {
    // If no thread can be started there is no dialog; the button simply does nothing.
    let _ = thread::Builder::new()
        .name("file-dialog".to_owned())
        .spawn(job);
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on this (dialog) thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}
