//! The SQLite database and the content-addressed files beside it. All SQL of the daemon
//! lives in this folder: [`messages`] (mail received, attachments, quarantine),
//! [`tickets`] (tickets, events, thread ids, participants, ratings), [`outbox`] (mail
//! to send), [`skm`] (survey answers), [`report`] (statistics); [`key`] keeps the capability key file.
//!
//! Layout of `data_dir`: `loketd.sqlite` (WAL), `raw/<sha256>.eml` (every mail, named
//! by the hash of the mail as received, with the base64 body of each attachment kept
//! in `attachments/` cut out: see [`raw`]), `attachments/<sha256>` (each attachment
//! once, by content), `capability.key`. Files are written, fsynced and renamed into place, and their folder
//! fsynced, *before* the transaction that refers to them commits: a committed row never
//! names a missing file, even after a power loss; a crash in between leaves only an
//! orphan file. A fetched batch of mail is one transaction ([`Store::batch`]): its
//! files are fsynced together, then the two folders once, before the commit. A file
//! that does not hold what it is named for (a power loss before that fsync) is written
//! again, one that does is never replaced; a temp file left by a kill is removed when `run` or `once` starts.
//!
//! Schema changes are migrations numbered by SQLite's `user_version` (`schema.rs`).

pub mod backup;
pub mod compact;
mod detach;
pub mod health;
pub mod key;
pub mod kinerja;
pub mod lock;
pub mod messages;
pub mod outbox;
pub mod private;
pub mod prune;
pub(crate) mod queue;
pub mod raw;
pub mod report;
mod schema;
pub mod skm;
pub mod tickets;

use std::cell::RefCell;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use schema::MIGRATIONS;

/// The schema version this build writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Sql(rusqlite::Error),
    #[error("{0}")]
    Unknown(UnknownValue),
    #[error("there is no ticket #{0}")]
    NoTicket(i64),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this loketd knows ({known}); upgrade loketd"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

impl StoreError {
    /// The storage itself failed (disk, permissions, a lock held past the busy timeout,
    /// a damaged or too new database): the mail must stay in the inbox until it is
    /// fixed. Anything else (a constraint a row breaks, a missing ticket, a value this
    /// loketd does not know) is about the data being stored, and so about one mail.
    pub fn is_storage_failure(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::Db { .. } | StoreError::Io { .. } | StoreError::TooNew { .. } => true,
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _)) => !matches!(
                e.code,
                C::ConstraintViolation | C::TypeMismatch | C::TooBig | C::ParameterOutOfRange
            ),
            // A statement SQLite cannot prepare is not the mail's doing: hold the inbox
            // rather than quarantine everything.
            StoreError::Sql(rusqlite::Error::SqlInputError { .. }) => true,
            StoreError::Sql(_) | StoreError::Unknown(_) | StoreError::NoTicket(_) => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        // An unknown stored name (see `stored`) keeps its own message.
        if let rusqlite::Error::FromSqlConversionFailure(_, _, inner) = &e
            && let Some(u) = inner.downcast_ref::<UnknownValue>()
        {
            return StoreError::Unknown(u.clone());
        }
        StoreError::Sql(e)
    }
}

/// A stored name this loketd does not know: written by a newer version or by hand.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "{table} row {id}: {column} is {value:?}, which this loketd does not know (a newer loketd or a hand edit wrote it)"
)]
pub struct UnknownValue {
    pub table: &'static str,
    pub id: i64,
    pub column: &'static str,
    pub value: String,
}

/// Reads column `idx` (a stored name) of a `table` row as its enum; an unknown name is
/// an error naming the row, never a default.
pub(crate) fn stored<T: FromStr>(
    r: &Row<'_>,
    idx: usize,
    table: &'static str,
    column: &'static str,
    id: i64,
) -> rusqlite::Result<T> {
    let value: String = r.get(idx)?;
    value.parse().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            Box::new(UnknownValue {
                table,
                id,
                column,
                value,
            }),
        )
    })
}

