//! Mail received: one row per mail (keyed so a re-fetch is a no-op), its attachments,
//! and the quarantine of mail that could not be processed.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::Cached;
use super::{StoreError, sha256_hex, stored};
use crate::rules::kinds::MessageKind;

/// Where a mail came from on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub folder: String,
    pub uidvalidity: u32,
    pub uid: u32,
}

/// A received mail, to store.
pub(crate) struct NewMessage<'a> {
    /// `mid:<Message-ID>:<content hash>`, or `uid:<folder>:<uidvalidity>:<uid>` for a
    /// mail without Message-ID.
    pub dedup_key: &'a str,
    pub message_id: Option<&'a str>,
    pub raw_sha256: &'a str,
    pub source: &'a Source,
    pub sender: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub size: usize,
    pub attachments: &'a [NewAttachment<'a>],
}

/// An attachment whose file is already saved under `attachments/<sha256>`.
pub(crate) struct NewAttachment<'a> {
    pub sha256: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: usize,
}

/// Whether a mail with this key is stored already.
pub(crate) fn exists(conn: &Connection, dedup_key: &str) -> Result<bool, StoreError> {
    Ok(conn
        .one(
            "SELECT id FROM messages WHERE dedup_key = ?1",
            [dedup_key],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .is_some())
}

/// Mails from `sender` with exactly this body since `since` (the loop guard), found by
/// the body's hash in an index: a backlog of one sender's mail must not read every
/// body of theirs for every mail. (Rows stored before schema 8 have no hash; an hour
/// after the upgrade none of them is inside the guard's window.)
pub(crate) fn count_same_text(
    conn: &Connection,
    sender: &str,
    body: &str,
    since: DateTime<Utc>,
) -> Result<u32, StoreError> {
    Ok(conn.one(
        "SELECT COUNT(*) FROM messages
         WHERE sender = ?1 AND body_sha256 = ?2 AND received_at >= ?3",
        params![sender, sha256_hex(body.as_bytes()), since],
        |r| r.get(0),
    )?)
}

/// Stores the mail (and its attachment rows) as `kind`, on `ticket` when it belongs to
/// one; `reason` says why it was not acted on. Returns the row id.
pub(crate) fn insert(
    conn: &Connection,
    m: &NewMessage<'_>,
    ticket: Option<i64>,
    kind: MessageKind,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let kind: &'static str = kind.into();
    conn.exec(
        "INSERT INTO messages (dedup_key, message_id, raw_sha256, ticket_id, folder, uidvalidity,
                               uid, kind, reason, sender, subject, body, size, received_at,
                               body_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            m.dedup_key,
            m.message_id,
            m.raw_sha256,
            ticket,
            m.source.folder,
            m.source.uidvalidity,
            m.source.uid,
            kind,
            reason,
            m.sender,
            m.subject,
            m.body,
            m.size as i64,
            at,
            sha256_hex(m.body.as_bytes())
        ],
    )?;
    let row = conn.last_insert_rowid();
    for a in m.attachments {
        conn.exec(
            "INSERT INTO attachments (message_row, sha256, filename, content_type, size)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row, a.sha256, a.filename, a.content_type, a.size as i64],
        )?;
    }
    Ok(row)
}

/// The Message-ID of the stakeholder's latest mail in the ticket.
pub(crate) fn last_from_stakeholder(
    conn: &Connection,
    ticket: i64,
) -> Result<Option<String>, StoreError> {
    let kind: &'static str = MessageKind::Stakeholder.into();
    Ok(conn
        .one(
            "SELECT message_id FROM messages
             WHERE ticket_id = ?1 AND kind = ?2 AND message_id IS NOT NULL
             ORDER BY id DESC LIMIT 1",
            params![ticket, kind],
            |r| r.get(0),
        )
        .optional()?)
}

/// A stored mail, for the ticket's history.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub kind: MessageKind,
    /// Lower case; empty when the mail had none.
    pub sender: String,
    pub body: String,
}

