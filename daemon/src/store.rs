//! The SQLite database and the content-addressed files beside it.
//!
//! Layout of `data_dir`: `loketd.sqlite` (WAL), `raw/<sha256>.eml` (every mail as
//! received), `attachments/<sha256>` (each attachment once, by content). Files are
//! written (and fsynced) *before* the transaction that refers to them, so a committed
//! row never points at a missing file; a crash in between leaves only an orphan file.
//!
//! Schema changes are migrations numbered by SQLite's `user_version`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
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

/// Migrations in order; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE folder_state (
        folder      TEXT PRIMARY KEY,
        uidvalidity INTEGER NOT NULL,
        last_uid    INTEGER NOT NULL
    );
    CREATE TABLE tickets (
        id                INTEGER PRIMARY KEY,
        service           TEXT NOT NULL,
        subject           TEXT NOT NULL,
        requester         TEXT NOT NULL,
        requester_name    TEXT,
        status            TEXT NOT NULL,
        assignee          TEXT,
        section           TEXT,
        created_at        TEXT NOT NULL,
        due_at            TEXT,
        escalation_due_at TEXT,
        first_response_at TEXT,
        resolved_at       TEXT,
        closed_at         TEXT,
        paused_at         TEXT,
        last_progress_at  TEXT,
        previous_ticket   INTEGER REFERENCES tickets(id),
        root_message_id   TEXT
    );
    CREATE INDEX tickets_status ON tickets(status);
    -- Every mail received. dedup_key is "mid:<Message-ID>:<content hash>" or, for a mail
    -- without Message-ID, "uid:<uidvalidity>:<uid>": a re-fetch is a no-op, while a
    -- different mail that reuses a Message-ID is still kept.
    CREATE TABLE messages (
        id          INTEGER PRIMARY KEY,
        dedup_key   TEXT NOT NULL UNIQUE,
        message_id  TEXT,
        raw_sha256  TEXT NOT NULL,
        ticket_id   INTEGER REFERENCES tickets(id),
        folder      TEXT,
        uidvalidity INTEGER,
        uid         INTEGER,
        kind        TEXT NOT NULL,
        reason      TEXT,
        sender      TEXT,
        subject     TEXT NOT NULL DEFAULT '',
        body        TEXT NOT NULL DEFAULT '',
        size        INTEGER NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX messages_uid ON messages(folder, uidvalidity, uid);
    CREATE INDEX messages_ticket ON messages(ticket_id);
    CREATE INDEX messages_sender ON messages(sender, received_at);
    -- Every Message-ID we know belongs to a ticket: received and sent. Threads are
    -- followed through In-Reply-To/References by looking ids up here.
    -- kind: 'in' (received), 'out' (sent to the stakeholder), 'staff' (sent to staff:
    -- a reply to it comes from staff, never from the stakeholder).
    CREATE TABLE thread_ids (
        message_id TEXT PRIMARY KEY,
        ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
        kind       TEXT NOT NULL
    );
    -- Staff who took part in a ticket: they get its notes and news.
    CREATE TABLE participants (
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        address   TEXT NOT NULL,
        PRIMARY KEY (ticket_id, address)
    );
    -- Satisfaction answers (IKM scale 1-4).
    CREATE TABLE ratings (
        ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
        score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 4),
        comment     TEXT NOT NULL DEFAULT '',
        at          TEXT NOT NULL,
        message_row INTEGER REFERENCES messages(id)
    );
    -- Small settings the daemon keeps (round-robin position).
    CREATE TABLE kv (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE attachments (
        id          INTEGER PRIMARY KEY,
        message_row INTEGER NOT NULL REFERENCES messages(id),
        sha256      TEXT NOT NULL,
        filename    TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size        INTEGER NOT NULL
    );
    CREATE INDEX attachments_message ON attachments(message_row);
    -- The ticket's history; its status is derivable from the last to_status.
    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        kind        TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT,
        message_row INTEGER REFERENCES messages(id),
        detail      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_ticket ON events(ticket_id);
    -- Mail to send. `dedup` makes a scheduled mail idempotent across restarts.
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        ticket_id       INTEGER REFERENCES tickets(id),
        kind            TEXT NOT NULL,
        message_id      TEXT NOT NULL UNIQUE,
        recipients      TEXT NOT NULL,
        raw             BLOB NOT NULL,
        automatic       INTEGER NOT NULL,
        dedup           TEXT UNIQUE,
        status          TEXT NOT NULL DEFAULT 'pending',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        sent_at         TEXT
    );
    CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);
    CREATE INDEX outbox_recipient ON outbox(recipients, created_at);
    -- Mail that could not be processed: kept on the server in the quarantine folder
    -- and recorded here with the reason.
    CREATE TABLE quarantine (
        id          INTEGER PRIMARY KEY,
        folder      TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid         INTEGER NOT NULL,
        raw_sha256  TEXT,
        sender      TEXT,
        size        INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        at          TEXT NOT NULL,
        UNIQUE(folder, uidvalidity, uid)
    );
    "#,
    // 2: `loketd report --from/--to` selects tickets by creation time.
    r#"
    CREATE INDEX tickets_created ON tickets(created_at);
    "#,
];

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
    pub fn transaction(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keeps the raw mail under `raw/<sha256>.eml`; returns the hash.
    pub fn save_raw(&self, raw: &[u8]) -> Result<String, StoreError> {
        let hash = sha256_hex(raw);
        let path = self.dir.join("raw").join(format!("{hash}.eml"));
        write_once(&path, raw)?;
        Ok(hash)
    }

    pub fn raw_path(&self, sha256: &str) -> PathBuf {
        self.dir.join("raw").join(format!("{sha256}.eml"))
    }

    /// Keeps an attachment once by content; returns the hash.
    pub fn save_attachment(&self, data: &[u8]) -> Result<String, StoreError> {
        let hash = sha256_hex(data);
        write_once(&self.attachment_path(&hash), data)?;
        Ok(hash)
    }

    pub fn attachment_path(&self, sha256: &str) -> PathBuf {
        self.dir.join("attachments").join(sha256)
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

    pub fn set_folder_state(
        &self,
        folder: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> Result<(), StoreError> {
        set_folder_state(&self.conn, folder, uidvalidity, last_uid)
    }

    /// Whether this (folder, uidvalidity, uid) was already stored or quarantined, so
    /// that a mail left in the inbox by a crash between commit and MOVE is only moved.
    pub fn seen_uid(
        &self,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
    ) -> Result<Option<Disposition>, StoreError> {
        let stored: Option<i64> = self
            .conn
            .query_row(
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
            .query_row(
                "SELECT id FROM quarantine WHERE folder = ?1 AND uidvalidity = ?2 AND uid = ?3",
                params![folder, uidvalidity, uid],
                |r| r.get(0),
            )
            .optional()?;
        Ok(quarantined.map(|_| Disposition::Quarantined))
    }

    /// Runs SQLite's own consistency check; "ok" when healthy.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Where a processed mail goes on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Processed,
    Quarantined,
}

pub fn set_folder_state(
    conn: &Connection,
    folder: &str,
    uidvalidity: u32,
    last_uid: u32,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO folder_state (folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
         ON CONFLICT(folder) DO UPDATE SET uidvalidity = ?2, last_uid = MAX(
             CASE WHEN folder_state.uidvalidity = ?2 THEN folder_state.last_uid ELSE 0 END, ?3)",
        params![folder, uidvalidity, last_uid],
    )?;
    Ok(())
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Writes a content-addressed file once: temp file, fsync, rename. An existing file
/// with the same name already has the same content.
fn write_once(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    if path.exists() {
        return Ok(());
    }
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(data).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
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
        s.set_folder_state("INBOX", 7, 10).unwrap();
        s.set_folder_state("INBOX", 7, 5).unwrap();
        assert_eq!(s.folder_state("INBOX").unwrap(), Some((7, 10)));
        s.set_folder_state("INBOX", 8, 3).unwrap();
        assert_eq!(s.folder_state("INBOX").unwrap(), Some((8, 3)));
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