pub struct Store {
    conn: Connection,
    dir: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        for sub in ["", "raw", "attachments"] {
            let p = data_dir.join(sub);
            fs::create_dir_all(&p).map_err(|source| StoreError::Io { path: p, source })?;
        }
        let path = data_dir.join("loketd.sqlite");
        let db = |source| StoreError::Db {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(db)?;
        // Another process (a CLI call, a backup) may hold the lock briefly: wait, do not fail.
        conn.busy_timeout(Duration::from_secs(30)).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        // Every statement a mail runs stays prepared (see [`Cached`]); ingest runs
        // about sixty distinct ones.
        conn.set_prepared_statement_cache_capacity(256);
        // A fixed plan per statement: without this, SQLite 3.54 marks most statements
        // with a range, ORDER BY or LIMIT to be compiled again whenever a parameter is
        // bound (to fit the plan to the value), which undid the cache above: a quarter
        // of ingest's CPU. The database has no ANALYZE statistics for values to matter.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(db)?;
        // Each mail is a savepoint: its journal of changed pages stays in memory (a few
        // pages a mail) instead of being written to a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(db)?;
        let mut store = Store {
            conn,
            dir: data_dir.to_path_buf(),
        };
        store.migrate(&path)?;
        Ok(store)
    }

    fn migrate(&mut self, path: &Path) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            crate::failpoint::hit(crate::failpoint::MIGRATION);
            tx.commit()?;
        }
        Ok(())
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A write transaction. IMMEDIATE takes the write lock at BEGIN, where the busy
    /// timeout applies: a deferred one that reads first and then writes gets
    /// "database is locked" at once when another process holds the lock (SQLite does
    /// not wait there, to avoid a deadlock), and the pass would stop for nothing.
    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// A write transaction (as [`Store::transaction`]) and the files written for it:
    /// one fetched batch of mail. [`Files::sync`] comes before the commit.
    pub(crate) fn batch(&mut self) -> Result<(Transaction<'_>, Files<'_>), StoreError> {
        let Store { conn, dir } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok((
            tx,
            Files {
                dir,
                written: RefCell::new(Vec::new()),
            },
        ))
    }

    /// Keeps an attachment once by content, its folder fsynced; returns the hash.
    #[cfg(test)]
    pub(crate) fn save_attachment(&self, data: &[u8]) -> Result<String, StoreError> {
        let files = Files {
            dir: &self.dir,
            written: RefCell::new(Vec::new()),
        };
        let hash = files.save_attachment(data)?;
        files.sync()?;
        Ok(hash)
    }

    #[cfg(test)]
    pub(crate) fn attachment_path(&self, sha256: &str) -> PathBuf {
        attachment_path(&self.dir, sha256)
    }

    /// UIDVALIDITY and last processed UID of a folder, if seen before.
    pub fn folder_state(&self, folder: &str) -> Result<Option<(u32, u32)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM folder_state WHERE folder = ?1",
                [folder],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Whether this (folder, uidvalidity, uid) was already stored or quarantined, so
    /// that a mail left in the inbox by a crash between commit and MOVE is only moved.
    pub(crate) fn seen_uid(
        &self,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
    ) -> Result<Option<Disposition>, StoreError> {
        let stored: Option<i64> = self
            .conn
            .one(
                "SELECT id FROM messages WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3",
                params![folder, uidvalidity, uid],
                |r| r.get(0),
            )
            .optional()?;
        if stored.is_some() {
            return Ok(Some(Disposition::Processed));
        }
        let quarantined: Option<i64> = self
            .conn
            .one(
                "SELECT id FROM quarantine WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3",
                params![folder, uidvalidity, uid],
                |r| r.get(0),
            )
            .optional()?;
        Ok(quarantined.map(|_| Disposition::Quarantined))
    }

    /// Removes the temp files of a process killed while it wrote one
    /// (`<sha256>.tmp<pid>` under `raw/` and `attachments/`): no row names them. For
    /// the process that holds the data lock (`run`, `once`), before it writes any.
    pub fn remove_temp_files(&self) -> Result<usize, StoreError> {
        let mut removed = 0;
        for sub in ["raw", "attachments"] {
            let dir = self.dir.join(sub);
            let io = |source| StoreError::Io {
                path: dir.clone(),
                source,
            };
            for entry in fs::read_dir(&dir).map_err(io)? {
                let path = entry.map_err(io)?.path();
                let temp = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .and_then(|e| e.strip_prefix("tmp"))
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
                if temp {
                    fs::remove_file(&path).map_err(|source| StoreError::Io { path, source })?;
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, "temp files of an interrupted write removed");
        }
        Ok(removed)
    }

    /// Runs SQLite's own consistency check; "ok" when healthy.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Statements through the connection's statement cache. Preparing an SQL statement
/// costs more than running it: before this, a fifth of ingest's CPU went to SQLite's
/// parser, once per statement per mail.
pub(crate) trait Cached {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn one<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn one<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// The content-addressed files of one batch. [`Files::sync`], before the transaction
/// naming them commits, makes them durable all at once rather than one after each
/// write: each file, then each folder once, or one `syncfs` for a large batch.
pub(crate) struct Files<'a> {
    dir: &'a Path,
    /// Written and renamed into place, or found in place, not yet fsynced.
    written: RefCell<Vec<PathBuf>>,
}

impl Files<'_> {
    /// Keeps the raw mail whole under `raw/<sha256>.eml`; returns the hash.
    pub(crate) fn save_raw(&self, raw: &[u8]) -> Result<String, StoreError> {
        self.save_raw_cut(raw, &[])
    }

    /// Keeps the raw mail under `raw/<sha256>.eml` (the hash of `raw` as received),
    /// with each of `bodies` (attachments saved for this mail) that its file gives back
    /// exactly cut out (see [`raw`]); returns the hash. A file already there that
    /// stands for the mail (kept whole, or cut) is kept as it is.
    pub(crate) fn save_raw_cut(
        &self,
        raw: &[u8],
        bodies: &[raw::Body<'_>],
    ) -> Result<String, StoreError> {
        let hash = sha256_hex(raw);
        let path = raw::raw_path(self.dir, &hash);
        let cut = raw::cut(raw, bodies);
        let data = cut.as_deref().unwrap_or(raw);
        let stands_for_it = |existing: &[u8]| raw::stands_for(existing, self.dir, &hash);
        self.save(path, data, stands_for_it)?;
        Ok(hash)
    }

    /// Keeps an attachment once by content; returns the hash.
    pub(crate) fn save_attachment(&self, data: &[u8]) -> Result<String, StoreError> {
        let hash = sha256_hex(data);
        self.save(attachment_path(self.dir, &hash), data, |_| false)?;
        Ok(hash)
    }

    fn save(
        &self,
        path: PathBuf,
        data: &[u8],
        valid: impl FnOnce(&[u8]) -> bool,
    ) -> Result<(), StoreError> {
        // Compared as bytes: every path here is built the same way from `dir`, and a
        // `Path` comparison parses both into components (for each file of the batch).
        let same = |p: &PathBuf| p.as_os_str() == path.as_os_str();
        if self.written.borrow().iter().any(same) {
            return Ok(());
        }
        // A file found in place is fsynced too: a process killed before its batch's
        // fsync may have left it in the page cache only. Fsyncing a clean file costs
        // next to nothing.
        write_once(&path, data, valid)?;
        self.written.borrow_mut().push(path);
        Ok(())
    }

    /// Makes every file written, and the folders they went into, durable before the
    /// commit that names them. A few files (the daemon's everyday mail) are fsynced
    /// one by one, then each folder. A batch of many (a backlog) is made durable on
    /// Linux by one `syncfs` of the data folder's file system: an fsync per file costs
    /// a synchronous inode write each (a third of a 2,000-mail backlog's time on an
    /// ext4 without journal), where the file system writes a batch's inodes together.
    /// `syncfs` also flushes what other programs wrote to that file system, which is
    /// why it waits for a batch large enough to be worth it.
    pub(crate) fn sync(&self) -> Result<(), StoreError> {
        let mut written = self.written.borrow_mut();
        if written.is_empty() {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        if written.len() > SYNCFS_FROM {
            sync_path(self.dir.to_path_buf(), |d| {
                rustix::fs::syncfs(d).map_err(std::io::Error::from)
            })?;
            written.clear();
            return Ok(());
        }
        for path in written.drain(..) {
            sync_path(path, fs::File::sync_all)?;
        }
        for sub in ["raw", "attachments"] {
            sync_path(self.dir.join(sub), fs::File::sync_all)?;
        }
        Ok(())
    }
}

/// A batch that wrote more files than this is made durable by one `syncfs` (Linux).
#[cfg(target_os = "linux")]
const SYNCFS_FROM: usize = 16;

/// Opens `path` (a file or a folder) and makes it durable with `sync`.
fn sync_path(
    path: PathBuf,
    sync: impl FnOnce(&fs::File) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    fs::File::open(&path)
        .and_then(|f| sync(&f))
        .map_err(|source| StoreError::Io { path, source })
}

/// Where a processed mail goes on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    Processed,
    Quarantined,
}

pub(crate) fn set_folder_state(
    conn: &Connection,
    folder: &str,
    uidvalidity: u32,
    last_uid: u32,
) -> Result<(), StoreError> {
    conn.exec(
        "INSERT INTO folder_state (folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
         ON CONFLICT(folder) DO UPDATE SET uidvalidity = ?2, last_uid = MAX(
             CASE WHEN folder_state.uidvalidity = ?2 THEN folder_state.last_uid ELSE 0 END, ?3)",
        params![folder, uidvalidity, last_uid],
    )?;
    Ok(())
}

/// Where the attachment with content hash `sha256` is kept under `data_dir` (for the
/// command line; the hash comes from the store).
pub fn attachment_file(data_dir: &Path, sha256: &str) -> PathBuf {
    attachment_path(data_dir, sha256)
}

/// Where the attachment with content hash `sha256` is kept under `data_dir`.
pub(crate) fn attachment_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("attachments").join(sha256)
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Writes a content-addressed file once: temp file, rename (the file and its folder are
/// fsynced by [`Files::sync`]). An existing file is kept when it
/// holds `data`, or else what `valid` accepts (it stands for the same content in
/// another form: a raw mail kept whole before it could be cut); a file a committed row
/// names is never replaced, so a power loss cannot take it. Any other file (cut short
/// by a power loss before its batch's fsync, so never named by a committed row) is
/// written again.
fn write_once(
    path: &Path,
    data: &[u8],
    valid: impl FnOnce(&[u8]) -> bool,
) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    match fs::read(path) {
        Ok(existing) if existing == data || valid(&existing) => return Ok(()),
        Ok(_) => {
            tracing::warn!(path = %path.display(), "stored file does not hold what it is named for; written again");
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(data).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn open_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let v: i64 = s
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        drop(s);
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.integrity_check().unwrap(), "ok");
        let mode: String = s
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_cached_statement_is_compiled_once_not_at_every_use() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        // As ingest looks up a new ticket's colleagues: ORDER BY on a bound key, the
        // shape SQLite 3.54 otherwise compiles again at each bind.
        let sql = "SELECT name, address FROM copied WHERE ticket_id = ?1 ORDER BY address";
        for ticket in 1..=3 {
            let _: Vec<String> = s
                .conn()
                .prepare_cached(sql)
                .unwrap()
                .query_map([ticket], |r| r.get(1))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        }
        let stmt = s.conn().prepare_cached(sql).unwrap();
        assert_eq!(
            stmt.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "the cached statement was compiled again"
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let c = Connection::open(dir.path().join("loketd.sqlite")).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let e = Store::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains("upgrade loketd"), "{e}");
    }

    #[test]
    fn folder_state_resets_on_new_uidvalidity() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.folder_state("INBOX").unwrap(), None);
        set_folder_state(s.conn(), "INBOX", 7, 10).unwrap();
        set_folder_state(s.conn(), "INBOX", 7, 5).unwrap();
        assert_eq!(s.folder_state("INBOX").unwrap(), Some((7, 10)));
        set_folder_state(s.conn(), "INBOX", 8, 3).unwrap();
        assert_eq!(s.folder_state("INBOX").unwrap(), Some((8, 3)));
    }

    #[test]
    fn temp_files_of_a_killed_write_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let kept = s.save_attachment(b"kept").unwrap();
        let raw = dir.path().join("raw");
        fs::write(raw.join(format!("{kept}.tmp4242")), b"").unwrap();
        fs::write(raw.join("notes.tmpx"), b"").unwrap();
        fs::write(s.attachment_path(&format!("{kept}.tmp7")), b"half").unwrap();
        assert_eq!(s.remove_temp_files().unwrap(), 2);
        let mut left: Vec<String> = ["raw", "attachments"]
            .iter()
            .flat_map(|d| fs::read_dir(dir.path().join(d)).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [kept, "notes.tmpx".to_string()]);
    }

    #[test]
    fn a_stored_file_cut_short_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let data = b"the whole file".repeat(1000);
        let path = s.attachment_path(&sha256_hex(&data));
        // A power loss before the batch's fsync left the name with part of the bytes.
        fs::write(&path, &data[..100]).unwrap();
        s.save_attachment(&data).unwrap();
        assert_eq!(fs::read(&path).unwrap(), data);
    }

    #[test]
    fn a_raw_mail_that_stands_for_its_mail_is_kept_and_one_cut_short_is_written_again() {
        use raw::sample::{file, wrapped};
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        let data = file(60_000);
        let raw = format!(
            "From: a@satker.example\r\nSubject: SPM\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
             Content-Type: text/plain\r\n\r\nTerlampir.\r\n--b\r\n\
             Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            wrapped(&data, 76, "\r\n")
        )
        .into_bytes();
        // One batch as ingest writes it.
        let save = |s: &mut Store| {
            let (_tx, files) = s.batch().unwrap();
            let mut m = crate::mail::parse::parse(&raw).unwrap();
            for a in &mut m.attachments {
                a.stored = Some(files.save_attachment(&a.data).unwrap());
            }
            let sha = files
                .save_raw_cut(&raw, &raw::bodies(&m.attachments))
                .unwrap();
            // Written or found in place: fsynced before the commit all the same (a
            // killed run may have left them unsynced).
            assert_eq!(
                files.written.borrow().len(),
                2,
                "the attachment and the raw mail"
            );
            files.sync().unwrap();
            sha
        };
        // A file written again is a new file (temp file, rename): a new inode.
        let inode = |p: &Path| {
            use std::os::unix::fs::MetadataExt;
            fs::metadata(p).unwrap().ino()
        };
        let sha = save(&mut s);
        let path = raw::raw_path(dir.path(), &sha);
        let cut = fs::read(&path).unwrap();
        assert!(cut.len() < 1_000, "{} bytes", cut.len());
        assert_eq!(raw::read(dir.path(), &sha).unwrap(), raw);
        // The same mail again (fetched again after a crash before the commit): the cut
        // file, whose content does not hash to its name, stays as it is.
        let first = inode(&path);
        save(&mut s);
        assert_eq!(inode(&path), first, "the cut file was written again");
        // Cut short by a power loss before the batch's fsync: written again.
        fs::write(&path, &cut[..cut.len() / 2]).unwrap();
        save(&mut s);
        assert_ne!(inode(&path), first, "the file cut short was kept");
        assert_eq!(fs::read(&path).unwrap(), cut);
        // Kept whole (by a loketd before the cut, or a quarantined mail): it stands for
        // the mail and is never replaced.
        fs::write(&path, &raw).unwrap();
        let whole = inode(&path);
        save(&mut s);
        assert_eq!(inode(&path), whole, "the whole raw mail was replaced");
        assert_eq!(fs::read(&path).unwrap(), raw);
        assert_eq!(raw::read(dir.path(), &sha).unwrap(), raw);
    }

    #[test]
    fn files_are_stored_once_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = s.save_attachment(b"same").unwrap();
        let b = s.save_attachment(b"same").unwrap();
        assert_eq!(a, b);
        assert_eq!(fs::read(s.attachment_path(&a)).unwrap(), b"same");
        assert_eq!(
            fs::read_dir(dir.path().join("attachments"))
                .unwrap()
                .count(),
            1
        );
    }
}