/// Every mail of a ticket, oldest first.
pub fn of_ticket(conn: &Connection, ticket: i64) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, received_at, kind, COALESCE(sender, ''), body FROM messages
         WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        let id = r.get(0)?;
        Ok(StoredMessage {
            id,
            received_at: r.get(1)?,
            kind: stored(r, 2, "messages", "kind", id)?,
            sender: r.get(3)?,
            body: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The sha256 of message `id` as received (its file is `raw/<sha256>.eml`).
pub fn raw_sha256(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT raw_sha256 FROM messages WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// An attachment as stored: its file is `attachments/<sha256>`.
#[derive(Debug, Clone)]
pub(crate) struct StoredAttachment {
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: u64,
}

/// The attachments the stakeholder sent in a ticket, oldest first.
pub(crate) fn stakeholder_attachments(
    conn: &Connection,
    ticket: i64,
) -> Result<Vec<StoredAttachment>, StoreError> {
    let kind: &'static str = MessageKind::Stakeholder.into();
    let mut stmt = conn.prepare_cached(
        "SELECT a.sha256, a.filename, a.content_type, a.size FROM attachments a
         JOIN messages m ON m.id = a.message_row
         WHERE m.ticket_id = ?1 AND m.kind = ?2 ORDER BY a.id",
    )?;
    let rows = stmt.query_map(params![ticket, kind], |r| {
        Ok(StoredAttachment {
            sha256: r.get(0)?,
            filename: r.get(1)?,
            content_type: r.get(2)?,
            size: r.get::<_, i64>(3)?.max(0).unsigned_abs(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An attachment of a ticket as `loketd show` lists it.
#[derive(Debug, Clone)]
pub struct TicketAttachment {
    pub id: i64,
    /// The message row it came with.
    pub message: i64,
    pub sha256: String,
    /// Sanitised when stored: safe to show and to use as a file name.
    pub filename: String,
    pub content_type: String,
    pub size: u64,
}

/// Every attachment of a ticket's mails, oldest first.
pub fn attachments_of_ticket(
    conn: &Connection,
    ticket: i64,
) -> Result<Vec<TicketAttachment>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.message_row, a.sha256, a.filename, a.content_type, a.size
         FROM attachments a JOIN messages m ON m.id = a.message_row
         WHERE m.ticket_id = ?1 ORDER BY a.id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        Ok(TicketAttachment {
            id: r.get(0)?,
            message: r.get(1)?,
            sha256: r.get(2)?,
            filename: r.get(3)?,
            content_type: r.get(4)?,
            size: r.get::<_, i64>(5)?.max(0).unsigned_abs(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A mail that will not be processed (unparseable, too large), to record.
pub(crate) struct Quarantine<'a> {
    pub source: &'a Source,
    pub raw_sha256: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub size: usize,
    pub reason: &'a str,
}

/// Records a quarantined mail (once per server position).
pub(crate) fn quarantine(
    conn: &Connection,
    q: &Quarantine<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.exec(
        "INSERT OR IGNORE INTO quarantine (folder, uidvalidity, uid, raw_sha256, sender, size, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            q.source.folder,
            q.source.uidvalidity,
            q.source.uid,
            q.raw_sha256,
            q.sender,
            q.size as i64,
            q.reason,
            at
        ],
    )?;
    Ok(())
}

/// A quarantined mail, as `loketd quarantine` lists it.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub at: DateTime<Utc>,
    pub folder: String,
    pub uid: u32,
    pub sender: Option<String>,
    pub size: u64,
    pub reason: String,
    pub raw_sha256: Option<String>,
}

pub fn quarantined(conn: &Connection) -> Result<Vec<Quarantined>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, folder, uid, sender, size, reason, raw_sha256 FROM quarantine ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Quarantined {
            at: r.get(0)?,
            folder: r.get(1)?,
            uid: r.get(2)?,
            sender: r.get(3)?,
            size: r.get::<_, i64>(4)?.max(0).unsigned_abs(),
            reason: r.get(5)?,
            raw_sha256: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
