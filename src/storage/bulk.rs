//! INSERT statements run many times over, binding text without copying it.
//!
//! rusqlite hands every text value to SQLite as `SQLITE_TRANSIENT`, so SQLite
//! copies it into memory of its own: an allocation, a copy and a free for each
//! value. Writing a large import binds millions of short texts, and those
//! copies cost about a third of the time SQLite takes. A [`BulkInsert`]
//! binds text as `SQLITE_STATIC` instead, and SQLite reads the caller's bytes
//! where they are.
//!
//! That is sound while the bytes stay alive and unchanged until SQLite no
//! longer needs them, and this module's interface makes it so: the values
//! are bound, the statement run and reset, and the bindings cleared, all
//! inside one call to [`BulkInsert::execute`], which borrows the values for
//! the whole call. Nothing is left bound between calls, and every parameter
//! is bound in each call.
#![allow(unsafe_code)] // The one module that binds SQLite text; every block has a SAFETY comment.

use std::ffi::{CStr, c_char, c_int};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::OnceLock;

use rusqlite::{Connection, ffi};

/// A value to bind: only the kinds an import writes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value<'v> {
    Integer(i64),
    Text(&'v str),
    Blob(&'v [u8]),
    Null,
}

impl<'v> From<Option<&'v str>> for Value<'v> {
    fn from(text: Option<&'v str>) -> Self {
        text.map_or(Value::Null, Value::Text)
    }
}

/// A prepared statement of the connection it borrows, which it cannot
/// outlive, run on the connection's thread only (it is neither `Send` nor
/// `Sync`, as it holds raw pointers).
pub(super) struct BulkInsert<'c> {
    statement: NonNull<ffi::sqlite3_stmt>,
    db: *mut ffi::sqlite3,
    parameters: usize,
    connection: PhantomData<&'c Connection>,
}

/// The error SQLite reports for `code`, with the connection's message.
fn error(db: *mut ffi::sqlite3, code: c_int) -> rusqlite::Error {
    // SAFETY: `db` is the open connection the failing call was made on;
    // sqlite3_errmsg returns a NUL-terminated string that stays valid until
    // the next call on the connection, and it is copied before that.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned();
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(message))
}

impl<'c> BulkInsert<'c> {
    /// Prepares `sql` (one statement) on `connection`.
    pub(super) fn prepare(connection: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        let length = c_int::try_from(sql.len()).map_err(|_| {
            rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_TOOBIG), None)
        })?;
        // SAFETY: the handle is only used while `connection` is borrowed
        // (the lifetime 'c), on this thread, for calls that rusqlite's own
        // statements make too.
        let db = unsafe { connection.handle() };
        let mut statement = std::ptr::null_mut();
        // SAFETY: `sql` is valid for `length` bytes; SQLite does not keep the
        // pointer; `statement` receives a new statement or NULL.
        let code = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                sql.as_ptr().cast::<c_char>(),
                length,
                &mut statement,
                std::ptr::null_mut(),
            )
        };
        if code != ffi::SQLITE_OK {
            return Err(error(db, code));
        }
        let statement = NonNull::new(statement).ok_or(rusqlite::Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_MISUSE),
            None,
        ))?;
        // SAFETY: `statement` is the valid statement just prepared.
        let parameters = unsafe { ffi::sqlite3_bind_parameter_count(statement.as_ptr()) };
        Ok(BulkInsert {
            statement,
            db,
            parameters: usize::try_from(parameters).unwrap_or(0),
            connection: PhantomData,
        })
    }

    /// Binds `values` to parameters 1, 2, ... (every parameter of the
    /// statement, no more and no less), runs the statement, and leaves it
    /// reset with nothing bound.
    pub(super) fn execute(&mut self, values: &[Value<'_>]) -> rusqlite::Result<()> {
        if values.len() != self.parameters {
            return Err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                self.parameters,
            ));
        }
        let statement = self.statement.as_ptr();
        let mut code = ffi::SQLITE_OK;
        for (index, value) in values.iter().enumerate() {
            // Fewer than `parameters` <= c_int::MAX of them.
            let index = (index + 1) as c_int;
            // SAFETY: `statement` is valid and `index` is one of its
            // parameters. A text or blob is bound as SQLITE_STATIC: it is borrowed
            // for this whole call, and the bindings are cleared below,
            // before the call returns, so SQLite never reads it afterwards.
            code = unsafe {
                match *value {
                    Value::Integer(n) => ffi::sqlite3_bind_int64(statement, index, n),
                    Value::Text(text) => ffi::sqlite3_bind_text64(
                        statement,
                        index,
                        // An empty `&str` may point nowhere (a `String::new()`
                        // holds a dangling pointer); a static one points at
                        // valid memory, as SQLite expects of any pointer.
                        if text.is_empty() { "" } else { text }
                            .as_ptr()
                            .cast::<c_char>(),
                        text.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Value::Blob(bytes) => ffi::sqlite3_bind_blob64(
                        statement,
                        index,
                        // As for text: an empty slice may point nowhere.
                        if bytes.is_empty() { &[0u8][..0] } else { bytes }
                            .as_ptr()
                            .cast(),
                        bytes.len() as u64,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Null => ffi::sqlite3_bind_null(statement, index),
                }
            };
            if code != ffi::SQLITE_OK {
                break;
            }
        }
        if code == ffi::SQLITE_OK {
            // SAFETY: every parameter is bound, to values alive until the
            // call returns.
            code = match unsafe { ffi::sqlite3_step(statement) } {
                ffi::SQLITE_DONE | ffi::SQLITE_ROW => ffi::SQLITE_OK,
                failed => failed,
            };
        }
        let result = if code == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error(self.db, code))
        };
        // SAFETY: `statement` is valid; resetting it and clearing its
        // bindings drops every reference it holds to `values`.
        unsafe {
            ffi::sqlite3_reset(statement);
            ffi::sqlite3_clear_bindings(statement);
        }
        result
    }
}

