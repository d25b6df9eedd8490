//! The outbox table: every mail the daemon decides to send is a row, written in the
//! same transaction as the decision. The sender drains it; an SMTP outage only delays.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::Cached;
use super::{StoreError, stored};
use crate::mail::compose::Outgoing;
use crate::rules::kinds::{LetterKind, OutboxStatus};

/// After this long of temporary failures a mail is marked failed and shown to the admin.
pub(crate) const GIVE_UP_AFTER_HOURS: i64 = 72;

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub id: i64,
    pub message_id: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub ticket_id: Option<i64>,
    pub kind: LetterKind,
    pub recipients: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// A composed mail to queue.
pub(crate) struct Queued<'a> {
    pub mail: &'a Outgoing,
    /// Which mail it is, for logs and `loketd outbox`.
    pub kind: LetterKind,
    pub ticket: Option<i64>,
    /// Queue at most once per key (see [`enqueue`]).
    pub dedup: Option<&'a str>,
}

/// Queues a mail. With a dedup key, a second call with the same key does nothing and
/// returns false: that is what makes scheduled mail idempotent across restarts.
pub(crate) fn enqueue(
    conn: &Connection,
    q: &Queued<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (mail, ticket, dedup) = (q.mail, q.ticket, q.dedup);
    // Attachments the store holds stay there; the queued mail names them. A mail with
    // no file in hand (nearly all) has nothing to look for.
    let raw = if mail.carries_bytes {
        super::detach::detach(conn, &mail.raw)?
    } else {
        mail.raw.clone()
    };
    let kind: &'static str = q.kind.into();
    let pending: &'static str = OutboxStatus::Pending.into();
    let n = conn.exec(
        "INSERT OR IGNORE INTO outbox
            (ticket_id, kind, message_id, recipients, raw, automatic, dedup, next_attempt_at,
             created_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        params![
            ticket,
            kind,
            mail.message_id,
            mail.recipients.join(","),
            raw,
            mail.automatic,
            dedup,
            now,
            pending
        ],
    )?;
    Ok(n == 1)
}

/// The raw mail queued with `message_id` (what the daemon sent), if still kept.
pub(crate) fn raw_of(conn: &Connection, message_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .one(
            "SELECT raw FROM outbox WHERE message_id = ?1",
            [message_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The newest `limit` mails queued for `ticket` (only those of `kinds`, when given),
/// oldest first.
pub(crate) fn raws_of_ticket(
    conn: &Connection,
    ticket: i64,
    kinds: Option<&[LetterKind]>,
    limit: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    // The kinds are filtered before the limit: the newest rows may all be staff mail.
    let kinds: Option<String> = kinds.map(|ks| {
        let names: Vec<&'static str> = ks.iter().map(|k| (*k).into()).collect();
        format!(",{},", names.join(","))
    });
    let mut stmt = conn.prepare_cached(
        "SELECT raw FROM (SELECT id, raw FROM outbox WHERE ticket_id = ?1
                            AND (?3 IS NULL OR instr(?3, ',' || kind || ',') > 0)
                          ORDER BY id DESC LIMIT ?2)
         ORDER BY id",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![ticket, limit, kinds], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn has_dedup(conn: &Connection, key: &str) -> Result<bool, StoreError> {
    Ok(conn
        .one("SELECT 1 FROM outbox WHERE dedup = ?1", [key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Automatic mails queued to `address` since `since` (the per-sender loop guard).
pub(crate) fn automatic_sent_since(
    conn: &Connection,
    address: &str,
    since: DateTime<Utc>,
) -> Result<u32, StoreError> {
    Ok(conn.one(
        // The addressee comes first; copies follow after a comma. A range (',' is just
        // below '-') rather than substr() keeps the recipients index in use.
        "SELECT COUNT(*) FROM outbox WHERE automatic = 1
           AND (recipients = ?1 OR (recipients >= ?1 || ',' AND recipients < ?1 || '-'))
           AND created_at >= ?2",
        params![address.to_lowercase(), since],
        |r| r.get(0),
    )?)
}

pub(crate) fn due(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Pending>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, message_id, recipients, raw, attempts, created_at FROM outbox
         WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now, limit as i64], |r| {
        let recipients: String = r.get(2)?;
        Ok(Pending {
            id: r.get(0)?,
            message_id: r.get(1)?,
            recipients: recipients.split(',').map(str::to_string).collect(),
            raw: r.get(3)?,
            attempts: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    let rows: Vec<Pending> = rows.collect::<Result<_, _>>()?;
    // The attachments named by placeholder lines come back from the data folder.
    let data_dir = conn
        .path()
        .map(Path::new)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut ready = Vec::with_capacity(rows.len());
    for mut p in rows {
        match super::detach::attach(&p.raw, &data_dir) {
            Ok(raw) => {
                p.raw = raw;
                ready.push(p);
            }
            Err(e) => {
                tracing::error!(id = p.id, error = %e, "mail cannot be sent: its attachment is gone");
                mark_failed(conn, p.id, &e)?;
            }
        }
    }
    Ok(ready)
}

/// How many mails wait to be sent.
pub fn waiting(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.one(
        "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?)
}

/// When the next pending mail is due, to sleep exactly that long.
pub(crate) fn next_due(conn: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(conn
        .one(
            "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'",
            [],
            |r| r.get::<_, Option<DateTime<Utc>>>(0),
        )
        .optional()?
        .flatten())
}

pub(crate) fn mark_sent(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    conn.exec(
        "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// A temporary failure: try again later with exponential backoff (30 s doubling, at
/// most an hour, with jitter so a returning server is not hit all at once).
pub(crate) fn mark_retry(
    conn: &Connection,
    p: &Pending,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if gave_up(conn, p, error, now)? {
        return Ok(());
    }
    let attempts = p.attempts + 1;
    // 30 s after the first failure, then 60 s, 120 s, … up to an hour.
    let base = (30i64 << (attempts - 1).min(7)).min(3600);
    let jitter = rand::random_range(0..=base / 4);
    conn.exec(
        "UPDATE outbox SET attempts = ?2, last_error = ?3, next_attempt_at = ?4 WHERE id = ?1",
        params![
            p.id,
            attempts,
            error,
            now + Duration::seconds(base + jitter)
        ],
    )?;
    Ok(())
}

/// The SMTP server could not be reached at all: the mail is not at fault, so it keeps
/// its place (due at once when the server is back) and the sender backs off as a whole.
/// The attempt is counted and the give-up limit still applies.
pub(crate) fn mark_unreachable(
    conn: &Connection,
    p: &Pending,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if gave_up(conn, p, error, now)? {
        return Ok(());
    }
    conn.exec(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
        params![p.id, error],
    )?;
    Ok(())
}

/// Records why the mail is still waiting, without counting an attempt: the server
/// refused our login, not this mail.
pub(crate) fn note_error(conn: &Connection, id: i64, error: &str) -> Result<(), StoreError> {
    conn.exec(
        "UPDATE outbox SET last_error = ?2 WHERE id = ?1",
        params![id, error],
    )?;
    Ok(())
}

/// Marks the mail failed once it has been retried for `GIVE_UP_AFTER_HOURS`.
fn gave_up(
    conn: &Connection,
    p: &Pending,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if now - p.created_at <= Duration::hours(GIVE_UP_AFTER_HOURS) {
        return Ok(false);
    }
    mark_failed(
        conn,
        p.id,
        &format!("gave up after {GIVE_UP_AFTER_HOURS} h: {error}"),
    )?;
    Ok(true)
}

/// A permanent failure (5xx): recorded, shown by `loketd outbox`, never retried.
pub(crate) fn mark_failed(conn: &Connection, id: i64, error: &str) -> Result<(), StoreError> {
    conn.exec(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
        params![id, error],
    )?;
    Ok(())
}

/// A mail about a ticket that the server refused for good, created since `since`.
pub(crate) struct Refused {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: LetterKind,
    /// Comma-separated, as queued.
    pub recipients: String,
    pub error: String,
}

/// Mail about tickets that failed for good, queued since `since` (the scheduler tells
/// the staff once; older failures were told when they happened).
pub(crate) fn refused_since(
    conn: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<Refused>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ticket_id, kind, recipients, COALESCE(last_error, '') FROM outbox
         WHERE status = 'failed' AND ticket_id IS NOT NULL AND created_at >= ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![since], |r| {
        let id = r.get(0)?;
        Ok(Refused {
            id,
            ticket_id: r.get(1)?,
            kind: stored(r, 2, "outbox", "kind", id)?,
            recipients: r.get(3)?,
            error: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Puts failed mail back in the queue (after the admin fixed the cause).
pub fn retry_failed(conn: &Connection, now: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(conn.exec(
        "UPDATE outbox SET status = 'pending', next_attempt_at = ?1 WHERE status = 'failed'",
        params![now],
    )?)
}

pub fn list(conn: &Connection, status: Option<OutboxStatus>) -> Result<Vec<Row>, StoreError> {
    rows(conn, status, None)
}

/// Every mail queued about one ticket, oldest first.
pub fn of_ticket(conn: &Connection, ticket: i64) -> Result<Vec<Row>, StoreError> {
    rows(conn, None, Some(ticket))
}

fn rows(
    conn: &Connection,
    status: Option<OutboxStatus>,
    ticket: Option<i64>,
) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ticket_id, kind, recipients, status, attempts, last_error, created_at, sent_at,
                next_attempt_at
         FROM outbox WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR ticket_id = ?2)
         ORDER BY id",
    )?;
    let status: Option<&'static str> = status.map(Into::into);
    let rows = stmt.query_map(params![status, ticket], |r| {
        let id = r.get(0)?;
        Ok(Row {
            id,
            ticket_id: r.get(1)?,
            kind: stored(r, 2, "outbox", "kind", id)?,
            recipients: r.get(3)?,
            status: stored(r, 4, "outbox", "status", id)?,
            attempts: r.get(5)?,
            last_error: r.get(6)?,
            created_at: r.get(7)?,
            sent_at: r.get(8)?,
            next_attempt_at: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::Store;

    fn queued(store: &Store, now: DateTime<Utc>) -> Pending {
        let mail = Outgoing {
            message_id: "loket.1@kppn.example".into(),
            recipients: vec!["a@b.example".into()],
            raw: b"Subject: x\r\n\r\nx\r\n".to_vec(),
            automatic: true,
            carries_bytes: false,
        };
        let q = Queued {
            mail: &mail,
            kind: LetterKind::Ack,
            ticket: None,
            dedup: Some("k"),
        };
        assert!(enqueue(store.conn(), &q, now).unwrap());
        assert!(!enqueue(store.conn(), &q, now).unwrap(), "dedup");
        due(store.conn(), now, 10).unwrap().remove(0)
    }

    #[test]
    fn retries_back_off_from_30_seconds_and_give_up_after_72_hours() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let p = queued(&store, now);
        mark_retry(store.conn(), &p, "421 busy", now).unwrap();
        let next = next_due(store.conn()).unwrap().unwrap();
        let wait = (next - now).num_seconds();
        assert!((30..=38).contains(&wait), "first retry after {wait} s");
        assert!(due(store.conn(), now, 10).unwrap().is_empty());

        let later = now + Duration::hours(GIVE_UP_AFTER_HOURS + 1);
        let p = due(store.conn(), later, 10).unwrap().remove(0);
        mark_retry(store.conn(), &p, "421 busy", later).unwrap();
        let rows = list(store.conn(), Some(OutboxStatus::Failed)).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0]
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("gave up after 72 h")
        );
    }
}
