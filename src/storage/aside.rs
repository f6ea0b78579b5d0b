//! A new journal made aside, under a temporary name, while a first import
//! reads its file: creating a journal's schema takes a while (every
//! migration, one after the other), which the import spends reading
//! instead of waiting. The journal takes its name only once there is
//! something to write into it ([`NewJournal::put_in_place`]), or once a
//! first import is committed into it where it was made
//! ([`NewJournal::take_name`]), so that a file that does not read, or an
//! import that is killed, leaves no journal behind.
//!
//! As no other program knows of it, the journal made aside skips what
//! sharing a journal costs. It stays under a rollback journal, as its first
//! import is written anyway, until that import is committed; the rollback
//! journal is kept in memory, and nothing written waits for the disk: a
//! crash leaves a file that never takes the name. It is synced whole
//! before it takes its name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Journal, StorageError};

/// What follows a journal's name in the name of a journal made aside for it
/// (then the number of the process making it).
pub(super) const MADE_ASIDE: &str = ".new-";

/// A new journal made beside `path` under a temporary name (see the module
/// documentation). Dropped before [`NewJournal::put_in_place`], it is
/// removed.
#[derive(Debug)]
pub struct NewJournal {
    made: PathBuf,
    path: PathBuf,
}

impl NewJournal {
    /// Makes a new, empty journal for `path`, beside it.
    pub fn create(path: &Path) -> Result<NewJournal, StorageError> {
        let mut name = path.file_name().map(OsString::from).unwrap_or_default();
        name.push(format!("{MADE_ASIDE}{}", std::process::id()));
        let new = NewJournal {
            made: path.with_file_name(name),
            path: path.to_owned(),
        };
        // A journal made aside by an earlier process of the same number,
        // which did not finish, goes first.
        remove_database(&new.made);
        Journal::create_aside(&new.made)?;
        Ok(new)
    }

    /// Gives the journal its name and opens it there. A hard link never
    /// replaces a file: a journal that another program made at `path`
    /// meanwhile is the one opened, and this one is removed. Where no link
    /// can be made, the journal is made in place, as [`Journal::open`] makes
    /// one.
    pub fn put_in_place(self) -> Result<Journal, StorageError> {
        if self.synced() {
            let _ = std::fs::hard_link(&self.made, &self.path);
        }
        Journal::open(&self.path)
    }

    /// Puts the journal on disk whole (nothing written into it waited for
    /// the disk), before it has a name that must survive a crash; false
    /// where it could not.
    fn synced(&self) -> bool {
        std::fs::File::open(&self.made)
            .and_then(|file| file.sync_all())
            .is_ok()
    }

    /// Opens the journal where it was made, to be written before it takes
    /// its name ([`NewJournal::take_name`]): no other program knows of it,
    /// and a process killed while writing it leaves nothing under the name.
    pub fn open(&self) -> Result<Journal, StorageError> {
        Journal::open_aside(&self.made)
    }

    /// Gives the journal, written and closed, its name; false where it
    /// cannot take it (a file has that name by now, or no link can be
    /// made). Either way, it is gone from where it was made.
    pub fn take_name(self) -> bool {
        if !(self.synced() && std::fs::hard_link(&self.made, &self.path).is_ok()) {
            return false;
        }
        // The name itself is put on disk: the import it holds is done. A
        // failure leaves it to the file system, as for any file written.
        if let Some(folder) = self.path.parent() {
            let folder = if folder.as_os_str().is_empty() {
                Path::new(".")
            } else {
                folder
            };
            let _ = std::fs::File::open(folder).and_then(|folder| folder.sync_all());
        }
        true
    }
}

impl Drop for NewJournal {
    fn drop(&mut self) {
        remove_database(&self.made);
    }
}

/// Removes a database file and the files SQLite keeps beside it.
pub(super) fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_journal_made_aside_takes_its_name_or_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let new = NewJournal::create(&path).unwrap();
        assert!(!path.exists());
        assert_eq!(names_in(dir.path()).len(), 1);
        drop(new);
        assert_eq!(names_in(dir.path()), Vec::<String>::new());

        let journal = NewJournal::create(&path).unwrap().put_in_place().unwrap();
        assert_eq!(journal.trade_count().unwrap(), 0);
        assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
        drop(journal);
        assert_eq!(names_in(dir.path()), ["j.sqlite"]);
    }

    fn journal_mode(path: &Path) -> String {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap()
    }

    fn schema(journal: &Journal) -> (i64, Vec<(String, String, Option<String>)>) {
        let mut stmt = journal
            .conn
            .prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name")
            .unwrap();
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (journal.schema_version().unwrap(), rows)
    }

    #[test]
    fn a_journal_made_aside_has_the_schema_of_one_made_in_place_and_no_wal_until_shared() {
        let (dir, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let in_place = Journal::open(&other.path().join("j.sqlite")).unwrap();
        let path = dir.path().join("j.sqlite");
        let new = NewJournal::create(&path).unwrap();
        // Made under a rollback journal kept in memory: nothing beside it.
        assert_eq!(names_in(dir.path()).len(), 1);
        assert_eq!(journal_mode(&new.made), "delete");

        let mut made = new.open().unwrap();
        assert_eq!(schema(&made), schema(&in_place));
        assert_eq!(made.integrity_check().unwrap(), ["ok"]);
        made.set_setting("written", "aside").unwrap();
        drop(made);
        assert_eq!(journal_mode(&new.made), "delete");
        assert!(new.take_name());

        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal_mode(&path), "wal");
        assert_eq!(
            journal.setting("written").unwrap().as_deref(),
            Some("aside")
        );
        assert_eq!(journal.integrity_check().unwrap(), ["ok"]);
    }

    #[test]
    fn journals_made_aside_by_processes_that_did_not_finish_go_at_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        for name in ["j.sqlite.new-4000000001", "j.sqlite.new-4000000001-wal"] {
            std::fs::write(dir.path().join(name), b"left").unwrap();
        }
        // This process's own is still being made: it stays.
        let new = NewJournal::create(&path).unwrap();
        drop(Journal::open(&path).unwrap());
        let own = format!("j.sqlite{MADE_ASIDE}{}", std::process::id());
        assert_eq!(names_in(dir.path()), ["j.sqlite".to_owned(), own]);
        drop(new);
        assert_eq!(names_in(dir.path()), ["j.sqlite"]);
    }

    #[test]
    fn a_journal_made_meanwhile_in_its_place_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let new = NewJournal::create(&path).unwrap();
        let mut other = Journal::open(&path).unwrap();
        other.set_setting("made by", "another program").unwrap();
        drop(other);
        let journal = new.put_in_place().unwrap();
        assert_eq!(
            journal.setting("made by").unwrap().as_deref(),
            Some("another program")
        );
        drop(journal);
        assert_eq!(names_in(dir.path()), ["j.sqlite"]);
    }
}
