//! Every file dialog of the app, one at a time, each on a thread of its own
//! so that the window keeps drawing while it is open.
//!
//! [`Dialogs::open`] asks for a file for a [`Purpose`]; the answer comes back
//! from [`Dialogs::poll`] with the purpose (and what is to be saved) beside
//! it. The desktop's dialog is asked through a [`Chooser`]: [`rfd_chooser`]
//! in the app, a fixed answer in tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use super::worker::{Contents, Spawner, spawn_thread};

/// What a file is asked for.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// A journal or a broker statement to import.
    Import,
    /// Where to export the journal.
    Export,
    /// Where to save a file of the review dashboard.
    Save {
        /// What kind of file.
        kind: SaveKind,
        /// What it holds.
        contents: Contents,
    },
}

/// A file the review dashboard saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    /// The statistics as CSV.
    Csv,
    /// The dashboard as a PNG image.
    Png,
    /// The review as a self-contained HTML page.
    Html,
}

impl SaveKind {
    /// The file's extension.
    pub fn extension(self) -> &'static str {
        match self {
            SaveKind::Csv => "csv",
            SaveKind::Png => "png",
            SaveKind::Html => "html",
        }
    }

    /// The start of the file's name.
    pub fn stem(self) -> &'static str {
        match self {
            SaveKind::Csv => "tranche-statistics",
            SaveKind::Png | SaveKind::Html => "tranche-review",
        }
    }

    /// Where a file is saved when no file dialog can be shown: the user's
    /// pictures folder for an image, documents for a CSV or a page, else the home
    /// folder; under a name with the time.
    pub fn fallback_path(self) -> Option<PathBuf> {
        let dirs = directories::UserDirs::new()?;
        let preferred = match self {
            SaveKind::Png => dirs.picture_dir(),
            SaveKind::Csv | SaveKind::Html => dirs.document_dir(),
        };
        let dir = preferred
            .filter(|dir| dir.is_dir())
            .unwrap_or_else(|| dirs.home_dir());
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        Some(dir.join(format!("{}-{stamp}.{}", self.stem(), self.extension())))
    }
}

/// What the dialog shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its title.
    pub title: &'static str,
    /// Whether a file is to be written (else one is opened).
    pub save: bool,
    /// The file name offered, when saving.
    pub file_name: Option<String>,
    /// The filters, each a name and its extensions.
    pub filters: Vec<(&'static str, Vec<&'static str>)>,
}

impl Request {
    /// The dialog for `purpose`.
    pub fn for_purpose(purpose: &Purpose) -> Self {
        match purpose {
            Purpose::Import => Request {
                title: "Import trades or price bars",
                save: false,
                file_name: None,
                filters: vec![
                    (
                        "Journals, broker statements and price bars",
                        vec!["json", "csv", "txt", "xml", "htm", "html", "tsv", "prn"],
                    ),
                    ("All files", vec!["*"]),
                ],
            },
            Purpose::Export => Request {
                title: "Export the journal",
                save: true,
                file_name: Some("tranche-journal.json".to_owned()),
                filters: vec![("Tranche journal (JSON)", vec!["json"])],
            },
            Purpose::Save { kind, .. } => {
                let (title, filter) = match kind {
                    SaveKind::Csv => ("Export the statistics", "CSV"),
                    SaveKind::Png => ("Save the dashboard as an image", "PNG image"),
                    SaveKind::Html => ("Save the review as a web page", "HTML page"),
                };
                Request {
                    title,
                    save: true,
                    file_name: Some(format!("{}.{}", kind.stem(), kind.extension())),
                    filters: vec![(filter, vec![kind.extension()])],
                }
            }
        }
    }
}

/// Shows a dialog and waits for the user's choice (on the dialog's thread).
pub type Chooser = Arc<dyn Fn(&Request) -> Option<PathBuf> + Send + Sync>;

/// The desktop's file dialog (through xdg-desktop-portal on Linux).
pub fn rfd_chooser() -> Chooser {
    Arc::new(|request: &Request| {
        let mut dialog = rfd::AsyncFileDialog::new().set_title(request.title);
        if let Some(name) = &request.file_name {
            dialog = dialog.set_file_name(name);
        }
        for (name, extensions) in &request.filters {
            dialog = dialog.add_filter(*name, extensions.as_slice());
        }
        let chosen = if request.save {
            pollster::block_on(dialog.save_file())
        } else {
            pollster::block_on(dialog.pick_file())
        };
        chosen.map(|file| file.path().to_path_buf())
    })
}

