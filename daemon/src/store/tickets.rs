//! Ticket rows and their history. Every status change goes through [`set_status`],
//! which writes the event in the same transaction, so the status is always derivable
//! from the events. Also here: the Message-IDs that thread mail onto a ticket, the
//! staff who took part, satisfaction ratings, and the daemon's small settings.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::Cached;
use super::{StoreError, stored};
use crate::rules::kinds::{Channel, EventKind, ThreadKind};
use crate::rules::ticket::Status;

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub service: String,
    pub subject: String,
    pub requester: String,
    pub requester_name: Option<String>,
    #[serde(serialize_with = "status_str")]
    pub status: Status,
    pub assignee: Option<String>,
    pub section: Option<String>,
    pub created_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub escalation_due_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub last_progress_at: Option<DateTime<Utc>>,
    pub previous_ticket: Option<i64>,
    /// The stakeholder's first Message-ID: every reply to them references it.
    pub root_message_id: Option<String>,
    /// The completion date staff promised with `#progres <date>`; after a missed
    /// deadline, the only date a progress mail may name.
    pub expected_on: Option<chrono::NaiveDate>,
    /// How the consultation reached the office.
    #[serde(serialize_with = "channel_str")]
    pub channel: Channel,
}

fn channel_str<S: serde::Serializer>(c: &Channel, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(c.into())
}

fn status_str<S: serde::Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

const COLUMNS: &str = "id, service, subject, requester, requester_name, status, assignee, section, \
    created_at, due_at, escalation_due_at, first_response_at, resolved_at, closed_at, paused_at, \
    last_progress_at, previous_ticket, root_message_id, expected_on, channel";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    let id = r.get(0)?;
    Ok(Ticket {
        id,
        service: r.get(1)?,
        subject: r.get(2)?,
        requester: r.get(3)?,
        requester_name: r.get(4)?,
        status: stored(r, 5, "tickets", "status", id)?,
        assignee: r.get(6)?,
        section: r.get(7)?,
        created_at: r.get(8)?,
        due_at: r.get(9)?,
        escalation_due_at: r.get(10)?,
        first_response_at: r.get(11)?,
        resolved_at: r.get(12)?,
        closed_at: r.get(13)?,
        paused_at: r.get(14)?,
        last_progress_at: r.get(15)?,
        previous_ticket: r.get(16)?,
        root_message_id: r.get(17)?,
        expected_on: r.get(18)?,
        channel: stored(r, 19, "tickets", "channel", id)?,
    })
}

pub(crate) struct NewTicket<'a> {
    pub service: &'a str,
    pub subject: &'a str,
    pub requester: &'a str,
    pub requester_name: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub previous_ticket: Option<i64>,
    pub root_message_id: Option<&'a str>,
    pub channel: Channel,
}

/// Creates a ticket in status `new` and returns it.
pub(crate) fn create(conn: &Connection, t: &NewTicket<'_>) -> Result<Ticket, StoreError> {
    conn.exec(
        "INSERT INTO tickets (service, subject, requester, requester_name, status, created_at,
                              due_at, previous_ticket, root_message_id, channel)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            t.service,
            t.subject,
            t.requester,
            t.requester_name,
            Status::New.as_str(),
            t.created_at,
            t.due_at,
            t.previous_ticket,
            t.root_message_id,
            <&str>::from(t.channel)
        ],
    )?;
    get(conn, conn.last_insert_rowid())
}

/// The ticket `id`; a missing one is [`StoreError::NoTicket`].
pub fn get(conn: &Connection, id: i64) -> Result<Ticket, StoreError> {
    find(conn, id)?.ok_or(StoreError::NoTicket(id))
}

