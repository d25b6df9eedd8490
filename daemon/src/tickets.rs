//! Ticket rows and their event log. Every status change goes through `set_status`,
//! which writes the event in the same transaction, so the status is always derivable
//! from the events.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::store::StoreError;
use crate::ticket::Status;

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
}

fn status_str<S: serde::Serializer>(s: &Status, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

const COLUMNS: &str = "id, service, subject, requester, requester_name, status, assignee, section, \
    created_at, due_at, escalation_due_at, first_response_at, resolved_at, closed_at, paused_at, \
    last_progress_at, previous_ticket, root_message_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    let status: String = r.get(5)?;
    Ok(Ticket {
        id: r.get(0)?,
        service: r.get(1)?,
        subject: r.get(2)?,
        requester: r.get(3)?,
        requester_name: r.get(4)?,
        status: status.parse().unwrap_or(Status::New),
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
    })
}

pub struct NewTicket<'a> {
    pub service: &'a str,
    pub subject: &'a str,
    pub requester: &'a str,
    pub requester_name: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub previous_ticket: Option<i64>,
    pub root_message_id: Option<&'a str>,
}

pub fn create(conn: &Connection, t: &NewTicket<'_>) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO tickets (service, subject, requester, requester_name, status, created_at,
                              due_at, previous_ticket, root_message_id)
         VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?7, ?8)",
        params![
            t.service,
            t.subject,
            t.requester,
            t.requester_name,
            t.created_at,
            t.due_at,
            t.previous_ticket,
            t.root_message_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Ticket>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

pub fn list(conn: &Connection, status: Option<&str>) -> Result<Vec<Ticket>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE (?1 IS NULL OR status = ?1) ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![status], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Open tickets (not closed), for the scheduler.
pub fn open(conn: &Connection) -> Result<Vec<Ticket>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE status != 'closed' ORDER BY id"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Appends an event without a status change.
pub fn event(
    conn: &Connection,
    ticket: i64,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    message_row: Option<i64>,
    detail: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO events (ticket_id, at, actor, kind, message_row, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ticket, at, actor, kind, message_row, detail],
    )?;
    Ok(())
}

/// Changes the status and logs it as an event, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub fn set_status(
    conn: &Connection,
    ticket: &mut Ticket,
    to: Status,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    message_row: Option<i64>,
    detail: &str,
) -> Result<(), StoreError> {
    let from = ticket.status;
    conn.execute(
        "INSERT INTO events (ticket_id, at, actor, kind, from_status, to_status, message_row, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ticket.id,
            at,
            actor,
            kind,
            from.as_str(),
            to.as_str(),
            message_row,
            detail
        ],
    )?;
    conn.execute(
        "UPDATE tickets SET status = ?2 WHERE id = ?1",
        params![ticket.id, to.as_str()],
    )?;
    ticket.status = to;
    Ok(())
}

/// Writes the mutable clock and ownership fields back.
pub fn save(conn: &Connection, t: &Ticket) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE tickets SET assignee = ?2, section = ?3, due_at = ?4, escalation_due_at = ?5,
            first_response_at = ?6, resolved_at = ?7, closed_at = ?8, paused_at = ?9,
            last_progress_at = ?10
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
            t.last_progress_at
        ],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub message_row: Option<i64>,
    pub detail: String,
}

pub fn events(conn: &Connection, ticket: i64) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT at, actor, kind, from_status, to_status, message_row, detail FROM events
         WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        Ok(Event {
            at: r.get(0)?,
            actor: r.get(1)?,
            kind: r.get(2)?,
            from_status: r.get(3)?,
            to_status: r.get(4)?,
            message_row: r.get(5)?,
            detail: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records a Message-ID as belonging to a ticket (for threading replies).
pub fn add_thread_id(
    conn: &Connection,
    message_id: &str,
    ticket: i64,
    kind: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO thread_ids (message_id, ticket_id, kind) VALUES (?1, ?2, ?3)",
        params![message_id, ticket, kind],
    )?;
    Ok(())
}

/// The ticket the first known id belongs to, and the kind of that id. In-Reply-To is
/// asked first, then References from newest to oldest.
pub fn thread_lookup(
    conn: &Connection,
    ids: &[String],
) -> Result<Option<(i64, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT ticket_id, kind FROM thread_ids WHERE message_id = ?1")?;
    for id in ids {
        if let Some(hit) = stmt
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
        {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

pub fn add_participant(conn: &Connection, ticket: i64, address: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO participants (ticket_id, address) VALUES (?1, ?2)",
        params![ticket, address.to_lowercase()],
    )?;
    Ok(())
}

pub fn participants(conn: &Connection, ticket: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT address FROM participants WHERE ticket_id = ?1 ORDER BY address")?;
    let rows = stmt.query_map([ticket], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn kv_get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM kv WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

pub fn kv_set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO kv (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
        params![key, value],
    )?;
    Ok(())
}