/// The user's answer to a dialog.
#[derive(Debug)]
pub struct Answer {
    /// What the file was asked for.
    pub purpose: Purpose,
    /// The file chosen, if any.
    pub path: Option<PathBuf>,
    /// Whether the dialog came back within half a second: with no file, that
    /// usually means no dialog could be shown at all.
    pub quickly: bool,
}

/// The app's file dialogs: at most one open at a time.
pub struct Dialogs {
    chooser: Chooser,
    spawner: Spawner,
    answers: Sender<Answer>,
    inbox: Receiver<Answer>,
    open: bool,
}

impl Dialogs {
    /// Dialogs shown by `chooser`, each on a thread `spawner` starts.
    pub fn new(chooser: Chooser, spawner: Spawner) -> Self {
        let (answers, inbox) = channel();
        Dialogs {
            chooser,
            spawner,
            answers,
            inbox,
            open: false,
        }
    }

    /// The desktop's dialogs.
    pub fn desktop() -> Self {
        Self::new(rfd_chooser(), spawn_thread)
    }

    /// Shows dialogs with `chooser` from now on.
    pub fn set_chooser(&mut self, chooser: Chooser) {
        self.chooser = chooser;
    }

    /// Whether a dialog is open.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Asks for a file for `purpose`, waking `ctx` when the user has
    /// answered. Returns the purpose back when a dialog is already open.
    ///
    /// If no thread can be started there is no dialog: the answer is at
    /// once that no file was chosen, as when no file chooser can be shown,
    /// so the app falls back as it does then (and its buttons are free again).
    pub fn open(&mut self, purpose: Purpose, ctx: &egui::Context) -> Result<(), Purpose> {
        if self.open {
            return Err(purpose);
        }
        let started = Instant::now();
        let request = Request::for_purpose(&purpose);
        let chooser = Arc::clone(&self.chooser);
        let answers = self.answers.clone();
        let fallback = self.answers.clone();
        let repaint = ctx.clone();
        let carried = purpose.clone();
        let spawned = (self.spawner)(
            "file-dialog",
            Box::new(move || {
                let path = chooser(&request);
                let _ = answers.send(Answer {
                    purpose: carried,
                    path,
                    quickly: quick(started),
                });
                repaint.request_repaint();
            }),
        );
        if spawned.is_err() {
            let _ = fallback.send(Answer {
                purpose,
                path: None,
                quickly: true,
            });
            ctx.request_repaint();
        }
        self.open = true;
        Ok(())
    }

    /// The answers that have come since the last call.
    pub fn poll(&mut self) -> Vec<Answer> {
        let answers: Vec<Answer> = self.inbox.try_iter().collect();
        if !answers.is_empty() {
            self.open = false;
        }
        answers
    }
}

fn quick(started: Instant) -> bool {
    started.elapsed() < Duration::from_millis(500)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_dialog_thread_that_cannot_start_answers_at_once_with_no_file() {
        let chooser: Chooser = Arc::new(|_| panic!("no dialog is shown"));
        let mut dialogs = Dialogs::new(chooser, |_, _| Err(std::io::Error::other("no threads")));
        let ctx = egui::Context::default();
        assert!(dialogs.open(Purpose::Export, &ctx).is_ok());
        assert!(dialogs.is_open());
        let answers = dialogs.poll();
        assert!(!dialogs.is_open(), "free for the next one");
        let [answer] = answers.as_slice() else {
            panic!("one answer, got {answers:?}");
        };
        assert!(matches!(answer.purpose, Purpose::Export));
        assert_eq!(answer.path, None);
        assert!(answer.quickly, "as when no file chooser can be shown");
    }

    #[test]
    fn one_dialog_at_a_time_each_with_its_purpose() {
        let chooser: Chooser = Arc::new(|request: &Request| {
            Some(PathBuf::from(request.file_name.clone().unwrap_or_default()))
        });
        let mut dialogs = Dialogs::new(chooser, spawn_thread);
        let ctx = egui::Context::default();
        let save = Purpose::Save {
            kind: SaveKind::Csv,
            contents: Contents::Text("figure,value\n".to_owned()),
        };
        assert!(dialogs.open(save, &ctx).is_ok());
        assert!(matches!(
            dialogs.open(Purpose::Import, &ctx),
            Err(Purpose::Import)
        ));
        let answer = loop {
            if let Some(answer) = dialogs.poll().pop() {
                break answer;
            }
            std::thread::yield_now();
        };
        assert_eq!(answer.path, Some(PathBuf::from("tranche-statistics.csv")));
        assert!(matches!(
            answer.purpose,
            Purpose::Save {
                kind: SaveKind::Csv,
                contents: Contents::Text(ref text),
            } if text == "figure,value\n"
        ));
        assert!(!dialogs.is_open());
    }
}