/// The `INSERT` of `rows` rows: `head` with the `VALUES` of rows
/// `0..rows`, each written by `row`.
pub(super) fn multi_row_insert(head: &str, rows: usize, row: impl Fn(usize) -> String) -> String {
    let values: Vec<String> = (0..rows).map(row).collect();
    format!("{head} VALUES {}", values.join(", "))
}

/// The statement of `rows` rows kept in `cache`, written by `make` the
/// first time it is asked for: an import needs the longest one and at most
/// a few shorter ones, so the others are never written.
pub(super) fn cached_insert<const N: usize>(
    cache: &'static [OnceLock<String>; N],
    rows: usize,
    make: impl FnOnce(usize) -> String,
) -> &'static str {
    // Callers cut their rows into chunks of at most `N - 1`.
    cache[rows].get_or_init(|| make(rows))
}

/// Inserts the rows whose parameters are `values`: with `full` when there
/// are `max` rows, else with the cached statement `sql(rows)` (whose
/// texts and bytes rusqlite binds as copies: only the last rows of a write).
pub(super) fn insert_rows(
    conn: &Connection,
    full: &mut BulkInsert<'_>,
    max: usize,
    rows: usize,
    sql: fn(usize) -> &'static str,
    values: &[Value<'_>],
) -> rusqlite::Result<()> {
    if rows == max {
        full.execute(values)?;
    } else {
        let mut insert = conn.prepare_cached(sql(rows))?;
        for (index, value) in values.iter().enumerate() {
            match *value {
                Value::Integer(n) => insert.raw_bind_parameter(index + 1, n)?,
                Value::Text(text) => insert.raw_bind_parameter(index + 1, text)?,
                Value::Blob(bytes) => insert.raw_bind_parameter(index + 1, bytes)?,
                Value::Null => insert.raw_bind_parameter(index + 1, rusqlite::types::Null)?,
            }
        }
        insert.raw_execute()?;
    }
    Ok(())
}

impl Drop for BulkInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is valid and finalized once, here; the
        // connection it belongs to is still open (it is borrowed for 'c).
        unsafe {
            ffi::sqlite3_finalize(self.statement.as_ptr());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_go_in_and_errors_carry_sqlite_s_message() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER NOT NULL, s TEXT, UNIQUE (n)) STRICT")
            .unwrap();
        {
            let mut insert =
                BulkInsert::prepare(&conn, "INSERT INTO t VALUES (?1, ?2), (?3, ?4)").unwrap();
            for n in 0..3i64 {
                let text = format!("row {n}");
                insert
                    .execute(&[
                        Value::Integer(2 * n),
                        Value::Text(&text),
                        Value::Integer(2 * n + 1),
                        Value::from(None),
                    ])
                    .unwrap();
            }
            let error = insert
                .execute(&[
                    Value::Integer(0),
                    Value::Text("again"),
                    Value::Integer(9),
                    Value::Null,
                ])
                .unwrap_err();
            assert!(error.to_string().contains("UNIQUE"), "{error}");
            assert!(matches!(
                insert.execute(&[Value::Integer(1)]),
                Err(rusqlite::Error::InvalidParameterCount(1, 4))
            ));
            let error = BulkInsert::prepare(&conn, "INSERT INTO nowhere VALUES (1)")
                .err()
                .unwrap();
            assert!(error.to_string().contains("nowhere"), "{error}");
        }
        let rows: Vec<(i64, Option<String>)> = conn
            .prepare("SELECT n, s FROM t ORDER BY n")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[2], (2, Some("row 1".to_owned())));
        assert_eq!(rows[3], (3, None));
    }

    #[test]
    fn blobs_go_in_as_they_are_even_empty() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE b (n INTEGER NOT NULL, x BLOB NOT NULL) STRICT")
            .unwrap();
        {
            let mut insert = BulkInsert::prepare(&conn, "INSERT INTO b VALUES (?1, ?2)").unwrap();
            for n in 0..3u8 {
                let bytes: Vec<u8> = (0..n).map(|i| i * 7).collect();
                insert
                    .execute(&[Value::Integer(i64::from(n)), Value::Blob(&bytes)])
                    .unwrap();
            }
        }
        let rows: Vec<Vec<u8>> = conn
            .prepare("SELECT x FROM b ORDER BY n")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [vec![], vec![0], vec![0, 7]]);
    }
}
