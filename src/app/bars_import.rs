//! Price bars files in the app: the work the import dialog asks of the
//! journal's worker thread, and how that thread does it.
//!
//! A chosen or dropped file whose content is a price bars layout is read once
//! into a [`BarsFile`], whose bytes the dialog shares. Each
//! [`BarsJob::Preview`] reads those bytes with the dialog's instrument and
//! time zone; the bars read stay on the worker ([`BarsStaged`]), and only a
//! summary and the first rows cross to the window. A new symbol alone
//! renames the kept bars without reading the file again. [`BarsJob::Commit`]
//! writes exactly the bars previewed, in one transaction; bars the journal
//! already holds are skipped.
//!
//! Every request carries an id; a reply whose id is not the one the dialog
//! waits for is stale and ignored.

use std::sync::Arc;

use crate::import::bars::{BarFile, BarOptions, read_bars};

use super::protocol::Reply;
use super::store::Store;
pub use crate::model::bars_import::{
    BarsAdded, BarsFile, BarsOptions, BarsPreview, BarsPreviewRequest, BarsReply,
};

/// Work on a price bars file, for the worker thread.
#[derive(Debug)]
pub enum BarsJob {
    /// Read the file with these options; keep the bars for a commit.
    Preview(Box<BarsPreviewRequest>),
    /// Write the kept bars.
    Commit {
        /// The preview's id.
        id: u64,
    },
    /// Forget the kept bars (the dialog was closed).
    Discard,
}

/// The bars of the last preview, kept on the worker for the commit.
#[derive(Default)]
pub struct BarsStaged {
    current: Option<Kept>,
}

/// What a preview read, with what it was read from.
struct Kept {
    id: u64,
    file: Arc<BarsFile>,
    tz: chrono_tz::Tz,
    read: BarFile,
}

/// Runs one job on the worker thread and returns its reply.
pub fn run(
    store: &mut dyn Store,
    staged: &mut BarsStaged,
    job: BarsJob,
    send: &(dyn Fn(Reply) + Sync),
) -> Reply {
    let reply = match job {
        BarsJob::Preview(request) => preview(staged, *request, send),
        BarsJob::Commit { id } => commit(store, staged, id, send),
        BarsJob::Discard => {
            staged.current = None;
            BarsReply::Discarded
        }
    };
    Reply::Bars(reply)
}

fn preview(
    staged: &mut BarsStaged,
    request: BarsPreviewRequest,
    send: &(dyn Fn(Reply) + Sync),
) -> BarsReply {
    let BarsPreviewRequest { id, file, options } = request;
    let symbol = options.stored_symbol();
    // The same file in the same zone under another name: rename the bars read.
    if let Some(kept) = staged.current.as_mut()
        && Arc::ptr_eq(&kept.file, &file)
        && kept.tz == options.tz
    {
        kept.id = id;
        kept.read.series.symbol = symbol;
        return BarsReply::Previewed {
            id,
            result: Ok(BarsPreview::of(&kept.read)),
        };
    }
    // A new reading replaces the old one: free it first.
    staged.current = None;
    send(Reply::Progress {
        label: format!("Reading {}", file.name),
        done: 0,
        total: 0,
    });
    let bar_options = BarOptions {
        format: Some(file.format),
        tz: options.tz,
        symbol: Some(symbol),
    };
    match read_bars(&file.bytes, &file.name, &bar_options) {
        Ok(read) => {
            let preview = BarsPreview::of(&read);
            staged.current = Some(Kept {
                id,
                file,
                tz: options.tz,
                read,
            });
            BarsReply::Previewed {
                id,
                result: Ok(preview),
            }
        }
        Err(err) => BarsReply::Previewed {
            id,
            result: Err(err),
        },
    }
}

fn commit(
    store: &mut dyn Store,
    staged: &mut BarsStaged,
    id: u64,
    send: &(dyn Fn(Reply) + Sync),
) -> BarsReply {
    let Some(kept) = staged.current.as_ref().filter(|k| k.id == id) else {
        return BarsReply::CommitFailed {
            id,
            message: "the preview changed before this step ran; look at it again".to_owned(),
        };
    };
    let series = &kept.read.series;
    let label = format!("Writing {} bars", series.symbol);
    let mut last = None;
    let mut progress = |done: usize, total: usize| {
        let percent = (done * 100).checked_div(total);
        if percent != last {
            last = percent;
            send(Reply::Progress {
                label: label.clone(),
                done,
                total,
            });
        }
    };
    match store.insert_bars(series, &kept.file.name, &mut progress) {
        Ok(added) => {
            let added = BarsAdded {
                file: kept.file.name.clone(),
                symbol: series.symbol.clone(),
                length: series.length,
                total: series.bars.len(),
                added,
            };
            // Written: free the bars.
            staged.current = None;
            BarsReply::Committed { id, added }
        }
        Err(err) => BarsReply::CommitFailed {
            id,
            message: err.to_string(),
        },
    }
}