/// The ticket `id`, if there is one.
pub fn find(conn: &Connection, id: i64) -> Result<Option<Ticket>, StoreError> {
    Ok(conn
        .one(
            &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// Every ticket, or those in `status`, oldest first.
pub fn list(conn: &Connection, status: Option<Status>) -> Result<Vec<Ticket>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE (?1 IS NULL OR status = ?1) ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![status.map(Status::as_str)], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Open tickets (not closed), for the scheduler.
pub(crate) fn open(conn: &Connection) -> Result<Vec<Ticket>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE status != ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([Status::Closed.as_str()], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many tickets `requester` opened before ticket `before`, counted up to one
/// past [`EARLIER_COUNTED`] (a count costs a step per ticket: a sender with years of mail
/// would make every new ticket slower), and the last `n` of them, newest first.
/// Ordered as the `tickets(requester, created_at)` index is, so the newest few are read
/// from its end instead of every ticket of the requester being fetched and sorted.
pub(crate) fn earlier_of(
    conn: &Connection,
    requester: &str,
    before: i64,
    n: usize,
) -> Result<(usize, Vec<Ticket>), StoreError> {
    let count: i64 = conn.one(
        "SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE requester = ?1 AND id < ?2 LIMIT ?3)",
        params![requester, before, EARLIER_COUNTED as i64 + 1],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE requester = ?1 AND id < ?2
         ORDER BY created_at DESC, id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(
        params![requester, before, i64::try_from(n).unwrap_or(i64::MAX)],
        from_row,
    )?;
    Ok((
        usize::try_from(count).unwrap_or_default(),
        rows.collect::<Result<_, _>>()?,
    ))
}

/// [`earlier_of`] counts one more than this at most; the notification says "100+" then.
pub(crate) const EARLIER_COUNTED: usize = 100;

/// Writes the clock and ownership fields back (the status changes through
/// [`set_status`] only).
pub(crate) fn save(conn: &Connection, t: &Ticket) -> Result<(), StoreError> {
    conn.exec(
        "UPDATE tickets SET assignee = ?2, section = ?3, due_at = ?4, escalation_due_at = ?5,
            first_response_at = ?6, resolved_at = ?7, closed_at = ?8, paused_at = ?9,
            last_progress_at = ?10, expected_on = ?11
         WHERE id = ?1",
        params![
            t.id,
            t.assignee,
            t.section,
            t.due_at,
            t.escalation_due_at,
            t.first_response_at,
            t.resolved_at,
            t.closed_at,
            t.paused_at,
            t.last_progress_at,
            t.expected_on
        ],
    )?;
    Ok(())
}

/// One entry of a ticket's history, to write: who did what, when, on which mail.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Event<'a> {
    pub kind: EventKind,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    /// The `messages` row that caused it.
    pub message: Option<i64>,
    pub detail: &'a str,
}

impl<'a> Event<'a> {
    pub(crate) fn new(kind: EventKind, actor: &'a str, at: DateTime<Utc>) -> Self {
        Event {
            kind,
            actor,
            at,
            message: None,
            detail: "",
        }
    }

    /// Caused by the stored mail `row`.
    #[must_use]
    pub(crate) fn on(mut self, row: impl Into<Option<i64>>) -> Self {
        self.message = row.into();
        self
    }

    #[must_use]
    pub(crate) fn detail(mut self, detail: &'a str) -> Self {
        self.detail = detail;
        self
    }
}

/// Appends an event that changes no status.
pub(crate) fn log(conn: &Connection, ticket: i64, e: &Event<'_>) -> Result<(), StoreError> {
    insert_event(conn, ticket, e, None)
}

/// Moves the ticket to `to` and logs it as `e`, in the caller's transaction.
pub(crate) fn set_status(
    conn: &Connection,
    ticket: &mut Ticket,
    to: Status,
    e: &Event<'_>,
) -> Result<(), StoreError> {
    insert_event(conn, ticket.id, e, Some((ticket.status, to)))?;
    conn.exec(
        "UPDATE tickets SET status = ?2 WHERE id = ?1",
        params![ticket.id, to.as_str()],
    )?;
    ticket.status = to;
    Ok(())
}

fn insert_event(
    conn: &Connection,
    ticket: i64,
    e: &Event<'_>,
    change: Option<(Status, Status)>,
) -> Result<(), StoreError> {
    let kind: &'static str = e.kind.into();
    conn.exec(
        "INSERT INTO events (ticket_id, at, actor, kind, from_status, to_status, message_row, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ticket,
            e.at,
            e.actor,
            kind,
            change.map(|(from, _)| from.as_str()),
            change.map(|(_, to)| to.as_str()),
            e.message,
            e.detail
        ],
    )?;
    Ok(())
}

/// An entry of a ticket's history, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    #[serde(serialize_with = "kind_str")]
    pub kind: EventKind,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub message_row: Option<i64>,
    pub detail: String,
}

fn kind_str<S: serde::Serializer>(k: &EventKind, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(k.into())
}

pub fn events(conn: &Connection, ticket: i64) -> Result<Vec<EventRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, kind, from_status, to_status, message_row, detail, id FROM events
         WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        Ok(EventRow {
            at: r.get(0)?,
            actor: r.get(1)?,
            kind: stored(r, 2, "events", "kind", r.get(7)?)?,
            from_status: r.get(3)?,
            to_status: r.get(4)?,
            message_row: r.get(5)?,
            detail: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records a Message-ID as belonging to a ticket (for threading replies).
pub(crate) fn add_thread_id(
    conn: &Connection,
    message_id: &str,
    ticket: i64,
    kind: ThreadKind,
) -> Result<(), StoreError> {
    let kind: &'static str = kind.into();
    conn.exec(
        "INSERT OR IGNORE INTO thread_ids (message_id, ticket_id, kind) VALUES (?1, ?2, ?3)",
        params![message_id, ticket, kind],
    )?;
    Ok(())
}

/// The ticket the first known id belongs to, and the kind of that id. In-Reply-To is
/// asked first, then References from newest to oldest.
pub(crate) fn thread_lookup(
    conn: &Connection,
    ids: &[String],
) -> Result<Option<(i64, ThreadKind)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT ticket_id, kind, rowid FROM thread_ids WHERE message_id = ?1")?;
    for id in ids {
        if let Some(hit) = stmt
            .query_row([id], |r| {
                Ok((r.get(0)?, stored(r, 1, "thread_ids", "kind", r.get(2)?)?))
            })
            .optional()?
        {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

/// Staff who took part in a ticket: they get its notes and news.
pub(crate) fn add_participant(
    conn: &Connection,
    ticket: i64,
    address: &str,
) -> Result<(), StoreError> {
    conn.exec(
        "INSERT OR IGNORE INTO participants (ticket_id, address) VALUES (?1, ?2)",
        params![ticket, address.to_lowercase()],
    )?;
    Ok(())
}

pub(crate) fn participants(conn: &Connection, ticket: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT address FROM participants WHERE ticket_id = ?1 ORDER BY address")?;
    let rows = stmt.query_map([ticket], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds a colleague the stakeholder copied to their ticket.
pub(crate) fn add_copied(
    conn: &Connection,
    ticket: i64,
    address: &str,
    name: Option<&str>,
) -> Result<(), StoreError> {
    conn.exec(
        "INSERT OR IGNORE INTO copied (ticket_id, address, name) VALUES (?1, ?2, ?3)",
        params![ticket, address.to_lowercase(), name],
    )?;
    Ok(())
}

/// The colleagues the stakeholder copied, as (name, address).
pub fn copied(conn: &Connection, ticket: i64) -> Result<Vec<(Option<String>, String)>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT name, address FROM copied WHERE ticket_id = ?1 ORDER BY address")?;
    let rows = stmt.query_map([ticket], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether `address` is the ticket's requester or one of its copied colleagues.
pub(crate) fn is_stakeholder(
    conn: &Connection,
    t: &Ticket,
    address: &str,
) -> Result<bool, StoreError> {
    let address = address.to_lowercase();
    if t.requester == address {
        return Ok(true);
    }
    Ok(conn
        .one(
            "SELECT 1 FROM copied WHERE ticket_id = ?1 AND address = ?2",
            params![t.id, address],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Records (or replaces) the stakeholder's satisfaction rating of a ticket.
pub(crate) fn rate(
    conn: &Connection,
    ticket: i64,
    score: u8,
    comment: &str,
    at: DateTime<Utc>,
    message_row: i64,
) -> Result<(), StoreError> {
    conn.exec(
        "INSERT INTO ratings (ticket_id, score, comment, at, message_row) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(ticket_id) DO UPDATE SET score = ?2, comment = ?3, at = ?4, message_row = ?5",
        params![ticket, score, comment, at, message_row],
    )?;
    Ok(())
}

/// A small setting the daemon keeps (the round-robin position).
pub(crate) fn kv_get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .one("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn kv_set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.exec(
        "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        params![key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::store::Store;

    #[test]
    fn an_unknown_stored_status_is_an_error_naming_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = store.conn();
        let t = create(
            c,
            &NewTicket {
                service: "KONS",
                subject: "s",
                requester: "a@b.example",
                requester_name: None,
                created_at: Utc::now(),
                due_at: None,
                previous_ticket: None,
                root_message_id: None,
                channel: Channel::Email,
            },
        )
        .unwrap();
        assert_eq!(t.status, Status::New);
        c.exec(
            "UPDATE tickets SET status = 'on_hold' WHERE id = ?1",
            [t.id],
        )
        .unwrap();
        let e = get(c, t.id).unwrap_err().to_string();
        assert!(
            e.contains("tickets row 1") && e.contains("\"on_hold\""),
            "{e}"
        );
        assert!(matches!(get(c, 99), Err(StoreError::NoTicket(99))));
    }
}
